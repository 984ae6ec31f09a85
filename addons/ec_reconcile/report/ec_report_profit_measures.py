# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL

from ..models.ec_shop import PLATFORM_SELECTION

# Measures taken from bill rows: (column, kinds, sign). Income keeps the
# wallet sign (refunds negative); fees are shown as positive costs.
KIND_COLUMNS = [
    ("revenue", ("sale",), 1),
    ("refund", ("refund",), 1),
    ("platform_coupon", ("platform_coupon",), 1),
    ("commission", ("commission",), -1),
    ("service_fee", ("service_fee",), -1),
    ("payment_fee", ("payment_fee",), -1),
    ("shipping_fee", ("shipping_fee",), -1),
    ("merchant_coupon", ("merchant_coupon",), -1),
    ("ads", ("ads",), -1),
    ("other_fee", ("rebate", "tax", "adjustment", "other"), -1),
]
INCOME_COLUMNS = ["revenue", "refund", "platform_coupon"]
FEE_COLUMNS = [name for name, _kinds, sign in KIND_COLUMNS if sign < 0]
BASE_COLUMNS = [name for name, _kinds, _sign in KIND_COLUMNS] + ["cost", "quantity"]


def kind_sums(alias):
    """Per-kind measures summed over rows of ``alias`` (kind, amount)."""
    return SQL(", ").join(
        SQL(
            "COALESCE(SUM(%(alias)s.amount)"
            " FILTER (WHERE %(alias)s.kind IN %(kinds)s), 0)"
            " * %(sign)s AS %(name)s",
            alias=SQL.identifier(alias),
            kinds=kinds,
            sign=sign,
            name=SQL.identifier(name),
        )
        for name, kinds, sign in KIND_COLUMNS
    )


def zero_kinds(extra=()):
    return SQL(", ").join(
        SQL("0::numeric AS %s", SQL.identifier(name))
        for name in [name for name, *_rest in KIND_COLUMNS] + list(extra)
    )


def _rate(currency_sql):
    """Rate of a currency for the fact's company and day, as Odoo reads it
    (``res.currency._get_rates``): the last rate on or before the day, the
    company's (its root company's) before the shared ones, else the first
    rate, else 1."""
    rates = SQL(
        """FROM res_currency_rate r
            WHERE r.currency_id = %(currency)s
              AND (r.company_id IS NULL OR r.company_id = COALESCE(
                   NULLIF(split_part(company.parent_path, '/', 1), '')::int,
                   company.id))""",
        currency=currency_sql,
    )
    return SQL(
        """COALESCE(
            (SELECT r.rate %(rates)s AND r.name <= COALESCE(fact.date, CURRENT_DATE)
              ORDER BY r.company_id, r.name DESC LIMIT 1),
            (SELECT r.rate %(rates)s ORDER BY r.company_id, r.name LIMIT 1),
            1.0)""",
        rates=rates,
    )


def profit_select(facts, extra_columns=None, extra_joins=None):
    """The outer SELECT of the profit views over ``facts`` (alias ``fact``).

    ``facts`` yields id, source, date, shop_id, company_id, the base
    measures; net revenue, fees, margin and margin % are derived here.
    Money from bill rows is in the shop's currency: it is converted to the
    company's at the rate of its day (``conv.factor``), so shops of several
    currencies add up; the cost of goods is in the company's currency.
    """

    def converted(names):
        total = SQL(" + ").join(SQL("fact.%s", SQL.identifier(n)) for n in names)
        return SQL("(%s) * conv.factor", total)

    net = converted(INCOME_COLUMNS)
    fees = converted(FEE_COLUMNS)
    base = [
        SQL("fact.%(name)s * conv.factor AS %(name)s", name=SQL.identifier(name))
        for name, *_rest in KIND_COLUMNS
    ] + [SQL("fact.cost"), SQL("fact.quantity")]
    return SQL(
        """
        SELECT fact.id, fact.source, fact.date, fact.shop_id, shop.platform,
               fact.company_id, company.currency_id,
               %(extra_columns)s
               %(base)s,
               %(net)s AS net_revenue,
               %(fees)s AS fee_total,
               %(net)s - %(fees)s - fact.cost AS margin,
               CASE WHEN %(net)s != 0
                    THEN (%(net)s - %(fees)s - fact.cost) * 100.0 / (%(net)s)
               END AS margin_percent
          FROM (%(facts)s) fact
          JOIN ec_shop shop ON shop.id = fact.shop_id
          JOIN res_company company ON company.id = fact.company_id
         CROSS JOIN LATERAL (
                -- flattened: a CASE per measure, rates read for foreign
                -- currencies only
                SELECT CASE WHEN shop.currency_id = company.currency_id THEN 1.0
                            ELSE %(company_rate)s / NULLIF(%(shop_rate)s, 0)
                       END AS factor) conv
          %(extra_joins)s
        """,
        extra_columns=extra_columns or SQL(),
        base=SQL(", ").join(base),
        net=net,
        fees=fees,
        facts=facts,
        company_rate=_rate(SQL("company.currency_id")),
        shop_rate=_rate(SQL("shop.currency_id")),
        extra_joins=extra_joins or SQL(),
    )


