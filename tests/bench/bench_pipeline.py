#!/usr/bin/env python3
# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""End-to-end benchmark of a month: import -> match -> post -> reports.

Runs inside Odoo against a database where ``ec_reconcile`` is installed and
nothing of the bench company was imported yet (make one per run, e.g.
``createdb -T <installed db> <run db>``), PostgreSQL through ``PG*``:

    PGHOST=127.0.0.1 PGUSER=odoo python3 tests/bench/bench_pipeline.py \\
        --db ec_run --scale 0.01

Setup (not timed as a stage of the pipeline, but reported): the month is
generated (``generate_month.py``), the bench company, 40 shops and their
journals made (as ``bench_import.py`` does), the month's orders loaded in
bulk (``bulk_orders.py``: orders, deliveries, daily invoices, credit notes)
and a sample of them read back through the ORM, and the payouts of
``payouts.csv`` entered as bank statement lines of each shop's bank journal.

Stages, each with rows/s, wall time, CPU time (this process and its
PostgreSQL backend) and peak memory:

1. import: ``ec.settlement._import_file`` per file, one commit per file;
2. match: the matching engine over the 40 shops (``tools.matching.run``, the
   body of ``ec.settlement._run_matching``, with ``now`` = the day after the
   month so that "delivered, not settled after N days" means the same on
   every run);
3. post: ``ec.settlement.action_post`` on the wallet-ledger bills (one view
   of the money per platform), shop by shop;
4. reports: every report opened as the web client does (``bench_reports``);
5. standard path on a sample: one ``account.bank.statement.line`` per bill
   row and its reconciliation (sale rows against the order's invoice, the
   others against their account), rolled back; ratio ours / standard.

