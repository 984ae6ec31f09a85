# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL

from ..models.ec_shop import PLATFORM_SELECTION
from ..models.sale_order import ORDER_MATCH_STATES

# (code, label, lowest age, highest age or None)
AGE_BUCKETS = [
    ("0_7", "0-7 days", 0, 7),
    ("8_15", "8-15 days", 8, 15),
    ("16_30", "16-30 days", 16, 30),
    ("31_60", "31-60 days", 31, 60),
    ("60_plus", "Over 60 days", 61, None),
]


def bucket_of(age):
    """Bucket code of an age in days (plain Python twin of the SQL)."""
    for code, _label, low, high in AGE_BUCKETS:
        if age >= low and (high is None or age <= high):
            return code
    return AGE_BUCKETS[0][0]


class EcReportUnsettledAging(models.Model):
    """Aging of the platform orders still waiting for their money.

    One row per order in settlement state unsettled or partial: its age in
    days (in the shop's time zone) since its first delivery, or since the
    order when nothing is delivered yet, its bucket and the amount still
    expected (expected - settled), also split in one column per bucket for
    the classic aging table.
    """

    _name = "ec.report.unsettled.aging"
    _inherit = ["ec.report.mixin"]
    _description = "Unsettled Orders Aging"
    _auto = False
    _order = "age_days desc, id"
    _rec_name = "order_name"

    sale_order_id = fields.Many2one("sale.order", string="Order", readonly=True)
    order_name = fields.Char(string="Order Reference", readonly=True)
    order_ref = fields.Char(string="Platform Order No.", readonly=True)
    shop_id = fields.Many2one("ec.shop", string="Shop", readonly=True)
    platform = fields.Selection(PLATFORM_SELECTION, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    match_state = fields.Selection(
        ORDER_MATCH_STATES, string="Settlement", readonly=True
    )
    date_order = fields.Date(string="Order Day", readonly=True)
    date_delivered = fields.Date(string="Delivery Day", readonly=True)
    date = fields.Date(
        string="Aging From",
        readonly=True,
        help="Day of the first delivery, or of the order when nothing is delivered.",
    )
    age_days = fields.Integer(string="Age (days)", readonly=True, aggregator="max")
    age_bucket = fields.Selection(
        [(code, label) for code, label, _low, _high in AGE_BUCKETS],
        string="Age",
        readonly=True,
    )
    expected_amount = fields.Monetary(string="Expected", readonly=True)
    settled_amount = fields.Monetary(string="Settled", readonly=True)
    unsettled_amount = fields.Monetary(
        string="Unsettled", readonly=True, help="Expected less settled."
    )
    amount_0_7 = fields.Monetary(string="0-7 days", readonly=True)
    amount_8_15 = fields.Monetary(string="8-15 days", readonly=True)
    amount_16_30 = fields.Monetary(string="16-30 days", readonly=True)
    amount_31_60 = fields.Monetary(string="31-60 days", readonly=True)
    amount_60_plus = fields.Monetary(string="Over 60 days", readonly=True)
    order_count = fields.Integer(string="Orders", readonly=True)

    _depends = {
        "sale.order": [
            "name",
            "ec_shop_id",
            "ec_order_ref",
            "ec_match_state",
            "ec_expected_amount",
            "ec_settled_amount",
            "company_id",
            "currency_id",
            "date_order",
            "state",
        ],
        "stock.picking": ["sale_id", "state", "date_done", "picking_type_id"],
        "ec.shop": ["platform", "tz"],
    }

    @property
    def _table_query(self):
        bucket_cases = []
        bucket_columns = []
        for code, _label, low, high in AGE_BUCKETS:
            condition = (
                SQL("aged.age_days BETWEEN %s AND %s", low, high)
                if high is not None
                else SQL("aged.age_days >= %s", low)
            )
            bucket_cases.append(SQL("WHEN %s THEN %s", condition, code))
            bucket_columns.append(
                SQL(
                    "CASE WHEN %s THEN aged.unsettled_amount ELSE 0 END AS %s",
                    condition,
                    SQL.identifier(f"amount_{code}"),
                )
            )
        return SQL(
            """
            SELECT aged.*,
                   CASE %(cases)s ELSE %(first)s END AS age_bucket,
                   %(columns)s
              FROM (
                SELECT so.id,
                       so.id AS sale_order_id,
                       so.name AS order_name,
                       so.ec_order_ref AS order_ref,
                       so.ec_shop_id AS shop_id,
                       shop.platform,
                       so.company_id,
                       so.currency_id,
                       so.ec_match_state AS match_state,
                       ((so.date_order AT TIME ZONE 'UTC') AT TIME ZONE shop.tz)::date
                           AS date_order,
                       ((pick.date_done AT TIME ZONE 'UTC') AT TIME ZONE shop.tz)::date
                           AS date_delivered,
                       ((COALESCE(pick.date_done, so.date_order) AT TIME ZONE 'UTC')
                           AT TIME ZONE shop.tz)::date AS date,
                       GREATEST((now() AT TIME ZONE shop.tz)::date
                                - ((COALESCE(pick.date_done, so.date_order)
                                    AT TIME ZONE 'UTC') AT TIME ZONE shop.tz)::date,
                                0) AS age_days,
                       COALESCE(so.ec_expected_amount, 0) AS expected_amount,
                       COALESCE(so.ec_settled_amount, 0) AS settled_amount,
                       COALESCE(so.ec_expected_amount, 0)
                           - COALESCE(so.ec_settled_amount, 0) AS unsettled_amount,
                       1 AS order_count
                  FROM sale_order so
                  JOIN ec_shop shop ON shop.id = so.ec_shop_id
             LEFT JOIN LATERAL (
                        SELECT p.date_done FROM stock_picking p
                          JOIN stock_picking_type t ON t.id = p.picking_type_id
                         WHERE p.sale_id = so.id AND p.state = 'done'
                           AND t.code = 'outgoing'
                         ORDER BY p.date_done LIMIT 1) pick ON TRUE
                 WHERE so.ec_match_state IN ('unsettled', 'partial')
                   AND so.state = 'sale'
              ) aged
            """,
            cases=SQL(" ").join(bucket_cases),
            first=AGE_BUCKETS[0][0],
            columns=SQL(", ").join(bucket_columns),
        )

    @api.model
    def _xlsx_title(self):
        return self.env._("Unsettled Orders Aging")

    @api.model
    def _xlsx_sheets(self):
        amounts = [f"amount_{code}" for code, *_rest in AGE_BUCKETS]
        return [
            {
                "title": self.env._("Per shop"),
                "groupby": ["shop_id", "platform"],
                "measures": ["order_count", *amounts, "unsettled_amount", "age_days"],
            },
            {
                "title": self.env._("Orders"),
                "fields": [
                    "shop_id",
                    "order_name",
                    "order_ref",
                    "match_state",
                    "date_order",
                    "date_delivered",
                    "age_days",
                    "age_bucket",
                    "expected_amount",
                    "settled_amount",
                    "unsettled_amount",
                    "currency_id",
                ],
                "order": "shop_id, age_days desc, id",
            },
        ]

    def action_open_orders(self):
        return self.sale_order_id._get_records_action(
            name=self.env._("Unsettled Orders")
        )
