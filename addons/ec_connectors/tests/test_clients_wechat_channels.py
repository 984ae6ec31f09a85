# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from decimal import Decimal

from odoo.addons.ec_connectors.clients import AuthError, WechatChannelsClient
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    FakeServerCase,
    WechatChannelsFake,
    fixture_json,
)


class TestWechatChannelsClient(FakeServerCase):
    fake_class = WechatChannelsFake

    def client(self, **overrides):
        credentials = {
            "appid": self.fake.appid,
            "secret": self.fake.secret,
            "base_url": self.fake.url,
            "orders_since": "2024-03-05T08:00:00+08:00",
            "timeout": 2,
        }
        credentials.update(overrides)
        return WechatChannelsClient(
            credentials, "Channels shop", **self.client_kwargs(NOW)
        )

    def test_good_secret_obtains_a_token(self):
        client = self.client()
        self.assertTrue(client.authenticate())
        self.assertTrue(client.token_state["access_token"].startswith("ch-token-"))

    def test_wrong_secret_is_refused(self):
        with self.assertRaises(AuthError) as caught:
            self.client(secret="wrong").authenticate()
        self.assertIn("40125", str(caught.exception))

    def test_funds_flow_bill_pages_list_then_details(self):
        client = self.client()
        ref = client.list_bills(BILL_DATE, BILL_DATE)[0]
        _filename, content = client.download_bill(ref)
        list_path = "/channels/ec/funds/getfundsflowlist"
        self.assertEqual(self.fake.hits(list_path), 2, "5 flow ids in pages of 3")
        pages = [r for r in self.fake.requests if r.path == list_path]
        self.assertEqual(pages[1].json()["next_key"], "key-2")
        self.assertEqual(content, b"[" + b",".join(self.fake.served) + b"]")
        expected = fixture_json("wechat_channels_funds_flow.json")["getfundsflowdetail"]
        self.assertEqual(json.loads(content), expected)

    def test_token_is_cached_and_refreshed_once_when_expired(self):
        client = self.client()
        client.list_orders()
        self.assertEqual(self.fake.hits("/cgi-bin/stable_token"), 1, "cached")
        self.fake.expire_tokens()
        orders, _cursor = client.list_orders()
        self.assertEqual(self.fake.hits("/cgi-bin/stable_token"), 2)
        self.assertTrue(orders)

    def test_orders(self):
        client = self.client()
        first, cursor = client.list_orders()
        second, _cursor = client.list_orders(cursor)
        self.assertEqual((len(first), len(second)), (2, 1))
        self.assertEqual(first[0]["order_no"], "371200000000000001")
        self.assertEqual(first[0]["status"], "paid")
        self.assertEqual(first[1]["status"], "shipped")
        self.assertEqual(first[0]["amount"], Decimal("129"))
        self.assertEqual(first[0]["lines"][0]["sku"], "CH-1")
