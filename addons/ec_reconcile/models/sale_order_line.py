# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    ec_sub_order_ref = fields.Char(
        string="Platform Sub-order No.",
        copy=False,
        index="btree_not_null",
        help="Sub-order (item) number on the platform, for bills settled per item.",
    )
