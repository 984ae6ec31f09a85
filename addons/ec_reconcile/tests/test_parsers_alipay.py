# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Alipay 账务明细 / 业务明细 and Taobao sellers' account log (parsers/alipay.py)."""

import datetime as dt
import io
import pathlib
import unittest
from decimal import Decimal

import openpyxl

from odoo.addons.ec_reconcile.parsers import (
    BillParseError,
    BillRowErrors,
    BillSource,
    get_parser,
    parse_file,
)
from odoo.addons.ec_reconcile.parsers.base import FLAG_MANGLED_ID, FLAG_UNCLASSIFIED

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
D = Decimal


def read(name):
    return (DATA / name).read_bytes()


def parse_one(name, data=None):
    bills = parse_file(name, read(name) if data is None else data)
    assert len(bills) == 1, bills
    return bills[0]


def rows(bill):
    return [
        (line.transaction_id, line.kind, line.amount, line.order_ref)
        for line in bill.lines
    ]


def by_kind(bill):
    totals = {}
    for line in bill.lines:
        totals[line.kind] = totals.get(line.kind, D(0)) + line.amount
    return totals


class TestAlipaySignCustomer(unittest.TestCase):
    def test_fixture(self):
        bill = parse_one("alipay_signcustomer.csv")
        self.assertEqual(
            (bill.bill_type, bill.platform, bill.channel),
            ("alipay_signcustomer", "alipay", "alipay"),
        )
        self.assertEqual(bill.parser_version, "1")
        self.assertEqual(
            rows(bill),
            [
                ("31000000000101", "sale", D("199.00"), "M20240301001"),
                ("31000000000102", "payment_fee", D("-1.19"), "M20240301001"),
                ("31000000000103", "sale", D("58.00"), "M20240301002"),
                ("31000000000104", "payment_fee", D("-0.35"), "M20240301002"),
                ("31000000000105", "sale", D("90.00"), "M20240301003"),
                ("31000000000106", "payment_fee", D("-0.54"), "M20240301003"),
                ("31000000000107", "refund", D("-20.00"), "M20240301001"),
                ("31000000000108", "payout", D("-300.00"), None),
            ],
        )
        self.assertEqual(bill.account, "20880123456789010156")
        self.assertEqual(bill.currency, "CNY")
        # [2024年03月01日 00:00:00] Shanghai = 2024-02-29 16:00 UTC.
        self.assertEqual(bill.period_start, dt.datetime(2024, 2, 29, 16))
        self.assertEqual(bill.period_end, dt.datetime(2024, 3, 1, 16))
        self.assertEqual(bill.opening_balance, D("1000.00"))
        self.assertEqual(bill.closing_balance, D("1024.92"))
        self.assertEqual(
            bill.declared_totals,
            {
                "income": D("347.00"),
                "income_count": 3,
                "expense": D("322.08"),  # money out, as a positive sum
                "expense_count": 5,
                "net": D("24.92"),
                "count": 8,
            },
        )
        income = sum(line.amount for line in bill.lines if line.amount > 0)
        expense = sum(line.amount for line in bill.lines if line.amount < 0)
        self.assertEqual((income, -expense), (D("347.00"), D("322.08")))
        self.assertEqual(bill.opening_balance + bill.total, bill.closing_balance)
        self.assertEqual(bill.meta["exported_at"], "2024年03月02日 10:16:05")
        first, fee = bill.lines[0], bill.lines[1]
        self.assertEqual(first.date, dt.datetime(2024, 3, 1, 1, 12, 5))
        self.assertEqual(first.related_ref, "2024030122001412340501")  # 业务流水号
        self.assertEqual(first.counterparty, "张* (138****0001)")
        self.assertEqual(first.description, "示例商品A")
        self.assertEqual(first.balance, D("1199.00"))
        self.assertEqual(first.row_number, 6)
        self.assertEqual(fee.description, "服务费[2024030122001412340501]")
        self.assertEqual(first.raw["账务流水号"], "31000000000101")  # TAB removed
        self.assertEqual(first.raw["收入金额（+元）"], "199.00")
        self.assertEqual(bill.warnings, [])

    def test_encodings_and_line_endings_give_the_same_bill(self):
        reference = parse_one("alipay_signcustomer.csv")
        text = read("alipay_signcustomer.csv").decode("gbk")
        for label, data in {
            "utf-8 BOM": b"\xef\xbb\xbf" + text.encode("utf-8"),
            "utf-8 LF": text.replace("\r\n", "\n").encode("utf-8"),
            "gb18030 LF": text.replace("\r\n", "\n").encode("gb18030"),
        }.items():
            with self.subTest(label):
                bill = parse_one("alipay_signcustomer.csv", data)
                self.assertEqual(rows(bill), rows(reference))
                self.assertEqual(bill.declared_totals, reference.declared_totals)
                self.assertEqual(bill.closing_balance, reference.closing_balance)

    def test_16_columns_other_order_and_wording(self):
        bill = parse_one("alipay_signcustomer_16col_utf8bom_lf.csv")
        self.assertEqual(bill.platform, "alipay")  # no Taobao trace
        self.assertEqual(
            rows(bill),
            [
                ("52000000000001", "sale", D("88.00"), "M2001"),
                # expense printed positive: still money out
                ("52000000000002", "payment_fee", D("-0.53"), "M2001"),
                ("52000000000003", "other", D("-87.47"), "TR0001"),
            ],
        )
        self.assertEqual(bill.lines[2].flags, [FLAG_UNCLASSIFIED])
        self.assertEqual(bill.lines[0].raw["业务描述"], "0010001|交易收款-交易收款")
        self.assertEqual(bill.opening_balance, D("500.00"))
        self.assertEqual(bill.closing_balance, D("500.00"))
        self.assertEqual(bill.declared_totals["net"], bill.total)

    def test_xlsx_copy(self):
        text = read("alipay_signcustomer.csv").decode("gbk")
        book = openpyxl.Workbook()
        for line in text.splitlines():
            book.active.append([cell.strip("\t") for cell in line.split(",")])
        buffer = io.BytesIO()
        book.save(buffer)
        bill = parse_one("alipay.xlsx", buffer.getvalue())
        reference = parse_one("alipay_signcustomer.csv")
        self.assertEqual(rows(bill), rows(reference))
        self.assertEqual(bill.declared_totals, reference.declared_totals)
        self.assertEqual(bill.closing_balance, D("1024.92"))

    def test_zip_from_the_api(self):
        bills = parse_file("bill.zip", read("alipay_20880123456789010156_20240301.zip"))
        self.assertEqual(len(bills), 1)  # the (汇总) companion is skipped
        (bill,) = bills
        self.assertTrue(bill.filename.endswith("_20240301_账务明细.csv"), bill.filename)
        self.assertEqual(
            [line.amount for line in bill.lines], [D("100.00"), D("-0.60"), D("50.00")]
        )
        self.assertEqual(bill.declared_totals["net"], D("149.40"))

    def test_mangled_ids_are_flagged_not_repaired(self):
        bill = parse_one("alipay_signcustomer_mangled.csv")
        line = bill.lines[2]
        self.assertEqual(line.transaction_id, "5.1E+13")
        self.assertEqual(line.related_ref, "2.024E+21")
        self.assertEqual(line.flags, [FLAG_MANGLED_ID])
        self.assertEqual(line.amount, D("50"))
        self.assertEqual(bill.lines[0].flags, [])

    def test_bad_cells_are_all_reported(self):
        with self.assertRaises(BillRowErrors) as caught:
            parse_one("alipay_signcustomer_bad_cells.csv")
        errors = caught.exception.errors
        self.assertEqual(caught.exception.total, 2)
        self.assertEqual(
            [(e.filename, e.row, e.field) for e in errors],
            [
                ("alipay_signcustomer_bad_cells.csv", 6, "收入金额（+元）"),
                ("alipay_signcustomer_bad_cells.csv", 8, "发生时间"),
            ],
        )
        self.assertIn("1OO.00", str(errors[0]))

    def test_truncated_files(self):
        with self.assertRaisesRegex(BillParseError, "truncated") as caught:
            parse_one("alipay_signcustomer_truncated.csv")
        self.assertEqual(caught.exception.row, 8)
        with self.assertRaisesRegex(BillParseError, "footer or summary"):
            parse_one("alipay_signcustomer_no_footer.csv")

    def test_day_without_movement(self):
        bill = parse_one("alipay_signcustomer_empty_day.csv")
        self.assertEqual(bill.lines, [])
        self.assertEqual(bill.declared_totals["count"], 0)
        self.assertEqual(bill.account, "20880123456789010156")

    def test_negative_online_payment(self):
        # An ordinary merchant paying online is not a refund (unclassified);
        # for a Taobao seller 在线支付/交易付款 are goods money, by sign.
        text = read("alipay_signcustomer.csv").decode("gbk")
        text = text.replace(
            "-1.19,1197.81,支付宝,收费", "-1.19,1197.81,支付宝,在线支付"
        )
        bill = parse_one("a.csv", text.encode("gbk"))
        self.assertEqual(bill.platform, "alipay")
        line = bill.lines[1]
        self.assertEqual((line.kind, line.flags), ("other", [FLAG_UNCLASSIFIED]))
        cases = [("T200P3712345678901234567", "交易付款", "", "-5.00", "买家")]
        self.assertEqual(parse_one("t.csv", taobao_file(cases)).lines[0].kind, "refund")

    def test_unclassified_row(self):
        bill = parse_one("alipay_signcustomer_unclassified.csv")
        (line,) = bill.lines
        self.assertEqual(
            (line.kind, line.amount, line.flags),
            ("other", D("12.34"), [FLAG_UNCLASSIFIED]),
        )


