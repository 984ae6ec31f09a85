# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from odoo.addons.base.models.res_partner import _tz_get

from ..tools import demo

# Values shared with the plain-Python parsers (ParsedBill.platform).
PLATFORM_SELECTION = [
    ("taobao", "Taobao"),
    ("tmall", "Tmall"),
    ("jd", "JD"),
    ("douyin", "Douyin Shop (抖店)"),
    ("pdd", "Pinduoduo"),
    ("wechat_channels", "WeChat Channels Shop (视频号小店)"),
    ("alipay", "Alipay"),
    ("wechatpay", "WeChat Pay"),
    ("shopify", "Shopify"),
    ("amazon", "Amazon"),
    ("stripe", "Stripe"),
    ("paypal", "PayPal"),
    ("other", "Other"),
]


class EcShop(models.Model):
    _name = "ec.shop"
    _description = "E-commerce Shop"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        help="Short code used in journal entry labels and reports.",
        tracking=True,
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    platform = fields.Selection(
        PLATFORM_SELECTION, required=True, index=True, tracking=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        tracking=True,
        help="Currency of the shop's bills. A bill in another currency is refused.",
    )
    external_shop_id = fields.Char(
        string="Platform Shop ID",
        help="The shop's id on the platform (seller id, store id).",
        tracking=True,
    )
    platform_account = fields.Char(
        help="Account or merchant id printed on the bills (e.g. Alipay PID, "
        "WeChat Pay merchant id). Used to detect the shop of an uploaded bill.",
        tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Platform Partner",
        check_company=True,
        help="Customer used for the shop's platform orders and invoices: "
        "its receivable is cleared by the settlement bills.",
        tracking=True,
    )
    wallet_journal_id = fields.Many2one(
        "account.journal",
        string="Wallet Journal",
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash', 'general'))]",
        help="Journal holding the platform balance (Alipay account, JD wallet, "
        "Douyin account...). Settlements are posted to its account.",
        tracking=True,
    )
    bank_journal_id = fields.Many2one(
        "account.journal",
        string="Bank Journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="Bank account receiving the payouts (withdrawals) of the wallet.",
        tracking=True,
    )
    tolerance_amount = fields.Monetary(
        string="Tolerance (Amount)",
        currency_field="currency_id",
        default=0.01,
        help="Differences up to this amount between expected and settled "
        "amounts of an order are not exceptions.",
    )
    tolerance_percent = fields.Float(
        string="Tolerance (%)",
        default=0.0,
        help="Relative tolerance, in percent of the expected amount.",
    )
    unsettled_days = fields.Integer(
        string="Settlement Delay (days)",
        default=15,
        help="A delivered order not settled after this many days is an exception.",
    )
    writeoff_limit = fields.Monetary(
        string="Write-off Limit",
        currency_field="currency_id",
        default=10.0,
        help="Largest difference a reconciliation user may write off alone; "
        "above it a manager must do it.",
    )
    allocation_base = fields.Selection(
        [("revenue", "Settled revenue"), ("orders", "Number of orders")],
        default="revenue",
        required=True,
        help="How shop-level fees (ads, deposits, service charges) are spread "
        "over the orders settled the same day, for profit per order and SKU.",
    )
    payout_window_days = fields.Integer(
        string="Payout Window (days)",
        default=5,
        help="Days after a payout within which its bank statement line is expected.",
    )
    tz = fields.Selection(
        _tz_get,
        string="Time Zone",
        default="Asia/Shanghai",
        required=True,
        help="Days of the shop's bills (posting per day, aging, reports) are "
        "counted in this time zone.",
    )
    note = fields.Html()

    _code_company_uniq = models.Constraint(
        "UNIQUE(company_id, code)",
        "The shop code must be unique per company.",
    )
    _tolerance_positive = models.Constraint(
        "CHECK(tolerance_amount >= 0 AND tolerance_percent >= 0)",
        "Tolerances cannot be negative.",
    )

    def action_invoice_delivered_orders(self):
        invoices = self.env["sale.order"]._ec_invoice_delivered(self)
        if not invoices:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "message": self.env._("No delivered order left to invoice."),
                    "type": "info",
                },
            }
        return invoices._get_records_action(name=self.env._("Invoices"))

    @api.model
    def _demo_run_pipeline(self):
        """Demo data: orders and bills of the demo shops, matched and posted."""
        demo.run(self.env)
