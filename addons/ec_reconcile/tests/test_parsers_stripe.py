# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stripe ``GET /v1/balance_transactions`` JSON responses."""

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
from odoo.addons.ec_reconcile.parsers.base import FLAG_UNCLASSIFIED
from odoo.addons.ec_reconcile.parsers.stripe import (
    StripeBalanceTransactionsParser,
    minor_unit_scale,
)

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
FIXTURE = "stripe_balance_transactions.json"


def read(name):
    return (DATA / name).read_bytes()


def parse_one(name, data=None):
    bills = parse_file(name, read(name) if data is None else data)
    assert len(bills) == 1, bills
    return bills[0]


def summary(bill):
    return [(line.transaction_id, line.kind, line.amount) for line in bill.lines]


def listing(rows, has_more=False):
    return {
        "object": "list",
        "url": "/v1/balance_transactions",
        "has_more": has_more,
        "data": rows,
    }


def txn(**values):
    row = {
        "id": "txn_test",
        "object": "balance_transaction",
        "amount": 1000,
        "available_on": 1709683200,
        "created": 1709510400,
        "currency": "usd",
        "description": None,
        "exchange_rate": None,
        "fee": 0,
        "fee_details": [],
        "net": 1000,
        "reporting_category": "charge",
        "source": "ch_test",
        "status": "available",
        "type": "charge",
    }
    row.update(values)
    return row


