#!/usr/bin/env python3
# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Report benchmark: open the reports on a month of a million bill rows.

Runs inside Odoo against a database where ``ec_reconcile`` is installed
(PostgreSQL through the ``PG*`` variables). ``--build`` writes a synthetic
month straight in SQL (orders, order lines, done deliveries with their
valuation, bills, bill rows, allocated shop fees), cloned from one template
order made through the ORM, and commits it; then every report is opened the
way the web client does (``formatted_read_group`` with its default grouping,
as a user subject to the company record rules), twice, and the times are
printed. The target: under 2 seconds each.

    PGHOST=127.0.0.1 PGUSER=odoo python3 tests/bench/bench_reports.py \\
        --db ec_reports_bench --build --orders 160000
    python3 tests/bench/bench_reports.py --db ec_reports_bench   # measure again

Use a database of its own: the data stays (``--drop-data`` removes it).
"""

import argparse
import datetime as dt
import json
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
BENCH_PREFIX = "BENCH"
NO_TRACKING = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
}
# Rows per order besides the sale: (kind, amount as SQL of the sale amount).
ORDER_ROWS = [
    ("commission", "-round(sale * 0.05, 2)"),
    ("service_fee", "-round(sale * 0.01, 2)"),
    ("payment_fee", "-round(sale * 0.006, 2)"),
    ("shipping_fee", "-8.00"),
    ("platform_coupon", "CASE WHEN n %% 3 = 0 THEN 5.00 ELSE 0 END"),
]


def open_registry(db):
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(
        [
            f"--addons-path={REPO / 'addons'}",
            f"--database={db}",
            "--http-interface=127.0.0.1",
            "--log-level=warn",
            "--max-cron-threads=0",
        ]
    )
    from odoo.modules.registry import Registry  # noqa: PLC0415

    registry = Registry(db)
    if "ec.report.profit" not in registry:
        raise SystemExit(f"ec_reconcile (with its reports) is not installed in {db}")
    return registry


def make_env(cr, uid=None, company=None):
    from odoo import api  # noqa: PLC0415

    context = dict(NO_TRACKING)
    if company:
        context["allowed_company_ids"] = [company.id]
    return api.Environment(cr, uid or api.SUPERUSER_ID, context)


def columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def clone_sql(cr, table, source_alias, overrides, from_sql):
    """INSERT INTO table (cols) SELECT <template cols or overrides> FROM ..."""
    cols = columns(cr, table)
    select = [overrides.get(col, f"{source_alias}.{col}") for col in cols]
    quoted = ", ".join(f'"{col}"' for col in cols)
    return f"INSERT INTO {table} ({quoted}) SELECT {', '.join(select)} {from_sql}"


class QueryLog:
    """Records the queries run on ``cr`` (and their times) meanwhile."""

    def __init__(self, cr):
        self.cr = cr
        self.queries = []

    def __enter__(self):
        execute = self.cr.execute

        def logged(query, params=None, log_exceptions=True):
            start = time.perf_counter()
            result = execute(query, params, log_exceptions)
            self.queries.append((time.perf_counter() - start, query, params))
            return result

        self.cr.execute = logged
        return self

    def __exit__(self, *exc):
        del self.cr.execute

    def slowest(self):
        return max(self.queries, key=lambda item: item[0])


def explain(cr, logged, label, folder):
    """EXPLAIN (ANALYZE, BUFFERS) of a logged query: the plan's key lines
    are printed, the whole plan is written to ``folder``."""
    from odoo.tools import SQL  # noqa: PLC0415

    _elapsed, query, params = logged
    if isinstance(query, SQL):
        cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", query))
    else:
        cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
    plan = [row[0] for row in cr.fetchall()]
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() else "_" for c in label.lower()).strip("_")
    (folder / f"{name}.txt").write_text("\n".join(plan) + "\n")
    # The root, the scans and joins taking time, and the totals.
    keys = [
        line
        for line in plan
        if "actual time" in line
        and any(
            word in line
            for word in ("Scan", "Join", "Aggregate", "Nested Loop", "Sort  (")
        )
    ]
    print(f"    plan: {plan[0].strip()[:110]}")
    for line in keys[:6]:
        print(f"      {line.strip()[:110]}")
    for line in plan[-3:]:
        print(f"    {line.strip()}")


def timed(label, function, *args):
    start = time.perf_counter()
    result = function(*args)
    elapsed = time.perf_counter() - start
    print(f"  {label:<58} {elapsed:7.3f} s", flush=True)
    return result, elapsed


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def build(env, orders, shops_count, month_start, days):
    from odoo.fields import Command  # noqa: PLC0415

    cr = env.cr
    company = env.company
    partner = env["res.partner"].create({"name": f"{BENCH_PREFIX} platform"})
    product = env["product.product"].create(
        {
            "name": f"{BENCH_PREFIX} SKU",
            "type": "consu",
            "default_code": f"{BENCH_PREFIX}-SKU",
            "list_price": 100.0,
            "standard_price": 60.0,
            "invoice_policy": "order",
        }
    )
    shops = env["ec.shop"].create(
        [
            {
                "name": f"{BENCH_PREFIX} shop {index:02d}",
                "code": f"{BENCH_PREFIX}{index:02d}",
                "platform": ("tmall", "jd", "douyin", "pdd")[index % 4],
                "partner_id": partner.id,
                "company_id": company.id,
                "currency_id": company.currency_id.id,
                "tz": "Asia/Shanghai",
            }
            for index in range(shops_count)
        ]
    )
    template = env["sale.order"].create(
        {
            "partner_id": partner.id,
            "order_line": [
                Command.create(
                    {"product_id": product.id, "product_uom_qty": 1, "price_unit": 100}
                )
            ],
        }
    )
    template.action_confirm()
    for move in template.picking_ids.move_ids:
        move.quantity = move.product_uom_qty
        move.picked = True
    template.picking_ids.button_validate()
    template_line = template.order_line
    template_move = template_line.move_ids.filtered(lambda m: m.state == "done")[:1]
    bills = env["ec.settlement"].create(
        [
            {
                "shop_id": shop.id,
                "company_id": company.id,
                "currency_id": company.currency_id.id,
                "state": "matched",
                "bill_type_label": "bench",
            }
            for shop in shops
        ]
    )
    env.flush_all()
    params = {
        "n": orders,
        "shops": shops.ids,
        "bills": bills.ids,
        "start": month_start,
        "days": days,
        "template": template.id,
        "line": template_line.id,
        "move": template_move.id,
        "prefix": BENCH_PREFIX,
    }
    print(f"  orders: {orders} on {shops_count} shops", flush=True)
    shop_of = "(%(shops)s::int[])[1 + g %% array_length(%(shops)s::int[], 1)]"
    moment = (
        "%(start)s::timestamp + make_interval(days => g %% %(days)s)"
        " + make_interval(mins => (g * 7) %% 1440)"
    )
    cr.execute(
        clone_sql(
            cr,
            "sale_order",
            "t",
            {
                "name": "%(prefix)s || '/' || g",
                "ec_shop_id": shop_of,
                "ec_order_ref": "'9' || lpad(g::text, 18, '0')",
                "date_order": moment,
                "state": "'sale'",
                "ec_match_state": "CASE WHEN g %% 100 < 90 THEN 'settled' "
                "WHEN g %% 100 < 97 THEN 'partial' ELSE 'unsettled' END",
                "ec_expected_amount": "100 + g %% 50",
                "ec_settled_amount": "CASE WHEN g %% 100 < 90 THEN 100 + g %% 50 "
                "WHEN g %% 100 < 97 THEN 60 ELSE 0 END",
                "amount_total": "100 + g %% 50",
            },
            "FROM sale_order t CROSS JOIN generate_series(1, %(n)s) g "
            "WHERE t.id = %(template)s",
        ),
        params,
    )
    price = "(100 + so.id %% 50)"
    for second in (False, True):
        cr.execute(
            clone_sql(
                cr,
                "sale_order_line",
                "tl",
                {
                    "order_id": "so.id",
                    "price_unit": f"{price} * {0.4 if second else 1}",
                    "price_subtotal": f"{price} * {0.4 if second else 1}",
                    "price_total": f"{price} * {0.4 if second else 1}",
                },
                "FROM sale_order_line tl JOIN sale_order so "
                "ON so.name LIKE %(prefix)s || '/%%' "
                + ("AND so.id %% 2 = 0 " if second else "")
                + "WHERE tl.id = %(line)s",
            ),
            params,
        )
    cr.execute(
        clone_sql(
            cr,
            "stock_move",
            "tm",
            {
                "sale_line_id": "sol.id",
                "date": "so.date_order + interval '1 day'",
                "value": "60",
                "reference": "so.name",
                "origin": "so.name",
            },
            "FROM stock_move tm JOIN sale_order_line sol ON TRUE "
            "JOIN sale_order so ON so.id = sol.order_id "
            "AND so.name LIKE %(prefix)s || '/%%' WHERE tm.id = %(move)s",
        ),
        params,
    )
    print("  orders, lines, deliveries written", flush=True)
    # Fresh statistics before the joins below: with the empty tables' ones
    # the planner loops over a million rows per order.
    for table in ("sale_order", "sale_order_line", "stock_move"):
        cr.execute(f"ANALYZE {table}")
    # Bill rows: the sale, then the fee rows of each order.
    line_cols = (
        "settlement_id, shop_id, company_id, platform, channel, transaction_id,"
        " order_ref, kind, amount, currency_id, date, date_local, match_state,"
        " sale_order_id, row_number, is_unclassified, is_conflict,"
        " create_uid, write_uid, create_date, write_date"
    )
    base = """
        SELECT bill.id AS settlement_id, so.ec_shop_id AS shop_id, so.company_id,
               shop.platform, so.id AS order_id, so.ec_order_ref,
               so.amount_total AS sale,
               so.date_order AS moment, so.currency_id,
               substring(so.name FROM '/(\\d+)$')::int AS n
          FROM sale_order so
          JOIN ec_shop shop ON shop.id = so.ec_shop_id
          JOIN ec_settlement bill ON bill.shop_id = shop.id
         WHERE so.name LIKE %(prefix)s || '/%%' AND so.ec_match_state != 'unsettled'
    """
    kinds = [("sale", "sale")] + ORDER_ROWS
    for index, (kind, amount) in enumerate(kinds):
        cr.execute(
            f"""
            INSERT INTO ec_settlement_line ({line_cols})
            SELECT settlement_id, shop_id, company_id, platform, 'bench',
                   'T{index}-' || order_id, ec_order_ref, '{kind}', {amount},
                   currency_id, moment,
                   ((moment AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Shanghai')::date,
                   'matched', order_id, n, FALSE, FALSE, 1, 1, now(), now()
              FROM ({base}) o
            """,
            params,
        )
    # Shop-level rows: ads per shop and day, allocated to that day's orders;
    # a payout per shop and day.
    for kind, amount in (("ads", "-300.00"), ("payout", "-5000.00")):
        cr.execute(
            f"""
            INSERT INTO ec_settlement_line ({line_cols})
            SELECT bill.id, shop.id, shop.company_id, shop.platform, 'bench',
                   '{kind}-' || shop.id || '-' || d, NULL, '{kind}', {amount},
                   shop.currency_id, %(start)s::timestamp + make_interval(days => d),
                   (%(start)s::timestamp + make_interval(days => d))::date,
                   '{"shop_level" if kind == "ads" else "payout_unmatched"}',
                   NULL, d, FALSE, FALSE, 1, 1, now(), now()
              FROM ec_shop shop
              JOIN ec_settlement bill ON bill.shop_id = shop.id
             CROSS JOIN generate_series(0, %(days)s - 1) d
             WHERE shop.id = ANY(%(shops)s)
            """,
            params,
        )
    cr.execute("ANALYZE ec_settlement_line")
    cr.execute(
        """
        INSERT INTO ec_fee_allocation
            (line_id, shop_id, company_id, sale_order_id, kind, date, amount,
             create_uid, write_uid, create_date, write_date)
        SELECT ads.id, ads.shop_id, ads.company_id, day_orders.sale_order_id, 'ads',
               ads.date_local, round(ads.amount / day_orders.orders, 2),
               1, 1, now(), now()
          FROM ec_settlement_line ads
          JOIN (SELECT shop_id, date_local, sale_order_id,
                       COUNT(*) OVER (PARTITION BY shop_id, date_local) AS orders
                  FROM ec_settlement_line
                 WHERE shop_id = ANY(%(shops)s) AND kind = 'sale') day_orders
            ON day_orders.shop_id = ads.shop_id
           AND day_orders.date_local = ads.date_local
         WHERE ads.shop_id = ANY(%(shops)s) AND ads.kind = 'ads'
        """,
        params,
    )
    for table in (
        "sale_order",
        "sale_order_line",
        "stock_move",
        "ec_settlement_line",
        "ec_fee_allocation",
    ):
        cr.execute(f"ANALYZE {table}")
    cr.execute(
        "SELECT count(*) FROM ec_settlement_line WHERE shop_id = ANY(%(shops)s)",
        params,
    )
    print(f"  bill rows: {cr.fetchone()[0]}", flush=True)


def drop_data(env):
    cr = env.cr
    cr.execute("SELECT id FROM ec_shop WHERE code LIKE %s", [f"{BENCH_PREFIX}%"])
    shop_ids = [row[0] for row in cr.fetchall()]
    if not shop_ids:
        return
    cr.execute("DELETE FROM ec_fee_allocation WHERE shop_id = ANY(%s)", [shop_ids])
    cr.execute("DELETE FROM ec_settlement_line WHERE shop_id = ANY(%s)", [shop_ids])
    cr.execute("DELETE FROM ec_settlement WHERE shop_id = ANY(%s)", [shop_ids])
    cr.execute(
        "DELETE FROM stock_move WHERE sale_line_id IN (SELECT sol.id FROM "
        "sale_order_line sol JOIN sale_order so ON so.id = sol.order_id "
        "WHERE so.ec_shop_id = ANY(%s))",
        [shop_ids],
    )
    cr.execute("DELETE FROM sale_order WHERE ec_shop_id = ANY(%s)", [shop_ids])
    cr.execute("DELETE FROM ec_shop WHERE id = ANY(%s)", [shop_ids])


# ---------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------


def measure(env, month_start, month_end, explain_dir=None, exports=True):
    month = [("date", ">=", month_start), ("date", "<", month_end)]
    cases = [
        (
            "Income and expense: shop x category x kind (pivot)",
            "ec.report.income.expense",
            month,
            ["shop_id", "category", "kind"],
            ["amount:sum"],
        ),
        (
            "Income and expense: by day (graph)",
            "ec.report.income.expense",
            month,
            ["date:day", "kind"],
            ["amount:sum"],
        ),
        (
            "Profit per shop (pivot)",
            "ec.report.profit",
            month,
            ["shop_id"],
            [
                "net_revenue:sum",
                "fee_total:sum",
                "cost:sum",
                "margin:sum",
                "margin_percent:avg",
            ],
        ),
        (
            "Profit per SKU (pivot)",
            "ec.report.profit.sku",
            month,
            ["product_id"],
            ["quantity:sum", "net_revenue:sum", "cost:sum", "margin:sum"],
        ),
        (
            "Fee rate: platform x month (pivot)",
            "ec.report.fee.rate",
            month,
            ["platform", "date:month"],
            ["gmv:sum", "fee_amount:sum", "fee_rate:avg"],
        ),
        (
            "Unsettled aging: shop x bucket (pivot)",
            "ec.report.unsettled.aging",
            [],
            ["shop_id", "age_bucket"],
            ["unsettled_amount:sum"],
        ),
    ]
    results = {}
    for label, model, domain, groupby, aggregates in cases:
        Report = env[model]
        for attempt in ("cold", "warm"):
            env.invalidate_all()
            with QueryLog(env.cr) as log:
                _groups, elapsed = timed(
                    f"{label} [{attempt}]",
                    Report.formatted_read_group,
                    domain,
                    groupby,
                    aggregates,
                )
            results[f"{label} [{attempt}]"] = round(elapsed, 3)
        if explain_dir:
            explain(env.cr, log.slowest(), label, explain_dir)
    shops = env["ec.shop"].search([("code", "like", f"{BENCH_PREFIX}%")])
    fnames = [name for name in shops._fields if name.startswith("dashboard_")]
    for attempt in ("cold", "warm"):
        shops.invalidate_recordset()
        _values, elapsed = timed(
            f"Dashboard of {len(shops)} shops [{attempt}]", shops.read, fnames
        )
        results[f"Dashboard [{attempt}]"] = round(elapsed, 3)
    reports = ("income_expense", "profit", "profit_sku", "fee_rate")
    for report in reports if exports else ():
        wizard = env["ec.report.export"].create(
            {"report": report, "date_from": month_start, "date_to": month_end}
        )
        _data, elapsed = timed(f"XLSX export: {report}", wizard._generate)
        results[f"XLSX export: {report}"] = round(elapsed, 3)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--build", action="store_true", help="write the month first")
    parser.add_argument("--drop-data", action="store_true")
    parser.add_argument("--orders", type=int, default=160_000)
    parser.add_argument("--shops", type=int, default=40)
    parser.add_argument("--month", default="2024-03", help="YYYY-MM")
    parser.add_argument("--json", help="write the results there")
    parser.add_argument(
        "--refresh", action="store_true", help="store the noted profit facts first"
    )
    parser.add_argument(
        "--no-export", action="store_true", help="skip the XLSX exports"
    )
    parser.add_argument(
        "--explain",
        metavar="DIR",
        help="write EXPLAIN ANALYZE of each report's main query there",
    )
    args = parser.parse_args(argv)
    year, month = (int(part) for part in args.month.split("-"))
    month_start = dt.date(year, month, 1)
    month_end = (month_start + dt.timedelta(days=32)).replace(day=1)
    days = (month_end - month_start).days
    registry = open_registry(args.db)
    with registry.cursor() as cr:
        env = make_env(cr)
        if args.drop_data or args.build:
            drop_data(env)
            cr.commit()
        if args.drop_data:
            return 0
        if args.build:
            start = time.perf_counter()
            build(env, args.orders, args.shops, month_start, days)
            cr.commit()
            print(f"  built in {time.perf_counter() - start:.1f} s", flush=True)
        if args.build or args.refresh:
            # What matching does at its end: store the profit facts of the
            # orders and shop days the new rows touched.
            _count, elapsed = timed(
                "Store the profit facts (end of matching)",
                env["ec.report.profit.sku"]._refresh_facts,
            )
            cr.commit()
        # As the administrator: a user subject to the company record rules.
        admin = env.ref("base.user_admin")
        user_env = make_env(cr, admin.id, env.company)
        results = measure(
            user_env, month_start, month_end, args.explain, not args.no_export
        )
        cr.rollback()
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2))
    slow = {label: t for label, t in results.items() if t >= 2.0}
    print("all under 2 s" if not slow else f"over 2 s: {slow}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
