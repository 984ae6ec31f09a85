# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import re

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import bill_mapping as form_tools
from .ec_settlement_line import KIND_SELECTION

OPERATOR_SELECTION = [
    ("equals", "is one of"),
    ("not_in", "is none of"),
    ("contains", "contains"),
    ("startswith", "starts with"),
    ("endswith", "ends with"),
    ("regex", "matches regex"),
    ("empty", "is empty"),
    ("not_empty", "is not empty"),
]
assert {key for key, _label in OPERATOR_SELECTION} == set(form_tools.OPERATORS)


class EcBillMappingRule(models.Model):
    """A classification rule: rows matching the condition get the kind.

    Rules are tried in order; the first that matches wins.
    """

    _name = "ec.bill.mapping.rule"
    _description = "Bill Mapping Rule"
    _order = "sequence, id"

    mapping_id = fields.Many2one(
        "ec.bill.mapping", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="mapping_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    column = fields.Char(help="Key of the column tested (Columns tab).")
    operator = fields.Selection(OPERATOR_SELECTION, default="equals")
    value = fields.Char(
        help="Texts separated by | (any of them matches); a regular expression "
        "for 'matches regex'."
    )
    sign = fields.Selection(
        [
            ("positive", "Money in (> 0)"),
            ("negative", "Money out (< 0)"),
            ("zero", "Zero"),
            ("nonzero", "Not zero"),
        ],
        string="Amount",
        help="Also require this sign of the row's amount.",
    )
    kind = fields.Selection(KIND_SELECTION, required=True)
    condition_json = fields.Text(
        string="Advanced Condition (JSON)",
        help='A condition of the engine, e.g. {"any": [{"column": "type", '
        '"contains": "退款"}, {"column": "memo", "contains": "退款"}]}; it '
        "replaces column, operator, value and amount sign.",
    )
    summary = fields.Char(compute="_compute_summary", string="Condition")

    @api.depends("column", "operator", "value", "sign", "condition_json")
    def _compute_summary(self):
        operators = dict(OPERATOR_SELECTION)
        signs = dict(self._fields["sign"]._description_selection(self.env))
        for rule in self:
            if rule.condition_json:
                rule.summary = rule.condition_json
                continue
            parts = []
            if rule.column and rule.operator:
                text = f"{rule.column} {operators[rule.operator]}"
                if rule.operator not in ("empty", "not_empty"):
                    text += f" {rule.value or ''}"
                parts.append(text)
            if rule.sign:
                parts.append(signs[rule.sign])
            rule.summary = " & ".join(parts)

    def _condition(self):
        """The rule's condition for the engine (``UserError`` on bad JSON)."""
        self.ensure_one()
        if self.condition_json:
            try:
                return json.loads(self.condition_json)
            except ValueError as error:
                raise UserError(
                    self.env._(
                        "Rule %(rule)s: the advanced condition is not valid JSON: "
                        "%(error)s",
                        rule=self.summary or self.kind,
                        error=error,
                    )
                ) from None
        return None

    def _problems(self, position, keys):
        """What is wrong with this rule, in words (``position``: 1-based)."""
        self.ensure_one()
        _ = self.env._
        where = _("Rule %(position)s", position=position)
        if self.condition_json:
            try:
                condition = json.loads(self.condition_json)
            except ValueError as error:
                return [
                    _(
                        "%(rule)s: the advanced condition is not valid JSON: %(error)s",
                        rule=where,
                        error=error,
                    )
                ]
            if not isinstance(condition, (dict, list)) or not condition:
                return [_("%(rule)s: the advanced condition is empty.", rule=where)]
            return []
        problems = []
        if not (self.column and self.operator) and not self.sign:
            problems.append(
                _(
                    "%(rule)s: give a column and an operator, or an amount sign.",
                    rule=where,
                )
            )
        if self.column and self.column not in keys:
            problems.append(
                _(
                    "%(rule)s: no column has the key %(key)s.",
                    rule=where,
                    key=self.column,
                )
            )
        if self.column and self.operator == "regex":
            try:
                re.compile(self.value or "")
            except re.error as error:
                problems.append(
                    _(
                        "%(rule)s: the regex %(regex)s does not compile: %(error)s",
                        rule=where,
                        regex=self.value,
                        error=error,
                    )
                )
        elif (
            self.column
            and self.operator in form_tools.LIST_OPERATORS
            and not form_tools.split_values(self.value)
        ):
            problems.append(_("%(rule)s: give the value to compare.", rule=where))
        return problems

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules.mapping_id._check_lines_change()
        return rules

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