class TestStripeFixture(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.bill = parse_one(FIXTURE)

    def test_bill_header(self):
        bill = self.bill
        self.assertEqual(bill.bill_type, "stripe_balance_transactions")
        self.assertEqual((bill.platform, bill.channel), ("stripe", "stripe"))
        self.assertEqual(bill.currency, "USD")
        self.assertEqual(bill.period_start, dt.datetime(2024, 3, 4, 0, 0, 0))
        self.assertEqual(bill.period_end, dt.datetime(2024, 3, 7, 0, 0, 0))
        self.assertEqual(bill.warnings, [])
        self.assertIsNone(bill.opening_balance)

    def test_lines_exactly(self):
        self.assertEqual(
            summary(self.bill),
            [
                ("txn_synth000000000000000005", "payout", Decimal("-142.47")),
                ("txn_synth000000000000000004", "service_fee", Decimal("-2.00")),
                ("txn_synth000000000000000003", "refund", Decimal("-20.00")),
                ("txn_synth000000000000000002", "sale", Decimal("120.00")),
                (
                    "txn_synth000000000000000002:stripe_fee",
                    "payment_fee",
                    Decimal("-3.78"),
                ),
                ("txn_synth000000000000000001", "sale", Decimal("50.00")),
                (
                    "txn_synth000000000000000001:stripe_fee",
                    "payment_fee",
                    Decimal("-1.75"),
                ),
            ],
        )
        self.assertEqual(
            [line.row_number for line in self.bill.lines], [1, 2, 3, 4, 4, 5, 5]
        )

    def test_net_sum_is_zero_and_rows_equal_net(self):
        self.assertEqual(self.bill.total, Decimal("0.00"))
        rows = collections.defaultdict(Decimal)
        for line in self.bill.lines:
            rows[line.row_number] += line.amount
        items = json.loads(read(FIXTURE))["data"]
        for number, item in enumerate(items, start=1):
            self.assertEqual(rows[number], Decimal(item["net"]) / 100)

    def test_references(self):
        lines = {line.transaction_id: line for line in self.bill.lines}
        charge = lines["txn_synth000000000000000002"]
        fee = lines["txn_synth000000000000000002:stripe_fee"]
        self.assertEqual(charge.order_ref, "ch_synth000000000000000002")
        self.assertEqual(fee.order_ref, "ch_synth000000000000000002")
        self.assertEqual(fee.related_ref, "txn_synth000000000000000002")
        self.assertEqual(fee.description, "Stripe processing fees")
        refund = lines["txn_synth000000000000000003"]
        self.assertIsNone(refund.order_ref)  # source not expanded
        self.assertEqual(refund.related_ref, "re_synth000000000000000001")
        payout = lines["txn_synth000000000000000005"]
        self.assertEqual(payout.related_ref, "po_synth000000000000000001")
        self.assertEqual(payout.date, dt.datetime(2024, 3, 7, 0, 0, 0))
        self.assertEqual(charge.date, dt.datetime(2024, 3, 4, 1, 0, 0))
        for line in self.bill.lines:
            self.assertIn(line.kind, KINDS)
            self.assertEqual(line.currency, "USD")
            self.assertEqual(line.flags, [])
            json.dumps(line.raw)

    def test_other_shapes_give_the_same_lines(self):
        document = json.loads(read(FIXTURE))
        rows = document["data"]
        shapes = {
            "bare list": rows,
            "pages": [
                listing(rows[:2], True),
                listing(rows[2:4], True),
                listing(rows[4:]),
            ],
        }
        for shape, content in shapes.items():
            with self.subTest(shape=shape):
                bill = parse_one("saved.json", json.dumps(content).encode())
                self.assertEqual(summary(bill), summary(self.bill))
                self.assertEqual(bill.warnings, [])

    def test_reparse_gives_identical_ids(self):
        again = parse_one(FIXTURE)
        ids = [line.transaction_id for line in self.bill.lines]
        self.assertEqual(ids, [line.transaction_id for line in again.lines])
        self.assertEqual(len(ids), len(set(ids)))


class TestStripeMadeFiles(unittest.TestCase):
    def test_zero_decimal_pages(self):
        bill = parse_one("stripe_pages_jpy.json")
        self.assertEqual(bill.currency, "JPY")
        self.assertEqual(
            summary(bill),
            [
                ("txn_jp000000000000000000005", "refund", Decimal("-1000")),
                ("txn_jp000000000000000000004", "sale", Decimal("5000")),
                (
                    "txn_jp000000000000000000004:stripe_fee",
                    "payment_fee",
                    Decimal("-165"),
                ),
                ("txn_jp000000000000000000004:tax", "tax", Decimal("-15")),
                ("txn_jp000000000000000000003", "other", Decimal("100")),
                ("txn_jp000000000000000000002", "payout", Decimal("3000")),
                ("txn_jp000000000000000000001", "payout", Decimal("-3000")),
            ],
        )
        self.assertEqual(
            [line.row_number for line in bill.lines], [1, 2, 2, 2, 3, 4, 5]
        )
        refund, charge, fee, tax, unknown, bounced, payout = bill.lines
        # expanded sources: the order number from metadata, charge and refund
        self.assertEqual(charge.order_ref, "SO-JP-0001")
        self.assertEqual(charge.related_ref, "ch_jp000000000000000000001")
        self.assertEqual(refund.order_ref, "SO-JP-0001")
        self.assertEqual(refund.related_ref, "re_jp000000000000000000001")
        self.assertEqual(tax.order_ref, "SO-JP-0001")
        self.assertEqual(unknown.flags, [FLAG_UNCLASSIFIED])
        self.assertEqual(bounced.related_ref, "po_jp000000000000000000001")
        self.assertEqual(bill.total, Decimal("3920"))
        self.assertEqual(bill.warnings, [])

    def test_minor_unit_scales(self):
        self.assertEqual(minor_unit_scale("JPY"), 1)
        self.assertEqual(minor_unit_scale("KRW"), 1)
        self.assertEqual(minor_unit_scale("USD"), 100)
        self.assertEqual(minor_unit_scale("ISK"), 100)  # special case: 2 in the API
        self.assertEqual(minor_unit_scale("KWD"), 1000)

    def test_three_decimal_currency(self):
        row = txn(currency="kwd", amount=12340, fee=370, net=11970)
        bill = parse_one("kwd.json", json.dumps(listing([row])).encode())
        self.assertEqual(bill.currency, "KWD")
        self.assertEqual(
            summary(bill),
            [
                ("txn_test", "sale", Decimal("12.340")),
                ("txn_test:fee", "payment_fee", Decimal("-0.370")),
            ],
        )

    def test_fee_details_in_another_currency(self):
        row = txn(
            amount=1000,
            fee=59,
            net=941,
            fee_details=[{"amount": 55, "currency": "eur", "type": "stripe_fee"}],
        )
        bill = parse_one("fx.json", json.dumps([row]).encode())
        self.assertEqual(
            summary(bill),
            [
                ("txn_test", "sale", Decimal("10.00")),
                ("txn_test:fee", "payment_fee", Decimal("-0.59")),
            ],
        )

    def test_mixed_currencies(self):
        rows = [txn(), txn(id="txn_eur", currency="eur")]
        bill = parse_one("mixed.json", json.dumps(listing(rows)).encode())
        self.assertIsNone(bill.currency)
        self.assertEqual([line.currency for line in bill.lines], ["USD", "EUR"])
        self.assertTrue(any("currencies" in warning for warning in bill.warnings))

    def test_has_more_on_the_last_page_is_a_warning(self):
        bill = parse_one("more.json", json.dumps(listing([txn()], True)).encode())
        self.assertTrue(any("has_more" in warning for warning in bill.warnings))

    def test_overlapping_pages(self):
        rows = json.loads(read(FIXTURE))["data"]
        pages = [listing(rows[:3], True), listing(rows[2:])]
        bill = parse_one("overlap.json", json.dumps(pages).encode())
        self.assertEqual(len(bill.lines), 7)
        self.assertEqual(bill.total, Decimal("0.00"))
        self.assertTrue(any("row 4" in warning for warning in bill.warnings))
        changed = dict(rows[2], description="changed")
        pages = [listing(rows[:3], True), listing([changed])]
        with self.assertRaises(BillRowErrors) as caught:
            parse_file("overlap.json", json.dumps(pages).encode())
        self.assertEqual(caught.exception.errors[0].row, 4)

    def test_fee_type_row_has_no_fee_lines(self):
        row = txn(
            amount=-200,
            net=-200,
            type="stripe_fee",
            reporting_category="fee",
            source=None,
        )
        bill = parse_one("fee.json", json.dumps(listing([row])).encode())
        self.assertEqual(summary(bill), [("txn_test", "service_fee", Decimal("-2.00"))])

    def test_error_envelope(self):
        with self.assertRaises(BillParseError) as caught:
            parse_file("stripe_error.json", read("stripe_error.json"))
        self.assertNotIsInstance(caught.exception, BillRowErrors)
        self.assertIn("Expired API Key provided", str(caught.exception))
        self.assertIn("stripe_error.json", str(caught.exception))

    def test_bad_rows_are_reported_together(self):
        with self.assertRaises(BillRowErrors) as caught:
            parse_file("stripe_bad_rows.json", read("stripe_bad_rows.json"))
        error = caught.exception
        self.assertEqual(error.total, 3)
        self.assertEqual(
            [(item.row, item.field) for item in error.errors],
            [(1, "amount"), (2, "net"), (3, "currency")],
        )
        self.assertIn("stripe_bad_rows.json, row 1, field 'amount'", str(error))

    def test_truncated_json(self):
        with self.assertRaises(BillParseError) as caught:
            parse_file("cut.json", read(FIXTURE)[:700])
        self.assertIn("cut.json", str(caught.exception))
        self.assertIn("truncated", str(caught.exception))

    def test_sniff(self):
        parser = StripeBalanceTransactionsParser
        self.assertGreater(parser.sniff(BillSource("a", read(FIXTURE))), 0)
        others = [
            read("douyin_settle_bill_detail_v3.json"),
            read("wechat_channels_funds_flow.json"),
            json.dumps(
                {
                    "object": "list",
                    "url": "/v1/customers",
                    "data": [],
                    "has_more": False,
                }
            ).encode(),
            b'{"error": "not found"}',
            b'{"foo": 1}',
            b"[]",
            b"Date,Time,TimeZone,Name,Type\r\n",
        ]
        for data in others:
            with self.subTest(data=data[:30]):
                self.assertEqual(parser.sniff(BillSource("x", data)), 0)


if __name__ == "__main__":
    unittest.main()
