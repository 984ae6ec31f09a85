# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from decimal import Decimal

from odoo.addons.ec_connectors.clients import AuthError, DouyinClient
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    DouyinFake,
    FakeServerCase,
    fixture_json,
)


class TestDouyinClient(FakeServerCase):
    fake_class = DouyinFake

    def client(self, **overrides):
        credentials = {
            "app_key": self.fake.app_key,
            "app_secret": self.fake.secret,
            "shop_id": self.fake.shop_id,
            "base_url": self.fake.url,
            "orders_since": "2024-03-05T08:00:00+08:00",
            "timeout": 2,
        }
        credentials.update(overrides)
        client = DouyinClient(credentials, "Douyin shop", **self.client_kwargs(NOW))
        client.page_size = 2
        return client

    def test_good_signature_obtains_a_token(self):
        for sign_method in ("hmac-sha256", "md5"):
            with self.subTest(sign_method=sign_method):
                client = self.client(sign_method=sign_method)
                self.assertTrue(client.authenticate())
                self.assertTrue(client.token_state["access_token"])

    def test_wrong_secret_is_refused(self):
        with self.assertRaises(AuthError) as caught:
            self.client(app_secret="wrong").authenticate()
        self.assertIn("douyin [Douyin shop] token.create", str(caught.exception))

    def test_settlement_bill_pages_are_joined_byte_identical(self):
        client = self.client()
        refs = client.list_bills(BILL_DATE, BILL_DATE)
        self.assertEqual([r.bill_type for r in refs], ["settle", "account_item"])
        expected = {
            "settle": "douyin_settle_bill_detail_v3.json",
            "account_item": "douyin_shop_account_item.json",
        }
        for ref in refs:
            self.fake.served.clear()
            _filename, content = client.download_bill(ref)
            self.assertEqual(len(self.fake.served), 2, "fixture items in 2 pages")
            self.assertEqual(content, b"[" + b",".join(self.fake.served) + b"]")
            items = [i for page in json.loads(content) for i in page["data"]["data"]]
            fixture = fixture_json(expected[ref.bill_type])["data"]["data"]
            self.assertEqual(items, fixture)

    def test_expired_token_is_refreshed_once(self):
        client = self.client()
        client.authenticate()
        old = client.token_state["access_token"]
        self.fake.expire_tokens()
        orders, _cursor = client.list_orders()
        self.assertTrue(orders)
        self.assertNotEqual(client.token_state["access_token"], old)
        self.assertEqual(self.fake.hits("/token/refresh"), 1)

    def test_token_refused_after_refresh_is_an_auth_error(self):
        client = self.client(access_token="dy-never-issued")
        with self.assertRaises(AuthError):
            client.list_orders()

    def test_orders(self):
        client = self.client()
        first, cursor = client.list_orders()
        second, cursor = client.list_orders(cursor)
        self.assertEqual((len(first), len(second)), (2, 1))
        order = first[0]
        self.assertEqual(order["order_no"], "6920000000000000010")
        self.assertEqual(order["status"], "paid")
        self.assertEqual(order["amount"], Decimal("99.01"))
        self.assertEqual(order["lines"][0]["price"], Decimal("99"))
        self.assertEqual(second[0]["status"], "shipped")
