# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Taobao / Tmall open platform (TOP): bills and sold-trade increments.

Signing (TOP "API调用方法详解 / 签名算法", as in the official TOP SDKs):
all non-empty parameters except ``sign`` (system and API parameters) are
sorted by name and concatenated as ``key1value1key2value2…``; then

- ``sign_method=md5``: ``MD5(secret + string + secret)``;
- ``sign_method=hmac``: ``HMAC-MD5(key=secret, string)``;
- ``sign_method=hmac-sha256``: ``HMAC-SHA256(key=secret, string)``;

as upper-case hex. System parameters: ``method, app_key, session,
timestamp`` (``yyyy-MM-dd HH:mm:ss``, Beijing time), ``format=json, v=2.0,
sign_method``. Errors come as ``error_response`` with ``code`` (7 app call
limited, 11/12 permissions, 25 invalid signature, 26/27 session, 28/29 app
key, 15 remote service error with ``isp.*`` sub codes).

Bills: the settlement of a Taobao/Tmall shop is its Alipay 账务明细
(platform-bills.md §3.1): pull it with ``AlipayClient`` (bill type
``signcustomer``) using the shop's Alipay authorization. This client serves
the Tmall ``taobao.bill.bills.get`` fee lines [S29] (self-developed apps only;
window ≤ 1 day, ``page_no``/``page_size`` 40–100) as JSON pages. Orders:
``taobao.trades.sold.increment.get`` (modified window within one day,
``use_has_next``).

