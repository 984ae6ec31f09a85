# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""JD settlement detail (parsers/jd.py)."""

import datetime as dt
import io
import pathlib
import unittest
from decimal import Decimal

import openpyxl

from odoo.addons.ec_reconcile.parsers import BillParseError, parse_file
from odoo.addons.ec_reconcile.parsers.base import FLAG_UNCLASSIFIED

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
D = Decimal
A, B = "300012345678", "300012345699"


def read(name):
    return (DATA / name).read_bytes()


def parse_one(name, data=None):
    bills = parse_file(name, read(name) if data is None else data)
    assert len(bills) == 1, bills
    return bills[0]


def lines_of(bill):
    return [(line.kind, line.amount, line.order_ref) for line in bill.lines]


FIXTURE_LINES = [
    ("sale", D("199.00"), A),
    ("commission", D("-15.92"), A),
    ("sale", D("6.00"), A),  # 代收配送费: freight the buyer paid, income
    ("sale", D("89.00"), B),
    ("commission", D("-7.12"), B),
    ("refund", D("-50.00"), A),  # after-sale 货款
    ("commission", D("4.00"), A),  # commission given back
    ("adjustment", D("-5.00"), B),  # 价保扣款
]


class TestJd(unittest.TestCase):
    def test_fixture(self):
        bill = parse_one("jd_settlement_detail.csv")
        self.assertEqual(
            (bill.bill_type, bill.platform, bill.channel), ("jd_settlement", "jd", "jd")
        )
        self.assertEqual(lines_of(bill), FIXTURE_LINES)
        self.assertEqual(bill.total, D("219.96"))
        self.assertEqual(bill.account, "10000001")  # 店铺号
        self.assertEqual(bill.currency, "CNY")  # 人民币
        first = bill.lines[0]
        self.assertEqual(first.transaction_id, "9000000001-货款-100012345678")
        self.assertEqual(first.raw["订单编号"], A)  # ="…" removed
        self.assertEqual(first.raw["单据编号"], "9000000001")
        self.assertEqual(first.date, dt.datetime(2024, 3, 4, 18))  # 费用结算时间
        self.assertEqual(first.description, "货款 示例电热水壶")
        self.assertEqual(first.currency, "CNY")
        self.assertEqual(bill.lines[5].raw["单据类型"], "售后退款")
        self.assertIsNone(bill.opening_balance)
        self.assertEqual(len({line.transaction_id for line in bill.lines}), 8)

    def test_sign_comes_from_direction(self):
        # Amounts printed unsigned: 收支方向 decides.
        text = read("jd_settlement_detail.csv").decode("gbk").replace(",-", ",")
        bill = parse_one("jd.csv", text.encode("gbk"))
        self.assertEqual(lines_of(bill), FIXTURE_LINES)

    def test_21_columns_utf8_other_order(self):
        bill = parse_one("jd_settlement_21col_utf8.csv")
        self.assertEqual(
            lines_of(bill),
            [
                ("sale", D("1299.00"), "300099990001"),  # "1,299.00"
                ("other", D("-3.00"), "300099990001"),  # 京豆: not mapped
                ("commission", D("-103.92"), "300099990001"),  # 应付, no 收支方向
            ],
        )
        self.assertEqual(bill.lines[1].flags, [FLAG_UNCLASSIFIED])
        self.assertEqual(bill.lines[0].flags, [])
        self.assertEqual(bill.account, "20000002")

    def test_xlsx_with_serial_dates_and_float_noise(self):
        header = (
            "订单编号,单据编号,单据类型,商品编号,商户订单号,商品名称,费用发生时间,费用计费时间,"
            "费用结算时间,费用项,金额,币种,商家应收/应付,钱包结算备注,店铺号,京东门店编号,"
            "品牌门店编号,门店名称,备注,收支方向,账单日期"
        ).split(",")
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(header)
        row = dict.fromkeys(header)
        row.update(
            {
                "订单编号": 300012345678,  # a number cell
                "单据编号": "9000000001",
                "单据类型": "订单",
                "商品编号": 100012345678.0,
                "费用结算时间": 45356.083333333336,  # 2024-03-05 02:00 as a serial
                "费用项": "佣金",
                "金额": -15.920000000000002,
                "币种": "人民币",
                "商家应收/应付": "应付",
                "收支方向": "支出",
                "账单日期": "20240305",
            }
        )
        sheet.append([row[name] for name in header])
        buffer = io.BytesIO()
        book.save(buffer)
        bill = parse_one("jd.xlsx", buffer.getvalue())
        (line,) = bill.lines
        self.assertEqual(
            (line.kind, line.amount, line.order_ref), ("commission", D("-15.92"), A)
        )
        self.assertEqual(line.date, dt.datetime(2024, 3, 4, 18))
        self.assertEqual(line.transaction_id, "9000000001-佣金-100012345678")

    def test_header_only_and_bad_direction(self):
        with self.assertRaisesRegex(BillParseError, "no data rows"):
            parse_one("jd_settlement_header_only.csv")
        text = (
            read("jd_settlement_detail.csv")
            .decode("gbk")
            .replace("应付,,10000001,,,,,支出", "应付,,10000001,,,,,出账", 1)
        )
        with self.assertRaises(BillParseError) as caught:
            parse_one("jd.csv", text.encode("gbk"))
        self.assertEqual(
            (caught.exception.row, caught.exception.field), (3, "收支方向")
        )

    def test_duplicate_keys_get_an_ordinal(self):
        text = read("jd_settlement_detail.csv").decode("gbk")
        line = text.split("\r\n")[1]
        text = text.replace(line, line + "\r\n" + line, 1)
        bill = parse_one("jd.csv", text.encode("gbk"))
        self.assertEqual(
            [line.transaction_id for line in bill.lines[:2]],
            ["9000000001-货款-100012345678", "9000000001-货款-100012345678#2"],
        )


if __name__ == "__main__":
    unittest.main()
