# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..parsers import BillParseError, BillRowErrors
from ..tools import ledger, matching, posting
from .ec_settlement_line import KIND_SELECTION

_logger = logging.getLogger(__name__)


class EcSettlement(models.Model):
    """One imported bill: a shop's settlement file for a period.

    The raw file is kept as an attachment (with its SHA-256) whatever happens;
    a bill that cannot be read stays in state ``error`` with the reason, and
    none of its rows is imported, so the user can fix the file and retry.
    """

    _name = "ec.settlement"
    _description = "Settlement Bill"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "period_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True, readonly=True)
    shop_id = fields.Many2one(
        "ec.shop",
        index=True,
        check_company=True,
        tracking=True,
        help="Detected from the bill (platform and account) when not chosen.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        readonly=True,
    )
    platform = fields.Selection(related="shop_id.platform", store=True, index=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    bill_type = fields.Char(
        string="Parser", readonly=True, help="Code of the parser that read it."
    )
    bill_type_label = fields.Char(string="Bill Type", readonly=True)
    mapping_id = fields.Many2one(
        "ec.bill.mapping",
        string="Bill Mapping",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The bill mapping (built-in preset or your own) that read the file.",
    )
    channel = fields.Char(readonly=True)
    parser_version = fields.Char(readonly=True)
    platform_account = fields.Char(
        readonly=True, help="Account or merchant id printed on the bill."
    )
    source = fields.Selection(
        [("upload", "Upload"), ("api", "API pull"), ("script", "Script")],
        default="upload",
        required=True,
        readonly=True,
    )
    period_start = fields.Datetime(readonly=True, index=True)
    period_end = fields.Datetime(readonly=True)
    attachment_id = fields.Many2one(
        "ir.attachment", string="Raw File", readonly=True, ondelete="restrict"
    )
    file_name = fields.Char(readonly=True)
    file_sha256 = fields.Char(string="SHA-256", readonly=True, index=True)
    state = fields.Selection(
        [
            ("received", "Received"),
            ("parsed", "Imported"),
            ("matched", "Matched"),
            ("posted", "Posted"),
            ("error", "Error"),
        ],
        default="received",
        required=True,
        index=True,
        readonly=True,
        tracking=True,
    )
    error_message = fields.Text(readonly=True)
    line_ids = fields.One2many("ec.settlement.line", "settlement_id", readonly=True)
    line_count = fields.Integer(
        string="New Rows", readonly=True, help="Rows this bill added to the ledger."
    )
    parsed_count = fields.Integer(
        string="Rows in File", readonly=True, help="Normalized rows read from the file."
    )
    duplicate_count = fields.Integer(
        string="Already Imported",
        readonly=True,
        help="Rows skipped because an earlier bill imported them with the same data.",
    )
    conflict_count = fields.Integer(
        string="Conflicts",
        readonly=True,
        help="Rows whose transaction id was imported before with different data: "
        "kept apart, not overwritten.",
    )
    conflicts = fields.Json(string="Conflict Details", readonly=True)
    unclassified_count = fields.Integer(readonly=True)
    mangled_id_count = fields.Integer(string="Mangled Ids", readonly=True)
    total_amount = fields.Monetary(
        string="Net Total", currency_field="currency_id", readonly=True
    )
    income_total = fields.Monetary(currency_field="currency_id", readonly=True)
    expense_total = fields.Monetary(currency_field="currency_id", readonly=True)
    opening_balance = fields.Monetary(currency_field="currency_id", readonly=True)
    closing_balance = fields.Monetary(currency_field="currency_id", readonly=True)
    has_balances = fields.Boolean(readonly=True)
    declared_totals = fields.Json(readonly=True)
    consistency = fields.Selection(
        [
            ("ok", "Totals agree"),
            ("mismatch", "Totals disagree"),
            ("none", "No totals stated"),
        ],
        readonly=True,
        default="none",
    )
    consistency_message = fields.Text(readonly=True)
    warnings = fields.Text(readonly=True)

    @api.depends("shop_id", "bill_type_label", "period_start", "file_name")
    def _compute_name(self):
        for bill in self:
            parts = [
                bill.shop_id.code or bill.shop_id.name,
                bill.bill_type_label,
                bill.period_start and bill.period_start.strftime("%Y-%m-%d"),
            ]
            bill.name = " / ".join(p for p in parts if p) or bill.file_name or "/"

    @api.constrains("state", "shop_id")
    def _check_shop(self):
        for bill in self:
            if bill.state != "error" and not bill.shop_id:
                raise ValidationError(
                    self.env._("Bill %(name)s needs a shop.", name=bill.display_name)
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_posted(self):
        if any(bill.state == "posted" for bill in self):
            raise UserError(
                self.env._(
                    "A posted bill cannot be deleted: reverse its entries first."
                )
            )

    # ------------------------------------------------------------------
    # Import entry points
    # ------------------------------------------------------------------

    @api.model
    def _import_file(
        self, filename, data, shop=None, source="upload", parser_code=None
    ):
        """Import one file (CSV, TSV, XLSX, JSON or a ZIP of them).

        Returns the bills, one per bill found in the file. Never raises on bad
        content: such a file becomes a bill in state ``error`` with the reason
        (naming file, row and field), its raw file kept and no row imported.
        """
        self.check_access("create")
        shop = shop or self.env["ec.shop"]
        sha256 = hashlib.sha256(data).hexdigest()
        existing = self._find_already_imported(sha256, shop)
        if existing:
            for bill in existing:
                # Connectors and scripts: a plain log note (no followers to
                # notify), a fraction of the cost of message_post.
                post = bill.message_post if source == "upload" else bill._message_log
                post(
                    body=self.env._(
                        "File %(file)s imported again: already imported, nothing "
                        "changed.",
                        file=filename,
                    )
                )
            return existing.with_context(ec_already_imported=True)
        attachment = self._store_raw_file(filename, data)
        return self._run_import(
            filename, data, attachment, sha256, shop, source, parser_code
        )

    @api.model
    def _run_import(
        self, filename, data, attachment, sha256, shop, source, parser_code, bill=None
    ):
        """Parse and store; ``bill`` is an error bill being retried in place."""
        try:
            # With the bill mappings (user layouts, archived presets).
            parsed_bills = self.env["ec.bill.mapping"]._parse_file(
                filename, data, parser_code=parser_code, shop=shop
            )
        except BillParseError as error:
            return self._create_error_bill(
                filename, sha256, attachment, shop, source, error, bill=bill
            )
        bills = self.browse()
        for parsed in parsed_bills:
            bills |= self._import_parsed(
                parsed,
                shop=shop,
                source=source,
                attachment=attachment,
                sha256=sha256,
                bill=bill,
            )
            bill = None  # further bills of a ZIP are new records
        return bills

    @api.model
    def _find_already_imported(self, sha256, shop):
        domain = [("file_sha256", "=", sha256), ("state", "!=", "error")]
        if shop:
            domain.append(("shop_id", "=", shop.id))
        return self.search(domain)

    @api.model
    def _store_raw_file(self, filename, data):
        # Kept as delivered, not indexed for full-text search: indexing scans
        # the whole file (hundreds of MB for a big bill) for nothing.
        return (
            self.env["ir.attachment"]
            .sudo()
            .with_context(ec_skip_index_content=True)
            .create(
                {
                    "name": filename,
                    "raw": data,
                    "res_model": self._name,
                    "type": "binary",
                }
            )
        )

    def _link_attachment(self, attachment):
        # The attachment is shared by every bill of a ZIP; it points at the first.
        if attachment and not attachment.res_id:
            attachment.sudo().write({"res_id": self[:1].id})

    @api.model
    def _create_error_bill(
        self, filename, sha256, attachment, shop, source, error, bill=None
    ):
        message = str(error)
        if isinstance(error, BillRowErrors):
            message = "\n".join(str(e) for e in error.errors)
            if error.total > len(error.errors):
                message += self.env._(
                    "\n... and %(count)s more bad rows.",
                    count=error.total - len(error.errors),
                )
        vals = {
            "shop_id": shop.id if shop else False,
            "company_id": (shop.company_id if shop else self.env.company).id,
            "state": "error",
            "error_message": message,
            "source": source,
            "file_name": getattr(error, "filename", None) or filename,
            "file_sha256": sha256,
            "attachment_id": attachment.id if attachment else False,
        }
        if bill:
            bill.write(vals)
            bill.message_post(body=self.env._("Import failed again: %s", message))
        else:
            bill = self.create(vals)
            bill._link_attachment(attachment)
        _logger.info("Bill %s refused: %s", filename, message.splitlines()[0])
        return bill

    @api.model
    def _import_parsed(
        self,
        parsed,
        shop=None,
        source="upload",
        attachment=None,
        sha256=None,
        bill=None,
    ):
        """Store one ``ParsedBill``: checks, bill record, rows in bulk."""
        shop = shop or self.env["ec.shop"]
        try:
            shop = self._resolve_shop(parsed, shop)
        except UserError as error:
            return self._create_error_bill(
                parsed.filename,
                sha256,
                attachment,
                shop,
                source,
                error.args[0],
                bill=bill,
            )
        currency = shop.currency_id
        summary = ledger.summarize(parsed, currency.name)
        vals = {
            "shop_id": shop.id,
            "company_id": shop.company_id.id,
            "currency_id": currency.id,
            "bill_type": parsed.bill_type,
            "bill_type_label": parsed.meta.get("mapping_label")
            or ledger.bill_type_label(parsed.bill_type),
            "mapping_id": parsed.meta.get("mapping_id") or False,
            "channel": parsed.channel,
            "parser_version": parsed.parser_version,
            "platform_account": parsed.account,
            "source": source,
            "period_start": summary["period_start"],
            "period_end": summary["period_end"],
            "attachment_id": attachment.id if attachment else False,
            "file_name": parsed.filename,
            "file_sha256": sha256,
            "parsed_count": summary["count"],
            "total_amount": summary["net"],
            "income_total": summary["income"],
            "expense_total": summary["expense"],
            "opening_balance": parsed.opening_balance,
            "closing_balance": parsed.closing_balance,
            "has_balances": parsed.closing_balance is not None,
            "declared_totals": ledger.jsonable(parsed.declared_totals),
            "consistency": summary["consistency"],
            "consistency_message": summary["consistency_message"],
            "unclassified_count": summary["unclassified"],
            "mangled_id_count": summary["mangled"],
            "warnings": "\n".join(parsed.warnings) or False,
            "error_message": False,
            "state": "parsed",
        }
        if bill:
            bill.write(vals)
        else:
            bill = self.create(vals)
            bill._link_attachment(attachment)
        stats = bill._insert_lines(parsed, currency)
        bill.write(
            {
                "line_count": stats["inserted"],
                "duplicate_count": stats["duplicates"],
                "conflict_count": stats["conflict_count"],
                "conflicts": stats["conflicts"] or False,
            }
        )
        bill._post_import_message(stats)
        return bill

    def _post_import_message(self, stats):
        self.ensure_one()
        body = self.env._(
            "Imported %(file)s: %(rows)s rows in the file, %(new)s new, "
            "%(dup)s already imported, %(conflicts)s conflicting.",
            file=self.file_name,
            rows=self.parsed_count,
            new=stats["inserted"],
            dup=stats["duplicates"],
            conflicts=stats["conflict_count"],
        )
        if self.consistency == "mismatch":
            body += " " + self.consistency_message
        if self.source == "upload":
            self.message_post(body=body)
        else:
            # Connectors and scripts import thousands of bills a month: a log
            # note (same chatter line, author and date) skips followers and
            # notifications.
            self._message_log(body=body)

    @api.model
    def _resolve_shop(self, parsed, shop):
        """The bill's shop: the chosen one after checks, or detected."""
        platforms = ledger.compatible_shop_platforms(parsed.platform)
        if shop:
            if shop.platform not in platforms:
                raise UserError(
                    self.env._(
                        "%(file)s is a %(bill)s bill; shop %(shop)s is on another "
                        "platform. Choose a %(platforms)s shop.",
                        file=parsed.filename,
                        bill=ledger.bill_type_label(parsed.bill_type),
                        shop=shop.display_name,
                        platforms=", ".join(sorted(platforms - {"other"})),
                    )
                )
            if (
                parsed.account
                and shop.platform_account
                and parsed.account != shop.platform_account
            ):
                raise UserError(
                    self.env._(
                        "%(file)s belongs to account %(account)s, but shop %(shop)s "
                        "is account %(shop_account)s: wrong shop?",
                        file=parsed.filename,
                        account=parsed.account,
                        shop=shop.display_name,
                        shop_account=shop.platform_account,
                    )
                )
        else:
            candidates = self.env["ec.shop"].search(
                [("platform", "in", list(platforms))]
            )
            if parsed.account:
                by_account = candidates.filtered(
                    lambda s: s.platform_account == parsed.account
                )
                candidates = by_account or candidates.filtered(
                    lambda s: not s.platform_account
                )
            if len(candidates) != 1:
                raise UserError(
                    self.env._(
                        "%(file)s: cannot tell which shop this %(bill)s bill "
                        "(account %(account)s) belongs to: %(count)s shops fit. "
                        "Choose the shop, or set the Platform Account on it.",
                        file=parsed.filename,
                        bill=ledger.bill_type_label(parsed.bill_type),
                        account=parsed.account or "-",
                        count=len(candidates),
                    )
                )
            shop = candidates
        currencies = ledger.bill_currencies(parsed)
        wrong = currencies - {shop.currency_id.name}
        if wrong:
            raise UserError(
                self.env._(
                    "%(file)s is in %(found)s but shop %(shop)s settles in "
                    "%(currency)s.",
                    file=parsed.filename,
                    found=", ".join(sorted(wrong)),
                    shop=shop.display_name,
                    currency=shop.currency_id.name,
                )
            )
        return shop

    def _insert_lines(self, parsed, currency):
        """Bulk insert (COPY) with dedupe on (shop, channel, transaction id)."""
        self.ensure_one()
        self.env["ec.settlement.line"].flush_model()
        stats = ledger.insert_lines(
            self.env.cr,
            bill_id=self.id,
            shop_id=self.shop_id.id,
            company_id=self.company_id.id,
            currency_id=currency.id,
            platform=self.shop_id.platform,
            tz_name=self.shop_id.tz,
            uid=self.env.uid,
            parsed=parsed,
        )
        # Rows were written in SQL: drop what the ORM cached about them.
        self.env["ec.settlement.line"].invalidate_model()
        self.invalidate_recordset(["line_ids"])
        return stats

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_retry(self):
        """Re-read the raw file of bills in error, in place (after a fix)."""
        for bill in self.filtered(lambda b: b.state == "error"):
            attachment = bill.attachment_id
            if not attachment:
                raise UserError(
                    self.env._("Bill %(name)s has no raw file.", name=bill.display_name)
                )
            self._run_import(
                attachment.name,
                attachment.raw,
                attachment,
                bill.file_sha256,
                bill.shop_id,
                bill.source,
                None,
                bill=bill,
            )
        return True

    def action_view_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_reconcile.ec_settlement_line_action"
        )
        action["domain"] = [("settlement_id", "=", self.id)]
        action["context"] = {"search_default_group_kind": 1}
        return action

    def action_download_raw(self):
        self.ensure_one()
        if not self.attachment_id:
            raise UserError(self.env._("This bill has no raw file."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "self",
        }

    # ------------------------------------------------------------------
    # Matching
    # ------------------------------------------------------------------

    @api.model
    def _run_matching(self, shops=None):
        """Match every row of ``shops`` (default: all) and sync exceptions."""
        shops = shops if shops is not None else self.env["ec.shop"].search([])
        self.env["ec.exception"].check_access("create")
        if not shops:
            return {}
        stats = matching.run(self.env, shops)
        # Store the profit facts of the orders matching touched.
        self.env["ec.report.profit.sku"]._refresh_facts()
        return stats

    def action_match(self):
        stats = self._run_matching(self.shop_id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Matching done"),
                "message": self.env._(
                    "%(rows)s rows matched to orders, %(open)s open exceptions "
                    "(%(new)s new, %(closed)s closed).",
                    rows=stats.get("rows_linked", 0),
                    open=stats.get("exceptions_open", 0),
                    new=stats.get("exceptions_created", 0),
                    closed=stats.get("exceptions_closed", 0),
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _cron_match(self):
        """Scheduled matching, one shop per batch with committed progress."""
        shops = self.env["ec.shop"].search([])
        for index, shop in enumerate(shops):
            self._run_matching(shop)
            self.env["ir.cron"]._commit_progress(1, remaining=len(shops) - index - 1)

    # ------------------------------------------------------------------
    # Posting
    # ------------------------------------------------------------------

    move_ids = fields.One2many("account.move", "ec_settlement_id", string="Entries")
    move_count = fields.Integer(compute="_compute_move_count", string="Entries Count")
    unposted_count = fields.Integer(compute="_compute_move_count")

    def _compute_move_count(self):
        moves = dict(
            self.env["account.move"]._read_group(
                [("ec_settlement_id", "in", self.ids), ("state", "=", "posted")],
                ["ec_settlement_id"],
                ["__count"],
            )
        )
        unposted = dict(
            self.env["ec.settlement.line"]._read_group(
                [("settlement_id", "in", self.ids), ("move_id", "=", False)],
                ["settlement_id"],
                ["__count"],
            )
        )
        for bill in self:
            bill.move_count = moves.get(bill, 0)
            bill.unposted_count = unposted.get(bill, 0)

    def action_post(self):
        """Post the bills' rows as the voucher templates say (never twice)."""
        self.env["account.move"].check_access("create")
        errors = self.filtered(lambda b: b.state == "error")
        if errors:
            raise UserError(
                self.env._(
                    "Bills in error cannot be posted: %(names)s",
                    names=", ".join(errors.mapped("display_name")),
                )
            )
        # Rows are matched first, so income reaches the receivable.
        unmatched = self.filtered(lambda b: b.state == "parsed")
        if unmatched:
            self._run_matching(unmatched.shop_id)
        stats = posting.post(self.env, self)
        skipped = self.browse(stats.get("skipped_bills", []))
        if skipped:
            skipped._message_log_batch(
                bodies=dict.fromkeys(
                    skipped.ids,
                    self.env._(
                        "Not posted: this bill details money that the shop's "
                        "wallet ledger bill posts. Its rows are linked to their "
                        "orders, not counted twice."
                    ),
                )
            )
        # One note per bill with its own counts, logged in one batch.
        by_bill = stats.pop("by_bill", {})
        if by_bill:
            self.browse(by_bill)._message_log_batch(
                bodies={
                    bill_id: self.env._(
                        "Posted: %(moves)s entries for %(rows)s rows.",
                        moves=moves,
                        rows=rows,
                    )
                    for bill_id, (moves, rows) in by_bill.items()
                }
            )
        return stats

    def action_reverse(self):
        """Reverse the bills' entries; their rows are ready to post again."""
        for bill in self:
            moves = bill.line_ids.move_id.filtered(lambda m: m.state == "posted")
            if not moves:
                continue
            payouts = bill.line_ids.filtered(
                lambda r, m=moves: r.statement_line_id and r.move_id in m
            )
            moves._reverse_moves(
                default_values_list=[
                    {
                        "date": move.date,
                        "ref": self.env._("Reversal of %(ref)s", ref=move.ref),
                    }
                    for move in moves
                ],
                cancel=True,
            )
            self.env["ec.settlement.line"].flush_model()
            self.env.cr.execute(
                "UPDATE ec_settlement_line SET move_id = NULL "
                "WHERE settlement_id = %s AND move_id = ANY(%s)",
                [bill.id, moves.ids],
            )
            self.env["ec.settlement.line"].invalidate_model(["move_id"])
            # Their bank lines are to reconcile again (the next posting does).
            posting.restore_statement_lines(self.env, payouts)
            bill.message_post(
                body=self.env._(
                    "Reversed %(count)s entries: %(names)s. The rows can be posted "
                    "again.",
                    count=len(moves),
                    names=", ".join(moves.mapped("name")),
                )
            )
        self._update_posted_state()
        return True

    def _update_posted_state(self):
        self.env["ec.settlement.line"].flush_model(
            ["move_id", "settlement_id", "match_state"]
        )
        bills = self.filtered(lambda b: b.state != "error")
        if not bills:
            return
        # One query for all bills, one write per new state.
        self.env.cr.execute(
            "SELECT settlement_id, count(*) FILTER (WHERE move_id IS NULL), "
            "count(*), bool_or(match_state != 'new') "
            "FROM ec_settlement_line WHERE settlement_id = ANY(%s) "
            "GROUP BY settlement_id",
            [bills.ids],
        )
        counts = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        by_state = {}
        for bill in bills:
            unposted, total, matched = counts.get(bill.id, (0, 0, False))
            if total and not unposted:
                state = "posted"
            elif bill.state == "posted":
                state = "matched" if matched else "parsed"
            else:
                continue
            if bill.state != state:
                by_state[state] = by_state.get(state, self.browse()) | bill
        for state, records in by_state.items():
            records.write({"state": state})

    def action_view_moves(self):
        self.ensure_one()
        moves = self.line_ids.move_id | self.move_ids
        return moves._get_records_action(name=self.env._("Journal Entries"))

    @api.model
    def _kind_selection(self):
        return KIND_SELECTION
