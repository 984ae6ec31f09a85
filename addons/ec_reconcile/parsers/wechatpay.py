# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""WeChat Pay merchant bills (platform-bills.md §2).

- ``wechatpay_tradebill``: 交易账单, types ALL / SUCCESS / REFUND and the
  legacy layouts (总金额 / 企业红包金额); a payment row gives a sale line, a
  coupon line (订单金额 − 应结订单金额, merchant-funded by default) and a fee
  line; a refund row gives a refund line (退款金额) and a fee line when the fee
  comes back.
- ``wechatpay_fundflow``: 资金账单 (BASIC/OPERATION/FEES accounts): one line
  per flow, unsigned amount + 收入/支出, running balance.

Both files: UTF-8 with BOM, every data cell prefixed with a backtick, a
two-line summary block at the end. Data lines are split on ``,``+backtick, so
commas inside product names are safe (§2.2).
"""

from .registry import register
from .tabular import TabularParser

_REFUND_STATUSES = ["REFUND", "REVOKED", "转入退款", "已退款", "已撤销"]
_PAID_STATUSES = ["SUCCESS", "支付成功", "买家已支付"]
_IS_REFUND = {"column": "status", "in": _REFUND_STATUSES}

_READ = {
    "delimiter": ",",
    "quoting": False,
    "cell_prefix": "`",
    "end_required": True,  # the summary block always closes the bill
}

WECHATPAY_TRADEBILL_SPEC = {
    "code": "wechatpay_tradebill",
    "label": "WeChat Pay trade bill (交易账单)",
    "platform": "wechatpay",
    "channel": "wechatpay",
    "version": "1",
    "columns": {
        "time": ["交易时间"],
        "appid": ["公众账号ID"],
        "mch_id": ["商户号"],
        "sub_mch_id": ["特约商户号", "子商户号"],
        "device": ["设备号"],
        "wx_txn_id": ["微信订单号"],
        "out_trade_no": ["商户订单号"],
        "openid": ["用户标识"],
        "trade_type": ["交易类型"],
        "status": ["交易状态"],
        "bank": ["付款银行"],
        "currency": ["货币种类"],
        # Legacy merchants get 总金额 instead of 应结订单金额 (§2.2).
        "settled": ["应结订单金额", "总金额"],
        "coupon": ["代金券金额", "企业红包金额", "代金券或立减优惠金额"],
        "wx_refund_no": ["微信退款单号"],
        "out_refund_no": ["商户退款单号"],
        "refund_amount": ["退款金额"],
        "coupon_refund": [
            "充值券退款金额",
            "企业红包退款金额",
            "代金券或立减优惠退款金额",
        ],
        "refund_type": ["退款类型"],
        "refund_status": ["退款状态"],
        "product": ["商品名称"],
        "attach": ["商户数据包"],
        "fee": ["手续费"],
        "rate": ["费率"],
        # Gross before coupons; layouts without 订单金额 fall back to the
        # settled amount (no coupon line then).
        "gross": ["订单金额", "应结订单金额", "总金额"],
        "refund_requested": ["申请退款金额"],
        "rate_note": ["费率备注"],
        "refund_applied_at": ["退款申请时间"],
        "refund_succeeded_at": ["退款成功时间"],
    },
    "required_columns": [
        "time",
        "wx_txn_id",
        "out_trade_no",
        "status",
        "settled",
        "fee",
    ],
    "recognize": {"score": 60},
    "read": _READ,
    "components": [
        {"column": "gross", "kind": "rules", "when": {"not": _IS_REFUND}},
        {
            # 订单金额 − 应结订单金额 = the non-prefunded coupon, funded by the
            # merchant unless the shop says WeChat funds it (§2.4).
            "columns": ["gross", "-settled"],
            "sign": "negate",
            "kind": "merchant_coupon",
            "suffix": ":coupon",
            "when": {"not": _IS_REFUND},
        },
        {
            "column": "refund_amount",
            "sign": "debit",
            "kind": "refund",
            "keep_zero": True,
            "when": _IS_REFUND,
        },
        # Fee charged on payments (positive), given back on refunds
        # (negative): the wallet sees the opposite sign.
        {"column": "fee", "sign": "negate", "kind": "payment_fee", "suffix": ":fee"},
    ],
    "rules": [
        {"when": {"column": "status", "in": _PAID_STATUSES}, "kind": "sale"},
        {"when": _IS_REFUND, "kind": "refund"},
    ],
    # No unique row id: hash of the natural key (WeChat transaction id,
    # refund id, status) + ordinal. Payment rows print 微信退款单号 "0", so
    # "0" counts as empty: the same payment has the same id in the ALL and the
    # SUCCESS bill of a day.
    "transaction_id": {
        "hash": ["wx_txn_id", "wx_refund_no", "status"],
        "ignore_values": ["0"],
    },
    "fields": {
        "order_ref": ["out_trade_no"],
        # WeChat's own id of the movement, as in the fund-flow bill's
        # 微信支付业务单号: the refund id on refund rows, else the transaction id.
        "related_ref": [{"column": "wx_refund_no", "exclude": ["0"]}, "wx_txn_id"],
        "counterparty": ["openid"],
        "description": ["product"],
        "currency": ["currency"],
    },
    "currency": "CNY",
    "date": {"columns": ["time"], "tz": "Asia/Shanghai"},
    # Read by header names: the field set differs per bill type (§2.2).
    "summary_block": {
        "markers": ["总交易单数"],
        "fields": {
            "总交易单数": "count",
            "应结订单总金额": "settled",
            "总交易额": "settled",
            "退款总金额": "refund",
            "总退款金额": "refund",
            "充值券退款总金额": "coupon_refund",
            "手续费总金额": "fee",
            "订单总金额": "gross",
            "申请退款总金额": "refund_requested",
        },
    },
    # settled − refunds − fees (a fee total is negative when fees came back)
    # = the wallet effect of the bill (inferred: it equals the fund-flow
    # bill's change in the samples). SUCCESS bills state no refund total.
    "derived_totals": {"net": ["settled", "-?refund", "-fee"]},
    "variants": [
        {"name": "REFUND", "columns_present": ["refund_applied_at"]},
        {"name": "SUCCESS", "columns_absent": ["wx_refund_no"]},
        {"name": "ALL"},
    ],
}

WECHATPAY_FUNDFLOW_SPEC = {
    "code": "wechatpay_fundflow",
    "label": "WeChat Pay fund-flow bill (资金账单)",
    "platform": "wechatpay",
    "channel": "wechatpay",
    "version": "1",
    "columns": {
        "time": ["记账时间"],
        "wx_biz_no": ["微信支付业务单号"],
        "flow_no": ["资金流水单号"],
        "biz_name": ["业务名称"],
        "biz_type": ["业务类型"],
        "direction": ["收支类型"],
        # 收支金额(元) (official page) or 收支金额（元） (WxJava): both normalize.
        "amount": ["收支金额（元）", "收支金额"],
        "balance": ["账户结余（元）", "账户结余"],
        "applicant": ["资金变更提交申请人"],
        "memo": ["备注"],
        "voucher_no": ["业务凭证号"],
    },
    "required_columns": ["time", "flow_no", "direction", "amount"],
    "recognize": {"score": 60},
    "read": _READ,
    "direction": {"columns": ["direction"], "in": ["收入"], "out": ["支出"]},
    "amount": {"column": "amount", "sign": "direction", "allow_empty": False},
    # 业务名称/业务类型 wording of fee and withdrawal rows is unconfirmed
    # (§2.4): match on words.
    "rules": [
        {
            "when": {
                "any": [
                    {"column": "biz_type", "contains": "手续费"},
                    {"column": "biz_name", "contains": "手续费"},
                ]
            },
            "kind": "payment_fee",
        },
        {
            "when": {
                "any": [
                    {"column": "biz_type", "contains": "退款"},
                    {"column": "biz_name", "contains": "退款"},
                ]
            },
            "kind": "refund",
        },
        {
            "when": {
                "any": [
                    {"column": "biz_type", "contains": "提现"},
                    {"column": "biz_name", "contains": "提现"},
                ]
            },
            "kind": "payout",
        },
        {
            "when": [
                {
                    "any": [
                        {"column": "biz_type", "equals": "交易"},
                        {"column": "biz_name", "equals": "交易"},
                    ]
                },
                {"sign": "positive"},
            ],
            "kind": "sale",
        },
        {"when": {"column": "biz_type", "contains": "充值"}, "kind": "other"},
    ],
    "transaction_id": {"columns": ["flow_no"]},
    "fields": {
        # The WeChat transaction id (payments) or refund id (refunds): the
        # trade bill's 微信订单号 / 微信退款单号. The merchant order number is
        # not in this bill: match through the trade bill.
        "related_ref": ["wx_biz_no"],
        "description": ["memo", "biz_name"],
        "balance": "balance",
    },
    "currency": "CNY",
    "date": {"columns": ["time"], "tz": "Asia/Shanghai"},
    "summary_block": {
        "markers": ["资金流水总笔数"],
        "fields": {
            "资金流水总笔数": "count",
            "收入笔数": "income_count",
            "收入金额": "income",
            "支出笔数": "expense_count",
            "支出金额": "expense",
        },
    },
    "derived_totals": {"net": ["income", "-expense"]},
}


@register
class WechatPayTradeBillParser(TabularParser):
    spec = WECHATPAY_TRADEBILL_SPEC


@register
class WechatPayFundFlowParser(TabularParser):
    spec = WECHATPAY_FUNDFLOW_SPEC
