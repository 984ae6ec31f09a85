# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Amazon settlement report V2 flat file (parsers/amazon.py)."""

import datetime as dt
import pathlib
import unittest
from decimal import Decimal

from odoo.addons.ec_reconcile.parsers import parse_file
from odoo.addons.ec_reconcile.parsers.base import FLAG_UNCLASSIFIED

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
D = Decimal
O1, O2, O3 = "111-0000001-0000001", "111-0000002-0000002", "111-0000003-0000003"


def read(name):
    return (DATA / name).read_bytes()


def parse_one(name, data=None):
    bills = parse_file(name, read(name) if data is None else data)
    assert len(bills) == 1, bills
    return bills[0]


class TestAmazon(unittest.TestCase):
    def test_fixture(self):
        bill = parse_one("amazon_settlement_v2.tsv")
        self.assertEqual(
            (bill.bill_type, bill.platform, bill.channel),
            ("amazon_settlement_v2", "amazon", "amazon"),
        )
        self.assertEqual(
            [(line.kind, line.amount, line.order_ref) for line in bill.lines],
            [
                ("sale", D("29.99"), O1),
                ("tax", D("2.40"), O1),
                ("tax", D("-2.40"), O1),  # marketplace facilitator tax withheld
                ("commission", D("-4.50"), O1),
                ("service_fee", D("-3.22"), O1),  # FBA fee
                ("merchant_coupon", D("-3.00"), O1),
                ("sale", D("59.98"), O2),
                ("commission", D("-9.00"), O2),
                ("service_fee", D("-6.44"), O2),
                ("sale", D("100.00"), O3),
                ("commission", D("-15.00"), O3),
                ("service_fee", D("-4.10"), O3),
                ("refund", D("-29.99"), O1),
                ("commission", D("4.50"), O1),  # commission given back
                ("commission", D("-0.90"), O1),  # RefundCommission
                ("merchant_coupon", D("3.00"), O1),
                ("service_fee", D("-39.99"), None),  # Subscription Fee
            ],
        )
        self.assertEqual(bill.declared_totals, {"net": D("81.33")})
        self.assertEqual(bill.total, D("81.33"))
        self.assertEqual(bill.meta["settlement_id"], "12345678901")
        self.assertEqual(bill.meta["deposit_date"], "2024-03-17 08:00:00 UTC")
        self.assertEqual(bill.meta["rows"], 17)
        self.assertEqual(bill.period_start, dt.datetime(2024, 3, 1, 8))
        self.assertEqual(bill.period_end, dt.datetime(2024, 3, 15, 8))
        self.assertEqual(bill.currency, "USD")
        refund = bill.lines[12]
        self.assertEqual(refund.related_ref, "90000000000001")  # adjustment-id
        self.assertEqual(refund.sub_order_ref, "50000000000001")  # order-item-code
        self.assertEqual(refund.date, dt.datetime(2024, 3, 8, 11))
        self.assertEqual(refund.row_number, 15)
        self.assertEqual(refund.description, "Refund ItemPrice/Principal")
        # No row id: hash + ordinal, unique and stable.
        ids = [line.transaction_id for line in bill.lines]
        self.assertEqual(len(set(ids)), 17)
        self.assertEqual(
            ids,
            [
                line.transaction_id
                for line in parse_one("amazon_settlement_v2.tsv").lines
            ],
        )

    def test_22_columns_eu_dates(self):
        bill = parse_one("amazon_settlement_v2_22col_eu.tsv")
        self.assertEqual(
            [(line.kind, line.amount, line.order_ref) for line in bill.lines],
            [
                ("sale", D("59.90"), "302-0000001-0000001"),
                ("commission", D("-8.99"), "302-0000001-0000001"),
                ("service_fee", D("-5.41"), None),  # FBAFees: order-id is a shipment
                ("other", D("-2.00"), None),
            ],
        )
        self.assertEqual(bill.lines[3].flags, [FLAG_UNCLASSIFIED])
        self.assertEqual(bill.meta["date_order"], "dmy")  # 13.03.2024
        self.assertEqual(bill.lines[0].date, dt.datetime(2024, 3, 13))
        self.assertEqual(bill.period_start, dt.datetime(2024, 3, 1))
        self.assertEqual(bill.period_end, dt.datetime(2024, 3, 15))
        self.assertEqual(bill.declared_totals["net"], bill.total)
        self.assertEqual(bill.currency, "EUR")

    def test_negative_settlement(self):
        text = (
            read("amazon_settlement_v2.tsv").decode().replace("\t81.33\t", "\t-18.67\t")
        )
        text = text.replace("\t100.00\t", "\t0.00\t")
        bill = parse_one("a.tsv", text.encode())
        self.assertEqual(bill.declared_totals["net"], D("-18.67"))
        self.assertEqual(bill.total, D("-18.67"))
        self.assertEqual(bill.warnings, [])


if __name__ == "__main__":
    unittest.main()
