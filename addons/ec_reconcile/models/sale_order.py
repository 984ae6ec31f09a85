# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

ORDER_MATCH_STATES = [
    ("unsettled", "Unsettled"),
    ("partial", "Partially Settled"),
    ("settled", "Settled"),
    ("over", "Over-settled"),
    ("refunded", "Refunded"),
]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    ec_shop_id = fields.Many2one(
        "ec.shop",
        string="Online Shop",
        index="btree_not_null",
        check_company=True,
        copy=False,
        tracking=True,
    )
    ec_order_ref = fields.Char(
        string="Platform Order No.",
        copy=False,
        tracking=True,
        help="The order number on the platform: bill rows are matched on it.",
    )
    # Written in bulk by the matching engine (tools/matching.py).
    ec_match_state = fields.Selection(
        ORDER_MATCH_STATES,
        string="Settlement",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    ec_expected_amount = fields.Monetary(
        string="Expected Settlement",
        readonly=True,
        copy=False,
        help="Invoiced less credit notes, or ordered when not invoiced yet.",
    )
    ec_settled_amount = fields.Monetary(
        string="Settled Income",
        readonly=True,
        copy=False,
        help="Sales, refunds and platform-funded discounts the bills paid for it.",
    )
    ec_fee_amount = fields.Monetary(
        string="Platform Fees",
        readonly=True,
        copy=False,
        help="Fees charged on the order's bill rows, plus its share of shop fees.",
    )
    ec_last_settlement_date = fields.Datetime(readonly=True, copy=False)
    ec_settlement_line_ids = fields.One2many(
        "ec.settlement.line", "sale_order_id", string="Bill Rows", readonly=True
    )
    ec_settlement_line_count = fields.Integer(compute="_compute_ec_counts")
    ec_exception_count = fields.Integer(compute="_compute_ec_counts")

    _ec_shop_order_ref_uniq = models.UniqueIndex(
        "(ec_shop_id, ec_order_ref) WHERE ec_order_ref IS NOT NULL",
        "A platform order number must be unique per shop.",
    )

    @api.depends("ec_shop_id")
    def _compute_ec_counts(self):
        lines = dict(
            self.env["ec.settlement.line"]._read_group(
                [("sale_order_id", "in", self.ids)], ["sale_order_id"], ["__count"]
            )
        )
        exceptions = dict(
            self.env["ec.exception"]._read_group(
                [("sale_order_id", "in", self.ids), ("state", "=", "open")],
                ["sale_order_id"],
                ["__count"],
            )
        )
        for order in self:
            order.ec_settlement_line_count = lines.get(order, 0)
            order.ec_exception_count = exceptions.get(order, 0)

    def message_post(self, **kwargs):
        # Only inside account.move._invoice_paid_hook under our batch posting,
        # which logs these notes itself in one batch.
        if self.env.context.get("ec_skip_invoice_paid_post"):
            return self.env["mail.message"]
        return super().message_post(**kwargs)

    @api.model
    def _ec_invoice_delivered(self, shops=None):
        """Invoice delivered platform orders: one invoice per shop and day.

        Sellers without per-order invoices still get a receivable for the
        bills to clear; the invoice date is the delivery day.
        """
        domain = [
            ("ec_shop_id", "!=", False),
            ("state", "=", "sale"),
            ("invoice_status", "=", "to invoice"),
        ]
        if shops is not None:
            domain.append(("ec_shop_id", "in", shops.ids))
        orders = self.search(domain)
        groups = {}
        for order in orders:
            done = order.picking_ids.filtered(
                lambda p: p.state == "done" and p.picking_type_code == "outgoing"
            )
            if order.picking_ids and not done:
                continue  # not delivered yet
            moment = max(done.mapped("date_done")) if done else order.date_order
            day = fields.Date.context_today(order, moment)
            groups.setdefault((order.ec_shop_id, day), self.browse())
            groups[(order.ec_shop_id, day)] |= order
        invoices = self.env["account.move"]
        for (_shop, day), group in sorted(groups.items(), key=lambda g: g[0][1]):
            created = group._create_invoices(grouped=False)
            created.write({"invoice_date": day})
            created.action_post()
            invoices |= created
        return invoices

    @api.model
    def _cron_ec_invoice_delivered(self):
        self._ec_invoice_delivered()

    def action_view_ec_settlement_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_reconcile.ec_settlement_line_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_ec_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_reconcile.ec_exception_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {}
        return action
