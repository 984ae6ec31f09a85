# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pinduoduo 店铺账务明细 / 货款账户 export (platform-bills.md §6).

Both variants: A (title, blank line, time range, separator line, header,
rows, ``#…合计`` footer; GBK) and B (header on the first line, UTF-8 BOM).
PDD rows have no row id: the transaction id is a hash of the row + ordinal.
"""

from .registry import register
from .tabular import TabularParser

_NUMBER = r"[-+]?[\d,]*\.?\d+"
_DATE = r"\d{4}-\d{1,2}-\d{1,2}(?: \d{1,2}:\d{2}:\d{2})?"


def _type(*values):
    return {"column": "type", "equals": list(values)}


def _code(*prefixes):
    return {"column": "biz_desc", "startswith": list(prefixes)}


PDD_ACCOUNT_SPEC = {
    "code": "pdd_account",
    "label": "Pinduoduo shop account detail (店铺账务明细)",
    "platform": "pdd",
    "channel": "pdd",
    "version": "1",
    "columns": {
        "order_no": ["商户订单号", "商品订单号", "订单号"],
        "date": ["发生时间"],
        "income": ["收入金额（+元）", "收入金额"],
        "expense": ["支出金额（-元）", "支出金额"],
        "type": ["账务类型"],
        "memo": ["备注"],
        "biz_desc": ["业务描述"],
    },
    "required_columns": ["date", "income", "expense", "type"],
    "recognize": {"score": 55, "markers": ["拼多多", "交易记录明细列表"]},
    # The footer (#支出合计 …) is absent in variant B: not required.
    "read": {"end_markers": ["#"]},
    # Expense is written negative in the samples; either sign is accepted.
    "amount": {"pair": ["income", "expense"]},
    "rules": [
        {"when": _type("交易收入"), "kind": "sale"},
        {"when": _type("交易退款"), "kind": "refund"},
        # Refunds of it (基础技术服务费返还) arrive as income of the same type.
        {"when": _type("技术服务费"), "kind": "service_fee"},
        {"when": _type("多多进宝"), "kind": "ads"},
        {"when": _type("其他支出"), "kind": "adjustment"},
        {"when": {"column": "type", "contains": "提现"}, "kind": "payout"},
        {"when": {"column": "type", "contains": "保证金"}, "kind": "deposit"},
        {"when": {"column": "type", "contains": ["推广", "营销"]}, "kind": "ads"},
        # Fallback on the code of 业务描述 (<code>|<大类>-<小类>), the stable key
        # per §6.3; the category meaning of the first three digits is
        # inferred from the samples.
        {"when": _code("001"), "kind": "sale"},
        {"when": _code("002"), "kind": "refund"},
        {"when": _code("003"), "kind": "service_fee"},
        {"when": _code("006"), "kind": "ads"},
        {"when": _code("014"), "kind": "adjustment"},
    ],
    "transaction_id": {"hash": "all"},
    "fields": {
        "order_ref": [{"column": "order_no", "exclude": ["-"]}],
        "description": [
            {"column": "memo", "exclude": ["-"]},
            {"column": "biz_desc", "regex": r"\|(.+)$"},
            "type",
        ],
    },
    "currency": "CNY",
    "date": {"columns": ["date"], "tz": "Asia/Shanghai"},
    "text_fields": [
        rf"起始时间[：:]\s*\[?(?P<period_start>{_DATE})",
        rf"终止时间[：:]\s*\[?(?P<period_end>{_DATE})",
        rf"支出合计[：:]\s*(?P<expense_count>\d+)\s*笔[，,]\s*共?\s*(?P<expense>{_NUMBER})\s*元",
        rf"收入合计[：:]\s*(?P<income_count>\d+)\s*笔[，,]\s*共?\s*(?P<income>{_NUMBER})\s*元",
        rf"总计[：:]\s*(?P<count>\d+)\s*笔[，,]\s*共?\s*(?P<net>{_NUMBER})\s*元",
        r"导出时间[：:]\s*\[?(?P<meta_exported_at>[^\]]+?)\]?\s*$",
    ],
    # The footer prints the expense negative: kept as a positive sum.
    "positive_totals": ["expense"],
    "derived_totals": {
        "net": ["income", "-expense"],
        "count": ["income_count", "expense_count"],
    },
}


@register
class PddAccountParser(TabularParser):
    spec = PDD_ACCOUNT_SPEC
