# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .ec_shop import PLATFORM_SELECTION

KIND_SELECTION = [
    ("sale", "Sale"),
    ("refund", "Refund"),
    ("commission", "Commission"),
    ("service_fee", "Service Fee"),
    ("payment_fee", "Payment Fee"),
    ("shipping_fee", "Shipping Fee"),
    ("platform_coupon", "Platform Coupon"),
    ("merchant_coupon", "Merchant Coupon"),
    ("rebate", "Rebate"),
    ("ads", "Advertising"),
    ("deposit", "Deposit"),
    ("adjustment", "Adjustment"),
    ("payout", "Payout"),
    ("tax", "Tax"),
    ("other", "Other"),
]


class EcSettlementLine(models.Model):
    """One normalized bill row.

    Rows are written in bulk by ``ec.settlement._insert_lines`` (SQL), never
    one by one: keep stored fields plain (no computed stored fields here).
    """

    _name = "ec.settlement.line"
    _description = "Settlement Bill Line"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "transaction_id"

    settlement_id = fields.Many2one(
        "ec.settlement",
        string="Bill",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    shop_id = fields.Many2one("ec.shop", required=True, index=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    # Copied from the shop at import (stored for grouping and reports).
    platform = fields.Selection(PLATFORM_SELECTION, readonly=True, index=True)
    settlement_state = fields.Selection(
        related="settlement_id.state", string="Bill Status"
    )
    channel = fields.Char(
        required=True,
        readonly=True,
        help="Namespace of the transaction id (alipay, wechatpay, jd...).",
    )
    transaction_id = fields.Char(
        string="Transaction ID",
        required=True,
        readonly=True,
        help="The platform's unique id of the row: re-importing it changes nothing.",
    )
    order_ref = fields.Char(string="Platform Order", index=True, readonly=True)
    sub_order_ref = fields.Char(string="Sub-order", index=True, readonly=True)
    related_ref = fields.Char(
        string="Related Ref",
        readonly=True,
        help="Refund number, original transaction or other reference the row names.",
    )
    kind = fields.Selection(KIND_SELECTION, required=True, index=True, readonly=True)
    amount = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="Signed: money into the platform wallet is positive.",
    )
    balance = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    date = fields.Datetime(index=True, readonly=True)
    counterparty = fields.Char(readonly=True)
    description = fields.Char(readonly=True)
    row_number = fields.Integer(
        readonly=True, help="Line of the row in the raw file (item index for JSON)."
    )
    raw = fields.Json(string="Raw Row", readonly=True)
    row_hash = fields.Char(
        readonly=True,
        help="Digest of the normalized row, to tell a re-import from a changed row.",
    )
    flags = fields.Char(
        readonly=True,
        help="Comma-separated parser flags: unclassified, mangled_id, conflict.",
    )
    is_unclassified = fields.Boolean(
        readonly=True, help="No rule classified the row: it was given kind Other."
    )
    is_conflict = fields.Boolean(
        string="Conflicting Re-import",
        readonly=True,
        help="A later bill repeated this transaction id with different data.",
    )

    _shop_channel_transaction_uniq = models.UniqueIndex(
        "(shop_id, channel, transaction_id)",
        "A transaction can only be imported once per shop and channel.",
    )
    _settlement_kind_idx = models.Index("(settlement_id, kind)")

    def action_open_settlement(self):
        self.ensure_one()
        return self.settlement_id._get_records_action()
