#!/usr/bin/env python3
# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Matching and posting benchmark on a generated month.

Runs inside Odoo against a database where ``ec_reconcile`` is installed
(PostgreSQL through the ``PG*`` variables); use a database of its own, the
data stays (each run removes what an earlier run of the same database
matched and posted, not the orders):

    PGHOST=127.0.0.1 PGUSER=odoo python3 tests/bench/bench_match_post.py \\
        --db ec_bench_mp --scale 0.05

Setup (not timed as a result): the company and the 40 shops of
``bench_import.py``, one bank journal per shop for the payouts; the month's
orders, deliveries, invoices and credit notes written in SQL by
``bulk_orders.py`` (checked through the ORM); the bills imported with
``ec.settlement._import_file``; one bank statement line per payout of
``payouts.csv`` (the next day), so that payouts can be matched and
reconciled. Then, each with wall time, CPU time of this process and of its
PostgreSQL backend (from ``/proc``):

a. matching: ``ec.settlement._run_matching`` over the 40 shops;
b. matching again (idempotent: nothing new);
c. posting: ``ec.settlement.action_post`` of every bill (default template:
   per shop and bill day; receivables reconciled with the invoices, payouts
   with their bank statement lines);
d. Odoo's standard path on a sample, rolled back:
   d1. matching: per sale row, one bank statement line (creation timed
       apart), then what a Community user has: find the order by its
       reference, its invoice's open receivable line, move the statement
       line's suspense item to the receivable account and reconcile
       (Odoo 19 Community has no engine applying reconcile models);
   d2. posting: one ``account.move`` per row (wallet against the row's
       account), created and posted in chunks.

``--profile`` prints a cProfile of matching and posting (top functions) and
EXPLAIN ANALYZE of the biggest matching statements.
"""

import argparse
import cProfile
import datetime as dt
import io
import json
import pathlib
import pstats
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_import  # noqa: E402
import bulk_orders  # noqa: E402
import generate_month  # noqa: E402
from bench_import import NO_TRACKING, Stage  # noqa: E402

# The same money seen twice (generate_month.py: post from one view only): the
# trade / settle views are left out, the fund-flow views are imported.
SECOND_VIEWS = {"alipay_trade", "wechatpay_trade", "douyin_settle"}


# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------


def ensure_setup(env, company, manifest):
    """Shops with a platform partner and a bank journal of their own."""
    shops = bench_import.ensure_shops(env, company, manifest)
    Journal = env["account.journal"].with_company(company)
    for number, shop in enumerate(shops.values(), start=1):
        code = f"EK{number:02d}"
        bank = Journal.search(
            [("company_id", "=", company.id), ("code", "=", code)], limit=1
        )
        if not bank:
            bank = Journal.create(
                {
                    "name": f"{shop.code} bank",
                    "code": code,
                    "type": "bank",
                    "company_id": company.id,
                    "currency_id": shop.currency_id.id
                    if shop.currency_id != company.currency_id
                    else False,
                }
            )
        shop.bank_journal_id = bank
    env["ec.fee.kind.mapping"].with_company(company).action_create_defaults()
    return shops


def month_bounds(manifest):
    year, month = (int(x) for x in manifest["arguments"]["month"].split("-"))
    start = dt.datetime(year, month, 1)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1)
    return start, end


def load_payouts(env, out, shops):
    """One bank statement line per payout, the day after (ORM, ~1k lines)."""
    import csv  # noqa: PLC0415

    vals = []
    with open(out / "payouts.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            shop = shops.get(row["shop"])
            if not shop:
                continue
            day = dt.datetime.fromisoformat(row["date"]).date() + dt.timedelta(days=1)
            vals.append(
                {
                    "journal_id": shop.bank_journal_id.id,
                    "date": day,
                    "amount": float(row["amount"]),
                    "payment_ref": f"{row['bill']} {row['reference']}",
                }
            )
    env["account.bank.statement.line"].with_context(**NO_TRACKING).create(vals)
    return len(vals)


def reset_results(env, shops):
    """Undo an earlier run's matching and posting (orders and bills stay)."""
    cr = env.cr
    shop_ids = [shop.id for shop in shops.values()]
    cr.execute(
        "SELECT DISTINCT move_id FROM ec_settlement_line "
        "WHERE shop_id = ANY(%s) AND move_id IS NOT NULL",
        [shop_ids],
    )
    move_ids = [row[0] for row in cr.fetchall()]
    if move_ids:
        moves = env["account.move"].browse(move_ids)
        moves.line_ids.remove_move_reconcile()
        cr.execute(
            "UPDATE ec_settlement_line SET move_id = NULL WHERE move_id = ANY(%s)",
            [move_ids],
        )
        moves.button_draft()
        moves.with_context(force_delete=True).unlink()
    cr.execute(
        "SELECT id FROM account_bank_statement_line WHERE journal_id = ANY(%s)",
        [[shop.bank_journal_id.id for shop in shops.values()]],
    )
    st_lines = env["account.bank.statement.line"].browse(r[0] for r in cr.fetchall())
    st_lines.filtered(lambda st: st.is_reconciled).action_undo_reconciliation()
    cr.execute("DELETE FROM ec_exception WHERE shop_id = ANY(%s)", [shop_ids])
    cr.execute("DELETE FROM ec_fee_allocation WHERE shop_id = ANY(%s)", [shop_ids])
    cr.execute(
        "UPDATE ec_settlement_line SET sale_order_id = NULL, sale_order_line_id = NULL,"
        " statement_line_id = NULL, match_state = 'new' WHERE shop_id = ANY(%s)",
        [shop_ids],
    )
    cr.execute(
        "UPDATE ec_settlement SET state = 'parsed' "
        "WHERE shop_id = ANY(%s) AND state != 'error'",
        [shop_ids],
    )
    env.invalidate_all()
    return len(move_ids)


