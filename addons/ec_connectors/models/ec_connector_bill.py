# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import datetime as dt
from collections import Counter

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..clients import BillNotReadyError, BillRef, NoBillError
from ..tools import naive_utc

#: bills a run may pull: listed and not done, and not waiting for a retry.
BILL_READY_STATES = ("pending", "waiting", "error")


class EcConnectorBill(models.Model):
    """One bill the platform's API listed for a shop: the pull's to-do item.

    Listing creates these records (unique per shop and platform key) before
    anything is downloaded; pulling one downloads it and hands it to
    ``ec.settlement._import_file`` in one savepoint, then marks it done. A
    failed pull stays here with its error and is retried later, so a bill is
    neither skipped nor imported twice.
    """

    _name = "ec.connector.bill"
    _description = "Bill Pulled from a Platform API"
    _order = "period desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    shop_id = fields.Many2one(
        "ec.shop",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        readonly=True,
    )
    company_id = fields.Many2one(
        related="shop_id.company_id", store=True, index=True, precompute=True
    )
    platform = fields.Selection(related="shop_id.platform")
    bill_type = fields.Char(readonly=True)
    period = fields.Char(readonly=True, help="Day (or range) the bill covers.")
    key = fields.Char(
        readonly=True, required=True, help="The platform's reference of the bill."
    )
    filename = fields.Char(readonly=True)
    state = fields.Selection(
        [
            ("pending", "To Pull"),
            ("waiting", "Not Ready Yet"),
            ("error", "Error"),
            ("done", "Imported"),
            ("no_bill", "No Bill"),
        ],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    next_try_at = fields.Datetime(
        string="Next Attempt", readonly=True, index=True, copy=False
    )
    date_pulled = fields.Datetime(readonly=True, copy=False)
    error_message = fields.Text(readonly=True, copy=False)
    settlement_ids = fields.Many2many(
        "ec.settlement", string="Imported Bills", readonly=True, copy=False
    )
    settlement_count = fields.Integer(compute="_compute_settlement_count")
    post_state = fields.Selection(
        [("to_post", "To Post"), ("posted", "Posted"), ("failed", "Posting Failed")],
        string="Automatic Posting",
        readonly=True,
        copy=False,
        index=True,
        help="Set when the bill was pulled for a shop that posts automatically "
        "after a pull. Posting Failed: post the imported bill by hand once the "
        "cause (see the error) is fixed.",
    )
    post_error = fields.Text(string="Posting Error", readonly=True, copy=False)

    _shop_key_uniq = models.Constraint(
        "UNIQUE(shop_id, key)", "A platform bill is listed once per shop."
    )

    @api.depends("shop_id", "bill_type", "period")
    def _compute_name(self):
        for bill in self:
            parts = [
                bill.shop_id.code or bill.shop_id.name,
                bill.bill_type,
                bill.period,
            ]
            bill.name = " / ".join(part for part in parts if part)

    def _compute_settlement_count(self):
        for bill in self:
            bill.settlement_count = len(bill.settlement_ids)

    # ------------------------------------------------------------ queue

    @api.model
    def _connector_ready_domain(self, now):
        naive = naive_utc(now)
        return [
            ("state", "in", BILL_READY_STATES),
            ("shop_id.connector_active", "=", True),
            "|",
            ("next_try_at", "=", False),
            ("next_try_at", "<=", naive),
        ]

    @api.model
    def _connector_register(self, shop, refs):
        """Create the records of the bill refs not listed yet (one query to
        find the known keys, one ``create``)."""
        keys = list({ref.key for ref in refs})
        if not keys:
            return self.browse()
        known = set(
            self.search_fetch(
                [("shop_id", "=", shop.id), ("key", "in", keys)], ["key"]
            ).mapped("key")
        )
        vals_list = []
        for ref in refs:
            if ref.key in known:
                continue
            known.add(ref.key)
            vals_list.append(
                {
                    "shop_id": shop.id,
                    "bill_type": ref.bill_type,
                    "period": ref.period,
                    "key": ref.key,
                    "filename": ref.filename,
                }
            )
        return self.create(vals_list)

    def _connector_bill_ref(self, client_platform):
        self.ensure_one()
        return BillRef(
            client_platform, self.bill_type, self.period, self.key, self.filename
        )

    def _connector_retry_delay(self, error=None):
        """Wait before the next attempt: the platform's hint, else doubling
        from 5 minutes up to 6 hours."""
        self.ensure_one()
        if isinstance(error, BillNotReadyError):
            return dt.timedelta(hours=2)
        seconds = 300 * 2 ** max(self.attempts - 1, 0)
        if error is not None and getattr(error, "retry_after", None):
            seconds = max(seconds, float(error.retry_after))
        return dt.timedelta(seconds=min(seconds, 6 * 3600))

    def _connector_pull(self):
        """Download this bill and import it. Returns True when it was pulled
        now (False: done already, or another transaction is pulling it, or
        it failed; failures are recorded on the bill and in the log)."""
        self.ensure_one()
        bill = self.try_lock_for_update(allow_referencing=True)
        if not bill or bill.state in ("done", "no_bill"):
            return False
        shop = bill.shop_id.with_company(bill.company_id)
        Log = self.env["ec.sync.log"]
        started = fields.Datetime.now()
        now = shop._connector_now()
        caught = shop._connector_caught_errors()
        settlements = self.env["ec.settlement"]
        try:
            with shop._connector_session() as client:
                filename, data = client.download_bill(
                    bill._connector_bill_ref(client.platform)
                )
                with self.env.cr.savepoint():
                    settlements = (
                        self.env["ec.settlement"]
                        .with_company(bill.company_id)
                        ._import_file(filename, data, shop=shop, source="api")
                    )
                    bill.write(
                        {
                            "state": "done",
                            "attempts": bill.attempts + 1,
                            "date_pulled": fields.Datetime.now(),
                            "next_try_at": False,
                            "error_message": False,
                            "settlement_ids": [fields.Command.set(settlements.ids)],
                            "post_state": "to_post"
                            if shop.connector_auto_post
                            and client.posts_bill_type(bill.bill_type)
                            else False,
                        }
                    )
                    Log._log_create(
                        shop,
                        "bills",
                        bill.name,
                        state="warning"
                        if any(s.state == "error" for s in settlements)
                        else "done",
                        date_start=started,
                        connector_bill_id=bill.id,
                        bills_pulled=1,
                        settlement_ids=[fields.Command.set(settlements.ids)],
                        rows_imported=sum(settlements.mapped("line_count")),
                        rows_duplicate=sum(settlements.mapped("duplicate_count")),
                        message=bill._connector_import_message(settlements),
                    )
        except NoBillError as error:
            bill.write(
                {
                    "state": "no_bill",
                    "attempts": bill.attempts + 1,
                    "next_try_at": False,
                    "error_message": shop._connector_error_text(error),
                }
            )
            Log._log_create(
                shop,
                "bills",
                bill.name,
                state="done",
                date_start=started,
                connector_bill_id=bill.id,
                message=bill.error_message,
            )
            return False
        except caught as error:
            bill._connector_record_error(error, now, started)
            return False
        return bool(settlements)

    def _connector_record_error(self, error, now, started):
        self.ensure_one()
        shop = self.shop_id
        message = shop._connector_report_error(error, f"Pull of bill {self.id}")
        self.write(
            {
                "state": "waiting" if isinstance(error, BillNotReadyError) else "error",
                "attempts": self.attempts + 1,
                "error_message": message,
                "next_try_at": naive_utc(now + self._connector_retry_delay(error)),
            }
        )
        self.env["ec.sync.log"]._log_create(
            shop,
            "bills",
            self.name,
            state="error",
            date_start=started,
            connector_bill_id=self.id,
            error_message=message,
        )

    def _connector_import_message(self, settlements):
        already = settlements.env.context.get("ec_already_imported")
        parts = []
        for settlement in settlements:
            if settlement.state == "error":
                parts.append(
                    self.env._(
                        "%(file)s could not be read: %(error)s",
                        file=settlement.file_name,
                        error=settlement.error_message,
                    )
                )
        if already:
            parts.append(self.env._("The file was imported before: nothing changed."))
        return "\n".join(parts) or False

    # ------------------------------------------------------------ posting

    def _connector_post(self):
        """Post the imported bills of these pulled bills (those ``to_post``)
        through ``ec.settlement.action_post``, each pulled bill in its own
        savepoint. A posting error (lock date, missing account...) is not
        raised: it is stored on the pulled bill and written in the sync log
        and the imported bills' chatter, and the pull stays a success.
        Concurrency errors are raised, for the transaction to be retried.

        Returns ``{"moves", "rows", "posted", "failed"}`` (counts, then the
        pulled bills)."""
        totals = Counter()
        posted = failed = self.browse()
        for bill in self.filtered(lambda b: b.post_state == "to_post"):
            shop = bill.shop_id
            settlements = bill.settlement_ids.filtered(
                lambda s: s.state not in ("error", "posted")
            )
            try:
                with self.env.cr.savepoint():
                    stats = {}
                    if settlements:
                        stats = settlements.with_company(bill.company_id).action_post()
                    bill.write({"post_state": "posted", "post_error": False})
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except shop._connector_caught_errors() as error:
                bill._connector_record_post_error(error)
                failed |= bill
                continue
            totals.update(moves=stats.get("moves", 0), rows=stats.get("rows", 0))
            posted |= bill
        return {
            "moves": totals["moves"],
            "rows": totals["rows"],
            "posted": posted,
            "failed": failed,
        }

    def _connector_record_post_error(self, error):
        self.ensure_one()
        shop = self.shop_id
        message = shop._connector_report_error(error, f"Posting of bill {self.id}")
        self.write({"post_state": "failed", "post_error": message})
        note = self.env._(
            "Automatic posting after the pull failed; nothing of this bill was "
            "posted. Fix the cause, then post it with Post Entries.\n%(error)s",
            error=message,
        )
        for settlement in self.settlement_ids:
            settlement.message_post(body=note)
        self.env["ec.sync.log"]._log_create(
            shop,
            "posting",
            self.name,
            state="error",
            connector_bill_id=self.id,
            settlement_ids=[fields.Command.set(self.settlement_ids.ids)],
            error_message=message,
        )

    # ------------------------------------------------------------ actions

    def action_retry(self):
        """Pull the selected bills now (those not imported yet)."""
        to_pull = self.filtered(lambda b: b.state not in ("done", "no_bill"))
        to_pull.write({"next_try_at": False})
        pulled = self.browse()
        for bill in to_pull.with_context(ec_connector_trigger="manual"):
            if bill._connector_pull():
                pulled |= bill
        pulled.shop_id._connector_after_pull()
        failed = to_pull.filtered(lambda b: b.state == "error")
        return self.shop_id[:1]._connector_notification(
            self.env._("Pull finished"),
            self.env._(
                "%(pulled)s bill(s) imported, %(failed)s in error.",
                pulled=len(pulled),
                failed=len(failed),
            ),
            "danger" if failed else "success",
            sticky=bool(failed),
        )

    def action_view_settlements(self):
        self.ensure_one()
        return self.settlement_ids._get_records_action(
            name=self.env._("Imported Bills")
        )

    # ------------------------------------------------------------ dispatch

    def _connector_dispatch_pull(self):
        """Pull now (True when pulled); ec_connectors_queue enqueues a job."""
        self.ensure_one()
        return self._connector_pull()
