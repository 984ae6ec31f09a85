# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Amazon Selling Partner API: settlement reports and orders.

Auth: Login with Amazon (LWA) — ``POST https://api.amazon.com/auth/o2/token``
with ``grant_type=refresh_token``, ``refresh_token``, ``client_id``,
``client_secret`` returns an access token (1 h) sent as
``x-amz-access-token``. AWS Signature Version 4 is not used: SP-API stopped
requiring IAM and SigV4 on 2023-10-02 ("SP-API no longer requires AWS IAM or
AWS Signature Version 4", developer-docs.amazon.com changelog; SigV4-signed
requests are accepted but the signature is disregarded). A 403 whose error
says the token expired triggers one token refresh and a repeat.

Reports (platform-bills.md §9.1 [S39]): settlement reports cannot be
requested; ``GET /reports/2021-06-30/reports?reportTypes=
GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2&createdSince&createdUntil``
(``nextToken`` paging: with a token, no other parameter) lists them;
``GET /reports/2021-06-30/documents/{id}`` returns a pre-signed ``url``
(5 min) and ``compressionAlgorithm``; the document is fetched without
Amazon headers and gunzipped when ``GZIP``. An expired pre-signed URL (S3
403) triggers a fresh ``getReportDocument``. Orders: ``getOrders``
(``LastUpdatedAfter``/``LastUpdatedBefore``, ``NextToken``) and
``getOrderItems`` per order.

