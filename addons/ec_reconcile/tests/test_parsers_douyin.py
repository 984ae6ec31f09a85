# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Douyin (Doudian) JSON bills: settlement detail V3 and account item flow."""

import collections
import datetime as dt
import json
import pathlib
import unittest
from decimal import Decimal

from odoo.addons.ec_reconcile.parsers import (
    KINDS,
    BillParseError,
    BillRowErrors,
    BillSource,
    parse_file,
)
from odoo.addons.ec_reconcile.parsers.base import FLAG_MANGLED_ID, FLAG_UNCLASSIFIED
from odoo.addons.ec_reconcile.parsers.douyin import (
    DouyinAccountItemParser,
    DouyinSettleBillParser,
)

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
SETTLE_FIXTURE = "douyin_settle_bill_detail_v3.json"
ACCOUNT_FIXTURE = "douyin_shop_account_item.json"
INCOME_KINDS = {"sale", "shipping_fee", "platform_coupon"}


def read(name):
    return (DATA / name).read_bytes()


def parse_one(name, data=None):
    bills = parse_file(name, read(name) if data is None else data)
    assert len(bills) == 1, bills
    return bills[0]


def by_row(bill):
    rows = collections.defaultdict(list)
    for line in bill.lines:
        rows[line.row_number].append(line)
    return rows


def fen(value):
    return Decimal(value) / 100


def envelope(rows, is_end=1):
    return {
        "code": 10000,
        "msg": "success",
        "sub_code": "",
        "sub_msg": "",
        "log_id": "TEST",
        "data": {
            "code": "100000",
            "code_msg": "",
            "data": rows,
            "size": 100,
            "data_size": len(rows),
            "is_end": is_end,
            "next_start_index": "" if is_end else "3",
            "next_start_time": "" if is_end else "2024-03-12 09:00:00",
        },
    }


def settle_rows():
    return json.loads(read(SETTLE_FIXTURE))["data"]["data"]


