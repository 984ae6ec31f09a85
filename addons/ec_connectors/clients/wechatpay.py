# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""WeChat Pay API v3: trade bill and fund-flow bill.

Signing (WeChat Pay APIv3 "签名生成" / "签名验证"): the request signature is
SHA256withRSA with the merchant API private key over
``METHOD\\nURL\\ntimestamp\\nnonce_str\\nbody\\n`` (URL = path plus query
string, body empty for GET), sent as
``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
signature="…",timestamp="…",serial_no="…"``. Responses are verified with
the WeChat Pay platform public key over
``Wechatpay-Timestamp\\nWechatpay-Nonce\\nbody\\n`` against the base64
``Wechatpay-Signature``; ``Wechatpay-Serial`` must name the configured key
when ``platform_serial`` is set, and the timestamp must be within five
minutes of the wall clock (replay protection).

Bills (platform-bills.md §2.1 [S23][S24]): ``GET /v3/bill/tradebill`` and
``GET /v3/bill/fundflowbill`` return ``download_url``, ``hash_type``
(SHA1) and ``hash_value``; the file is fetched with a signed GET of that URL
(the download response is not signed, so its SHA-1 is checked instead). The
link lives 30 s to 5 min: on "下载链接过期" a new one is requested. Error
codes ``NO_STATEMENT_EXIST`` (no bill) and ``STATEMENT_CREATING`` (not yet
generated) come from the v3 bill API reference.

Why not ``wechatpayv3`` (1.2.x): it installs under Odoo's pins, but its
gateway host is hard-coded (``self._gate_way``), it calls ``requests``
without a Session or timeout, and it logs the request headers, the
``Authorization`` signature included, at DEBUG level.

