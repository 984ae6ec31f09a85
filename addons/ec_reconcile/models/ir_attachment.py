# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _index(self, bin_data, file_type, checksum=None):
        # Raw bills are kept for download and re-import, never searched by
        # content: Odoo's indexing would copy every ASCII word of a CSV (a
        # second copy of a 200 MB file, in memory and in the database).
        if self.env.context.get("ec_skip_index_content"):
            return False
        return super()._index(bin_data, file_type, checksum=checksum)
