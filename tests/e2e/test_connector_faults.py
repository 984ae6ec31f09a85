# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Connector faults at the import level: timeouts, HTTP 5xx, rate limits,
malformed JSON in the middle of a paged download, a response whose signature
does not verify, a download that does not match its hash, an expired download
link. Each faulty pull leaves no bill row and no advanced cursor; the fault is
reported on the shop's pulled bill / sync log, and the next run imports
everything exactly once.

Client-level behaviour (retries, signing) is tested in
addons/ec_connectors/tests/test_clients_*.py; this adds what the scheduled
job makes of it. Runs on the test database (pytest-odoo), both add-ons.
"""

import datetime as dt
import unittest

import e2e_helpers as h

from odoo.tests import tagged

try:
    from odoo.addons.ec_connectors.tests.common import (
        ConnectorCase,
        stripe_items_for_days,
    )
    from odoo.addons.ec_connectors.tests.fake_servers import (
        StripeFake,
        WechatPayFake,
        private_pem,
        public_pem,
    )
except ImportError:  # ec_connectors not in this checkout
    ConnectorCase = None

DAYS = [dt.date(2024, 3, 3), dt.date(2024, 3, 4), dt.date(2024, 3, 5)]
PATH = "/v1/balance_transactions"
ROWS_PER_BILL = 7


def _installed(env):
    return "ec.connector.bill" in env.registry


if ConnectorCase is not None:

    @tagged("post_install", "-at_install")
    class TestConnectorFaults(ConnectorCase):
        @classmethod
        def setUpClass(cls):
            super().setUpClass()
            if not _installed(cls.env):
                raise unittest.SkipTest("ec_connectors is not installed")
            cls.usd = cls.env.ref("base.USD")
            cls.cny = cls.env.ref("base.CNY")
            (cls.usd | cls.cny).active = True

        # ---------------------------------------------------------- helpers

        def stripe_shop(self, name, **credentials):
            shop = self._connector_shop(
                name, "stripe", currency=self.usd, connector_bills_from=DAYS[0]
            )
            fake = self.start_fake(StripeFake)
            fake.by_created = True
            fake.page_size = 3
            fake.items = stripe_items_for_days(DAYS)
            self.connect(
                shop,
                {
                    "secret_key": fake.key,
                    "base_url": fake.url,
                    "timeout": 2,
                    "max_retries": 0,
                    **credentials,
                },
            )
            return shop, fake

        def rows(self, shop):
            return self.env["ec.settlement.line"].search([("shop_id", "=", shop.id)])

        def pulled(self, shop):
            return self.env["ec.connector.bill"].search(
                [("shop_id", "=", shop.id)], order="period"
            )

        def assert_failed_pull_left_nothing(self, shop, failed, kind):
            self.assertTrue(failed.error_message, kind)
            self.assertTrue(failed.next_try_at, "retried later, not skipped")
            self.assertFalse(failed.settlement_ids)
            self.assert_exactly_once(shop, 2 * ROWS_PER_BILL)
            day = failed.period.replace("-", "")[4:]
            self.assertFalse(
                self.rows(shop).filtered(lambda r: day in r.transaction_id),
                "no row of the failed bill",
            )
            errors = self.logs(shop, "bills").filtered(lambda log: log.state == "error")
            self.assertTrue(errors, "reported in the shop's sync log")

        def assert_exactly_once(self, shop, expected_rows):
            rows = self.rows(shop)
            ids = rows.mapped("transaction_id")
            self.assertEqual(len(ids), expected_rows)
            self.assertEqual(len(set(ids)), len(ids), "no duplicate row")
            bills = self.env["ec.settlement"].search([("shop_id", "=", shop.id)])
            self.assertEqual(len(bills), len(set(bills.mapped("file_sha256"))))
            return rows

        # ------------------------------------------------------------ tests

        def test_faulty_paged_download_imports_nothing_then_recovers(self):
            """The second bill fails after its first page: none of its rows.

            Timeouts are left to test_clients_transport.py: Odoo's test
            harness raises every HTTP timeout under 10 s to 10 s."""
            for kind in ("500", "malformed", "429"):
                with self.subTest(kind=kind):
                    shop, fake = self.stripe_shop(f"Stripe {kind}")
                    # Page 1 of bill 1, 2 of bill 1, page 1 of bill 2 pass.
                    fake.fail(kind, path=PATH, after=3)
                    self.pull_bills()
                    pulled = self.pulled(shop)
                    self.assertEqual(
                        pulled.mapped("state"), ["done", "error", "done"], kind
                    )
                    self.assert_failed_pull_left_nothing(shop, pulled[1], kind)
                    h.record(injected=1)
                    self.now += dt.timedelta(minutes=10)
                    self.pull_bills()
                    self.assertEqual(set(self.pulled(shop).mapped("state")), {"done"})
                    rows = self.assert_exactly_once(shop, 3 * ROWS_PER_BILL)
                    h.record(survived=1, lost=3 * ROWS_PER_BILL - len(rows))
                    self.now -= dt.timedelta(minutes=10)

        def wechat_shop(self, name):
            shop = self._connector_shop(
                name,
                "wechatpay",
                currency=self.cny,
                connector_bills_from=dt.date(2024, 3, 5),
            )
            fake = self.start_fake(WechatPayFake)
            self.connect(
                shop,
                {
                    "mchid": fake.mchid,
                    "serial_no": fake.serial_no,
                    "private_key": private_pem("wechat-merchant"),
                    "platform_public_key": public_pem("wechat-platform"),
                    "platform_serial": fake.platform_serial,
                    "base_url": fake.url,
                    "timeout": 2,
                    "max_retries": 0,
                },
            )
            return shop, fake

        def test_bad_response_signature_keeps_the_cursor(self):
            shop, fake = self.wechat_shop("WeChat signature")
            fake.sign_key = "someone-else"  # responses no longer verify
            self.pull_bills()
            self.assertFalse(self.pulled(shop), "nothing listed")
            self.assertFalse(shop.connector_bill_cursor, "cursor not advanced")
            self.assertFalse(self.rows(shop))
            error = self.logs(shop, "bills").filtered(lambda log: log.state == "error")
            self.assertTrue(error)
            self.assertIn("signature", error[-1].error_message.lower())
            h.record(injected=1)
            fake.sign_key = "wechat-platform"
            self.now += dt.timedelta(minutes=20)
            self.pull_bills()
            self.assertTrue(shop.connector_bill_cursor)
            self.assertEqual(set(self.pulled(shop).mapped("state")), {"done"})
            self.assertTrue(self.rows(shop))
            h.record(survived=1)

        def test_download_not_matching_its_hash_imports_nothing(self):
            shop, fake = self.wechat_shop("WeChat hash")
            fake.corrupt_download = True
            self.pull_bills()
            pulled = self.pulled(shop)
            self.assertEqual(set(pulled.mapped("state")), {"error"})
            self.assertIn("hash", pulled[0].error_message)
            self.assertFalse(self.rows(shop))
            # Listed (cursor moved with the listing), pull in error: retried.
            self.assertTrue(all(pulled.mapped("next_try_at")))
            h.record(injected=1)
            fake.corrupt_download = False
            self.now += dt.timedelta(minutes=10)
            self.pull_bills()
            self.assertEqual(set(self.pulled(shop).mapped("state")), {"done"})
            rows = self.assert_exactly_once(shop, len(self.rows(shop)))
            self.assertTrue(rows)
            h.record(survived=1)

        def test_expired_download_link_is_renewed_or_retried(self):
            shop, fake = self.wechat_shop("WeChat expiry")
            fake.expire_downloads = 1  # renewed by the client at once
            self.pull_bills()
            self.assertEqual(set(self.pulled(shop).mapped("state")), {"done"})
            first = len(self.rows(shop))
            self.assertTrue(first)
            h.record(injected=1, survived=1)
            shop2, fake2 = self.wechat_shop("WeChat renewal")
            fake2.expire_downloads = 100  # expires every time
            self.pull_bills()
            self.assertEqual(set(self.pulled(shop2).mapped("state")), {"error"})
            self.assertFalse(self.rows(shop2))
            h.record(injected=1)
            fake2.expire_downloads = 0
            self.now += dt.timedelta(minutes=10)
            self.pull_bills()
            self.assertEqual(set(self.pulled(shop2).mapped("state")), {"done"})
            self.assertEqual(len(self.assert_exactly_once(shop2, first)), first)
            h.record(survived=1)
