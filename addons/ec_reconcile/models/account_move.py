# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models

from ..tools import posting


class AccountMove(models.Model):
    _inherit = "account.move"

    ec_settlement_id = fields.Many2one(
        "ec.settlement",
        string="Settlement Bill",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The bill whose rows this entry posts.",
    )
    ec_settlement_line_ids = fields.One2many(
        "ec.settlement.line", "move_id", string="Bill Rows", readonly=True
    )
    ec_settlement_line_count = fields.Integer(compute="_compute_ec_counts")
    ec_sale_order_count = fields.Integer(compute="_compute_ec_counts")

    @api.depends("ec_settlement_id")
    def _compute_ec_counts(self):
        rows = dict(
            self.env["ec.settlement.line"]._read_group(
                [("move_id", "in", self.ids)], ["move_id"], ["__count"]
            )
        )
        orders = dict(
            self.env["ec.settlement.line"]._read_group(
                [("move_id", "in", self.ids), ("sale_order_id", "!=", False)],
                ["move_id"],
                ["sale_order_id:count_distinct"],
            )
        )
        for move in self:
            move.ec_settlement_line_count = rows.get(move, 0)
            move.ec_sale_order_count = orders.get(move, 0)

    def action_view_ec_settlement_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_reconcile.ec_settlement_line_action"
        )
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {"search_default_group_kind": 1}
        return action

    def action_view_ec_sale_orders(self):
        self.ensure_one()
        orders = self.ec_settlement_line_ids.sale_order_id
        return orders._get_records_action(name=self.env._("Orders"))

    def action_view_ec_settlement(self):
        self.ensure_one()
        return self.ec_settlement_id._get_records_action()

    def _invoice_paid_hook(self):
        """While our posting reconciles, sale's per-order message is batched.

        Sale's hook calls ``message_post`` once per order ("Invoice X paid"):
        for a day invoice of hundreds of platform orders that is most of the
        reconciliation time. Under ``ec_batch_paid_hook`` (set by
        tools/posting.py) the same notes are logged in one batch and the
        per-order posts are skipped (sale.order.message_post); every other
        effect of the hooks runs as usual.
        """
        if not self.env.context.get("ec_batch_paid_hook"):
            return super()._invoice_paid_hook()
        bodies = defaultdict(list)
        for invoice in self.filtered(lambda move: move.is_invoice()):
            for order in invoice.invoice_line_ids.sale_line_ids.order_id:
                bodies[order.id].append(self.env._("Invoice %s paid", invoice.name))
        result = super(
            AccountMove, self.with_context(ec_skip_invoice_paid_post=True)
        )._invoice_paid_hook()
        if bodies:
            self.env["sale.order"].browse(bodies)._message_log_batch(
                bodies={
                    order_id: Markup("<br/>").join(texts)
                    for order_id, texts in bodies.items()
                }
            )
        return result

    def button_cancel(self):
        # A cancelled entry no longer posts its rows: they can be posted again.
        result = super().button_cancel()
        self._ec_release_rows()
        return result

    def _ec_release_rows(self):
        rows = self.env["ec.settlement.line"].search([("move_id", "in", self.ids)])
        if rows:
            bills = rows.settlement_id
            rows.sudo().write({"move_id": False})
            posting.restore_statement_lines(self.env, rows)
            bills._update_posted_state()
