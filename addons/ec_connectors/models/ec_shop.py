# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Connector side of ``ec.shop``: credentials, clients, bill listing, order
sync and the two scheduled jobs.

Units of work (each one short transaction, each one committed on its own by
the cron; with ``ec_connectors_queue`` each one is a job):

- list a shop's bills for one window of days: new ``ec.connector.bill``
  records (unique per shop and platform key), then the shop's bill cursor;
- pull one ``ec.connector.bill``: download, ``ec.settlement._import_file``
  and the bill's state, in one savepoint;
- sync a shop's orders: one page of ``client.list_orders`` upserted into
  ``sale.order`` and the order cursor written in the same savepoint.

A cursor is only written together with the data it covers, so a failure at
any point leaves the last committed cursor, and the next run resumes there:
no gap, and no duplicate (bills and orders are unique per shop).
"""

import datetime as dt
import logging
import time
from collections import Counter
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..clients import CLIENTS, BaseClient, ConnectorError
from ..tools import UTC, naive_utc

_logger = logging.getLogger(__name__)

#: ec.shop platform -> client platform, where they differ.
CLIENT_PLATFORMS = {"tmall": "taobao"}

#: credentials the connector itself stores (``client.token_state``).
TOKEN_FIELDS = [
    ("access_token", "Access token (kept up to date by the connector)", True),
    ("refresh_token", "Refresh token (kept up to date by the connector)", True),
    ("expires_at", "Access token expiry (kept up to date by the connector)", False),
]

#: advisory lock classes (pg_try_advisory_xact_lock(class, shop id)).
LOCK_CLASSES = {"bills": 710601, "orders": 710602, "posting": 710603}


class EcShop(models.Model):
    _inherit = "ec.shop"

    # ------------------------------------------------------------ settings
    connector_active = fields.Boolean(
        string="API Sync",
        copy=False,
        tracking=True,
        help="Pull this shop's bills (and orders, if enabled) from the platform's "
        "API with the scheduled jobs.",
    )
    connector_pull_bills = fields.Boolean(
        string="Pull Bills", default=True, tracking=True
    )
    connector_sync_orders = fields.Boolean(
        string="Sync Orders",
        tracking=True,
        help="Create and update sale orders from the platform's orders "
        "(status drives confirmation, delivery, return or cancellation).",
    )
    connector_auto_post = fields.Boolean(
        string="Post Automatically after Pull",
        tracking=True,
        help="After each pull, the shop's new bills are matched and then posted "
        "as journal entries, as Post Entries does (voucher templates, else one "
        "entry per bill day). Where the platform serves both a wallet ledger and "
        "a detail bill of the same money (Alipay, WeChat Pay, Douyin), only the "
        "ledger is posted. A posting error (lock date, missing account) does not "
        "stop the pull: it is written in the sync log and in the bill's chatter, "
        "and the bill waits to be posted by hand. Off: pulled bills are matched "
        "only.",
    )
    connector_interval = fields.Integer(
        string="Pull Every (minutes)",
        default=60,
        help="Least time between two pulls of the same stream of this shop.",
    )
    connector_bills_from = fields.Date(
        string="Bills From",
        help="First day whose bills are pulled. Empty: the last few days.",
    )
    connector_orders_from = fields.Datetime(
        string="Orders From",
        help="Orders changed since this time are synced on the first run. "
        "Empty: the last day.",
    )
    credential_ids = fields.One2many(
        "ec.connector.credential",
        "shop_id",
        string="Credentials",
        groups="base.group_system",
        copy=False,
    )
    # ------------------------------------------------------------ state
    connector_bill_cursor = fields.Date(
        string="Bills Listed Through",
        readonly=True,
        copy=False,
        help="Bills of the days up to this one are listed (in Pulled Bills); "
        "later days are listed again on each run until they are final.",
    )
    connector_order_cursor = fields.Char(
        string="Order Cursor",
        readonly=True,
        copy=False,
        help="Where the next order sync resumes (opaque, from the API client).",
    )
    connector_next_bills_at = fields.Datetime(
        string="Next Bill Listing", readonly=True, copy=False
    )
    connector_next_orders_at = fields.Datetime(
        string="Next Order Sync", readonly=True, copy=False
    )
    connector_bill_ids = fields.One2many(
        "ec.connector.bill", "shop_id", string="Pulled Bills", readonly=True
    )
    connector_bill_error_count = fields.Integer(compute="_compute_connector_counts")
    sync_log_count = fields.Integer(compute="_compute_connector_counts")
    connector_supports_bills = fields.Boolean(compute="_compute_connector_support")
    connector_supports_orders = fields.Boolean(compute="_compute_connector_support")

    _connector_interval_positive = models.Constraint(
        "CHECK(connector_interval > 0)", "The pull interval must be positive."
    )

    def write(self, vals):
        """Moving "Bills From" / "Orders From" restarts the stream there
        (bills and orders are unique per shop: pulling again adds nothing
        twice)."""
        result = super().write(vals)
        if vals.get("connector_bills_from"):
            start = fields.Date.to_date(vals["connector_bills_from"])
            before = start - dt.timedelta(days=1)
            moved = self.filtered(
                lambda shop: shop.connector_bill_cursor
                and shop.connector_bill_cursor > before
            )
            if moved:
                super(EcShop, moved).write(
                    {"connector_bill_cursor": before, "connector_next_bills_at": False}
                )
        if "connector_orders_from" in vals:
            super().write(
                {"connector_order_cursor": False, "connector_next_orders_at": False}
            )
        return result

    @api.depends("platform")
    def _compute_connector_support(self):
        for shop in self:
            cls = shop._connector_client_class()
            shop.connector_supports_bills = bool(cls and cls.bill_types)
            shop.connector_supports_orders = bool(cls and cls.supports_orders)

    def _compute_connector_counts(self):
        errors = dict(
            self.env["ec.connector.bill"]._read_group(
                [("shop_id", "in", self.ids), ("state", "=", "error")],
                ["shop_id"],
                ["__count"],
            )
        )
        logs = {}
        if self.env["ec.sync.log"].has_access("read"):
            logs = dict(
                self.env["ec.sync.log"]._read_group(
                    [("shop_id", "in", self.ids)], ["shop_id"], ["__count"]
                )
            )
        for shop in self:
            shop.connector_bill_error_count = errors.get(shop, 0)
            shop.sync_log_count = logs.get(shop, 0)

    @api.onchange("platform")
    def _onchange_platform_connector(self):
        """Offer one empty row per credential of the platform's client."""
        if not self.env.user.has_group("base.group_system"):
            return
        known = self._connector_credential_fields()
        # drop the empty rows of the former platform, add the new one's
        self.credential_ids = self.credential_ids.filtered(
            lambda credential: credential.value
            or known.get(credential.key, {}).get("kind") == "credential"
        )
        missing = self._connector_missing_credentials()
        if missing:
            self.credential_ids = [fields.Command.create(vals) for vals in missing]

    # ------------------------------------------------------------ clients

    def _connector_client_class(self):
        """The API client class of the shop's platform (None when it has none)."""
        self.ensure_one()
        platform = CLIENT_PLATFORMS.get(self.platform, self.platform)
        return CLIENTS.get(platform)

    def _connector_platform_label(self):
        self.ensure_one()
        selection = dict(self._fields["platform"]._description_selection(self.env))
        return selection.get(self.platform) or self.platform or "?"

    def _connector_credential_fields(self):
        """``{key: {label, secret, kind, required, sequence}}`` for the
        platform's client: its credentials, its settings and the tokens the
        connector stores back."""
        self.ensure_one()
        cls = self._connector_client_class()
        if not cls:
            return {}
        result = {}
        groups = (
            ("credential", cls.credential_fields),
            ("setting", BaseClient.setting_fields),
            ("token", TOKEN_FIELDS),
        )
        sequence = 0
        for kind, entries in groups:
            for key, label, secret in entries:
                if key in result:
                    continue
                sequence += 1
                result[key] = {
                    "label": label,
                    "secret": secret,
                    "kind": kind,
                    "required": kind == "credential" and key not in cls.optional_fields,
                    "sequence": sequence,
                }
        return result

    def _connector_missing_credentials(self):
        """Values of the credential rows the shop lacks (credentials only)."""
        self.ensure_one()
        present = set(self.credential_ids.mapped("key"))
        return [
            {"key": key, "sequence": info["sequence"]}
            for key, info in self._connector_credential_fields().items()
            if info["kind"] == "credential" and key not in present
        ]

    @api.private
    def _connector_credentials(self):
        """The client's credentials dict. Needs no read access on the
        credentials: only the connector's own code calls it."""
        self.ensure_one()
        values = {
            credential.key: credential.value
            for credential in self.sudo().credential_ids
            if credential.value
        }
        if self.connector_orders_from and not values.get("orders_since"):
            values["orders_since"] = self.connector_orders_from.replace(
                tzinfo=UTC
            ).isoformat()
        return values

    @api.private
    def _connector_store_tokens(self, token_state):
        """Store the tokens the client obtained or refreshed."""
        self.ensure_one()
        if not token_state:
            return
        credentials = self.sudo().credential_ids
        by_key = {credential.key: credential for credential in credentials}
        known = self._connector_credential_fields()
        to_create = []
        for key, value in token_state.items():
            if key not in known or value in (None, ""):
                continue
            value = str(value)
            if key in by_key:
                if by_key[key].value != value:
                    by_key[key].value = value
            else:
                to_create.append(
                    {
                        "shop_id": self.id,
                        "key": key,
                        "value": value,
                        "sequence": known[key]["sequence"],
                    }
                )
        if to_create:
            self.env["ec.connector.credential"].sudo().create(to_create)

    def _connector_client(self):
        """A ready client for the shop (``ConnectorError`` if misconfigured)."""
        self.ensure_one()
        cls = self._connector_client_class()
        if not cls:
            raise UserError(
                self.env._(
                    "Shop %(shop)s: the %(platform)s platform has no API client; "
                    "upload its bills and orders as files.",
                    shop=self.display_name,
                    platform=self._connector_platform_label(),
                )
            )
        return cls(
            self._connector_credentials(),
            self.display_name,
            sleep=lambda seconds: self._connector_sleep(seconds),
            now=lambda: self._connector_now(),
        )

    @contextmanager
    def _connector_session(self):
        """``with shop._connector_session() as client``: the tokens the
        client obtains are stored when the block ends, even on an error (a
        rotated refresh token must not be lost with a rolled-back savepoint)."""
        client = self._connector_client()
        try:
            yield client
        finally:
            self._connector_store_tokens(client.token_state)

    @api.model
    def _connector_now(self):
        """Aware UTC now; one clock for the clients and the cursors."""
        return dt.datetime.now(UTC)

    @api.model
    def _connector_sleep(self, seconds):
        time.sleep(seconds)

    def _connector_today(self, now=None):
        """Today in the shop's time zone."""
        self.ensure_one()
        now = now or self._connector_now()
        try:
            zone = ZoneInfo(self.tz or "UTC")
        except (KeyError, ValueError):
            zone = UTC
        return now.astimezone(zone).date()

    def _connector_try_lock(self, stream):
        """Transaction-level advisory lock on (stream, shop): False when
        another transaction is working on the same stream of the shop."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(%s, %s)",
                LOCK_CLASSES[stream],
                self.id,
            )
        )
        return self.env.cr.fetchone()[0]

    def _connector_error_text(self, error):
        """An error message safe to store: names platform, shop and call
        (client errors do), never a credential value."""
        self.ensure_one()
        text = str(error) or type(error).__name__
        if not isinstance(error, ConnectorError):
            text = self.env._(
                "%(platform)s [%(shop)s]: %(error)s",
                platform=self._connector_platform_label(),
                shop=self.display_name,
                error=text,
            )
        for value in self._connector_credentials().values():
            value = str(value)
            if len(value) >= 4 and value in text:
                text = text.replace(value, "***")
        return text

    def _connector_expected_error(self, error):
        return isinstance(error, (ConnectorError, UserError, ValidationError))

    def _connector_caught_errors(self):
        """Errors a unit of work records (bill state, log) instead of
        raising: the expected ones; in scheduled runs (cron, job) any error,
        so one broken shop or bill never stops the others."""
        if self.env.context.get("ec_connector_trigger") in ("scheduled", "queue"):
            return (Exception,)
        return (ConnectorError, UserError, ValidationError)

    def _connector_report_error(self, error, what):
        """The storable message of ``error``, logged on the server."""
        message = self._connector_error_text(error)
        if self._connector_expected_error(error):
            _logger.warning("%s of shop %s failed: %s", what, self.id, message)
        else:
            _logger.exception("%s of shop %s failed unexpectedly", what, self.id)
        return message

    # ------------------------------------------------------------ actions

    def action_connector_prefill_credentials(self):
        """Add the credential rows of the platform the shop lacks."""
        for shop in self:
            vals = shop._connector_missing_credentials()
            if vals:
                shop.credential_ids = [fields.Command.create(v) for v in vals]
        return True

    def action_connector_test(self):
        """Call the client's ``authenticate()`` and say how it went."""
        self.ensure_one()
        started = fields.Datetime.now()
        try:
            with self._connector_session() as client:
                client.authenticate()
        except (ConnectorError, UserError) as error:
            message = self._connector_error_text(error)
            _logger.info("Connection test of shop %s failed: %s", self.id, message)
            self.env["ec.sync.log"]._log_create(
                self,
                "connection",
                self.env._("Connection test"),
                state="error",
                date_start=started,
                error_message=message,
            )
            return self._connector_notification(
                self.env._(
                    "Connection to %(platform)s failed for shop %(shop)s",
                    platform=self._connector_platform_label(),
                    shop=self.display_name,
                ),
                message,
                "danger",
            )
        self.env["ec.sync.log"]._log_create(
            self,
            "connection",
            self.env._("Connection test"),
            state="done",
            date_start=started,
        )
        return self._connector_notification(
            self.env._("Connection succeeded"),
            self.env._(
                "%(platform)s accepted the credentials of shop %(shop)s.",
                platform=self._connector_platform_label(),
                shop=self.display_name,
            ),
            "success",
        )

    def action_connector_pull_now(self):
        """Pull the shop's bills and orders now, in this transaction."""
        self.ensure_one()
        if not self._connector_client_class():
            self._connector_client()  # raises the clear "no API client" error
        Log = self.env["ec.sync.log"]
        before = Log.sudo().search([], order="id desc", limit=1).id or 0
        trigger = self.with_context(ec_connector_trigger="manual")
        if self.connector_pull_bills and self.connector_supports_bills:
            trigger._connector_pull_bills_now()
        if self.connector_sync_orders and self.connector_supports_orders:
            trigger._connector_sync_orders(max_pages=self._connector_order_pages())
        logs = Log.sudo().search([("id", ">", before), ("shop_id", "=", self.id)])
        errors = logs.filtered(lambda log: log.state == "error")
        summary = logs._summary()
        return self._connector_notification(
            self.env._("Pull of shop %(shop)s finished", shop=self.display_name),
            summary,
            "danger" if errors else "success",
            sticky=bool(errors),
        )

    def _connector_pull_bills_now(self):
        """List, pull and match this shop's bills in the current transaction."""
        self.ensure_one()
        Bill = self.env["ec.connector.bill"]
        for _step in range(12):  # one year of windows at most
            result = self._connector_list_bills()
            if result["caught_up"] or result.get("busy"):
                break
        bills = Bill.search(
            [("shop_id", "=", self.id)]
            + Bill._connector_ready_domain(self._connector_now()),
            order="period, id",
        )
        pulled = False
        for bill in bills:
            pulled |= bill._connector_pull()
        if pulled or self._connector_has_bills_to_post():
            self._connector_after_pull()

    def action_view_sync_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_connectors.ec_sync_log_action"
        )
        action["domain"] = [("shop_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_connector_bills(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_connectors.ec_connector_bill_action"
        )
        action["domain"] = [("shop_id", "=", self.id)]
        action["context"] = {"default_shop_id": self.id}
        return action

    def _connector_notification(self, title, message, kind, sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": sticky,
            },
        }

    # ------------------------------------------------------------ bills

    @api.model
    def _connector_platforms(self, stream):
        """Shop platforms whose client supports ``stream``."""
        result = []
        for platform, _label in self._fields["platform"].selection:
            cls = CLIENTS.get(CLIENT_PLATFORMS.get(platform, platform))
            if cls and (cls.bill_types if stream == "bills" else cls.supports_orders):
                result.append(platform)
        return result

    @api.model
    def _connector_due_domain(self, stream, now):
        flag = "connector_pull_bills" if stream == "bills" else "connector_sync_orders"
        next_field = f"connector_next_{stream}_at"
        return [
            ("connector_active", "=", True),
            (flag, "=", True),
            ("platform", "in", self._connector_platforms(stream)),
            "|",
            (next_field, "=", False),
            (next_field, "<=", naive_utc(now)),
        ]

    def _connector_bill_window(self, today):
        """(first, last) days to list now, or None when nothing is due."""
        self.ensure_one()
        settle = dt.timedelta(days=self._connector_bill_settle_days())
        start = self.connector_bills_from or (today - settle - dt.timedelta(days=1))
        if self.connector_bill_cursor:
            start = max(start, self.connector_bill_cursor + dt.timedelta(days=1))
        if start > today:
            return None
        end = min(
            start + dt.timedelta(days=self._connector_bill_window_days() - 1), today
        )
        return start, end

    @api.model
    def _connector_bill_settle_days(self):
        """Days re-listed on every run: bills appear a day or two late
        (T+1 after 10:00, 'bill not ready' answers, time zones)."""
        return 2

    @api.model
    def _connector_bill_window_days(self):
        return 31

    def _connector_list_bills(self):
        """List one window of days into ``ec.connector.bill`` records.

        Returns ``{"caught_up": bool, "bills": new records}``; the cursor and
        the next listing time are written with the new records, so a failure
        changes nothing and the next run lists the same window again.
        """
        self.ensure_one()
        if not self._connector_try_lock("bills"):
            return {
                "caught_up": False,
                "busy": True,
                "bills": self.env["ec.connector.bill"],
            }
        now = self._connector_now()
        today = self._connector_today(now)
        window = self._connector_bill_window(today)
        Bill = self.env["ec.connector.bill"]
        Log = self.env["ec.sync.log"]
        next_at = naive_utc(now + dt.timedelta(minutes=self.connector_interval or 60))
        if window is None:
            self.connector_next_bills_at = next_at
            return {"caught_up": True, "bills": Bill}
        start, end = window
        name = self.env._("List bills %(start)s to %(end)s", start=start, end=end)
        started = fields.Datetime.now()
        try:
            with self._connector_session() as client:
                refs = client.list_bills(start, end)
        except self._connector_caught_errors() as error:
            message = self._connector_report_error(error, "Bill listing")
            self.connector_next_bills_at = naive_utc(
                now + self._connector_retry_delay()
            )
            Log._log_create(
                self,
                "bills",
                name,
                state="error",
                date_start=started,
                error_message=message,
                cursor_before=str(self.connector_bill_cursor or ""),
            )
            return {"caught_up": True, "bills": Bill}
        before = self.connector_bill_cursor
        with self.env.cr.savepoint():
            bills = Bill._connector_register(self, refs)
            settled = today - dt.timedelta(days=self._connector_bill_settle_days())
            cursor = min(end, settled)
            vals = {}
            if not before or cursor > before:
                vals["connector_bill_cursor"] = cursor
            caught_up = end >= today
            if caught_up:
                vals["connector_next_bills_at"] = next_at
            self.write(vals)
            Log._log_create(
                self,
                "bills",
                name,
                state="done",
                date_start=started,
                bills_listed=len(refs),
                bills_new=len(bills),
                cursor_before=str(before or ""),
                cursor_after=str(self.connector_bill_cursor or ""),
            )
        return {"caught_up": caught_up, "bills": bills}

    @api.model
    def _connector_retry_delay(self):
        return dt.timedelta(minutes=15)

    def _connector_after_pull(self):
        """After new bills: match each shop, then post its pulled bills when
        it posts automatically. Returns the shops whose posting was skipped
        because another transaction is posting them (their bills stay to
        post, for the next run)."""
        busy = self.browse()
        for shop in self:
            if not shop._connector_match():
                continue
            if shop.connector_auto_post and shop._connector_post_pulled() == "busy":
                busy |= shop
        return busy

    def _connector_match(self):
        """Match the shop's rows in a savepoint; log how it went. Returns
        False when matching failed (logged)."""
        self.ensure_one()
        Log = self.env["ec.sync.log"]
        started = fields.Datetime.now()
        try:
            with self.env.cr.savepoint():
                stats = self.env["ec.settlement"]._run_matching(self)
        except self._connector_caught_errors() as error:
            Log._log_create(
                self,
                "matching",
                self.env._("Matching"),
                state="error",
                date_start=started,
                error_message=self._connector_report_error(error, "Matching"),
            )
            return False
        Log._log_create(
            self,
            "matching",
            self.env._("Matching"),
            state="done",
            date_start=started,
            rows_matched=stats.get("rows_linked", 0),
            message=self.env._(
                "%(rows)s rows linked to orders, %(open)s open exceptions.",
                rows=stats.get("rows_linked", 0),
                open=stats.get("exceptions_open", 0),
            ),
        )
        return True

    def _connector_has_bills_to_post(self):
        self.ensure_one()
        return self.connector_auto_post and bool(
            self.env["ec.connector.bill"].search_count(
                [("shop_id", "=", self.id), ("post_state", "=", "to_post")], limit=1
            )
        )

    def _connector_post_pulled(self):
        """Post the shop's pulled bills waiting to be posted (matched just
        before). Returns ``"done"``, or ``"busy"`` when another transaction
        is posting this shop's bills."""
        self.ensure_one()
        if not self._connector_try_lock("posting"):
            return "busy"
        bills = self.env["ec.connector.bill"].search(
            [("shop_id", "=", self.id), ("post_state", "=", "to_post")],
            order="period, id",
        )
        if not bills:
            return "done"
        started = fields.Datetime.now()
        result = bills._connector_post()
        if result["posted"]:
            settlements = result["posted"].settlement_ids
            self.env["ec.sync.log"]._log_create(
                self,
                "posting",
                self.env._("Posting"),
                state="warning" if result["failed"] else "done",
                date_start=started,
                settlement_ids=[fields.Command.set(settlements.ids)],
                entries_posted=result["moves"],
                message=self.env._(
                    "%(moves)s journal entries posted for %(rows)s rows of "
                    "%(bills)s pulled bills (%(failed)s failed).",
                    moves=result["moves"],
                    rows=result["rows"],
                    bills=len(result["posted"]),
                    failed=len(result["failed"]),
                ),
            )
        return "done"

    # ------------------------------------------------------------ orders

    @api.model
    def _connector_order_pages(self):
        """Pages of orders one unit of work handles at most."""
        return 20

    def _connector_sync_orders(self, max_pages=20, commit=None):
        """Sync the shop's orders page by page from its cursor.

        Each page and the cursor after it are written in one savepoint;
        ``commit()`` (the cron's progress commit) runs after each page and
        returns the seconds left. Returns ``"done"`` (no more orders for
        now), ``"more"`` (page budget or time used up), ``"busy"`` (another
        transaction syncs this shop) or ``"error"``.
        """
        self.ensure_one()
        if not self._connector_try_lock("orders"):
            return "busy"
        Log = self.env["ec.sync.log"]
        now = self._connector_now()
        log = Log._log_create(
            self,
            "orders",
            self.env._("Order sync"),
            state="running",
            cursor_before=self.connector_order_cursor or "",
        )
        totals = Counter()
        status = "more"
        try:
            with self._connector_session() as client:
                for _page in range(max_pages):
                    self.invalidate_recordset(["connector_order_cursor"])
                    orders, cursor = client.list_orders(
                        self.connector_order_cursor or None
                    )
                    with self.env.cr.savepoint():
                        stats = self.env["sale.order"]._ec_sync_platform_orders(
                            self, orders
                        )
                        self.connector_order_cursor = cursor
                        log._add_order_stats(stats, cursor)
                    totals.update(stats["counts"])
                    if not orders:
                        status = "done"
                        break
                    if commit is not None:
                        if commit() <= 0 or not self._connector_try_lock("orders"):
                            break
        except self._connector_caught_errors() as error:
            status = "error"
            message = self._connector_report_error(error, "Order sync")
            log.write({"state": "error", "error_message": message})
            self.connector_next_orders_at = naive_utc(
                now + self._connector_retry_delay()
            )
        else:
            if status == "done":
                self.connector_next_orders_at = naive_utc(
                    now + dt.timedelta(minutes=self.connector_interval or 60)
                )
            log._finish()
        if totals["created"] or totals["updated"]:
            self._connector_dispatch_after_pull()
        return status

    # ------------------------------------------------------------ crons

    @api.model
    def _cron_connector_pull_bills(self, batch_size=20):
        """Scheduled bill pull: list due shops, then pull ready bills, one
        unit per committed step; then match the shops that got bills."""
        Cron = self.env["ir.cron"]
        Bill = self.env["ec.connector.bill"]
        seen_shops, seen_bills = [], []
        # the shops to match (and post) after, in the scheduled context
        touched = self.with_context(ec_connector_trigger="scheduled").browse()
        time_left = float("inf")

        def remaining():
            # seen units still due (a shop catching up, a locked bill) count:
            # the cron then comes back for them at once
            now = self._connector_now()
            shops = self.search_count(self._connector_due_domain("bills", now))
            return shops + Bill.search_count(Bill._connector_ready_domain(now))

        scheduled = self.with_context(ec_connector_trigger="scheduled")
        while time_left > 0:
            domain = self._connector_due_domain("bills", self._connector_now())
            shops = scheduled.search(
                domain + [("id", "not in", seen_shops)], limit=batch_size
            )
            if not shops:
                break
            for shop in shops:
                seen_shops.append(shop.id)
                shop._connector_dispatch_list_bills()
                time_left = Cron._commit_progress(1, remaining=remaining())
                if time_left <= 0:
                    break
        while time_left > 0:
            domain = Bill._connector_ready_domain(self._connector_now())
            bills = Bill.with_context(ec_connector_trigger="scheduled").search(
                domain + [("id", "not in", seen_bills)],
                limit=batch_size,
                order="period, id",  # oldest first
            )
            if not bills:
                break
            for bill in bills:
                seen_bills.append(bill.id)
                if bill._connector_dispatch_pull():
                    touched |= bill.shop_id
                time_left = Cron._commit_progress(1, remaining=remaining())
                if time_left <= 0:
                    break
        # and the shops whose pulled bills still wait to be posted (posting
        # was busy, or matching failed last time)
        touched |= touched.env["ec.connector.bill"]._read_group(
            [
                ("post_state", "=", "to_post"),
                ("shop_id.connector_active", "=", True),
                ("shop_id.connector_auto_post", "=", True),
            ],
            aggregates=["shop_id:recordset"],
        )[0][0]
        ready = Bill._connector_ready_domain(self._connector_now())
        for shop in touched:
            if not Bill.search_count([("shop_id", "=", shop.id)] + ready):
                shop._connector_dispatch_after_pull()
                Cron._commit_progress(0)

    @api.model
    def _cron_connector_sync_orders(self, batch_size=10):
        """Scheduled order sync: each due shop from its cursor, one page per
        committed step."""
        Cron = self.env["ir.cron"]
        seen = []
        time_left = float("inf")

        def remaining():
            domain = self._connector_due_domain("orders", self._connector_now())
            return self.search_count(domain)

        def commit():
            return Cron._commit_progress(0)

        scheduled = self.with_context(ec_connector_trigger="scheduled")
        while time_left > 0:
            domain = self._connector_due_domain("orders", self._connector_now())
            shops = scheduled.search(
                domain + [("id", "not in", seen)], limit=batch_size
            )
            if not shops:
                break
            for shop in shops:
                seen.append(shop.id)
                shop._connector_dispatch_sync_orders(commit=commit)
                time_left = Cron._commit_progress(1, remaining=remaining())
                if time_left <= 0:
                    break

    # Dispatch hooks: run the unit now; ec_connectors_queue makes them jobs.

    def _connector_dispatch_list_bills(self):
        self.ensure_one()
        return self._connector_list_bills()

    def _connector_dispatch_sync_orders(self, commit=None):
        self.ensure_one()
        return self._connector_sync_orders(
            max_pages=self._connector_order_pages(), commit=commit
        )

    def _connector_dispatch_after_pull(self):
        return self._connector_after_pull()
