# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command

EXCEPTION_TYPES = [
    ("amount_mismatch", "Amount Mismatch"),
    ("unknown_order", "Settlement for Unknown Order"),
    ("delivered_unsettled", "Delivered but Unsettled"),
    ("settled_not_shipped", "Settled but Not Shipped"),
    ("refund_without_return", "Refund without Return or Credit Note"),
    ("duplicate", "Duplicate Transaction"),
    ("unclassified", "Unclassified Rows"),
    ("payout_unmatched", "Payout without Bank Line"),
    ("bill_totals", "Bill Totals Do Not Add Up"),
]

SEVERITY = {
    "amount_mismatch": "high",
    "unknown_order": "high",
    "delivered_unsettled": "medium",
    "settled_not_shipped": "high",
    "refund_without_return": "medium",
    "duplicate": "high",
    "unclassified": "low",
    "payout_unmatched": "medium",
    "bill_totals": "high",
}


# Set by matching and by the actions only (see _check_engine_fields).
ENGINE_FIELDS = frozenset(
    {
        "exception_type",
        "severity",
        "key",
        "state",
        "auto_resolved",
        "shop_id",
        "company_id",
        "currency_id",
        "date",
        "order_ref",
        "sale_order_id",
        "picking_id",
        "invoice_id",
        "settlement_id",
        "line_ids",
        "expected_amount",
        "found_amount",
        "difference",
        "message",
        "note",
        "resolved_by_id",
        "resolved_date",
        "writeoff_account_id",
        "writeoff_move_id",
        "first_seen",
        "last_seen",
    }
)


