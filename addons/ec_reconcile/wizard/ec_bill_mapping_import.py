# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64

from odoo import fields, models
from odoo.exceptions import UserError


class EcBillMappingImport(models.TransientModel):
    """Create a bill mapping from a file exported by *Export* (JSON)."""

    _name = "ec.bill.mapping.import"
    _description = "Import a Bill Mapping"

    file = fields.Binary(string="Mapping File (JSON)", required=True)
    file_name = fields.Char()
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        help="Company of the new mapping; leave empty to share it with every company.",
    )

    def action_import(self):
        self.ensure_one()
        if not self.file:
            raise UserError(self.env._("Choose the exported mapping file (.json)."))
        mapping = self.env["ec.bill.mapping"]._import_mapping(
            base64.b64decode(self.file),
            company=self.company_id,
            filename=self.file_name,
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "ec.bill.mapping",
            "res_id": mapping.id,
            "view_mode": "form",
            "target": "current",
        }
