# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from decimal import Decimal

from odoo.addons.ec_connectors.clients import (
    AuthError,
    RetryableError,
    TaobaoClient,
)
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    FakeServerCase,
    TaobaoFake,
)


class TestTaobaoClient(FakeServerCase):
    fake_class = TaobaoFake

    def client(self, **overrides):
        credentials = {
            "app_key": self.fake.app_key,
            "app_secret": self.fake.secret,
            "session": self.fake.session,
            "base_url": self.fake.url + "/router/rest",
            "orders_since": "2024-03-05T00:00:00+08:00",
            "timeout": 2,
        }
        credentials.update(overrides)
        client = TaobaoClient(credentials, "Tmall store", **self.client_kwargs(NOW))
        client.page_size = 2
        client.bill_page_size = 3
        return client

    def test_every_sign_method_authenticates(self):
        for method in ("md5", "hmac", "hmac-sha256"):
            with self.subTest(sign_method=method):
                self.assertTrue(self.client(sign_method=method).authenticate())

    def test_wrong_secret_is_refused(self):
        for method in ("md5", "hmac-sha256"):
            with self.subTest(sign_method=method):
                client = self.client(app_secret="wrong-secret", sign_method=method)
                with self.assertRaises(AuthError) as caught:
                    client.authenticate()
                self.assertIn("25 Invalid signature", str(caught.exception))

    def test_wrong_session_is_refused(self):
        with self.assertRaises(AuthError) as caught:
            self.client(session="expired-session").authenticate()
        self.assertIn("Invalid session", str(caught.exception))

    def test_bill_pages_are_joined_byte_identical(self):
        client = self.client()
        refs = client.list_bills(BILL_DATE, BILL_DATE)
        self.assertEqual(len(refs), 1)
        _filename, content = client.download_bill(refs[0])
        self.assertEqual(len(self.fake.served), 2, "5 bills in pages of 3")
        self.assertEqual(content, b"[" + b",".join(self.fake.served) + b"]")
        pages = json.loads(content)
        bids = [
            b["bid"]
            for p in pages
            for b in p["bill_bills_get_response"]["bills"]["bill"]
        ]
        self.assertEqual(bids, [9001, 9002, 9003, 9004, 9005])

    def test_app_call_limited_waits_the_announced_ban(self):
        self.fake.fail("ratelimit")
        self.assertTrue(self.client().authenticate())
        self.assertEqual(self.sleeps, [2.0])

    def _drain(self, client, cursor=None):
        seen = []
        while True:
            orders, cursor = client.list_orders(cursor)
            if not orders:
                return seen, cursor
            seen.extend(orders)

    def test_orders_are_normalized_and_paged(self):
        orders, cursor = self._drain(self.client())
        self.assertEqual(len(orders), 5)
        first = orders[0]
        self.assertEqual(first["order_no"], "3712345678901234001")
        self.assertEqual(first["status"], "paid")
        self.assertEqual(orders[1]["status"], "shipped")
        self.assertEqual(first["amount"], Decimal("10.50"))
        self.assertEqual(
            first["lines"],
            [
                {
                    "sub_order_no": "3712345678901235001",
                    "sku": "SKU-1",
                    "quantity": 1,
                    "price": Decimal("10.50"),
                }
            ],
        )
        self.assertEqual(json.loads(cursor)["since"][:10], "2024-03-20")

    def test_failed_run_resumes_from_the_cursor_without_gap_or_duplicate(self):
        client = self.client(max_retries=1)
        first, cursor = client.list_orders(None)
        self.assertEqual(len(first), 2)
        self.fake.fail("500", times=2)  # the next page fails on both attempts
        with self.assertRaises(RetryableError):
            client.list_orders(cursor)
        rest, _cursor = self._drain(self.client(), cursor)  # a new run
        numbers = [o["order_no"] for o in first + rest]
        self.assertEqual(len(numbers), 5)
        self.assertEqual(len(set(numbers)), 5)
