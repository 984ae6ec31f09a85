# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pinduoduo open platform (``https://gw-api.pinduoduo.com/api/router``).

Signing (PDD open platform "签名规则", as in its official SDKs): all
parameters except ``sign`` (system ``type, client_id, access_token,
timestamp`` in Unix seconds, ``data_type=JSON``, ``version=V1``, and the
API's own) sorted by name and concatenated ``key1value1…``; ``sign`` =
upper-case hex ``MD5(client_secret + string + client_secret)``. Success
bodies sit in one ``*_response`` node, failures in ``error_response``
(``error_code``, ``error_msg``, ``sub_code``, ``sub_msg``). Error codes used
here *(unconfirmed, third-party SDKs)*: 10019 access_token expired (PDD
tokens are renewed by re-authorizing the shop: raised as AuthError), 70031
and messages about call frequency = rate limit; signature/client errors by
message.

Bills: ``pdd.finance.balance.daily.bill.url.get`` (``bill_date``) returns a
``download_url`` of the daily 货款 account bill [S34]; the file is returned as
served. Orders: ``pdd.order.number.list.increment.get``
(``start_updated_at``/``end_updated_at`` ≤ 30 minutes apart, ``page``,
``use_has_next``). The PDD SDK on PyPI is stale: written on ``requests``.
"""

import datetime as dt

from .base import (
    AuthError,
    BaseClient,
    MalformedResponseError,
    NoBillError,
    RateLimitError,
    RemoteError,
    RetryableError,
    decimal_or_none,
    md5_sign,
    normalized_order,
    parse_china_text,
)

RATE_LIMIT_CODES = {"70031", "70032", "70033"}
AUTH_CODES = {"10016", "10017", "10019", "10020", "10021", "10022"}


class PddClient(BaseClient):
    platform = "pdd"
    default_base_url = "https://gw-api.pinduoduo.com/api/router"
    credential_fields = [
        ("client_id", "Client ID", False),
        ("client_secret", "Client secret", True),
        ("access_token", "Access token (shop authorization)", True),
    ]
    bill_types = ("daily_bill",)
    order_window = dt.timedelta(minutes=30)
    max_empty_windows = 96
    page_size = 100

    def _params(self, api_type, api_params):
        params = {
            "type": api_type,
            "client_id": self.credentials["client_id"],
            "access_token": self.credentials["access_token"],
            "timestamp": str(int(self._now().timestamp())),
            "data_type": "JSON",
            "version": "V1",
        }
        params.update({k: str(v) for k, v in api_params.items()})
        params["sign"] = md5_sign(self.credentials["client_secret"], params)
        return params

    def _call(self, api_type, api_params):
        def build():
            return {
                "method": "POST",
                "url": self.base_url,
                "data": self._params(api_type, api_params),
            }

        def check(response):
            data = self._json(api_type, response)
            if "error_response" in data:
                self._raise(api_type, data["error_response"])
            for key, value in data.items():
                if key.endswith("_response") and isinstance(value, dict):
                    return value
            raise self._error(
                MalformedResponseError, api_type, "no *_response node in the response"
            )

        return self._request(api_type, build, check)

    def _raise(self, call, error):
        code = str(error.get("error_code", ""))
        text = f"{error.get('error_msg', '')} {error.get('sub_msg', '')}"
        detail = f"{code} {text} {error.get('sub_code', '')}".strip()
        if code in RATE_LIMIT_CODES or "频繁" in text or "limit" in text.lower():
            raise self._error(RateLimitError, call, detail, code=code)
        if code in AUTH_CODES or "sign" in text.lower() or "签名" in text:
            raise self._error(AuthError, call, detail, code=code)
        if "账单不存在" in text or "no bill" in text.lower():
            raise self._error(NoBillError, call, detail, code=code)
        if code.startswith("5") or "系统" in text:
            raise self._error(RetryableError, call, detail, code=code)
        raise self._error(RemoteError, call, detail, code=code)

    # ------------------------------------------------------------ interface

    def authenticate(self):
        """A one-row order increment query over the last five minutes."""
        end = self._now()
        self._increment(end - dt.timedelta(minutes=5), end, 1, page_size=1)
        return True

    def list_bills(self, date_from, date_to):
        return [
            self._bill_ref(
                "daily_bill",
                day.isoformat(),
                self._key(bill_date=day.isoformat()),
                f"pdd_daily_bill_{day:%Y%m%d}.csv",
            )
            for day in self._finished_days(date_from, date_to)
        ]

    def download_bill(self, bill_ref):
        day = self._unkey(bill_ref)["bill_date"]
        body = self._call("pdd.finance.balance.daily.bill.url.get", {"bill_date": day})
        url = body.get("download_url") or body.get("url")
        if not url:
            raise self._error(
                NoBillError, "pdd.finance.balance.daily.bill.url.get", "no download_url"
            )
        response = self._request("download bill", lambda: {"method": "GET", "url": url})
        return bill_ref.filename, response.content

    def _increment(self, start, end, page, page_size=None):
        return self._call(
            "pdd.order.number.list.increment.get",
            {
                "is_lucky_flag": 0,
                "order_status": 5,
                "refund_status": 5,
                "start_updated_at": int(start.timestamp()),
                "end_updated_at": int(end.timestamp()),
                "page": page,
                "page_size": page_size or self.page_size,
                "use_has_next": "true",
            },
        )

    def _fetch_orders(self, start, end, marker):
        page = marker or 1
        body = self._increment(start, end, page)
        rows = body.get("order_sn_list") or []
        orders = [self._normalize(row) for row in rows]
        return orders, (page + 1 if body.get("has_next") else None)

    def _normalize(self, row):
        refund_status = int(row.get("refund_status") or 1)
        order_status = int(row.get("order_status") or 1)
        if refund_status == 4:
            status = "refunded"
        elif order_status in (2, 3):
            status = "shipped"
        else:
            status = "paid"
        lines = [
            {
                "sub_order_no": item.get("sku_id"),
                "sku": item.get("outer_id") or item.get("sku_id"),
                "quantity": item.get("goods_count"),
                "price": decimal_or_none(item.get("goods_price")),
            }
            for item in row.get("item_list") or []
        ]
        return normalized_order(
            self.platform,
            row["order_sn"],
            status=status,
            currency="CNY",
            amount=decimal_or_none(row.get("pay_amount")),
            created_at=parse_china_text(row.get("created_time")),
            updated_at=parse_china_text(row.get("updated_at")),
            lines=lines,
            raw=row,
        )
