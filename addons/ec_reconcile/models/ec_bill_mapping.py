# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bill mappings: the layout of a tabular bill as a record.

A mapping produces a spec of the tabular engine (``_get_spec``) from its
fields, its columns and its rules, with an "advanced" JSON merged over it for
what the form does not show. The built-in tabular parsers are read-only
presets, rebuilt from their Python specs at every install and upgrade
(``_sync_presets``); a copy of a preset is an ordinary mapping. At import the
active mappings take part in the detection next to the built-in parsers
(``_parse_file``): they are read on every import, so a new or edited mapping
works at once, without a restart or an upgrade.
"""

import base64
import collections
import json
import logging
import re
import threading

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command

from odoo.addons.base.models.res_partner import _tz_get

from ..parsers import BillParseError, registry
from ..parsers.tabular import TabularParser, validate_spec
from ..tools import bill_mapping as form_tools
from .ec_settlement_line import KIND_SELECTION
from .ec_shop import PLATFORM_SELECTION

_logger = logging.getLogger(__name__)

EXPORT_FORMAT = "ec_bill_mapping"
EXPORT_VERSION = 1
PRESET_XMLID = "ec_reconcile.ec_bill_mapping_preset_%s"
SYNC = "ec_bill_mapping_sync"  # context key: presets are being (re)built
BATCH = "ec_bill_mapping_batch"  # context key: the mapping checks itself after

DELIMITERS = {
    "auto": "auto",
    "comma": ",",
    "tab": "\t",
    "semicolon": ";",
    "pipe": "|",
}
ENCODING_SELECTION = [
    ("auto", "Detect (UTF-8 or GBK)"),
    ("utf-8", "UTF-8"),
    ("gb18030", "GBK / GB18030"),
    ("utf-16", "UTF-16"),
    ("big5", "Big5"),
    ("latin-1", "Latin-1"),
]
# Fields of the record that make the spec (besides columns, rules, JSON).
SPEC_FIELDS = (
    "code",
    "name",
    "platform",
    "channel",
    "version",
    "encoding",
    "delimiter",
    "quoting",
    "cell_prefix",
    "skip_lines",
    "header_search_lines",
    "footer_markers",
    "end_required",
    "sheet_name",
    "score",
    "markers",
    "markers_required",
    "filename_pattern",
    "amount_unit",
    "decimal_separator",
    "case_insensitive",
    "amount_mode",
    "amount_sign",
    "direction_in",
    "direction_out",
    "currency_id",
    "default_kind",
    "date_formats",
    "date_tz",
    "txn_mode",
    "txn_join",
    "txn_ordinal",
    "extra_json",
)
PRESET_WRITABLE = {"active", "sequence"}
DEFAULT_PRIORITY_BONUS = 10
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")

# Parser classes of mappings, keyed by (database, mapping, spec): an edited
# mapping has a new key, so nothing needs invalidating; the oldest go.
_PARSER_CACHE = collections.OrderedDict()
_PARSER_CACHE_SIZE = 256
_PARSER_CACHE_LOCK = threading.Lock()


class MappingParser(TabularParser):
    """Parser of a bill mapping record (built per spec, never registered)."""

    mapping_id = None
    mapping_label = None
    score_bonus = 0

    @classmethod
    def sniff(cls, source):
        score = super().sniff(source)
        return score + cls.score_bonus if score else 0

    def finalize(self, bill):
        bill.meta["mapping_id"] = self.mapping_id
        bill.meta["mapping_label"] = self.mapping_label
        return bill


class EcBillMapping(models.Model):
    _name = "ec.bill.mapping"
    _description = "Bill Mapping"
    _order = "is_preset, sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, help="Name of the layout, shown on the bills.")
    code = fields.Char(
        copy=False,
        help="Technical code (lower-case letters, digits, _), stored on the bills "
        "as their type. Filled from the name when left empty.",
    )
    active = fields.Boolean(
        default=True,
        help="Archived mappings (and archived presets) do not recognise files.",
    )
    sequence = fields.Integer(default=10)
    is_preset = fields.Boolean(
        readonly=True,
        copy=False,
        help="Shipped with the add-on for a built-in layout: read-only. Copy it to "
        "change it; archive it to stop recognising its layout.",
    )
    preset_code = fields.Char(
        readonly=True, copy=False, help="Code of the built-in parser of this preset."
    )
    origin_id = fields.Many2one(
        "ec.bill.mapping",
        string="Copied From",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Leave empty to share the mapping with every company.",
    )
    platform = fields.Selection(
        PLATFORM_SELECTION,
        required=True,
        default="other",
        help="Bills read by this mapping go to shops of this platform.",
    )
    channel = fields.Char(
        string="Id Namespace",
        help="Rows are unique per shop, namespace and transaction id; empty: the "
        "platform. A copy of a preset keeps the preset's, so that rows imported "
        "before are recognised.",
    )
    version = fields.Char(default="1")
    note = fields.Text()

    # Recognition --------------------------------------------------------
    markers = fields.Char(
        string="Marker Texts",
        help="Texts searched above the header, separated by |: each one found "
        "raises the score (e.g. 快手小店 | 资金账单).",
    )
    markers_required = fields.Boolean(
        help="A file without any of the marker texts is not recognised."
    )
    filename_pattern = fields.Char(
        help="Regular expression searched in the file name. A hint only: it raises "
        "the score of a file whose header matched, never recognises a file alone.",
    )
    score = fields.Integer(
        string="Base Score",
        default=50,
        help="Score of a file whose header matched (the built-in layouts use 55-60); "
        "one point is added per other known column found, 10 per marker text.",
    )
    priority_bonus = fields.Integer(
        default=DEFAULT_PRIORITY_BONUS,
        help="Added to the score of this mapping, so that it wins over a built-in "
        "layout recognising the same file (e.g. your copy of a preset).",
    )

    # Reading ------------------------------------------------------------
    encoding = fields.Selection(ENCODING_SELECTION, default="auto", required=True)
    delimiter = fields.Selection(
        [
            ("auto", "Detect (comma, TAB, semicolon)"),
            ("comma", "Comma"),
            ("tab", "TAB"),
            ("semicolon", "Semicolon"),
            ("pipe", "Vertical bar |"),
        ],
        default="auto",
        required=True,
    )
    quoting = fields.Boolean(
        string="Quoted Cells",
        default=True,
        help='Cells may be quoted with " (standard CSV). Off for files whose texts '
        "carry stray quotes (Alipay).",
    )
    cell_prefix = fields.Char(
        help="Character in front of every data cell, removed (WeChat Pay: `)."
    )
    skip_lines = fields.Integer(
        string="Rows to Skip",
        help="Rows at the top never taken for the header. The header is found by "
        "its column names anyway: only needed when a preamble repeats them.",
    )
    header_search_lines = fields.Integer(
        string="Header Search Rows",
        default=60,
        help="The header row is searched by its column names in this many rows.",
    )
    footer_markers = fields.Char(
        help="A row whose first cell starts with one of these texts (separated by "
        "|) ends the data, e.g. # or 合计.",
    )
    end_required = fields.Boolean(
        string="Footer Required",
        help="A file without its footer is refused as truncated.",
    )
    sheet_name = fields.Char(
        string="XLSX Sheet", help="Empty: the first sheet whose header matches."
    )

    # Money --------------------------------------------------------------
    amount_mode = fields.Selection(
        [
            ("single", "One amount column"),
            ("pair", "Income and expense columns"),
            ("advanced", "Advanced: components in the JSON"),
        ],
        default="single",
        required=True,
    )
    amount_sign = fields.Selection(
        [
            ("as_is", "As printed (money in is positive)"),
            ("negate", "Inverted (money out is positive)"),
            ("credit", "Always money in"),
            ("debit", "Always money out"),
            ("direction", "Unsigned: the Direction column says"),
        ],
        string="Sign Convention",
        default="as_is",
        required=True,
        help="With income and expense columns, income is taken as printed and "
        "expense is always money out.",
    )
    amount_unit = fields.Selection(
        [
            ("yuan", "Major units (yuan, dollars)"),
            ("fen", "Fen (分, ÷ 100)"),
            ("cents", "Cents (÷ 100)"),
        ],
        default="yuan",
        required=True,
    )
    decimal_separator = fields.Selection(
        [(".", "Point (1,234.56)"), (",", "Comma (1.234,56)")],
        default=".",
        required=True,
    )
    direction_in = fields.Char(
        string="Money-in Texts",
        help="Texts of the Direction column meaning money in, separated by | "
        "(e.g. 收入 | 应收).",
    )
    direction_out = fields.Char(
        string="Money-out Texts",
        help="e.g. 支出 | 应付; any other text is a row error.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        string="Default Currency",
        help="Currency of the rows when the file has no currency column.",
    )

    # Dates and ids ------------------------------------------------------
    date_formats = fields.Char(
        help="Date formats tried first, separated by | (e.g. %Y.%m.%d %H:%M:%S); "
        "ISO dates and the usual Chinese formats are always understood.",
    )
    date_tz = fields.Selection(
        _tz_get,
        string="Time Zone",
        default="Asia/Shanghai",
        required=True,
        help="Time zone of dates printed without one.",
    )
    txn_mode = fields.Selection(
        [
            ("columns", "Id column(s)"),
            ("hash", "Hash of the row (no unique id)"),
        ],
        string="Transaction Id",
        default="columns",
        required=True,
        help="The id makes re-imports harmless. Id columns: the columns with the "
        "role Transaction ID, joined. Hash: a digest of the row (of the Transaction "
        "ID columns, or of every column) numbered among equal rows.",
    )
    txn_join = fields.Char(string="Id Separator", default="-")
    txn_ordinal = fields.Boolean(
        string="Number Repeated Ids",
        help="An id seen twice in a file becomes id#2, id#3 ... instead of a warning.",
    )

    # Classification -----------------------------------------------------
    case_insensitive = fields.Boolean(help="Rules compare texts ignoring case.")
    default_kind = fields.Selection(
        KIND_SELECTION,
        help="Kind of the rows no rule catches. Empty: they become Other and are "
        "flagged Unclassified.",
    )
    column_ids = fields.One2many(
        "ec.bill.mapping.column", "mapping_id", string="Columns", copy=True
    )
    rule_ids = fields.One2many(
        "ec.bill.mapping.rule", "mapping_id", string="Rules", copy=True
    )
    extra_json = fields.Text(
        string="Advanced (JSON)",
        help="Keys of the engine's spec merged over what the form produces "
        "(objects key by key; null removes a key): totals, components, "
        "conditions on several columns ... See parsers/tabular.py.",
    )
    spec_json = fields.Text(
        string="Full Spec (JSON)",
        compute="_compute_spec_json",
        help="The spec the import engine runs.",
    )
    export_file = fields.Binary(compute="_compute_export_file", attachment=False)
    export_filename = fields.Char(compute="_compute_export_file")
    bill_count = fields.Integer(compute="_compute_bill_count")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends(
        *SPEC_FIELDS,
        "is_preset",
        "preset_code",
        "column_ids.sequence",
        "column_ids.name",
        "column_ids.header",
        "column_ids.required",
        "column_ids.role",
        "column_ids.regex",
        "rule_ids.sequence",
        "rule_ids.column",
        "rule_ids.operator",
        "rule_ids.value",
        "rule_ids.sign",
        "rule_ids.kind",
        "rule_ids.condition_json",
    )
    def _compute_spec_json(self):
        for mapping in self:
            try:
                spec = mapping._get_spec()
            except (UserError, ValueError) as error:
                mapping.spec_json = str(error.args[0] if error.args else error)
                continue
            mapping.spec_json = json.dumps(spec, indent=2, ensure_ascii=False)

    def _compute_export_file(self):
        for mapping in self:
            data = json.dumps(mapping._export_data(), indent=2, ensure_ascii=False)
            mapping.export_file = base64.b64encode(data.encode())
            mapping.export_filename = f"{mapping.code or 'bill_mapping'}.json"

    def _compute_bill_count(self):
        counts = dict(
            self.env["ec.settlement"]._read_group(
                [("mapping_id", "in", self.ids)], ["mapping_id"], ["__count"]
            )
        )
        for mapping in self:
            mapping.bill_count = counts.get(mapping, 0)

    # ------------------------------------------------------------------
    # The spec
    # ------------------------------------------------------------------

    def _form_values(self):
        """(form, columns, rules) of ``tools.bill_mapping`` for this record."""
        self.ensure_one()
        split = form_tools.split_values
        form = {
            "code": self.code or None,
            "label": self.name or None,
            "platform": self.platform or None,
            "channel": self.channel or None,
            "version": self.version or "1",
            "encoding": self.encoding or "auto",
            "delimiter": DELIMITERS.get(self.delimiter or "auto", "auto"),
            "quoting": self.quoting,
            "cell_prefix": self.cell_prefix or None,
            "skip_lines": self.skip_lines or 0,
            "header_search_lines": self.header_search_lines or 60,
            "footer_markers": split(self.footer_markers),
            "end_required": self.end_required,
            "sheet": self.sheet_name or None,
            "score": self.score,
            "markers": split(self.markers),
            "markers_required": self.markers_required,
            "filename_pattern": self.filename_pattern or None,
            "unit": self.amount_unit or "yuan",
            "decimal_separator": self.decimal_separator or ".",
            "case_insensitive": self.case_insensitive,
            "amount_mode": self.amount_mode or "single",
            "sign": self.amount_sign or "as_is",
            "direction_in": split(self.direction_in),
            "direction_out": split(self.direction_out),
            "currency": self.currency_id.name or None,
            "default_kind": self.default_kind or None,
            "date_formats": split(self.date_formats),
            "tz": self.date_tz or "Asia/Shanghai",
            "txn_mode": self.txn_mode or "columns",
            "txn_join": self.txn_join or "",
            "txn_ordinal": self.txn_ordinal,
        }
        columns = [
            {
                "name": column.name,
                "aliases": split(column.header),
                "required": column.required,
                "role": column.role or None,
                "regex": column.regex or None,
            }
            for column in self.column_ids.sorted(lambda c: (c.sequence, c.id or 0))
        ]
        rules = [
            {
                "column": rule.column or None,
                "operator": rule.operator or None,
                "value": rule.value or None,
                "sign": rule.sign or None,
                "kind": rule.kind,
                "condition": rule._condition(),
            }
            for rule in self.rule_ids.sorted(lambda r: (r.sequence, r.id or 0))
        ]
        return form, columns, rules

    def _extra_spec(self):
        """The advanced JSON as a dict (``UserError`` when it is not one)."""
        self.ensure_one()
        if not (self.extra_json or "").strip():
            return {}
        try:
            extra = json.loads(self.extra_json)
        except ValueError as error:
            raise UserError(
                self.env._("Advanced (JSON) is not valid JSON: %(error)s", error=error)
            ) from None
        if not isinstance(extra, dict):
            raise UserError(
                self.env._("Advanced (JSON) must be an object: {...} of spec keys.")
            )
        return extra

    def _get_spec(self):
        """The spec of the tabular engine this mapping stands for."""
        self.ensure_one()
        if self.is_preset and self.preset_code:
            try:
                parser_class = registry.get_parser(self.preset_code)
            except KeyError:
                parser_class = None
            if parser_class is not None:
                return json.loads(json.dumps(parser_class.spec))
        spec = form_tools.spec_from_form(*self._form_values())
        return form_tools.merge_spec(spec, self._extra_spec())

    @api.model
    def _vals_from_spec(self, spec):
        """Field values (with line commands) describing ``spec`` exactly."""
        form, columns, rules, _extra = form_tools.form_from_spec(spec)
        # What the fields cannot hold stays in the JSON.
        if form["encoding"] not in dict(ENCODING_SELECTION):
            form["encoding"] = "auto"
        if form["delimiter"] not in DELIMITERS.values():
            form["delimiter"] = "auto"
        if form["tz"] not in dict(_tz_get(self)):
            form["tz"] = "Asia/Shanghai"
        if form["platform"] not in dict(PLATFORM_SELECTION):
            form["platform"] = "other"
        currency = self.env["res.currency"]
        if form["currency"]:
            currency = currency.with_context(active_test=False).search(
                [("name", "=", form["currency"])], limit=1
            )
            if not currency:
                form["currency"] = None
        extra = form_tools.diff_spec(
            form_tools.canonical_spec(spec),
            form_tools.spec_from_form(form, columns, rules),
        )
        join = form_tools.join_values
        delimiters = {char: key for key, char in DELIMITERS.items()}
        return {
            "name": form["label"] or form["code"] or "/",
            "code": form["code"],
            "platform": form["platform"],
            "channel": form["channel"] or False,
            "version": form["version"] or "1",
            "encoding": form["encoding"],
            "delimiter": delimiters[form["delimiter"]],
            "quoting": form["quoting"],
            "cell_prefix": form["cell_prefix"] or False,
            "skip_lines": form["skip_lines"],
            "header_search_lines": form["header_search_lines"],
            "footer_markers": join(form["footer_markers"]) or False,
            "end_required": form["end_required"],
            "sheet_name": form["sheet"] or False,
            "score": form["score"],
            "markers": join(form["markers"]) or False,
            "markers_required": form["markers_required"],
            "filename_pattern": form["filename_pattern"] or False,
            "amount_unit": form["unit"],
            "decimal_separator": form["decimal_separator"],
            "case_insensitive": form["case_insensitive"],
            "amount_mode": form["amount_mode"],
            "amount_sign": form["sign"],
            "direction_in": join(form["direction_in"]) or False,
            "direction_out": join(form["direction_out"]) or False,
            "currency_id": currency.id,
            "default_kind": form["default_kind"] or False,
            "date_formats": join(form["date_formats"]) or False,
            "date_tz": form["tz"],
            "txn_mode": form["txn_mode"],
            "txn_join": form["txn_join"],
            "txn_ordinal": form["txn_ordinal"],
            "extra_json": json.dumps(extra, indent=2, ensure_ascii=False)
            if extra
            else False,
            "column_ids": [
                Command.create(
                    {
                        "sequence": position,
                        "name": column["name"],
                        "header": join(column["aliases"]),
                        "required": column["required"],
                        "role": column["role"] or False,
                        "regex": column["regex"] or False,
                    }
                )
                for position, column in enumerate(columns, 1)
            ],
            "rule_ids": [
                Command.create(
                    {
                        "sequence": position,
                        "column": rule["column"] or False,
                        "operator": rule["operator"] or False,
                        "value": rule["value"] or False,
                        "sign": rule["sign"] or False,
                        "kind": rule["kind"],
                        "condition_json": json.dumps(
                            rule["condition"], ensure_ascii=False
                        )
                        if rule["condition"] is not None
                        else False,
                    }
                )
                for position, rule in enumerate(rules, 1)
            ],
        }

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------

    def _check_spec(self):
        """Refuse a mapping the engine cannot run, saying what to fix."""
        for mapping in self:
            if mapping.is_preset:
                continue  # the built-in spec is the parser's (tested with it)
            problems = mapping._spec_problems()
            if problems:
                raise ValidationError(
                    self.env._(
                        "Bill mapping %(name)s cannot be saved:\n%(problems)s",
                        name=mapping.name or mapping.code or "",
                        problems="\n".join(f"- {problem}" for problem in problems),
                    )
                )

    def _spec_problems(self):  # noqa: C901 (one check after the other)
        self.ensure_one()
        _ = self.env._
        problems = []
        if not self.code:
            problems.append(_("The code is empty."))
        elif not _CODE_RE.match(self.code):
            problems.append(
                _(
                    "The code %(code)s may only hold lower-case letters, digits and _ "
                    "and must start with a letter.",
                    code=self.code,
                )
            )
        elif self.code in self._reserved_codes():
            problems.append(
                _(
                    "The code %(code)s is a built-in layout's: choose another one.",
                    code=self.code,
                )
            )
        elif self._same_code():
            problems.append(
                _("Another bill mapping already has the code %(code)s.", code=self.code)
            )
        if self.filename_pattern:
            error = _regex_error(self.filename_pattern)
            if error:
                problems.append(
                    _(
                        "The file name pattern %(regex)s does not compile: %(error)s",
                        regex=self.filename_pattern,
                        error=error,
                    )
                )
        keys = self.column_ids.mapped("name")
        if not self.column_ids:
            problems.append(_("Add the columns of the file (Columns tab)."))
        for key in {key for key in keys if keys.count(key) > 1}:
            problems.append(_("Two columns have the key %(key)s.", key=key))
        for column in self.column_ids:
            if not form_tools.split_values(column.header):
                problems.append(
                    _("Column %(key)s: give its header text.", key=column.name)
                )
            if column.regex:
                error = _regex_error(column.regex)
                if error:
                    problems.append(
                        _(
                            "Column %(key)s: the regex %(regex)s does not compile: "
                            "%(error)s",
                            key=column.name,
                            regex=column.regex,
                            error=error,
                        )
                    )
        for position, rule in enumerate(self.rule_ids, 1):
            problems += rule._problems(position, keys)
        if problems:
            return problems
        try:
            spec = self._get_spec()
        except (UserError, ValueError) as error:
            return [*problems, str(error.args[0] if error.args else error)]
        problems += self._friendly_problems(spec)
        if not problems:
            try:
                validate_spec(spec)
            except ValueError as error:
                detail = str(error).split(": ", 1)[-1]
                problems += [
                    _("The spec is not valid: %(detail)s", detail=part)
                    for part in detail.split("; ")
                ]
        return problems

    def _friendly_problems(self, spec):
        """What a user forgets, said in the form's words."""
        _ = self.env._
        problems = []
        if not spec.get("required_columns"):
            problems.append(
                _(
                    "Mark as Required the columns every file of this layout has: the "
                    "header row is recognised by them."
                )
            )
        if not spec.get("amount") and not spec.get("components"):
            if self.amount_mode == "pair":
                problems.append(
                    _(
                        "Which columns hold the money? Give one column the role "
                        "Income and one the role Expense."
                    )
                )
            else:
                problems.append(
                    _(
                        "Which column holds the amount? Give a column the role Amount "
                        "(or choose 'Income and expense columns')."
                    )
                )
        elif self.amount_mode == "pair" and not self.extra_json:
            roles = self.column_ids.mapped("role")
            if "income" not in roles or "expense" not in roles:
                problems.append(
                    _("Give one column the role Income and one the role Expense.")
                )
        if not spec.get("transaction_id"):
            problems.append(
                _(
                    "Which column holds the transaction id? Give a column the role "
                    "Transaction ID, or choose 'Hash of the row' when the bill has no "
                    "unique row id."
                )
            )
        date = spec.get("date") or {}
        if not date.get("columns"):
            problems.append(
                _("Which column holds the date? Give a column the role Date.")
            )
        direction = spec.get("direction")
        uses_direction = (spec.get("amount") or {}).get("sign") == "direction"
        if uses_direction and not direction:
            problems.append(
                _(
                    "The sign convention 'Unsigned' needs a column with the role "
                    "Direction."
                )
            )
        if direction and not (direction.get("in") and direction.get("out")):
            problems.append(
                _(
                    "Give the texts of the Direction column meaning money in and "
                    "money out."
                )
            )
        return problems

    @api.model
    def _reserved_codes(self):
        return {parser_class.code for parser_class in registry.parsers()}

    def _same_code(self):
        """Mappings with this code visible next to this one (same or shared
        company)."""
        self.ensure_one()
        domain = [("code", "=", self.code), ("id", "!=", self.id or 0)]
        if self.company_id:
            domain.append(("company_id", "in", [False, self.company_id.id]))
        return self.sudo().with_context(active_test=False).search(domain, limit=1)

    @api.model
    def _unique_code(self, text, company_id=False):
        base = re.sub(r"[^a-z0-9_]+", "_", (text or "").lower()).strip("_")
        if not base or not base[0].isalpha():
            base = f"mapping_{base}".strip("_")
        reserved = self._reserved_codes()
        domain = [("code", "=like", f"{base}%")]
        if company_id:
            domain.append(("company_id", "in", [False, company_id]))
        taken = set(
            self.sudo().with_context(active_test=False).search(domain).mapped("code")
        )
        code, number = base, 1
        while code in taken or code in reserved:
            number += 1
            code = f"{base}_{number}"
        return code

    # ------------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        sync = self.env.context.get(SYNC)
        for vals in vals_list:
            if (vals.get("is_preset") or vals.get("preset_code")) and not sync:
                raise UserError(self.env._("Presets are shipped with the add-on."))
            if not vals.get("code"):
                company_id = vals.get("company_id", self.env.company.id)
                vals["code"] = self._unique_code(vals.get("name"), company_id)
        mappings = super(EcBillMapping, self.with_context(**{BATCH: True})).create(
            vals_list
        )
        mappings = mappings.with_env(self.env)
        mappings._check_spec()
        return mappings

    def write(self, vals):
        if not self.env.context.get(SYNC):
            if {"is_preset", "preset_code"} & set(vals):
                raise UserError(self.env._("Presets are shipped with the add-on."))
            if set(vals) - PRESET_WRITABLE and any(self.mapped("is_preset")):
                raise UserError(self._preset_message())
        result = super(EcBillMapping, self.with_context(**{BATCH: True})).write(vals)
        self._check_spec()
        return result

    def _preset_message(self):
        return self.env._(
            "Presets are read-only: use Copy to Customize and edit the copy (then "
            "archive the preset if the copy replaces it)."
        )

    def _check_lines_change(self):
        """Called by the column and rule lines after they change."""
        context = self.env.context
        if context.get(SYNC):
            return
        if any(self.mapped("is_preset")):
            raise UserError(self._preset_message())
        if not context.get(BATCH):
            self._check_spec()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_preset(self):
        if any(self.mapped("is_preset")):
            raise UserError(
                self.env._(
                    "Presets cannot be deleted: archive them to stop recognising "
                    "their layout."
                )
            )

    def copy_data(self, default=None):
        default = dict(default or {})
        vals_list = super().copy_data(default=default)
        for mapping, vals in zip(self, vals_list, strict=True):
            if mapping.is_preset:
                # From the built-in spec itself, whatever the stored lines say.
                vals.update(self._vals_from_spec(mapping._get_spec()))
                vals["origin_id"] = mapping.id
                vals["company_id"] = self.env.company.id
                vals["priority_bonus"] = DEFAULT_PRIORITY_BONUS
            else:
                vals["origin_id"] = mapping.origin_id.id
            vals["name"] = self.env._("%(name)s (copy)", name=mapping.name)
            vals["code"] = self._unique_code(
                f"{mapping.code or mapping.name}_copy", vals.get("company_id")
            )
            vals["is_preset"] = False
            vals["preset_code"] = False
            vals["active"] = True
            vals.update(default)
        return vals_list

    # ------------------------------------------------------------------
    # Presets
    # ------------------------------------------------------------------

    @api.model
    def _builtin_tabular_parsers(self):
        return [
            parser_class
            for parser_class in registry.parsers()
            if isinstance(parser_class, type)
            and issubclass(parser_class, TabularParser)
            and parser_class.spec
        ]

    @api.model
    def _sync_presets(self):
        """One read-only preset per built-in tabular parser, rebuilt from its
        Python spec (data file hook: runs at every install and upgrade)."""
        mappings = self.with_context(active_test=False, **{SYNC: True})
        presets = {
            preset.preset_code: preset
            for preset in mappings.search([("is_preset", "=", True)])
        }
        xmlids = []
        for position, parser_class in enumerate(self._builtin_tabular_parsers(), 1):
            vals = mappings._vals_from_spec(parser_class.spec)
            vals.update(
                is_preset=True,
                preset_code=parser_class.code,
                company_id=False,
                priority_bonus=0,
                sequence=position,
            )
            preset = presets.pop(parser_class.code, None)
            if preset:
                vals["column_ids"] = [Command.clear(), *vals["column_ids"]]
                vals["rule_ids"] = [Command.clear(), *vals["rule_ids"]]
                preset.write(vals)
            else:
                preset = mappings.create(vals)
            xmlids.append(
                {
                    "xml_id": PRESET_XMLID % parser_class.code,
                    "record": preset,
                    "noupdate": True,
                }
            )
        self.env["ir.model.data"]._update_xmlids(xmlids, update=True)
        # Layouts no longer built in: their presets stop recognising files.
        for preset in presets.values():
            preset.active = False
        return True

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------

    def _get_parser_class(self):
        """The parser class of this mapping (cached per spec)."""
        self.ensure_one()
        if self.is_preset:
            return registry.get_parser(self.preset_code)
        spec = self._get_spec()
        key = (
            self.env.cr.dbname,
            self.id,
            self.name,
            self.priority_bonus,
            json.dumps(spec, sort_keys=True, ensure_ascii=False),
        )
        with _PARSER_CACHE_LOCK:
            parser_class = _PARSER_CACHE.get(key)
            if parser_class is not None:
                _PARSER_CACHE.move_to_end(key)
                return parser_class
        validate_spec(spec)
        parser_class = type(
            f"BillMapping{self.id}Parser",
            (MappingParser,),
            {
                "spec": spec,
                "mapping_id": self.id,
                "mapping_label": self.name,
                "score_bonus": self.priority_bonus,
            },
        )
        with _PARSER_CACHE_LOCK:
            _PARSER_CACHE[key] = parser_class
            while len(_PARSER_CACHE) > _PARSER_CACHE_SIZE:
                _PARSER_CACHE.popitem(last=False)
        return parser_class

    @api.model
    def _import_parsers(self, shop=None):
        """(parser classes of the active mappings, codes of archived presets)."""
        company = shop.company_id if shop else self.env.company
        mappings = self.search(
            [("is_preset", "=", False), ("company_id", "in", [False, company.id])]
        )
        parser_classes = []
        for mapping in mappings:
            try:
                parser_classes.append(mapping._get_parser_class())
            except (UserError, ValueError) as error:
                _logger.warning("Bill mapping %s skipped: %s", mapping.code, error)
        archived = self.with_context(active_test=False).search(
            [("is_preset", "=", True), ("active", "=", False)]
        )
        return parser_classes, set(archived.mapped("preset_code"))

    @api.model
    def _parse_file(self, filename, data, parser_code=None, shop=None):
        """``parsers.parse_file`` with the bill mappings: the active user
        mappings take part in the detection (winning ties, plus their priority
        bonus), archived presets do not. Each bill's ``meta["mapping_id"]``
        says which mapping (or preset) read it."""
        parser_classes, exclude = self._import_parsers(shop)
        try:
            bills = registry.parse_file(
                filename,
                data,
                parser_code=parser_code,
                extra_parsers=parser_classes,
                exclude=exclude,
            )
        except KeyError:
            raise BillParseError(
                f"no active parser or bill mapping has the code {parser_code!r}",
                filename=filename,
            ) from None
        if any(not bill.meta.get("mapping_id") for bill in bills):
            presets = {
                preset.preset_code: preset.id
                for preset in self.with_context(active_test=False).search(
                    [("is_preset", "=", True)]
                )
            }
            for bill in bills:
                if not bill.meta.get("mapping_id") and bill.bill_type in presets:
                    bill.meta["mapping_id"] = presets[bill.bill_type]
        return bills

    # ------------------------------------------------------------------
    # Export and import
    # ------------------------------------------------------------------

    def _export_data(self):
        self.ensure_one()
        return {
            "format": EXPORT_FORMAT,
            "format_version": EXPORT_VERSION,
            "name": self.name,
            "priority_bonus": self.priority_bonus,
            "note": self.note or "",
            "spec": self._get_spec(),
        }

    @api.model
    def _import_mapping(self, data, company=None, filename=None):
        """Create a mapping from an export (or a bare spec); refuse a bad one."""
        _ = self.env._
        filename = filename or "mapping.json"
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise UserError(
                    _("%(file)s is not a UTF-8 JSON file.", file=filename)
                ) from None
        try:
            payload = json.loads(data)
        except ValueError as error:
            raise UserError(
                _("%(file)s is not JSON: %(error)s", file=filename, error=error)
            ) from None
        if isinstance(payload, dict) and payload.get("format") == EXPORT_FORMAT:
            if payload.get("format_version", 1) > EXPORT_VERSION:
                raise UserError(
                    _(
                        "%(file)s was exported by a newer version of the add-on.",
                        file=filename,
                    )
                )
            spec = payload.get("spec")
        elif isinstance(payload, dict) and "columns" in payload:
            spec, payload = payload, {}
        else:
            raise UserError(
                _("%(file)s is not an exported bill mapping.", file=filename)
            )
        try:
            validate_spec(spec)
        except ValueError as error:
            raise ValidationError(
                _(
                    "The bill mapping in %(file)s is not valid: %(error)s",
                    file=filename,
                    error=error,
                )
            ) from None
        company = self.env.company if company is None else company
        vals = self._vals_from_spec(spec)
        mapping = self.new({"code": vals["code"], "company_id": company.id})
        if (
            not vals["code"]
            or vals["code"] in self._reserved_codes()
            or mapping._same_code()
        ):
            vals["code"] = self._unique_code(vals["code"] or vals["name"], company.id)
        vals["name"] = payload.get("name") or vals["name"]
        vals["note"] = payload.get("note") or False
        if isinstance(payload.get("priority_bonus"), int):
            vals["priority_bonus"] = payload["priority_bonus"]
        vals["company_id"] = company.id
        return self.create(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_copy_preset(self):
        self.ensure_one()
        copy = self.copy()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": copy.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_export(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": (
                f"/web/content?model={self._name}&id={self.id}&field=export_file"
                "&filename_field=export_filename&download=true"
            ),
            "target": "self",
        }

    def action_view_bills(self):
        self.ensure_one()
        bills = self.env["ec.settlement"].search([("mapping_id", "=", self.id)])
        return bills._get_records_action(name=self.env._("Bills"))


def _regex_error(pattern):
    try:
        re.compile(pattern)
    except re.error as error:
        return str(error)
    return None
