# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""JD open platform (JOS, ``https://api.jd.com/routerjson``).

Signing (JOS "签名算法", as in the JOS SDKs): system parameters ``method,
app_key, access_token, timestamp`` (``yyyy-MM-dd HH:mm:ss``, Beijing time),
``v=2.0``, ``format=json``, ``sign_method=md5`` plus the business
parameters as one JSON string in ``360buy_param_json``; all non-empty ones
except ``sign`` are sorted by name and concatenated ``key1value1…``; ``sign``
= upper-case hex ``MD5(app_secret + string + app_secret)``. Success bodies
sit in ``<method with _>_responce`` (JD's spelling); failures in
``error_response`` with ``code``, ``zh_desc``, ``en_desc``. The error codes
used below (19 invalid access_token, sign/app-key errors by description,
rate limits by description) are from third-party SDKs *(unconfirmed)*.

Orders: ``jingdong.pop.order.enSearch`` (``start_date``/``end_date``,
``dateType`` 0 = modification time, ``page``/``page_size``; totals in
``orderTotal``), as used by several public JOS integrations.

Bills: JD's native method for the daily settlement detail could not be
confirmed from the sources (platform-bills.md §4.1: the ERP reviewed goes
through its own gateway). Set ``bill_method`` to the settlement/wallet
detail method your JOS app is granted; the client sends
``{start_date, end_date, page, page_size}`` (plus the JSON object in
``bill_params``) and concatenates the raw JSON pages until a page has fewer
than ``page_size`` rows. Without ``bill_method``, ``list_bills`` raises
``UnsupportedOperationError``. The JD SDK on PyPI is stale: written on
``requests``.
"""

import datetime as dt
import json

from .base import (
    AuthError,
    BaseClient,
    MalformedResponseError,
    RateLimitError,
    RemoteError,
    RetryableError,
    UnsupportedOperationError,
    china_text,
    decimal_or_none,
    json_array,
    md5_sign,
    normalized_order,
    parse_china_text,
)

ORDER_STATES = (
    "WAIT_SELLER_STOCK_OUT,WAIT_GOODS_RECEIVE_CONFIRM,WAIT_SELLER_DELIVERY,"
    "PAUSE,FINISHED_L,TRADE_CANCELED,LOCKED,POP_ORDER_PAUSE"
)
ORDER_FIELDS = (
    "orderId,orderState,orderPayment,orderTotalPrice,orderStartTime,modified,"
    "itemInfoList"
)
STATUS = {
    "WAIT_SELLER_STOCK_OUT": "paid",
    "WAIT_SELLER_DELIVERY": "paid",
    "WAIT_GOODS_RECEIVE_CONFIRM": "shipped",
    "FINISHED_L": "shipped",
    "TRADE_CANCELED": "cancelled",
    "LOCKED": "paid",
    "PAUSE": "paid",
    "POP_ORDER_PAUSE": "paid",
}


class JdClient(BaseClient):
    platform = "jd"
    default_base_url = "https://api.jd.com/routerjson"
    credential_fields = [
        ("app_key", "App key", False),
        ("app_secret", "App secret", True),
        ("access_token", "Access token (shop authorization)", True),
        ("bill_method", "Settlement bill API method granted to the app", False),
        ("bill_params", "Extra bill parameters (JSON object)", False),
    ]
    optional_fields = ("bill_method", "bill_params")
    bill_types = ("settlement",)
    order_window = dt.timedelta(days=1)
    page_size = 100

    def _params(self, method, api_params):
        params = {
            "method": method,
            "app_key": self.credentials["app_key"],
            "access_token": self.credentials["access_token"],
            "timestamp": china_text(self._now()),
            "format": "json",
            "v": "2.0",
            "sign_method": "md5",
            "360buy_param_json": json.dumps(
                api_params, ensure_ascii=False, separators=(",", ":")
            ),
        }
        params["sign"] = md5_sign(self.credentials["app_secret"], params)
        return params

    def _call(self, method, api_params, *, raw=False):
        node = method.replace(".", "_") + "_responce"

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
        text = f"{error.get('en_desc', '')} {error.get('zh_desc', '')}"
        detail = f"{code} {text}".strip()
        lowered = text.lower()
        if "limit" in lowered or "频" in text or "流控" in text:
            raise self._error(RateLimitError, call, detail, code=code)
        if (
            code == "19"
            or "token" in lowered
            or "sign" in lowered
            or "签名" in text
            or "app_key" in lowered
            or "appkey" in lowered
        ):
            raise self._error(AuthError, call, detail, code=code)
        if "system" in lowered or "系统" in text or "timeout" in lowered:
            raise self._error(RetryableError, call, detail, code=code)
        raise self._error(RemoteError, call, detail, code=code)

    # ------------------------------------------------------------ interface

    def authenticate(self):
        """A one-row order query over the last five minutes."""
        end = self._now()
        self._search_orders(end - dt.timedelta(minutes=5), end, 1, page_size=1)
        return True

    def _bill_method(self):
        method = self.credentials.get("bill_method")
        if not method:
            raise self._error(
                UnsupportedOperationError,
                "list_bills",
                "no bill_method configured (the JOS settlement method granted to "
                "the app); upload the JD settlement export instead",
            )
        return method

    def list_bills(self, date_from, date_to):
        self._bill_method()
        return [
            self._bill_ref(
                "settlement",
                day.isoformat(),
                self._key(bill_date=day.isoformat()),
                f"jd_settlement_{day:%Y%m%d}.json",
            )
            for day in self._finished_days(date_from, date_to)
        ]

    def download_bill(self, bill_ref):
        method = self._bill_method()
        day = dt.date.fromisoformat(self._unkey(bill_ref)["bill_date"])
        extra = json.loads(self.credentials.get("bill_params") or "{}")
        pages, page = [], 1
        while True:
            body, raw = self._call(
                method,
                {
                    **extra,
                    "start_date": day.isoformat(),
                    "end_date": day.isoformat(),
                    "page": page,
                    "page_size": self.page_size,
                },
                raw=True,
            )
            pages.append(raw)
            if self._row_count(body) < self.page_size:
                break
            page += 1
        return bill_ref.filename, json_array(pages)

    @staticmethod
    def _row_count(body):
        """Rows in a bill page: the longest list found in the result."""
        best = 0
        stack = [body]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                best = max(best, len(value))
                stack.extend(v for v in value if isinstance(v, (dict, list)))
        return best

    def _search_orders(self, start, end, page, page_size=None):
        body = self._call(
            "jingdong.pop.order.enSearch",
            {
                "start_date": china_text(start),
                "end_date": china_text(end),
                "order_state": ORDER_STATES,
                "optional_fields": ORDER_FIELDS,
                "page": str(page),
                "page_size": str(page_size or self.page_size),
                "dateType": "0",
            },
        )
        result = body.get("searchorderinfo_result") or {}
        api_result = result.get("apiResult") or {}
        if api_result and not api_result.get("success", True):
            raise self._error(
                RemoteError,
                "jingdong.pop.order.enSearch",
                str(
                    api_result.get("chineseErrCode") or api_result.get("englishErrCode")
                ),
            )
        return result

    def _fetch_orders(self, start, end, marker):
        page = marker or 1
        result = self._search_orders(start, end, page)
        rows = result.get("orderInfoList") or []
        total = int(result.get("orderTotal") or 0)
        orders = [self._normalize(row) for row in rows]
        more = rows and page * self.page_size < total
        return orders, (page + 1 if more else None)

    def _normalize(self, row):
        lines = []
        for item in row.get("itemInfoList") or []:
            quantity = int(item.get("itemTotal") or 0)
            lines.append(
                {
                    "sub_order_no": item.get("skuId"),
                    "sku": item.get("outerSkuId") or item.get("skuId"),
                    "quantity": quantity,
                    "price": decimal_or_none(item.get("jdPrice")),
                }
            )
        return normalized_order(
            self.platform,
            row["orderId"],
            status=STATUS.get(row.get("orderState"), "pending"),
            currency="CNY",
            amount=decimal_or_none(row.get("orderPayment")),
            created_at=parse_china_text(row.get("orderStartTime")),
            updated_at=parse_china_text(row.get("modified")),
            lines=lines,
            raw=row,
        )
