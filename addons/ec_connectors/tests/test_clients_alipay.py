# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import io
import zipfile

from odoo.addons.ec_connectors.clients import (
    AlipayClient,
    AuthError,
    RateLimitError,
    RemoteError,
    SignatureError,
    UnsupportedOperationError,
)
from odoo.addons.ec_connectors.tests.fake_servers import (
    BILL_DATE,
    NOW,
    AlipayFake,
    FakeServerCase,
    alipay_bill_zip,
    private_pem,
    public_base64,
    public_pem,
)


class TestAlipayClient(FakeServerCase):
    fake_class = AlipayFake

    def client(self, **overrides):
        credentials = {
            "app_id": self.fake.app_id,
            "private_key": private_pem("alipay-app"),
            "alipay_public_key": public_base64("alipay-platform"),
            "base_url": self.fake.url + "/gateway.do",
            "timeout": 2,
        }
        credentials.update(overrides)
        return AlipayClient(credentials, "Tmall flagship", **self.client_kwargs(NOW))

    def test_good_signature_authenticates(self):
        self.assertTrue(self.client().authenticate())
        self.assertEqual(self.fake.hits("/gateway.do"), 1)

    def test_wrong_app_private_key_is_refused(self):
        client = self.client(private_key=private_pem("someone-else"))
        with self.assertRaises(AuthError) as caught:
            client.authenticate()
        message = str(caught.exception)
        self.assertIn("alipay [Tmall flagship]", message)
        self.assertIn("alipay.data.dataservice.bill.downloadurl.query", message)
        self.assertIn("isv.invalid-signature", message)

    def test_wrong_alipay_public_key_fails_the_response_signature(self):
        client = self.client(alipay_public_key=public_pem("someone-else"))
        with self.assertRaises(SignatureError):
            client.list_bills(BILL_DATE, BILL_DATE)
        self.assertEqual(self.fake.hits("/gateway.do"), 1, "never retried")

    def test_tampered_response_signature_is_not_retried_into_success(self):
        self.fake.sign_key = "forger"
        with self.assertRaises(SignatureError):
            self.client().list_bills(BILL_DATE, BILL_DATE)
        self.assertEqual(self.fake.hits("/gateway.do"), 1)

    def test_list_skips_days_without_bill_and_download_is_byte_identical(self):
        client = self.client()
        refs = client.list_bills("2024-03-04", "2024-03-06")
        self.assertEqual([ref.period for ref in refs], ["2024-03-05"])
        ref = refs[0]
        self.assertEqual((ref.platform, ref.bill_type), ("alipay", "signcustomer"))
        filename, content = client.download_bill(ref)
        self.assertEqual(filename, "alipay_signcustomer_20240305.zip")
        self.assertEqual(content, alipay_bill_zip())
        with zipfile.ZipFile(io.BytesIO(content), metadata_encoding="gbk") as archive:
            self.assertEqual(
                archive.namelist(), ["20880000000000000156_20240305_账务明细.csv"]
            )

    def test_expired_download_url_requests_a_new_url(self):
        client = self.client()
        ref = client.list_bills(BILL_DATE, BILL_DATE)[0]
        issued = self.fake.urls_issued
        self.fake.expire_downloads = 1
        _filename, content = client.download_bill(ref)
        self.assertEqual(content, alipay_bill_zip())
        self.assertEqual(self.fake.urls_issued, issued + 2, "a fresh URL was asked")
        self.assertEqual(self.fake.hits("/download"), 2)

    def test_url_expiring_every_time_gives_up(self):
        client = self.client()
        ref = client.list_bills(BILL_DATE, BILL_DATE)[0]
        self.fake.expire_downloads = 10
        with self.assertRaises(RemoteError) as caught:
            client.download_bill(ref)
        self.assertIn("expired 3 times", str(caught.exception))

    def test_rate_limit_code_in_body_then_success(self):
        self.fake.fail("ratelimit")
        refs = self.client().list_bills(BILL_DATE, BILL_DATE)
        self.assertEqual(len(refs), 1)
        self.assertEqual(self.sleeps, [1.0])

    def test_rate_limit_that_persists_is_raised(self):
        self.fake.fail("ratelimit", times=10)
        with self.assertRaises(RateLimitError) as caught:
            self.client(max_retries=2).list_bills(BILL_DATE, BILL_DATE)
        self.assertIn("gave up after 3 attempts", str(caught.exception))
        self.assertEqual(self.sleeps, [1.0, 2.0])

    def test_orders_are_not_an_alipay_api(self):
        with self.assertRaises(UnsupportedOperationError):
            self.client().list_orders()
