# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shopify Payments transactions CSV (parsers/shopify.py)."""

import datetime as dt
import pathlib
import unittest
from decimal import Decimal

from odoo.addons.ec_reconcile.parsers import parse_file
from odoo.addons.ec_reconcile.parsers.base import FLAG_UNCLASSIFIED

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
D = Decimal


def read(name):
    return (DATA / name).read_bytes()


def parse_one(name, data=None):
    bills = parse_file(name, read(name) if data is None else data)
    assert len(bills) == 1, bills
    return bills[0]


class TestShopify(unittest.TestCase):
    def test_fixture(self):
        bill = parse_one("shopify_payment_transactions.csv")
        self.assertEqual(
            (bill.bill_type, bill.platform, bill.channel),
            ("shopify_payments", "shopify", "shopify"),
        )
        self.assertEqual(
            [
                (line.kind, line.amount, line.order_ref, line.related_ref)
                for line in bill.lines
            ],
            [
                ("sale", D("50.00"), "#1001", "123456789"),
                ("payment_fee", D("-1.75"), "#1001", "123456789"),
                ("sale", D("120.00"), "#1002", "123456789"),
                ("payment_fee", D("-3.78"), "#1002", "123456789"),
                ("refund", D("-20.00"), "#1001", "123456789"),
                ("sale", D("75.00"), "#1003", None),  # pending: no payout yet
                ("payment_fee", D("-2.48"), "#1003", None),
            ],
        )
        self.assertEqual(bill.currency, "USD")
        paid = sum(
            line.amount for line in bill.lines if line.related_ref == "123456789"
        )
        self.assertEqual(paid, D("144.47"))  # the payout
        self.assertEqual(bill.lines[0].date, dt.datetime(2024, 3, 3, 15, 15))  # -0500
        self.assertEqual(bill.lines[0].raw["Payout Status"], "paid")
        self.assertEqual(bill.warnings, [])  # Amount − Fee = Net on every row

    def test_ids_survive_the_payout(self):
        before = parse_one("shopify_payment_transactions.csv")
        after = parse_one("shopify_payment_transactions_paid_later.csv")
        self.assertEqual(
            [line.transaction_id for line in after.lines],
            [line.transaction_id for line in before.lines],
        )
        self.assertEqual(after.lines[5].related_ref, "123456790")

    def test_19_columns_spreadsheet_amounts(self):
        bill = parse_one("shopify_payment_transactions_19col.csv")
        self.assertEqual(
            [(line.kind, line.amount) for line in bill.lines],
            [
                ("sale", D("1250.00")),
                ("payment_fee", D("-36.55")),
                ("adjustment", D("-80.00")),  # dispute
                ("payment_fee", D("-15.00")),
                ("adjustment", D("2.50")),
                ("other", D("-1.00")),
            ],
        )
        self.assertEqual(bill.lines[5].flags, [FLAG_UNCLASSIFIED])
        self.assertEqual(bill.currency, "EUR")
        self.assertEqual(bill.lines[0].date, dt.datetime(2024, 3, 10, 7))

    def test_net_mismatch_warns(self):
        text = (
            read("shopify_payment_transactions.csv").decode().replace("48.25", "48.30")
        )
        bill = parse_one("s.csv", text.encode())
        self.assertEqual(len(bill.warnings), 1)
        self.assertIn("row 2", bill.warnings[0])


if __name__ == "__main__":
    unittest.main()
