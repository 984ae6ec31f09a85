# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""JD POP daily settlement detail, one row per 费用项 (platform-bills.md §4.2).

The 23-column ShopeX list, the 21/22-column variants ending with 账单日期,
CSV (ids as ``="…"``) or XLSX (dates as Excel serial numbers, amounts with
float noise): columns are mapped by name. The sign of 金额 versus 收支方向 is
unconfirmed (§4.2), so the amount is taken unsigned and signed by 收支方向
(or 商家应收/应付 when there is no 收支方向).
"""

from .registry import register
from .tabular import TabularParser


def _fee(*items):
    return {"column": "fee_item", "equals": list(items)}


# 代收配送费 is freight the buyer paid, collected by JD for the merchant:
# part of the order's income (Odoo's order carries it as a shipping line),
# not a logistics charge, so it is order income, not shipping_fee.
_GOODS = _fee("货款", "定金货款", "尾款货款", "代收配送费")

JD_SETTLEMENT_SPEC = {
    "code": "jd_settlement",
    "label": "JD settlement detail (结算单明细)",
    "platform": "jd",
    "channel": "jd",
    "version": "1",
    "columns": {
        "order_no": ["订单编号"],
        "doc_no": ["单据编号"],
        "doc_type": ["单据类型"],
        "sku": ["商品编号"],
        "merchant_order_no": ["商户订单号"],
        "product": ["商品名称"],
        "settle_status": ["结算状态"],
        "occurred_at": ["费用发生时间"],
        "billed_at": ["费用计费时间"],
        "settled_at": ["费用结算时间"],
        "fee_item": ["费用项"],
        "amount": ["金额", "金额（元）"],
        "currency": ["币种"],
        "receivable": ["商家应收/应付"],
        "wallet_memo": ["钱包结算备注"],
        "shop_no": ["店铺号"],
        "jd_store_no": ["京东门店编号"],
        "brand_store_no": ["品牌门店编号"],
        "store_name": ["门店名称"],
        "memo": ["备注"],
        "direction": ["收支方向"],
        "quantity": ["商品数量"],
        "bill_date": ["对账日期", "账单日期"],
    },
    "required_columns": ["order_no", "doc_no", "fee_item", "amount"],
    "recognize": {"score": 60},
    "direction": {
        "columns": ["direction", "receivable"],
        "in": ["收入", "应收"],
        "out": ["支出", "应付"],
    },
    "amount": {"column": "amount", "sign": "direction", "allow_empty": False},
    # §4.4, except 代收配送费 (buyer-paid freight: income, see _GOODS);
    # promotion/京豆/东券 items are unconfirmed: other + flagged.
    "rules": [
        {"when": [_GOODS, {"sign": "negative"}], "kind": "refund"},
        {"when": _GOODS, "kind": "sale"},
        {"when": _fee("佣金"), "kind": "commission"},
        {"when": _fee("价保扣款", "售后卖家赔付费"), "kind": "adjustment"},
    ],
    # 单据编号 is given as the row key (§0.6), but a document (order,
    # after-sale) may well carry several 费用项 rows: the fee item and the SKU
    # are part of the key, and a remaining duplicate gets an ordinal.
    "transaction_id": {
        "columns": ["doc_no", "fee_item", "sku"],
        "join": "-",
        "ordinal": True,
    },
    "fields": {
        "order_ref": ["order_no", "merchant_order_no"],
        "description": [{"template": "{fee_item} {product}"}],
        "currency": ["currency"],
        "account": ["shop_no"],
    },
    "currency": "CNY",
    "currency_map": {"人民币": "CNY", "RMB": "CNY"},
    # Settlement time first: the day the money moved in the wallet.
    "date": {
        "columns": ["settled_at", "billed_at", "occurred_at", "bill_date"],
        "tz": "Asia/Shanghai",
    },
}


@register
class JdSettlementParser(TabularParser):
    spec = JD_SETTLEMENT_SPEC
