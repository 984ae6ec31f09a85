# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from psycopg2 import errors

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..tools.matching import NEUTRAL_KINDS
from . import ec_report_profit_store as store
from .ec_report_profit_measures import (
    KIND_COLUMNS,
    cost_facts,
    profit_select,
    zero_kinds,
)

SOURCE_SELECTION = [
    ("order_line", "Bill rows of an order line"),
    ("order", "Bill rows and shop fees of an order (prorated)"),
    ("shop", "Shop-level bill rows"),
    ("cost", "Cost of goods delivered"),
]
_logger = logging.getLogger(__name__)

# Ids of the view's rows end with a tag (3 bits) telling their kind: 0-3 for
# money (see _facts_money), 4 for costs (stock move id * 8 + 4).
_TAG_COST = 4
# What the summary per day, shop and product keeps (see _summary).
_SUMMARY_KEYS = frozenset(
    {
        "date",
        "shop_id",
        "platform",
        "company_id",
        "currency_id",
        "product_id",
        "product_categ_id",
    }
)
_SUMMARY_AGGREGATES = {("margin_percent", "avg")}
_NOT_SUMMED = frozenset({"id", "margin_percent", "sale_order_id", "sale_order_line_id"})


def _ident(name):
    return SQL.identifier(name)


class EcReportProfitSku(models.Model):
    """Profit per order line and SKU.

    Facts of four kinds, each dated when it happened:

    - bill rows of an order: on the order line they name (sub-order bills),
      else spread over the order's lines in proportion to their untaxed
      amount;
    - shop-level fees allocated to orders (``ec.fee.allocation``), spread
      over the order lines the same way;
    - shop-level rows that no order bears (unknown orders, fees not
      allocated), on the shop without a product;
    - the cost of goods of the order's deliveries from Odoo's valuation
      (``stock.move.value`` of the done moves to customers, less returns),
      on the delivery day.

    Bill rows are summed per order and day before the spread. The money
    facts are stored (``ec_report_profit_sku_fact``, about one row per order
    line), the costs too (``ec_report_profit_cost_fact``, one row per move),
    and refreshed for the orders that change, so opening the report reads
    those instead of a million bill rows and the stock valuation; see
    ec_report_profit_store.
    Amounts are in the company's currency.
    """

    _name = "ec.report.profit.sku"
    _inherit = ["ec.report.mixin", "ec.report.profit.measures"]
    _description = "Profit per SKU"
    _auto = False
    _order = "date desc, shop_id"
    _rec_name = "date"
    _ec_percent_fields = ("margin_percent",)
    # Half a million facts a month, sorted by product: in memory, not on disk.
    _ec_work_mem = "64MB"

    source = fields.Selection(SOURCE_SELECTION, readonly=True)
    sale_order_id = fields.Many2one("sale.order", string="Order", readonly=True)
    sale_order_line_id = fields.Many2one(
        "sale.order.line", string="Order Line", readonly=True
    )
    product_id = fields.Many2one("product.product", string="Product", readonly=True)
    product_categ_id = fields.Many2one(
        "product.category", string="Product Category", readonly=True
    )
    allocated_fee = fields.Monetary(
        string="Allocated Shop Fees",
        readonly=True,
        help="Part of the fees that are shop-level fees (ads, service charges) "
        "allocated to the orders; already counted in the fees by kind.",
    )

    _depends = {
        "ec.settlement.line": [
            "date_local",
            "shop_id",
            "company_id",
            "kind",
            "amount",
            "sale_order_id",
            "sale_order_line_id",
        ],
        "ec.fee.allocation": [
            "date",
            "shop_id",
            "company_id",
            "sale_order_id",
            "kind",
            "amount",
            "line_id",
        ],
        "ec.shop": ["platform", "currency_id", "tz"],
        "res.currency.rate": ["rate", "name", "currency_id", "company_id"],
        "sale.order": ["ec_shop_id", "company_id", "amount_untaxed"],
        "sale.order.line": ["order_id", "product_id", "price_subtotal", "display_type"],
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

    # ------------------------------------------------------------------
    # SQL
    # ------------------------------------------------------------------

    @property
    def _table_query(self):
        # Stored facts, but those of noted orders and shop days, computed
        # live (see ec_report_profit_store).
        notes, cost_notes = store.has_notes(self.env)
        parts = [store.stored_sku_facts(notes)]
        if notes:
            parts.append(self._facts_money(store.DIRTY))
        parts.append(
            SQL(
                """SELECT c.id, 'cost'::varchar AS source, c.date, c.shop_id,
                          c.company_id, c.sale_order_id, c.sale_order_line_id,
                          c.product_id, %s, c.cost, c.quantity
                     FROM (%s) c""",
                zero_kinds(["allocated_fee"]),
                store.cost_rows(cost_notes, self._facts_cost),
            )
        )
        facts = SQL(" UNION ALL ").join(parts)
        if self.env.context.get("ec_profit_sku_summary"):
            facts = self._summary(facts)
        return profit_select(
            facts,
            extra_columns=SQL(
                """fact.sale_order_id, fact.sale_order_line_id, fact.product_id,
                   template.categ_id AS product_categ_id,
                   fact.allocated_fee * conv.factor AS allocated_fee,"""
            ),
            extra_joins=SQL(
                """LEFT JOIN product_product product ON product.id = fact.product_id
                   LEFT JOIN product_template template
                          ON template.id = product.product_tmpl_id"""
            ),
        )

    @api.model
    def _summary(self, facts):
        """Facts summed per day, shop, company and product: a month's half a
        million facts become a few thousand rows before the measures are
        derived per row. Sums of exact numerics, converted at the rate of
        the day and shop they keep: the same totals."""
        sums = SQL(", ").join(
            SQL("SUM(f.%(name)s) AS %(name)s", name=_ident(name))
            for name in [
                *(name for name, *_rest in KIND_COLUMNS),
                "allocated_fee",
                "cost",
                "quantity",
            ]
        )
        return SQL(
            """SELECT MIN(f.id) AS id, NULL::varchar AS source, f.date, f.shop_id,
                      f.company_id, NULL::int AS sale_order_id,
                      NULL::int AS sale_order_line_id, f.product_id, %s
                 FROM (%s) f
                GROUP BY f.date, f.shop_id, f.company_id, f.product_id""",
            sums,
            facts,
        )

    @api.model
    def _summary_fits(self, domain, groupings, aggregates, order):
        """Whether a read_group reads only what the summary keeps: filters
        and groups on its keys, sums (and margin %) of its measures. Counts
        and the fields of order lines need the facts."""
        names = {spec.split(":")[0].split(".")[0] for spec in groupings}
        names.update(
            cond.field_expr.split(".")[0] for cond in Domain(domain).iter_conditions()
        )
        for spec in aggregates:
            fname, _sep, func = spec.partition(":")
            if (fname, func) not in _SUMMARY_AGGREGATES and not (
                func == "sum"
                and fname in self._fields
                and self._fields[fname].type in ("float", "monetary", "integer")
                and fname not in _NOT_SUMMED
            ):
                return False
        for term in (order or "").split(","):
            term = term.strip().split(" ")[0]
            if term and term not in aggregates:
                names.add(term.split(":")[0].split(".")[0])
        return names <= _SUMMARY_KEYS

    @api.model
    def _read_group(
        self,
        domain,
        groupby=(),
        aggregates=(),
        having=(),
        offset=0,
        limit=None,
        order=None,
    ):
        if groupby and self._summary_fits(domain, groupby, aggregates, order):
            self = self.with_context(ec_profit_sku_summary=True)  # noqa: PLW0642
        return super()._read_group(
            domain, groupby, aggregates, having, offset, limit, order
        )

    @api.model
    def _read_grouping_sets(self, domain, grouping_sets, aggregates=(), order=None):
        groupings = [spec for grouping in grouping_sets for spec in grouping]
        if self._summary_fits(domain, groupings, aggregates, order):
            self = self.with_context(ec_profit_sku_summary=True)  # noqa: PLW0642
        return super()._read_grouping_sets(domain, grouping_sets, aggregates, order)

    def init(self):
        store.install(
            self.env.cr,
            self._facts_money,
            self.env["ec.report.profit"]._money_facts,
            self._facts_cost,
        )

    @api.model
    def _refresh_facts(self):
        """Store the profit facts of what changed since the last refresh.

        Called at the end of matching; the reports are exact without it
        (what changed is computed live), only slower to open. So it never
        waits for nor fails a concurrent refresh: it gives way (returns 0)
        and the next one stores what is left.
        """
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", store.LOCK))
        if not cr.fetchone()[0]:
            return 0
        try:
            with cr.savepoint(flush=False):
                return store.refresh(
                    cr,
                    self._facts_money,
                    self.env["ec.report.profit"]._money_facts,
                    self._facts_cost,
                )
        except (errors.SerializationFailure, errors.LockNotAvailable) as error:
            # Notes taken meanwhile by a transaction that committed after ours
            # started: they are stored already.
            _logger.info("Profit facts not refreshed: %s", error)
            return 0

    @api.model
    def _facts_cost(self, keys=None):
        """Cost of goods per done move (see ``cost_facts``); with ``keys``
        only of the orders it names."""
        orders = None if keys is None else store.dirty_orders(keys)
        return cost_facts(_TAG_COST, orders=orders)

    @api.model
    def _money_sources(self, keys=None):
        """Bill rows and allocated shop fees, one stream (kind, amount).

        Shop-level rows spread over orders by ``ec.fee.allocation`` are left
        out: their allocations stand for them, to the cent. With ``keys``
        (a table of keys, see ec_report_profit_store): only the rows of the
        orders and shop days it names.
        """
        if keys is None:
            orders = days = allocations = SQL("TRUE")
        else:
            orders = SQL("line.sale_order_id IN (%s)", store.dirty_orders(keys))
            days = SQL(
                "(line.shop_id, %s) IN (%s)",
                store.day_of(SQL("line.date_local")),
                store.dirty_days(keys),
            )
            allocations = SQL("alloc.sale_order_id IN (%s)", store.dirty_orders(keys))
        return SQL(
            """
            SELECT line.date_local AS date,
                   line.shop_id, line.company_id, line.sale_order_id AS order_id,
                   line.sale_order_line_id AS order_line_id, line.kind, line.amount,
                   FALSE AS allocated
              FROM ec_settlement_line line
             WHERE line.kind NOT IN %(neutral)s
               AND line.sale_order_id IS NOT NULL AND %(orders)s
             UNION ALL
            SELECT line.date_local, line.shop_id, line.company_id, NULL::int,
                   line.sale_order_line_id, line.kind, line.amount, FALSE
              FROM ec_settlement_line line
             WHERE line.kind NOT IN %(neutral)s
               AND line.sale_order_id IS NULL AND %(days)s
               AND NOT EXISTS (SELECT 1 FROM ec_fee_allocation alloc
                                WHERE alloc.line_id = line.id)
             UNION ALL
            SELECT alloc.date, alloc.shop_id,
                   alloc.company_id, alloc.sale_order_id, NULL::int, alloc.kind,
                   alloc.amount, TRUE
              FROM ec_fee_allocation alloc
             WHERE %(allocations)s
            """,
            neutral=NEUTRAL_KINDS,
            orders=orders,
            days=days,
            allocations=allocations,
        )

    @api.model
    def _facts_money(self, keys=None):
        """Money per order (line) and day, spread over the order's lines.

        One pass over the bill rows: they are summed per day, shop, order and
        order line (rows naming a sub-order keep their line), then rows of a
        whole order are spread over its lines in proportion to their untaxed
        amounts (``price_subtotal / amount_untaxed``; an order worth nothing
        puts it all on its first line). Shares are exact fractions, so the
        lines of an order add up to its rows. No window function: filters on
        the day, shop or company reach the indexes of the bill rows, and the
        spread is a plain join.
        """
        sums = SQL(", ").join(
            SQL(
                "COALESCE(SUM(src.amount) FILTER (WHERE src.kind IN %(kinds)s), 0)"
                " * %(sign)s AS %(name)s",
                kinds=kinds,
                sign=sign,
                name=_ident(name),
            )
            for name, kinds, sign in KIND_COLUMNS
        )
        grouped = SQL(
            """
            SELECT src.date, src.shop_id,
                   src.company_id, src.order_id, src.order_line_id, %(sums)s,
                   -COALESCE(SUM(src.amount) FILTER (WHERE src.allocated), 0)
                       AS allocated_fee
              FROM (%(sources)s) src
             GROUP BY src.date, src.shop_id, src.company_id, src.order_id,
                      src.order_line_id
            """,
            sums=sums,
            sources=self._money_sources(keys),
        )
        kind_names = [name for name, *_rest in KIND_COLUMNS] + ["allocated_fee"]
        shares = SQL(", ").join(
            SQL("grp.%(name)s * spread.ratio AS %(name)s", name=_ident(name))
            for name in kind_names
        )
        return SQL(
            """
            SELECT spread.id, spread.source, grp.date, grp.shop_id, grp.company_id,
                   grp.order_id AS sale_order_id, spread.sale_order_line_id,
                   spread.product_id, %(shares)s,
                   0::numeric AS cost, 0::numeric AS quantity
              FROM (%(grouped)s) grp
         LEFT JOIN sale_order so
                ON grp.order_line_id IS NULL AND so.id = grp.order_id
         LEFT JOIN sale_order_line sol
                ON grp.order_line_id IS NULL
               AND sol.order_id = grp.order_id
               AND sol.display_type IS NULL
         LEFT JOIN sale_order_line direct ON direct.id = grp.order_line_id
             CROSS JOIN LATERAL (
                SELECT
                    -- (key * 2^16 + days since 1970) * 8 + tag: unique, stable
                    ((CASE WHEN grp.order_line_id IS NOT NULL THEN grp.order_line_id
                           WHEN sol.id IS NOT NULL THEN sol.id
                           WHEN grp.order_id IS NOT NULL THEN grp.order_id
                           ELSE grp.shop_id END::bigint * 65536
                      + (grp.date - DATE '1970-01-01')) * 8
                     + CASE WHEN grp.order_line_id IS NOT NULL THEN 1
                            WHEN sol.id IS NOT NULL THEN 0
                            WHEN grp.order_id IS NOT NULL THEN 2
                            ELSE 3 END) AS id,
                    CASE WHEN grp.order_line_id IS NOT NULL THEN 'order_line'
                         WHEN grp.order_id IS NOT NULL THEN 'order'
                         ELSE 'shop' END::varchar AS source,
                    COALESCE(grp.order_line_id, sol.id) AS sale_order_line_id,
                    COALESCE(direct.product_id, sol.product_id) AS product_id,
                    CASE WHEN sol.id IS NULL THEN 1.0
                         WHEN so.amount_untaxed != 0
                         THEN sol.price_subtotal / so.amount_untaxed
                         -- an order worth nothing: all on its first line
                         WHEN sol.id = (SELECT MIN(first.id) FROM sale_order_line first
                                         WHERE first.order_id = grp.order_id
                                           AND first.display_type IS NULL)
                         THEN 1.0
                         ELSE 0.0
                    END AS ratio
             ) spread
            """,
            shares=shares,
            grouped=grouped,
        )

    # ------------------------------------------------------------------
    # Export
    # ------------------------------------------------------------------

    @api.model
    def _xlsx_title(self):
        return self.env._("Profit per SKU")

    @api.model
    def _xlsx_sheets(self):
        measures = [*self._xlsx_measures()]
        measures.insert(measures.index("cost"), "allocated_fee")
        return [
            {
                "title": self.env._("Per SKU"),
                "groupby": ["shop_id", "product_id"],
                "measures": ["quantity", *measures],
            },
            {
                "title": self.env._("Per product category"),
                "groupby": ["product_categ_id"],
                "measures": ["quantity", *measures],
            },
        ]
