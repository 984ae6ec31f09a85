# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
import hashlib

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.ec_settlement_line import KIND_SELECTION
from ..parsers import BillParseError, BillRowErrors
from ..tools import ledger

PREVIEW_ROWS = 20


class EcSettlementImport(models.TransientModel):
    """Upload one or several bills (or a ZIP); layout and shop are detected.

    *Preview* reads the files without writing anything (first rows as they
    will be imported, every bad row), *Import* imports them.
    """

    _name = "ec.settlement.import"
    _description = "Import Settlement Bills"

    attachment_ids = fields.Many2many(
        "ir.attachment",
        string="Files",
        help="CSV, TSV, XLSX, JSON or ZIP files, several at once.",
    )
    shop_id = fields.Many2one(
        "ec.shop",
        help="Leave empty to detect the shop from each bill's platform and account.",
    )
    mapping_id = fields.Many2one(
        "ec.bill.mapping",
        string="Read With",
        help="Leave empty to recognise each file's layout from its content. Choose "
        "a bill mapping to read every file with it.",
    )
    state = fields.Selection(
        [("upload", "Upload"), ("preview", "Preview")], default="upload"
    )
    preview_rows = fields.Integer(
        string="Rows per File", default=PREVIEW_ROWS, help="Rows shown per bill."
    )
    preview_file_ids = fields.One2many(
        "ec.settlement.import.file", "wizard_id", string="Bills Found"
    )
    preview_line_ids = fields.One2many(
        "ec.settlement.import.row", "wizard_id", string="Rows"
    )
    preview_error_count = fields.Integer(compute="_compute_preview_counts")

    @api.depends("preview_file_ids.error_count", "preview_file_ids.status")
    def _compute_preview_counts(self):
        for wizard in self:
            wizard.preview_error_count = sum(
                wizard.preview_file_ids.mapped("error_count")
            ) + len(
                wizard.preview_file_ids.filtered(
                    lambda f: f.status == "error" and not f.error_count
                )
            )

    def _parser_code(self):
        mapping = self.mapping_id
        if not mapping:
            return None
        return mapping.preset_code if mapping.is_preset else mapping.code

    def _files(self):
        if not self.attachment_ids:
            raise UserError(self.env._("Add at least one file to import."))
        for attachment in self.attachment_ids:
            yield attachment.name, base64.b64decode(attachment.datas or b"")

    # ------------------------------------------------------------------
    # Preview
    # ------------------------------------------------------------------

    def action_preview(self):
        """Read the files as the import will, write nothing but this preview."""
        self.ensure_one()
        self.env["ec.settlement"].check_access("create")
        file_vals, row_vals = [], []
        for filename, data in self._files():
            files, rows = self._preview_file(filename, data)
            file_vals += files
            row_vals += rows
        self.preview_file_ids.unlink()
        self.preview_line_ids.unlink()
        for sequence, vals in enumerate(file_vals, 1):
            vals.update(wizard_id=self.id, sequence=sequence)
        for sequence, vals in enumerate(row_vals, 1):
            vals.update(wizard_id=self.id, sequence=sequence)
        self.env["ec.settlement.import.file"].create(file_vals)
        self.env["ec.settlement.import.row"].create(row_vals)
        self.state = "preview"
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self.preview_file_ids.unlink()
        self.preview_line_ids.unlink()
        self.state = "upload"
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Import Bills"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _preview_file(self, filename, data):
        """(file vals, row vals) of one uploaded file: one file entry per bill
        found (several for a ZIP), its first rows, or its errors row by row."""
        Settlement = self.env["ec.settlement"]
        shop = self.shop_id
        already = Settlement._find_already_imported(
            hashlib.sha256(data).hexdigest(), shop
        )
        try:
            parsed_bills = self.env["ec.bill.mapping"]._parse_file(
                filename, data, parser_code=self._parser_code(), shop=shop
            )
        except BillRowErrors as error:
            rows = [
                self._error_row(error.filename or filename, e) for e in error.errors
            ]
            message = self.env._(
                "%(count)s bad row(s): nothing of this file will be imported until "
                "they are fixed.",
                count=error.total,
            )
            return [self._error_file(error.filename or filename, message, error)], rows
        except BillParseError as error:
            message = str(error)
            return [self._error_file(error.filename or filename, message, error)], [
                self._error_row(error.filename or filename, error)
            ]
        files, rows = [], []
        for parsed in parsed_bills:
            file_vals, row_vals = self._preview_parsed(parsed, shop, already)
            files.append(file_vals)
            rows += row_vals
        return files, rows

    def _preview_parsed(self, parsed, shop, already):
        Settlement = self.env["ec.settlement"]
        Currency = self.env["res.currency"].with_context(active_test=False)
        notes = []
        status = "ok"
        try:
            shop = Settlement._resolve_shop(parsed, shop)
        except UserError as error:
            shop = self.env["ec.shop"]
            status = "error"
            notes.append(str(error.args[0]))
        if already:
            notes.append(
                self.env._("Imported before: importing it again changes nothing.")
            )
        summary = ledger.summarize(parsed, shop.currency_id.name)
        if summary["consistency"] == "mismatch":
            notes.append(summary["consistency_message"])
        if parsed.warnings and status == "ok":
            status = "warning"
        if summary["unclassified"] and status == "ok":
            status = "warning"
        currencies = {}

        def currency_of(code):
            if code not in currencies:
                currencies[code] = (
                    Currency.search([("name", "=", code)], limit=1)
                    if code
                    else shop.currency_id
                )
            return currencies[code]

        mapping_id = parsed.meta.get("mapping_id") or False
        file_vals = {
            "file_name": parsed.filename,
            "parser": parsed.meta.get("mapping_label")
            or ledger.bill_type_label(parsed.bill_type),
            "mapping_id": mapping_id,
            "shop_id": shop.id,
            "status": status,
            "row_count": summary["count"],
            "unclassified_count": summary["unclassified"],
            "currency_id": currency_of(parsed.currency).id or shop.currency_id.id,
            "net_total": float(summary["net"]),
            "message": "\n".join(str(note) for note in notes) or False,
            "warnings": "\n".join(parsed.warnings) or False,
        }
        rows = []
        for line in parsed.lines[: max(self.preview_rows, 0)]:
            rows.append(
                {
                    "file_name": parsed.filename,
                    "status": "warning" if line.flags else "ok",
                    "row_number": line.row_number or 0,
                    "kind": line.kind,
                    "amount": float(line.amount),
                    "currency_id": currency_of(line.currency).id or shop.currency_id.id,
                    "order_ref": line.order_ref or False,
                    "sub_order_ref": line.sub_order_ref or False,
                    "date": line.date or False,
                    "transaction_id": line.transaction_id,
                    "flags": ", ".join(line.flags) or False,
                    "description": line.description or False,
                }
            )
        return file_vals, rows

    def _error_file(self, filename, message, error):
        return {
            "file_name": filename,
            "status": "error",
            "message": message,
            "error_count": len(getattr(error, "errors", None) or [error]),
        }

    def _error_row(self, filename, error):
        return {
            "file_name": error.filename or filename,
            "status": "error",
            "row_number": error.row or 0,
            "field_name": error.field or False,
            "message": error.reason,
        }

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------

    def action_import(self):
        self.ensure_one()
        files = list(self._files())
        Settlement = self.env["ec.settlement"]
        bills = Settlement.browse()
        for filename, data in files:
            bills |= Settlement._import_file(
                filename,
                data,
                shop=self.shop_id,
                source="upload",
                parser_code=self._parser_code(),
            )
        # The uploaded temporary attachments are copied onto the bills. Only
        # those uploaded into this wizard are deleted: an attachment of another
        # record chosen here (readable, maybe not deletable by the user) stays.
        self.attachment_ids.filtered(
            lambda a: a.res_model == self._name
            and a.res_id in (0, self.id)
            and a.create_uid == self.env.user
        ).sudo().unlink()
        imported = bills.filtered(lambda b: b.state != "error")
        if imported:
            Settlement._run_matching(imported.shop_id)
        return self._result_action(bills)

    def _result_action(self, bills):
        errors = bills.filtered(lambda b: b.state == "error")
        new_rows = sum(bills.mapped("line_count"))
        duplicates = sum(bills.mapped("duplicate_count"))
        message = self.env._(
            "%(bills)s bill(s): %(rows)s new rows, %(dup)s already imported, "
            "%(errors)s in error.",
            bills=len(bills),
            rows=new_rows,
            dup=duplicates,
            errors=len(errors),
        )
        action = bills._get_records_action(name=self.env._("Imported Bills"))
        if len(bills) > 1:
            action["view_mode"] = "list,form"
            action["views"] = [(False, "list"), (False, "form")]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Import finished"),
                "message": message,
                "type": "danger" if errors else "success",
                "sticky": bool(errors),
                "next": action,
            },
        }