def cost_facts(tag, grouped=False, orders=None):
    """Cost of goods: valuation of done moves to customers, less returns.

    Odoo 19 values each outgoing move when it is done (``stock.move.value``:
    standard price or FIFO cost); a return from the customer carries the
    value it gave back. Dated on the delivery day, in the shop's time zone.
    One fact per move, or per day and shop when ``grouped``; only of the
    orders ``orders`` (SQL of their ids) names, if given.
    """
    day = SQL("((sm.date AT TIME ZONE 'UTC') AT TIME ZONE shop.tz)::date")
    sign = SQL("CASE WHEN dest.usage = 'customer' THEN 1 ELSE -1 END")
    cost = SQL("%s * COALESCE(sm.value, 0)", sign)
    quantity = SQL(
        "%s * sm.quantity * COALESCE(uom_move.factor, 1)"
        " / NULLIF(COALESCE(uom_product.factor, 1), 0)",
        sign,
    )
    if grouped:
        select = SQL(
            """
            SELECT MIN(sm.id)::bigint * 2 + %(tag)s AS id, 'cost'::varchar AS source,
                   %(day)s AS date, so.ec_shop_id AS shop_id, so.company_id,
                   %(zero)s, SUM(%(cost)s) AS cost, SUM(%(quantity)s) AS quantity
            """,
            tag=tag,
            day=day,
            zero=zero_kinds(),
            cost=cost,
            quantity=quantity,
        )
        group = SQL("GROUP BY %s, so.ec_shop_id, so.company_id", day)
    else:
        select = SQL(
            """
            SELECT sm.id::bigint * 8 + %(tag)s AS id,
                   'cost'::varchar AS source, %(day)s AS date,
                   so.ec_shop_id AS shop_id, so.company_id,
                   so.id AS sale_order_id, sol.id AS sale_order_line_id,
                   sm.product_id, %(zero)s, %(cost)s AS cost, %(quantity)s AS quantity
            """,
            tag=tag,
            day=day,
            zero=zero_kinds(["allocated_fee"]),
            cost=cost,
            quantity=quantity,
        )
        group = SQL()
    # Of some orders: read from them (their lines, their moves by index), not
    # from every move with a filter at the end.
    source = SQL(
        """stock_move sm
          JOIN sale_order_line sol ON sol.id = sm.sale_line_id
          JOIN sale_order so ON so.id = sol.order_id"""
    )
    if orders is not None:
        source = SQL(
            """(SELECT DISTINCT keys.sale_order_id FROM (%s) keys) k
          JOIN sale_order so ON so.id = k.sale_order_id
          JOIN sale_order_line sol ON sol.order_id = so.id
          JOIN stock_move sm ON sm.sale_line_id = sol.id""",
            orders,
        )
    return SQL(
        """
        %(select)s
          FROM %(source)s
          JOIN ec_shop shop ON shop.id = so.ec_shop_id
          JOIN stock_location src ON src.id = sm.location_id
          JOIN stock_location dest ON dest.id = sm.location_dest_id
          JOIN product_product product ON product.id = sm.product_id
          JOIN product_template template ON template.id = product.product_tmpl_id
     LEFT JOIN uom_uom uom_move ON uom_move.id = sm.product_uom
     LEFT JOIN uom_uom uom_product ON uom_product.id = template.uom_id
         WHERE sm.state = 'done'
           AND (dest.usage = 'customer') != (src.usage = 'customer')
        %(group)s
        """,
        select=select,
        source=source,
        group=group,
    )


class EcReportProfitMeasures(models.AbstractModel):
    """Fields and ratios shared by the profit reports (per shop, per SKU)."""

    _name = "ec.report.profit.measures"
    _description = "Profit Report Measures"
    _ec_percent_fields = ("margin_percent",)

    date = fields.Date(
        readonly=True, help="Bill day of the rows; delivery day of costs."
    )
    shop_id = fields.Many2one("ec.shop", string="Shop", readonly=True)
    platform = fields.Selection(PLATFORM_SELECTION, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(
        "res.currency",
        readonly=True,
        help="The company's: bill amounts of shops in another currency are "
        "converted at the rate of their day.",
    )
    quantity = fields.Float(
        string="Delivered Qty",
        digits="Product Unit",
        readonly=True,
        help="Delivered less returned, in the product's unit.",
    )
    revenue = fields.Monetary(string="Sales", readonly=True)
    refund = fields.Monetary(string="Refunds", readonly=True, help="Negative.")
    platform_coupon = fields.Monetary(
        string="Platform Coupons",
        readonly=True,
        help="Discounts funded by the platform and paid back to the shop.",
    )
    net_revenue = fields.Monetary(readonly=True)
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
    fee_total = fields.Monetary(string="Total Fees", readonly=True)
    cost = fields.Monetary(
        string="Cost of Goods",
        readonly=True,
        help="Valuation of the goods delivered (stock moves), less returns, in "
        "the company currency.",
    )
    margin = fields.Monetary(
        readonly=True, help="Net revenue less fees and cost of goods."
    )
    margin_percent = fields.Float(
        string="Margin (%)",
        readonly=True,
        aggregator="avg",
        help="Margin over net revenue; in groups, of the group's totals.",
    )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """Margin % of a group: its margin over its net revenue."""
        if aggregate_spec != "margin_percent:avg":
            return super()._read_group_select(aggregate_spec, query)
        margin = self._field_to_sql(self._table, "margin", query)
        net = self._field_to_sql(self._table, "net_revenue", query)
        return SQL(
            "SUM(%(margin)s) * 100.0 / NULLIF(SUM(%(net)s), 0)", margin=margin, net=net
        )

    @api.model
    def _xlsx_measures(self):
        return [
            *INCOME_COLUMNS,
            "net_revenue",
            *FEE_COLUMNS,
            "fee_total",
            "cost",
            "margin",
            "margin_percent",
        ]
