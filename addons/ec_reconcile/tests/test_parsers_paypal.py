# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""PayPal activity and statement CSV (parsers/paypal.py)."""

import datetime as dt
import pathlib
import unittest
from decimal import Decimal

from odoo.addons.ec_reconcile.parsers import BillParseError, parse_file

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
D = Decimal


def read(name):
    return (DATA / name).read_bytes()


def parse_one(name, data=None):
    bills = parse_file(name, read(name) if data is None else data)
    assert len(bills) == 1, bills
    return bills[0]


class TestPaypal(unittest.TestCase):
    def test_fixture(self):
        bill = parse_one("paypal_activity.csv")
        self.assertEqual(
            (bill.bill_type, bill.platform, bill.channel),
            ("paypal_activity", "paypal", "paypal"),
        )
        self.assertEqual(
            [
                (line.transaction_id, line.kind, line.amount, line.order_ref)
                for line in bill.lines
            ],
            [
                ("1SYNTH000000000A1-20240305161240", "sale", D("100.00"), "INV-1001"),
                (
                    "1SYNTH000000000A1-20240305161240:fee",
                    "payment_fee",
                    D("-3.79"),
                    "INV-1001",
                ),
                ("1SYNTH000000000A2-20240305194702", "sale", D("45.00"), "INV-1002"),
                (
                    "1SYNTH000000000A2-20240305194702:fee",
                    "payment_fee",
                    D("-1.87"),
                    "INV-1002",
                ),
                ("1SYNTH000000000A3-20240306173000", "refund", D("-20.00"), "INV-1001"),
                ("1SYNTH000000000A4-20240308020000", "payout", D("-300.00"), None),
            ],
        )
        # 05/03/2024 08:12:40 PST = 5 March 16:12:40 UTC (dd/mm/yyyy)
        self.assertEqual(bill.lines[0].date, dt.datetime(2024, 3, 5, 16, 12, 40))
        self.assertEqual(bill.meta["date_order"], "dmy")
        self.assertEqual(
            bill.lines[4].related_ref, "1SYNTH000000000A1"
        )  # Reference Txn ID
        self.assertEqual(bill.lines[0].counterparty, "Buyer One")
        self.assertEqual(bill.lines[0].description, "Order INV-1001")
        self.assertEqual(bill.opening_balance, D("250.00"))
        self.assertEqual(bill.closing_balance, D("69.34"))
        self.assertEqual(bill.opening_balance + bill.total, bill.closing_balance)
        self.assertEqual(bill.lines[1].balance, D("346.21"))
        self.assertEqual(bill.currency, "USD")

    def test_us_activity(self):
        bill = parse_one("paypal_activity_us.csv")
        self.assertEqual(bill.meta["date_order"], "mdy")  # 03/15/2024
        self.assertEqual(
            [(line.kind, line.amount, line.currency) for line in bill.lines],
            [
                ("sale", D("200.00"), "USD"),
                ("payment_fee", D("-6.10"), "USD"),
                # the Memo authorization row is ignored
                ("other", D("-100.00"), "USD"),  # currency conversion pair
                ("other", D("91.50"), "EUR"),
            ],
        )
        self.assertEqual([line.flags for line in bill.lines], [[]] * 4)
        self.assertEqual(bill.lines[0].date, dt.datetime(2024, 3, 15, 17))  # PDT
        self.assertEqual(bill.lines[2].date, dt.datetime(2024, 3, 16, 17))  # CET
        self.assertIsNone(bill.currency)
        self.assertIsNone(bill.opening_balance)
        self.assertEqual(
            bill.meta["balances"],
            {"EUR": ["0.00", "91.50"], "USD": ["1000.00", "1093.90"]},
        )
        self.assertEqual(bill.lines[3].related_ref, "2SYNTH000000000B3")

    def test_statement_layout(self):
        bill = parse_one("paypal_statement.csv")
        self.assertEqual(
            [(line.kind, line.amount) for line in bill.lines],
            [
                ("sale", D("2000.00")),
                ("payment_fee", D("-58.30")),
                ("payout", D("-1058.09")),
            ],
        )
        self.assertEqual(bill.meta["date_order"], "mdy")  # 1 day apart, not 1 month
        self.assertEqual(bill.lines[0].date, dt.datetime(2024, 4, 1, 16))  # PDT
        self.assertEqual(bill.closing_balance, D("2883.61"))
        self.assertEqual(bill.opening_balance, D("2000.00"))

    def test_unknown_time_zone(self):
        text = (
            read("paypal_activity.csv")
            .decode("utf-8-sig")
            .replace(",PST,Buyer Two", ",XYZT,Buyer Two")
        )
        with self.assertRaises(BillParseError) as caught:
            parse_one("p.csv", text.encode())
        self.assertEqual(
            (caught.exception.row, caught.exception.field), (3, "TimeZone")
        )


if __name__ == "__main__":
    unittest.main()