PREVIEW_STATUS = [("ok", "OK"), ("warning", "Warning"), ("error", "Error")]


class EcSettlementImportFile(models.TransientModel):
    """One bill found by the preview (a file, or a file inside a ZIP)."""

    _name = "ec.settlement.import.file"
    _description = "Import Preview: Bill"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        "ec.settlement.import", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer()
    file_name = fields.Char(string="File", readonly=True)
    parser = fields.Char(string="Layout", readonly=True)
    mapping_id = fields.Many2one("ec.bill.mapping", string="Mapping", readonly=True)
    shop_id = fields.Many2one("ec.shop", string="Shop", readonly=True)
    status = fields.Selection(PREVIEW_STATUS, readonly=True)
    row_count = fields.Integer(string="Rows", readonly=True)
    unclassified_count = fields.Integer(string="Unclassified", readonly=True)
    error_count = fields.Integer(string="Bad Rows", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    net_total = fields.Monetary(
        string="Net", currency_field="currency_id", readonly=True
    )
    message = fields.Text(readonly=True)
    warnings = fields.Text(readonly=True)


class EcSettlementImportRow(models.TransientModel):
    """A row of the preview: as it will be imported, or why it cannot be."""

    _name = "ec.settlement.import.row"
    _description = "Import Preview: Row"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        "ec.settlement.import", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer()
    file_name = fields.Char(string="File", readonly=True)
    status = fields.Selection(PREVIEW_STATUS, readonly=True)
    row_number = fields.Integer(string="Row", readonly=True)
    kind = fields.Selection(KIND_SELECTION, readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    order_ref = fields.Char(string="Platform Order", readonly=True)
    sub_order_ref = fields.Char(string="Sub-order", readonly=True)
    date = fields.Datetime(readonly=True)
    transaction_id = fields.Char(string="Transaction ID", readonly=True)
    flags = fields.Char(readonly=True)
    description = fields.Char(readonly=True)
    field_name = fields.Char(string="Field", readonly=True)
    message = fields.Char(string="Error", readonly=True)
