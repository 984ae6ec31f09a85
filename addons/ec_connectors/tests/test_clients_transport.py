# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Behaviour shared by every client: retries, errors, logging, secrets."""

import logging
import unittest

from odoo.addons.ec_connectors.clients import (
    CLIENTS,
    AuthError,
    BillRef,
    ConnectorError,
    MalformedResponseError,
    RemoteError,
    RetryableError,
    StripeClient,
    get_client,
)
from odoo.addons.ec_connectors.clients import base as client_base
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    AmazonFake,
    DouyinFake,
    FakeServerCase,
    StripeFake,
    TaobaoFake,
    WechatChannelsFake,
    WechatPayFake,
    private_pem,
    public_pem,
)


class TestRetries(FakeServerCase):
    fake_class = StripeFake

    def client(self, **overrides):
        credentials = {"secret_key": self.fake.key, "base_url": self.fake.url}
        credentials["timeout"] = 2
        credentials.update(overrides)
        return StripeClient(credentials, "Stripe EU", **self.client_kwargs(NOW))

    def test_http_500_then_success(self):
        self.fake.fail("500")
        self.assertTrue(self.client().authenticate())
        self.assertEqual(self.fake.hits("/v1/balance"), 2)
        self.assertEqual(self.sleeps, [1.0])

    def test_timeout_then_success(self):
        self.fake.fail("timeout")
        self.assertTrue(self.client(timeout=0.1).authenticate())
        self.assertEqual(self.sleeps, [1.0])

    def test_attempts_are_bounded_with_exponential_backoff(self):
        self.fake.fail("500", times=10)
        with self.assertRaises(RetryableError) as caught:
            self.client(max_retries=3).authenticate()
        self.assertEqual(self.fake.hits("/v1/balance"), 4)
        self.assertEqual(self.sleeps, [1.0, 2.0, 4.0])
        self.assertEqual(
            str(caught.exception),
            "stripe [Stripe EU] GET /v1/balance: HTTP 500 (gave up after 4 attempts)",
        )

    def test_connection_refused_is_retryable(self):
        client = self.client(base_url="http://127.0.0.1:9", max_retries=1)
        with self.assertRaises(RetryableError) as caught:
            client.authenticate()
        self.assertIn("connection failed", str(caught.exception))

    def test_malformed_json_is_a_clear_error_and_not_retried(self):
        self.fake.fail("malformed")
        with self.assertRaises(MalformedResponseError) as caught:
            self.client().authenticate()
        self.assertIn("malformed JSON in the response (HTTP 200", str(caught.exception))
        self.assertEqual(self.fake.hits("/v1/balance"), 1)

    def test_bill_ref_of_another_platform_is_refused(self):
        ref = BillRef("paypal", "transactions", "2024-03-05", "{}", "x.json")
        with self.assertRaises(RemoteError):
            self.client().download_bill(ref)


class TestConfiguration(unittest.TestCase):
    def test_every_client_documents_its_credentials(self):
        self.assertEqual(len(CLIENTS), 11)
        for platform, cls in CLIENTS.items():
            with self.subTest(platform=platform):
                self.assertTrue(cls.credential_fields)
                for field in cls.credential_fields:
                    key, label, secret = field
                    self.assertIsInstance(key, str)
                    self.assertIsInstance(label, str)
                    self.assertIsInstance(secret, bool)
                self.assertTrue(any(secret for _k, _l, secret in cls.credential_fields))

    def test_missing_credentials_name_the_fields(self):
        with self.assertRaises(AuthError) as caught:
            get_client("taobao", {"app_key": "k", "app_secret": "s3cr3t-value"}, "T")
        self.assertIn("Session key", str(caught.exception))
        self.assertNotIn("s3cr3t-value", str(caught.exception))

    def test_unknown_platform(self):
        with self.assertRaises(ValueError):
            get_client("ebay", {})

    def test_invalid_cursor(self):
        credentials = {"client_id": "a", "client_secret": "b" * 8}
        client = get_client("pdd", {**credentials, "access_token": "t" * 8})
        with self.assertRaises(RemoteError):
            client.list_orders("not a cursor")


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