# ---------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------


def _rates(info, rows):
    wall = info["wall_s"] or 1e-9
    cpu = (info["cpu_s"] + info["pg_cpu_s"]) or 1e-9
    info.update(
        rows=rows,
        rows_per_s=round(rows / wall),
        rows_per_cpu_s=round(rows / cpu),
    )
    return info


def _profiled(function, profile, top=30):
    if not profile:
        return function(), ""
    profiler = cProfile.Profile()
    result = profiler.runcall(function)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top)
    return result, text.getvalue()


def stage_match(env, shops, label, profile=False):
    Settlement = env["ec.settlement"]
    records = env["ec.shop"].browse(shop.id for shop in shops.values())
    cr = env.cr
    cr.execute(
        "SELECT count(*) FROM ec_settlement_line WHERE shop_id = ANY(%s)", [records.ids]
    )
    rows = cr.fetchone()[0]
    with Stage(label) as stage:
        stats, text = _profiled(lambda: Settlement._run_matching(records), profile)
        cr.commit()
    _rates(stage.info, rows)
    stage.info["stats"] = {k: v for k, v in stats.items() if k != "timings"}
    stage.info["steps_s"] = stats.get("timings")
    return stage.info, text


def stage_post(env, shops, profile=False):
    cr = env.cr
    bills = env["ec.settlement"].search(
        [("shop_id", "in", [s.id for s in shops.values()]), ("state", "!=", "error")]
    )
    cr.execute(
        "SELECT count(*) FROM ec_settlement_line WHERE settlement_id = ANY(%s)",
        [bills.ids],
    )
    rows = cr.fetchone()[0]
    with Stage("c. posting (action_post of every bill)") as stage:
        stats, text = _profiled(bills.action_post, profile)
        cr.commit()
    _rates(stage.info, rows)
    stage.info["stats"] = stats
    stage.info["bills"] = len(bills)
    return stage.info, text


