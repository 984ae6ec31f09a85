# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64

from odoo import fields, models
from odoo.exceptions import UserError


class EcSettlementImport(models.TransientModel):
    """Upload one or several bills (or a ZIP); layout and shop are detected."""

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

    def action_import(self):
        self.ensure_one()
        if not self.attachment_ids:
            raise UserError(self.env._("Add at least one file to import."))
        Settlement = self.env["ec.settlement"]
        bills = Settlement.browse()
        for attachment in self.attachment_ids:
            data = base64.b64decode(attachment.datas or b"")
            bills |= Settlement._import_file(
                attachment.name, data, shop=self.shop_id, source="upload"
            )
        # The uploaded temporary attachments are copied onto the bills.
        self.attachment_ids.sudo().unlink()
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
