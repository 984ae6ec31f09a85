# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.exceptions import UserError


class EcReconcileRun(models.TransientModel):
    """Run matching for shops, then review the result by state and type."""

    _name = "ec.reconcile.run"
    _description = "Run Reconciliation"

    shop_ids = fields.Many2many(
        "ec.shop", string="Shops", help="Leave empty for every shop."
    )
    date_from = fields.Date(string="From")
    date_to = fields.Date(string="To")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    result_line_ids = fields.One2many("ec.reconcile.run.result", "run_id")
    rows = fields.Integer(readonly=True)
    rows_linked = fields.Integer(string="Rows Matched to Orders", readonly=True)
    payouts_matched = fields.Integer(readonly=True)
    exceptions_created = fields.Integer(string="New Exceptions", readonly=True)
    exceptions_closed = fields.Integer(string="Closed Exceptions", readonly=True)
    exceptions_open = fields.Integer(string="Open Exceptions", readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True)

    def _shops(self):
        return self.shop_ids or self.env["ec.shop"].search([])

    def action_run(self):
        self.ensure_one()
        shops = self._shops()
        if not shops:
            raise UserError(self.env._("There is no shop to reconcile."))
        stats = self.env["ec.settlement"]._run_matching(shops)
        result_lines = [(5, 0, 0)]
        order_states = stats.get("order_states", {})
        for state, count in sorted(order_states.items(), key=lambda x: str(x[0])):
            result_lines.append(
                (0, 0, {"category": "order", "code": state or "none", "count": count})
            )
        for exc_type, count in sorted(stats.get("exceptions_by_type", {}).items()):
            result_lines.append(
                (0, 0, {"category": "exception", "code": exc_type, "count": count})
            )
        self.write(
            {
                "state": "done",
                "rows": stats.get("rows", 0),
                "rows_linked": stats.get("rows_linked", 0),
                "payouts_matched": stats.get("payouts_matched", 0),
                "exceptions_created": stats.get("exceptions_created", 0),
                "exceptions_closed": stats.get("exceptions_closed", 0),
                "exceptions_open": stats.get("exceptions_open", 0),
                "duration": sum(stats.get("timings", {}).values()),
                "result_line_ids": result_lines,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _period_domain(self, field):
        domain = []
        if self.date_from:
            domain.append((field, ">=", self.date_from))
        if self.date_to:
            domain.append((field, "<=", self.date_to))
        return domain

    def action_view_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_reconcile.ec_exception_action"
        )
        action["domain"] = [
            ("shop_id", "in", self._shops().ids),
            *self._period_domain("date"),
        ]
        return action

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_reconcile.ec_platform_order_action"
        )
        action["domain"] = [
            ("ec_shop_id", "in", self._shops().ids),
            *self._period_domain("date_order"),
        ]
        action["context"] = {"group_by": "ec_match_state"}
        return action


class EcReconcileRunResult(models.TransientModel):
    _name = "ec.reconcile.run.result"
    _description = "Reconciliation Run Result"

    run_id = fields.Many2one("ec.reconcile.run", required=True, ondelete="cascade")
    category = fields.Selection(
        [("order", "Orders by settlement state"), ("exception", "Open exceptions")]
    )
    code = fields.Char()
    label = fields.Char(compute="_compute_label")
    count = fields.Integer()

    def _compute_label(self):
        order_labels = dict(
            self.env["sale.order"]
            ._fields["ec_match_state"]
            ._description_selection(self.env)
        )
        exception_labels = dict(
            self.env["ec.exception"]
            ._fields["exception_type"]
            ._description_selection(self.env)
        )
        for line in self:
            labels = order_labels if line.category == "order" else exception_labels
            line.label = labels.get(line.code, line.code)