def check_results(env, shops):
    """Invariants after posting (rows = wallet change, reconciliations)."""
    cr = env.cr
    shop_ids = [s.id for s in shops.values()]
    wallets = [s.wallet_journal_id.default_account_id.id for s in shops.values()]
    cr.execute(
        """
        SELECT count(*) FILTER (WHERE line.move_id IS NULL),
               SUM(line.amount) FILTER (WHERE line.currency_id = %s)
          FROM ec_settlement_line line
          JOIN ec_settlement bill ON bill.id = line.settlement_id
         WHERE line.shop_id = ANY(%s) AND bill.state != 'error'
        """,
        [env.company.currency_id.id, shop_ids],
    )
    unposted, rows_sum = cr.fetchone()
    cr.execute(
        """
        SELECT SUM(aml.balance) FROM account_move_line aml
          JOIN account_move move ON move.id = aml.move_id
         WHERE aml.account_id = ANY(%s) AND move.ec_settlement_id IS NOT NULL
           AND move.state = 'posted' AND aml.currency_id = %s
        """,
        [wallets, env.company.currency_id.id],
    )
    wallet_sum = cr.fetchone()[0]
    cr.execute(
        """
        SELECT count(*) FILTER (WHERE st.is_reconciled), count(*)
          FROM ec_settlement_line line
          JOIN account_bank_statement_line st ON st.id = line.statement_line_id
         WHERE line.shop_id = ANY(%s)
        """,
        [shop_ids],
    )
    payouts_reconciled, payouts_matched = cr.fetchone()
    cr.execute(
        """
        SELECT payment_state, count(*) FROM account_move
         WHERE move_type = 'out_invoice' AND partner_id = ANY(%s) GROUP BY 1
        """,
        [[s.partner_id.id for s in shops.values()]],
    )
    invoices = dict(cr.fetchall())
    return {
        "unposted_rows": unposted,
        "rows_sum_company_currency": float(rows_sum or 0),
        "wallet_change_company_currency": float(wallet_sum or 0),
        "payouts_matched": payouts_matched,
        "payouts_reconciled": payouts_reconciled,
        "invoices_by_payment_state": invoices,
    }


class _Rollback(Exception):
    pass


def explain(env, shops, top=4):
    """EXPLAIN ANALYZE of the slowest UPDATEs of a matching run (rolled back).

    The run is replayed with every UPDATE without RETURNING executed as
    ``EXPLAIN (ANALYZE, BUFFERS)`` (which runs it), so each plan sees the
    state the statements before it left.
    """
    from odoo.tools import SQL  # noqa: PLC0415

    from odoo.addons.ec_reconcile.tools import matching  # noqa: PLC0415

    cr = env.cr
    records = env["ec.shop"].browse(shop.id for shop in shops.values())
    Cursor = type(cr)
    original = Cursor.execute
    plans = []

    def execute(self, query, params=None, log_exceptions=True):
        code = query.code if isinstance(query, SQL) else str(query)
        head = " ".join(code.split())
        if not (
            head.upper().startswith(("UPDATE", "WITH"))
            and "UPDATE" in head.upper()
            and "RETURNING" not in head.upper()
        ):
            return original(self, query, params, log_exceptions)
        prefix = "EXPLAIN (ANALYZE, BUFFERS) "
        started = time.perf_counter()
        if isinstance(query, SQL):
            result = original(self, SQL(prefix + "%s", query), None, log_exceptions)
        else:
            result = original(self, prefix + code, params, log_exceptions)
        seconds = time.perf_counter() - started
        plan = "\n".join(row[0] for row in self.fetchall())
        plans.append((seconds, head[:200], plan))
        return result

    Cursor.execute = execute
    try:
        with cr.savepoint(flush=False):
            matching.run(env, records)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        Cursor.execute = original
    env.invalidate_all()
    plans.sort(key=lambda p: -p[0])
    return "\n".join(
        f"--- {seconds:.2f} s: {head}\n{plan}" for seconds, head, plan in plans[:top]
    )


def standard_match(env, shops, sample):
    """Per sale row: statement line, find its invoice, reconcile (rolled back)."""
    cr = env.cr
    shop_ids = [
        s.id for s in shops.values() if s.currency_id == env.company.currency_id
    ]
    cr.execute(
        """
        SELECT line.shop_id, line.order_ref, line.amount, line.date_local
          FROM ec_settlement_line line
          JOIN sale_order so ON so.id = line.sale_order_id
         WHERE line.shop_id = ANY(%s) AND line.kind = 'sale' AND line.amount > 0
           AND so.invoice_status = 'invoiced'
         ORDER BY line.id LIMIT %s
        """,
        [shop_ids, sample],
    )
    rows = cr.fetchall()
    shops_by_id = {s.id: s for s in shops.values()}
    StLine = env["account.bank.statement.line"].with_context(**NO_TRACKING)
    Order = env["sale.order"]
    with Stage("d1. standard path: statement lines created (sample)") as create:
        st_lines = StLine.create(
            [
                {
                    "journal_id": shops_by_id[shop_id].bank_journal_id.id,
                    "date": day,
                    "amount": float(amount),
                    "payment_ref": ref,
                }
                for shop_id, ref, amount, day in rows
            ]
        )
        env.flush_all()
    _rates(create.info, len(rows))
    reconciled = 0
    with Stage("d1. standard path: find invoice + reconcile, per line") as stage:
        for st_line, (shop_id, ref, _amount, _day) in zip(st_lines, rows, strict=True):
            order = Order.search(
                [("ec_shop_id", "=", shop_id), ("ec_order_ref", "=", ref)], limit=1
            )
            receivable = order.invoice_ids.line_ids.filtered(
                lambda x: x.account_type == "asset_receivable" and not x.reconciled
            )[:1]
            if not receivable:
                continue
            _liquidity, suspense, _other = st_line._seek_for_lines()
            suspense.account_id = receivable.account_id
            suspense.partner_id = receivable.partner_id
            (suspense | receivable).reconcile()
            reconciled += 1
        env.flush_all()
    _rates(stage.info, len(rows))
    stage.info["reconciled"] = reconciled
    cr.rollback()
    env.invalidate_all()
    return [create.info, stage.info]


