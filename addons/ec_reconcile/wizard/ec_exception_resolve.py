# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError


class EcExceptionResolve(models.TransientModel):
    """Resolve, write off or ignore one or many exceptions at once."""

    _name = "ec.exception.resolve"
    _description = "Resolve Reconciliation Exceptions"

    exception_ids = fields.Many2many("ec.exception", string="Exceptions")
    mode = fields.Selection(
        [("resolve", "Resolve"), ("writeoff", "Write Off"), ("ignore", "Ignore")],
        default="resolve",
        required=True,
    )
    note = fields.Text()
    account_id = fields.Many2one(
        "account.account",
        string="Write-off Account",
        domain="[('active', '=', True)]",
    )
    total_difference = fields.Float(compute="_compute_total_difference")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "exception_ids" in fields_list:
            ids = self.env.context.get("active_ids") or []
            if self.env.context.get("active_model") == "ec.exception" and ids:
                values["exception_ids"] = [(6, 0, ids)]
        return values

    @api.depends("exception_ids")
    def _compute_total_difference(self):
        for wizard in self:
            wizard.total_difference = sum(wizard.exception_ids.mapped("difference"))

    def action_apply(self):
        self.ensure_one()
        exceptions = self.exception_ids.filtered(lambda e: e.state == "open")
        if not exceptions:
            raise UserError(self.env._("None of the selected exceptions is open."))
        if self.mode == "resolve":
            exceptions.action_resolve(self.note)
        elif self.mode == "ignore":
            exceptions.action_ignore(self.note)
        else:
            if not self.account_id:
                raise UserError(self.env._("Choose the write-off account."))
            exceptions.action_writeoff(self.account_id, self.note)
        return {"type": "ir.actions.act_window_close"}
