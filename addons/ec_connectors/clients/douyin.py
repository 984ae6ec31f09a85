# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Douyin shop (抖店 / Doudian) open platform.

Signing (Doudian "签名算法", as in the official Go SDK ``utils/sign_util.go``
[S33]): ``param_json`` is the JSON of the business parameters with keys
sorted, no spaces and no HTML escaping; the string
``app_secret + "app_key" + app_key + "method" + method + "param_json" +
param_json + "timestamp" + timestamp + "v" + "2" + app_secret`` is signed
with HMAC-SHA256 (key = app secret, hex) for ``sign_method=hmac-sha256`` or
MD5 (hex) for ``sign_method=md5``. Request: ``POST {base}/{method with /}``
with ``app_key, method, v=2, timestamp, sign, sign_method, access_token`` in
the query and ``param_json`` as the body. Envelope: ``code`` (10000 =
success), ``msg``, ``sub_code``, ``sub_msg``, ``log_id``, ``data``.

Tokens: ``token.create`` (``grant_type=authorization_self`` with
``shop_id`` for self-developed apps) and ``token.refresh``
(``refresh_token``); an expired token is refreshed once and the call
repeated. The error codes for expired tokens, signature errors and rate
limits are matched on ``sub_code``/``msg`` text *(unconfirmed: the sources
reviewed give no code table)*.