def standard_post(env, shops, sample, chunk=500):
    """One account.move per row, created and posted in chunks (rolled back)."""
    from odoo.fields import Command  # noqa: PLC0415

    cr = env.cr
    company = env.company
    shop_ids = [s.id for s in shops.values() if s.currency_id == company.currency_id]
    cr.execute(
        """
        SELECT line.shop_id, line.kind, line.amount, line.date_local, line.order_ref
          FROM ec_settlement_line line
         WHERE line.shop_id = ANY(%s) AND line.amount != 0
         ORDER BY line.id LIMIT %s
        """,
        [shop_ids, sample],
    )
    rows = cr.fetchall()
    shops_by_id = {s.id: s for s in shops.values()}
    mappings = env["ec.fee.kind.mapping"]._get_mapping(env["ec.shop"].browse(shop_ids))
    receivable = shops_by_id[shop_ids[0]].partner_id.property_account_receivable_id
    Move = env["account.move"].with_context(**NO_TRACKING)
    with Stage("d2. standard path: one entry per row, chunks of %s" % chunk) as stage:
        for first in range(0, len(rows), chunk):
            vals = []
            for shop_id, kind, amount, day, ref in rows[first : first + chunk]:
                shop = shops_by_id[shop_id]
                mapping = mappings.get((shop_id, kind))
                account = mapping.account_id if mapping else receivable
                amount = float(amount)
                wallet = shop.wallet_journal_id.default_account_id
                vals.append(
                    {
                        "journal_id": shop.wallet_journal_id.id,
                        "date": day,
                        "ref": f"{kind} {ref or ''}",
                        "line_ids": [
                            Command.create(
                                {
                                    "account_id": wallet.id,
                                    "debit": max(amount, 0),
                                    "credit": max(-amount, 0),
                                }
                            ),
                            Command.create(
                                {
                                    "account_id": account.id,
                                    "partner_id": shop.partner_id.id,
                                    "debit": max(-amount, 0),
                                    "credit": max(amount, 0),
                                }
                            ),
                        ],
                    }
                )
            Move.create(vals)._post(soft=False)
        env.flush_all()
    _rates(stage.info, len(rows))
    cr.rollback()
    env.invalidate_all()
    return stage.info


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=20251111)
    parser.add_argument("--month", default="2025-11")
    parser.add_argument(
        "--out", help="month folder (default /tmp/ec_bench_month_<scale>)"
    )
    parser.add_argument("--std-rows", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--skip", default="", help="comma-separated: load,match,post,standard"
    )
    parser.add_argument(
        "--all-views",
        action="store_true",
        help="also import the second view of the same money (trade bills)",
    )
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    out = pathlib.Path(args.out or f"/tmp/ec_bench_month_{args.scale:g}")
    manifest = generate_month.generate(
        argparse.Namespace(
            scale=args.scale,
            seed=args.seed,
            out=str(out),
            month=args.month,
            days=0,
            big_sale_day=11,
            force=False,
            check=False,
        )
    )
    registry = bench_import.open_registry(args.db)
    results = {"stages": Stage.results}
    with registry.cursor() as cr:
        cr.execute("SELECT pg_backend_pid()")
        Stage.pg_pid = cr.fetchone()[0]
        env = bench_import.make_env(cr)
        results["machine"] = bench_import.machine_info(cr)
        company = bench_import.ensure_company(env)
        env = bench_import.make_env(cr, company)
        shops = ensure_setup(env, company, manifest)
        cr.commit()
        shop_ids = [s.id for s in shops.values()]
        _start, end = month_bounds(manifest)
        if "load" not in skip:
            # Resumable: orders already there are skipped.
            with Stage("setup: orders, deliveries, invoices (bulk_orders)") as stage:
                counts = bulk_orders.load(env, out, shops, period_end=end)
                cr.commit()
            stage.info.update(counts)
            results["orders_check"] = bulk_orders.check_sample(
                env, out, shops, period_end=end
            )
            print(f"orders check: {results['orders_check']}", flush=True)
        cr.execute(
            "SELECT count(*) FROM ec_settlement WHERE shop_id = ANY(%s)", [shop_ids]
        )
        if not cr.fetchone()[0]:
            files = [
                f
                for f in bench_import.read_files(out, manifest)
                if args.all_views or f[0]["bill"] not in SECOND_VIEWS
            ]
            bench_import.import_all(env, files, shops, "setup: import bills")
        else:
            removed = reset_results(env, shops)
            cr.commit()
            print(f"reset: {removed} entries of an earlier run removed")
        cr.execute(
            "SELECT count(*) FROM account_bank_statement_line "
            "WHERE journal_id = ANY(%s)",
            [[s.bank_journal_id.id for s in shops.values()]],
        )
        if not cr.fetchone()[0]:
            with Stage("setup: bank statement lines of the payouts") as stage:
                stage.info["lines"] = load_payouts(env, out, shops)
                cr.commit()
        if "match" not in skip:
            if args.profile:
                print(
                    "EXPLAIN ANALYZE, slowest matching UPDATEs:\n" + explain(env, shops)
                )
            info, text = stage_match(env, shops, "a. matching", args.profile)
            results["match"] = info
            if text:
                print("cProfile of matching:\n" + text)
            results["rematch"], _text = stage_match(env, shops, "b. matching again")
        if "post" not in skip:
            info, text = stage_post(env, shops, args.profile)
            results["post"] = info
            if text:
                print("cProfile of posting:\n" + text)
            results["post_check"] = check_results(env, shops)
        if "standard" not in skip:
            results["standard_match"] = standard_match(env, shops, args.std_rows)
            results["standard_post"] = standard_post(env, shops, args.std_rows)
    print_report(results)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


