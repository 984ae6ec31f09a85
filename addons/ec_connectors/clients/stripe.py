# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stripe: balance transactions.

Auth: the secret (or restricted) key as ``Authorization: Bearer …`` with a
pinned ``Stripe-Version`` header (Stripe API reference, "Authentication" and
"Versioning"). No request signature.

Bills (platform-bills.md §10.1 [S41]): ``GET /v1/balance_transactions`` with
``created[gte]``/``created[lt]`` (Unix seconds, one UTC day per bill),
``limit=100`` and ``starting_after=<last id>`` while ``has_more``; the raw
list responses are concatenated into one JSON array. HTTP 429 (Stripe's rate
limit) and 5xx are retried by the common transport; 401 is an AuthError.

Why not the ``stripe`` SDK (16.x): it installs under Odoo's pins and can be
pointed at a local server, but it decodes answers into StripeObjects while
the bill must keep the raw JSON bytes, and it retries with its own internal
sleep; one GET with cursor paging is simpler on ``requests``.

Stripe has no marketplace orders (payments link to the shop's orders through
charge metadata): ``list_orders`` is unsupported.
"""

import datetime as dt

from .base import (
    UTC,
    AuthError,
    BaseClient,
    RateLimitError,
    RemoteError,
    json_array,
)


class StripeClient(BaseClient):
    platform = "stripe"
    default_base_url = "https://api.stripe.com"
    credential_fields = [
        ("secret_key", "Secret or restricted key (sk_/rk_…)", True),
        ("stripe_version", "Stripe-Version (e.g. 2024-06-20)", False),
    ]
    optional_fields = ("stripe_version",)
    bill_types = ("balance_transactions",)
    supports_orders = False
    page_size = 100
    max_pages = 10000

    def _get(self, call, path, params=None):
        headers = {
            "Authorization": f"Bearer {self.credentials['secret_key']}",
            "Stripe-Version": self.credentials.get("stripe_version", "2024-06-20"),
        }

        def build():
            return {
                "method": "GET",
                "url": self.base_url + path,
                "params": params,
                "headers": headers,
            }

        def check(response):
            data = self._json(call, response)
            if response.status_code < 400:
                return data, response.content
            error = data.get("error") or {}
            detail = f"HTTP {response.status_code} {error.get('type', '')} " + str(
                error.get("code") or error.get("message") or ""
            )
            if response.status_code in (401, 403):
                raise self._error(AuthError, call, detail.strip())
            if error.get("code") == "rate_limit":
                raise self._error(RateLimitError, call, detail.strip())
            raise self._error(RemoteError, call, detail.strip())

        return self._request(call, build, check)

    def authenticate(self):
        self._get("GET /v1/balance", "/v1/balance")
        return True

    def list_bills(self, date_from, date_to):
        return [
            self._bill_ref(
                "balance_transactions",
                day.isoformat(),
                self._key(bill_date=day.isoformat()),
                f"stripe_balance_transactions_{day:%Y%m%d}.json",
            )
            for day in self._finished_days(date_from, date_to, tz=UTC)
        ]

    def download_bill(self, bill_ref):
        day = dt.date.fromisoformat(self._unkey(bill_ref)["bill_date"])
        start = dt.datetime.combine(day, dt.time(), UTC)
        params = {
            "created[gte]": int(start.timestamp()),
            "created[lt]": int((start + dt.timedelta(days=1)).timestamp()),
            "limit": self.page_size,
        }
        pages = []
        for _page in range(self.max_pages):
            data, raw = self._get(
                "GET /v1/balance_transactions", "/v1/balance_transactions", params
            )
            pages.append(raw)
            items = data.get("data") or []
            if not data.get("has_more") or not items:
                return bill_ref.filename, json_array(pages)
            params = {**params, "starting_after": items[-1]["id"]}
        raise self._error(RemoteError, "GET /v1/balance_transactions", "too many pages")
