# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pinduoduo 店铺账务明细 (parsers/pdd.py)."""

import datetime as dt
import pathlib
import unittest
from decimal import Decimal

from odoo.addons.ec_reconcile.parsers import parse_file
from odoo.addons.ec_reconcile.parsers.base import FLAG_UNCLASSIFIED

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
D = Decimal
A, B = "240301-123456789012345", "240301-123456789012346"


def read(name):
    return (DATA / name).read_bytes()


def parse_one(name, data=None):
    bills = parse_file(name, read(name) if data is None else data)
    assert len(bills) == 1, bills
    return bills[0]


class TestPdd(unittest.TestCase):
    def test_variant_a_fixture(self):
        bill = parse_one("pdd_account_detail.csv")
        self.assertEqual(
            (bill.bill_type, bill.platform, bill.channel), ("pdd_account", "pdd", "pdd")
        )
        self.assertEqual(
            [(line.kind, line.amount, line.order_ref) for line in bill.lines],
            [
                ("sale", D("49.90"), A),
                ("service_fee", D("-0.30"), A),
                ("sale", D("29.90"), B),
                ("ads", D("-0.90"), B),  # 多多进宝
                ("refund", D("-10.00"), A),
            ],
        )
        self.assertEqual(
            bill.declared_totals,
            {
                "expense_count": 3,
                "expense": D("11.20"),  # printed -11.20
                "income_count": 2,
                "income": D("79.80"),
                "count": 5,
                "net": D("68.60"),
            },
        )
        self.assertEqual(bill.total, D("68.60"))
        self.assertEqual(bill.period_start, dt.datetime(2024, 2, 29, 16))
        self.assertEqual(bill.period_end, dt.datetime(2024, 3, 1, 15, 59, 59))
        self.assertEqual(
            bill.lines[0].row_number, 6
        )  # after title, blank, range, separator
        self.assertEqual(bill.lines[0].description, "交易收入-订单收入")
        self.assertEqual(bill.lines[1].description, "基础技术服务费")
        # No row id in PDD files: hash + ordinal, stable.
        ids = [line.transaction_id for line in bill.lines]
        self.assertEqual(len(set(ids)), 5)
        self.assertEqual(
            ids,
            [line.transaction_id for line in parse_one("pdd_account_detail.csv").lines],
        )

    def test_variant_b(self):
        bill = parse_one("pdd_account_detail_variant_b.csv")
        self.assertEqual(
            [(line.kind, line.amount, line.order_ref) for line in bill.lines],
            [
                ("sale", D("39.90"), "240302-123456789012347"),
                ("service_fee", D("0.24"), "240302-123456789012347"),  # fee given back
                ("payout", D("-100.00"), None),
                ("other", D("-1.00"), "240302-123456789012347"),
            ],
        )
        self.assertEqual(bill.lines[3].flags, [FLAG_UNCLASSIFIED])
        self.assertEqual(bill.declared_totals, {})
        self.assertEqual(bill.lines[0].row_number, 2)

    def test_category_code_fallback(self):
        text = (
            read("pdd_account_detail.csv")
            .decode("gbk")
            .replace(",多多进宝,", ",营销推广费,")
        )
        text = text.replace("营销推广费", "新类型")
        bill = parse_one("p.csv", text.encode("gbk"))
        self.assertEqual((bill.lines[3].kind, bill.lines[3].flags), ("ads", []))  # 006…


if __name__ == "__main__":
    unittest.main()
