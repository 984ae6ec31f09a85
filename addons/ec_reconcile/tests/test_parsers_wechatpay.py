# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""WeChat Pay trade bill and fund-flow bill (parsers/wechatpay.py)."""

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


def lines_of(bill):
    return [
        (line.kind, line.amount, line.order_ref, line.related_ref)
        for line in bill.lines
    ]


def total_of(bill, *kinds):
    return sum((line.amount for line in bill.lines if line.kind in kinds), D(0))


class TestTradeBill(unittest.TestCase):
    def test_all_fixture(self):
        bill = parse_one("wechatpay_tradebill_all.csv")
        self.assertEqual(
            (bill.bill_type, bill.platform, bill.channel),
            ("wechatpay_tradebill", "wechatpay", "wechatpay"),
        )
        self.assertEqual(bill.meta["variant"], "ALL")
        txn1 = "4200002024030100000000000001"
        txn2 = "4200002024030100000000000002"
        self.assertEqual(
            lines_of(bill),
            [
                ("sale", D("88.00"), "W20240301001", txn1),
                ("payment_fee", D("-0.53"), "W20240301001", txn1),
                ("sale", D("120.00"), "W20240301002", txn2),  # 订单金额
                ("merchant_coupon", D("-10.00"), "W20240301002", txn2),  # 代金券
                ("payment_fee", D("-0.66"), "W20240301002", txn2),
                # the refund row: 退款金额, its own WeChat refund id
                (
                    "refund",
                    D("-30.00"),
                    "W20240301001",
                    "50300000002024030100000000000001",
                ),
            ],
        )
        totals = bill.declared_totals
        self.assertEqual(totals["count"], 3)
        self.assertEqual(totals["settled"], total_of(bill, "sale", "merchant_coupon"))
        self.assertEqual(totals["gross"], total_of(bill, "sale"))
        # as printed: money out of the merchant's view, positive
        self.assertEqual(totals["refund"], -total_of(bill, "refund"))
        self.assertEqual(totals["fee"], -total_of(bill, "payment_fee"))
        self.assertEqual(totals["net"], bill.total)
        self.assertEqual(bill.total, D("166.81"))
        line = bill.lines[0]
        self.assertEqual(line.date, dt.datetime(2024, 3, 1, 2, 1, 2))
        self.assertEqual(line.currency, "CNY")
        self.assertEqual(line.counterparty, "oSynth_openid_0001")
        self.assertEqual(line.description, "示例商品X")
        self.assertEqual(line.raw["微信订单号"], txn1)  # backtick removed
        self.assertEqual(line.raw["费率"], "0.60%")
        self.assertIsNone(bill.opening_balance)
        # Hash ids: the fee line belongs to the same row id.
        self.assertEqual(
            bill.lines[1].transaction_id, bill.lines[0].transaction_id + ":fee"
        )
        self.assertTrue(bill.lines[0].transaction_id.endswith("-1"))

    def test_fundflow_agrees_with_the_tradebill(self):
        trade = parse_one("wechatpay_tradebill_all.csv")
        flow = parse_one("wechatpay_fundflow_basic.csv")
        self.assertEqual(trade.total, flow.total)
        self.assertEqual(
            {line.related_ref for line in trade.lines},
            {line.related_ref for line in flow.lines},
        )

    def test_ids_are_stable_across_bill_types(self):
        # A payment has the same id in the ALL bill and in a SUCCESS bill
        # (微信退款单号 "0" and missing count alike).
        all_bill = parse_one("wechatpay_tradebill_all.csv")
        success_text = read("wechatpay_tradebill_all.csv").decode("utf-8-sig")
        lines = success_text.split("\r\n")
        header = lines[0].split(",")
        keep = [
            i
            for i, name in enumerate(header)
            if name
            not in {
                "微信退款单号",
                "商户退款单号",
                "退款金额",
                "充值券退款金额",
                "退款类型",
                "退款状态",
                "申请退款金额",
            }
        ]
        rebuilt = [",".join(header[i] for i in keep)]
        for line in lines[1:3]:
            cells = line[1:].split(",`")
            rebuilt.append("`" + ",`".join(cells[i] for i in keep))
        rebuilt += [
            "总交易单数,应结订单总金额,手续费总金额,订单总金额",
            "`2,`198.00,`1.19000,`208.00",
        ]
        success = parse_one(
            "s.csv", ("\ufeff" + "\r\n".join(rebuilt) + "\r\n").encode()
        )
        self.assertEqual(success.meta["variant"], "SUCCESS")
        self.assertEqual(
            [line.transaction_id for line in success.lines],
            [line.transaction_id for line in all_bill.lines[:5]],
        )

    def test_success_bill_with_comma_in_product(self):
        bill = parse_one("wechatpay_tradebill_success.csv")
        self.assertEqual(bill.meta["variant"], "SUCCESS")
        self.assertEqual(bill.lines[0].description, "示例商品,大号")
        self.assertEqual(
            [(line.kind, line.amount) for line in bill.lines],
            [
                ("sale", D("60.00")),
                ("payment_fee", D("-0.36")),
                ("sale", D("50.00")),
                ("merchant_coupon", D("-5.00")),
                ("payment_fee", D("-0.27")),
            ],
        )
        self.assertEqual(
            bill.declared_totals,
            {
                "count": 2,
                "settled": D("105.00"),
                "fee": D("0.63"),
                "gross": D("110.00"),
                "net": D("104.37"),
            },
        )
        self.assertEqual(bill.total, bill.declared_totals["net"])
        self.assertEqual(bill.lines[2].raw["商户数据包"], "order=SO042")

    def test_refund_bill_fee_given_back(self):
        bill = parse_one("wechatpay_tradebill_refund.csv")
        self.assertEqual(bill.meta["variant"], "REFUND")
        self.assertEqual(
            lines_of(bill),
            [
                (
                    "refund",
                    D("-60.00"),
                    "W20240302001",
                    "50300000002024030200000000000001",
                ),
                (
                    "payment_fee",
                    D("0.36"),
                    "W20240302001",
                    "50300000002024030200000000000001",
                ),
            ],
        )
        self.assertEqual(bill.declared_totals["fee"], D("-0.36"))  # as printed
        self.assertEqual(bill.declared_totals["net"], bill.total)
        self.assertEqual(bill.warnings, [])

    def test_legacy_layout(self):
        bill = parse_one("wechatpay_tradebill_legacy.csv")
        self.assertEqual(
            [(line.kind, line.amount) for line in bill.lines],
            [("sale", D("30.00")), ("payment_fee", D("-0.18"))],  # 总金额, no coupon
        )
        self.assertEqual(bill.declared_totals["settled"], D("30.00"))  # 总交易额
        self.assertEqual(bill.declared_totals["net"], bill.total)

    def test_unknown_status_is_flagged(self):
        text = read("wechatpay_tradebill_all.csv").decode("utf-8-sig")
        text = text.replace("`NATIVE,`SUCCESS", "`NATIVE,`NOTPAY", 1)
        bill = parse_one("t.csv", text.encode("utf-8-sig"))
        line = bill.lines[2]
        self.assertEqual((line.kind, line.flags), ("other", ["unclassified"]))

    def test_missing_summary_means_truncated(self):
        text = read("wechatpay_tradebill_all.csv").decode("utf-8-sig")
        text = text[: text.index("总交易单数")]
        with self.assertRaisesRegex(BillParseError, "truncated"):
            parse_one("t.csv", text.encode("utf-8-sig"))

    def test_bad_amount(self):
        text = read("wechatpay_tradebill_all.csv").decode("utf-8-sig")
        text = text.replace("`0.66,", "`0,66x,", 1)
        with self.assertRaises(BillParseError) as caught:
            parse_one("t.csv", text.encode("utf-8-sig"))
        self.assertEqual((caught.exception.row, caught.exception.field), (3, "手续费"))


