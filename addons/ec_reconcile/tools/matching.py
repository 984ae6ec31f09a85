# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Set-based matching of bill rows against Odoo's business documents.

Every step is one SQL statement over all rows of the shops in scope: load
keys once and join, never one search per row. The ORM is only used to
create or close the (few) exceptions, so a month of a million rows matches
in seconds.

Steps (``run``):
1. link rows to sale orders by (shop, platform order no), and to order
   lines by sub-order no;
2. classify the rest: ``unknown_order`` (names an order Odoo lacks) or
   ``shop_level`` (names none: ads, deposits, service charges);
3. payouts: each payout row to one bank statement line of the shop's bank
   journal not reconciled yet (opposite amount, within the payout window;
   a line naming the payout's reference first, then the closest date);
4. shop-level fees allocated to the orders settled the same day;
5. per order: expected amount (invoiced less credit notes, or ordered less
   returns when not invoiced) against settled income, fees with their share
   of shop fees; state with the shop's tolerance;
6. exceptions raised, refreshed or closed by key.
"""

import datetime as dt
import logging
import time
from collections import defaultdict
from decimal import Decimal

from odoo.tools import SQL

from ..models.ec_exception import SEVERITY

_logger = logging.getLogger(__name__)

# Default role of each kind: order income (counts toward an order's settled
# amount), fee, payout or neutral. ec.fee.kind.mapping can override per shop.
INCOME_KINDS = ("sale", "refund", "platform_coupon")
# Merchant-funded discounts: Odoo's order and invoice are net of them while
# bills print the gross sale and the coupon on a row of its own, so an
# order's settled income includes them (a coupon naming no order stays a fee).
ORDER_INCOME_KINDS = (*INCOME_KINDS, "merchant_coupon")
NEUTRAL_KINDS = ("payout", "deposit")
ALLOCATED_KINDS = (
    "commission",
    "service_fee",
    "payment_fee",
    "shipping_fee",
    "ads",
    "tax",
    "adjustment",
    "other",
)

# Two views of the same money (platform-bills §2, §3, §5): a detail bill
# explains the wallet ledger's credits row by row. Where a shop has both, only
# the ledger counts (settled income, fees, allocation, posting) and the detail
# rows only link to their orders; a shop with only the detail view counts it.
# {detail view parser code: parser codes of the ledger view}
LEDGER_VIEWS = {
    "alipay_trade": ("alipay_signcustomer", "taobao_alipay_signcustomer"),
    "wechatpay_tradebill": ("wechatpay_fundflow",),
    "douyin_settle_bill": ("douyin_account_item",),
}

EXCEPTION_TYPES_COMPUTED = (
    "amount_mismatch",
    "unknown_order",
    "delivered_unsettled",
    "settled_not_shipped",
    "refund_without_return",
    "duplicate",
    "unclassified",
    "payout_unmatched",
    "bill_totals",
)

_FLUSH_MODELS = (
    "ec.settlement.line",
    "ec.settlement",
    "ec.shop",
    "ec.exception",
    "ec.fee.allocation",
    "sale.order",
    "sale.order.line",
    "stock.picking",
    "stock.move",
    "account.move",
    "account.move.line",
    "account.bank.statement.line",
)


def run(env, shops, *, now=None):
    """Match every row of ``shops``; return counts per step and exception type."""
    now = now or dt.datetime.now()
    for model in _FLUSH_MODELS:
        env[model].flush_model()
    cr = env.cr
    shop_ids = list(shops.ids)
    stats = {"shops": len(shop_ids)}
    timings = {}

    def step(name, function, *args):
        start = time.perf_counter()
        result = function(cr, shop_ids, *args)
        timings[name] = round(time.perf_counter() - start, 3)
        return result

    stats["bills_shadowed"] = len(_prepare_roles(env, shops))
    timings["analyze"] = _analyze_if_stale(cr)
    stats["rows"] = step("count", _count_rows)
    stats.update(step("link_orders", _link_orders))
    stats.update(step("payouts", _match_payouts))
    stats["allocations"] = step("allocate", _allocate_fees)
    stats.update(step("orders", _compute_orders))
    candidates = step("detect", _detect_exceptions, now)
    start = time.perf_counter()
    stats.update(_sync_exceptions(env, shops, candidates, now))
    timings["sync_exceptions"] = round(time.perf_counter() - start, 3)
    cr.execute(
        "UPDATE ec_settlement SET state = 'matched' "
        "WHERE shop_id = ANY(%s) AND state = 'parsed' RETURNING id",
        [shop_ids],
    )
    matched_ids = [row[0] for row in cr.fetchall()]
    stats["bills_matched"] = len(matched_ids)
    if matched_ids:
        # The chatter says who matched each bill and when (also when the bill
        # was imported in the same transaction, where tracking is discarded).
        env["ec.settlement"].browse(matched_ids)._message_log_batch(
            bodies=dict.fromkeys(
                matched_ids, env._("Status: Imported → Matched (matching run).")
            )
        )
    cr.execute("DROP TABLE IF EXISTS ec_tmp_kind_role")
    cr.execute("DROP TABLE IF EXISTS ec_tmp_shadow_bill")
    for model in ("ec.settlement.line", "ec.settlement", "sale.order", "ec.exception"):
        env[model].invalidate_model()
    stats["timings"] = timings
    _logger.info("Matching of %s shops: %s", len(shop_ids), stats)
    return stats


def shadowed_bill_ids(cr, shop_ids):
    """Detail-view bills of ``shop_ids`` whose shop also has the ledger view.

    Their rows neither add to orders' amounts nor get posted (LEDGER_VIEWS).
    """
    pairs = [
        (detail, ledger)
        for detail, ledgers in LEDGER_VIEWS.items()
        for ledger in ledgers
    ]
    cr.execute(
        SQL(
            """
            SELECT detail.id FROM ec_settlement detail
              JOIN (VALUES %s) AS view(detail_type, ledger_type)
                ON view.detail_type = detail.bill_type
             WHERE detail.shop_id = ANY(%s) AND detail.state != 'error'
               AND EXISTS (SELECT 1 FROM ec_settlement ledger
                            WHERE ledger.shop_id = detail.shop_id
                              AND ledger.bill_type = view.ledger_type
                              AND ledger.state != 'error')
             GROUP BY detail.id
            """,
            SQL(", ").join(SQL("(%s, %s)", *pair) for pair in pairs),
            list(shop_ids),
        )
    )
    return [row[0] for row in cr.fetchall()]


# ---------------------------------------------------------------------------
# Roles of kinds per shop
# ---------------------------------------------------------------------------


def _prepare_roles(env, shops):
    """Temp table (shop_id, kind, role, allocate) from defaults and mappings."""
    mappings = env["ec.fee.kind.mapping"]._get_mapping(shops)
    kinds = [k for k, _label in env["ec.settlement.line"]._fields["kind"].selection]
    rows = []
    for shop in shops:
        for kind in kinds:
            role = (
                "income"
                if kind in ORDER_INCOME_KINDS
                else "neutral"
                if kind in NEUTRAL_KINDS
                else "fee"
            )
            mapping = mappings.get((shop.id, kind))
            allocate = (
                mapping.allocate_to_orders if mapping else kind in ALLOCATED_KINDS
            )
            rows.append((shop.id, kind, role, bool(allocate and role == "fee")))
    cr = env.cr
    cr.execute("DROP TABLE IF EXISTS ec_tmp_kind_role")
    cr.execute(
        "CREATE TEMP TABLE ec_tmp_kind_role ("
        " shop_id int, kind varchar, role varchar, allocate bool,"
        " PRIMARY KEY (shop_id, kind)) ON COMMIT DROP"
    )
    if rows:
        cr.execute(
            SQL(
                "INSERT INTO ec_tmp_kind_role VALUES %s",
                SQL(", ").join(SQL("(%s, %s, %s, %s)", *row) for row in rows),
            )
        )
    cr.execute("ANALYZE ec_tmp_kind_role")
    # Rows of shadowed detail bills: linked to orders, counted nowhere.
    cr.execute("DROP TABLE IF EXISTS ec_tmp_shadow_bill")
    cr.execute(
        "CREATE TEMP TABLE ec_tmp_shadow_bill (id int PRIMARY KEY) ON COMMIT DROP"
    )
    shadowed = shadowed_bill_ids(cr, shops.ids)
    if shadowed:
        cr.execute(
            "INSERT INTO ec_tmp_shadow_bill SELECT unnest(%s::int[])", [shadowed]
        )
    return shadowed


# Tables the matching statements join; their planner statistics matter.
_ANALYZED_TABLES = ("ec_settlement_line", "sale_order", "sale_order_line")


def _analyze_if_stale(cr):
    """ANALYZE the joined tables when a bulk import left their statistics stale.

    Matching runs right after imports, before autovacuum has looked at the
    new rows: with no statistics the planner expects one row everywhere and
    picks nested loops, which turn a second into minutes on a month of rows.
    Only tables changed by more than a fifth since their last analysis (and
    by at least 10,000 rows) are analyzed: a few hundred ms each.
    """
    start = time.perf_counter()
    cr.execute(
        """
        SELECT relname FROM pg_stat_user_tables
         WHERE relname = ANY(%s) AND schemaname = current_schema()
           AND n_mod_since_analyze >= 10000
           AND n_mod_since_analyze > n_live_tup / 5
        """,
        [list(_ANALYZED_TABLES)],
    )
    for (table,) in cr.fetchall():
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    return round(time.perf_counter() - start, 3)


def _count_rows(cr, shop_ids):
    cr.execute(
        "SELECT count(*) FROM ec_settlement_line WHERE shop_id = ANY(%s)", [shop_ids]
    )
    return cr.fetchone()[0]


# ---------------------------------------------------------------------------
# 1-2. Rows to orders
# ---------------------------------------------------------------------------


def _link_orders(cr, shop_ids):
    cr.execute(
        """
        UPDATE ec_settlement_line line
           SET sale_order_id = so.id, match_state = 'matched',
               -- the order line in the same write: each row is written once
               sale_order_line_id = CASE WHEN line.sub_order_ref IS NOT NULL THEN (
                   SELECT sol.id FROM sale_order_line sol
                    WHERE sol.order_id = so.id
                      AND sol.ec_sub_order_ref = line.sub_order_ref
                    ORDER BY sol.id LIMIT 1) END
          FROM sale_order so
         WHERE line.shop_id = ANY(%s)
           AND line.sale_order_id IS NULL
           AND line.order_ref IS NOT NULL
           AND line.kind != 'payout'
           -- a mangled id is never linked, even when it happens to be equal
           AND COALESCE(line.flags, '') NOT LIKE '%%mangled_id%%'
           AND so.ec_shop_id = line.shop_id
           AND so.ec_order_ref = line.order_ref
        """,
        [shop_ids],
    )
    linked = cr.rowcount
    # Bills that name only the sub-order (item) number.
    cr.execute(
        """
        UPDATE ec_settlement_line line
           SET sale_order_id = sol.order_id, sale_order_line_id = sol.id,
               match_state = 'matched'
          FROM sale_order_line sol
          JOIN sale_order so ON so.id = sol.order_id
         WHERE line.shop_id = ANY(%s)
           AND line.sale_order_id IS NULL
           AND line.kind != 'payout'
           AND COALESCE(line.flags, '') NOT LIKE '%%mangled_id%%'
           AND so.ec_shop_id = line.shop_id
           AND sol.ec_sub_order_ref = COALESCE(line.sub_order_ref, line.order_ref)
        """,
        [shop_ids],
    )
    linked += cr.rowcount
    cr.execute(
        """
        UPDATE ec_settlement_line line
           SET sale_order_line_id = sol.id
          FROM sale_order_line sol
         WHERE line.shop_id = ANY(%s)
           AND line.sale_order_id IS NOT NULL
           AND line.sale_order_line_id IS NULL
           AND line.sub_order_ref IS NOT NULL
           AND sol.order_id = line.sale_order_id
           AND sol.ec_sub_order_ref = line.sub_order_ref
        """,
        [shop_ids],
    )
    cr.execute(
        """
        UPDATE ec_settlement_line
           SET match_state = CASE WHEN order_ref IS NULL AND sub_order_ref IS NULL
                                  THEN 'shop_level' ELSE 'unknown_order' END
         WHERE shop_id = ANY(%s)
           AND sale_order_id IS NULL
           AND kind != 'payout'
           AND match_state != CASE WHEN order_ref IS NULL AND sub_order_ref IS NULL
                                   THEN 'shop_level' ELSE 'unknown_order' END
        """,
        [shop_ids],
    )
    return {"rows_linked": linked}


# ---------------------------------------------------------------------------
# 3. Payouts to bank statement lines
# ---------------------------------------------------------------------------


def _match_payouts(cr, shop_ids):
    cr.execute(
        """
        UPDATE ec_settlement_line line
           SET match_state = 'payout_unmatched'
         WHERE line.shop_id = ANY(%s) AND line.kind = 'payout'
           AND line.statement_line_id IS NULL
           AND line.match_state != 'payout_unmatched'
        """,
        [shop_ids],
    )
    matched = 0
    # Greedy 1:1 pairing, closest date first; two rounds settle most ties.
    for _round in range(2):
        cr.execute(
            """
            WITH candidates AS (
                SELECT line.id AS line_id, st.id AS st_id,
                       abs(move.date - line.date_local) AS gap,
                       -- the bank line names the payout: it wins over dates
                       CASE WHEN strpos(st.payment_ref, line.transaction_id) > 0
                              OR strpos(st.payment_ref, line.related_ref) > 0
                            THEN 0 ELSE 1 END AS ref_miss
                  FROM ec_settlement_line line
                  JOIN ec_shop shop ON shop.id = line.shop_id
                  JOIN account_bank_statement_line st
                    ON st.journal_id = shop.bank_journal_id
                   AND st.amount = -line.amount
                   AND NOT COALESCE(st.is_reconciled, FALSE)
                  JOIN account_move move ON move.id = st.move_id
                 WHERE line.shop_id = ANY(%s)
                   AND line.kind = 'payout'
                   AND line.statement_line_id IS NULL
                   AND move.date BETWEEN line.date_local - 1
                       AND line.date_local
                           + shop.payout_window_days
                   AND NOT EXISTS (
                       SELECT 1 FROM ec_settlement_line other
                        WHERE other.statement_line_id = st.id)
            ), ranked AS (
                SELECT line_id, st_id,
                       row_number() OVER (PARTITION BY line_id
                                          ORDER BY ref_miss, gap, st_id) AS by_line,
                       row_number() OVER (PARTITION BY st_id
                                          ORDER BY ref_miss, gap, line_id) AS by_st
                  FROM candidates
            )
            UPDATE ec_settlement_line line
               SET statement_line_id = ranked.st_id, match_state = 'payout_matched'
              FROM ranked
             WHERE ranked.line_id = line.id AND ranked.by_line = 1
               AND ranked.by_st = 1
            """,
            [shop_ids],
        )
        matched += cr.rowcount
        if not cr.rowcount:
            break
    return {"payouts_matched": matched}


# ---------------------------------------------------------------------------
# 4. Orders: expected vs settled
# ---------------------------------------------------------------------------


def _compute_orders(cr, shop_ids):
    cr.execute(
        """
        WITH settled AS (
            SELECT line.sale_order_id AS order_id,
                   SUM(line.amount) FILTER (WHERE role.role = 'income') AS income,
                   SUM(line.amount) FILTER (WHERE role.role = 'fee') AS fees,
                   COUNT(*) FILTER (WHERE role.role = 'income') AS income_rows,
                   bool_or(line.kind = 'refund') AS has_refund,
                   MAX(line.date) AS last_date
              FROM ec_settlement_line line
              JOIN ec_tmp_kind_role role
                ON role.shop_id = line.shop_id AND role.kind = line.kind
             WHERE line.shop_id = ANY(%(shops)s) AND line.sale_order_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM ec_tmp_shadow_bill shadow
                               WHERE shadow.id = line.settlement_id)
             GROUP BY line.sale_order_id
        ), invoiced AS (
            SELECT sol.order_id,
                   SUM(CASE move.move_type
                           WHEN 'out_invoice' THEN aml.price_total
                           WHEN 'out_refund' THEN -aml.price_total END) AS amount
              FROM sale_order so
              JOIN sale_order_line sol ON sol.order_id = so.id
              JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
              JOIN account_move_line aml ON aml.id = rel.invoice_line_id
              JOIN account_move move ON move.id = aml.move_id
             WHERE so.ec_shop_id = ANY(%(shops)s) AND move.state = 'posted'
               AND move.move_type IN ('out_invoice', 'out_refund')
             GROUP BY sol.order_id
        ), returned AS (
            SELECT sol.order_id,
                   SUM(sm.quantity * sol.price_reduce_taxinc) AS amount
              FROM sale_order so
              JOIN sale_order_line sol ON sol.order_id = so.id
              JOIN stock_move sm ON sm.sale_line_id = sol.id
             WHERE so.ec_shop_id = ANY(%(shops)s) AND sm.state = 'done'
               AND sm.origin_returned_move_id IS NOT NULL
             GROUP BY sol.order_id
        ), allocated AS (
            SELECT alloc.sale_order_id AS order_id, SUM(alloc.amount) AS amount
              FROM ec_fee_allocation alloc
             WHERE alloc.shop_id = ANY(%(shops)s)
             GROUP BY alloc.sale_order_id
        ), computed AS (
            SELECT so.id,
                   CASE WHEN invoiced.order_id IS NOT NULL THEN invoiced.amount
                        WHEN so.state = 'cancel' THEN 0
                        ELSE so.amount_total - COALESCE(returned.amount, 0)
                   END AS expected,
                   COALESCE(settled.income, 0) AS income,
                   COALESCE(settled.fees, 0) + COALESCE(allocated.amount, 0) AS fees,
                   COALESCE(settled.income_rows, 0) AS income_rows,
                   COALESCE(settled.has_refund, FALSE) AS has_refund,
                   settled.last_date,
                   GREATEST(shop.tolerance_amount,
                            abs(COALESCE(invoiced.amount, so.amount_total))
                            * shop.tolerance_percent / 100.0) AS tolerance
              FROM sale_order so
              JOIN ec_shop shop ON shop.id = so.ec_shop_id
         LEFT JOIN settled ON settled.order_id = so.id
         LEFT JOIN invoiced ON invoiced.order_id = so.id
         LEFT JOIN returned ON returned.order_id = so.id
         LEFT JOIN allocated ON allocated.order_id = so.id
             WHERE so.ec_shop_id = ANY(%(shops)s)
        )
        , stated AS (
            SELECT computed.*, CASE
                   WHEN computed.income_rows = 0 THEN 'unsettled'
                   WHEN abs(computed.income - computed.expected) <= computed.tolerance
                       THEN CASE WHEN computed.has_refund
                                  AND abs(computed.expected) <= computed.tolerance
                                 THEN 'refunded' ELSE 'settled' END
                   WHEN computed.income < computed.expected THEN 'partial'
                   ELSE 'over'
               END AS state
              FROM computed
        )
        UPDATE sale_order so
           SET ec_expected_amount = stated.expected,
               ec_settled_amount = stated.income,
               ec_fee_amount = stated.fees,
               ec_last_settlement_date = stated.last_date,
               ec_match_state = stated.state
          FROM stated
         WHERE stated.id = so.id
           -- unchanged orders are not rewritten (re-runs touch only news)
           AND (so.ec_expected_amount, so.ec_settled_amount, so.ec_fee_amount,
                so.ec_last_settlement_date, so.ec_match_state)
               IS DISTINCT FROM (stated.expected::numeric, stated.income::numeric,
                                 stated.fees::numeric, stated.last_date,
                                 stated.state::varchar)
        """,
        {"shops": shop_ids},
    )
    orders = cr.rowcount
    cr.execute(
        """
        SELECT ec_match_state, count(*) FROM sale_order
         WHERE ec_shop_id = ANY(%s) GROUP BY ec_match_state
        """,
        [shop_ids],
    )
    states = {state: count for state, count in cr.fetchall()}
    return {"orders": orders, "order_states": states}


# ---------------------------------------------------------------------------
# 5. Shop-level fees over the orders settled the same day
# ---------------------------------------------------------------------------


def _allocate_fees(cr, shop_ids):
    cr.execute("DELETE FROM ec_fee_allocation WHERE shop_id = ANY(%s)", [shop_ids])
    cr.execute(
        """
        -- Materialized, and the base restricted to the (shop, day) pairs that
        -- have shop fees: otherwise every income row of the month is grouped
        -- for a handful of fees.
        WITH fees AS MATERIALIZED (
            SELECT line.id, line.shop_id, line.company_id, line.kind, line.amount,
                   line.date_local AS day
              FROM ec_settlement_line line
              JOIN ec_tmp_kind_role role
                ON role.shop_id = line.shop_id AND role.kind = line.kind
             WHERE line.shop_id = ANY(%(shops)s) AND line.match_state = 'shop_level'
               AND role.allocate AND line.amount != 0
               AND NOT EXISTS (SELECT 1 FROM ec_tmp_shadow_bill shadow
                               WHERE shadow.id = line.settlement_id)
        ), base AS (
            SELECT line.shop_id, line.date_local AS day,
                   line.sale_order_id,
                   CASE shop.allocation_base WHEN 'orders' THEN 1
                        ELSE SUM(line.amount) END AS weight
              FROM ec_settlement_line line
              JOIN ec_shop shop ON shop.id = line.shop_id
              JOIN ec_tmp_kind_role role
                ON role.shop_id = line.shop_id AND role.kind = line.kind
             WHERE line.shop_id = ANY(%(shops)s) AND line.sale_order_id IS NOT NULL
               AND role.role = 'income'
               AND NOT EXISTS (SELECT 1 FROM ec_tmp_shadow_bill shadow
                               WHERE shadow.id = line.settlement_id)
               AND (line.shop_id, line.date_local) IN (
                   SELECT fees.shop_id, fees.day FROM fees)
             GROUP BY line.shop_id, 2, line.sale_order_id, shop.allocation_base
            HAVING SUM(line.amount) > 0
        ), weighted AS (
            SELECT fees.id AS line_id, fees.shop_id, fees.company_id, fees.kind,
                   fees.day, fees.amount, base.sale_order_id, base.weight,
                   SUM(base.weight) OVER (PARTITION BY fees.id
                                          ORDER BY base.sale_order_id) AS running,
                   SUM(base.weight) OVER (PARTITION BY fees.id) AS total
              FROM fees
              JOIN base ON base.shop_id = fees.shop_id AND base.day = fees.day
        )
        INSERT INTO ec_fee_allocation
            (line_id, shop_id, company_id, sale_order_id, kind, date, amount)
        SELECT line_id, shop_id, company_id, sale_order_id, kind, day,
               -- cumulative rounding: the shares add up to the fee exactly
               round(amount * running / total, 2)
               - round(amount * (running - weight) / total, 2)
          FROM weighted
        """,
        {"shops": shop_ids},
    )
    return cr.rowcount


# ---------------------------------------------------------------------------
# 6. Exceptions
# ---------------------------------------------------------------------------


def _detect_exceptions(cr, shop_ids, now):
    """Every current cause as a dict keyed by ``key``."""
    found = {}

    def add(rows):
        for row in rows:
            found[row["key"]] = row

    params = {"shops": shop_ids, "now": now}
    # Over-settled, or short once the platform has settled the order.
    cr.execute(
        """
        SELECT 'amount_mismatch' AS type, 'order:' || so.id AS key,
               so.ec_shop_id AS shop_id, so.id AS sale_order_id,
               so.ec_order_ref AS order_ref, so.ec_expected_amount AS expected,
               so.ec_settled_amount AS found,
               (so.ec_last_settlement_date AT TIME ZONE 'UTC')::date AS date,
               (SELECT array_agg(l.id) FROM ec_settlement_line l
                 WHERE l.sale_order_id = so.id) AS line_ids,
               (SELECT max(l.settlement_id) FROM ec_settlement_line l
                 WHERE l.sale_order_id = so.id) AS settlement_id,
               NULL::int AS picking_id,
               (SELECT max(move.id) FROM sale_order_line sol
                  JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                  JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                  JOIN account_move move ON move.id = aml.move_id
                 WHERE sol.order_id = so.id AND move.state = 'posted'
                   AND move.move_type = 'out_invoice') AS invoice_id,
               so.ec_match_state AS detail
          FROM sale_order so
         WHERE so.ec_shop_id = ANY(%(shops)s)
           AND so.ec_match_state IN ('partial', 'over')
        """,
        params,
    )
    add(cr.dictfetchall())
    # Rows naming an order Odoo does not know.
    cr.execute(
        """
        SELECT 'unknown_order' AS type,
               CASE WHEN line.mangled_row IS NOT NULL
                    THEN 'mangled:' || line.mangled_row
                    ELSE 'unknown:' || line.shop_id || ':' || line.order_ref
               END AS key,
               line.shop_id, NULL::int AS sale_order_id, line.order_ref,
               NULL::numeric AS expected,
               -- one view of the money when the shop has both
               COALESCE(SUM(line.amount) FILTER (WHERE NOT line.shadowed),
                        SUM(line.amount)) AS found,
               MIN(line.date_local) AS date,
               array_agg(line.id ORDER BY line.id) AS line_ids,
               MAX(line.settlement_id) AS settlement_id, NULL::int AS picking_id,
               NULL::int AS invoice_id,
               CASE WHEN line.mangled_row IS NOT NULL THEN 'mangled' END AS detail
          FROM (
            -- An id a spreadsheet mangled (3.67236E+11) may stand for several
            -- orders: each such row is its own exception, never grouped.
            SELECT l.id, l.shop_id, l.order_ref, l.amount, l.date_local,
                   l.settlement_id,
                   CASE WHEN l.flags LIKE '%%mangled_id%%' THEN l.id END
                       AS mangled_row,
                   EXISTS (SELECT 1 FROM ec_tmp_shadow_bill shadow
                            WHERE shadow.id = l.settlement_id) AS shadowed
              FROM ec_settlement_line l
             WHERE l.shop_id = ANY(%(shops)s) AND l.match_state = 'unknown_order'
          ) line
         GROUP BY line.shop_id, line.order_ref, line.mangled_row
        """,
        params,
    )
    add(cr.dictfetchall())
    # Delivered more than N days ago and still no settlement income.
    cr.execute(
        """
        SELECT 'delivered_unsettled' AS type, 'unsettled:' || so.id AS key,
               so.ec_shop_id AS shop_id, so.id AS sale_order_id,
               so.ec_order_ref AS order_ref, so.ec_expected_amount AS expected,
               0::numeric AS found, (pick.date_done AT TIME ZONE 'UTC')::date AS date,
               NULL::int[] AS line_ids, NULL::int AS settlement_id,
               pick.id AS picking_id, NULL::int AS invoice_id, NULL AS detail
          FROM sale_order so
          JOIN ec_shop shop ON shop.id = so.ec_shop_id
          JOIN LATERAL (
                SELECT p.id, p.date_done FROM stock_picking p
                  JOIN stock_picking_type t ON t.id = p.picking_type_id
                 WHERE p.sale_id = so.id AND p.state = 'done' AND t.code = 'outgoing'
                 ORDER BY p.date_done LIMIT 1) pick ON TRUE
         WHERE so.ec_shop_id = ANY(%(shops)s)
           AND so.ec_match_state = 'unsettled'
           AND so.ec_expected_amount > shop.tolerance_amount
           AND pick.date_done < %(now)s - make_interval(days => shop.unsettled_days)
        """,
        params,
    )
    add(cr.dictfetchall())
    # Settled while none of its deliveries is done.
    cr.execute(
        """
        SELECT 'settled_not_shipped' AS type, 'notshipped:' || so.id AS key,
               so.ec_shop_id AS shop_id, so.id AS sale_order_id,
               so.ec_order_ref AS order_ref, so.ec_expected_amount AS expected,
               so.ec_settled_amount AS found,
               (so.ec_last_settlement_date AT TIME ZONE 'UTC')::date AS date,
               (SELECT array_agg(l.id) FROM ec_settlement_line l
                 WHERE l.sale_order_id = so.id AND l.kind = 'sale') AS line_ids,
               (SELECT max(l.settlement_id) FROM ec_settlement_line l
                 WHERE l.sale_order_id = so.id) AS settlement_id,
               (SELECT min(p.id) FROM stock_picking p
                 WHERE p.sale_id = so.id AND p.state != 'cancel') AS picking_id,
               NULL::int AS invoice_id, NULL AS detail
          FROM sale_order so
         WHERE so.ec_shop_id = ANY(%(shops)s)
           AND so.ec_settled_amount > 0
           AND EXISTS (SELECT 1 FROM ec_settlement_line l
                        WHERE l.sale_order_id = so.id AND l.kind = 'sale'
                          AND l.amount > 0)
           AND EXISTS (SELECT 1 FROM stock_picking p
                         JOIN stock_picking_type t ON t.id = p.picking_type_id
                        WHERE p.sale_id = so.id AND p.state != 'cancel'
                          AND t.code = 'outgoing')
           AND NOT EXISTS (SELECT 1 FROM stock_picking p
                             JOIN stock_picking_type t ON t.id = p.picking_type_id
                            WHERE p.sale_id = so.id AND p.state = 'done'
                              AND t.code = 'outgoing')
        """,
        params,
    )
    add(cr.dictfetchall())
    # Money refunded with neither a return nor a credit note.
    cr.execute(
        """
        SELECT 'refund_without_return' AS type, 'refund:' || so.id AS key,
               so.ec_shop_id AS shop_id, so.id AS sale_order_id,
               so.ec_order_ref AS order_ref, NULL::numeric AS expected,
               refunds.amount AS found, refunds.date,
               refunds.line_ids, refunds.settlement_id, NULL::int AS picking_id,
               NULL::int AS invoice_id, NULL AS detail
          FROM sale_order so
          JOIN (SELECT l.sale_order_id, SUM(l.amount) AS amount,
                       MAX(l.date_local) AS date,
                       array_agg(l.id) AS line_ids,
                       MAX(l.settlement_id) AS settlement_id
                  FROM ec_settlement_line l
                 WHERE l.shop_id = ANY(%(shops)s) AND l.kind = 'refund'
                   AND l.sale_order_id IS NOT NULL
                 GROUP BY l.sale_order_id
                HAVING SUM(l.amount) < 0) refunds ON refunds.sale_order_id = so.id
         WHERE NOT EXISTS (
                 SELECT 1 FROM sale_order_line sol
                   JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                   JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                   JOIN account_move move ON move.id = aml.move_id
                  WHERE sol.order_id = so.id AND move.state = 'posted'
                    AND move.move_type = 'out_refund')
           AND NOT EXISTS (
                 SELECT 1 FROM stock_picking p
                  WHERE p.sale_id = so.id AND p.state = 'done'
                    AND p.return_id IS NOT NULL)
        """,
        params,
    )
    add(cr.dictfetchall())
    # Unclassified rows, one exception per bill.
    cr.execute(
        """
        SELECT 'unclassified' AS type, 'unclassified:' || line.settlement_id AS key,
               line.shop_id, NULL::int AS sale_order_id, NULL AS order_ref,
               NULL::numeric AS expected, SUM(line.amount) AS found,
               MIN(line.date_local) AS date,
               array_agg(line.id ORDER BY line.id) AS line_ids,
               line.settlement_id, NULL::int AS picking_id, NULL::int AS invoice_id,
               NULL AS detail
          FROM ec_settlement_line line
         WHERE line.shop_id = ANY(%(shops)s) AND line.is_unclassified
         GROUP BY line.shop_id, line.settlement_id
        """,
        params,
    )
    add(cr.dictfetchall())
    # Payouts the bank has not shown after the payout window.
    cr.execute(
        """
        SELECT 'payout_unmatched' AS type, 'payout:' || line.id AS key,
               line.shop_id, NULL::int AS sale_order_id, NULL AS order_ref,
               -line.amount AS expected, 0::numeric AS found,
               line.date_local AS date,
               ARRAY[line.id] AS line_ids, line.settlement_id,
               NULL::int AS picking_id, NULL::int AS invoice_id, NULL AS detail
          FROM ec_settlement_line line
          JOIN ec_shop shop ON shop.id = line.shop_id
         WHERE line.shop_id = ANY(%(shops)s)
           AND line.match_state = 'payout_unmatched'
           AND shop.bank_journal_id IS NOT NULL
           AND line.date < %(now)s - make_interval(days => shop.payout_window_days)
        """,
        params,
    )
    add(cr.dictfetchall())
    # Bills whose stated totals disagree with their rows; conflicting re-imports.
    cr.execute(
        """
        SELECT id, shop_id, consistency, consistency_message, conflicts,
               total_amount, (period_start AT TIME ZONE 'UTC')::date AS date
          FROM ec_settlement
         WHERE shop_id = ANY(%(shops)s) AND state != 'error'
           AND (consistency = 'mismatch' OR conflict_count > 0)
        """,
        params,
    )
    for bill in cr.dictfetchall():
        if bill["consistency"] == "mismatch":
            add(
                [
                    {
                        "type": "bill_totals",
                        "key": f"billtotals:{bill['id']}",
                        "shop_id": bill["shop_id"],
                        "settlement_id": bill["id"],
                        "found": bill["total_amount"],
                        "date": bill["date"],
                        "detail": bill["consistency_message"],
                    }
                ]
            )
        for conflict in bill["conflicts"] or []:
            add(
                [
                    {
                        "type": "duplicate",
                        "key": f"dup:{bill['shop_id']}:{conflict['transaction_id']}",
                        "shop_id": bill["shop_id"],
                        "settlement_id": bill["id"],
                        "order_ref": conflict.get("order_ref"),
                        "line_ids": [conflict["existing_line_id"]],
                        "found": Decimal(conflict["amount"]),
                        "date": bill["date"],
                        "txn": conflict["transaction_id"],
                        "row": conflict["row_number"],
                    }
                ]
            )
    return found


def _sync_exceptions(env, shops, candidates, now):
    """Create new exceptions, refresh open ones, close those whose cause is gone.

    Exceptions are written in sudo: users cannot set their fields by hand
    (``ec.exception._check_engine_fields``); tracking keeps the user as author.
    """
    Exception_ = (
        env["ec.exception"]
        .sudo()
        .with_context(tracking_disable=True, mail_create_nolog=True)
    )
    shop_by_id = {shop.id: shop for shop in shops}
    existing = {}
    for exc in env["ec.exception"].search_fetch(
        [("shop_id", "in", shops.ids)], ["key", "state", "auto_resolved"]
    ):
        existing[exc.key] = exc
    to_create, refreshed, reopened = [], 0, env["ec.exception"]
    for key, cause in candidates.items():
        exc = existing.get(key)
        if exc is None:
            to_create.append(
                _exception_vals(env, cause, shop_by_id[cause["shop_id"]], now)
            )
        elif exc.state == "open":
            refreshed += 1
        elif exc.auto_resolved:
            reopened |= exc
        # Closed by a person (resolved, written off, ignored): leave it closed.
    created = Exception_.create(to_create) if to_create else Exception_
    if refreshed:
        _refresh_open(env, candidates, existing, now)
    if reopened:
        reopened.sudo().write(
            {"state": "open", "auto_resolved": False, "resolved_date": False}
        )
        reopened._message_log_batch(
            bodies=dict.fromkeys(reopened.ids, env._("Reopened: the cause is back."))
        )
    gone = env["ec.exception"].browse(
        exc.id
        for key, exc in existing.items()
        if exc.state == "open" and key not in candidates
    )
    if gone:
        gone.sudo().write(
            {
                "state": "resolved",
                "auto_resolved": True,
                "resolved_date": now,
                "note": env._("Closed by matching: the cause is gone."),
            }
        )
    counts = defaultdict(int)
    for cause in candidates.values():
        counts[cause["type"]] += 1
    return {
        "exceptions_created": len(created),
        "exceptions_open": len(candidates),
        "exceptions_closed": len(gone),
        "exceptions_reopened": len(reopened),
        "exceptions_by_type": dict(counts),
    }


def _exception_vals(env, cause, shop, now):
    expected = cause.get("expected")
    found = cause.get("found")
    difference = (found or 0) - (expected or 0)
    vals = {
        "exception_type": cause["type"],
        "severity": SEVERITY[cause["type"]],
        "key": cause["key"],
        "shop_id": shop.id,
        "company_id": shop.company_id.id,
        "currency_id": shop.currency_id.id,
        "date": cause.get("date"),
        "order_ref": cause.get("order_ref"),
        "sale_order_id": cause.get("sale_order_id"),
        "picking_id": cause.get("picking_id"),
        "invoice_id": cause.get("invoice_id"),
        "settlement_id": cause.get("settlement_id"),
        "expected_amount": expected or 0.0,
        "found_amount": found or 0.0,
        "difference": difference if expected is not None else 0.0,
        "message": _describe(env, cause),
        "first_seen": now,
        "last_seen": now,
    }
    if cause.get("line_ids"):
        vals["line_ids"] = [(6, 0, [i for i in cause["line_ids"] if i])]
    return vals


def _refresh_open(env, candidates, existing, now):
    """Amounts of open exceptions follow their cause (one UPDATE)."""
    rows = []
    for key, cause in candidates.items():
        exc = existing.get(key)
        if exc is None or exc.state != "open":
            continue
        expected = cause.get("expected")
        found = cause.get("found") or 0
        rows.append(
            SQL(
                "(%s, %s::numeric, %s::numeric, %s::numeric, %s)",
                exc.id,
                expected or 0,
                found,
                (found - expected) if expected is not None else 0,
                _describe(env, cause),
            )
        )
    for start in range(0, len(rows), 5000):
        env.cr.execute(
            SQL(
                """
                UPDATE ec_exception exc
                   SET expected_amount = v.expected, found_amount = v.found,
                       difference = v.difference, message = v.message,
                       last_seen = %s
                  FROM (VALUES %s) AS v(id, expected, found, difference, message)
                 WHERE exc.id = v.id
                """,
                now,
                SQL(", ").join(rows[start : start + 5000]),
            )
        )


def _describe(env, cause):
    _ = env._
    kind = cause["type"]
    expected, found = cause.get("expected"), cause.get("found")
    ref = cause.get("order_ref")
    if kind == "amount_mismatch":
        if cause.get("detail") == "over":
            return _(
                "Order %(ref)s over-settled: expected %(expected)s, settled %(found)s.",
                ref=ref,
                expected=expected,
                found=found,
            )
        return _(
            "Order %(ref)s settled short: expected %(expected)s, settled %(found)s.",
            ref=ref,
            expected=expected,
            found=found,
        )
    if kind == "unknown_order" and cause.get("detail") == "mangled":
        return _(
            "Bill row of %(found)s with order number %(ref)s, which a "
            "spreadsheet turned into scientific notation: the real number is "
            "lost. Find the order from the bill's other columns.",
            ref=ref,
            found=found,
        )
    if kind == "unknown_order":
        return _(
            "Bill rows for order %(ref)s, which is not in Odoo (total %(found)s).",
            ref=ref,
            found=found,
        )
    if kind == "delivered_unsettled":
        return _(
            "Delivered on %(date)s, still no settlement (%(expected)s expected).",
            date=cause.get("date"),
            expected=expected,
        )
    if kind == "settled_not_shipped":
        return _(
            "Settled %(found)s while no delivery of the order is done.", found=found
        )
    if kind == "refund_without_return":
        return _(
            "Refunded %(found)s with neither a done return nor a credit note.",
            found=found,
        )
    if kind == "unclassified":
        return _("Rows no rule could classify: they were given kind Other.")
    if kind == "payout_unmatched":
        return _(
            "Payout of %(expected)s not found on the shop's bank journal.",
            expected=expected,
        )
    if kind == "duplicate":
        return _(
            "Transaction %(txn)s (row %(row)s) was imported before with other data.",
            txn=cause.get("txn"),
            row=cause.get("row"),
        )
    if kind == "bill_totals":
        return cause.get("detail") or _("The bill's totals disagree with its rows.")
    return cause.get("detail") or ""