Why not ``python-amazon-sp-api``: it pulls httpx/anyio/confuse/cachetools
beside requests, keeps LWA tokens in a process-global cache and binds the
host to its marketplace enum, so pointing it at a local server means
patching it.
"""

import datetime as dt
import gzip

from .base import (
    UTC,
    AuthError,
    BaseClient,
    MalformedResponseError,
    RemoteError,
    TokenExpiredError,
    decimal_or_none,
    normalized_order,
    parse_iso,
)

REPORT_TYPE = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
STATUS = {
    "Pending": "pending",
    "PendingAvailability": "pending",
    "Unshipped": "paid",
    "InvoiceUnconfirmed": "paid",
    "PartiallyShipped": "shipped",
    "Shipped": "shipped",
    "Canceled": "cancelled",
    "Unfulfillable": "cancelled",
}


def _iso(value):
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AmazonClient(BaseClient):
    platform = "amazon"
    default_base_url = "https://sellingpartnerapi-na.amazon.com"
    credential_fields = [
        ("lwa_client_id", "LWA client ID", False),
        ("lwa_client_secret", "LWA client secret", True),
        ("refresh_token", "LWA refresh token (seller authorization)", True),
        ("marketplace_ids", "Marketplace IDs (comma separated)", False),
        ("token_url", "LWA token URL (override)", False),
    ]
    optional_fields = ("token_url",)
    bill_types = ("settlement",)
    order_window = dt.timedelta(days=7)
    order_lag = dt.timedelta(minutes=3)
    max_pages = 1000
    max_url_renewals = 3

    def __init__(self, credentials, shop="", **kwargs):
        super().__init__(credentials, shop, **kwargs)
        self.token_url = self.credentials.get(
            "token_url", "https://api.amazon.com/auth/o2/token"
        )

    # ------------------------------------------------------------ transport

    def _refresh_access_token(self):
        call = "LWA token"

        def build():
            return {
                "method": "POST",
                "url": self.token_url,
                "data": {
                    "grant_type": "refresh_token",
                    "refresh_token": self.credentials["refresh_token"],
                    "client_id": self.credentials["lwa_client_id"],
                    "client_secret": self.credentials["lwa_client_secret"],
                },
            }

        def check(response):
            data = self._json(call, response)
            if response.status_code >= 400 or "access_token" not in data:
                detail = f"HTTP {response.status_code} {data.get('error', '')}"
                raise self._error(AuthError, call, detail.strip())
            return data

        data = self._request(call, build, check)
        self._store_token(data["access_token"], data.get("expires_in"))

    def _get(self, call, path, params=None):
        def build():
            return {
                "method": "GET",
                "url": self.base_url + path,
                "params": params,
                "headers": {
                    "x-amz-access-token": self._token,
                    "Accept": "application/json",
                    "User-Agent": "ec_connectors (Language=Python)",
                },
            }

        def check(response):
            data = self._json(call, response)
            if response.status_code < 400:
                return data
            errors = data.get("errors") or [{}]
            text = " ".join(
                f"{e.get('code', '')} {e.get('message', '')} {e.get('details', '')}"
                for e in errors
            )
            detail = f"HTTP {response.status_code} {text}".strip()
            if response.status_code == 403 and "expired" in text.lower():
                raise self._error(TokenExpiredError, call, detail)
            if response.status_code in (401, 403):
                raise self._error(AuthError, call, detail)
            raise self._error(RemoteError, call, detail)

        return self._with_token(lambda: self._request(call, build, check))

    # ------------------------------------------------------------ interface

    def authenticate(self):
        self._refresh_access_token()
        return True

    def list_bills(self, date_from, date_to):
        start = dt.datetime.combine(
            dt.date.fromisoformat(str(date_from)[:10]), dt.time(), UTC
        )
        end = dt.datetime.combine(
            dt.date.fromisoformat(str(date_to)[:10]), dt.time(), UTC
        )
        end = min(end + dt.timedelta(days=1), self._now())
        params = {
            "reportTypes": REPORT_TYPE,
            "createdSince": _iso(start),
            "createdUntil": _iso(end),
            "pageSize": 100,
        }
        refs = []
        for _page in range(self.max_pages):
            data = self._get("getReports", "/reports/2021-06-30/reports", params)
            for report in data.get("reports") or []:
                if report.get("processingStatus") not in (None, "DONE"):
                    continue
                if not report.get("reportDocumentId"):
                    continue
                period = (
                    f"{str(report.get('dataStartTime', ''))[:10]}.."
                    f"{str(report.get('dataEndTime', ''))[:10]}"
                )
                refs.append(
                    self._bill_ref(
                        "settlement",
                        period,
                        self._key(
                            report_id=report.get("reportId"),
                            document_id=report["reportDocumentId"],
                        ),
                        f"amazon_settlement_{report.get('reportId')}.tsv",
                    )
                )
            if not data.get("nextToken"):
                return refs
            params = {"nextToken": data["nextToken"]}
        raise self._error(RemoteError, "getReports", "too many pages")

    def download_bill(self, bill_ref):
        key = self._unkey(bill_ref)
        call = "download report document"
        for _renewal in range(self.max_url_renewals):
            document = self._get(
                "getReportDocument",
                f"/reports/2021-06-30/documents/{key['document_id']}",
            )
            url = document.get("url")
            if not url:
                raise self._error(MalformedResponseError, "getReportDocument", "no url")
            response = self._request(
                call, lambda url=url: {"method": "GET", "url": url}, lambda r: r
            )
            if response.status_code in (400, 403):
                continue  # pre-signed URL expired: ask for a fresh one
            if response.status_code >= 400:
                raise self._error(RemoteError, call, f"HTTP {response.status_code}")
            content = response.content
            if str(document.get("compressionAlgorithm", "")).upper() == "GZIP":
                try:
                    content = gzip.decompress(content)
                except (OSError, EOFError):
                    raise self._error(
                        MalformedResponseError, call, "the GZIP document is corrupt"
                    ) from None
            return bill_ref.filename, content
        raise self._error(
            RemoteError, call, f"the document URL expired {self.max_url_renewals} times"
        )

    def _fetch_orders(self, start, end, marker):
        marketplaces = self.credentials["marketplace_ids"]
        if marker:
            params = {"MarketplaceIds": marketplaces, "NextToken": marker}
        else:
            params = {
                "MarketplaceIds": marketplaces,
                "LastUpdatedAfter": _iso(start),
                "LastUpdatedBefore": _iso(end),
                "MaxResultsPerPage": 100,
            }
        payload = (
            self._get("getOrders", "/orders/v0/orders", params).get("payload") or {}
        )
        orders = [self._normalize(order) for order in payload.get("Orders") or []]
        return orders, payload.get("NextToken")

    def _items(self, order_id):
        items, params = [], None
        for _page in range(self.max_pages):
            payload = (
                self._get(
                    "getOrderItems", f"/orders/v0/orders/{order_id}/orderItems", params
                ).get("payload")
                or {}
            )
            items.extend(payload.get("OrderItems") or [])
            if not payload.get("NextToken"):
                break
            params = {"NextToken": payload["NextToken"]}
        return items

    def _normalize(self, order):
        lines = []
        for item in self._items(order["AmazonOrderId"]):
            quantity = int(item.get("QuantityOrdered") or 0)
            total = decimal_or_none((item.get("ItemPrice") or {}).get("Amount"))
            lines.append(
                {
                    "sub_order_no": item.get("OrderItemId"),
                    "sku": item.get("SellerSKU"),
                    "quantity": quantity,
                    "price": total / quantity
                    if total is not None and quantity
                    else None,
                }
            )
        total = order.get("OrderTotal") or {}
        return normalized_order(
            self.platform,
            order["AmazonOrderId"],
            status=STATUS.get(order.get("OrderStatus"), "pending"),
            currency=total.get("CurrencyCode"),
            amount=decimal_or_none(total.get("Amount")),
            created_at=parse_iso(order["PurchaseDate"])
            if order.get("PurchaseDate")
            else None,
            updated_at=parse_iso(order["LastUpdateDate"])
            if order.get("LastUpdateDate")
            else None,
            lines=lines,
            raw=order,
        )