def print_report(results):
    print(
        "\n| Stage | Wall s | Python CPU s | PG CPU s | Load | Rows | Rows/s "
        "| Rows/CPU-s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for info in results["stages"]:
        print(
            f"| {info['stage']} | {info['wall_s']} | {info['cpu_s']} | "
            f"{info['pg_cpu_s']} | {info['load_avg']} | {info.get('rows', '')} | "
            f"{info.get('rows_per_s', '')} | {info.get('rows_per_cpu_s', '')} |"
        )
    match, post = results.get("match"), results.get("post")
    std_match = results.get("standard_match")
    std_post = results.get("standard_post")
    if match:
        print(f"\nmatching steps (s): {match.get('steps_s')}")
        print(f"matching stats: {match.get('stats')}")
    if post:
        print(f"posting stats: {post.get('stats')}")
        print(f"after posting: {results.get('post_check')}")
    if match and std_match:
        ours, std = match["rows_per_s"], std_match[1]["rows_per_s"] or 1e-9
        ours_cpu, std_cpu = (
            match["rows_per_cpu_s"],
            std_match[1]["rows_per_cpu_s"] or 1e-9,
        )
        print(
            f"matching: ours {ours} rows/s vs standard {std} rows/s "
            f"= {ours / std:.0f}x "
            f"(per CPU-s {ours_cpu} vs {std_cpu} = {ours_cpu / std_cpu:.0f}x)"
        )
    if post and std_post:
        ours, std = post["rows_per_s"], std_post["rows_per_s"] or 1e-9
        ours_cpu, std_cpu = post["rows_per_cpu_s"], std_post["rows_per_cpu_s"] or 1e-9
        print(
            f"posting: ours {ours} rows/s vs standard {std} rows/s "
            f"= {ours / std:.0f}x "
            f"(per CPU-s {ours_cpu} vs {std_cpu} = {ours_cpu / std_cpu:.0f}x); "
            f"month extrapolated through the standard path: "
            f"{post['rows'] / std / 3600:.1f} h"
        )


if __name__ == "__main__":
    sys.exit(main())
