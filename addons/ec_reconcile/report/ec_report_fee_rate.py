# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL

from ..models.ec_shop import PLATFORM_SELECTION
from ..tools.matching import INCOME_KINDS, NEUTRAL_KINDS

# Fee measures: (column, kinds); fees are shown as positive charges.
FEE_KIND_COLUMNS = [
    ("commission", ("commission",)),
    ("service_fee", ("service_fee",)),
    ("payment_fee", ("payment_fee",)),
    ("shipping_fee", ("shipping_fee",)),
    ("merchant_coupon", ("merchant_coupon",)),
    ("ads", ("ads",)),
    ("other_fee", ("rebate", "tax", "adjustment", "other")),
]


class EcReportFeeRate(models.Model):
    """Fee rate: platform charges over GMV, per shop and bill day.

    GMV is the sum of the sale rows; fees are every row that is neither
    order income (sale, refund, platform coupon) nor money that only moves
    (payout, deposit), shown as positive charges (rebates lower them). The
    rate of a group is computed from the group's totals (sum of fees / sum
    of GMV), never averaged over days; the pivot groups by month.
    """

    _name = "ec.report.fee.rate"
    _inherit = ["ec.report.mixin"]
    _description = "Fee Rate Analysis"
    _auto = False
    _order = "date desc, shop_id"
    _rec_name = "date"
    _ec_percent_fields = ("fee_rate",)

    date = fields.Date(string="Bill Day", readonly=True)
    shop_id = fields.Many2one("ec.shop", string="Shop", readonly=True)
    platform = fields.Selection(PLATFORM_SELECTION, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    sale_count = fields.Integer(string="Sale Rows", readonly=True)
    gmv = fields.Monetary(string="GMV", readonly=True, help="Sum of the sale rows.")
    commission = fields.Monetary(readonly=True)
    service_fee = fields.Monetary(string="Service Fees", readonly=True)
    payment_fee = fields.Monetary(string="Payment Fees", readonly=True)
    shipping_fee = fields.Monetary(string="Shipping", readonly=True)
    merchant_coupon = fields.Monetary(string="Merchant Coupons", readonly=True)
    ads = fields.Monetary(string="Advertising", readonly=True)
    other_fee = fields.Monetary(
        string="Other Charges",
        readonly=True,
        help="Taxes, adjustments and other charges, less rebates.",
    )
    fee_amount = fields.Monetary(string="Total Fees", readonly=True)
    fee_rate = fields.Float(
        string="Fee Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Total fees over GMV; in groups, of the group's totals.",
    )

    _depends = {
        "ec.settlement.line": [
            "date_local",
            "shop_id",
            "platform",
            "company_id",
            "currency_id",
            "kind",
            "amount",
        ],
    }

    @property
    def _table_query(self):
        fee_filter = SQL(
            "line.kind NOT IN %s AND line.kind NOT IN %s", INCOME_KINDS, NEUTRAL_KINDS
        )
        per_kind = SQL(", ").join(
            SQL(
                "-COALESCE(SUM(line.amount) FILTER (WHERE line.kind IN %s), 0) AS %s",
                kinds,
                SQL.identifier(name),
            )
            for name, kinds in FEE_KIND_COLUMNS
        )
        return SQL(
            """
            SELECT MIN(line.id) AS id,
                   line.date_local AS date,
                   line.shop_id,
                   line.platform,
                   line.company_id,
                   line.currency_id,
                   COUNT(*) FILTER (WHERE line.kind = 'sale') AS sale_count,
                   COALESCE(SUM(line.amount) FILTER (WHERE line.kind = 'sale'), 0)
                       AS gmv,
                   %(per_kind)s,
                   -COALESCE(SUM(line.amount) FILTER (WHERE %(fees)s), 0) AS fee_amount,
                   -COALESCE(SUM(line.amount) FILTER (WHERE %(fees)s), 0) * 100.0
                       / NULLIF(SUM(line.amount) FILTER (WHERE line.kind = 'sale'), 0)
                       AS fee_rate
              FROM ec_settlement_line line
             GROUP BY line.date_local, line.shop_id, line.platform, line.company_id,
                      line.currency_id
            """,
            per_kind=per_kind,
            fees=fee_filter,
        )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """Fee rate of a group: its fees over its GMV, not a mean of rates."""
        if aggregate_spec != "fee_rate:avg":
            return super()._read_group_select(aggregate_spec, query)
        fees = self._field_to_sql(self._table, "fee_amount", query)
        gmv = self._field_to_sql(self._table, "gmv", query)
        return SQL(
            "SUM(%(fees)s) * 100.0 / NULLIF(SUM(%(gmv)s), 0)", fees=fees, gmv=gmv
        )

    @api.model
    def _xlsx_title(self):
        return self.env._("Fee Rate Analysis")

    @api.model
    def _xlsx_sheets(self):
        measures = [
            "gmv",
            *(name for name, _kinds in FEE_KIND_COLUMNS),
            "fee_amount",
            "fee_rate",
        ]
        return [
            {
                "title": self.env._("By platform and month"),
                "groupby": ["platform", "date:month"],
                "measures": measures,
            },
            {
                "title": self.env._("By shop and month"),
                "groupby": ["shop_id", "date:month"],
                "measures": measures,
            },
        ]
