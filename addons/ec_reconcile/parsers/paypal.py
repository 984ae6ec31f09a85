# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""PayPal activity download CSV (platform-bills.md §11).

The 22-column activity layout (OCA fixture) and the statement layout
(``Time Zone``, ``Description``, quoted ``"-1,058.09"``): columns by name.
Each row gives a gross line and a fee line (Fee is signed as written).

Dates: OCA reads the activity layout as dd/mm/yyyy and the statement layout as
mm/dd/yyyy. The parser decides from the whole file (a first part > 12 means
dd/mm, a second part > 12 means mm/dd) and falls back to dd/mm (the OCA
activity preset) with a warning when every date fits both. The TimeZone
column (PST/PDT/CET… or an IANA name) converts each row to UTC.
Transaction ids are ``<Transaction ID>-<UTC timestamp>`` as OCA does,
because PayPal ids are not unique (§11.1).
"""

from .registry import register
from .tabular import TabularParser


def _type(**test):
    return {"column": "type", **test}


PAYPAL_ACTIVITY_SPEC = {
    "code": "paypal_activity",
    "label": "PayPal activity (CSV)",
    "platform": "paypal",
    "channel": "paypal",
    "version": "1",
    "case_insensitive": True,
    "columns": {
        "date": ["Date"],
        "time": ["Time"],
        "timezone": ["TimeZone", "Time Zone"],
        "name": ["Name"],
        "type": ["Type", "Description"],
        "status": ["Status"],
        "currency": ["Currency"],
        "gross": ["Gross"],
        "fee": ["Fee"],
        "net": ["Net"],
        "from_email": ["From Email Address"],
        "to_email": ["To Email Address"],
        "txn_id": ["Transaction ID"],
        "address_status": ["Address Status"],
        "sales_tax": ["Sales Tax"],
        "reference_txn": ["Reference Txn ID"],
        "invoice": ["Invoice Number", "Invoice ID"],
        "receipt": ["Receipt ID"],
        "balance": ["Balance"],
        "phone": ["Contact Phone Number"],
        "subject": ["Subject"],
        "note": ["Note"],
        "balance_impact": ["Balance Impact"],
    },
    "required_columns": ["date", "time", "currency", "gross", "net", "txn_id"],
    "recognize": {"score": 55},
    # Rows that do not move the balance (authorizations …), where the column
    # exists.
    "read": {"ignore": [{"column": "balance_impact", "equals": "Memo"}]},
    "components": [
        {"column": "gross", "kind": "rules", "allow_empty": False},
        {"column": "fee", "kind": "payment_fee", "suffix": ":fee"},
    ],
    "net_check": "net",
    "rules": [
        {"when": _type(contains="refund"), "kind": "refund"},
        {"when": _type(contains="withdraw"), "kind": "payout"},
        # Conversion pairs, linked by Reference Txn ID.
        {"when": _type(contains="currency conversion"), "kind": "other"},
        {"when": _type(contains=["hold", "release", "reserve"]), "kind": "deposit"},
        # Not in the doc's table; adjustment by analogy with Shopify disputes.
        {"when": _type(contains=["chargeback", "dispute"]), "kind": "adjustment"},
        {"when": [_type(contains="payment"), {"sign": "positive"}], "kind": "sale"},
    ],
    "transaction_id": {"columns": ["txn_id", "$date"], "join": "-"},
    "fields": {
        "order_ref": ["invoice"],
        "related_ref": ["reference_txn"],
        # The other party: the payer on money in, the payee on money out.
        "counterparty": [
            "name",
            {"column": "from_email", "when": {"sign": "positive"}},
            {"column": "to_email", "when": {"sign": "negative"}},
        ],
        "description": ["subject", "note", "type"],
        "currency": ["currency"],
        "balance": "balance",
    },
    "date": {
        "columns": ["date"],
        "time": "time",
        "tz_column": "timezone",
        "tz": "UTC",
        "day_first": "auto",
        "day_first_default": True,
    },
}


@register
class PaypalActivityParser(TabularParser):
    spec = PAYPAL_ACTIVITY_SPEC
