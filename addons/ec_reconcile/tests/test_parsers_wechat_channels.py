# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""WeChat Shop / Channels funds flow (getfundsflowlist + getfundsflowdetail)."""

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
from odoo.addons.ec_reconcile.parsers.wechat_channels import (
    WechatChannelsFundsFlowParser,
)

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
FIXTURE = "wechat_channels_funds_flow.json"


def read(name):
    return (DATA / name).read_bytes()


def parse_one(name, data=None):
    bills = parse_file(name, read(name) if data is None else data)
    assert len(bills) == 1, bills
    return bills[0]


def fixture_details():
    return json.loads(read(FIXTURE))["getfundsflowdetail"]


def summary(bill):
    return [(line.transaction_id, line.kind, line.amount) for line in bill.lines]


class TestWechatChannelsFixture(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.bill = parse_one(FIXTURE)

    def test_bill_header(self):
        bill = self.bill
        self.assertEqual(bill.bill_type, "wechat_channels_funds_flow")
        self.assertEqual(
            (bill.platform, bill.channel), ("wechat_channels", "wechat_channels")
        )
        self.assertEqual(bill.currency, "CNY")
        self.assertEqual(bill.declared_totals, {"rows": 5})
        # the list request's window, Unix seconds → naive UTC
        self.assertEqual(bill.period_start, dt.datetime(2024, 3, 11, 16, 0, 0))
        self.assertEqual(bill.period_end, dt.datetime(2024, 3, 15, 15, 59, 59))
        self.assertEqual(bill.warnings, [])

    def test_lines_exactly(self):
        self.assertEqual(
            summary(self.bill),
            [
                ("10000000000000101", "sale", Decimal("129.00")),
                ("10000000000000102", "payment_fee", Decimal("-1.29")),
                ("10000000000000103", "commission", Decimal("-6.45")),
                ("10000000000000104", "refund", Decimal("-39.00")),
                ("10000000000000105", "payout", Decimal("-500.00")),
            ],
        )
        self.assertEqual([line.row_number for line in self.bill.lines], [1, 2, 3, 4, 5])

    def test_balances_100000_to_58226_fen(self):
        bill = self.bill
        self.assertEqual(bill.opening_balance, Decimal("1000.00"))
        self.assertEqual(bill.closing_balance, Decimal("582.26"))
        self.assertEqual(bill.opening_balance + bill.total, bill.closing_balance)
        self.assertEqual(
            [line.balance for line in bill.lines],
            [
                Decimal("1129.00"),
                Decimal("1127.71"),
                Decimal("1121.26"),
                Decimal("1082.26"),
                Decimal("582.26"),
            ],
        )

    def test_references_and_dates(self):
        sale, fee, commission, refund, payout = self.bill.lines
        for line in (sale, fee, commission, refund):
            self.assertEqual(line.order_ref, "3712000000000000001")
        self.assertEqual(sale.related_ref, "4200002024030500000000000101")
        self.assertEqual(refund.related_ref, "1900000000000001")  # after-sale id
        self.assertIn("含手续费0.39元", refund.description)
        self.assertIsNone(payout.order_ref)
        self.assertEqual(payout.related_ref, "W2024031400000001")
        self.assertEqual(sale.date, dt.datetime(2024, 3, 12, 2, 0, 0))
        self.assertEqual(payout.date, dt.datetime(2024, 3, 14, 1, 0, 0))
        for line in self.bill.lines:
            self.assertIn(line.kind, KINDS)
            self.assertEqual(line.currency, "CNY")
            self.assertEqual(line.flags, [])
            self.assertEqual(line.raw["flow_id"], line.transaction_id)
            json.dumps(line.raw)

    def test_connector_shapes_give_the_same_lines(self):
        details = fixture_details()
        shapes = {
            "detail responses": details,
            "flow objects": [detail["funds_flow"] for detail in details],
            "one detail response": details[0],
        }
        for shape, content in shapes.items():
            with self.subTest(shape=shape):
                bill = parse_one("saved.json", json.dumps(content).encode())
                expected = summary(self.bill)
                if shape == "one detail response":
                    expected = expected[:1]
                self.assertEqual(summary(bill), expected)
                self.assertEqual(bill.opening_balance, Decimal("1000.00"))

    def test_reparse_gives_identical_ids(self):
        again = parse_one(FIXTURE)
        self.assertEqual(
            [line.transaction_id for line in again.lines],
            [line.transaction_id for line in self.bill.lines],
        )

    def test_missing_detail_is_a_warning(self):
        document = json.loads(read(FIXTURE))
        del document["getfundsflowdetail"][2]
        bill = parse_one("partial.json", json.dumps(document).encode())
        self.assertEqual(len(bill.lines), 4)
        self.assertEqual(bill.declared_totals, {"rows": 5})
        self.assertTrue(any("10000000000000103" in w for w in bill.warnings))
        # a flow missing in the middle breaks the balance chain
        self.assertIsNone(bill.opening_balance)
        self.assertTrue(any("chain" in w for w in bill.warnings))


class TestWechatChannelsMadeFiles(unittest.TestCase):
    def test_detail_pages(self):
        bill = parse_one("wechat_channels_detail_pages.json")
        self.assertEqual(
            summary(bill),
            [
                ("10000000000000201", "sale", Decimal("50.00")),
                ("10000000000000202", "other", Decimal("1.00")),
                ("10000000000000203", "payout", Decimal("-200.00")),
                ("10000000000000204", "payout", Decimal("200.00")),  # 提现失败退票
            ],
        )
        sale, unknown, payout, bounce = bill.lines
        self.assertEqual(unknown.flags, [FLAG_UNCLASSIFIED])
        self.assertEqual(sale.flags, [])
        # bookkeeping_time taken from related_info_list, and as Unix seconds
        self.assertEqual(sale.date, dt.datetime(2024, 4, 2, 0, 0, 0))
        self.assertEqual(payout.date, dt.datetime(2024, 4, 3, 0, 0, 0))
        self.assertEqual(bounce.related_ref, "W2024040300000001")
        self.assertEqual(bill.declared_totals, {"rows": 4})
        self.assertEqual(bill.opening_balance, Decimal("200.00"))
        self.assertEqual(bill.closing_balance, Decimal("251.00"))
        self.assertEqual(bill.opening_balance + bill.total, bill.closing_balance)
        self.assertEqual(bill.warnings, [])

    def test_newest_first_flow_objects_with_number_ids(self):
        bill = parse_one("wechat_channels_flows_newest_first.json")
        self.assertEqual(
            [line.transaction_id for line in bill.lines],
            ["10000000000000303", "10000000000000302", "10000000000000301"],
        )
        self.assertEqual(bill.lines[0].order_ref, "3712000000000000301")
        self.assertEqual(bill.opening_balance, Decimal("0.00"))
        self.assertEqual(bill.closing_balance, Decimal("121.26"))

    def test_repeated_flow_is_skipped(self):
        details = fixture_details()
        bill = parse_one("dup.json", json.dumps(details + details[-1:]).encode())
        self.assertEqual(len(bill.lines), 5)
        self.assertEqual(bill.closing_balance, Decimal("582.26"))
        self.assertTrue(any("row 6" in warning for warning in bill.warnings))

    def test_float_id_is_flagged(self):
        # an SDK that decoded the id as a double and wrote it back
        flow = dict(fixture_details()[0]["funds_flow"], flow_id=1.0000000000000101e16)
        data = json.dumps([flow]).encode()
        self.assertIn(b'"flow_id": 1.00000000000001e+16', data)
        bill = parse_one("float.json", data)
        self.assertEqual(bill.lines[0].flags, [FLAG_MANGLED_ID])
        self.assertEqual(bill.lines[0].transaction_id, "1.00000000000001e+16")

    def test_error_envelope(self):
        with self.assertRaises(BillParseError) as caught:
            parse_file("wechat_channels_error.json", read("wechat_channels_error.json"))
        self.assertNotIsInstance(caught.exception, BillRowErrors)
        self.assertIn("40001", str(caught.exception))
        self.assertIn("invalid credential", str(caught.exception))
        self.assertIn("wechat_channels_error.json", str(caught.exception))

    def test_error_inside_a_list_of_details(self):
        details = fixture_details()
        details[1] = {"errcode": 10020006, "errmsg": "flow not exist"}
        with self.assertRaises(BillParseError) as caught:
            parse_file("list.json", json.dumps(details).encode())
        self.assertIn("flow not exist", str(caught.exception))

    def test_list_only_is_a_clear_error(self):
        document = json.loads(read(FIXTURE))["getfundsflowlist"]["response"]
        with self.assertRaises(BillParseError) as caught:
            parse_file("ids.json", json.dumps(document).encode())
        self.assertIn("getfundsflowdetail", str(caught.exception))

    def test_bad_rows_are_reported_together(self):
        with self.assertRaises(BillRowErrors) as caught:
            parse_file(
                "wechat_channels_bad_rows.json", read("wechat_channels_bad_rows.json")
            )
        error = caught.exception
        self.assertEqual(error.total, 2)
        self.assertEqual(
            [(item.row, item.field) for item in error.errors],
            [(1, "amount"), (2, "flow_type")],
        )
        self.assertIn(
            "wechat_channels_bad_rows.json, row 1, field 'amount'", str(error)
        )

    def test_truncated_json(self):
        data = read(FIXTURE)[:900]
        with self.assertRaises(BillParseError) as caught:
            parse_file("cut.json", data)
        self.assertIn("cut.json", str(caught.exception))
        self.assertIn("truncated", str(caught.exception))

    def test_sniff(self):
        parser = WechatChannelsFundsFlowParser
        self.assertGreater(parser.sniff(BillSource("a", read(FIXTURE))), 0)
        others = [
            read("douyin_settle_bill_detail_v3.json"),
            read("douyin_shop_account_item.json"),
            read("stripe_balance_transactions.json"),
            b'{"errcode": 0, "errmsg": "ok", "order_list": []}',
            b'{"foo": 1}',
            b"[]",
            b"\xef\xbb\xbf\xe8\xae\xb0\xe8\xb4\xa6\xe6\x97\xb6\xe9\x97\xb4,x\r\n",
        ]
        for data in others:
            with self.subTest(data=data[:30]):
                self.assertEqual(parser.sniff(BillSource("x", data)), 0)


if __name__ == "__main__":
    unittest.main()
