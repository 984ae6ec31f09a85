# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Alipay open platform (v2 gateway): merchant bills.

Signing (Alipay open platform "自行实现签名" / RSA2 rules, as implemented by
the official SDKs): every non-empty request parameter except ``sign`` is
sorted by name and joined as ``k=v&k=v`` (raw values, not URL-encoded); the
string is signed SHA256withRSA (PKCS#1 v1.5) with the app private key and
sent base64 as ``sign`` with ``sign_type=RSA2``. Responses carry ``sign`` next
to the ``<method>_response`` node; the signed content is the JSON text of
that node exactly as sent, verified with the Alipay public key.

Bills: ``alipay.data.dataservice.bill.downloadurl.query`` with biz_content
``{bill_type, bill_date}`` returns ``bill_download_url``, valid for 30
seconds (platform-bills.md §1.1 [S3][S4]); when the download answers
"下载超时,请重新下载" (or any non-ZIP page) a fresh URL is requested.
``isp.bill_not_exist`` means no bill for that day [U2].

Why not the official SDK (``alipay-sdk-python`` 3.7.x): it installs under
Odoo's pins but brings a second crypto library (pycryptodome), sends through
``http.client`` without a Session or retry hooks, and logs the whole request
URL, ``sign`` included, at INFO level.

Alipay has no "orders changed since" API (orders are the merchant's own), so
``list_orders`` is unsupported; bills link to orders by ``商户订单号``.
Rate limits: the gateway documents no dedicated sub_code for this API;
sub_codes mentioning a limit (``…call-limited``, ``…flow-limit``) are retried
as rate limits (unconfirmed).
"""

import datetime as dt
import json

from .base import (
    CHINA_TZ,
    AuthError,
    BaseClient,
    MalformedResponseError,
    NoBillError,
    RateLimitError,
    RemoteError,
    RetryableError,
    SignatureError,
    load_private_key,
    load_public_key,
    rsa_sha256_sign,
    rsa_sha256_verify,
)

BILL_METHOD = "alipay.data.dataservice.bill.downloadurl.query"
EXPIRED_MARKERS = ("下载超时", "重新下载", "expired", "timeout")


def response_node_text(text, node):
    """The exact JSON text of ``node``'s value in the raw response ``text``.

    Alipay signs this substring; re-serializing the parsed value would not
    reproduce it byte for byte.
    """
    marker = f'"{node}"'
    start = text.find(marker)
    if start < 0:
        return None
    index = text.index(":", start + len(marker)) + 1
    while text[index] in " \t\r\n":
        index += 1
    _value, end = json.JSONDecoder().raw_decode(text, index)
    return text[index:end]


class AlipayClient(BaseClient):
    platform = "alipay"
    default_base_url = "https://openapi.alipay.com/gateway.do"
    credential_fields = [
        ("app_id", "App ID", False),
        ("private_key", "App private key (PEM or base64)", True),
        ("alipay_public_key", "Alipay public key (PEM or base64)", False),
        ("app_auth_token", "App auth token (third-party apps only)", True),
        ("bill_types", "Bill types (signcustomer,trade)", False),
    ]
    optional_fields = ("app_auth_token", "bill_types")
    bill_types = ("signcustomer", "trade")
    #: 账务明细 is the account ledger; 业务明细 lists the same trades
    ledger_bill_types = ("signcustomer",)
    supports_orders = False
    #: fresh URLs requested when a download link has expired.
    max_url_renewals = 3

    def __init__(self, credentials, shop="", **kwargs):
        super().__init__(credentials, shop, **kwargs)
        try:
            self._private_key = load_private_key(self.credentials["private_key"])
            self._alipay_key = load_public_key(self.credentials["alipay_public_key"])
        except ValueError:
            raise self._error(
                AuthError, "configuration", "unreadable RSA key (check the PEM)"
            ) from None

    # ------------------------------------------------------------ signing

    @staticmethod
    def sign_content(params):
        return "&".join(
            f"{key}={params[key]}"
            for key in sorted(params)
            if key != "sign" and params[key] not in (None, "")
        )

    def _gateway_params(self, method, biz_content):
        now = self._now().astimezone(CHINA_TZ)
        params = {
            "app_id": self.credentials["app_id"],
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": now.strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "app_auth_token": self.credentials.get("app_auth_token"),
            "biz_content": json.dumps(
                biz_content, ensure_ascii=False, separators=(",", ":")
            ),
        }
        params = {k: v for k, v in params.items() if v not in (None, "")}
        params["sign"] = rsa_sha256_sign(self._private_key, self.sign_content(params))
        return params

    def _call(self, method, biz_content):
        node = method.replace(".", "_") + "_response"

        def build():
            return {
                "method": "POST",
                "url": self.base_url,
                "data": self._gateway_params(method, biz_content),
                "headers": {
                    "Content-Type": "application/x-www-form-urlencoded;charset=utf-8"
                },
            }

        def check(response):
            return self._check(method, node, response)

        return self._request(method, build, check)

    def _check(self, call, node, response):
        data = self._json(call, response)
        text = response.content.decode("utf-8")
        name = node if node in data else "error_response"
        body = data.get(name)
        if not isinstance(body, dict):
            raise self._error(
                MalformedResponseError, call, f"no {node} in the response"
            )
        sign = data.get("sign")
        code = str(body.get("code", ""))
        if sign:
            content = response_node_text(text, name)
            if not rsa_sha256_verify(self._alipay_key, content, sign):
                raise self._error(
                    SignatureError,
                    call,
                    "response signature does not verify with the Alipay public key",
                )
        elif code == "10000":
            raise self._error(SignatureError, call, "unsigned success response")
        if code == "10000":
            return body
        sub_code = str(body.get("sub_code", ""))
        detail = f"{code} {body.get('msg', '')} {sub_code} {body.get('sub_msg', '')}"
        detail = " ".join(detail.split())
        if sub_code == "isp.bill_not_exist":
            raise self._error(NoBillError, call, detail, code=sub_code)
        if "limit" in sub_code.lower():
            raise self._error(RateLimitError, call, detail, code=sub_code)
        if code == "20000" or sub_code.endswith("unknow-error"):
            raise self._error(RetryableError, call, detail, code=sub_code)
        if code in ("20001", "40006") or sub_code.startswith(
            ("isv.invalid-signature", "isv.invalid-app-id", "isv.missing-signature")
        ):
            raise self._error(AuthError, call, detail, code=sub_code)
        raise self._error(RemoteError, call, detail, code=sub_code or code)

    # ------------------------------------------------------------ interface

    def authenticate(self):
        """A bill URL query for the day before yesterday: a signed call that
        fails with an auth error on wrong keys; "no bill" still proves the
        credentials."""
        day = self._now().astimezone(CHINA_TZ).date() - dt.timedelta(days=2)
        try:
            self._bill_url("signcustomer", day.isoformat())
        except NoBillError:
            return True  # a signed answer: the keys are good
        return True

    def _bill_url(self, bill_type, bill_date):
        body = self._call(BILL_METHOD, {"bill_type": bill_type, "bill_date": bill_date})
        url = body.get("bill_download_url")
        if not url:
            raise self._error(
                MalformedResponseError, BILL_METHOD, "no bill_download_url"
            )
        return url

    def _bill_type_list(self):
        types = self.credentials.get("bill_types") or "signcustomer"
        return [t.strip() for t in types.split(",") if t.strip()]

    def posts_bill_type(self, bill_type):
        # a shop that pulls only the trade bill posts it: it is all there is
        if not set(self._bill_type_list()) & set(self.ledger_bill_types):
            return True
        return super().posts_bill_type(bill_type)

    def list_bills(self, date_from, date_to):
        refs = []
        for day in self._finished_days(date_from, date_to):
            for bill_type in self._bill_type_list():
                try:
                    self._bill_url(bill_type, day.isoformat())
                except NoBillError:
                    continue
                refs.append(
                    self._bill_ref(
                        bill_type,
                        day.isoformat(),
                        self._key(bill_type=bill_type, bill_date=day.isoformat()),
                        f"alipay_{bill_type}_{day:%Y%m%d}.zip",
                    )
                )
        return refs

    def download_bill(self, bill_ref):
        key = self._unkey(bill_ref)
        call = "download bill"
        for _renewal in range(self.max_url_renewals):
            url = self._bill_url(key["bill_type"], key["bill_date"])
            response = self._request(
                call, lambda url=url: {"method": "GET", "url": url}, lambda r: r
            )
            content = response.content
            if response.status_code < 400 and content.startswith(b"PK"):
                return bill_ref.filename, content
            if not self._looks_expired(response):
                raise self._error(
                    MalformedResponseError,
                    call,
                    f"the bill URL did not return a ZIP (HTTP {response.status_code})",
                )
        raise self._error(
            RemoteError,
            call,
            f"the bill URL expired {self.max_url_renewals} times in a row",
        )

    @staticmethod
    def _looks_expired(response):
        if response.status_code in (403, 404, 410):
            return True
        for encoding in ("utf-8", "gb18030"):
            try:
                text = response.content[:2048].decode(encoding)
            except UnicodeDecodeError:
                continue
            return any(marker in text for marker in EXPIRED_MARKERS)
        return False