The Taobao SDK on PyPI is years stale: written on ``requests``.
"""

import datetime as dt
import hashlib
import hmac
import re

from .base import (
    CHINA_TZ,
    AuthError,
    BaseClient,
    MalformedResponseError,
    RateLimitError,
    RemoteError,
    RetryableError,
    china_text,
    decimal_or_none,
    json_array,
    md5_sign,
    normalized_order,
    parse_china_text,
    sorted_concat,
)

BILL_FIELDS = (
    "bid,account_id,trade_id,order_id,num_iid,amount,total_amount,biz_time,"
    "pay_time,book_time,alipay_id,alipay_no,alipay_outno,alipay_notice,"
    "obj_alipay_id,status,gmt_create,gmt_modified"
)
TRADE_FIELDS = (
    "tid,status,payment,created,modified,pay_time,consign_time,"
    "orders.oid,orders.sku_id,orders.outer_sku_id,orders.outer_iid,"
    "orders.num,orders.price,orders.status"
)
STATUS = {
    "TRADE_NO_CREATE_PAY": "pending",
    "WAIT_BUYER_PAY": "pending",
    "PAY_PENDING": "pending",
    "WAIT_SELLER_SEND_GOODS": "paid",
    "SELLER_CONSIGNED_PART": "shipped",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped",
    "TRADE_BUYER_SIGNED": "shipped",
    "TRADE_FINISHED": "shipped",
    "TRADE_CLOSED": "refunded",
    "TRADE_CLOSED_BY_TAOBAO": "cancelled",
}
BAN_SECONDS = re.compile(r"(\d+)\s*more seconds")


def top_sign(secret, params, sign_method="md5"):
    if sign_method == "md5":
        return md5_sign(secret, params)
    text = sorted_concat(params)
    if sign_method == "hmac":
        digest = hmac.new(secret.encode(), text.encode(), hashlib.md5).hexdigest()
    elif sign_method == "hmac-sha256":
        digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    else:
        raise ValueError(f"unknown sign_method {sign_method!r}")
    return digest.upper()


class TaobaoClient(BaseClient):
    platform = "taobao"
    default_base_url = "https://eco.taobao.com/router/rest"
    credential_fields = [
        ("app_key", "App key", False),
        ("app_secret", "App secret", True),
        ("session", "Session key (seller authorization)", True),
        ("sign_method", "Sign method (md5, hmac, hmac-sha256)", False),
    ]
    optional_fields = ("sign_method",)
    bill_types = ("bills",)
    order_window = dt.timedelta(days=1)
    page_size = 100
    bill_page_size = 100

    def _params(self, method, api_params):
        params = {
            "method": method,
            "app_key": self.credentials["app_key"],
            "session": self.credentials["session"],
            "timestamp": china_text(self._now()),
            "format": "json",
            "v": "2.0",
            "sign_method": self.credentials.get("sign_method", "md5"),
        }
        params.update({k: str(v) for k, v in api_params.items()})
        params["sign"] = top_sign(
            self.credentials["app_secret"], params, params["sign_method"]
        )
        return params

    def _call(self, method, api_params, *, raw=False):
        node = method.removeprefix("taobao.").replace(".", "_") + "_response"

        def build():
            return {
                "method": "POST",
                "url": self.base_url,
                "data": self._params(method, api_params),
            }

        def check(response):
            data = self._json(method, response)
            if "error_response" in data:
                self._raise(method, data["error_response"])
            if node not in data:
                raise self._error(
                    MalformedResponseError, method, f"no {node} in the response"
                )
            return (data[node], response.content) if raw else data[node]

        return self._request(method, build, check)

    def _raise(self, call, error):
        code = str(error.get("code", ""))
        sub_code = str(error.get("sub_code", ""))
        sub_msg = str(error.get("sub_msg", ""))
        detail = f"{code} {error.get('msg', '')} {sub_code} {sub_msg}".strip()
        if code == "7" or sub_code.startswith("accesscontrol.limited"):
            match = BAN_SECONDS.search(sub_msg)
            retry_after = float(match.group(1)) if match else None
            raise self._error(
                RateLimitError, call, detail, code=code, retry_after=retry_after
            )
        if code in ("11", "12", "25", "26", "27", "28", "29"):
            raise self._error(AuthError, call, detail, code=code)
        if sub_code.startswith("isp.") or code in ("15", "520"):
            raise self._error(RetryableError, call, detail, code=sub_code or code)
        raise self._error(RemoteError, call, detail, code=sub_code or code)

    # ------------------------------------------------------------ interface

    def authenticate(self):
        """A one-row trade increment query: checks app key, secret and the
        seller session."""
        end = self._now()
        self._call(
            "taobao.trades.sold.increment.get",
            {
                "fields": "tid",
                "start_modified": china_text(end - dt.timedelta(minutes=5)),
                "end_modified": china_text(end),
                "page_no": 1,
                "page_size": 1,
                "use_has_next": "true",
            },
        )
        return True

    def list_bills(self, date_from, date_to):
        return [
            self._bill_ref(
                "bills",
                day.isoformat(),
                self._key(bill_date=day.isoformat()),
                f"taobao_bills_{day:%Y%m%d}.json",
            )
            for day in self._finished_days(date_from, date_to)
        ]

    def download_bill(self, bill_ref):
        day = dt.date.fromisoformat(self._unkey(bill_ref)["bill_date"])
        start = dt.datetime.combine(day, dt.time(), CHINA_TZ)
        pages = []
        page_no = 1
        while True:
            body, raw = self._call(
                "taobao.bill.bills.get",
                {
                    "fields": BILL_FIELDS,
                    "start_time": china_text(start),
                    "end_time": china_text(start + dt.timedelta(days=1)),
                    "time_type": 2,
                    "page_no": page_no,
                    "page_size": self.bill_page_size,
                },
                raw=True,
            )
            pages.append(raw)
            bills = (body.get("bills") or {}).get("bill") or []
            total = int(body.get("total_results") or 0)
            if (
                len(bills) < self.bill_page_size
                or page_no * self.bill_page_size >= total
            ):
                break
            page_no += 1
        return bill_ref.filename, json_array(pages)

    def _window_end(self, start):
        """TOP requires start_modified and end_modified on the same day."""
        local = start.astimezone(CHINA_TZ)
        midnight = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), dt.time(), CHINA_TZ
        )
        return min(start + self.order_window, midnight)

    def _fetch_orders(self, start, end, marker):
        page_no = marker or 1
        body = self._call(
            "taobao.trades.sold.increment.get",
            {
                "fields": TRADE_FIELDS,
                "start_modified": china_text(start),
                "end_modified": china_text(end),
                "page_no": page_no,
                "page_size": self.page_size,
                "use_has_next": "true",
            },
        )
        trades = (body.get("trades") or {}).get("trade") or []
        orders = [self._normalize(trade) for trade in trades]
        return orders, (page_no + 1 if body.get("has_next") else None)

    def _normalize(self, trade):
        lines = [
            {
                "sub_order_no": item.get("oid"),
                "sku": item.get("outer_sku_id")
                or item.get("sku_id")
                or item.get("outer_iid"),
                "quantity": item.get("num"),
                "price": decimal_or_none(item.get("price")),
            }
            for item in (trade.get("orders") or {}).get("order") or []
        ]
        return normalized_order(
            self.platform,
            trade["tid"],
            status=STATUS.get(trade.get("status"), "pending"),
            currency="CNY",
            amount=decimal_or_none(trade.get("payment")),
            created_at=parse_china_text(trade.get("created")),
            updated_at=parse_china_text(trade.get("modified")),
            lines=lines,
            raw=trade,
        )
