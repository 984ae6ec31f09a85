# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Alipay bills (platform-bills.md §1) and Taobao/Tmall sellers' account log (§3).

Three presets, all plain data:

- ``alipay_signcustomer``: 账务明细 (account bill), classic 12 columns or the
  16-column layout, in any column order; one line per balance movement.
- ``taobao_alipay_signcustomer``: the same file when it belongs to a Taobao or
  Tmall seller. Taobao money settles into the seller's Alipay account (§3.1),
  so the layout is identical; what differs is the order number (the Taobao
  tid hidden in 商户订单号/备注, §3.2) and the platform. It is a separate
  code so that the shop's bills say ``taobao`` and the tid rules never rewrite
  an ordinary merchant's own order numbers; it is chosen automatically when
  the rows show Taobao traces (``T200P…`` order numbers, 淘宝/天猫 sources or
  memos), or explicitly with ``parser_code``. Tmall shops use it too (the
  shop record says tmall). Transaction ids stay in the ``alipay`` channel:
  they are Alipay's 账务流水号 either way.
- ``alipay_trade``: 业务明细 (acquiring bill, 25 columns): per trade a sale
  (or refund) line, the merchant discount and the Alipay service fee.
"""

import copy

from .registry import register
from .tabular import TabularParser

# Amounts printed in the footers: 共1,234.00元, -11.20元 …
_NUMBER = r"[-+]?[\d,]*\.?\d+"

ACCOUNT_COLUMNS = {
    "txn_id": ["账务流水号"],
    "biz_serial": ["业务流水号"],
    "merchant_order_no": ["商户订单号"],
    "product": ["商品名称"],
    "date": ["发生时间", "入账时间"],
    "counterparty": ["对方账号", "对方账户"],
    "income": ["收入金额（+元）", "收入金额"],
    "expense": ["支出金额（-元）", "支出金额"],
    "balance": ["账户余额（元）", "账户余额"],
    "trade_channel": ["交易渠道"],
    "biz_type": ["业务类型"],
    "memo": ["备注"],
    "biz_desc": ["业务描述"],
    "bill_source": ["业务账单来源"],
    "base_order_no": ["业务基础订单号"],
    "biz_nos": ["业务订单号"],
}

_HEADER_TEXT_FIELDS = [
    r"账号[：:]\s*\[(?P<account>[^\]]+)\]",
    r"起始日期[：:]\s*\[(?P<period_start>[^\]]+)\]",
    r"终止日期[：:]\s*\[(?P<period_end>[^\]]+)\]",
    r"导出时间[：:]\s*\[(?P<meta_exported_at>[^\]]+)\]",
]


def _memo(*words):
    return {"column": "memo", "contains": list(words)}


def _type(*values):
    return {"column": "biz_type", "equals": list(values)}


# Kinds of 账务明细 rows: §1.5 for every merchant, refined by the 备注 keywords
# of §3.3 (ShopeX's category rules) that Taobao/Tmall rows carry. Order matters.
ACCOUNT_RULES = [
    {"when": _type("提现"), "kind": "payout"},
    {"when": _type("充值"), "kind": "other"},  # wallet top-up, not income
    {"when": _type("交易退款"), "kind": "refund"},
    # A negative 在线支付 of an ordinary merchant is the merchant paying
    # something: left unclassified (the Taobao preset reads it by sign).
    {"when": [_type("在线支付", "交易付款"), {"sign": "positive"}], "kind": "sale"},
    {"when": _memo("天猫佣金", "聚划算佣金", "淘抢购保底佣金"), "kind": "commission"},
    # 淘宝客 is affiliate marketing: ``ads`` by default, ``commission`` is the
    # shop's other choice (§3.3); change this rule in a copied preset.
    {"when": _memo("淘宝客"), "kind": "ads"},
    {
        "when": _memo("花呗支付服务费", "信用卡支付服务费", "花呗分期服务费"),
        "kind": "payment_fee",
    },
    {
        "when": _memo("淘抢购技术", "聚划算参团服务费", "技术年费"),
        "kind": "service_fee",
    },
    {"when": _memo("买就返", "返点积分", "代扣交易退回积分"), "kind": "rebate"},
    # Red packets paid by the seller (funding unconfirmed in the doc).
    {"when": _memo("权益红包", "支付宝红包"), "kind": "merchant_coupon"},
    # Insurance premiums, incl. freight insurance 运费险: service_fee per §3.3.
    {
        "when": _memo("价格保障保险", "退保保费", "运费险", "保费收取"),
        "kind": "service_fee",
    },
    # Tmall's technical company paying out (无货赔付) is an adjustment.
    {
        "when": {"column": "counterparty", "contains": "天猫技术有限公司"},
        "kind": "adjustment",
    },
    # After-sale payments and deposit claims are goods money (§3.3 first row).
    {
        "when": [_memo("售后支付", "商家保证金理赔"), {"sign": "negative"}],
        "kind": "refund",
    },
    {"when": _memo("售后支付", "商家保证金理赔"), "kind": "sale"},
    {"when": _memo("保证金"), "kind": "deposit"},  # 冻结/解冻/迁移/聚划算保险保证金
    # Any other Alipay charge or charge refund: the processing fee (§1.5).
    {"when": _type("收费", "退费"), "kind": "payment_fee"},
]

ALIPAY_SIGNCUSTOMER_SPEC = {
    "code": "alipay_signcustomer",
    "label": "Alipay account bill (账务明细)",
    "platform": "alipay",
    "channel": "alipay",
    "version": "1",
    "columns": ACCOUNT_COLUMNS,
    "required_columns": ["txn_id", "date", "income", "expense", "biz_type"],
    "recognize": {"score": 60, "markers": ["账务明细列表", "支付宝账务明细"]},
    "read": {
        # GBK, comma-separated, no quoting (§1.2); id cells end with a TAB.
        "quoting": False,
        "end_markers": ["#"],
        "end_required": True,  # the footer always follows the rows
    },
    "amount": {"pair": ["income", "expense"]},
    "rules": ACCOUNT_RULES,
    "default_kind": None,
    "transaction_id": {"columns": ["txn_id"]},
    "fields": {
        "order_ref": ["merchant_order_no"],
        "related_ref": ["biz_serial"],
        "counterparty": ["counterparty"],
        "description": ["memo", "product", "biz_desc"],
        "balance": "balance",
    },
    "currency": "CNY",
    "date": {"columns": ["date"], "tz": "Asia/Shanghai"},
    "text_fields": [
        *_HEADER_TEXT_FIELDS,
        rf"支出合计[：:]\s*(?P<expense_count>\d+)\s*笔[，,]\s*共?\s*(?P<expense>{_NUMBER})\s*元",
        rf"收入合计[：:]\s*(?P<income_count>\d+)\s*笔[，,]\s*共?\s*(?P<income>{_NUMBER})\s*元",
    ],
    "positive_totals": ["expense"],
    "derived_totals": {
        "net": ["income", "-expense"],
        "count": ["income_count", "expense_count"],
    },
}

# Taobao tid extraction, in the priority order of platform-bills.md §3.2
# (ShopeX OMS alipay.php plus the other ERP's rules).
_TID = r"(\d{6,})"
TAOBAO_ORDER_REF = [
    {"when": _type("提现"), "stop": True},  # withdrawals never carry an order
    {"column": "base_order_no"},  # 业务基础订单号 (16-column files)
    {"column": "merchant_order_no", "regex": r"^T\d+P" + _TID},  # T200P…, T10000P…
    # 交易退款/其它: 售后退款-…-T200P<tid>, 售后支付-…, 保证金退款-…
    {"column": "memo", "regex": r"T\d+P" + _TID},
    # HJCAE==…==…==<tid>, HJCOM==…==…==<tid>: the 4th '==' part
    {
        "column": "merchant_order_no",
        "regex": r"^HJ(?:CAE|COM)[^=]*==[^=]*==[^=]*==" + _TID,
    },
    {"column": "memo", "regex": r"淘宝订单号\s*" + _TID},
    {"column": "merchant_order_no", "regex": r"CAE_CHARITY_" + _TID},
    {"column": "memo", "regex": r"CAE_CHARITY_" + _TID},
    # CAE_POINT_…_<tid>, GXFZ_…_<tid>: the 3rd '_' part
    {"column": "merchant_order_no", "regex": r"^(?:CAE_POINT|GXFZ)_[^_]*_" + _TID},
    # 转账 with CAE…: digits in 备注, else the 3rd '_' part of 商户订单号
    {
        "when": [_type("转账"), {"column": "merchant_order_no", "startswith": "CAE"}],
        "column": "memo",
        "regex": _TID,
    },
    {"column": "merchant_order_no", "regex": r"^CAE[^_]*_[^_]*_" + _TID},
    # 淘宝客佣金代扣款[<tid>], {<tid>}, 保费收取(<tid>) …
    {"column": "memo", "regex": r"[\[{(（【]\s*" + _TID + r"\s*[\]})）】]"},
    {"when": _memo("聚划算保险保证金"), "stop": True},  # deposit rows, no order
    # 交易分账 / 其它: the first digit run in 备注
    {"when": _type("交易分账", "其它"), "column": "memo", "regex": _TID},
]

TAOBAO_SIGNCUSTOMER_SPEC = copy.deepcopy(ALIPAY_SIGNCUSTOMER_SPEC)
TAOBAO_SIGNCUSTOMER_SPEC.update(
    {
        "code": "taobao_alipay_signcustomer",
        "label": "Taobao/Tmall seller's Alipay account bill (账务明细)",
        "platform": "taobao",
        "channel": "alipay",
        "recognize": {
            "score": 60,
            "markers": ["账务明细列表", "支付宝账务明细"],
            "evidence": {
                "any": [
                    {"column": "merchant_order_no", "regex": r"^T\d+P\d{6,}"},
                    {
                        "column": "bill_source",
                        "equals": ["淘宝", "天猫", "淘宝联盟", "聚划算"],
                    },
                    {"column": "memo", "contains": ["淘宝", "天猫", "聚划算", "T200P"]},
                    {"column": "counterparty", "contains": ["天猫", "淘宝"]},
                ]
            },
            "evidence_required": True,
            "evidence_bonus": 20,
        },
    }
)
TAOBAO_SIGNCUSTOMER_SPEC["fields"]["order_ref"] = TAOBAO_ORDER_REF
# §3.3: 交易付款/在线支付/交易退款 are goods money, sale or refund by sign.
TAOBAO_SIGNCUSTOMER_SPEC["rules"].insert(
    3,
    {"when": [_type("在线支付", "交易付款"), {"sign": "negative"}], "kind": "refund"},
)
# 业务订单号 carries upper-case prefixed numbers, S = sub-order (§1.1 biz_nos);
# the exact cell format is unconfirmed.
TAOBAO_SIGNCUSTOMER_SPEC["fields"]["sub_order_ref"] = [
    {"column": "biz_nos", "regex": r"(?:^|[^A-Z0-9])S(\d{6,})"}
]


_TRADE = {"column": "biz_type", "equals": "交易"}
_REFUND = {"column": "biz_type", "equals": "退款"}

ALIPAY_TRADE_SPEC = {
    "code": "alipay_trade",
    "label": "Alipay acquiring bill (业务明细)",
    "platform": "alipay",
    "channel": "alipay",
    "version": "1",
    "columns": {
        "trade_no": ["支付宝交易号"],
        "merchant_order_no": ["商户订单号"],
        "biz_type": ["业务类型"],
        "product": ["商品名称"],
        "created": ["创建时间"],
        "finished": ["完成时间"],
        "store_no": ["门店编号"],
        "store_name": ["门店名称"],
        "operator": ["操作员"],
        "terminal": ["终端号"],
        "counterparty": ["对方账户", "对方账号"],
        "order_amount": ["订单金额（元）", "订单金额"],
        "received": ["商家实收（元）", "商家实收"],
        "alipay_red_packet": ["支付宝红包（元）"],
        "jifenbao": ["集分宝（元）"],
        "alipay_discount": ["支付宝优惠（元）"],
        "merchant_discount": ["商家优惠（元）", "商家优惠"],
        "voucher_amount": ["券核销金额（元）"],
        "voucher_name": ["券名称"],
        "merchant_red_packet": ["商家红包消费金额（元）"],
        "card_amount": ["卡消费金额（元）"],
        "refund_batch": ["退款批次号/请求号", "退款批次号"],
        "service_fee": ["服务费（元）", "服务费", "手续费（元）"],
        "profit_share": ["分润（元）", "分润"],
        "memo": ["备注"],
    },
    "required_columns": ["trade_no", "biz_type", "received", "order_amount"],
    "recognize": {"score": 60, "markers": ["业务明细列表", "支付宝业务明细"]},
    "read": {"quoting": False, "end_markers": ["#"], "end_required": True},
    # 商家实收 is what reaches the wallet; the fee is deducted separately
    # (the account bill shows both movements). The sale line is the amount
    # before the merchant discount (商家实收 + 商家优惠) and the discount is a
    # merchant_coupon line, so the lines of a trade add up to 商家实收 + fee.
    # Alipay-funded discounts (红包/集分宝/支付宝优惠) are paid to the merchant
    # by Alipay: they stay inside the sale amount (kept in ``raw``).
    # Several importers abs() the amounts and take the direction from 业务类型
    # (§1.3): the fee and the profit share are taken that way.
    "components": [
        {"columns": ["received", "merchant_discount"], "kind": "rules"},
        {
            "column": "merchant_discount",
            "sign": "negate",  # refund rows print it negative: then it comes back
            "kind": "merchant_coupon",
            "suffix": ":coupon",
        },
        {
            "column": "service_fee",
            "sign": "debit",
            "kind": "payment_fee",
            "suffix": ":fee",
            "when": {"not": _REFUND},
        },
        {
            "column": "service_fee",
            "sign": "credit",  # fee given back on a refund
            "kind": "payment_fee",
            "suffix": ":fee",
            "when": _REFUND,
        },
        # 分润 → commission (§1.5); whether 商家实收 already excludes it is
        # unconfirmed (the samples only show 0.00).
        {
            "column": "profit_share",
            "sign": "debit",
            "kind": "commission",
            "suffix": ":share",
            "when": {"not": _REFUND},
        },
        {
            "column": "profit_share",
            "sign": "credit",
            "kind": "commission",
            "suffix": ":share",
            "when": _REFUND,
        },
    ],
    "rules": [
        {"when": _TRADE, "kind": "sale"},
        {"when": _REFUND, "kind": "refund"},
    ],
    # One payment row per trade; refunds are keyed by their batch number (as
    # dax-pay does), so partial refunds of one trade stay distinct.
    "transaction_id": {"columns": ["trade_no", "refund_batch"], "join": "-"},
    "fields": {
        "order_ref": ["merchant_order_no"],
        "related_ref": ["trade_no"],
        "counterparty": ["counterparty"],
        "description": ["product", "memo"],
    },
    "currency": "CNY",
    "date": {"columns": ["finished", "created"], "tz": "Asia/Shanghai"},
    "text_fields": [
        *_HEADER_TEXT_FIELDS,
        rf"交易合计[：:]\s*(?P<trade_count>\d+)\s*笔[，,]\s*商家实收共?\s*"
        rf"(?P<trade_received>{_NUMBER})\s*元(?:[，,]\s*商家优惠共?\s*"
        rf"(?P<trade_discount>{_NUMBER})\s*元)?",
        rf"退款合计[：:]\s*(?P<refund_count>\d+)\s*笔[，,]\s*商家实收退款共?\s*"
        rf"(?P<refund_received>{_NUMBER})\s*元(?:[，,]\s*商家优惠退款共?\s*"
        rf"(?P<refund_discount>{_NUMBER})\s*元)?",
    ],
    # received = Σ 商家实收 = Σ of the sale, refund and merchant_coupon lines.
    "derived_totals": {
        "count": ["trade_count", "refund_count"],
        "received": ["trade_received", "refund_received"],
    },
}


@register
class AlipaySignCustomerParser(TabularParser):
    spec = ALIPAY_SIGNCUSTOMER_SPEC


@register
class TaobaoAlipaySignCustomerParser(TabularParser):
    spec = TAOBAO_SIGNCUSTOMER_SPEC


@register
class AlipayTradeParser(TabularParser):
    spec = ALIPAY_TRADE_SPEC
