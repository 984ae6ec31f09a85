# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from decimal import Decimal

from odoo.addons.ec_connectors.clients import (
    AuthError,
    JdClient,
    UnsupportedOperationError,
)
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    FakeServerCase,
    JdFake,
)


class TestJdClient(FakeServerCase):
    fake_class = JdFake

    def client(self, **overrides):
        credentials = {
            "app_key": self.fake.app_key,
            "app_secret": self.fake.secret,
            "access_token": self.fake.token,
            # placeholder: JD's native settlement method name is unconfirmed
            "bill_method": JdFake.bill_method,
            "base_url": self.fake.url + "/routerjson",
            "orders_since": "2024-03-05T00:00:00+08:00",
            "timeout": 2,
        }
        credentials.update(overrides)
        client = JdClient(credentials, "JD POP", **self.client_kwargs(NOW))
        client.page_size = 5
        return client

    def test_good_signature_authenticates(self):
        self.assertTrue(self.client().authenticate())

    def test_wrong_secret_is_refused(self):
        with self.assertRaises(AuthError) as caught:
            self.client(app_secret="wrong").authenticate()
        self.assertIn("Invalid signature", str(caught.exception))

    def test_wrong_token_is_refused(self):
        with self.assertRaises(AuthError) as caught:
            self.client(access_token="stale").authenticate()
        self.assertIn("19", str(caught.exception))

    def test_bill_pages_are_joined_byte_identical(self):
        client = self.client()
        refs = client.list_bills(BILL_DATE, BILL_DATE)
        _filename, content = client.download_bill(refs[0])
        self.assertEqual(len(self.fake.served), 2, "8 rows in pages of 5")
        self.assertEqual(content, b"[" + b",".join(self.fake.served) + b"]")
        node = "jingdong_example_settlement_query_responce"
        rows = [r for p in json.loads(content) for r in p[node]["result"]["data"]]
        self.assertEqual(len(rows), 8)
        self.assertEqual(rows[0]["单据编号"], "9000000001")

    def test_bills_need_a_configured_method(self):
        client = self.client(bill_method="")
        with self.assertRaises(UnsupportedOperationError):
            client.list_bills(BILL_DATE, BILL_DATE)

    def test_orders(self):
        client = self.client()
        client.page_size = 2
        orders, cursor = client.list_orders()
        more, cursor = client.list_orders(cursor)
        rest, _cursor = client.list_orders(cursor)
        self.assertEqual(rest, [])
        numbers = [o["order_no"] for o in orders + more]
        self.assertEqual(numbers, ["300012345671", "300012345672", "300012345673"])
        self.assertEqual(orders[0]["status"], "paid")
        self.assertEqual(more[0]["status"], "shipped")
        self.assertEqual(orders[0]["lines"][0]["sku"], "JD-SKU-1")
        self.assertEqual(orders[0]["amount"], Decimal("101.00"))
