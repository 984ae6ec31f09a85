# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""PayPal: Transaction Search (``/v1/reporting/transactions``).

Auth (PayPal REST "Get an access token"): ``POST /v1/oauth2/token`` with
HTTP Basic ``client_id:secret`` and ``grant_type=client_credentials``; the
token is cached until shortly before ``expires_in`` and sent as
``Authorization: Bearer``. A 401 ``invalid_token`` on a call triggers one
refresh and a repeat.

Bills (platform-bills.md §11.1 [S43]): ``GET /v1/reporting/transactions``
with ``start_date``/``end_date`` (RFC 3339, ≤ 31 days; one UTC day per bill
here), ``fields=all``, ``page_size=500`` and ``page`` up to
``total_pages``; the raw pages are concatenated into one JSON array. The
app needs the "Transaction Search" feature enabled.

Why not ``paypal-server-sdk`` (2.x): its hosts are an enum of the live and
sandbox URLs (no base URL override), it deserializes answers into models
(the bill must keep the raw JSON) and it adds seven packages to the Odoo
environment (apimatic-core, jsonpickle, CacheControl, msgpack…), upgrading
setuptools to 84 on the way.

PayPal payments link to the shop's own orders (invoice id): ``list_orders``
is unsupported.
"""

import datetime as dt

from .base import (
    UTC,
    AuthError,
    BaseClient,
    MalformedResponseError,
    RemoteError,
    TokenExpiredError,
    json_array,
)


class PaypalClient(BaseClient):
    platform = "paypal"
    default_base_url = "https://api-m.paypal.com"
    credential_fields = [
        ("client_id", "Client ID", False),
        ("client_secret", "Client secret", True),
    ]
    bill_types = ("transactions",)
    supports_orders = False
    page_size = 500
    max_pages = 1000

    def _refresh_access_token(self):
        call = "POST /v1/oauth2/token"

        def build():
            return {
                "method": "POST",
                "url": self.base_url + "/v1/oauth2/token",
                "data": {"grant_type": "client_credentials"},
                "auth": (
                    self.credentials["client_id"],
                    self.credentials["client_secret"],
                ),
                "headers": {"Accept": "application/json"},
            }

        def check(response):
            data = self._json(call, response)
            if response.status_code >= 400 or not data.get("access_token"):
                detail = f"HTTP {response.status_code} {data.get('error', '')}"
                raise self._error(AuthError, call, detail.strip())
            return data

        data = self._request(call, build, check)
        self._store_token(data["access_token"], data.get("expires_in"))

    def _get(self, call, path, params):
        def build():
            return {
                "method": "GET",
                "url": self.base_url + path,
                "params": params,
                "headers": {
                    "Authorization": f"Bearer {self._token}",
                    "Accept": "application/json",
                },
            }

        def check(response):
            data = self._json(call, response)
            if response.status_code < 400:
                return data, response.content
            name = str(data.get("error") or data.get("name") or "")
            detail = f"HTTP {response.status_code} {name}".strip()
            if response.status_code == 401 and "token" in name.lower():
                raise self._error(TokenExpiredError, call, detail)
            if response.status_code in (401, 403):
                raise self._error(AuthError, call, detail)
            raise self._error(RemoteError, call, detail)

        return self._with_token(lambda: self._request(call, build, check))

    def authenticate(self):
        self._refresh_access_token()
        return True

    def list_bills(self, date_from, date_to):
        return [
            self._bill_ref(
                "transactions",
                day.isoformat(),
                self._key(bill_date=day.isoformat()),
                f"paypal_transactions_{day:%Y%m%d}.json",
            )
            for day in self._finished_days(date_from, date_to, tz=UTC)
        ]

    def download_bill(self, bill_ref):
        day = dt.date.fromisoformat(self._unkey(bill_ref)["bill_date"])
        start = dt.datetime.combine(day, dt.time(), UTC)
        end = start + dt.timedelta(days=1) - dt.timedelta(seconds=1)
        pages = []
        for page in range(1, self.max_pages + 1):
            params = {
                "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end_date": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "fields": "all",
                "page_size": self.page_size,
                "page": page,
            }
            call = "GET /v1/reporting/transactions"
            data, raw = self._get(call, "/v1/reporting/transactions", params)
            pages.append(raw)
            try:
                total_pages = int(data.get("total_pages") or 1)
            except (TypeError, ValueError):
                raise self._error(
                    MalformedResponseError, call, "total_pages is not a number"
                ) from None
            if page >= total_pages:
                return bill_ref.filename, json_array(pages)
        raise self._error(
            RemoteError, "GET /v1/reporting/transactions", "too many pages"
        )
