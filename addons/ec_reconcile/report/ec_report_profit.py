# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.matching import NEUTRAL_KINDS
from .ec_report_profit_measures import cost_facts, kind_sums, profit_select

SOURCE_SELECTION = [
    ("settlement", "Bill rows"),
    ("cost", "Cost of goods delivered"),
]


class EcReportProfit(models.Model):
    """Profit per shop: settled revenue, fees by kind, cost of goods, margin.

    One row per bill day and shop for the money (every bill row but payouts
    and deposits: at the shop's level a shop fee needs no allocation), one
    per delivery day and shop for the cost of goods from Odoo's valuation.
    No spread over order lines is needed, so it opens as fast as the income
    and expense report; ``ec.report.profit.sku`` gives the same totals per
    order line and SKU.
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

    @property
    def _table_query(self):
        money = SQL(
            """
            SELECT MIN(line.id)::bigint * 2 AS id, 'settlement'::varchar AS source,
                   line.date_local AS date, line.shop_id, line.company_id,
                   %(sums)s, 0::numeric AS cost, 0::numeric AS quantity,
                   COUNT(*) AS row_count
              FROM ec_settlement_line line
             WHERE line.kind NOT IN %(neutral)s
             GROUP BY line.date_local, line.shop_id, line.company_id
            """,
            sums=kind_sums("line"),
            neutral=NEUTRAL_KINDS,
        )
        cost = SQL(
            "SELECT costs.*, 0::bigint AS row_count FROM (%s) costs",
            cost_facts(1, grouped=True),
        )
        return profit_select(
            SQL("%s UNION ALL %s", money, cost), extra_columns=SQL("fact.row_count,")
        )

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
