# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo import api, fields, models

from ..tools import bill_mapping as form_tools

ROLE_SELECTION = [
    ("transaction_id", "Transaction ID"),
    ("date", "Date / Time"),
    ("time", "Time (separate column)"),
    ("amount", "Amount"),
    ("income", "Income"),
    ("expense", "Expense"),
    ("direction", "Direction (in / out)"),
    ("order_ref", "Order No."),
    ("sub_order_ref", "Sub-order No."),
    ("related_ref", "Related Ref"),
    ("counterparty", "Counterparty"),
    ("description", "Description"),
    ("currency", "Currency"),
    ("account", "Bill Account"),
    ("balance", "Balance"),
]
assert {key for key, _label in ROLE_SELECTION} == set(form_tools.ROLES)
# Roles of the columns every file of a layout has: required by default.
REQUIRED_ROLES = ("transaction_id", "date", "amount", "income", "expense")


class EcBillMappingColumn(models.Model):
    """One column of a bill mapping: its header text and what it holds."""

    _name = "ec.bill.mapping.column"
    _description = "Bill Mapping Column"
    _order = "sequence, id"

    mapping_id = fields.Many2one(
        "ec.bill.mapping", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="mapping_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    header = fields.Char(
        string="Header in the File",
        required=True,
        help="The column's title as printed; several spellings separated by | "
        "(收入金额（+元） | 收入金额). Compared without blanks, case and unit "
        "suffixes such as （元）.",
    )
    name = fields.Char(
        string="Key",
        required=True,
        help="Short name of the column used by the rules and the advanced JSON.",
    )
    role = fields.Selection(
        ROLE_SELECTION,
        help="What the column holds. Several columns with one role (order no., "
        "date, description ...): the first non-empty one wins, in this order. "
        "Columns without a role can still be tested by the rules.",
    )
    required = fields.Boolean(
        help="Every file of the layout has this column: the header row is "
        "recognised by its required columns."
    )
    regex = fields.Char(
        string="Extract with Regex",
        help="Keep only what this regular expression finds in the text (its first "
        "group, or the group named ref), e.g. T\\d+P(\\d+) pulls a Taobao order "
        "number out of a merchant order number.",
    )

    def _header_key(self):
        first = (form_tools.split_values(self.header) or [""])[0]
        return re.sub(r"\W+", "_", first.lower()).strip("_") or "column"

    def _free_key(self, key):
        taken = set((self.mapping_id.column_ids - self).mapped("name"))
        candidate, number = key, 1
        while candidate in taken:
            number += 1
            candidate = f"{key}_{number}"
        return candidate

    @api.onchange("header")
    def _onchange_header(self):
        for column in self:
            if column.header and not column.name:
                column.name = column._free_key(column.role or column._header_key())

    @api.onchange("role")
    def _onchange_role(self):
        """A key taken from the header or from another role follows the role;
        the columns a bill cannot do without become required."""
        for column in self:
            if not column.role:
                continue
            automatic = {column._header_key(), *form_tools.ROLES}
            if not column.name or column.name.rstrip("_0123456789") in automatic:
                column.name = column._free_key(column.role)
            if column.role in REQUIRED_ROLES:
                column.required = True

    @api.model_create_multi
    def create(self, vals_list):
        columns = super().create(vals_list)
        columns.mapping_id._check_lines_change()
        return columns

    def write(self, vals):
        mappings = self.mapping_id
        if any(mappings.mapped("is_preset")):
            mappings._check_lines_change()
        result = super().write(vals)
        (mappings | self.mapping_id)._check_lines_change()
        return result

    def unlink(self):
        mappings = self.mapping_id
        if any(mappings.mapped("is_preset")):
            mappings._check_lines_change()
        result = super().unlink()
        mappings.exists()._check_lines_change()
        return result
