# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .ec_settlement_line import KIND_SELECTION


class EcFeeAllocation(models.Model):
    """Share of a shop-level fee (ads, service charge...) borne by one order.

    Written in bulk by the matching engine: each shop-level fee row is spread
    over the orders settled the same bill day, by the shop's allocation base,
    with cumulative rounding so the shares add up to the fee exactly.
    """

    _name = "ec.fee.allocation"
    _description = "Shop Fee Allocated to an Order"
    _order = "date desc, id desc"

    line_id = fields.Many2one(
        "ec.settlement.line",
        string="Fee Row",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    shop_id = fields.Many2one("ec.shop", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    sale_order_id = fields.Many2one(
        "sale.order", required=True, index=True, ondelete="cascade", readonly=True
    )
    kind = fields.Selection(KIND_SELECTION, required=True, readonly=True)
    date = fields.Date(readonly=True)
    amount = fields.Float(digits=(16, 2), readonly=True)
