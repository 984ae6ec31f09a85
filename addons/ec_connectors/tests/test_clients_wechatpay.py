# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.ec_connectors.clients import (
    AuthError,
    SignatureError,
    WechatPayClient,
)
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    FakeServerCase,
    WechatPayFake,
    fixture_bytes,
    private_pem,
    public_pem,
)


class TestWechatPayClient(FakeServerCase):
    fake_class = WechatPayFake

    def client(self, **overrides):
        credentials = {
            "mchid": self.fake.mchid,
            "serial_no": self.fake.serial_no,
            "private_key": private_pem("wechat-merchant"),
            "platform_public_key": public_pem("wechat-platform"),
            "platform_serial": self.fake.platform_serial,
            "base_url": self.fake.url,
            "timeout": 2,
        }
        credentials.update(overrides)
        return WechatPayClient(credentials, "WeChat mall", **self.client_kwargs(NOW))

    def test_good_signature_authenticates(self):
        # no bill for that day: the signed call still proves the keys
        self.assertTrue(self.client().authenticate())

    def test_wrong_merchant_key_is_refused(self):
        with self.assertRaises(AuthError) as caught:
            self.client(private_key=private_pem("someone-else")).authenticate()
        self.assertIn("SIGN_ERROR", str(caught.exception))
        self.assertIn(
            "wechatpay [WeChat mall] GET /v3/bill/tradebill", str(caught.exception)
        )

    def test_wrong_platform_key_fails_the_response_signature(self):
        client = self.client(platform_public_key=public_pem("someone-else"))
        with self.assertRaises(SignatureError):
            client.list_bills(BILL_DATE, BILL_DATE)
        self.assertEqual(self.fake.hits("/v3/bill/tradebill"), 1, "never retried")

    def test_replayed_old_response_is_rejected(self):
        self.fake.clock_offset = -600
        with self.assertRaises(SignatureError) as caught:
            self.client().authenticate()
        self.assertIn("5 minutes", str(caught.exception))

    def test_unknown_platform_serial_is_rejected(self):
        client = self.client(platform_serial="PUB_KEY_ID_OTHER")
        with self.assertRaises(SignatureError):
            client.list_bills(BILL_DATE, BILL_DATE)

    def test_list_and_download_trade_and_fund_bills(self):
        client = self.client()
        refs = client.list_bills("2024-03-04", "2024-03-06")
        self.assertEqual(
            [(ref.bill_type, ref.period) for ref in refs],
            [("trade", "2024-03-05"), ("fundflow", "2024-03-05")],
        )
        expected = {
            "trade": fixture_bytes("wechatpay_tradebill_all.csv"),
            "fundflow": fixture_bytes("wechatpay_fundflow_basic.csv"),
        }
        for ref in refs:
            filename, content = client.download_bill(ref)
            self.assertEqual(content, expected[ref.bill_type])
            self.assertTrue(filename.endswith("_20240305.csv"))
        self.assertTrue(content.startswith(b"\xef\xbb\xbf"))

    def test_download_with_wrong_sha1_is_rejected(self):
        client = self.client()
        ref = client.list_bills(BILL_DATE, BILL_DATE)[0]
        self.fake.corrupt_download = True
        with self.assertRaises(SignatureError) as caught:
            client.download_bill(ref)
        self.assertIn("SHA1", str(caught.exception))

    def test_expired_download_link_applies_again(self):
        client = self.client()
        ref = client.list_bills(BILL_DATE, BILL_DATE)[0]
        applied = self.fake.hits("/v3/bill/tradebill")
        self.fake.expire_downloads = 1
        _filename, content = client.download_bill(ref)
        self.assertEqual(content, fixture_bytes("wechatpay_tradebill_all.csv"))
        self.assertEqual(self.fake.hits("/v3/bill/tradebill"), applied + 2)

    def test_frequency_limited_then_success(self):
        self.fake.fail("ratelimit", path="/v3/bill/fundflowbill")
        refs = self.client().list_bills(BILL_DATE, BILL_DATE)
        self.assertEqual(len(refs), 2)
        self.assertEqual(self.sleeps, [1.0])
