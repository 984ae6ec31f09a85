# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import datetime as dt

from odoo import api, fields, models
from odoo.exceptions import UserError

STREAM_SELECTION = [
    ("connection", "Connection Test"),
    ("bills", "Bills"),
    ("orders", "Orders"),
    ("matching", "Matching"),
    ("posting", "Posting"),
]
TRIGGER_SELECTION = [
    ("scheduled", "Scheduled"),
    ("queue", "Job Queue"),
    ("manual", "Manual"),
    ("upload", "File Upload"),
]
#: most unknown SKUs / failed orders named in a log message.
MAX_LISTED = 20


class EcSyncLog(models.Model):
    """One pull of one shop: when, which stream, what, how many, how it
    ended. Written by the connector (never by hand); read by reconciliation
    managers."""

    _name = "ec.sync.log"
    _description = "Connector Sync Log"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="What", readonly=True)
    shop_id = fields.Many2one(
        "ec.shop", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(
        related="shop_id.company_id", store=True, index=True, precompute=True
    )
    platform = fields.Selection(related="shop_id.platform")
    stream = fields.Selection(
        STREAM_SELECTION, required=True, readonly=True, index=True
    )
    trigger = fields.Selection(TRIGGER_SELECTION, readonly=True, default="manual")
    state = fields.Selection(
        [
            ("running", "Running"),
            ("done", "Done"),
            ("warning", "Done with Warnings"),
            ("error", "Error"),
        ],
        required=True,
        readonly=True,
        default="running",
        index=True,
    )
    date_start = fields.Datetime(
        string="Started", readonly=True, default=fields.Datetime.now
    )
    date_end = fields.Datetime(string="Ended", readonly=True)
    user_id = fields.Many2one(
        "res.users", readonly=True, default=lambda self: self.env.user
    )
    connector_bill_id = fields.Many2one(
        "ec.connector.bill", string="Pulled Bill", readonly=True, ondelete="set null"
    )
    settlement_ids = fields.Many2many(
        "ec.settlement", string="Imported Bills", readonly=True
    )
    bills_listed = fields.Integer(readonly=True)
    bills_new = fields.Integer(string="New Bills Listed", readonly=True)
    bills_pulled = fields.Integer(readonly=True)
    rows_imported = fields.Integer(string="New Rows", readonly=True)
    rows_duplicate = fields.Integer(string="Rows Already Imported", readonly=True)
    rows_matched = fields.Integer(string="Rows Linked to Orders", readonly=True)
    entries_posted = fields.Integer(string="Journal Entries Posted", readonly=True)
    pages = fields.Integer(readonly=True)
    orders_received = fields.Integer(readonly=True)
    orders_created = fields.Integer(readonly=True)
    orders_updated = fields.Integer(readonly=True)
    orders_held = fields.Integer(
        readonly=True,
        help="Orders kept as quotations: unknown SKU or other currency.",
    )
    orders_failed = fields.Integer(readonly=True)
    cursor_before = fields.Char(readonly=True)
    cursor_after = fields.Char(readonly=True)
    message = fields.Text(readonly=True)
    error_message = fields.Text(readonly=True)
    failed_orders = fields.Json(
        readonly=True,
        help="Orders that could not be applied, kept to be applied again.",
    )
    has_failed_orders = fields.Boolean(compute="_compute_has_failed_orders")

    @api.depends("failed_orders")
    def _compute_has_failed_orders(self):
        for log in self:
            log.has_failed_orders = bool(log.failed_orders)

    @api.model
    def _log_create(self, shop, stream, name, **values):
        """Write a log entry. The log is the connector's own audit trail:
        written with sudo, so users who may trigger a pull (or upload an
        order file) do not need (and do not get) write access to it."""
        vals = {
            "shop_id": shop.id,
            "stream": stream,
            "name": name,
            "trigger": self.env.context.get("ec_connector_trigger") or "manual",
            "user_id": self.env.uid,
        }
        vals.update(values)
        if vals.get("state", "running") != "running":
            vals.setdefault("date_end", fields.Datetime.now())
        return self.sudo().create(vals)

    def _add_order_stats(self, stats, cursor):
        """Add one page of ``sale.order._ec_sync_platform_orders`` stats."""
        self.ensure_one()
        counts = stats["counts"]
        vals = {
            "pages": self.pages + 1,
            "orders_received": self.orders_received + counts["received"],
            "orders_created": self.orders_created + counts["created"],
            "orders_updated": self.orders_updated + counts["updated"],
            "orders_held": self.orders_held + counts["held"],
            "orders_failed": self.orders_failed + len(stats["failed"]),
            "cursor_after": cursor or "",
        }
        notes = self._order_notes(stats)
        if notes:
            vals["message"] = "\n".join(filter(None, [self.message, notes]))
        if stats["failed"]:
            vals["failed_orders"] = (self.failed_orders or []) + stats["failed"]
        self.sudo().write(vals)

    def _order_notes(self, stats):
        lines = []
        for sku, refs in sorted(stats["unknown_skus"].items())[:MAX_LISTED]:
            lines.append(
                self.env._(
                    "SKU %(sku)s not found (no product with this internal "
                    "reference): orders %(orders)s kept as quotations.",
                    sku=sku or self.env._("(empty)"),
                    orders=", ".join(refs[:5]) + (" ..." if len(refs) > 5 else ""),
                )
            )
        for sku, count in sorted(stats["ambiguous_skus"].items())[:MAX_LISTED]:
            lines.append(
                self.env._(
                    "SKU %(sku)s matches %(count)s products: the oldest one was used.",
                    sku=sku,
                    count=count,
                )
            )
        for failure in stats["failed"][:MAX_LISTED]:
            lines.append(
                self.env._(
                    "Order %(order)s not applied: %(error)s",
                    order=failure["order_no"],
                    error=failure["error"],
                )
            )
        return "\n".join(lines)

    def _finish(self):
        for log in self:
            state = "done"
            if log.orders_failed or log.orders_held:
                state = "warning"
            log.sudo().write({"state": state, "date_end": fields.Datetime.now()})

    def _summary(self):
        """One line per log, for notifications."""
        labels = dict(self._fields["state"]._description_selection(self.env))
        lines = []
        for log in self.sorted("id"):
            detail = log.error_message or log._counts_text()
            lines.append(
                f"{log.name}: {labels[log.state]}" + (f" ({detail})" if detail else "")
            )
        return "\n".join(lines) or self.env._("Nothing to pull.")

    def _counts_text(self):
        self.ensure_one()
        parts = []
        for field in (
            "bills_new",
            "bills_pulled",
            "rows_imported",
            "rows_matched",
            "entries_posted",
            "orders_created",
            "orders_updated",
            "orders_held",
            "orders_failed",
        ):
            if self[field]:
                label = self._fields[field].get_description(self.env)["string"]
                parts.append(f"{label}: {self[field]}")
        return ", ".join(parts)

    def action_retry_failed_orders(self):
        """Apply the failed orders again from their stored data."""
        self.ensure_one()
        if not self.failed_orders:
            raise UserError(self.env._("This log has no failed orders."))
        payloads = [failure["payload"] for failure in self.failed_orders]
        stats = self.env["sale.order"]._ec_sync_platform_orders(self.shop_id, payloads)
        log = self._log_create(
            self.shop_id,
            "orders",
            self.env._("Retry of the failed orders of log %(log)s", log=self.id),
            state="running",
        )
        log._add_order_stats(stats, self.cursor_after)
        log._finish()
        self.sudo().failed_orders = stats["failed"] or False
        return log._get_records_action(name=self.env._("Sync Log"))

    @api.autovacuum
    def _gc_empty_logs(self):
        """Successful pulls that brought nothing are kept 30 days."""
        limit = fields.Datetime.now() - dt.timedelta(days=30)
        self.sudo().search(
            [
                ("date_start", "<", limit),
                ("state", "=", "done"),
                ("bills_new", "=", 0),
                ("bills_pulled", "=", 0),
                ("orders_created", "=", 0),
                ("orders_updated", "=", 0),
                ("stream", "in", ("bills", "orders")),
            ]
        ).unlink()
