# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import datetime as dt

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import xlsx

_NUMERIC_TYPES = {
    "monetary": xlsx.AMOUNT,
    "integer": xlsx.INTEGER,
    "float": xlsx.FLOAT,
}


class EcReportMixin(models.AbstractModel):
    """XLSX export of the reconciliation reports (SQL views).

    A report says how it is exported: its sheets (a grouping and the
    measures) through ``_xlsx_sheets``; the figures come from ``_read_group``
    (or ``search_fetch``) as the user, so record rules (companies) apply to
    the file exactly as to the screen.
    """

    _name = "ec.report.mixin"
    _description = "Reconciliation Report (export)"

    # Date field the export period filters on (None: no period).
    _ec_date_field = "date"
    # Fields that are percentages (aggregated as ratios, exported as %).
    _ec_percent_fields = ()
    # Memory of the sorts and hashes of a report's query, for the request
    # (None: the server's): grouping a month of facts in 4 MB (the default)
    # spills to disk.
    _ec_work_mem = None

    # ------------------------------------------------------------------
    # Queries
    # ------------------------------------------------------------------

    @api.model
    def _ec_report_session(self):
        """Run report queries without PostgreSQL's JIT compiler.

        These views are large analytical queries; with ``jit = on`` (the
        server default) PostgreSQL spends seconds compiling them (a month of
        a million rows: most of the time). ``SET LOCAL`` lasts until the end
        of the current transaction only, that is, the current request.
        """
        self.env.cr.execute("SET LOCAL jit = off")
        if self._ec_work_mem:
            self.env.cr.execute(
                SQL("SELECT set_config('work_mem', %s, true)", self._ec_work_mem)
            )

    @api.model
    def _read_group(self, *args, **kwargs):
        self._ec_report_session()
        return super()._read_group(*args, **kwargs)

    @api.model
    def _read_grouping_sets(self, *args, **kwargs):
        self._ec_report_session()
        return super()._read_grouping_sets(*args, **kwargs)

    @api.model
    def _search(self, *args, **kwargs):
        self._ec_report_session()
        return super()._search(*args, **kwargs)

    # ------------------------------------------------------------------
    # Export
    # ------------------------------------------------------------------

    @api.model
    def _xlsx_title(self):
        return self._description

    @api.model
    def _xlsx_sheets(self):
        """[{'title', 'groupby': [specs], 'measures': [fields]} or
        {'title', 'fields': [fields], 'order'} for detail rows]."""
        return []

    @api.model
    def _xlsx_period_domain(self, date_from=None, date_to=None):
        domain = []
        if self._ec_date_field and date_from:
            domain.append((self._ec_date_field, ">=", date_from))
        if self._ec_date_field and date_to:
            domain.append((self._ec_date_field, "<=", date_to))
        return domain

    @api.model
    def _xlsx_export(self, domain=(), title_lines=()):
        """XLSX bytes of the report restricted to ``domain``."""
        return xlsx.build_workbook(self._xlsx_build_sheets(domain, title_lines))

    @api.model
    def _xlsx_build_sheets(self, domain, title_lines):
        """Sheet specs for ``tools.xlsx.build_workbook``."""
        sheets = []
        for spec in self._xlsx_sheets():
            if spec.get("fields"):
                columns, rows = self._xlsx_detail(domain, spec)
            else:
                columns, rows = self._xlsx_grouped(domain, spec)
            sheets.append(
                {
                    "title": spec["title"],
                    "columns": columns,
                    "rows": rows,
                    "title_lines": [self._xlsx_title(), *title_lines],
                }
            )
        return sheets

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    @api.model
    def _xlsx_column(self, spec):
        """Column for a field or a ``field:granularity`` groupby spec."""
        fname, _sep, granularity = spec.partition(":")
        field = self._fields[fname]
        label = field._description_string(self.env)
        if granularity:
            label = self._xlsx_granularity_labels().get(granularity, label)
            kind = xlsx.TEXT
        elif fname in self._ec_percent_fields:
            kind = xlsx.PERCENT
        elif field.type in _NUMERIC_TYPES:
            kind = _NUMERIC_TYPES[field.type]
        elif field.type == "date":
            kind = xlsx.DATE
        elif field.type == "datetime":
            kind = xlsx.DATETIME
        else:
            kind = xlsx.TEXT
        return xlsx.Column(spec, label, kind)

    @api.model
    def _xlsx_granularity_labels(self):
        return {
            "day": self.env._("Day"),
            "week": self.env._("Week"),
            "month": self.env._("Month"),
            "quarter": self.env._("Quarter"),
            "year": self.env._("Year"),
        }

    @api.model
    def _xlsx_converter(self, spec):
        """A function giving the cell value of ``spec`` from a read value."""
        field = self._fields[spec.partition(":")[0]]
        if field.type == "selection":
            labels = dict(field._description_selection(self.env))
            return lambda value: labels.get(value, value) if value else None
        return lambda value: self._xlsx_value(spec, value)

    @api.model
    def _xlsx_value(self, spec, value):
        fname, _sep, granularity = spec.partition(":")
        field = self._fields[fname]
        if field.type == "many2one":
            # Labels of the records the report shows, as a many2one read gives.
            return value.sudo().display_name if value else None
        if value is None or value is False:
            return None
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value)
        if granularity and isinstance(value, dt.date):
            return self._xlsx_period_label(value, granularity)
        return value

    @api.model
    def _xlsx_period_label(self, value, granularity):
        if granularity == "month":
            return value.strftime("%Y-%m")
        if granularity == "year":
            return value.strftime("%Y")
        if granularity == "quarter":
            return f"{value.year}-Q{(value.month - 1) // 3 + 1}"
        if granularity == "week":
            year, week, _day = value.isocalendar()
            return f"{year}-W{week:02d}"
        return fields.Date.to_string(value)

    @api.model
    def _xlsx_grouped(self, domain, spec):
        groupby = list(spec["groupby"])
        measures = list(spec["measures"])
        aggregates = [f"{name}:{self._xlsx_aggregator(name)}" for name in measures]
        columns = [self._xlsx_column(g) for g in groupby] + [
            self._xlsx_column(m) for m in measures
        ]
        converters = [self._xlsx_converter(spec_name) for spec_name in groupby]
        rows = []
        for group in self._read_group(
            list(domain), groupby, aggregates, order=", ".join(groupby)
        ):
            row = {}
            for spec_name, convert, value in zip(
                groupby, converters, group[: len(groupby)], strict=True
            ):
                row[spec_name] = convert(value)
            for name, value in zip(measures, group[len(groupby) :], strict=True):
                row[name] = value
            rows.append(row)
        return columns, rows

    @api.model
    def _xlsx_aggregator(self, fname):
        field = self._fields[fname]
        return field.aggregator or "sum"

    @api.model
    def _xlsx_detail(self, domain, spec):
        names = list(spec["fields"])
        columns = [self._xlsx_column(name) for name in names]
        records = self.search_fetch(list(domain), names, order=spec.get("order"))
        converters = {name: self._xlsx_converter(name) for name in names}
        rows = [
            {name: converters[name](record[name]) for name in names}
            for record in records
        ]
        return columns, rows
