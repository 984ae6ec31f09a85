# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from decimal import Decimal

from odoo.addons.ec_connectors.clients import AmazonClient, AuthError
from odoo.addons.ec_connectors.tests.fake_servers import (
    NOW,
    AmazonFake,
    FakeServerCase,
    fixture_bytes,
)


class TestAmazonClient(FakeServerCase):
    fake_class = AmazonFake

    def client(self, **overrides):
        credentials = {
            "lwa_client_id": self.fake.client_id,
            "lwa_client_secret": self.fake.secret,
            "refresh_token": self.fake.refresh_token,
            "marketplace_ids": "ATVPDKIKX0DER",
            "base_url": self.fake.url,
            "token_url": self.fake.url + "/auth/o2/token",
            "orders_since": "2024-03-05T00:00:00Z",
            "timeout": 2,
        }
        credentials.update(overrides)
        return AmazonClient(credentials, "Amazon US", **self.client_kwargs(NOW))

    def test_lwa_token(self):
        client = self.client()
        self.assertTrue(client.authenticate())
        self.assertEqual(client.token_state["access_token"], "Atza|access-1")

    def test_wrong_client_secret_is_refused(self):
        with self.assertRaises(AuthError) as caught:
            self.client(lwa_client_secret="wrong").authenticate()
        self.assertIn("invalid_client", str(caught.exception))

    def test_settlement_reports_paged_and_gunzipped(self):
        client = self.client()
        refs = client.list_bills("2024-03-01", "2024-03-19")
        self.assertEqual(len(refs), 3, "3 reports in pages of 2")
        self.assertEqual(self.fake.hits("/reports/2021-06-30/reports"), 2)
        self.assertEqual(refs[0].period, "2024-02-20..2024-03-05")
        filename, content = client.download_bill(refs[0])
        self.assertEqual(filename, "amazon_settlement_50000.tsv")
        self.assertEqual(content, fixture_bytes("amazon_settlement_v2.tsv"))

    def test_expired_document_url_asks_for_a_new_one(self):
        client = self.client()
        ref = client.list_bills("2024-03-01", "2024-03-19")[0]
        self.fake.expire_documents = 1
        _filename, content = client.download_bill(ref)
        self.assertEqual(content, fixture_bytes("amazon_settlement_v2.tsv"))
        path = "/reports/2021-06-30/documents/amzn1.spdoc.1.4.na.0"
        self.assertEqual(self.fake.hits(path), 2)

    def test_expired_access_token_is_refreshed_once(self):
        client = self.client()
        client.list_bills("2024-03-01", "2024-03-19")
        self.fake.expire_tokens()
        refs = client.list_bills("2024-03-01", "2024-03-19")
        self.assertEqual(len(refs), 3)
        self.assertEqual(self.fake.hits("/auth/o2/token"), 2)

    def test_quota_exceeded_then_success(self):
        self.fake.fail("ratelimit", path="/reports/2021-06-30/reports")
        refs = self.client().list_bills("2024-03-01", "2024-03-19")
        self.assertEqual(len(refs), 3)
        self.assertEqual(self.sleeps, [1.0])

    def test_orders_with_items(self):
        client = self.client()
        first, cursor = client.list_orders()
        second, _cursor = client.list_orders(cursor)
        self.assertEqual((len(first), len(second)), (2, 1))
        order = first[0]
        self.assertEqual(order["order_no"], "111-0000001-0000001")
        self.assertEqual(order["status"], "shipped")
        self.assertEqual(order["amount"], Decimal("29.99"))
        self.assertEqual(
            order["lines"],
            [
                {
                    "sub_order_no": "111-0000001-0000001-1",
                    "sku": "AMZ-SKU",
                    "quantity": 2,
                    "price": Decimal("29.99"),
                }
            ],
        )
