# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.addons.ec_connectors.clients import (
    AuthError,
    StripeClient,
    UnsupportedOperationError,
)
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    FakeServerCase,
    StripeFake,
    fixture_json,
)


class TestStripeClient(FakeServerCase):
    fake_class = StripeFake

    def client(self, **overrides):
        credentials = {"secret_key": self.fake.key, "base_url": self.fake.url}
        credentials["timeout"] = 2
        credentials.update(overrides)
        return StripeClient(credentials, "Stripe EU", **self.client_kwargs(NOW))

    def test_good_key_authenticates(self):
        self.assertTrue(self.client().authenticate())

    def test_wrong_key_is_refused_without_echoing_it(self):
        wrong = "sk_test_wrong_key_0000009999"
        with self.assertRaises(AuthError) as caught:
            self.client(secret_key=wrong).authenticate()
        self.assertNotIn(wrong, str(caught.exception))

    def test_balance_transaction_pages_are_joined_byte_identical(self):
        client = self.client()
        ref = client.list_bills(BILL_DATE, BILL_DATE)[0]
        _filename, content = client.download_bill(ref)
        self.assertEqual(len(self.fake.served), 2, "5 transactions in pages of 3")
        self.assertEqual(content, b"[" + b",".join(self.fake.served) + b"]")
        items = [i for page in json.loads(content) for i in page["data"]]
        self.assertEqual(
            items, fixture_json("stripe_balance_transactions.json")["data"]
        )
        second = [r for r in self.fake.requests if "starting_after" in r.query]
        self.assertEqual(second[0].query["starting_after"], items[2]["id"])
        self.assertEqual(second[0].query["created[gte]"], "1709596800")

    def test_http_429_honours_retry_after(self):
        self.fake.fail("429")
        self.assertTrue(self.client().authenticate())
        self.assertEqual(self.sleeps, [7.0])

    def test_no_order_api(self):
        with self.assertRaises(UnsupportedOperationError):
            self.client().list_orders()