class TestFundFlow(unittest.TestCase):
    def test_basic_fixture(self):
        bill = parse_one("wechatpay_fundflow_basic.csv")
        self.assertEqual(
            (bill.bill_type, bill.platform), ("wechatpay_fundflow", "wechatpay")
        )
        self.assertEqual(
            [(line.transaction_id, line.kind, line.amount) for line in bill.lines],
            [
                ("1900000001202403010000000001", "sale", D("88.00")),
                ("1900000001202403010000000002", "payment_fee", D("-0.53")),
                ("1900000001202403010000000003", "sale", D("110.00")),
                ("1900000001202403010000000004", "payment_fee", D("-0.66")),
                ("1900000001202403010000000005", "refund", D("-30.00")),
            ],
        )
        self.assertEqual(bill.opening_balance, D("500.00"))
        self.assertEqual(bill.closing_balance, D("666.81"))
        self.assertEqual(
            bill.declared_totals,
            {
                "count": 5,
                "income_count": 2,
                "income": D("198.00"),
                "expense_count": 3,
                "expense": D("31.19"),
                "net": D("166.81"),
            },
        )
        self.assertEqual(bill.total, bill.declared_totals["net"])
        refund = bill.lines[-1]
        self.assertEqual(refund.related_ref, "50300000002024030100000000000001")
        self.assertEqual(refund.raw["业务凭证号"], "REF4200002024030100000000000001")
        self.assertEqual(refund.balance, D("666.81"))
        self.assertEqual(refund.description, "部分退款")

    def test_full_width_header_and_withdrawal(self):
        bill = parse_one("wechatpay_fundflow_operation.csv")
        self.assertEqual(
            [(line.kind, line.amount) for line in bill.lines],
            [("sale", D("60.00")), ("payout", D("-700.00"))],
        )
        self.assertEqual(bill.opening_balance, D("666.81"))
        self.assertEqual(bill.closing_balance, D("26.81"))
        self.assertEqual(bill.declared_totals["count"], 2)  # printed "2.0"

    def test_unknown_direction_is_an_error(self):
        text = read("wechatpay_fundflow_basic.csv").decode("utf-8-sig")
        text = text.replace("`收入,`88.00", "`入账,`88.00")
        with self.assertRaises(BillParseError) as caught:
            parse_one("f.csv", text.encode("utf-8-sig"))
        self.assertEqual(
            (caught.exception.row, caught.exception.field), (2, "收支类型")
        )


if __name__ == "__main__":
    unittest.main()
