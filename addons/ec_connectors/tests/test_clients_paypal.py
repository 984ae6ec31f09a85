# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.addons.ec_connectors.clients import AuthError, PaypalClient
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    FakeServerCase,
    PaypalFake,
)


class TestPaypalClient(FakeServerCase):
    fake_class = PaypalFake

    def client(self, **overrides):
        credentials = {
            "client_id": self.fake.client_id,
            "client_secret": self.fake.secret,
            "base_url": self.fake.url,
            "timeout": 2,
        }
        credentials.update(overrides)
        return PaypalClient(credentials, "PayPal", **self.client_kwargs(NOW))

    def test_client_credentials_token(self):
        client = self.client()
        self.assertTrue(client.authenticate())
        self.assertEqual(client.token_state["access_token"], "A21AA-paypal-1")

    def test_wrong_secret_is_refused(self):
        with self.assertRaises(AuthError) as caught:
            self.client(client_secret="wrong").authenticate()
        self.assertIn("invalid_client", str(caught.exception))

    def test_transaction_pages_are_joined_byte_identical(self):
        client = self.client()
        ref = client.list_bills(BILL_DATE, BILL_DATE)[0]
        _filename, content = client.download_bill(ref)
        self.assertEqual(len(self.fake.served), 2, "4 transactions in pages of 2")
        self.assertEqual(content, b"[" + b",".join(self.fake.served) + b"]")
        pages = json.loads(content)
        self.assertEqual([p["page"] for p in pages], [1, 2])
        calls = [
            r for r in self.fake.requests if r.path == "/v1/reporting/transactions"
        ]
        self.assertEqual(calls[0].query["start_date"], "2024-03-05T00:00:00Z")
        self.assertEqual(calls[0].query["end_date"], "2024-03-05T23:59:59Z")

    def test_token_cached_and_refreshed_once_when_expired(self):
        client = self.client()
        ref = client.list_bills(BILL_DATE, BILL_DATE)[0]
        client.download_bill(ref)
        self.assertEqual(self.fake.hits("/v1/oauth2/token"), 1)
        self.fake.expire_tokens()
        client.download_bill(ref)
        self.assertEqual(self.fake.hits("/v1/oauth2/token"), 2)
