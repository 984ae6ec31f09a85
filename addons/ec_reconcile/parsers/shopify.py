# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shopify Payments "Export transactions" CSV (platform-bills.md §8.2).

17/18/19-column variants (VAT, Business Entity …) and the short one: columns
by name. Each row gives a gross line (Amount) and a fee line (Fee, charged
positive, so negated).

Pending rows (Payout Status ``pending``, no Payout ID) are kept: the money is
already in the Shopify balance, only not paid out yet; ``related_ref`` is the
Payout ID, empty while pending. The transaction id hashes the transaction's
own columns only (never the payout columns), so the same row re-exported
after its payout keeps its id and is not imported twice.
"""

from .registry import register
from .tabular import TabularParser


def _type(*values):
    return {"column": "type", "equals": list(values)}


SHOPIFY_PAYMENTS_SPEC = {
    "code": "shopify_payments",
    "label": "Shopify Payments transactions (CSV)",
    "platform": "shopify",
    "channel": "shopify",
    "version": "1",
    "case_insensitive": True,
    "columns": {
        "date": ["Transaction Date"],
        "type": ["Type"],
        "order": ["Order"],
        "card_brand": ["Card Brand"],
        "card_source": ["Card Source"],
        "payout_status": ["Payout Status"],
        "payout_date": ["Payout Date"],
        "payout_id": ["Payout ID"],
        "available_on": ["Available On"],
        "amount": ["Amount"],
        "fee": ["Fee"],
        "net": ["Net"],
        "checkout": ["Checkout"],
        "payment_method": ["Payment Method Name"],
        "presentment_amount": ["Presentment Amount"],
        "presentment_currency": ["Presentment Currency"],
        "currency": ["Currency"],
        "vat": ["VAT"],
        "entity_name": ["Business Entity Name"],
        "entity_id": ["Business Entity ID"],
    },
    "required_columns": ["date", "type", "amount", "fee", "net"],
    "recognize": {"score": 55},
    "components": [
        {"column": "amount", "kind": "rules", "allow_empty": False},
        {"column": "fee", "sign": "negate", "kind": "payment_fee", "suffix": ":fee"},
    ],
    "net_check": "net",
    "rules": [
        {"when": _type("charge"), "kind": "sale"},
        {"when": _type("refund"), "kind": "refund"},
        {"when": _type("dispute"), "kind": "adjustment"},
        {"when": _type("reserve"), "kind": "deposit"},
        {"when": _type("adjustment", "credit", "debit"), "kind": "adjustment"},
        {
            "when": _type("payout", "payout_failure", "payout_cancellation"),
            "kind": "payout",
        },
    ],
    "transaction_id": {
        "hash": [
            "date",
            "type",
            "order",
            "card_brand",
            "card_source",
            "amount",
            "fee",
            "net",
            "checkout",
            "presentment_amount",
            "presentment_currency",
            "currency",
        ]
    },
    "fields": {
        "order_ref": ["order"],
        "related_ref": ["payout_id"],
        "description": [{"template": "{type} {payment_method}"}],
        "currency": ["currency"],
    },
    # Offsets like -0500 are kept; edited files may show 2026/6/12 (naive:
    # read as UTC).
    "date": {
        "columns": ["date"],
        "tz": "UTC",
        "formats": ["%Y-%m-%d %H:%M:%S %z", "%Y/%m/%d %H:%M:%S %z", "%Y/%m/%d %H:%M"],
    },
}


@register
class ShopifyPaymentsParser(TabularParser):
    spec = SHOPIFY_PAYMENTS_SPEC