class TestDouyinSettleFixture(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.bill = parse_one(SETTLE_FIXTURE)

    def test_bill_header(self):
        bill = self.bill
        self.assertEqual(bill.bill_type, "douyin_settle_bill")
        self.assertEqual((bill.platform, bill.channel), ("douyin", "douyin"))
        self.assertEqual(bill.currency, "CNY")
        self.assertEqual(bill.parser_version, DouyinSettleBillParser.version)
        self.assertEqual(bill.declared_totals, {"rows": 3})
        self.assertEqual(bill.period_start, dt.datetime(2024, 3, 10, 4, 0, 0))
        self.assertEqual(bill.period_end, dt.datetime(2024, 3, 12, 1, 0, 0))
        self.assertEqual(bill.warnings, [])
        self.assertIsNone(bill.opening_balance)

    def test_lines_exactly(self):
        got = [
            (line.row_number, line.transaction_id, line.kind, line.amount)
            for line in self.bill.lines
        ]
        base1 = "S2024031000000001/6920000000000000002"
        base2 = "S2024031000000002/6920000000000000004"
        base3 = "S2024031200000001/6920000000000000002"
        self.assertEqual(
            got,
            [
                (1, f"{base1}:sale", "sale", Decimal("90.00")),
                (1, f"{base1}:platform_coupon", "platform_coupon", Decimal("3.00")),
                (1, f"{base1}:zt_pay_promotion", "platform_coupon", Decimal("1.00")),
                (1, f"{base1}:platform_service_fee", "service_fee", Decimal("-0.47")),
                (2, f"{base2}:sale", "sale", Decimal("57.00")),
                (2, f"{base2}:author_coupon", "platform_coupon", Decimal("2.00")),
                (2, f"{base2}:platform_service_fee", "service_fee", Decimal("-0.30")),
                (2, f"{base2}:commission", "commission", Decimal("-5.90")),
                (3, f"{base3}:refund", "refund", Decimal("-30.00")),
            ],
        )
        self.assertEqual(self.bill.total, Decimal("116.33"))

    def test_components_add_up_to_settle_amount(self):
        rows = settle_rows()
        grouped = by_row(self.bill)
        self.assertEqual(sorted(grouped), [1, 2, 3])
        for number, item in enumerate(rows, start=1):
            lines = grouped[number]
            self.assertEqual(
                sum(line.amount for line in lines), fen(item["settle_amount"])
            )
            if item["trade_type"] == 0:
                # income = total_income, deductions = total_outcome (§5.2)
                income = sum(line.amount for line in lines if line.kind in INCOME_KINDS)
                costs = sum(
                    line.amount for line in lines if line.kind not in INCOME_KINDS
                )
                self.assertEqual(income, fen(item["total_income"]))
                self.assertEqual(costs, -fen(item["total_outcome"]))
                # the shop coupon is already out of real_pay_amount: no line
                self.assertNotIn("merchant_coupon", {line.kind for line in lines})

    def test_line_details(self):
        first = self.bill.lines[0]
        self.assertEqual(first.order_ref, "6920000000000000001")
        self.assertEqual(first.sub_order_ref, "6920000000000000002")
        self.assertEqual(first.currency, "CNY")
        self.assertEqual(first.date, dt.datetime(2024, 3, 10, 4, 0, 0))
        self.assertEqual(first.raw["settle_amount"], 9353)
        self.assertIsInstance(first.raw["settle_amount"], int)
        self.assertIn("小店自卖", first.description)
        refund = self.bill.lines[-1]
        self.assertEqual(refund.order_ref, "6920000000000000001")
        self.assertEqual(refund.date, dt.datetime(2024, 3, 12, 1, 0, 0))
        self.assertIn("结算后退款", refund.description)
        for line in self.bill.lines:
            self.assertIn(line.kind, KINDS)
            self.assertEqual(line.flags, [])
            json.dumps(line.raw)

    def test_reparse_gives_identical_ids(self):
        again = parse_one(SETTLE_FIXTURE)
        ids = [line.transaction_id for line in self.bill.lines]
        self.assertEqual(ids, [line.transaction_id for line in again.lines])
        self.assertEqual(len(ids), len(set(ids)))

    def test_other_shapes_give_the_same_lines(self):
        document = json.loads(read(SETTLE_FIXTURE))
        shapes = {
            "bare items": document["data"]["data"],
            "data object": document["data"],
            "pages": [
                envelope(document["data"]["data"][:2], is_end=0),
                envelope(document["data"]["data"][2:]),
            ],
        }
        expected = [
            (line.transaction_id, line.kind, line.amount, line.row_number)
            for line in self.bill.lines
        ]
        for shape, content in shapes.items():
            with self.subTest(shape=shape):
                bill = parse_one("x.json", json.dumps(content).encode())
                self.assertEqual(bill.bill_type, "douyin_settle_bill")
                got = [
                    (line.transaction_id, line.kind, line.amount, line.row_number)
                    for line in bill.lines
                ]
                self.assertEqual(got, expected)


class TestDouyinAccountFixture(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.bill = parse_one(ACCOUNT_FIXTURE)

    def test_bill_header(self):
        bill = self.bill
        self.assertEqual(bill.bill_type, "douyin_account_item")
        self.assertEqual((bill.platform, bill.channel), ("douyin", "douyin"))
        self.assertEqual(bill.account, "10000001")
        self.assertEqual(bill.currency, "CNY")
        self.assertEqual(bill.declared_totals, {"rows": 4})
        self.assertEqual(bill.warnings, [])

    def test_lines(self):
        rows = by_row(self.bill)
        self.assertEqual(len(self.bill.lines), 10)
        self.assertEqual(
            [line.transaction_id for line in rows[1]],
            [
                "AS2024031012000000000001_IN:sale",
                "AS2024031012000000000001_IN:platform_coupon",
                "AS2024031012000000000001_IN:zt_pay_promotion",
                "AS2024031012000000000001_IN:platform_service_fee",
            ],
        )
        refund, payout = rows[3][0], rows[4][0]
        self.assertEqual(
            (refund.transaction_id, refund.kind, refund.amount),
            ("AS2024031209000000000003_OUT", "refund", Decimal("-30.00")),
        )
        self.assertEqual(refund.related_ref, "7300000000000000001")
        self.assertEqual(refund.order_ref, "6920000000000000001")
        self.assertEqual(refund.sub_order_ref, "6920000000000000002")
        self.assertEqual(
            (payout.transaction_id, payout.kind, payout.amount),
            ("AS2024031310000000000004_OUT", "payout", Decimal("-100.00")),
        )
        self.assertIsNone(payout.order_ref)
        self.assertEqual(payout.date, dt.datetime(2024, 3, 13, 2, 0, 0))
        # 9353 + 5280 - 3000 - 10000 fen
        self.assertEqual(self.bill.total, Decimal("16.33"))

    def test_row_sums_are_the_signed_account_amount(self):
        items = json.loads(read(ACCOUNT_FIXTURE))["data"]["data"]
        rows = by_row(self.bill)
        for number, item in enumerate(items, start=1):
            sign = 1 if item["fund_flow"] == 0 else -1
            self.assertEqual(
                sum(line.amount for line in rows[number]),
                sign * fen(item["account_amount"]),
            )

    def test_same_components_as_the_settlement_bill(self):
        """Two views of the same money: per sub-order, the same split."""
        settle = parse_one(SETTLE_FIXTURE)

        def split(bill, sub_order):
            return sorted(
                (line.kind, line.transaction_id.rsplit(":", 1)[-1], line.amount)
                for line in bill.lines
                if line.sub_order_ref == sub_order and line.amount > -30
            )

        for sub_order in ("6920000000000000002", "6920000000000000004"):
            with self.subTest(sub_order=sub_order):
                self.assertEqual(split(self.bill, sub_order), split(settle, sub_order))


class TestDouyinMadeFiles(unittest.TestCase):
    def test_settle_pages(self):
        bill = parse_one("douyin_settle_pages.json")
        self.assertEqual(bill.bill_type, "douyin_settle_bill")
        self.assertEqual(bill.declared_totals, {"rows": 5})
        rows = by_row(bill)
        self.assertEqual(sorted(rows), [1, 2, 3, 4, 5])  # numbered across pages
        items = [
            item
            for page in json.loads(read("douyin_settle_pages.json"))
            for item in page["data"]["data"]
        ]
        for number, item in enumerate(items, start=1):
            self.assertEqual(
                sum(line.amount for line in rows[number]), fen(item["settle_amount"])
            )
        first = {line.transaction_id.rsplit(":", 1)[1]: line for line in rows[1]}
        # JSON integer ids beyond 2**53 stay exact
        self.assertEqual(first["sale"].order_ref, "6930000000000000011")
        self.assertEqual(first["sale"].sub_order_ref, "6930000000000000012")
        self.assertEqual(first["sale"].amount, Decimal("93.00"))
        self.assertEqual(first["shipping"].kind, "shipping_fee")
        self.assertEqual(first["shipping"].amount, Decimal("8.00"))
        # real_pay_amount stated before the shop coupon: the coupon is a line
        self.assertEqual(first["merchant_coupon"].kind, "merchant_coupon")
        self.assertEqual(first["merchant_coupon"].amount, Decimal("-10.00"))
        self.assertEqual(first["channel_fee"].kind, "commission")
        self.assertEqual(first["colonel_service_fee"].kind, "commission")
        self.assertEqual(first["channel_promotion_fee"].kind, "ads")
        self.assertEqual(first["other_sharing"].kind, "other")
        self.assertEqual(first["zr_pay_promotion"].kind, "platform_coupon")
        self.assertEqual(
            [(line.kind, line.amount) for line in rows[2]],
            [("deposit", Decimal("50.00"))],
        )
        self.assertEqual(
            [(line.kind, line.amount) for line in rows[3]],
            [("refund", Decimal("-12.00"))],
        )
        other = rows[4][-1]
        self.assertEqual((other.kind, other.amount), ("other", Decimal("-0.30")))
        self.assertIn(FLAG_UNCLASSIFIED, other.flags)
        unexplained = rows[5][-1]
        self.assertEqual(
            (unexplained.kind, unexplained.amount), ("adjustment", Decimal("-0.10"))
        )
        self.assertIn(FLAG_UNCLASSIFIED, unexplained.flags)
        self.assertEqual(len(bill.warnings), 1)
        self.assertIn("row 5", bill.warnings[0])

    def test_account_bare_items(self):
        bill = parse_one("douyin_account_items_bare.json")
        self.assertEqual(bill.bill_type, "douyin_account_item")
        self.assertEqual(bill.account, "10000002")
        self.assertEqual(bill.declared_totals, {})
        rows = by_row(bill)
        summary = {
            number: [(line.kind, line.amount) for line in lines]
            for number, lines in rows.items()
        }
        self.assertEqual(
            summary,
            {
                1: [("deposit", Decimal("-2000.00"))],
                2: [("ads", Decimal("-500.00"))],
                3: [("other", Decimal("12.34"))],
                4: [("payout", Decimal("100.00"))],  # withdrawal bounced back
                5: [("sale", Decimal("10.00"))],  # net: fields do not close
                6: [("adjustment", Decimal("-5.00"))],
                7: [("sale", Decimal("50.00")), ("refund", Decimal("-3.00"))],
            },
        )
        self.assertEqual(rows[3][0].flags, [FLAG_UNCLASSIFIED])
        self.assertEqual(rows[5][0].transaction_id, "AS2024040512000000000015_IN")
        self.assertEqual(rows[5][0].order_ref, "6930000000000000091")
        self.assertEqual(len(bill.warnings), 1)
        self.assertIn("row 5", bill.warnings[0])
        mangled = rows[6][0]
        self.assertEqual(mangled.flags, [FLAG_MANGLED_ID])
        self.assertEqual(mangled.order_ref, "6.92e+18")  # flagged, never repaired
        self.assertEqual(mangled.raw["order_id"], 6.92e18)
        for line in bill.lines:
            self.assertIn(line.kind, KINDS)
            json.dumps(line.raw)

    def test_error_envelope(self):
        with self.assertRaises(BillParseError) as caught:
            parse_file("douyin_error.json", read("douyin_error.json"))
        error = caught.exception
        self.assertNotIsInstance(error, BillRowErrors)
        self.assertEqual(error.filename, "douyin_error.json")
        self.assertIn("40004", str(error))
        self.assertIn("access_token已过期", str(error))

    def test_inner_error_and_error_page(self):
        bad = envelope([])
        bad["data"].update(code="200001", code_msg="参数 start_time 不合法")
        for content in (bad, [envelope(settle_rows()), bad]):
            with self.assertRaises(BillParseError) as caught:
                DouyinSettleBillParser().parse(
                    BillSource("p.json", json.dumps(content).encode())
                )
            self.assertIn("参数 start_time 不合法", str(caught.exception))
            self.assertIn("p.json", str(caught.exception))

    def test_bad_rows_are_reported_together(self):
        with self.assertRaises(BillRowErrors) as caught:
            parse_file(
                "douyin_settle_bad_rows.json", read("douyin_settle_bad_rows.json")
            )
        error = caught.exception
        self.assertEqual(error.filename, "douyin_settle_bad_rows.json")
        self.assertEqual(error.total, 3)
        self.assertEqual(
            [(item.row, item.field) for item in error.errors],
            [(1, "settle_amount"), (3, "platform_service_fee"), (4, "request_no")],
        )
        for item in error.errors:
            self.assertEqual(item.filename, "douyin_settle_bad_rows.json")
        self.assertIn("row 1, field 'settle_amount'", str(error))
        self.assertIn("93.5x", str(error))

    def test_row_errors_are_capped(self):
        rows = [dict(settle_rows()[0], settle_amount="x") for _ in range(150)]
        for number, row in enumerate(rows):
            row["request_no"] = f"S{number}"
        with self.assertRaises(BillRowErrors) as caught:
            parse_file("many.json", json.dumps(envelope(rows)).encode())
        self.assertEqual(caught.exception.total, 150)
        self.assertEqual(len(caught.exception.errors), 100)

    def test_truncated_json(self):
        with self.assertRaises(BillParseError) as caught:
            parse_file(
                "douyin_settle_truncated.json", read("douyin_settle_truncated.json")
            )
        self.assertIn("douyin_settle_truncated.json", str(caught.exception))
        self.assertIn("truncated", str(caught.exception))

    def test_incomplete_paging_is_a_warning(self):
        bill = parse_one("p.json", json.dumps(envelope(settle_rows(), 0)).encode())
        self.assertEqual(len(bill.lines), 9)
        self.assertTrue(any("is_end=0" in warning for warning in bill.warnings))

    def test_repeated_row_across_pages_is_skipped(self):
        rows = settle_rows()
        pages = [envelope(rows[:2], 0), envelope(rows[1:])]
        bill = parse_one("p.json", json.dumps(pages).encode())
        self.assertEqual(bill.total, Decimal("116.33"))
        self.assertTrue(any("row 3" in warning for warning in bill.warnings))
        # 2 + 2 rows stated, one skipped: the count still agrees
        self.assertEqual(bill.declared_totals, {"rows": 3})
        self.assertEqual(len({line.row_number for line in bill.lines}), 3)
        # the same key with different content is an error
        changed = dict(rows[1], settle_amount=1)
        pages = [envelope(rows[:2], 0), envelope([changed])]
        with self.assertRaises(BillRowErrors) as caught:
            parse_file("p.json", json.dumps(pages).encode())
        self.assertEqual(caught.exception.errors[0].row, 3)

    def test_empty_first_page_does_not_hide_the_bill_type(self):
        account_rows = json.loads(read(ACCOUNT_FIXTURE))["data"]["data"]
        pages = [envelope([], 0), envelope(account_rows)]
        bill = parse_one("p.json", json.dumps(pages).encode())
        self.assertEqual(bill.bill_type, "douyin_account_item")
        self.assertEqual(bill.total, Decimal("16.33"))
        empty = parse_one("e.json", json.dumps(envelope([])).encode())
        self.assertEqual(empty.lines, [])

    def test_wrong_item_type_in_a_settle_bill(self):
        account = json.loads(read(ACCOUNT_FIXTURE))["data"]["data"][0]
        content = envelope([settle_rows()[0], account])
        with self.assertRaises(BillRowErrors) as caught:
            parse_file("mixed.json", json.dumps(content).encode())
        self.assertEqual(caught.exception.errors[0].row, 2)

    def test_sniff(self):
        settle = BillSource("a.json", read(SETTLE_FIXTURE))
        account = BillSource("b.json", read(ACCOUNT_FIXTURE))
        self.assertGreater(DouyinSettleBillParser.sniff(settle), 0)
        self.assertEqual(DouyinAccountItemParser.sniff(settle), 0)
        self.assertGreater(DouyinAccountItemParser.sniff(account), 0)
        self.assertEqual(DouyinSettleBillParser.sniff(account), 0)
        others = [
            read("wechat_channels_funds_flow.json"),
            read("stripe_balance_transactions.json"),
            b'{"foo": 1}',
            b"[]",
            b"[1, 2]",
            "订单号,金额\n1,2\n".encode(),
            json.dumps(
                {"code": 10000, "msg": "success", "data": {"shop_order_list": []}}
            ).encode(),
        ]
        for data in others:
            source = BillSource("x", data)
            with self.subTest(data=data[:30]):
                self.assertEqual(DouyinSettleBillParser.sniff(source), 0)
                self.assertEqual(DouyinAccountItemParser.sniff(source), 0)

    def test_fen_amount_must_be_whole(self):
        row = dict(settle_rows()[0], settle_amount=93.53)  # yuan sent as fen
        with self.assertRaises(BillRowErrors) as caught:
            parse_file("yuan.json", json.dumps([row]).encode())
        self.assertEqual(caught.exception.errors[0].field, "settle_amount")


if __name__ == "__main__":
    unittest.main()
