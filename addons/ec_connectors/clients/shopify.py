# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shopify Admin API: Shopify Payments balance transactions and orders.

Auth: the custom/public app's Admin API access token in the
``X-Shopify-Access-Token`` header (no request signature).

GraphQL, not REST: the REST Admin API is legacy since 2024-10-01 and new
public apps must use GraphQL from 2025-04-01 (platform-bills.md §8.1 [S37]),
so this client posts to ``/admin/api/{version}/graphql.json``:
``shopifyPaymentsAccount.balanceTransactions(first, after, query:
"processed_at:>=… processed_at:<…", sortKey: PROCESSED_AT)`` with
``pageInfo { hasNextPage endCursor }`` cursor paging (the ``processed_at``
search filter is inferred from the ``PROCESSED_AT`` sort key *(unconfirmed)*),
and ``orders(query: "updated_at:>=…", sortKey: UPDATED_AT)`` for orders.

Rate limits: GraphQL is throttled by query cost; a throttled call answers
HTTP 200 with ``errors[].extensions.code == "THROTTLED"`` and
``extensions.cost.throttleStatus`` (``currentlyAvailable``, ``restoreRate``):
it is retried after the time needed to restore the requested cost, and the
client also waits before the next page when the bucket runs low (the GraphQL
counterpart of REST's ``X-Shopify-Shop-Api-Call-Limit``). HTTP 429 with
``Retry-After`` is honoured by the common transport.

Why not ``ShopifyAPI`` (12.x): it is built on pyactiveresource/urllib with a
class-level global session (not safe with several shops in one worker) and
no timeout/retry hooks; the GraphQL calls here are a few lines on
``requests``.
"""

import datetime as dt
import json

from .base import (
    UTC,
    AuthError,
    BaseClient,
    MalformedResponseError,
    RateLimitError,
    RemoteError,
    decimal_or_none,
    json_array,
    normalized_order,
    parse_iso,
)

BALANCE_QUERY = """
query BalanceTransactions($first: Int!, $after: String, $query: String) {
  shopifyPaymentsAccount {
    balanceTransactions(first: $first, after: $after, query: $query,
                        sortKey: PROCESSED_AT) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id type test transactionDate
        amount { amount currencyCode }
        fee { amount currencyCode }
        net { amount currencyCode }
        sourceId sourceType sourceOrderTransactionId adjustmentReason
        associatedOrder { id name }
        associatedPayout { id status }
      }
    }
  }
}
"""
ORDERS_QUERY = """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name createdAt updatedAt cancelledAt
      displayFinancialStatus displayFulfillmentStatus
      currencyCode
      totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: 100) {
        nodes { id sku quantity originalUnitPriceSet { shopMoney { amount } } }
      }
    }
  }
}
"""
SHOP_QUERY = "query { shop { id name } }"


def _iso(value):
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ShopifyClient(BaseClient):
    platform = "shopify"
    credential_fields = [
        ("shop_domain", "Shop domain (xxx.myshopify.com)", False),
        ("access_token", "Admin API access token", True),
        ("api_version", "API version (e.g. 2025-07)", False),
    ]
    optional_fields = ("api_version",)
    bill_types = ("balance_transactions",)
    order_window = dt.timedelta(days=7)
    order_lag = dt.timedelta(minutes=1)
    page_size = 100
    max_pages = 1000
    #: wait before the next page when fewer points than this are left.
    min_available = 200

    def __init__(self, credentials, shop="", **kwargs):
        super().__init__(credentials, shop, **kwargs)
        if not self.credentials.get("base_url"):
            self.base_url = f"https://{self.credentials['shop_domain']}"
        version = self.credentials.get("api_version", "2025-07")
        self.endpoint = f"{self.base_url}/admin/api/{version}/graphql.json"

    def _graphql(self, call, query, variables=None):
        payload = json.dumps({"query": query, "variables": variables or {}}).encode()

        def build():
            return {
                "method": "POST",
                "url": self.endpoint,
                "data": payload,
                "headers": {
                    "X-Shopify-Access-Token": self.credentials["access_token"],
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
            }

        def check(response):
            if response.status_code in (401, 403):
                raise self._error(
                    AuthError, call, f"HTTP {response.status_code}: token refused"
                )
            data = self._json(call, response)
            if response.status_code >= 400:
                raise self._error(RemoteError, call, f"HTTP {response.status_code}")
            errors = data.get("errors") or []
            if errors:
                codes = [
                    (error.get("extensions") or {}).get("code") for error in errors
                ]
                message = "; ".join(str(e.get("message", "")) for e in errors)[:300]
                if "THROTTLED" in codes:
                    raise self._error(
                        RateLimitError,
                        call,
                        f"throttled: {message}",
                        retry_after=self._restore_wait(data),
                    )
                if "ACCESS_DENIED" in codes:
                    raise self._error(AuthError, call, message)
                raise self._error(RemoteError, call, message)
            if "data" not in data:
                raise self._error(
                    MalformedResponseError, call, "no data in the response"
                )
            return data, response.content

        data, raw = self._request(call, build, check)
        wait = self._restore_wait(data, threshold=self.min_available)
        if wait:
            self._sleep(wait)
        return data, raw

    @staticmethod
    def _restore_wait(data, threshold=None):
        """Seconds until the cost bucket holds ``threshold`` points (default:
        the requested cost of the query); 0 when it already does."""
        cost = (data.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        available = status.get("currentlyAvailable")
        rate = status.get("restoreRate") or 50
        need = threshold if threshold is not None else cost.get("requestedQueryCost")
        if available is None or need is None or available >= need:
            return 0 if threshold is not None else None
        return (need - available) / rate

    # ------------------------------------------------------------ interface

    def authenticate(self):
        self._graphql("shop", SHOP_QUERY)
        return True

    def list_bills(self, date_from, date_to):
        return [
            self._bill_ref(
                "balance_transactions",
                day.isoformat(),
                self._key(bill_date=day.isoformat()),
                f"shopify_balance_transactions_{day:%Y%m%d}.json",
            )
            for day in self._finished_days(date_from, date_to, tz=UTC)
        ]

    def download_bill(self, bill_ref):
        day = dt.date.fromisoformat(self._unkey(bill_ref)["bill_date"])
        start = dt.datetime.combine(day, dt.time(), UTC)
        end = start + dt.timedelta(days=1)
        search = f"processed_at:>='{_iso(start)}' processed_at:<'{_iso(end)}'"
        pages, after = [], None
        for _page in range(self.max_pages):
            data, raw = self._graphql(
                "balanceTransactions",
                BALANCE_QUERY,
                {"first": self.page_size, "after": after, "query": search},
            )
            pages.append(raw)
            account = data["data"].get("shopifyPaymentsAccount")
            if account is None:
                raise self._error(
                    RemoteError, "balanceTransactions", "no Shopify Payments account"
                )
            info = account["balanceTransactions"]["pageInfo"]
            if not info.get("hasNextPage"):
                return bill_ref.filename, json_array(pages)
            after = info["endCursor"]
        raise self._error(RemoteError, "balanceTransactions", "too many pages")

    def _fetch_orders(self, start, end, marker):
        search = f"updated_at:>='{_iso(start)}' updated_at:<'{_iso(end)}'"
        data, _raw = self._graphql(
            "orders",
            ORDERS_QUERY,
            {"first": 50, "after": marker, "query": search},
        )
        connection = data["data"]["orders"]
        orders = [self._normalize(node) for node in connection["nodes"]]
        info = connection["pageInfo"]
        return orders, (info["endCursor"] if info.get("hasNextPage") else None)

    def _normalize(self, node):
        financial = node.get("displayFinancialStatus") or ""
        fulfillment = node.get("displayFulfillmentStatus") or ""
        if node.get("cancelledAt"):
            status = "cancelled"
        elif financial == "REFUNDED":
            status = "refunded"
        elif fulfillment in ("FULFILLED", "PARTIALLY_FULFILLED"):
            status = "shipped"
        elif financial in ("PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED"):
            status = "paid"
        else:
            status = "pending"
        money = (node.get("totalPriceSet") or {}).get("shopMoney") or {}
        lines = [
            {
                "sub_order_no": item.get("id"),
                "sku": item.get("sku"),
                "quantity": item.get("quantity"),
                "price": decimal_or_none(
                    (
                        (item.get("originalUnitPriceSet") or {}).get("shopMoney") or {}
                    ).get("amount")
                ),
            }
            for item in (node.get("lineItems") or {}).get("nodes") or []
        ]
        return normalized_order(
            self.platform,
            node.get("name") or node.get("id"),
            status=status,
            currency=money.get("currencyCode") or node.get("currencyCode"),
            amount=decimal_or_none(money.get("amount")),
            created_at=parse_iso(node["createdAt"]) if node.get("createdAt") else None,
            updated_at=parse_iso(node["updatedAt"]) if node.get("updatedAt") else None,
            lines=lines,
            raw=node,
        )
