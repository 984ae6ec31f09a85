# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Amazon settlement report, flat file V2 (platform-bills.md §9).

Tab-separated; the header is followed by one settlement summary row (its
``total-amount`` is the payout: stored as declared ``net``, with the
settlement id and deposit date in ``meta``, not as a line), then one row per
amount component. 22- and 24-column variants are mapped by name.
No unique row id: hash of the row's values + ordinal.
"""

from .registry import register
from .tabular import TabularParser


def _col(name, **test):
    return {"column": name, **test}


AMAZON_SETTLEMENT_V2_SPEC = {
    "code": "amazon_settlement_v2",
    "label": "Amazon settlement report V2 (flat file)",
    "platform": "amazon",
    "channel": "amazon",
    "version": "1",
    "case_insensitive": True,
    "columns": {
        "settlement_id": ["settlement-id"],
        "settlement_start": ["settlement-start-date"],
        "settlement_end": ["settlement-end-date"],
        "deposit_date": ["deposit-date"],
        "total_amount": ["total-amount"],
        "currency": ["currency"],
        "transaction_type": ["transaction-type"],
        "order_id": ["order-id"],
        "merchant_order_id": ["merchant-order-id"],
        "adjustment_id": ["adjustment-id"],
        "shipment_id": ["shipment-id"],
        "marketplace": ["marketplace-name"],
        "amount_type": ["amount-type"],
        "amount_description": ["amount-description"],
        "amount": ["amount"],
        "fulfillment_id": ["fulfillment-id"],
        "posted_date": ["posted-date"],
        "posted_date_time": ["posted-date-time"],
        "order_item_code": ["order-item-code"],
        "merchant_order_item_id": ["merchant-order-item-id"],
        "merchant_adjustment_item_id": ["merchant-adjustment-item-id"],
        "sku": ["sku"],
        "quantity": ["quantity-purchased"],
        "promotion_id": ["promotion-id"],
    },
    "required_columns": [
        "settlement_id",
        "total_amount",
        "transaction_type",
        "amount_type",
        "amount_description",
        "amount",
    ],
    "recognize": {"score": 60},
    "read": {"delimiter": "\t", "quoting": False},
    "summary_rows": {
        "when": _col("total_amount", empty=False),
        "fields": {
            "total_amount": "net",
            "settlement_start": "period_start",
            "settlement_end": "period_end",
            "settlement_id": "meta_settlement_id",
            "deposit_date": "meta_deposit_date",
            "currency": "meta_currency",
        },
    },
    "amount": {"column": "amount", "allow_empty": False},
    # §9.3, order matters. Marketplace-facilitator tax rows cancel out.
    "rules": [
        {"when": _col("amount_type", equals="ItemWithheldTax"), "kind": "tax"},
        {
            "when": _col("amount_description", regex=r"tax|^TCS|^TDS"),
            "kind": "tax",
        },
        {"when": _col("amount_type", equals="Promotion"), "kind": "merchant_coupon"},
        {
            "when": _col(
                "amount_description", equals=["Commission", "RefundCommission"]
            ),
            "kind": "commission",
        },
        {
            "when": [
                _col("transaction_type", equals="Refund"),
                _col("amount_type", equals="ItemPrice"),
            ],
            "kind": "refund",
        },
        {"when": _col("amount_description", equals="Shipping"), "kind": "shipping_fee"},
        {"when": _col("amount_type", equals="ItemPrice"), "kind": "sale"},
        # FBA fees, storage, subscription, inbound defect and other item fees.
        {"when": _col("amount_type", equals="ItemFees"), "kind": "service_fee"},
        {"when": _col("transaction_type", equals="FBAFees"), "kind": "service_fee"},
        {
            "when": _col(
                "amount_description",
                regex=r"^FBA|storage|subscription fee|inbound defect",
            ),
            "kind": "service_fee",
        },
        {"when": _col("amount_type", regex=r"inbound defect"), "kind": "service_fee"},
        # Reserve held back / released by Amazon (well-known V2 rows).
        {"when": _col("amount_description", contains="Reserve"), "kind": "deposit"},
    ],
    "transaction_id": {
        "hash": [
            "settlement_id",
            "transaction_type",
            "order_id",
            "merchant_order_id",
            "adjustment_id",
            "shipment_id",
            "amount_type",
            "amount_description",
            "amount",
            "posted_date",
            "merchant_order_item_id",
            "merchant_adjustment_item_id",
            "sku",
            "quantity",
            "promotion_id",
        ]
    },
    "fields": {
        # order-id holds an FBA shipment id on FBAFees rows (§9.3).
        "order_ref": [
            {"when": _col("transaction_type", equals="FBAFees"), "stop": True},
            "order_id",
        ],
        "sub_order_ref": ["order_item_code", "merchant_order_item_id"],
        "related_ref": ["adjustment_id"],
        "description": [
            {"template": "{transaction_type} {amount_type}/{amount_description}"}
        ],
        "currency": ["currency"],
    },
    "date": {
        "columns": ["posted_date_time", "posted_date"],
        "tz": "UTC",
        # Formats vary per marketplace (§9.2); dd/mm vs mm/dd is decided from
        # the file, mm/dd when it cannot tell (Amazon.com).
        "day_first": "auto",
        "day_first_default": False,
        "formats": ["%d.%m.%Y %H:%M:%S UTC", "%d.%m.%Y"],
    },
}


@register
class AmazonSettlementV2Parser(TabularParser):
    spec = AMAZON_SETTLEMENT_V2_SPEC
