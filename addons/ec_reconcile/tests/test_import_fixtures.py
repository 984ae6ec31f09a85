# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every shared fixture through the real import path, then all of them again."""

import pathlib

from odoo.tests import tagged

from ..parsers import parse_file
from .common import EcReconcileCase

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"

# The shared fixtures (byte-identical copies of shared/fixtures/bills).
SHARED_FIXTURES = (
    "alipay_signcustomer.csv",
    "alipay_trade.csv",
    "taobao_alipay_account_log.csv",
    "wechatpay_tradebill_all.csv",
    "wechatpay_fundflow_basic.csv",
    "jd_settlement_detail.csv",
    "pdd_account_detail.csv",
    "douyin_settle_bill_detail_v3.json",
    "douyin_shop_account_item.json",
    "wechat_channels_funds_flow.json",
    "shopify_payment_transactions.csv",
    "amazon_settlement_v2.tsv",
    "stripe_balance_transactions.json",
    "paypal_activity.csv",
)


@tagged("post_install", "-at_install")
class TestImportFixtures(EcReconcileCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shops = {}
        cls.expected = {}
        for name in SHARED_FIXTURES:
            parsed = parse_file(name, (DATA / name).read_bytes())
            cls.expected[name] = parsed
            bill = parsed[0]
            currency = (
                cls.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", bill.currency or "CNY")])
            )
            currency.active = True
            # One shop per platform, channel and currency, like a real seller.
            key = (bill.platform, bill.currency)
            if key not in cls.shops:
                cls.shops[key] = cls._create_shop(
                    f"{bill.platform} {bill.currency}",
                    code=f"{bill.platform[:6]}{len(cls.shops)}",
                    platform=bill.platform,
                    currency_id=currency.id,
                )

    def _shop(self, name):
        bill = self.expected[name][0]
        return self.shops[(bill.platform, bill.currency)]

    def test_every_fixture_imports_exactly_its_rows(self):
        Settlement = self.env["ec.settlement"]
        for name in SHARED_FIXTURES:
            with self.subTest(fixture=name):
                data = (DATA / name).read_bytes()
                bills = Settlement._import_file(name, data, shop=self._shop(name))
                parsed = self.expected[name]
                self.assertEqual(len(bills), len(parsed))
                for bill, expected in zip(bills, parsed, strict=True):
                    self.assertEqual(bill.state, "parsed", bill.error_message)
                    self.assertEqual(bill.bill_type, expected.bill_type)
                    self.assertEqual(bill.parsed_count, len(expected.lines))
                    self.assertEqual(
                        bill.line_count + bill.duplicate_count, len(expected.lines)
                    )
                    self.assertNotEqual(
                        bill.consistency, "mismatch", bill.consistency_message
                    )
                    stored = {
                        (line.transaction_id, line.kind, round(line.amount, 2))
                        for line in bill.line_ids
                    }
                    wanted = {
                        (line.transaction_id, line.kind, round(float(line.amount), 2))
                        for line in expected.lines
                    }
                    self.assertLessEqual(stored, wanted)
                    self.assertEqual(bill.attachment_id.raw, data)

    def test_reimporting_everything_adds_nothing(self):
        Settlement = self.env["ec.settlement"]
        Line = self.env["ec.settlement.line"]
        for name in SHARED_FIXTURES:
            Settlement._import_file(
                name, (DATA / name).read_bytes(), shop=self._shop(name)
            )
        rows, bills = Line.search_count([]), Settlement.search_count([])
        self.assertGreater(rows, 60)
        for name in SHARED_FIXTURES:
            again = Settlement._import_file(
                name, (DATA / name).read_bytes(), shop=self._shop(name)
            )
            self.assertTrue(again.env.context.get("ec_already_imported"), name)
        self.assertEqual(Line.search_count([]), rows)
        self.assertEqual(Settlement.search_count([]), bills)