class EcException(models.Model):
    """A typed reconciliation exception: only what needs a decision.

    Exceptions are raised and closed by the matching engine
    (``tools/matching.py``) by their ``key``: re-running matching never
    duplicates an open exception and closes those whose cause is gone.
    """

    _name = "ec.exception"
    _description = "Reconciliation Exception"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state_sequence, severity_sequence, date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    exception_type = fields.Selection(
        EXCEPTION_TYPES, string="Type", required=True, index=True, readonly=True
    )
    severity = fields.Selection(
        [("high", "High"), ("medium", "Medium"), ("low", "Low")],
        required=True,
        default="medium",
        readonly=True,
    )
    severity_sequence = fields.Integer(compute="_compute_sequences", store=True)
    key = fields.Char(
        required=True,
        readonly=True,
        help="Identity of the cause (e.g. the order or the bill row): one "
        "exception per cause, whatever how often matching runs.",
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("resolved", "Resolved"),
            ("written_off", "Written Off"),
            ("ignored", "Ignored"),
        ],
        default="open",
        required=True,
        index=True,
        readonly=True,
        tracking=True,
    )
    state_sequence = fields.Integer(compute="_compute_sequences", store=True)
    auto_resolved = fields.Boolean(
        readonly=True, help="Closed by matching because its cause disappeared."
    )
    shop_id = fields.Many2one("ec.shop", required=True, index=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    platform = fields.Selection(related="shop_id.platform", store=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(
        readonly=True, index=True, help="Date of the bill row or order concerned."
    )
    order_ref = fields.Char(string="Platform Order", readonly=True, index=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null")
    picking_id = fields.Many2one("stock.picking", string="Delivery", readonly=True)
    invoice_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    settlement_id = fields.Many2one(
        "ec.settlement", string="Bill", readonly=True, index="btree_not_null"
    )
    raw_attachment_id = fields.Many2one(
        related="settlement_id.attachment_id", string="Raw File"
    )
    line_ids = fields.Many2many(
        "ec.settlement.line",
        "ec_exception_settlement_line_rel",
        "exception_id",
        "line_id",
        string="Bill Rows",
        readonly=True,
    )
    line_count = fields.Integer(compute="_compute_line_count")
    expected_amount = fields.Monetary(readonly=True)
    found_amount = fields.Monetary(readonly=True)
    difference = fields.Monetary(readonly=True, help="Found less expected.")
    message = fields.Text(string="Details", readonly=True)
    note = fields.Text(string="Resolution Note", readonly=True, tracking=True)
    resolved_by_id = fields.Many2one("res.users", readonly=True)
    resolved_date = fields.Datetime(readonly=True)
    writeoff_account_id = fields.Many2one("account.account", readonly=True)
    writeoff_move_id = fields.Many2one(
        "account.move", string="Write-off Entry", readonly=True
    )
    first_seen = fields.Datetime(readonly=True, default=fields.Datetime.now)
    last_seen = fields.Datetime(readonly=True, default=fields.Datetime.now)

    _company_key_uniq = models.UniqueIndex(
        "(company_id, key)", "An exception already exists for this cause."
    )

    @api.depends("exception_type", "order_ref", "settlement_id", "key")
    def _compute_name(self):
        labels = dict(EXCEPTION_TYPES)
        for exc in self:
            subject = exc.order_ref or exc.settlement_id.name or exc.key
            exc.name = f"{labels.get(exc.exception_type, '')}: {subject}"

    @api.depends("state", "severity")
    def _compute_sequences(self):
        state_order = {"open": 0, "resolved": 1, "written_off": 2, "ignored": 3}
        severity_order = {"high": 0, "medium": 1, "low": 2}
        for exc in self:
            exc.state_sequence = state_order.get(exc.state, 9)
            exc.severity_sequence = severity_order.get(exc.severity, 9)

    def _compute_line_count(self):
        for exc in self:
            exc.line_count = len(exc.line_ids)

    # ------------------------------------------------------------------
    # Protection: what matching and the actions set is not edited by hand
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_engine_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_engine_fields(vals)
        return super().write(vals)

    def _check_engine_fields(self, vals):
        """Users change exceptions only through the actions (which check the
        write-off limit); matching and the actions write in sudo. Otherwise a
        user could shrink a difference, move it to a shop with a higher
        limit, forge exceptions to write off or a "resolved by" manager."""
        if self.env.su or not ENGINE_FIELDS.intersection(vals):
            return
        if self.env.user.has_group("ec_reconcile.ec_reconcile_group_manager"):
            return
        raise AccessError(
            self.env._(
                "Exceptions are raised by matching and closed with Resolve, "
                "Ignore, Write Off or Reopen; only a reconciliation manager can "
                "change %(fields)s by hand.",
                fields=", ".join(sorted(ENGINE_FIELDS.intersection(vals))),
            )
        )

    # ------------------------------------------------------------------
    # Actions (all leave a trace in the chatter through tracking)
    # ------------------------------------------------------------------

    def _close(self, state, note, **extra):
        open_ones = self.filtered(lambda e: e.state == "open")
        if not open_ones:
            raise UserError(self.env._("Only open exceptions can be closed."))
        open_ones.check_access("write")
        open_ones.sudo().write(
            {
                "state": state,
                "note": note or False,
                "auto_resolved": False,
                "resolved_by_id": self.env.uid,
                "resolved_date": fields.Datetime.now(),
                **extra,
            }
        )
        return True

    def action_resolve(self, note=None):
        if not note:
            raise UserError(self.env._("Say how the exception was resolved."))
        return self._close("resolved", note)

    def action_ignore(self, note=None):
        return self._close("ignored", note)

    def action_reopen(self):
        closed = self.filtered(lambda e: e.state != "open")
        if closed.filtered("writeoff_move_id"):
            raise UserError(
                self.env._(
                    "Reverse the write-off entry before reopening: %s",
                    ", ".join(closed.writeoff_move_id.mapped("name")),
                )
            )
        closed.check_access("write")
        closed.sudo().write(
            {
                "state": "open",
                "auto_resolved": False,
                "resolved_by_id": False,
                "resolved_date": False,
            }
        )
        return True

    def action_writeoff(self, account, note=None):
        """Write the difference off to ``account`` within the shop's limit."""
        for exc in self:
            if exc.state != "open":
                raise UserError(self.env._("Only open exceptions can be written off."))
            amount = abs(exc.difference)
            if not amount:
                raise UserError(
                    self.env._(
                        "%(name)s has no difference to write off.", name=exc.name
                    )
                )
            limit = exc.shop_id.writeoff_limit
            if amount > limit and not self.env.user.has_group(
                "ec_reconcile.ec_reconcile_group_manager"
            ):
                raise AccessError(
                    self.env._(
                        "Writing off %(amount)s exceeds the limit of %(limit)s for "
                        "shop %(shop)s: ask a reconciliation manager.",
                        amount=amount,
                        limit=limit,
                        shop=exc.shop_id.name,
                    )
                )
            move = exc._create_writeoff_move(account, amount)
            exc._close(
                "written_off",
                note,
                writeoff_account_id=account.id,
                writeoff_move_id=move.id if move else False,
            )
        return True

    def _create_writeoff_move(self, account, amount):
        """Clear the order's receivable difference against ``account``."""
        self.ensure_one()
        partner = self.sale_order_id.partner_invoice_id or self.shop_id.partner_id
        receivable = partner.commercial_partner_id.with_company(
            self.company_id
        ).property_account_receivable_id
        if not receivable:
            return self.env["account.move"]
        journal = self.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", self.company_id.id)],
            limit=1,
        )
        if not journal:
            raise UserError(self.env._("Create a miscellaneous journal first."))
        # Settled less than expected: the receivable left open is written off.
        sign = 1 if self.difference < 0 else -1
        label = self.env._("Write-off %(name)s", name=self.name)
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": fields.Date.context_today(self),
                "ref": label,
                "line_ids": [
                    Command.create(
                        {
                            "name": label,
                            "account_id": account.id,
                            "partner_id": partner.commercial_partner_id.id,
                            "debit": amount if sign > 0 else 0.0,
                            "credit": amount if sign < 0 else 0.0,
                        }
                    ),
                    Command.create(
                        {
                            "name": label,
                            "account_id": receivable.id,
                            "partner_id": partner.commercial_partner_id.id,
                            "debit": amount if sign < 0 else 0.0,
                            "credit": amount if sign > 0 else 0.0,
                        }
                    ),
                ],
            }
        )
        move._post(soft=False)
        invoices = self.sale_order_id.invoice_ids.filtered(
            lambda m: m.state == "posted"
        )
        to_reconcile = (invoices.line_ids | move.line_ids).filtered(
            lambda line: line.account_id == receivable and not line.reconciled
        )
        if len(to_reconcile) > 1 and invoices:
            to_reconcile.reconcile()
        return move

    def action_open_order(self):
        self.ensure_one()
        return self.sale_order_id._get_records_action()

    def action_open_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_reconcile.ec_settlement_line_action"
        )
        action["domain"] = [("id", "in", self.line_ids.ids)]
        action["context"] = {}
        return action
