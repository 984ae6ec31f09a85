# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from decimal import Decimal

from odoo.addons.ec_connectors.clients import AuthError, ShopifyClient
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    FakeServerCase,
    ShopifyFake,
)


class TestShopifyClient(FakeServerCase):
    fake_class = ShopifyFake

    def client(self, **overrides):
        credentials = {
            "shop_domain": "fake-shop.myshopify.com",
            "access_token": self.fake.token,
            "api_version": ShopifyFake.version,
            "base_url": self.fake.url,
            "orders_since": "2024-03-05T00:00:00Z",
            "timeout": 2,
        }
        credentials.update(overrides)
        return ShopifyClient(credentials, "Shopify US", **self.client_kwargs(NOW))

    def test_good_token_authenticates(self):
        self.assertTrue(self.client().authenticate())

    def test_wrong_token_is_refused(self):
        with self.assertRaises(AuthError) as caught:
            self.client(access_token="shpat_wrong").authenticate()
        self.assertIn("shopify [Shopify US] shop: HTTP 401", str(caught.exception))

    def test_balance_transaction_pages_are_joined_byte_identical(self):
        client = self.client()
        ref = client.list_bills(BILL_DATE, BILL_DATE)[0]
        _filename, content = client.download_bill(ref)
        self.assertEqual(len(self.fake.served), 2, "4 transactions in pages of 2")
        self.assertEqual(content, b"[" + b",".join(self.fake.served) + b"]")
        nodes = [
            node
            for page in json.loads(content)
            for node in page["data"]["shopifyPaymentsAccount"]["balanceTransactions"][
                "nodes"
            ]
        ]
        self.assertEqual(
            [n["associatedOrder"]["name"] for n in nodes][:2], ["#1001", "#1002"]
        )
        search = json.loads(self.fake.requests[0].body)["variables"]["query"]
        self.assertEqual(
            search,
            "processed_at:>='2024-03-05T00:00:00Z' "
            "processed_at:<'2024-03-06T00:00:00Z'",
        )
        second = json.loads(self.fake.requests[1].body)["variables"]
        self.assertTrue(second["after"])

    def test_throttled_waits_for_the_cost_to_restore(self):
        self.fake.fail("ratelimit")
        self.assertTrue(self.client().authenticate())
        self.assertEqual(self.sleeps, [0.5])  # (52 requested - 2 available) / 100

    def test_low_bucket_slows_down_before_the_next_page(self):
        client = self.client()
        client.min_available = 1000  # the fake reports 990 available
        client.authenticate()
        self.assertEqual(self.sleeps, [0.1])

    def test_orders(self):
        client = self.client()
        first, cursor = client.list_orders()
        second, _cursor = client.list_orders(cursor)
        self.assertEqual(
            [o["order_no"] for o in first + second], ["#1001", "#1002", "#1003"]
        )
        self.assertEqual(first[0]["status"], "paid")
        self.assertEqual(first[1]["status"], "shipped")
        self.assertEqual(first[0]["amount"], Decimal("50.0"))
        self.assertEqual(first[0]["currency"], "USD")
