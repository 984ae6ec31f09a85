# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stored profit facts, refreshed for what changed.

The profit reports sum a month of a million bill rows: computed at open time,
the spread per SKU takes tens of seconds. The money facts are therefore kept
in two tables, computed by the reports' own SQL:

- ``ec_report_profit_sku_fact``: money per order line and day (the spread of
  ``ec.report.profit.sku``), about one row per order line;
- ``ec_report_profit_day_fact``: money per shop and day (``ec.report.profit``);
- ``ec_report_profit_cost_fact``: cost of goods per done delivery move (both
  reports: read live, the valuation of a month's deliveries took seconds).

Triggers on what the facts are computed from (bill rows, fee allocations,
order lines, order totals, done stock moves, an order's shop, a shop's time
zone) note the orders and the shop days they touch in
``ec_report_profit_dirty``. The reports read the stored facts of everything
not noted plus the facts of what is noted, computed live from the sources:
the figures are those of the sources at any time, even in a read-only
transaction, and the live part stays small. ``refresh()`` (run at the end of
matching) stores the noted facts and clears the notes.

Dirty keys: ``(order, NULL, NULL)`` for an order, ``(NULL, shop, day)`` for a
shop day (``NO_DAY`` for rows without a day).
"""

import hashlib

from odoo.tools import SQL
from odoo.tools.sql import table_exists

from .ec_report_profit_measures import KIND_COLUMNS

DIRTY = "ec_report_profit_dirty"
SKU_FACT = "ec_report_profit_sku_fact"
DAY_FACT = "ec_report_profit_day_fact"
COST_FACT = "ec_report_profit_cost_fact"
# Orders whose costs changed (deliveries done all day long): noted apart, so
# their money stays read from the stored facts.
COST_DIRTY = "ec_report_profit_cost_dirty"
COST_KEYS = "ec_report_profit_cost_keys"
KEYS = "ec_report_profit_keys"
NO_DAY = SQL("'infinity'::date")
# Advisory lock of a refresh: one at a time.
LOCK = 0x0EC0_9F17

_KIND_DDL = ", ".join(f"{name} numeric" for name, *_rest in KIND_COLUMNS)
SKU_COLUMNS = [
    "id",
    "source",
    "date",
    "shop_id",
    "company_id",
    "sale_order_id",
    "sale_order_line_id",
    "product_id",
    *(name for name, *_rest in KIND_COLUMNS),
    "allocated_fee",
    "cost",
    "quantity",
]
DAY_COLUMNS = [
    "id",
    "source",
    "date",
    "shop_id",
    "company_id",
    *(name for name, *_rest in KIND_COLUMNS),
    "cost",
    "quantity",
    "row_count",
]
# Cost facts keep only what they have: the money columns are zeros.
COST_COLUMNS = [
    "id",
    "date",
    "shop_id",
    "company_id",
    "sale_order_id",
    "sale_order_line_id",
    "product_id",
    "cost",
    "quantity",
]

_TABLES = f"""
CREATE TABLE IF NOT EXISTS {DIRTY} (
    sale_order_id integer, shop_id integer, date date
);
CREATE INDEX IF NOT EXISTS {DIRTY}_order_idx
    ON {DIRTY} (sale_order_id) WHERE sale_order_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS {DIRTY}_day_idx
    ON {DIRTY} (shop_id, date) WHERE sale_order_id IS NULL;
CREATE TABLE IF NOT EXISTS {SKU_FACT} (
    id bigint, source varchar, date date, shop_id integer, company_id integer,
    sale_order_id integer, sale_order_line_id integer, product_id integer,
    {_KIND_DDL}, allocated_fee numeric, cost numeric, quantity numeric
);
CREATE INDEX IF NOT EXISTS {SKU_FACT}_order_idx
    ON {SKU_FACT} (sale_order_id) WHERE sale_order_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS {SKU_FACT}_day_idx
    ON {SKU_FACT} (shop_id, (COALESCE(date, 'infinity'::date)));
CREATE INDEX IF NOT EXISTS {SKU_FACT}_date_idx ON {SKU_FACT} (date);
CREATE TABLE IF NOT EXISTS {DAY_FACT} (
    id bigint, source varchar, date date, shop_id integer, company_id integer,
    {_KIND_DDL}, cost numeric, quantity numeric, row_count bigint
);
CREATE INDEX IF NOT EXISTS {DAY_FACT}_day_idx
    ON {DAY_FACT} (shop_id, (COALESCE(date, 'infinity'::date)));
CREATE TABLE IF NOT EXISTS {COST_FACT} (
    id bigint, date date, shop_id integer, company_id integer,
    sale_order_id integer, sale_order_line_id integer, product_id integer,
    cost numeric, quantity numeric
);
CREATE INDEX IF NOT EXISTS {COST_FACT}_order_idx ON {COST_FACT} (sale_order_id);
CREATE TABLE IF NOT EXISTS {COST_DIRTY} (sale_order_id integer);
CREATE INDEX IF NOT EXISTS {COST_DIRTY}_order_idx ON {COST_DIRTY} (sale_order_id);
-- The live part of the reports finds the bill rows of a shop day by it.
CREATE INDEX IF NOT EXISTS ec_settlement_line_ec_report_day_idx
    ON ec_settlement_line (shop_id, (COALESCE(date_local, 'infinity'::date)));
"""

# Statement triggers with transition tables: an import or a matching run of a
# million rows notes each order and shop day once, in one INSERT.
_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION ec_report_profit_note(orders integer[], days jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO {DIRTY} (sale_order_id)
    SELECT DISTINCT u.o FROM unnest(orders) AS u(o)
     WHERE u.o IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM {DIRTY} d WHERE d.sale_order_id = u.o);
    INSERT INTO {DIRTY} (shop_id, date)
    SELECT DISTINCT (k->>0)::int, COALESCE((k->>1)::date, 'infinity'::date)
      FROM jsonb_array_elements(COALESCE(days, '[]'::jsonb)) k
     WHERE NOT EXISTS (
           SELECT 1 FROM {DIRTY} d
            WHERE d.sale_order_id IS NULL AND d.shop_id = (k->>0)::int
              AND d.date = COALESCE((k->>1)::date, 'infinity'::date));
$$;

-- Keys are made distinct on plain columns before any jsonb is built: a COPY
-- of a million rows then costs one hash aggregate per key kind.
CREATE OR REPLACE FUNCTION ec_report_profit_mark_lines() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ec_report_profit_note(
            ARRAY(SELECT DISTINCT sale_order_id FROM new_rows
                   WHERE sale_order_id IS NOT NULL),
            (SELECT jsonb_agg(jsonb_build_array(k.shop_id, k.date_local))
               FROM (SELECT DISTINCT shop_id, date_local FROM new_rows) k));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM ec_report_profit_note(
            ARRAY(SELECT DISTINCT sale_order_id FROM old_rows
                   WHERE sale_order_id IS NOT NULL),
            (SELECT jsonb_agg(jsonb_build_array(k.shop_id, k.date_local))
               FROM (SELECT DISTINCT shop_id, date_local FROM old_rows) k));
    ELSE
        -- Only rows whose figures moved (matching rewrites states often).
        PERFORM ec_report_profit_note(x.orders, x.days) FROM (
            WITH changed AS MATERIALIZED (
                SELECT o.sale_order_id AS old_order, n.sale_order_id AS new_order,
                       o.shop_id AS old_shop, o.date_local AS old_day,
                       n.shop_id AS new_shop, n.date_local AS new_day
                  FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE (o.sale_order_id, o.sale_order_line_id, o.shop_id,
                        o.company_id, o.date_local, o.kind, o.amount)
                       IS DISTINCT FROM
                       (n.sale_order_id, n.sale_order_line_id, n.shop_id,
                        n.company_id, n.date_local, n.kind, n.amount))
            SELECT ARRAY(SELECT old_order FROM changed WHERE old_order IS NOT NULL
                         UNION
                         SELECT new_order FROM changed WHERE new_order IS NOT NULL
                   ) AS orders,
                   (SELECT jsonb_agg(jsonb_build_array(k.shop_id, k.day))
                      FROM (SELECT old_shop AS shop_id, old_day AS day FROM changed
                            UNION
                            SELECT new_shop, new_day FROM changed) k) AS days
             WHERE EXISTS (SELECT 1 FROM changed)) x;
    END IF;
    RETURN NULL;
END $$;

-- An allocation moves money to its order and out of its fee row's shop day.
CREATE OR REPLACE FUNCTION ec_report_profit_mark_allocations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM ec_report_profit_note(
            (SELECT array_agg(DISTINCT sale_order_id) FROM new_rows),
            (SELECT jsonb_agg(DISTINCT jsonb_build_array(line.shop_id, line.date_local))
               FROM new_rows a JOIN ec_settlement_line line ON line.id = a.line_id
              WHERE line.sale_order_id IS NULL));
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM ec_report_profit_note(
            (SELECT array_agg(DISTINCT sale_order_id) FROM old_rows),
            (SELECT jsonb_agg(DISTINCT jsonb_build_array(line.shop_id, line.date_local))
               FROM old_rows a JOIN ec_settlement_line line ON line.id = a.line_id
              WHERE line.sale_order_id IS NULL));
    END IF;
    RETURN NULL;
END $$;

-- Order lines and totals weigh the spread of an order's money: only orders
-- with money (bill rows or allocations) are noted.
CREATE OR REPLACE FUNCTION ec_report_profit_note_orders(orders integer[])
RETURNS void LANGUAGE sql AS $$
    SELECT ec_report_profit_note(ARRAY(
        SELECT DISTINCT u.o FROM unnest(orders) AS u(o)
         WHERE EXISTS (SELECT 1 FROM ec_settlement_line l WHERE l.sale_order_id = u.o)
            OR EXISTS (SELECT 1 FROM ec_fee_allocation a WHERE a.sale_order_id = u.o)
    ), NULL);
$$;

CREATE OR REPLACE FUNCTION ec_report_profit_mark_order_lines() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ec_report_profit_note_orders(
            (SELECT array_agg(DISTINCT order_id) FROM new_rows));
    ELSE
        PERFORM ec_report_profit_note_orders(
            (SELECT array_agg(DISTINCT order_id) FROM old_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ec_report_profit_mark_order_line() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ec_report_profit_note_orders(ARRAY[OLD.order_id, NEW.order_id]);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ec_report_profit_mark_sale_order() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ec_report_profit_note_orders(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ec_report_profit_note_costs(orders integer[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO {COST_DIRTY} (sale_order_id)
    SELECT DISTINCT u.o FROM unnest(orders) AS u(o)
     WHERE u.o IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM {COST_DIRTY} d WHERE d.sale_order_id = u.o);
$$;

-- Cost of goods: done moves of order lines (delivered, returned, revalued,
-- redated). Moves not done and not done before weigh nothing.
CREATE OR REPLACE FUNCTION ec_report_profit_note_moves(lines integer[])
RETURNS void LANGUAGE sql AS $$
    SELECT ec_report_profit_note_costs(ARRAY(
        SELECT DISTINCT sol.order_id FROM sale_order_line sol
         WHERE sol.id = ANY(lines)
    ));
$$;

CREATE OR REPLACE FUNCTION ec_report_profit_mark_moves() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ec_report_profit_note_moves(ARRAY(
            SELECT DISTINCT sale_line_id FROM new_rows
             WHERE sale_line_id IS NOT NULL AND state = 'done'));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM ec_report_profit_note_moves(ARRAY(
            SELECT DISTINCT sale_line_id FROM old_rows
             WHERE sale_line_id IS NOT NULL AND state = 'done'));
    ELSE
        PERFORM ec_report_profit_note_moves(ARRAY(
            SELECT DISTINCT v.line
              FROM old_rows o JOIN new_rows n ON n.id = o.id
             CROSS JOIN LATERAL (VALUES (o.sale_line_id), (n.sale_line_id)) v(line)
             WHERE (o.state = 'done' OR n.state = 'done')
               AND (o.sale_line_id IS NOT NULL OR n.sale_line_id IS NOT NULL)
               AND v.line IS NOT NULL
               AND (o.sale_line_id, o.state, o.value, o.quantity, o.date,
                    o.product_id, o.product_uom, o.location_id, o.location_dest_id)
                   IS DISTINCT FROM
                   (n.sale_line_id, n.state, n.value, n.quantity, n.date,
                    n.product_id, n.product_uom, n.location_id, n.location_dest_id)));
    END IF;
    RETURN NULL;
END $$;

-- An order's costs are dated in its shop's time zone, on its shop and company.
CREATE OR REPLACE FUNCTION ec_report_profit_note_delivered(orders integer[])
RETURNS void LANGUAGE sql AS $$
    SELECT ec_report_profit_note_costs(ARRAY(
        SELECT DISTINCT sol.order_id FROM sale_order_line sol
          JOIN stock_move sm ON sm.sale_line_id = sol.id AND sm.state = 'done'
         WHERE sol.order_id = ANY(orders)
    ));
$$;

CREATE OR REPLACE FUNCTION ec_report_profit_mark_order_shop() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ec_report_profit_note_delivered(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ec_report_profit_mark_shop_tz() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ec_report_profit_note_delivered(ARRAY(
        SELECT so.id FROM sale_order so WHERE so.ec_shop_id = NEW.id));
    RETURN NULL;
END $$;
"""

_TRIGGERS = [
    # (name, table, event, how)
    ("lines_ins", "ec_settlement_line", "INSERT", "NEW TABLE AS new_rows", "lines"),
    (
        "lines_upd",
        "ec_settlement_line",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "lines",
    ),
    ("lines_del", "ec_settlement_line", "DELETE", "OLD TABLE AS old_rows", "lines"),
    (
        "alloc_ins",
        "ec_fee_allocation",
        "INSERT",
        "NEW TABLE AS new_rows",
        "allocations",
    ),
    (
        "alloc_upd",
        "ec_fee_allocation",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "allocations",
    ),
    (
        "alloc_del",
        "ec_fee_allocation",
        "DELETE",
        "OLD TABLE AS old_rows",
        "allocations",
    ),
    ("moves_ins", "stock_move", "INSERT", "NEW TABLE AS new_rows", "moves"),
    (
        "moves_upd",
        "stock_move",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "moves",
    ),
    ("moves_del", "stock_move", "DELETE", "OLD TABLE AS old_rows", "moves"),
]
_ROW_TRIGGERS = """
DROP TRIGGER IF EXISTS ec_report_profit_sol ON sale_order_line;
DROP TRIGGER IF EXISTS ec_report_profit_sol_ins ON sale_order_line;
CREATE TRIGGER ec_report_profit_sol_ins
    AFTER INSERT ON sale_order_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ec_report_profit_mark_order_lines();
DROP TRIGGER IF EXISTS ec_report_profit_sol_del ON sale_order_line;
CREATE TRIGGER ec_report_profit_sol_del
    AFTER DELETE ON sale_order_line REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ec_report_profit_mark_order_lines();
DROP TRIGGER IF EXISTS ec_report_profit_sol_upd ON sale_order_line;
CREATE TRIGGER ec_report_profit_sol_upd
    AFTER UPDATE OF order_id, product_id, price_subtotal, display_type
    ON sale_order_line FOR EACH ROW
    WHEN ((OLD.order_id, OLD.product_id, OLD.price_subtotal, OLD.display_type)
          IS DISTINCT FROM
          (NEW.order_id, NEW.product_id, NEW.price_subtotal, NEW.display_type))
    EXECUTE FUNCTION ec_report_profit_mark_order_line();
DROP TRIGGER IF EXISTS ec_report_profit_so_upd ON sale_order;
CREATE TRIGGER ec_report_profit_so_upd
    AFTER UPDATE OF amount_untaxed ON sale_order FOR EACH ROW
    WHEN (OLD.amount_untaxed IS DISTINCT FROM NEW.amount_untaxed)
    EXECUTE FUNCTION ec_report_profit_mark_sale_order();
DROP TRIGGER IF EXISTS ec_report_profit_so_shop ON sale_order;
CREATE TRIGGER ec_report_profit_so_shop
    AFTER UPDATE OF ec_shop_id, company_id ON sale_order FOR EACH ROW
    WHEN ((OLD.ec_shop_id, OLD.company_id) IS DISTINCT FROM
          (NEW.ec_shop_id, NEW.company_id))
    EXECUTE FUNCTION ec_report_profit_mark_order_shop();
DROP TRIGGER IF EXISTS ec_report_profit_shop_tz ON ec_shop;
CREATE TRIGGER ec_report_profit_shop_tz
    AFTER UPDATE OF tz ON ec_shop FOR EACH ROW
    WHEN (OLD.tz IS DISTINCT FROM NEW.tz)
    EXECUTE FUNCTION ec_report_profit_mark_shop_tz();
DROP FUNCTION IF EXISTS ec_report_profit_mark_order(integer);
"""


def _triggers_sql():
    parts = []
    for name, table, event, referencing, function in _TRIGGERS:
        trigger = f"ec_report_profit_{name}"
        parts.append(
            f"DROP TRIGGER IF EXISTS {trigger} ON {table};"
            f" CREATE TRIGGER {trigger} AFTER {event} ON {table}"
            f" REFERENCING {referencing} FOR EACH STATEMENT"
            f" EXECUTE FUNCTION ec_report_profit_mark_{function}();"
        )
    return "\n".join(parts) + _ROW_TRIGGERS


def dirty_orders(keys=DIRTY):
    return SQL(
        "SELECT k.sale_order_id FROM %s k WHERE k.sale_order_id IS NOT NULL",
        SQL.identifier(keys),
    )


def dirty_days(keys=DIRTY):
    return SQL(
        "SELECT k.shop_id, k.date FROM %s k WHERE k.sale_order_id IS NULL",
        SQL.identifier(keys),
    )


def day_of(date_sql):
    """The key day of a row (rows without a day share ``NO_DAY``)."""
    return SQL("COALESCE(%s, %s)", date_sql, NO_DAY)


def has_notes(env):
    """Whether money, and costs, are noted (after flushing what the facts
    depend on): ``(money, costs)``.

    Without notes the reports read the stored facts alone: no anti-join, no
    live part (the common case after matching). Same transaction, same
    snapshot as the report's query.
    """
    for model in (
        "ec.settlement.line",
        "ec.fee.allocation",
        "sale.order.line",
        "stock.move",
    ):
        env[model].flush_model()
    env["sale.order"].flush_model(["amount_untaxed", "ec_shop_id", "company_id"])
    env["ec.shop"].flush_model(["tz"])
    env.cr.execute(
        SQL(
            "SELECT EXISTS (SELECT 1 FROM %s), EXISTS (SELECT 1 FROM %s)",
            SQL.identifier(DIRTY),
            SQL.identifier(COST_DIRTY),
        )
    )
    return env.cr.fetchone()


def stored_sku_facts(notes=True):
    """Stored facts per order line that no note makes stale."""
    columns = SQL(", ").join(SQL("f.%s", SQL.identifier(c)) for c in SKU_COLUMNS)
    if not notes:
        return SQL("SELECT %s FROM %s f", columns, SQL.identifier(SKU_FACT))
    return SQL(
        """
        SELECT %(columns)s FROM %(table)s f
         WHERE NOT EXISTS (SELECT 1 FROM %(dirty)s d
                            WHERE d.sale_order_id = f.sale_order_id)
           AND NOT EXISTS (SELECT 1 FROM %(dirty)s d
                            WHERE d.sale_order_id IS NULL AND f.sale_order_id IS NULL
                              AND d.shop_id = f.shop_id AND d.date = %(day)s)
        """,
        columns=columns,
        table=SQL.identifier(SKU_FACT),
        dirty=SQL.identifier(DIRTY),
        day=day_of(SQL("f.date")),
    )


def stored_day_facts(notes=True):
    """Stored facts per shop day that no note makes stale."""
    columns = SQL(", ").join(SQL("f.%s", SQL.identifier(c)) for c in DAY_COLUMNS)
    if not notes:
        return SQL("SELECT %s FROM %s f", columns, SQL.identifier(DAY_FACT))
    return SQL(
        """
        SELECT %(columns)s FROM %(table)s f
         WHERE NOT EXISTS (SELECT 1 FROM %(dirty)s d
                            WHERE d.sale_order_id IS NULL
                              AND d.shop_id = f.shop_id AND d.date = %(day)s)
        """,
        columns=columns,
        table=SQL.identifier(DAY_FACT),
        dirty=SQL.identifier(DIRTY),
        day=day_of(SQL("f.date")),
    )


def cost_rows(notes, live_costs):
    """Cost facts (``COST_COLUMNS``): the stored ones of orders no cost note
    makes stale, plus ``live_costs(COST_DIRTY)`` (the noted orders', from
    the moves)."""
    columns = SQL(", ").join(SQL("f.%s", SQL.identifier(c)) for c in COST_COLUMNS)
    stored = SQL("SELECT %s FROM %s f", columns, SQL.identifier(COST_FACT))
    if not notes:
        return stored
    return SQL(
        """
        %(stored)s
         WHERE NOT EXISTS (SELECT 1 FROM %(dirty)s d
                            WHERE d.sale_order_id = f.sale_order_id)
         UNION ALL
        SELECT %(columns)s FROM (%(live)s) f
        """,
        stored=stored,
        dirty=SQL.identifier(COST_DIRTY),
        columns=columns,
        live=live_costs(COST_DIRTY),
    )


def _fingerprint(*queries):
    """A hash of the facts' definitions: stored facts of an older one are
    rebuilt when the module is updated."""
    text = repr([(query.code, query.params) for query in queries])
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def install(cr, sku_facts, day_facts, cost_facts):
    """Create tables and triggers; (re)build the facts when they are new or
    were computed by another definition. ``sku_facts(keys)``,
    ``day_facts(keys)`` and ``cost_facts(keys)`` give the reports' SQL
    (``keys`` None: all)."""
    created = not all(
        table_exists(cr, table) for table in (SKU_FACT, DAY_FACT, COST_FACT)
    )
    cr.execute(_TABLES)
    cr.execute(_FUNCTIONS)
    cr.execute(_triggers_sql())
    fingerprint = _fingerprint(sku_facts(None), day_facts(None), cost_facts(None))
    cr.execute("SELECT obj_description(%s::regclass, 'pg_class')", [SKU_FACT])
    if created or cr.fetchone()[0] != fingerprint:
        rebuild(cr, sku_facts, day_facts, cost_facts)
        cr.execute(
            SQL("COMMENT ON TABLE %s IS %s", SQL.identifier(SKU_FACT), fingerprint)
        )


def rebuild(cr, sku_facts, day_facts, cost_facts):
    """Every fact from the sources; no note left."""
    cr.execute(SQL("SET LOCAL jit = off"))
    tables = (SKU_FACT, DAY_FACT, COST_FACT)
    cr.execute(SQL("TRUNCATE %s", SQL(", ").join(SQL.identifier(t) for t in tables)))
    cr.execute(SQL("DELETE FROM %s", SQL.identifier(DIRTY)))
    cr.execute(SQL("DELETE FROM %s", SQL.identifier(COST_DIRTY)))
    _insert(cr, SKU_FACT, SKU_COLUMNS, sku_facts(None))
    _insert(cr, DAY_FACT, DAY_COLUMNS, day_facts(None))
    _insert(cr, COST_FACT, COST_COLUMNS, cost_facts(None))
    for table in tables:
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))


