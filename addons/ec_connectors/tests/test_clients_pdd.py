# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import datetime as dt
from decimal import Decimal

from odoo.addons.ec_connectors.clients import AuthError, PddClient
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    FakeServerCase,
    PddFake,
    fixture_bytes,
)

# 2024-03-05 12:00 Beijing time: a few 30-minute windows after the orders.
PDD_NOW = dt.datetime(2024, 3, 5, 4, 0, tzinfo=dt.timezone.utc)


class TestPddClient(FakeServerCase):
    fake_class = PddFake

    def client(self, now=NOW, **overrides):
        credentials = {
            "client_id": self.fake.client_id,
            "client_secret": self.fake.secret,
            "access_token": self.fake.token,
            "base_url": self.fake.url + "/api/router",
            "orders_since": "2024-03-05T08:50:00+08:00",
            "timeout": 2,
        }
        credentials.update(overrides)
        client = PddClient(credentials, "PDD shop", **self.client_kwargs(now))
        client.page_size = 2
        return client

    def test_good_signature_authenticates(self):
        self.assertTrue(self.client().authenticate())

    def test_wrong_secret_is_refused(self):
        with self.assertRaises(AuthError) as caught:
            self.client(client_secret="wrong").authenticate()
        self.assertIn("10017", str(caught.exception))

    def test_daily_bill_download_is_byte_identical(self):
        client = self.client()
        refs = client.list_bills(BILL_DATE, BILL_DATE)
        filename, content = client.download_bill(refs[0])
        self.assertEqual(filename, "pdd_daily_bill_20240305.csv")
        self.assertEqual(content, fixture_bytes("pdd_account_detail.csv"))

    def test_rate_limit_then_success(self):
        self.fake.fail("ratelimit")
        self.assertTrue(self.client().authenticate())
        self.assertEqual(self.sleeps, [1.0])

    def test_orders_in_two_pages(self):
        client = self.client(now=PDD_NOW)
        first, cursor = client.list_orders()
        second, cursor = client.list_orders(cursor)
        last, _cursor = client.list_orders(cursor)
        self.assertEqual((len(first), len(second), last), (2, 2, []))
        by_no = {o["order_no"]: o for o in first + second}
        self.assertEqual(by_no["240305-123456789012341"]["status"], "paid")
        self.assertEqual(by_no["240305-123456789012343"]["status"], "shipped")
        self.assertEqual(by_no["240305-123456789012344"]["status"], "refunded")
        self.assertEqual(by_no["240305-123456789012341"]["amount"], Decimal("50.9"))
