# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""WeChat Channels shop / WeChat Shop (视频号小店 / 微信小店).

Auth (WeChat "获取稳定版接口调用凭据" getStableAccessToken): ``POST
/cgi-bin/stable_token`` with ``{"grant_type": "client_credential", "appid",
"secret", "force_refresh": false}`` returns ``access_token`` and
``expires_in`` (7200 s); every call passes it as ``?access_token=``. The
stable endpoint is used rather than ``GET /cgi-bin/token`` because it does
not invalidate the token other systems of the same shop hold, and it keeps
the secret out of the URL. There is no request signature: a wrong secret
fails at the token call (errcode 40125 invalid appsecret, 40013 invalid
appid). The token is cached until five minutes before expiry and renewed
once when a call answers errcode 40001/40014 (invalid) or 42001 (expired).
45009/45011 are quota/frequency limits; -1 is "system busy" (retried).

Bills (platform-bills.md §7.1 [S35][S36]): ``POST /channels/ec/funds/
getfundsflowlist`` (``page`` from 1, ``page_size``, ``start_time``/
``end_time`` Unix seconds, ``next_key`` passed back) lists ``flow_ids``
while ``has_more``; each flow is read with ``getfundsflowdetail``. The bill
is the JSON array of the raw ``getfundsflowdetail`` responses (one per flow,
in list order; amounts in fen). Orders: ``/channels/ec/order/list/get`` by
``update_time_range`` (``next_key``/``has_more``) and ``/channels/ec/order/
get`` per order. No maintained SDK on PyPI: written on ``requests``.
"""

import datetime as dt
import json

from .base import (
    CHINA_TZ,
    AuthError,
    BaseClient,
    MalformedResponseError,
    RateLimitError,
    RemoteError,
    RetryableError,
    TokenExpiredError,
    decimal_or_none,
    json_array,
    normalized_order,
    parse_china_text,
)

TOKEN_EXPIRED = {40001, 40014, 42001}
RATE_LIMITED = {45009, 45011, 45033}
AUTH_FAILED = {40013, 40125, 40164, 41002, 41004, 48001, 61024}
STATUS = {
    10: "pending",
    12: "pending",
    13: "pending",
    20: "paid",
    21: "shipped",
    30: "shipped",
    100: "shipped",
    200: "refunded",
    250: "cancelled",
}


class WechatChannelsClient(BaseClient):
    platform = "wechat_channels"
    default_base_url = "https://api.weixin.qq.com"
    credential_fields = [
        ("appid", "Shop AppID", False),
        ("secret", "Shop AppSecret", True),
    ]
    bill_types = ("funds_flow",)
    order_window = dt.timedelta(days=1)
    page_size = 100
    max_pages = 1000

    # ------------------------------------------------------------ transport

    def _check_errcode(self, call, data):
        errcode = data.get("errcode", 0)
        try:
            errcode = int(errcode)
        except (TypeError, ValueError):
            errcode = -2
        if errcode == 0:
            return data
        detail = f"errcode {errcode} {data.get('errmsg', '')}".strip()
        if errcode in TOKEN_EXPIRED:
            raise self._error(TokenExpiredError, call, detail, code=errcode)
        if errcode in RATE_LIMITED:
            raise self._error(RateLimitError, call, detail, code=errcode)
        if errcode in AUTH_FAILED:
            raise self._error(AuthError, call, detail, code=errcode)
        if errcode == -1:
            raise self._error(RetryableError, call, detail, code=errcode)
        raise self._error(RemoteError, call, detail, code=errcode)

    def _refresh_access_token(self):
        call = "POST /cgi-bin/stable_token"
        payload = json.dumps(
            {
                "grant_type": "client_credential",
                "appid": self.credentials["appid"],
                "secret": self.credentials["secret"],
                "force_refresh": False,
            }
        ).encode()

        def build():
            return {
                "method": "POST",
                "url": self.base_url + "/cgi-bin/stable_token",
                "data": payload,
                "headers": {"Content-Type": "application/json"},
            }

        def check(response):
            data = self._json(call, response)
            try:
                return self._check_errcode(call, data)
            except TokenExpiredError as exc:
                raise self._error(AuthError, call, exc.detail) from None

        data = self._request(call, build, check)
        if not data.get("access_token"):
            raise self._error(MalformedResponseError, call, "no access_token")
        self._store_token(data["access_token"], data.get("expires_in"), margin=300)

    def _post(self, path, body, *, raw=False):
        call = f"POST {path}"
        payload = json.dumps(body, ensure_ascii=False).encode()

        def build():
            return {
                "method": "POST",
                "url": self.base_url + path,
                "params": {"access_token": self._token},
                "data": payload,
                "headers": {"Content-Type": "application/json"},
            }

        def check(response):
            data = self._check_errcode(call, self._json(call, response))
            return (data, response.content) if raw else data

        return self._with_token(lambda: self._request(call, build, check))

    # ------------------------------------------------------------ interface

    def authenticate(self):
        self._refresh_access_token()
        return True

    def list_bills(self, date_from, date_to):
        return [
            self._bill_ref(
                "funds_flow",
                day.isoformat(),
                self._key(bill_date=day.isoformat()),
                f"wechat_channels_funds_flow_{day:%Y%m%d}.json",
            )
            for day in self._finished_days(date_from, date_to)
        ]

    def download_bill(self, bill_ref):
        day = dt.date.fromisoformat(self._unkey(bill_ref)["bill_date"])
        start = dt.datetime.combine(day, dt.time(), CHINA_TZ)
        request = {
            "page": 1,
            "page_size": self.page_size,
            "start_time": int(start.timestamp()),
            "end_time": int((start + dt.timedelta(days=1)).timestamp()) - 1,
        }
        flow_ids = []
        for _page in range(self.max_pages):
            data = self._post("/channels/ec/funds/getfundsflowlist", request)
            flow_ids.extend(str(flow_id) for flow_id in data.get("flow_ids") or [])
            if not data.get("has_more"):
                break
            request = {**request, "page": request["page"] + 1}
            if data.get("next_key"):
                request["next_key"] = data["next_key"]
        details = [
            self._post(
                "/channels/ec/funds/getfundsflowdetail", {"flow_id": flow_id}, raw=True
            )[1]
            for flow_id in flow_ids
        ]
        return bill_ref.filename, json_array(details)

    def _fetch_orders(self, start, end, marker):
        request = {
            "update_time_range": {
                "start_time": int(start.timestamp()),
                "end_time": int(end.timestamp()),
            },
            "page_size": self.page_size,
        }
        if marker:
            request["next_key"] = marker
        data = self._post("/channels/ec/order/list/get", request)
        orders = []
        for order_id in data.get("order_id_list") or []:
            detail = self._post("/channels/ec/order/get", {"order_id": str(order_id)})
            orders.append(self._normalize(detail.get("order") or {}))
        next_key = data.get("next_key") if data.get("has_more") else None
        return orders, (next_key or None)

    def _normalize(self, order):
        detail = order.get("order_detail") or {}
        lines = [
            {
                "sub_order_no": item.get("sku_id"),
                "sku": item.get("out_sku_id") or item.get("sku_id"),
                "quantity": item.get("sku_cnt"),
                "price": decimal_or_none(item.get("sale_price"), 100),
            }
            for item in detail.get("product_infos") or []
        ]
        price_info = detail.get("price_info") or {}
        return normalized_order(
            self.platform,
            order.get("order_id"),
            status=STATUS.get(int(order.get("status") or 10), "pending"),
            currency="CNY",
            amount=decimal_or_none(price_info.get("order_price"), 100),
            created_at=parse_china_text(order.get("create_time")),
            updated_at=parse_china_text(order.get("update_time")),
            lines=lines,
            raw=order,
        )
