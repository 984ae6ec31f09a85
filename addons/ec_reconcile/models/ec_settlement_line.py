# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .ec_shop import PLATFORM_SELECTION

LINE_MATCH_STATES = [
    ("new", "Not Matched Yet"),
    ("matched", "Matched to Order"),
    ("unknown_order", "Unknown Order"),
    ("shop_level", "Shop Level"),
    ("payout_matched", "Payout Matched"),
    ("payout_unmatched", "Payout Without Bank Line"),
]

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
        string="Related Reference",
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
    date_local = fields.Date(
        string="Bill Day",
        index=True,
        readonly=True,
        help="The row's day in the shop's time zone: bills, postings and "
        "reports count days the way the platform does.",
    )
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

    # Matching (written in bulk by tools/matching.py)
    match_state = fields.Selection(
        LINE_MATCH_STATES,
        default="new",
        required=True,
        readonly=True,
        index=True,
    )
    sale_order_id = fields.Many2one(
        "sale.order", string="Sale Order", readonly=True, index="btree_not_null"
    )
    sale_order_line_id = fields.Many2one(
        "sale.order.line", string="Order Line", readonly=True
    )
    statement_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Bank Statement Line",
        readonly=True,
        index="btree_not_null",
        help="For payouts: the bank line that received the money.",
    )
    move_id = fields.Many2one(
        "account.move",
        string="Journal Entry",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        copy=False,
        help="The entry that posted this row: a row is never posted twice.",
    )
    exception_ids = fields.Many2many(
        "ec.exception",
        "ec_exception_settlement_line_rel",
        "line_id",
        "exception_id",
        string="Exceptions",
        readonly=True,
    )

    _shop_channel_transaction_uniq = models.UniqueIndex(
        "(shop_id, channel, transaction_id)",
        "A transaction can only be imported once per shop and channel.",
    )
    _settlement_kind_idx = models.Index("(settlement_id, kind)")
    _shop_order_ref_idx = models.Index(
        "(shop_id, order_ref) WHERE order_ref IS NOT NULL"
    )

    def action_open_move(self):
        self.ensure_one()
        return self.move_id._get_records_action()

    def action_open_order(self):
        self.ensure_one()
        return self.sale_order_id._get_records_action()

    def action_open_settlement(self):
        self.ensure_one()
        return self.settlement_id._get_records_action()