class TestNoSecretLeaks(unittest.TestCase):
    """Run calls that succeed and fail on several platforms with all logging
    at DEBUG (urllib3 included); no secret or token may appear anywhere."""

    def setUp(self):
        super().setUp()
        self.capture = _Capture()
        root = logging.getLogger()
        self.addCleanup(root.setLevel, root.level)
        self.addCleanup(root.removeHandler, self.capture)
        root.addHandler(self.capture)
        root.setLevel(logging.DEBUG)
        # Under Odoo the "odoo" logger tree has its own level (e.g. WARN):
        # open up every logger between the clients and the root.
        name = client_base._logger.name
        while name:
            logger = logging.getLogger(name)
            self.addCleanup(logger.setLevel, logger.level)
            logger.setLevel(logging.DEBUG)
            name = name.rpartition(".")[0]
        self.messages = []
        self.secrets = []

    def start(self, fake_class):
        fake = fake_class().start()
        self.addCleanup(fake.stop)
        return fake

    def attempt(self, call):
        try:
            call()
        except ConnectorError as exc:
            self.messages.append(str(exc))
            self.messages.append(repr(exc.args))

    def kwargs(self):
        return {"sleep": lambda _s: None, "now": lambda: NOW}

    def test_no_secret_in_logs_or_errors(self):
        channels = self.start(WechatChannelsFake)
        client = get_client(
            "wechat_channels",
            {
                "appid": channels.appid,
                "secret": channels.secret,
                "base_url": channels.url,
            },
            "C",
            **self.kwargs(),
        )
        self.attempt(client.authenticate)
        channels.expire_tokens()
        self.attempt(
            lambda: client.download_bill(client.list_bills(BILL_DATE, BILL_DATE)[0])
        )
        channels.fail("500", path="/channels/ec/order/list/get", times=9)
        self.attempt(client.list_orders)
        self.secrets += [channels.secret, *channels.tokens]

        douyin = self.start(DouyinFake)
        credentials = {
            "app_key": douyin.app_key,
            "app_secret": douyin.secret,
            "shop_id": douyin.shop_id,
            "base_url": douyin.url,
        }
        client = get_client("douyin", credentials, "D", **self.kwargs())
        self.attempt(client.list_orders)
        douyin.expire_tokens()
        self.attempt(client.list_orders)
        wrong = get_client(
            "douyin", {**credentials, "app_secret": "douyin-wrong-secret"}, "D"
        )
        self.attempt(wrong.authenticate)
        self.secrets += [douyin.secret, "douyin-wrong-secret", *douyin.tokens]
        self.secrets += list(douyin.refresh_tokens)

        taobao = self.start(TaobaoFake)
        credentials = {
            "app_key": taobao.app_key,
            "app_secret": taobao.secret,
            "session": taobao.session,
            "base_url": taobao.url,
        }
        self.attempt(
            get_client("taobao", credentials, "T", **self.kwargs()).authenticate
        )
        taobao.fail("malformed")
        self.attempt(
            get_client("taobao", credentials, "T", **self.kwargs()).authenticate
        )
        self.secrets += [taobao.secret, taobao.session]

        amazon = self.start(AmazonFake)
        credentials = {
            "lwa_client_id": amazon.client_id,
            "lwa_client_secret": amazon.secret,
            "refresh_token": amazon.refresh_token,
            "marketplace_ids": "ATVPDKIKX0DER",
            "base_url": amazon.url,
            "token_url": amazon.url + "/auth/o2/token",
        }
        client = get_client("amazon", credentials, "A", **self.kwargs())
        self.attempt(
            lambda: client.download_bill(
                client.list_bills("2024-03-01", "2024-03-19")[0]
            )
        )
        amazon.expire_tokens()
        amazon.fail("timeout")
        self.attempt(lambda: client.list_bills("2024-03-01", "2024-03-19"))
        self.secrets += [amazon.secret, amazon.refresh_token, *amazon.tokens]

        stripe = self.start(StripeFake)
        for key in (stripe.key, "sk_live_should_never_show_1234"):
            client = get_client(
                "stripe",
                {"secret_key": key, "base_url": stripe.url},
                "S",
                **self.kwargs(),
            )
            self.attempt(client.authenticate)
            self.secrets.append(key)

        wechat = self.start(WechatPayFake)
        key = private_pem("wechat-merchant")
        client = get_client(
            "wechatpay",
            {
                "mchid": wechat.mchid,
                "serial_no": wechat.serial_no,
                "private_key": key,
                "platform_public_key": public_pem("wechat-platform"),
                "base_url": wechat.url,
            },
            "W",
            **self.kwargs(),
        )
        self.attempt(
            lambda: client.download_bill(client.list_bills(BILL_DATE, BILL_DATE)[0])
        )
        signatures = [
            r.headers["Authorization"].split('signature="')[1].split('"')[0]
            for r in wechat.requests
        ]
        self.secrets += [key.splitlines()[1], *signatures]

        text = "\n".join(self.capture.lines + self.messages)
        self.assertGreater(len(self.messages), 4, "some calls must have failed")
        self.assertIn("GET /v1/balance -> 200", text)
        self.assertIn("127.0.0.1", text, "urllib3 debug lines were captured")
        for secret in self.secrets:
            self.assertTrue(secret and len(secret) >= 6)
            self.assertNotIn(secret, text)