def _insert(cr, table, columns, query):
    cr.execute(
        SQL(
            "INSERT INTO %s (%s) SELECT %s FROM (%s) src",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(c) for c in columns),
            SQL(", ").join(SQL("src.%s", SQL.identifier(c)) for c in columns),
            query,
        )
    )


def refresh(cr, sku_facts, day_facts, cost_facts):
    """Store the facts of the noted orders and shop days; clear the notes.

    The notes are taken (deleted) first into a temporary table, so notes
    written meanwhile by other transactions stay for the next refresh.
    Returns the number of keys refreshed.
    """
    # Notes or facts locked by another transaction: give way soon (run in a
    # savepoint: its rollback undoes the setting on failure).
    cr.execute(SQL("SET LOCAL lock_timeout = '5s'"))
    count = _refresh(cr, sku_facts, day_facts, cost_facts)
    cr.execute(SQL("SET LOCAL lock_timeout TO DEFAULT"))
    return count


def _take(cr, dirty, keys, columns):
    """Move the notes of ``dirty`` to the temporary table ``keys``."""
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE IF NOT EXISTS %(keys)s (%(columns)s) ON COMMIT DROP;
            TRUNCATE %(keys)s;
            WITH taken AS (DELETE FROM %(dirty)s RETURNING *)
            INSERT INTO %(keys)s SELECT DISTINCT * FROM taken
            """,
            keys=SQL.identifier(keys),
            dirty=SQL.identifier(dirty),
            columns=SQL(columns),
        )
    )
    return cr.rowcount


def _refresh(cr, sku_facts, day_facts, cost_facts):
    count = _take(cr, DIRTY, KEYS, "sale_order_id integer, shop_id integer, date date")
    costs = _take(cr, COST_DIRTY, COST_KEYS, "sale_order_id integer")
    if not count and not costs:
        return 0
    cr.execute(SQL("SET LOCAL jit = off"))
    if count:
        cr.execute(SQL("ANALYZE %s", SQL.identifier(KEYS)))
        cr.execute(
            SQL(
                """
                DELETE FROM %(sku)s f USING (%(orders)s) k
                 WHERE f.sale_order_id = k.sale_order_id;
                DELETE FROM %(sku)s f USING (%(days)s) k
                 WHERE f.sale_order_id IS NULL AND f.shop_id = k.shop_id
                   AND %(day)s = k.date;
                DELETE FROM %(daily)s f USING (%(days)s) k
                 WHERE f.shop_id = k.shop_id AND %(day)s = k.date;
                """,
                sku=SQL.identifier(SKU_FACT),
                daily=SQL.identifier(DAY_FACT),
                orders=dirty_orders(KEYS),
                days=dirty_days(KEYS),
                day=day_of(SQL("f.date")),
            )
        )
        _insert(cr, SKU_FACT, SKU_COLUMNS, sku_facts(KEYS))
        _insert(cr, DAY_FACT, DAY_COLUMNS, day_facts(KEYS))
    if costs:
        cr.execute(SQL("ANALYZE %s", SQL.identifier(COST_KEYS)))
        cr.execute(
            SQL(
                "DELETE FROM %s f USING (%s) k WHERE f.sale_order_id = k.sale_order_id",
                SQL.identifier(COST_FACT),
                dirty_orders(COST_KEYS),
            )
        )
        _insert(cr, COST_FACT, COST_COLUMNS, cost_facts(COST_KEYS))
    if count + costs > 1000:
        # Many facts replaced (a month matched): fresh statistics, or the
        # planner takes the tables for empty and loops over them.
        for table in (SKU_FACT, DAY_FACT, COST_FACT, DIRTY, COST_DIRTY):
            cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    return count + costs


def uninstall(cr):
    """Drop the triggers left on Odoo's tables, their functions and the
    facts (the module's own tables take their triggers with them)."""
    # The table names are this module's constants, not input.
    cr.execute(  # pylint: disable=sql-injection
        f"""
        DROP TRIGGER IF EXISTS ec_report_profit_sol ON sale_order_line;
        DROP TRIGGER IF EXISTS ec_report_profit_sol_ins ON sale_order_line;
        DROP TRIGGER IF EXISTS ec_report_profit_sol_del ON sale_order_line;
        DROP TRIGGER IF EXISTS ec_report_profit_sol_upd ON sale_order_line;
        DROP TRIGGER IF EXISTS ec_report_profit_so_upd ON sale_order;
        DROP TRIGGER IF EXISTS ec_report_profit_so_shop ON sale_order;
        DROP TRIGGER IF EXISTS ec_report_profit_moves_ins ON stock_move;
        DROP TRIGGER IF EXISTS ec_report_profit_moves_upd ON stock_move;
        DROP TRIGGER IF EXISTS ec_report_profit_moves_del ON stock_move;
        DROP FUNCTION IF EXISTS ec_report_profit_mark_moves() CASCADE;
        DROP FUNCTION IF EXISTS ec_report_profit_mark_order_shop() CASCADE;
        DROP FUNCTION IF EXISTS ec_report_profit_mark_shop_tz() CASCADE;
        DROP FUNCTION IF EXISTS ec_report_profit_note_moves(integer[]);
        DROP FUNCTION IF EXISTS ec_report_profit_note_delivered(integer[]);
        DROP FUNCTION IF EXISTS ec_report_profit_note_costs(integer[]);
        DROP FUNCTION IF EXISTS ec_report_profit_mark_lines() CASCADE;
        DROP FUNCTION IF EXISTS ec_report_profit_mark_allocations() CASCADE;
        DROP FUNCTION IF EXISTS ec_report_profit_mark_order_lines() CASCADE;
        DROP FUNCTION IF EXISTS ec_report_profit_mark_order_line() CASCADE;
        DROP FUNCTION IF EXISTS ec_report_profit_mark_sale_order() CASCADE;
        DROP FUNCTION IF EXISTS ec_report_profit_mark_order(integer) CASCADE;
        DROP FUNCTION IF EXISTS ec_report_profit_note_orders(integer[]);
        DROP FUNCTION IF EXISTS ec_report_profit_note(integer[], jsonb);
        DROP TABLE IF EXISTS {SKU_FACT}, {DAY_FACT}, {COST_FACT}, {DIRTY},
            {COST_DIRTY};
        """
    )