# 12-column Taobao rows (no 业务基础订单号): the tid comes from 商户订单号/备注.
TAOBAO_HEADER = (
    "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,"
    "支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注"
)


def taobao_file(rows):
    lines = [
        "#支付宝账务明细查询",
        "#账号：[20880987654321000156]",
        "#-----账务明细列表-----",
        TAOBAO_HEADER,
    ]
    balance = D("1000.00")
    for number, (merchant_no, biz_type, memo, amount, counterparty) in enumerate(rows):
        amount = D(amount)
        balance += amount
        income, expense = (amount, D("0.00")) if amount > 0 else (D("0.00"), amount)
        lines.append(
            f"6100000000{number:04d}\t,2024030300{number:04d}\t,{merchant_no}\t,\t,"
            f"2024-03-03 10:00:00,{counterparty}\t,{income},{expense},{balance},支付宝,"
            f"{biz_type},{memo}"
        )
    lines += ["#-----账务明细列表结束-----", "#支出合计：0笔，共0.00元"]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


class TestTaobao(unittest.TestCase):
    A = "3712345678901234567"
    B = "3712345678901239999"

    def test_fixture(self):
        bill = parse_one("taobao_alipay_account_log.csv")
        self.assertEqual(
            (bill.bill_type, bill.platform, bill.channel),
            ("taobao_alipay_signcustomer", "taobao", "alipay"),
        )
        self.assertEqual(
            [(line.kind, line.amount, line.order_ref) for line in bill.lines],
            [
                ("sale", D("128.00"), self.A),
                ("payment_fee", D("-0.77"), self.A),  # 花呗支付服务费
                ("commission", D("-5.12"), self.A),  # 天猫佣金, tid in {…}
                ("ads", D("-6.40"), self.A),  # 淘宝客佣金, tid in […]
                ("sale", D("59.90"), self.B),
                ("service_fee", D("-3.00"), self.B),  # 运费险, tid in (…)
                ("refund", D("-30.00"), self.A),  # 售后退款-…-T200P<tid>
                ("payout", D("-4000.00"), None),
            ],
        )
        self.assertEqual(bill.lines[0].transaction_id, "41000000000201")
        self.assertEqual(bill.opening_balance, D("5000.00"))
        self.assertEqual(bill.closing_balance, D("1142.61"))
        self.assertEqual(bill.declared_totals["expense"], D("4045.29"))
        self.assertEqual(bill.declared_totals["income"], D("187.90"))
        self.assertEqual(bill.total, D("-3857.39"))
        self.assertEqual(bill.account, "20880987654321000156")

    def test_same_file_without_the_four_new_columns(self):
        reference = parse_one("taobao_alipay_account_log.csv")
        text = read("taobao_alipay_account_log.csv").decode("gbk")
        lines = []
        for line in text.split("\r\n"):
            cells = line.split(",")
            lines.append(",".join(cells[:12]) if len(cells) == 16 else line)
        bill = parse_one("taobao12.csv", "\r\n".join(lines).encode("gbk"))
        self.assertEqual(bill.platform, "taobao")
        self.assertEqual(
            [line.order_ref for line in bill.lines],
            [line.order_ref for line in reference.lines],
        )
        self.assertEqual(
            [line.kind for line in bill.lines], [line.kind for line in reference.lines]
        )

    def test_tid_rules(self):
        tid = "3798765432101234567"
        cases = [
            ("T10000P" + tid, "交易付款", "", "10.00", "买家"),
            ("X1", "交易退款", f"保证金退款-2024-T200P{tid}", "-1.00", "买家"),
            (f"HJCAE==1==2=={tid}", "转账", "红包", "-1.00", "淘宝"),
            ("CAE2024", "转账", f"代扣{tid}", "-1.00", "淘宝"),
            (f"CAE_CHARITY_{tid}", "转账", "公益宝贝捐赠", "-1.00", "公益"),
            ("X2", "其它", f"淘宝订单号{tid}", "-1.00", "淘宝"),
            (f"CAE_POINT_X_{tid}", "其它", "积分", "-1.00", "淘宝"),
            ("X3", "交易分账", f"聚划算佣金{tid}扣款", "-1.00", "天猫"),
            ("X4", "其它", "聚划算保险保证金冻结12345678", "-1.00", "天猫"),
            ("X5", "提现", f"提现{tid}", "-1.00", "银行"),
        ]
        bill = parse_one("t.csv", taobao_file(cases))
        self.assertEqual(bill.platform, "taobao")
        self.assertEqual(
            [line.order_ref for line in bill.lines],
            [tid] * 8 + [None, None],
        )
        self.assertEqual(bill.lines[7].kind, "commission")
        self.assertEqual(bill.lines[8].kind, "deposit")

    def test_kind_rules(self):
        cases = [
            ("X", "收费", "信用卡支付服务费[1]", "-1.00", ""),
            ("X", "退费", "花呗分期服务费退回", "1.00", ""),
            ("X", "收费", "技术年费", "-1.00", ""),
            ("X", "其它", "买就返", "-1.00", ""),
            ("X", "转账", "权益红包", "-1.00", ""),
            ("X", "其它", "价格保障保险", "-1.00", ""),
            ("X", "其它", "商家保证金冻结", "-1.00", ""),
            ("X", "转账", "无货赔付", "5.00", "*天猫技术有限公司(tmall)"),
            ("X", "其它", "售后支付-1-T200P3712345678901234567", "-8.00", "买家"),
            ("X", "充值", "充值", "100.00", ""),
            ("X", "转账", "淘宝客推广佣金月度返还", "2.00", "淘宝客"),
        ]
        bill = parse_one("t.csv", taobao_file(cases))
        self.assertEqual(
            [line.kind for line in bill.lines],
            [
                "payment_fee",
                "payment_fee",
                "service_fee",
                "rebate",
                "merchant_coupon",
                "service_fee",
                "deposit",
                "adjustment",
                "refund",
                "other",
                "ads",
            ],
        )
        self.assertEqual(
            [line.flags for line in bill.lines if line.flags], []
        )  # every row classified

    def test_forced_parser_codes(self):
        # The generic preset reads the Taobao file too, keeping 商户订单号.
        data = read("taobao_alipay_account_log.csv")
        (bill,) = parse_file("t.csv", data, parser_code="alipay_signcustomer")
        self.assertEqual(bill.platform, "alipay")
        self.assertEqual(bill.lines[0].order_ref, "T200P3712345678901234567")
        # The Taobao preset does not claim an ordinary merchant's bill.
        source = BillSource("a.csv", read("alipay_signcustomer.csv"))
        self.assertEqual(get_parser("taobao_alipay_signcustomer").sniff(source), 0)