Then the exceptions found are compared with the anomalies the generator
injected (``manifest.json``), per type: found, missed and extra, with ids.
"""

import argparse
import collections
import datetime as dt
import json
import os
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_import  # noqa: E402
import bulk_orders  # noqa: E402
import generate_month  # noqa: E402
from bench_import import Stage  # noqa: E402

#: Bills that repeat money another bill of the same platform carries (the
#: order view of a two-view platform): imported and matched, not posted.
ORDER_VIEW_PARSERS = ("alipay_trade", "wechatpay_tradebill", "douyin_settle_bill")

#: manifest anomaly -> ec.exception type it must raise.
EXCEPTION_OF = {
    "amount_mismatch": "amount_mismatch",
    "unknown_order": "unknown_order",
    "settled_not_shipped": "settled_not_shipped",
    "unsettled_overdue": "delivered_unsettled",
    "conflicting_redelivery": "duplicate",
    "unclassifiable": "unclassified",
    "footer_mismatch": "bill_totals",
}


# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------


def ensure_bank_journals(env, company, shops):
    """A bank journal per shop for its payouts (the wallet is another one)."""
    Journal = env["account.journal"].with_company(company)
    for number, shop in enumerate(shops.values(), start=1):
        code = f"EP{number:02d}"
        journal = Journal.search(
            [("company_id", "=", company.id), ("code", "=", code)], limit=1
        )
        if not journal:
            journal = Journal.create(
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
        if shop.bank_journal_id != journal:
            shop.bank_journal_id = journal


def load_payouts(env, out, shops):
    """payouts.csv -> bank statement lines (the money arriving at the bank)."""
    import csv  # noqa: PLC0415

    cr = env.cr
    journals = [s.bank_journal_id.id for s in shops.values()]
    cr.execute(
        "SELECT count(*) FROM account_bank_statement_line st "
        "JOIN account_move m ON m.id = st.move_id WHERE m.journal_id = ANY(%s)",
        [journals],
    )
    if cr.fetchone()[0]:
        return 0
    vals = []
    with open(out / "payouts.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            shop = shops.get(row["shop"])
            if not shop:
                continue
            amount = abs(float(row["amount"]))
            vals.append(
                {
                    "journal_id": shop.bank_journal_id.id,
                    "date": row["date"][:10],
                    "payment_ref": f"{row['shop']} payout {row['reference']}"[:64],
                    "amount": amount,
                }
            )
    Line = env["account.bank.statement.line"].with_context(**bench_import.NO_TRACKING)
    for start in range(0, len(vals), 500):
        Line.create(vals[start : start + 500])
    return len(vals)


def setup(env, manifest, out, period_end, log, resume=False):
    company = bench_import.ensure_company(env)
    env = bench_import.make_env(env.cr, company)
    shops = bench_import.ensure_shops(env, company, manifest)
    ensure_bank_journals(env, company, shops)
    env["ec.fee.kind.mapping"].with_company(company).action_create_defaults()
    env.cr.commit()
    env.cr.execute(
        "SELECT count(*) FROM ec_settlement WHERE shop_id = ANY(%s)",
        [[s.id for s in shops.values()]],
    )
    if env.cr.fetchone()[0] and not resume:
        raise SystemExit(
            "bills were imported into this database already: run on a fresh copy "
            "(createdb -T <installed db> <new db>)"
        )
    info = {}
    with Stage("0a. setup: bulk orders") as stage:
        stats = bulk_orders.load(env, out, shops, period_end=period_end)
    stage.info.update(stats)
    info["orders"] = stage.info
    log(f"bulk orders: {stats}")
    with Stage("0b. setup: payouts on the bank") as stage:
        stage.info["statement_lines"] = load_payouts(env, out, shops)
        env.cr.commit()
    info["payouts"] = stage.info
    check = bulk_orders.check_sample(env, out, shops, period_end=period_end)
    # The check recomputes fields through the ORM: keep nothing of it.
    env.cr.rollback()
    env.invalidate_all()
    info["orm_check"] = check
    log(f"ORM read-back of {check['checked']}: problems {check['problems'] or 'none'}")
    return env, company, shops, info


# ---------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------


def stage_match(env, shops, as_of):
    from odoo.addons.ec_reconcile.tools import matching  # noqa: PLC0415

    shop_records = env["ec.shop"].browse([s.id for s in shops.values()])
    rows = _count(
        env,
        "SELECT count(*) FROM ec_settlement_line WHERE shop_id = ANY(%s)",
        shop_records.ids,
    )
    with Stage("2. match (40 shops, one run)") as stage:
        stats = matching.run(env, shop_records, now=as_of)
        env.cr.commit()
    stage.info.update(
        rows=rows,
        rows_per_s=round(rows / (stage.info["wall_s"] or 1e-9)),
        rows_per_cpu_s=round(
            rows / ((stage.info["cpu_s"] + stage.info["pg_cpu_s"]) or 1e-9)
        ),
        step_timings=stats.get("timings"),
        exceptions_by_type=stats.get("exceptions_by_type"),
        rows_linked=stats.get("rows_linked"),
        payouts_matched=stats.get("payouts_matched"),
        order_states=stats.get("order_states"),
    )
    return stage.info


def _count(env, query, *params):
    env.cr.execute(query, list(params))
    return env.cr.fetchone()[0]


def postable_bills(env, shops):
    Bill = env["ec.settlement"]
    bills = Bill.search(
        [("shop_id", "in", [s.id for s in shops.values()]), ("state", "!=", "error")]
    )
    parser_field = "parser_code" if "parser_code" in Bill._fields else "bill_type"
    return bills.filtered(
        lambda b: not any(p in (b[parser_field] or "") for p in ORDER_VIEW_PARSERS)
    )


def stage_post(env, shops):
    bills = postable_bills(env, shops)
    rows = _count(
        env,
        "SELECT count(*) FROM ec_settlement_line WHERE settlement_id = ANY(%s)",
        bills.ids,
    )
    totals = collections.Counter()
    errors = []
    with Stage("3. post (wallet-ledger bills, per shop)") as stage:
        for shop in shops.values():
            shop_bills = bills.filtered(lambda b, s=shop: b.shop_id == s)
            if not shop_bills:
                continue
            try:
                stats = shop_bills.action_post()
            except Exception as error:  # noqa: BLE001 - reported, run goes on
                env.cr.rollback()
                errors.append(f"{shop.code}: {error}")
                continue
            env.cr.commit()
            env.invalidate_all()
            for key in ("moves", "rows", "reconciled"):
                totals[key] += stats.get(key, 0)
    stage.info.update(
        bills=len(bills),
        rows_in_bills=rows,
        rows_per_s=round(totals["rows"] / (stage.info["wall_s"] or 1e-9)),
        rows_per_cpu_s=round(
            totals["rows"] / ((stage.info["cpu_s"] + stage.info["pg_cpu_s"]) or 1e-9)
        ),
        errors=errors,
        **totals,
    )
    return stage.info


def stage_reports(env, period_start, period_end):
    import bench_reports  # noqa: PLC0415

    with Stage("4. reports (open each, cold + warm)") as stage:
        timings = bench_reports.measure(env, period_start, period_end)
    stage.info["reports"] = timings
    return stage.info


# ---------------------------------------------------------------------------
# Standard path: statement lines + reconciliation, one entry per row
# ---------------------------------------------------------------------------


def stage_standard(env, shops, wanted, chunk=100):
    """Bill rows of the ledger re-entered as statement lines and reconciled."""
    cr = env.cr
    cr.execute(
        """
        SELECT line.id, line.shop_id, line.date_local, line.amount, line.kind,
               line.order_ref, line.transaction_id, line.sale_order_id
          FROM ec_settlement_line line
          JOIN ec_settlement bill ON bill.id = line.settlement_id
         WHERE line.shop_id = ANY(%s) AND line.currency_id = (
                SELECT currency_id FROM res_company WHERE id = bill.company_id)
         ORDER BY line.id
        """,
        [[s.id for s in shops.values()]],
    )
    by_shop = collections.defaultdict(list)
    for row in cr.fetchall():
        by_shop[row[1]].append(row)
    sample, queues = [], [list(reversed(rows)) for rows in by_shop.values()]
    while len(sample) < wanted and any(queues):
        for queue in queues:
            if queue and len(sample) < wanted:
                sample.append(queue.pop())
    shop_by_id = {s.id: s for s in shops.values()}
    company = next(iter(shops.values())).company_id
    mappings = env["ec.fee.kind.mapping"]._get_mapping(
        env["ec.shop"].browse(list(shop_by_id))
    )
    # Open receivable lines of each order's invoice.
    order_ids = [r[7] for r in sample if r[7]]
    receivable = {}
    if order_ids:
        cr.execute(
            """
            SELECT DISTINCT ON (sol.order_id) sol.order_id, term.id
              FROM sale_order_line sol
              JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
              JOIN account_move_line aml ON aml.id = rel.invoice_line_id
              JOIN account_move_line term ON term.move_id = aml.move_id
                   AND term.display_type = 'payment_term' AND NOT term.reconciled
             WHERE sol.order_id = ANY(%s) AND aml.parent_state = 'posted'
               AND aml.move_id IN (SELECT id FROM account_move
                                    WHERE move_type = 'out_invoice')
            """,
            [order_ids],
        )
        receivable = dict(cr.fetchall())
    Line = env["account.bank.statement.line"].with_context(**bench_import.NO_TRACKING)
    AML = env["account.move.line"]
    cr.commit()
    reconciled = other = 0
    with Stage(f"5. standard path ({len(sample)} rows, chunks of {chunk})") as stage:
        for first in range(0, len(sample), chunk):
            part = sample[first : first + chunk]
            st_lines = Line.create(
                [
                    {
                        "journal_id": shop_by_id[r[1]].wallet_journal_id.id,
                        "date": r[2],
                        "payment_ref": f"{r[4]} {r[5] or ''} {r[6]}"[:64],
                        "amount": float(r[3]),
                        "partner_id": shop_by_id[r[1]].partner_id.id,
                    }
                    for r in part
                ]
            )
            for st_line, row in zip(st_lines, part, strict=True):
                _liquidity, suspense, _other = st_line._seek_for_lines()
                target = receivable.get(row[7])
                invoice_line = AML.browse(target) if target else AML
                if (
                    invoice_line
                    and not invoice_line.reconciled
                    and row[4] in ("sale", "platform_coupon")
                    and row[3] > 0
                ):
                    # Odoo's own pattern (no widget in Community): move the
                    # suspense item to the receivable and reconcile.
                    suspense.write(
                        {
                            "account_id": invoice_line.account_id.id,
                            "partner_id": invoice_line.partner_id.id,
                        }
                    )
                    (suspense | invoice_line).reconcile()
                    reconciled += 1
                else:
                    mapping = mappings.get((row[1], row[4]))
                    account = (
                        mapping.account_id
                        if mapping
                        else company.account_journal_suspense_account_id
                    )
                    suspense.write({"account_id": account.id})
                    other += 1
            env.flush_all()
    cr.rollback()
    env.invalidate_all()
    wall = stage.info["wall_s"] or 1e-9
    cpu = (stage.info["cpu_s"] + stage.info["pg_cpu_s"]) or 1e-9
    stage.info.update(
        rows=len(sample),
        reconciled_to_invoice=reconciled,
        to_account=other,
        rows_per_s=round(len(sample) / wall, 1),
        rows_per_cpu_s=round(len(sample) / cpu, 1),
        ms_per_row=round(1000 * wall / max(len(sample), 1), 1),
    )
    return stage.info


# ---------------------------------------------------------------------------
# Exceptions found vs injected
# ---------------------------------------------------------------------------


def compare_exceptions(env, manifest, shops):
    code_of = {s.id: code for code, s in shops.items()}
    cr = env.cr
    cr.execute(
        """
        SELECT exc.exception_type, exc.shop_id, exc.order_ref, exc.key,
               bill.file_name, exc.message
          FROM ec_exception exc
     LEFT JOIN ec_settlement bill ON bill.id = exc.settlement_id
         WHERE exc.shop_id = ANY(%s) AND exc.state = 'open'
        """,
        [list(code_of)],
    )
    found = collections.defaultdict(list)
    for etype, shop_id, ref, key, file_name, message in cr.fetchall():
        found[etype].append(
            {
                "shop": code_of.get(shop_id),
                "order_ref": ref,
                "key": key,
                "file": file_name,
                "message": message,
            }
        )
    injected = collections.defaultdict(list)
    for anomaly in manifest["anomalies"]:
        injected[anomaly["type"]].append(anomaly)
    result = {}
    for atype, etype in EXCEPTION_OF.items():
        wanted = injected.get(atype, [])
        got = found.get(etype, [])
        if atype == "footer_mismatch":
            # The re-download carrying the conflicting row does not balance
            # either: it is a bill_totals too, expected.
            want_files = {pathlib.Path(a["file"]).name for a in wanted}
            want_files |= {
                pathlib.Path(a["file"]).name
                for a in injected.get("conflicting_redelivery", [])
                if a.get("file")
            }
            got_files = {g["file"] for g in got}
            result[atype] = _diff(want_files, got_files, len(wanted), etype)
            continue
        if atype in ("conflicting_redelivery", "unclassifiable"):
            want = {a["shop"] for a in wanted}
            got_keys = [g["shop"] for g in got]
            result[atype] = {
                "exception": etype,
                "injected": len(wanted),
                "found": len(got),
                "missed": sorted(want - set(got_keys)),
                "extra": [g["key"] for g in got if g["shop"] not in want],
            }
            continue
        want = {(a["shop"], a["order_no"]) for a in wanted}
        got_set = {(g["shop"], g["order_ref"]) for g in got}
        result[atype] = _diff(want, got_set, len(wanted), etype)
    # Refused files.
    cr.execute(
        "SELECT file_name FROM ec_settlement "
        "WHERE state = 'error' AND shop_id = ANY(%s)",
        [list(code_of)],
    )
    refused = {r[0] for r in cr.fetchall()}
    want = {pathlib.Path(a["file"]).name for a in injected.get("broken_file", [])}
    result["broken_file"] = _diff(want, refused, len(want), "bill state error")
    # Duplicated rows of overlapping files: dropped, no exception expected.
    cr.execute(
        "SELECT file_name, duplicate_count, line_count FROM ec_settlement "
        "WHERE shop_id = ANY(%s) AND duplicate_count > 0",
        [list(code_of)],
    )
    dups = {r[0]: (r[1], r[2]) for r in cr.fetchall()}
    want = {
        pathlib.Path(a["file"]).name: a.get("duplicate_lines")
        for a in injected.get("duplicate_overlap", [])
    }
    result["duplicate_overlap"] = {
        "exception": "(rows dropped as duplicates)",
        "injected": len(want),
        "found": sum(1 for f in want if f in dups),
        "missed": sorted(f for f in want if f not in dups),
        "extra": sorted(f for f in dups if f not in want),
        "detail": {f: dups.get(f) for f in want},
    }
    # Mangled ids: the rows must still reach their order.
    cr.execute(
        "SELECT count(*), count(sale_order_id) FROM ec_settlement_line "
        "WHERE shop_id = ANY(%s) AND flags LIKE '%%mangled_id%%'",
        [list(code_of)],
    )
    lines, linked = cr.fetchone()
    result["mangled_id"] = {
        "exception": "(rows flagged, linked to their order)",
        "injected": len(injected.get("mangled_id", [])),
        "found": lines,
        "linked_to_order": linked,
        "missed": [],
        "extra": [],
    }
    accounted = set(EXCEPTION_OF.values())
    for etype, rows in found.items():
        if etype in accounted:
            continue
        result[f"(not injected) {etype}"] = {
            "exception": etype,
            "injected": 0,
            "found": len(rows),
            "missed": [],
            "extra": [
                f"{r['shop']} {r['order_ref'] or r['file'] or r['key']}" for r in rows
            ],
        }
    return result


def _diff(want, got, injected, etype):
    return {
        "exception": etype,
        "injected": injected,
        "found": len(got & want),
        "missed": sorted(map(str, want - got)),
        "extra": sorted(map(str, got - want)),
    }


# ---------------------------------------------------------------------------
# Scale-out: import + match per shop as queue jobs, posting per shop
# ---------------------------------------------------------------------------


def start_server(db, port, workers, log):
    """Odoo with ``workers`` HTTP workers and the queue_job runner (ours)."""
    import subprocess  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    conf = tempfile.NamedTemporaryFile(
        "w", prefix=f"ec_pipe_{db}_", suffix=".conf", delete=False
    )
    conf.write(
        "[options]\n"
        f"addons_path = {bench_import.REPO / 'addons'}\n"
        f"db_name = {db}\n"
        f"dbfilter = ^{db}$\n"
        "http_interface = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"workers = {workers}\n"
        "max_cron_threads = 0\n"
        "server_wide_modules = base,web,queue_job\n"
        "limit_time_cpu = 3600\n"
        "limit_time_real = 7200\n"
        "limit_memory_soft = 4294967296\n"
        "limit_memory_hard = 6442450944\n"
        "log_level = warn\n"
        "[queue_job]\n"
        f"channels = root:{workers}\n"
    )
    conf.close()
    logfile = open(f"/tmp/ec_pipe_{db}_server.log", "w")  # noqa: SIM115
    import odoo  # noqa: PLC0415

    # odoo-bin rather than ``-m odoo``: the prefork server re-runs its own
    # argv[0] for the gevent process, which fails for odoo/__main__.py.
    odoo_bin = pathlib.Path(odoo.__path__[0]).parent / "odoo-bin"
    command = [str(odoo_bin)] if odoo_bin.exists() else ["-m", "odoo"]
    process = subprocess.Popen(
        [sys.executable, *command, "-c", conf.name],
        stdout=logfile,
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
    )
    log(f"odoo server pid {process.pid}, {workers} workers, log {logfile.name}")
    return process


def stage_queue(env, registry, files, shops, workers, port, log):
    """One job per shop: import its files and match it (the upload wizard's
    ``action_import``), spread by queue_job over ``workers`` Odoo workers;
    then one posting job per shop, enqueued twice (the second must post
    nothing)."""
    import base64  # noqa: PLC0415

    cr = env.cr
    by_shop = collections.defaultdict(list)
    for entry, name, data in files:
        by_shop[entry["shop"]].append((name, data))
    Attachment = env["ir.attachment"]
    Wizard = env["ec.settlement.import"]
    wizards = []
    for code, shop_files in by_shop.items():
        wizard = Wizard.create({"shop_id": shops[code].id})
        attachments = Attachment.create(
            [
                {
                    "name": name,
                    "datas": base64.b64encode(data),
                    "res_model": "ec.settlement.import",
                    "res_id": wizard.id,
                }
                for name, data in shop_files
            ]
        )
        wizard.attachment_ids = attachments
        wizards.append(wizard)
    cr.commit()
    process = start_server(env.cr.dbname, port, workers, log)
    try:
        time.sleep(15)  # workers and job runner up
        with Stage(
            f"Q1. import + match, {len(wizards)} jobs, {workers} workers"
        ) as stage:
            for wizard in wizards:
                wizard.with_delay(
                    description=f"bench import {wizard.shop_id.code}"
                ).action_import()
            cr.commit()
            jobs = _wait_jobs(env, "bench import", len(wizards), log)
        stage.info.update(jobs)
        rows = _count(
            env,
            "SELECT count(*) FROM ec_settlement_line WHERE shop_id = ANY(%s)",
            [s.id for s in shops.values()],
        )
        stage.info.update(
            rows=rows,
            rows_per_s=round(rows / (jobs["span_s"] or 1e-9)),
        )
        bills = postable_bills(env, shops)
        with Stage(f"Q2. post, {2 * len(shops)} jobs (each shop twice)") as stage2:
            for _repeat in range(2):
                for shop in shops.values():
                    shop_bills = bills.filtered(lambda b, s=shop: b.shop_id == s)
                    if shop_bills:
                        shop_bills.with_delay(
                            description=f"bench post {shop.code}"
                        ).action_post()
            cr.commit()
            post_jobs = _wait_jobs(env, "bench post", None, log)
        stage2.info.update(post_jobs)
    finally:
        process.terminate()
        process.wait(60)
    return stage.info, stage2.info


def _wait_jobs(env, prefix, expected, log, timeout=7200):
    cr = env.cr
    start = time.time()
    while True:
        cr.commit()  # new snapshot
        cr.execute(
            "SELECT state, count(*) FROM queue_job WHERE name LIKE %s GROUP BY state",
            [prefix + "%"],
        )
        states = dict(cr.fetchall())
        pending = sum(
            v for k, v in states.items() if k not in ("done", "failed", "cancelled")
        )
        if not pending and (expected is None or sum(states.values()) >= expected):
            break
        if time.time() - start > timeout:
            raise TimeoutError(f"jobs {prefix}: {states}")
        time.sleep(2)
    cr.execute(
        """
        SELECT count(*), min(date_created), max(date_done),
               extract(epoch FROM max(date_done) - min(date_created)),
               sum(extract(epoch FROM date_done - date_started)),
               count(*) FILTER (WHERE state = 'failed'),
               sum(retry), array_agg(DISTINCT worker_pid)
          FROM queue_job WHERE name LIKE %s
        """,
        [prefix + "%"],
    )
    count, first, last, span, busy, failed, retries, pids = cr.fetchone()
    cr.execute(
        "SELECT name, left(exc_info, 300) FROM queue_job "
        "WHERE name LIKE %s AND state = 'failed'",
        [prefix + "%"],
    )
    failures = cr.fetchall()
    info = {
        "jobs": count,
        "states": states,
        "span_s": round(float(span or 0), 2),
        "job_seconds": round(float(busy or 0), 2),
        "parallelism": round(float(busy or 0) / float(span or 1e-9), 2),
        "failed": failed,
        "retries": int(retries or 0),
        "worker_pids": len([p for p in pids or [] if p]),
        "failures": failures[:5],
    }
    log(f"jobs {prefix}: {info}")
    return info


def check_once(env, shops):
    """No row imported twice, no row posted twice, one entry per group."""
    cr = env.cr
    shop_ids = [s.id for s in shops.values()]
    cr.execute(
        """
        SELECT count(*), count(DISTINCT (shop_id, channel, transaction_id)),
               count(*) FILTER (WHERE move_id IS NOT NULL)
          FROM ec_settlement_line WHERE shop_id = ANY(%s)
        """,
        [shop_ids],
    )
    rows, distinct_txn, posted_rows = cr.fetchone()
    cr.execute(
        """
        SELECT count(*), count(DISTINCT (ec_settlement_id, date, journal_id, ref))
          FROM account_move
         WHERE ec_settlement_id IN (SELECT id FROM ec_settlement
                                     WHERE shop_id = ANY(%s))
           AND state = 'posted'
        """,
        [shop_ids],
    )
    moves, distinct_groups = cr.fetchone()
    cr.execute(
        """
        SELECT count(*) FROM (
            SELECT line.id FROM ec_settlement_line line
              JOIN account_move_line aml ON aml.move_id = line.move_id
             WHERE line.shop_id = ANY(%s)
             GROUP BY line.id HAVING count(DISTINCT aml.move_id) > 1) twice
        """,
        [shop_ids],
    )
    cr.execute(
        "SELECT count(*), count(DISTINCT file_sha256) FROM ec_settlement "
        "WHERE shop_id = ANY(%s) AND state != 'error'",
        [shop_ids],
    )
    bills, distinct_files = cr.fetchone()
    return {
        "ledger_rows": rows,
        "distinct_transaction_ids": distinct_txn,
        "rows_imported_twice": rows - distinct_txn,
        "bills": bills,
        "distinct_files": distinct_files,
        "posted_rows": posted_rows,
        "moves": moves,
        "distinct_move_groups": distinct_groups,
        "moves_duplicated": moves - distinct_groups,
    }


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def print_report(results):
    print("\n=== Month", json.dumps(results["month"]))
    print("=== Machine", json.dumps(results["machine"]))
    print(
        f"\n{'stage':<44} {'rows':>9} {'wall s':>8} {'CPU s':>7} {'PG CPU':>7} "
        f"{'rows/s':>8} {'rows/CPU-s':>10} {'peak MB':>8} {'load':>5}"
    )
    for info in results["stages"]:
        rows = info.get("rows", info.get("lines_added", info.get("orders", "")))
        rate = info.get("rows_per_s", info.get("lines_per_s", ""))
        cpu_rate = info.get("rows_per_cpu_s", info.get("lines_per_cpu_s", ""))
        print(
            f"{info['stage']:<44} {rows!s:>9} {info['wall_s']:>8} {info['cpu_s']:>7} "
            f"{info['pg_cpu_s']:>7} {rate!s:>8} {cpu_rate!s:>10} "
            f"{info['peak_rss_mb']:>8} {info['load_avg']:>5}"
        )
    pipe = results.get("pipeline")
    if pipe:
        print(
            f"\nimport + match + post: {pipe['wall_s']} s wall, {pipe['cpu_s']} s CPU "
            f"(Python {pipe['py_cpu_s']} + PostgreSQL {pipe['pg_cpu_s']}) for "
            f"{pipe['lines']} ledger lines: {pipe['lines_per_s']} lines/s wall, "
            f"{pipe['lines_per_cpu_s']} lines/CPU-s"
        )
    ratio = results.get("ratio")
    if ratio:
        print(
            f"standard path: {ratio['standard_rows_per_s']} rows/s wall, "
            f"{ratio['standard_rows_per_cpu_s']} rows/CPU-s -> ours/standard "
            f"{ratio['wall']}x wall, {ratio['cpu']}x per CPU-second"
        )
    print("\n=== Exceptions: injected vs found")
    for atype, info in results.get("exceptions", {}).items():
        print(
            f"{atype:<36} {info['exception']:<38} injected {info['injected']:>4} "
            f"found {info['found']:>4}  missed {len(info['missed'])}  "
            f"extra {len(info['extra'])}"
        )
        for label in ("missed", "extra"):
            if info[label]:
                shown = ", ".join(map(str, info[label][:8]))
                more = len(info[label]) - 8
                print(f"    {label}: {shown}" + (f" ... (+{more})" if more > 0 else ""))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--big-sale-day", type=int, default=0)
    parser.add_argument("--seed", type=int, default=20251111)
    parser.add_argument("--month", default="2025-11")
    parser.add_argument("--days", type=int, default=0)
    parser.add_argument("--out", help="month folder (default /tmp/ec_pipe_<args>)")
    parser.add_argument("--std-rows", type=int, default=300)
    parser.add_argument("--skip", default="", help="reports,standard")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument(
        "--queue-workers",
        type=int,
        default=0,
        help="scale-out: import + match + post as queue jobs over this many "
        "Odoo workers (starts its own Odoo server on --port)",
    )
    parser.add_argument("--port", type=int, default=8130)
    parser.add_argument(
        "--profile-post",
        type=int,
        default=0,
        metavar="N",
        help="print the N slowest functions (cProfile) of the posting stage",
    )
    parser.add_argument(
        "--after-post",
        action="store_true",
        help="the month was imported, matched and posted by an earlier run: "
        "only compare the exceptions, open the reports and run the standard path",
    )
    parser.add_argument(
        "--setup-only",
        action="store_true",
        help="load the orders and payouts, then stop (e.g. before createdb -T)",
    )
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))

    out = pathlib.Path(
        args.out
        or f"/tmp/ec_pipe_{args.scale:g}_b{args.big_sale_day}"
        + (f"_{args.days}d" if args.days else "")
    )
    start = time.perf_counter()
    manifest = generate_month.generate(
        argparse.Namespace(
            scale=args.scale,
            seed=args.seed,
            out=str(out),
            month=args.month,
            days=args.days,
            big_sale_day=args.big_sale_day,
            force=False,
            check=False,
        )
    )
    generated_s = round(time.perf_counter() - start, 1)
    year, month = map(int, args.month.split("-"))
    period_start = dt.date(year, month, 1)
    days = args.days or (
        (dt.date(year + month // 12, month % 12 + 1, 1) - period_start).days
    )
    period_end = period_start + dt.timedelta(days=days)
    # Reconciled the morning after the month (UTC+8 shops: their whole month).
    as_of = dt.datetime.combine(period_end, dt.time(0, 0))
    log = lambda *a: print(*a, flush=True)  # noqa: E731

    registry = bench_import.open_registry(args.db)
    results = {"stages": Stage.results}
    with registry.cursor() as cr:
        cr.execute("SELECT pg_backend_pid()")
        Stage.pg_pid = cr.fetchone()[0]
        env = bench_import.make_env(cr)
        results["machine"] = bench_import.machine_info(cr)
        results["command"] = " ".join(["tests/bench/bench_pipeline.py", *sys.argv[1:]])
        env, company, shops, results["setup"] = setup(
            env, manifest, out, as_of, log, resume=args.after_post
        )
        if args.setup_only:
            print(json.dumps(results["setup"], indent=1, default=str))
            return 0
        files = bench_import.read_files(out, manifest)
        results["month"] = {
            "scale": args.scale,
            "big_sale_day": args.big_sale_day,
            "shops": len(manifest["shops"]),
            "orders": manifest["totals"]["orders"],
            "files": len(files),
            "bill_rows": manifest["totals"]["rows"],
            "generated_s": generated_s,
            "folder": str(out),
        }
        log(f"month: {results['month']}")
        if args.queue_workers:
            q_import, q_post = stage_queue(
                env, registry, files, shops, args.queue_workers, args.port, log
            )
            results["queue"] = {
                "workers": args.queue_workers,
                "import_match": q_import,
                "post": q_post,
                "once": check_once(env, shops),
            }
            results["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
            print(json.dumps(results["queue"], indent=1, default=str))
            if args.json:
                pathlib.Path(args.json).write_text(
                    json.dumps(results, indent=1, default=str)
                )
            return 0
        if args.after_post:
            results["exceptions"] = compare_exceptions(env, manifest, shops)
            results["once"] = check_once(env, shops)
            if "reports" not in skip:
                results["reports"] = stage_reports(env, period_start, period_end)
            if "standard" not in skip and args.std_rows:
                results["standard"] = stage_standard(env, shops, args.std_rows)
            if args.json:
                pathlib.Path(args.json).write_text(
                    json.dumps(results, indent=1, default=str)
                )
            print(json.dumps(results, indent=1, default=str))
            return 0
        info = bench_import.import_all(env, files, shops, "1. import (_import_file)")
        info["rows"] = info["lines_added"]
        info["rows_per_s"] = info["lines_per_s"]
        info["rows_per_cpu_s"] = info["lines_per_cpu_s"]
        log(f"import: {info}")
        match = stage_match(env, shops, as_of)
        log(f"match: {match}")
        if args.profile_post:
            import cProfile  # noqa: PLC0415
            import io  # noqa: PLC0415
            import pstats  # noqa: PLC0415

            profiler = cProfile.Profile()
            post = profiler.runcall(stage_post, env, shops)
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream)
            stats.sort_stats("cumulative").print_stats(args.profile_post)
            stats.sort_stats("tottime").print_stats(args.profile_post)
            print(stream.getvalue())
        else:
            post = stage_post(env, shops)
        log(f"post: {post}")
        stages = (info, match, post)
        py_cpu = sum(s["cpu_s"] for s in stages)
        pg_cpu = sum(s["pg_cpu_s"] for s in stages)
        wall = sum(s["wall_s"] for s in stages)
        lines = info["lines_added"]
        results["pipeline"] = {
            "wall_s": round(wall, 1),
            "py_cpu_s": round(py_cpu, 1),
            "pg_cpu_s": round(pg_cpu, 1),
            "cpu_s": round(py_cpu + pg_cpu, 1),
            "lines": lines,
            "lines_per_s": round(lines / (wall or 1e-9)),
            "lines_per_cpu_s": round(lines / ((py_cpu + pg_cpu) or 1e-9)),
        }
        results["exceptions"] = compare_exceptions(env, manifest, shops)
        results["once"] = check_once(env, shops)
        if "reports" not in skip:
            results["reports"] = stage_reports(env, period_start, period_end)
        if "standard" not in skip and args.std_rows:
            std = stage_standard(env, shops, args.std_rows)
            results["ratio"] = {
                "standard_rows_per_s": std["rows_per_s"],
                "standard_rows_per_cpu_s": std["rows_per_cpu_s"],
                "wall": round(
                    results["pipeline"]["lines_per_s"] / (std["rows_per_s"] or 1e-9), 1
                ),
                "cpu": round(
                    results["pipeline"]["lines_per_cpu_s"]
                    / (std["rows_per_cpu_s"] or 1e-9),
                    1,
                ),
            }
        results["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    print_report(results)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