WeChat Pay has no "orders changed since" API: ``list_orders`` is unsupported.
"""

import datetime as dt
import hashlib
import secrets
import time
from urllib.parse import urlencode, urlsplit

from .base import (
    CHINA_TZ,
    AuthError,
    BaseClient,
    BillNotReadyError,
    MalformedResponseError,
    NoBillError,
    RemoteError,
    SignatureError,
    load_private_key,
    load_public_key,
    rsa_sha256_sign,
    rsa_sha256_verify,
)

EXPIRED_MARKERS = ("过期", "expired")
MAX_SKEW = 300  # seconds; WeChat Pay asks to reject older signed answers


class WechatPayClient(BaseClient):
    platform = "wechatpay"
    default_base_url = "https://api.mch.weixin.qq.com"
    credential_fields = [
        ("mchid", "Merchant ID (mchid)", False),
        ("serial_no", "Merchant API certificate serial number", False),
        ("private_key", "Merchant API private key (PEM)", True),
        (
            "platform_public_key",
            "WeChat Pay public key or platform certificate (PEM)",
            False,
        ),
        ("platform_serial", "WeChat Pay public key ID / platform serial", False),
        ("trade_bill_type", "Trade bill type (ALL, SUCCESS, REFUND)", False),
        ("account_type", "Fund account (BASIC, OPERATION, FEES)", False),
    ]
    optional_fields = ("platform_serial", "trade_bill_type", "account_type")
    bill_types = ("trade", "fundflow")
    #: the fund flow bill is the merchant balance; the trade bill lists the
    #: same payments per transaction
    ledger_bill_types = ("fundflow",)
    supports_orders = False
    max_url_renewals = 3

    def __init__(self, credentials, shop="", **kwargs):
        super().__init__(credentials, shop, **kwargs)
        try:
            self._private_key = load_private_key(self.credentials["private_key"])
            self._platform_key = load_public_key(
                self.credentials["platform_public_key"]
            )
        except ValueError:
            raise self._error(
                AuthError, "configuration", "unreadable RSA key (check the PEM)"
            ) from None

    # ------------------------------------------------------------ signing

    def _authorization(self, method, url, body=""):
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        timestamp = str(int(self._now().timestamp()))
        nonce = secrets.token_hex(16)
        message = f"{method}\n{target}\n{timestamp}\n{nonce}\n{body}\n"
        signature = rsa_sha256_sign(self._private_key, message)
        return (
            "WECHATPAY2-SHA256-RSA2048 "
            f'mchid="{self.credentials["mchid"]}",nonce_str="{nonce}",'
            f'signature="{signature}",timestamp="{timestamp}",'
            f'serial_no="{self.credentials["serial_no"]}"'
        )

    def _verify(self, call, response):
        headers = response.headers
        timestamp = headers.get("Wechatpay-Timestamp")
        nonce = headers.get("Wechatpay-Nonce")
        signature = headers.get("Wechatpay-Signature")
        serial = headers.get("Wechatpay-Serial")
        if not (timestamp and nonce and signature):
            raise self._error(SignatureError, call, "unsigned response")
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            skew = None
        if skew is None or skew > MAX_SKEW:
            # replay protection uses the wall clock, not the injectable one
            raise self._error(
                SignatureError, call, "response timestamp is not within 5 minutes"
            )
        expected = self.credentials.get("platform_serial")
        if expected and serial != expected:
            raise self._error(
                SignatureError, call, "response signed with an unknown platform key"
            )
        message = f"{timestamp}\n{nonce}\n".encode() + response.content + b"\n"
        if not rsa_sha256_verify(self._platform_key, message, signature):
            raise self._error(
                SignatureError,
                call,
                "response signature does not verify with the platform public key",
            )

    def _get(self, call, path, params=None, *, verify=True):
        url = self.base_url + path
        if params:
            url += "?" + urlencode(params)
        return self._get_url(call, url, verify=verify)

    def _get_url(self, call, url, *, verify=True):
        def build():
            return {
                "method": "GET",
                "url": url,
                "headers": {
                    "Authorization": self._authorization("GET", url),
                    "Accept": "application/json",
                    "User-Agent": "ec_connectors",
                },
            }

        def check(response):
            signed = "Wechatpay-Signature" in response.headers
            if verify and (response.status_code < 400 or signed):
                self._verify(call, response)
            if response.status_code < 400:
                return response
            self._raise_error(call, response)

        return self._request(call, build, check)

    def _raise_error(self, call, response):
        try:
            error = self._json(call, response)
        except MalformedResponseError:
            error = {}
        code = str(error.get("code", ""))
        detail = f"HTTP {response.status_code} {code} {error.get('message', '')}"
        if code == "NO_STATEMENT_EXIST":
            raise self._error(NoBillError, call, detail, code=code)
        if code == "STATEMENT_CREATING":
            raise self._error(BillNotReadyError, call, detail, code=code)
        if response.status_code in (401, 403) or code in ("SIGN_ERROR", "NO_AUTH"):
            raise self._error(AuthError, call, detail, code=code)
        raise self._error(RemoteError, call, detail.strip(), code=code)

    # ------------------------------------------------------------ interface

    def _apply(self, bill_type, bill_date):
        if bill_type == "trade":
            call, path = "GET /v3/bill/tradebill", "/v3/bill/tradebill"
            params = {
                "bill_date": bill_date,
                "bill_type": self.credentials.get("trade_bill_type", "ALL"),
            }
        else:
            call, path = "GET /v3/bill/fundflowbill", "/v3/bill/fundflowbill"
            params = {
                "bill_date": bill_date,
                "account_type": self.credentials.get("account_type", "BASIC"),
            }
        data = self._json(call, self._get(call, path, params))
        if not data.get("download_url") or not data.get("hash_value"):
            raise self._error(
                MalformedResponseError, call, "no download_url/hash_value"
            )
        return data

    def authenticate(self):
        """A signed trade-bill request for the day before yesterday; "no
        bill" or "being generated" still proves the keys."""
        day = self._now().astimezone(CHINA_TZ).date() - dt.timedelta(days=2)
        try:
            self._apply("trade", day.isoformat())
        except (NoBillError, BillNotReadyError):
            return True  # a signed answer: the keys are good
        return True

    def list_bills(self, date_from, date_to):
        refs = []
        for day in self._finished_days(date_from, date_to):
            for bill_type in self.bill_types:
                try:
                    self._apply(bill_type, day.isoformat())
                except (NoBillError, BillNotReadyError):
                    continue
                refs.append(
                    self._bill_ref(
                        bill_type,
                        day.isoformat(),
                        self._key(bill_type=bill_type, bill_date=day.isoformat()),
                        f"wechatpay_{bill_type}_{day:%Y%m%d}.csv",
                    )
                )
        return refs

    def download_bill(self, bill_ref):
        key = self._unkey(bill_ref)
        call = "download bill"
        for _renewal in range(self.max_url_renewals):
            applied = self._apply(key["bill_type"], key["bill_date"])
            try:
                response = self._get_url(call, applied["download_url"], verify=False)
            except RemoteError as exc:
                if any(marker in exc.detail for marker in EXPIRED_MARKERS):
                    continue
                raise
            content = response.content
            hash_type = str(applied.get("hash_type") or "SHA1").upper()
            if hash_type != "SHA1":
                raise self._error(
                    MalformedResponseError, call, f"unknown hash_type {hash_type}"
                )
            if hashlib.sha1(content).hexdigest() != applied["hash_value"].lower():
                raise self._error(
                    SignatureError,
                    call,
                    "the downloaded bill does not match its SHA1 hash_value",
                )
            return bill_ref.filename, content
        raise self._error(
            RemoteError,
            call,
            f"the download URL expired {self.max_url_renewals} times in a row",
        )