Bills (platform-bills.md §5.1 [S32]): ``order.getSettleBillDetailV3``
(``settle``) and ``order.getShopAccountItem`` (``account_item``), paged by
passing back ``next_start_index`` as ``start_index`` and
``next_start_time`` as ``start_time`` until ``is_end`` = 1; the raw pages
are concatenated into one JSON array. Orders: ``order.searchList`` by update
time. The Douyin SDKs on PyPI are stale: written on ``requests``.
"""

import datetime as dt
import hashlib
import hmac
import json

from .base import (
    CHINA_TZ,
    AuthError,
    BaseClient,
    BillNotReadyError,
    MalformedResponseError,
    RateLimitError,
    RemoteError,
    RetryableError,
    TokenExpiredError,
    china_text,
    decimal_or_none,
    json_array,
    normalized_order,
    parse_china_text,
)

BILL_METHODS = {
    "settle": "order.getSettleBillDetailV3",
    "account_item": "order.getShopAccountItem",
}
#: order_status: 1 to confirm/pay, 105 paid, 2 preparing, 101 partly shipped,
#: 3 shipped, 4 cancelled, 5 completed.
STATUS = {
    1: "pending",
    105: "paid",
    2: "paid",
    101: "shipped",
    3: "shipped",
    4: "cancelled",
    5: "shipped",
}


def param_json(params):
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def douyin_sign(app_key, secret, method, timestamp, body, sign_method="hmac-sha256"):
    text = (
        f"{secret}app_key{app_key}method{method}param_json{body}"
        f"timestamp{timestamp}v2{secret}"
    )
    if sign_method == "md5":
        return hashlib.md5(text.encode()).hexdigest()
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


class DouyinClient(BaseClient):
    platform = "douyin"
    default_base_url = "https://openapi-fxg.jinritemai.com"
    credential_fields = [
        ("app_key", "App key", False),
        ("app_secret", "App secret", True),
        ("shop_id", "Shop ID (self-developed app)", False),
        ("access_token", "Access token", True),
        ("refresh_token", "Refresh token", True),
        ("sign_method", "Sign method (hmac-sha256 or md5)", False),
    ]
    optional_fields = ("shop_id", "access_token", "refresh_token", "sign_method")
    bill_types = ("settle", "account_item")
    #: the account items are the wallet ledger; the settlement bill explains
    #: the same credits per order
    ledger_bill_types = ("account_item",)
    order_window = dt.timedelta(days=1)
    page_size = 100
    max_pages = 10000

    def __init__(self, credentials, shop="", **kwargs):
        super().__init__(credentials, shop, **kwargs)
        self._token = self.credentials.get("access_token")
        self._refresh = self.credentials.get("refresh_token")

    # ------------------------------------------------------------ transport

    def _call(self, method, params, *, token=True, raw=False):
        body = param_json(params)
        sign_method = self.credentials.get("sign_method", "hmac-sha256")

        def build():
            timestamp = str(int(self._now().timestamp()))
            query = {
                "app_key": self.credentials["app_key"],
                "method": method,
                "v": "2",
                "timestamp": timestamp,
                "sign_method": sign_method,
                "sign": douyin_sign(
                    self.credentials["app_key"],
                    self.credentials["app_secret"],
                    method,
                    timestamp,
                    body,
                    sign_method,
                ),
            }
            if token:
                query["access_token"] = self._token
            return {
                "method": "POST",
                "url": f"{self.base_url}/{method.replace('.', '/')}",
                "params": query,
                "data": body.encode(),
                "headers": {"Content-Type": "application/json;charset=UTF-8"},
            }

        def check(response):
            data = self._json(method, response)
            if data.get("code") != 10000:
                self._raise(method, data)
            return (data.get("data") or {}, response.content) if raw else data

        if not token:
            return self._request(method, build, check)
        return self._with_token(lambda: self._request(method, build, check))

    def _raise(self, call, data):
        code = str(data.get("code", ""))
        sub_code = str(data.get("sub_code", ""))
        text = f"{data.get('msg', '')} {data.get('sub_msg', '')}"
        detail = f"{code} {sub_code} {text}".strip()
        lowered = f"{sub_code} {text}".lower()
        if "token" in lowered and ("expire" in lowered or "过期" in text):
            raise self._error(TokenExpiredError, call, detail, code=sub_code)
        if "limit" in lowered or "限流" in text or "频" in text:
            raise self._error(RateLimitError, call, detail, code=sub_code)
        if "sign" in lowered or "签名" in text or "token" in lowered:
            raise self._error(AuthError, call, detail, code=sub_code)
        if sub_code.startswith("isp.") or code in ("20000", "50000"):
            raise self._error(RetryableError, call, detail, code=sub_code)
        raise self._error(RemoteError, call, detail, code=sub_code or code)

    def _refresh_access_token(self):
        if self._refresh:
            params = {"grant_type": "refresh_token", "refresh_token": self._refresh}
            method = "token.refresh"
        else:
            params = {"code": "", "grant_type": "authorization_self"}
            if self.credentials.get("shop_id"):
                params["shop_id"] = self.credentials["shop_id"]
            method = "token.create"
        data = self._call(method, params, token=False).get("data") or {}
        if not data.get("access_token"):
            raise self._error(AuthError, method, "no access_token in the answer")
        self._refresh = data.get("refresh_token") or self._refresh
        self._store_token(data["access_token"], data.get("expires_in"), self._refresh)

    # ------------------------------------------------------------ interface

    def authenticate(self):
        """Obtain (or refresh) the access token."""
        self._refresh_access_token()
        return True

    def list_bills(self, date_from, date_to):
        return [
            self._bill_ref(
                bill_type,
                day.isoformat(),
                self._key(bill_type=bill_type, bill_date=day.isoformat()),
                f"douyin_{bill_type}_{day:%Y%m%d}.json",
            )
            for day in self._finished_days(date_from, date_to)
            for bill_type in self.bill_types
        ]

    def download_bill(self, bill_ref):
        key = self._unkey(bill_ref)
        method = BILL_METHODS[key["bill_type"]]
        day = dt.date.fromisoformat(key["bill_date"])
        start = dt.datetime.combine(day, dt.time(), CHINA_TZ)
        params = {
            "size": self.page_size,
            "start_time": china_text(start),
            "end_time": china_text(
                start + dt.timedelta(days=1) - dt.timedelta(seconds=1)
            ),
            "start_index": "",
            "time_type": "0",
        }
        pages = []
        for _page in range(self.max_pages):
            data, raw = self._call(method, params, raw=True)
            pages.append(raw)
            inner = str(data.get("code", "100000"))
            if inner == "100015":
                raise self._error(BillNotReadyError, method, "bill not generated yet")
            if inner not in ("100000", ""):
                raise self._error(
                    RemoteError, method, f"{inner} {data.get('code_msg', '')}".strip()
                )
            if str(data.get("is_end")) == "1":
                return bill_ref.filename, json_array(pages)
            if not data.get("next_start_index"):
                raise self._error(
                    MalformedResponseError, method, "is_end=0 without next_start_index"
                )
            params = {**params, "start_index": str(data["next_start_index"])}
            if data.get("next_start_time"):
                params["start_time"] = data["next_start_time"]
        raise self._error(RemoteError, method, f"more than {self.max_pages} pages")

    def _fetch_orders(self, start, end, marker):
        page = marker or 0
        data = (
            self._call(
                "order.searchList",
                {
                    "update_time_start": int(start.timestamp()),
                    "update_time_end": int(end.timestamp()),
                    "page": page,
                    "size": self.page_size,
                    "order_by": "update_time",
                    "order_asc": True,
                },
            ).get("data")
            or {}
        )
        rows = data.get("shop_order_list") or []
        total = int(data.get("total") or 0)
        orders = [self._normalize(row) for row in rows]
        more = rows and (page + 1) * self.page_size < total
        return orders, (page + 1 if more else None)

    def _normalize(self, row):
        lines = []
        for sku in row.get("sku_order_list") or []:
            quantity = int(sku.get("item_num") or 0)
            total = decimal_or_none(sku.get("origin_amount"), 100)
            lines.append(
                {
                    "sub_order_no": sku.get("order_id"),
                    "sku": sku.get("out_sku_id")
                    or sku.get("code")
                    or sku.get("sku_id"),
                    "quantity": quantity,
                    "price": total / quantity
                    if total is not None and quantity
                    else None,
                }
            )
        return normalized_order(
            self.platform,
            row["order_id"],
            status=STATUS.get(int(row.get("order_status") or 1), "pending"),
            currency="CNY",
            amount=decimal_or_none(row.get("pay_amount"), 100),
            created_at=parse_china_text(row.get("create_time")),
            updated_at=parse_china_text(row.get("update_time")),
            lines=lines,
            raw=row,
        )
