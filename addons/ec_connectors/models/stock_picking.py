# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.exceptions import UserError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _ec_validate_in_full(self):
        """Validate these pickings with every move done in full."""
        for move in self.move_ids.filtered(lambda m: m.state not in ("done", "cancel")):
            move.quantity = move.product_uom_qty
            move.picked = True
        result = self.with_context(
            skip_sms=True,
            skip_backorder=True,
            picking_ids_not_to_backorder=self.ids,
        ).button_validate()
        if result is not True and self.filtered(lambda p: p.state != "done"):
            raise UserError(
                self.env._(
                    "%(pickings)s could not be validated automatically: "
                    "validate it by hand.",
                    pickings=", ".join(self.mapped("name")),
                )
            )
