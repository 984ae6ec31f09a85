# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .ec_settlement_line import KIND_SELECTION


class EcKind(models.Model):
    """The kinds of bill rows as records, for many2many choices in templates."""

    _name = "ec.kind"
    _description = "Bill Row Kind"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(KIND_SELECTION, required=True)
    sequence = fields.Integer(default=10)

    _code_uniq = models.Constraint("UNIQUE(code)", "Each kind exists once.")
