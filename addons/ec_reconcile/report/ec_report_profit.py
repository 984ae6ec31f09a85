# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.matching import NEUTRAL_KINDS
from . import ec_report_profit_store as store
from .ec_report_profit_measures import kind_sums, profit_select, zero_kinds

SOURCE_SELECTION = [
    ("settlement", "Bill rows"),
    ("cost", "Cost of goods delivered"),
]


class EcReportProfit(models.Model):
    """Profit per shop: settled revenue, fees by kind, cost of goods, margin.

    One row per bill day and shop for the money (every bill row but payouts
    and deposits: at the shop's level a shop fee needs no allocation), one
    per delivery day and shop for the cost of goods from Odoo's valuation.
    The money per day and shop is stored (``ec_report_profit_day_fact``),
    the cost per move too (``ec_report_profit_cost_fact``, shared with the
    report per SKU), refreshed for what changes (ec_report_profit_store).
    Amounts are in the company's currency; ``ec.report.profit.sku`` gives
    the same totals per order line and SKU.
    """

    _name = "ec.report.profit"
    _inherit = ["ec.report.mixin", "ec.report.profit.measures"]
    _description = "Profit per Shop"
    _auto = False
    _order = "date desc, shop_id"
    _rec_name = "date"
    _ec_percent_fields = ("margin_percent",)

    source = fields.Selection(SOURCE_SELECTION, readonly=True)
    row_count = fields.Integer(string="Bill Rows", readonly=True)

    _depends = {
        "ec.settlement.line": ["date_local", "shop_id", "company_id", "kind", "amount"],
        "res.currency.rate": ["rate", "name", "currency_id", "company_id"],
        "ec.shop": ["platform", "currency_id", "tz"],
        "sale.order": ["ec_shop_id", "company_id"],
        "sale.order.line": ["order_id"],
        "stock.move": [
            "state",
            "sale_line_id",
            "value",
            "quantity",
            "date",
            "product_uom",
            "location_id",
            "location_dest_id",
        ],
    }

    @api.model
    def _money_facts(self, keys=None):
        """Money per bill day and shop; with ``keys`` (a table of keys, see
        ec_report_profit_store) only of the shop days it names."""
        days = SQL()
        if keys is not None:
            days = SQL(
                "AND (line.shop_id, %s) IN (%s)",
                store.day_of(SQL("line.date_local")),
                store.dirty_days(keys),
            )
        return SQL(
            """
            SELECT MIN(line.id)::bigint * 2 AS id, 'settlement'::varchar AS source,
                   line.date_local AS date, line.shop_id, line.company_id,
                   %(sums)s, 0::numeric AS cost, 0::numeric AS quantity,
                   COUNT(*) AS row_count
              FROM ec_settlement_line line
             WHERE line.kind NOT IN %(neutral)s %(days)s
             GROUP BY line.date_local, line.shop_id, line.company_id
            """,
            sums=kind_sums("line"),
            neutral=NEUTRAL_KINDS,
            days=days,
        )

    @property
    def _table_query(self):
        # Stored facts, but those of noted shop days and orders, computed
        # live (see ec_report_profit_store). Costs per day and shop from the
        # stored costs per move (id: move id * 8 + 4): same ids and sums as
        # ``cost_facts(1, grouped=True)``.
        notes, cost_notes = store.has_notes(self.env)
        cost = SQL(
            """SELECT MIN(c.id / 8) * 2 + 1 AS id, 'cost'::varchar AS source,
                      c.date, c.shop_id, c.company_id, %s,
                      SUM(c.cost) AS cost, SUM(c.quantity) AS quantity,
                      0::bigint AS row_count
                 FROM (%s) c
                GROUP BY c.date, c.shop_id, c.company_id""",
            zero_kinds(),
            store.cost_rows(cost_notes, self.env["ec.report.profit.sku"]._facts_cost),
        )
        parts = [store.stored_day_facts(notes)]
        if notes:
            parts.append(self._money_facts(store.DIRTY))
        parts.append(cost)
        facts = SQL(" UNION ALL ").join(parts)
        return profit_select(facts, extra_columns=SQL("fact.row_count,"))

    @api.model
    def _xlsx_title(self):
        return self.env._("Profit per Shop")

    @api.model
    def _xlsx_sheets(self):
        return [
            {
                "title": self.env._("Per shop"),
                "groupby": ["shop_id", "platform"],
                "measures": self._xlsx_measures(),
            },
            {
                "title": self.env._("Per shop and month"),
                "groupby": ["shop_id", "date:month"],
                "measures": self._xlsx_measures(),
            },
        ]
