# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..models.ec_settlement_line import KIND_SELECTION
from ..models.ec_shop import PLATFORM_SELECTION
from ..tools.matching import INCOME_KINDS, NEUTRAL_KINDS

CATEGORY_SELECTION = [
    ("income", "Order Income"),
    ("fee", "Fees and Charges"),
    ("neutral", "Payouts and Deposits"),
]


def category_sql(kind_sql):
    """SQL CASE giving the category (income / fee / neutral) of a kind."""
    return SQL(
        "CASE WHEN %(kind)s IN %(income)s THEN 'income' "
        "WHEN %(kind)s IN %(neutral)s THEN 'neutral' ELSE 'fee' END",
        kind=kind_sql,
        income=INCOME_KINDS,
        neutral=NEUTRAL_KINDS,
    )


class EcReportIncomeExpense(models.Model):
    """收支明细: bill rows summed per bill day, shop and kind.

    One row per (day, shop, kind, currency): a month of a million bill rows
    is a few thousand report rows, and a filter on the day reaches the
    index of the bill rows (it is a grouping column of the view).
    """

    _name = "ec.report.income.expense"
    _inherit = ["ec.report.mixin"]
    _description = "Income and Expense Detail"
    _auto = False
    _order = "date desc, shop_id, kind"
    _rec_name = "date"

    date = fields.Date(string="Bill Day", readonly=True)
    shop_id = fields.Many2one("ec.shop", string="Shop", readonly=True)
    platform = fields.Selection(PLATFORM_SELECTION, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    kind = fields.Selection(KIND_SELECTION, readonly=True)
    category = fields.Selection(
        CATEGORY_SELECTION,
        readonly=True,
        help="Order income (sales, refunds, platform coupons), fees and charges, "
        "or money that only moves (payouts, deposits).",
    )
    row_count = fields.Integer(string="Rows", readonly=True)
    matched_count = fields.Integer(
        string="Rows Matched to Orders", readonly=True, aggregator="sum"
    )
    amount = fields.Monetary(
        string="Net Amount",
        readonly=True,
        help="Signed as in the wallet: money in is positive.",
    )
    money_in = fields.Monetary(readonly=True)
    money_out = fields.Monetary(readonly=True, help="Money out, as a positive amount.")

    _depends = {
        "ec.settlement.line": [
            "date_local",
            "shop_id",
            "platform",
            "company_id",
            "currency_id",
            "kind",
            "amount",
            "sale_order_id",
        ],
    }

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT MIN(line.id) AS id,
                   line.date_local AS date,
                   line.shop_id,
                   line.platform,
                   line.company_id,
                   line.currency_id,
                   line.kind,
                   %(category)s AS category,
                   COUNT(*) AS row_count,
                   COUNT(line.sale_order_id) AS matched_count,
                   SUM(line.amount) AS amount,
                   SUM(CASE WHEN line.amount > 0 THEN line.amount ELSE 0 END)
                       AS money_in,
                   SUM(CASE WHEN line.amount < 0 THEN -line.amount ELSE 0 END)
                       AS money_out
              FROM ec_settlement_line line
             GROUP BY line.date_local, line.shop_id, line.platform, line.company_id,
                      line.currency_id, line.kind
            """,
            category=category_sql(SQL("line.kind")),
        )

    @api.model
    def _xlsx_title(self):
        return self.env._("Income and Expense Detail")

    @api.model
    def _xlsx_sheets(self):
        measures = ["row_count", "money_in", "money_out", "amount"]
        return [
            {
                "title": self.env._("By shop and kind"),
                "groupby": ["shop_id", "platform", "category", "kind"],
                "measures": measures,
            },
            {
                "title": self.env._("By day"),
                "groupby": ["date:day", "shop_id", "kind"],
                "measures": measures,
            },
        ]

    def action_open_lines(self):
        """The bill rows behind the selected report rows."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_reconcile.ec_settlement_line_action"
        )
        domain = Domain.OR(
            Domain(
                [
                    ("date_local", "=", row.date),
                    ("shop_id", "=", row.shop_id.id),
                    ("kind", "=", row.kind),
                ]
            )
            for row in self
        )
        action["domain"] = list(domain)
        action["context"] = {}
        return action