class TestAlipayTrade(unittest.TestCase):
    def test_fixture(self):
        bill = parse_one("alipay_trade.csv")
        self.assertEqual((bill.bill_type, bill.platform), ("alipay_trade", "alipay"))
        self.assertEqual(
            rows(bill),
            [
                ("2024030122001412340501", "sale", D("199.00"), "M20240301001"),
                (
                    "2024030122001412340501:fee",
                    "payment_fee",
                    D("-1.19"),
                    "M20240301001",
                ),
                ("2024030122001412340502", "sale", D("58.00"), "M20240301002"),
                (
                    "2024030122001412340502:fee",
                    "payment_fee",
                    D("-0.35"),
                    "M20240301002",
                ),
                # 订单金额 100 = 商家实收 90 + 商家优惠 10
                ("2024030122001412340503", "sale", D("100.00"), "M20240301003"),
                (
                    "2024030122001412340503:coupon",
                    "merchant_coupon",
                    D("-10.00"),
                    "M20240301003",
                ),
                (
                    "2024030122001412340503:fee",
                    "payment_fee",
                    D("-0.54"),
                    "M20240301003",
                ),
                (
                    "2024030122001412340501-R20240301001",
                    "refund",
                    D("-20.00"),
                    "M20240301001",
                ),
            ],
        )
        totals = bill.declared_totals
        self.assertEqual(totals["count"], 4)
        self.assertEqual(totals["trade_received"], D("347.00"))
        self.assertEqual(totals["refund_received"], D("-20.00"))
        self.assertEqual(totals["trade_discount"], D("10.00"))
        kinds = by_kind(bill)
        # Σ 商家实收 = sales + refunds + merchant discounts.
        self.assertEqual(
            kinds["sale"] + kinds["refund"] + kinds["merchant_coupon"],
            totals["received"],
        )
        self.assertEqual(kinds["payment_fee"], D("-2.08"))
        # Same money as the account bill of the day, payout excluded.
        account = parse_one("alipay_signcustomer.csv")
        moved = sum(line.amount for line in account.lines if line.kind != "payout")
        self.assertEqual(bill.total, moved)
        refund = bill.lines[-1]
        self.assertEqual(refund.date, dt.datetime(2024, 3, 1, 10, 20))  # 完成时间
        self.assertEqual(refund.related_ref, "2024030122001412340501")
        self.assertEqual(bill.lines[4].description, "示例商品C")

    def test_refund_fee_comes_back(self):
        text = read("alipay_trade.csv").decode("gbk")
        text = text.replace(
            ",R20240301001\t,0.00,0.00,部分退款", ",R20240301001\t,0.12,0.00,部分退款"
        )
        bill = parse_one("trade.csv", text.encode("gbk"))
        self.assertEqual(
            rows(bill)[-1],
            (
                "2024030122001412340501-R20240301001:fee",
                "payment_fee",
                D("0.12"),
                "M20240301001",
            ),
        )


if __name__ == "__main__":
    unittest.main()
