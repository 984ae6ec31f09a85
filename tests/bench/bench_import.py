#!/usr/bin/env python3
# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Settlement ledger benchmark: parse, import and re-import a month of bills.

Runs inside Odoo against a database where ``ec_reconcile`` is installed; it
builds its own environment (no odoo-bin), PostgreSQL through the ``PG*``
variables:

    PGHOST=127.0.0.1 PGUSER=odoo python3 tests/bench/bench_import.py \\
        --db ec_bench --scale 0.1

Stages, each with wall time, CPU time and peak memory:

a. parse: ``parse_file`` over every file of the month (pure Python);
b. import: ``ec.settlement._import_file`` per file, one commit per file;
c. re-import: the same files again (c1, same bytes: file-level dedupe) and
   with one trailing newline added (c2, new checksum: every row goes through
   the row-level dedupe); both must add zero lines;
d. Odoo's standard path on a sample: ``account.bank.statement.line``
   records, one per bill line, created in chunks into one bank journal per
   shop; rows/s per chunk size, and the ratio ours/standard.

``--profile`` adds a cProfile of the import of a sample of files. The time
spent in the parser, in the COPY insert (``ledger.insert_lines``) and in the
rest of the ORM is always measured (cheap wrappers).
"""

import argparse
import collections
import contextlib
import cProfile
import datetime as dt
import hashlib
import io
import json
import os
import pathlib
import platform
import pstats
import resource
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import generate_month  # noqa: E402

BENCH_COMPANY = "EC Bench Company"
NO_TRACKING = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
}


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------


def rss_mb():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_cpu_s(pid):
    """User + system CPU seconds of another process (the PostgreSQL backend)."""
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Stage:
    """Wall time, CPU time (Python and PostgreSQL backend), memory of a stage.

    The machine is shared: wall time depends on the load, CPU time much less.
    ``pg_pid`` is the backend serving the benchmark's cursor (same host).
    """

    results = []
    pg_pid = None

    def __init__(self, name):
        self.name = name
        self.info = {"stage": name}

    def __enter__(self):
        self.rss_before = rss_mb()
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        self.pg_cpu = process_cpu_s(Stage.pg_pid)
        return self

    def __exit__(self, *exc):
        self.info.update(
            wall_s=round(time.perf_counter() - self.wall, 2),
            cpu_s=round(time.process_time() - self.cpu, 2),
            pg_cpu_s=round(process_cpu_s(Stage.pg_pid) - self.pg_cpu, 2),
            load_avg=round(os.getloadavg()[0], 1),
            rss_mb=round(rss_mb(), 1),
            rss_growth_mb=round(rss_mb() - self.rss_before, 1),
            peak_rss_mb=round(peak_mb(), 1),
        )
        Stage.results.append(self.info)
        return False


class Timers:
    """Wrap functions to add up the time spent in them (re-entrancy safe)."""

    def __init__(self):
        self.seconds = collections.Counter()
        self.cpu = collections.Counter()
        self.calls = collections.Counter()
        self._patches = []

    def wrap(self, owner, attribute, label):
        original = getattr(owner, attribute)
        seconds, cpu, calls = self.seconds, self.cpu, self.calls
        depth = [0]

        def timed(*args, **kwargs):
            if depth[0]:
                return original(*args, **kwargs)
            depth[0] += 1
            start = time.perf_counter()
            start_cpu = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - start
                cpu[label] += time.process_time() - start_cpu
                calls[label] += 1
                depth[0] -= 1

        setattr(owner, attribute, timed)
        self._patches.append((owner, attribute, original))

    def total(self, counter=None):
        """Seconds of the top-level labels (sub-labels contain a dot)."""
        counter = self.seconds if counter is None else counter
        return sum(v for k, v in counter.items() if "." not in k)

    def reset(self):
        self.seconds.clear()
        self.calls.clear()

    def restore(self):
        for owner, attribute, original in reversed(self._patches):
            setattr(owner, attribute, original)
        self._patches = []


class _SqlTimingCursor:
    """Cursor proxy adding up the time of execute() and COPY (for ledger)."""

    def __init__(self, cr, seconds, label, cpu=None):
        self._cr = cr
        self._seconds = seconds
        self._cpu = cpu if cpu is not None else collections.Counter()
        self._label = label
        self._obj = _SqlTimingRaw(cr._obj, seconds, label, self._cpu)

    def execute(self, *args, **kwargs):
        start = time.perf_counter()
        start_cpu = time.process_time()
        try:
            return self._cr.execute(*args, **kwargs)
        finally:
            self._seconds[self._label] += time.perf_counter() - start
            self._cpu[self._label] += time.process_time() - start_cpu

    def __getattr__(self, name):
        return getattr(self._cr, name)


class _SqlTimingRaw:
    def __init__(self, raw, seconds, label, cpu):
        self._raw = raw
        self._seconds = seconds
        self._cpu = cpu
        self._label = label

    def copy_expert(self, *args, **kwargs):
        start = time.perf_counter()
        start_cpu = time.process_time()
        try:
            return self._raw.copy_expert(*args, **kwargs)
        finally:
            self._seconds[self._label] += time.perf_counter() - start
            self._cpu[self._label] += time.process_time() - start_cpu

    def __getattr__(self, name):
        return getattr(self._raw, name)


def machine_info(cr):
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as info:
        memory = int(info.readline().split()[1]) // 1024
    cr.execute("SHOW server_version")
    pg_version = cr.fetchone()[0]
    import odoo.release  # noqa: PLC0415

    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu": model,
        "memory_mb": memory,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "odoo": odoo.release.version,
        "postgresql": pg_version,
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


# ---------------------------------------------------------------------------
# Odoo environment
# ---------------------------------------------------------------------------


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
    if "ec.settlement" not in registry:
        raise SystemExit(f"ec_reconcile is not installed in database {db}")
    return registry


def make_env(cr, company=None):
    from odoo import api  # noqa: PLC0415

    context = dict(NO_TRACKING)
    if company:
        context["allowed_company_ids"] = [company.id]
    return api.Environment(cr, api.SUPERUSER_ID, context)


def ensure_company(env):
    Company = env["res.company"]
    company = Company.search([("name", "=", BENCH_COMPANY)], limit=1)
    cny = env.ref("base.CNY")
    usd = env.ref("base.USD")
    (cny | usd).filtered(lambda c: not c.active).write({"active": True})
    if not company:
        company = Company.create({"name": BENCH_COMPANY, "currency_id": cny.id})
        env.user.company_ids |= company
        env["account.chart.template"].try_loading(
            "generic_coa", company, install_demo=False
        )
    env.user.company_ids |= company
    return company


def ensure_shops(env, company, manifest):
    """One shop and one bank journal (its wallet) per shop of the manifest."""
    Shop = env["ec.shop"].with_company(company)
    Journal = env["account.journal"].with_company(company)
    currencies = {"CNY": env.ref("base.CNY"), "USD": env.ref("base.USD")}
    shops = {}
    for number, spec in enumerate(manifest["shops"], start=1):
        shop = Shop.search(
            [("company_id", "=", company.id), ("code", "=", spec["code"])], limit=1
        )
        currency = currencies[spec["currency"]]
        journal_code = f"EB{number:02d}"
        journal = Journal.search(
            [("company_id", "=", company.id), ("code", "=", journal_code)], limit=1
        )
        if not journal:
            journal = Journal.create(
                {
                    "name": f"{spec['code']} wallet",
                    "code": journal_code,
                    "type": "bank",
                    "company_id": company.id,
                    "currency_id": currency.id
                    if currency != company.currency_id
                    else False,
                }
            )
        vals = {
            "name": spec["name"],
            "code": spec["code"],
            "platform": spec["platform"],
            "company_id": company.id,
            "currency_id": currency.id,
            "platform_account": spec["platform_account"] or False,
            "external_shop_id": spec["external_shop_id"] or False,
            "wallet_journal_id": journal.id,
            "bank_journal_id": journal.id,
        }
        if "tz" in Shop._fields and spec.get("timezone"):
            vals["tz"] = spec["timezone"]
        if shop:
            shop.write(vals)
        else:
            shop = Shop.create(vals)
        shops[spec["code"]] = shop
    return shops


def reset_ledger(env, shops):
    """Remove what an earlier run imported for these shops."""
    shop_ids = [shop.id for shop in shops.values()]
    cr = env.cr
    cr.execute("SELECT id FROM ec_settlement WHERE shop_id = ANY(%s)", [shop_ids])
    bill_ids = [row[0] for row in cr.fetchall()]
    company = next(iter(shops.values())).company_id
    cr.execute(
        "SELECT id FROM ec_settlement WHERE shop_id IS NULL AND company_id = %s",
        [company.id],
    )
    bill_ids += [row[0] for row in cr.fetchall()]
    if not bill_ids:
        return 0
    for table in ("ec_exception", "ec_fee_allocation"):
        cr.execute("SELECT to_regclass(%s)", [table])
        if cr.fetchone()[0]:
            cr.execute(f"DELETE FROM {table} WHERE shop_id = ANY(%s)", [shop_ids])
    cr.execute("DELETE FROM ec_settlement_line WHERE shop_id = ANY(%s)", [shop_ids])
    cr.execute(
        "DELETE FROM mail_message WHERE model = 'ec.settlement' AND res_id = ANY(%s)",
        [bill_ids],
    )
    attachments = env["ir.attachment"].search(
        [("res_model", "=", "ec.settlement"), ("res_id", "in", bill_ids + [0])]
    )
    cr.execute("DELETE FROM ec_settlement WHERE id = ANY(%s)", [bill_ids])
    attachments.unlink()
    env.invalidate_all()
    return len(bill_ids)


# ---------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------


def read_files(out, manifest):
    files = []
    for entry in manifest["files"]:
        path = out / entry["path"]
        files.append((entry, path.name, path.read_bytes()))
    # Day order, as they arrive; monthly files last.
    files.sort(key=lambda f: (_file_day(f[1]), f[0]["shop"], f[1]))
    return files


def _file_day(name):
    digits = "".join(ch if ch.isdigit() else " " for ch in name).split()
    days = [d for d in digits if len(d) in (8, 10) and d.startswith("20")]
    return days[-1][:8] if days else "99999999"


def stage_parse(files):
    from odoo.addons.ec_reconcile.parsers import (  # noqa: PLC0415
        BillParseError,
        parse_file,
    )

    lines = rows = errors = 0
    by_bill = collections.defaultdict(lambda: [0.0, 0, 0])
    with Stage("a. parse (pure Python)") as stage:
        for entry, name, data in files:
            start = time.perf_counter()
            try:
                bills = parse_file(name, data)
            except BillParseError:
                errors += 1
                continue
            finally:
                by_bill[entry["bill"]][0] += time.perf_counter() - start
            n_lines = sum(len(bill.lines) for bill in bills)
            lines += n_lines
            rows += entry["rows"]
            by_bill[entry["bill"]][1] += n_lines
            by_bill[entry["bill"]][2] += entry["rows"]
    wall = stage.info["wall_s"] or 1e-9
    cpu = stage.info["cpu_s"] or 1e-9
    stage.info.update(
        rows_per_cpu_s=round(rows / cpu),
        lines_per_cpu_s=round(lines / cpu),
        files=len(files),
        refused=errors,
        rows=rows,
        lines=lines,
        rows_per_s=round(rows / wall),
        lines_per_s=round(lines / wall),
        per_bill={
            bill: {
                "seconds": round(sec, 2),
                "lines": n,
                "rows": r,
                "lines_per_s": round(n / sec) if sec else None,
            }
            for bill, (sec, n, r) in sorted(by_bill.items())
        },
    )
    return stage.info


def install_timers(env):
    from odoo.addons.ec_reconcile.models import (  # noqa: PLC0415
        ec_settlement as settlement_module,
    )
    from odoo.addons.ec_reconcile.parsers import (  # noqa: PLC0415
        registry as parser_registry,
    )
    from odoo.addons.ec_reconcile.tools import ledger  # noqa: PLC0415

    timers = Timers()
    # The import reads files through ec.bill.mapping._parse_file (user
    # mappings + presets) when that model exists, else parsers.parse_file.
    if "ec.bill.mapping" in env and hasattr(
        type(env["ec.bill.mapping"]), "_parse_file"
    ):
        timers.wrap(type(env["ec.bill.mapping"]), "_parse_file", "parse")
    elif hasattr(settlement_module, "parse_file"):
        timers.wrap(settlement_module, "parse_file", "parse")
    else:
        timers.wrap(parser_registry, "parse_file", "parse")
    timers.wrap(parser_registry, "detect", "parse.sniff")
    original_insert = ledger.insert_lines

    def insert_lines(cr, **kwargs):
        proxy = _SqlTimingCursor(cr, timers.seconds, "copy_insert.sql", timers.cpu)
        return original_insert(proxy, **kwargs)

    ledger.insert_lines = insert_lines
    timers._patches.append((ledger, "insert_lines", original_insert))
    timers.wrap(ledger, "insert_lines", "copy_insert")
    timers.wrap(ledger, "summarize", "summarize")
    model_class = type(env["ec.settlement"])
    timers.wrap(model_class, "_store_raw_file", "raw_attachment")
    timers.wrap(model_class, "message_post", "chatter")
    if hasattr(model_class, "_message_log"):
        timers.wrap(model_class, "_message_log", "chatter")
    return timers


def import_all(env, files, shops, label, *, mutate=False, timers=None):
    """Import every file through ``_import_file``, committing per file."""
    Settlement = env["ec.settlement"]
    cr = env.cr
    stats = collections.Counter()
    cr.execute("SELECT count(*) FROM ec_settlement_line")
    before = cr.fetchone()[0]
    with Stage(label) as stage:
        for entry, name, data in files:
            if mutate:
                data = data + (b"\n" if not data.endswith(b"\r\n") else b"\r\n")
            bills = Settlement._import_file(
                name, data, shop=shops[entry["shop"]], source="script"
            )
            for bill in bills:
                stats["bills"] += 1
                if bill.state == "error":
                    stats["error_bills"] += 1
                    continue
                if bills.env.context.get("ec_already_imported"):
                    stats["already_imported"] += 1
                    continue
                stats["rows_in_files"] += bill.parsed_count
                stats["new_lines"] += bill.line_count
                stats["duplicates"] += bill.duplicate_count
                stats["conflicts"] += bill.conflict_count
                stats["unclassified"] += bill.unclassified_count
                stats["mangled"] += bill.mangled_id_count
                stats["consistency_" + (bill.consistency or "none")] += 1
            start = time.perf_counter()
            start_cpu = time.process_time()
            cr.commit()
            if timers is not None:
                timers.seconds["commit"] += time.perf_counter() - start
                timers.cpu["commit"] += time.process_time() - start_cpu
            env.invalidate_all()
    cr.execute("SELECT count(*) FROM ec_settlement_line")
    added = cr.fetchone()[0] - before
    wall = stage.info["wall_s"] or 1e-9
    cpu = (stage.info["cpu_s"] + stage.info["pg_cpu_s"]) or 1e-9
    stage.info.update(
        lines_per_cpu_s=round(max(added, stats["rows_in_files"]) / cpu),
        files=len(files),
        **dict(stats),
        lines_added=added,
        lines_per_s=round(added / wall),
        normalized_lines_per_s=round(stats["rows_in_files"] / wall),
    )
    return stage.info


def storage(env, shops):
    """Bytes the imported lines take: row data of the lines, of their raw
    rows (when stored apart), and the size of the lines' indexes."""
    cr = env.cr
    shop_ids = [shop.id for shop in shops.values()]
    cr.execute(
        "SELECT count(*), COALESCE(sum(pg_column_size(line.*)), 0) "
        "FROM ec_settlement_line line WHERE shop_id = ANY(%s)",
        [shop_ids],
    )
    lines, line_bytes = cr.fetchone()
    raw_rows = raw_bytes = 0
    cr.execute("SELECT to_regclass('ec_settlement_raw_row')")
    if cr.fetchone()[0]:
        cr.execute(
            "SELECT count(*), COALESCE(sum(pg_column_size(raw.*)), 0) "
            "FROM ec_settlement_raw_row raw "
            "JOIN ec_settlement bill ON bill.id = raw.settlement_id "
            "WHERE bill.shop_id = ANY(%s)",
            [shop_ids],
        )
        raw_rows, raw_bytes = cr.fetchone()
    cr.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'ec_settlement_line'")
    indexes = cr.fetchone()[0]
    lines = lines or 1
    return {
        "lines": lines,
        "line_bytes_per_line": round(line_bytes / lines),
        "raw_rows": raw_rows,
        "raw_bytes_per_line": round(raw_bytes / lines),
        "line_indexes": indexes,
    }


def stage_import(env, files, shops):
    timers = install_timers(env)
    try:
        info = import_all(
            env,
            files,
            shops,
            "b. import (_import_file, commit per file)",
            timers=timers,
        )
    finally:
        timers.restore()
    info["breakdown_s"] = _split(timers.seconds, info["wall_s"], timers)
    info["breakdown_cpu_s"] = _split(timers.cpu, info["cpu_s"], timers)
    wall = info["wall_s"] or 1e-9
    info["breakdown_pct"] = {
        key: round(100 * value / wall, 1) for key, value in info["breakdown_s"].items()
    }
    files = info["files"] or 1
    lines = info.get("rows_in_files") or 1
    per = {}
    for key, value in info["breakdown_cpu_s"].items():
        if key in (
            "chatter",
            "raw_attachment",
            "commit",
            "parse.sniff",
            "orm_and_other",
        ):
            per[f"{key} ms/file"] = round(1000 * value / files, 2)
        elif key in (
            "parse.rows",
            "copy_insert.python",
            "copy_insert.sql",
            "summarize",
        ):
            per[f"{key} us/line"] = round(1e6 * value / lines, 1)
    per["postgres backend us/line"] = round(1e6 * info["pg_cpu_s"] / lines, 1)
    info["cpu_cost"] = per
    return info


def _split(counter, total, timers):
    parts = {
        "parse": counter.get("parse", 0.0),
        "parse.sniff": counter.get("parse.sniff", 0.0),
        "parse.rows": counter.get("parse", 0.0) - counter.get("parse.sniff", 0.0),
        "summarize": counter.get("summarize", 0.0),
        "copy_insert": counter.get("copy_insert", 0.0),
        "copy_insert.python": counter.get("copy_insert", 0.0)
        - counter.get("copy_insert.sql", 0.0),
        "copy_insert.sql": counter.get("copy_insert.sql", 0.0),
        "raw_attachment": counter.get("raw_attachment", 0.0),
        "chatter": counter.get("chatter", 0.0),
        "commit": counter.get("commit", 0.0),
    }
    parts["orm_and_other"] = total - timers.total(counter)
    return {key: round(value, 2) for key, value in parts.items()}


def stage_reimport(env, files, shops):
    same = import_all(env, files, shops, "c1. re-import, same bytes (file dedupe)")
    changed = import_all(
        env, files, shops, "c2. re-import, new checksum (row dedupe)", mutate=True
    )
    return same, changed


def profile_import(env, files, shops, sample, top):
    """cProfile of a fresh import of ``sample`` files (their bills removed first)."""
    cr = env.cr
    candidates = [f for f in files if not f[0].get("broken")]
    chosen = candidates[:: max(1, len(candidates) // sample)][:sample]
    shas = [hashlib.sha256(data).hexdigest() for _e, _n, data in chosen]
    cr.execute("SELECT id FROM ec_settlement WHERE file_sha256 = ANY(%s)", [shas])
    bill_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        "DELETE FROM ec_settlement_line WHERE settlement_id = ANY(%s)", [bill_ids]
    )
    cr.execute(
        "DELETE FROM mail_message WHERE model = 'ec.settlement' AND res_id = ANY(%s)",
        [bill_ids],
    )
    cr.execute("DELETE FROM ec_settlement WHERE id = ANY(%s)", [bill_ids])
    cr.commit()
    env.invalidate_all()
    profiler = cProfile.Profile()
    Settlement = env["ec.settlement"]
    lines = 0
    start = time.perf_counter()
    profiler.enable()
    for entry, name, data in chosen:
        bills = Settlement._import_file(
            name, data, shop=shops[entry["shop"]], source="script"
        )
        lines += sum(bill.line_count for bill in bills)
        cr.commit()
    profiler.disable()
    wall = time.perf_counter() - start
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return wall, len(chosen), lines, stream.getvalue()


def standard_sample(files, shops, wanted):
    """(journal id, date, ref, amount) of ``wanted`` bill lines, shop by shop."""
    from odoo.addons.ec_reconcile.parsers import (  # noqa: PLC0415
        BillParseError,
        parse_file,
    )

    by_shop = collections.defaultdict(list)
    for entry, name, data in files:
        if entry.get("broken") or len(by_shop[entry["shop"]]) > wanted:
            continue
        try:
            bills = parse_file(name, data)
        except BillParseError:
            continue
        journal = shops[entry["shop"]].wallet_journal_id.id
        for bill in bills:
            for line in bill.lines:
                by_shop[entry["shop"]].append(
                    (
                        journal,
                        (line.date or dt.datetime(2025, 11, 1)).date(),
                        f"{line.kind} {line.order_ref or ''} {line.transaction_id}"[
                            :64
                        ],
                        float(line.amount),
                    )
                )
    # Round robin over shops, so every chunk touches several journals.
    sample, queues = [], [list(reversed(rows)) for rows in by_shop.values()]
    while len(sample) < wanted and any(queues):
        for queue in queues:
            if queue and len(sample) < wanted:
                sample.append(queue.pop())
    return sample


def stage_standard(env, files, shops, rows, chunk_sizes):
    """account.bank.statement.line per bill line, in chunks; rolled back."""
    sample = standard_sample(files, shops, rows)
    Line = env["account.bank.statement.line"].with_context(**NO_TRACKING)
    results = []
    env.cr.commit()
    for chunk in chunk_sizes:
        timings = []
        with Stage(f"d. standard path, chunks of {chunk}") as stage:
            for first in range(0, len(sample), chunk):
                vals = [
                    {"journal_id": j, "date": d, "payment_ref": ref, "amount": amount}
                    for j, d, ref, amount in sample[first : first + chunk]
                ]
                start = time.perf_counter()
                Line.create(vals)
                env.flush_all()
                timings.append((len(vals), time.perf_counter() - start))
        env.cr.rollback()
        env.invalidate_all()
        wall = stage.info["wall_s"] or 1e-9
        cpu = (stage.info["cpu_s"] + stage.info["pg_cpu_s"]) or 1e-9
        first_n, first_s = timings[0]
        last_n, last_s = timings[-1]
        stage.info.update(
            rows=len(sample),
            chunk=chunk,
            rows_per_s=round(len(sample) / wall, 1),
            ms_per_row=round(1000 * wall / len(sample), 2),
            rows_per_cpu_s=round(len(sample) / cpu, 1),
            cpu_ms_per_row=round(1000 * cpu / len(sample), 2),
            first_chunk_ms_per_row=round(1000 * first_s / first_n, 2),
            last_chunk_ms_per_row=round(1000 * last_s / last_n, 2),
        )
        results.append(stage.info)
    return results


# ---------------------------------------------------------------------------
# Anomaly check
# ---------------------------------------------------------------------------


def anomaly_check(env, manifest, shops):
    cr = env.cr
    shop_ids = [shop.id for shop in shops.values()]
    counts = collections.Counter(a["type"] for a in manifest["anomalies"])
    cr.execute(
        "SELECT count(DISTINCT file_name) FROM ec_settlement "
        "WHERE state = 'error' AND shop_id = ANY(%s)",
        [shop_ids],
    )
    broken_files = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) FILTER (WHERE is_conflict), "
        "count(*) FILTER (WHERE is_unclassified), "
        "count(*) FILTER (WHERE flags LIKE '%%mangled_id%%') "
        "FROM ec_settlement_line WHERE shop_id = ANY(%s)",
        [shop_ids],
    )
    conflicts, unclassified, mangled = cr.fetchone()
    cr.execute(
        "SELECT count(DISTINCT file_name) FROM ec_settlement "
        "WHERE consistency = 'mismatch' AND shop_id = ANY(%s) AND state != 'error'",
        [shop_ids],
    )
    mismatching_bills = cr.fetchone()[0]
    return {
        "broken_files": (counts["broken_file"], broken_files),
        "conflicting_rows": (counts["conflicting_redelivery"], conflicts),
        "unclassified_rows": (counts["unclassifiable"], unclassified),
        "mangled_id_orders/lines": (counts["mangled_id"], mangled),
        # The re-download carrying the conflicting row no longer balances.
        "inconsistent_bills": (
            counts["footer_mismatch"] + counts["conflicting_redelivery"],
            mismatching_bills,
        ),
    }


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def _rate(info):
    for key, unit in (("lines_per_s", "l/s"), ("rows_per_s", "r/s")):
        if key in info:
            return f"{info[key]:,.0f} {unit}"
    return ""


def _cpu_rate(info):
    for key, unit in (("lines_per_cpu_s", "l/cpu-s"), ("rows_per_cpu_s", "r/cpu-s")):
        if key in info:
            return f"{info[key]:,.0f} {unit}"
    return ""


def print_report(results):
    machine = results["machine"]
    bar = "=" * 100
    print()
    print(bar)
    print(
        f"Machine: {machine['cores']} cores ({machine['usable_cores']} usable), "
        f"{machine['cpu']}, {machine['memory_mb']} MB RAM, load at start "
        f"{machine['load_avg']}"
    )
    print(
        f"Python {machine['python']}, Odoo {machine['odoo']}, "
        f"PostgreSQL {machine['postgresql']}, {machine['date']}"
    )
    month = results["month"]
    print(
        f"Month: scale {month['scale']}, {month['shops']} shops, {month['orders']} "
        f"orders, {month['files']} files, {month['rows']} bill rows"
    )
    print("-" * 100)
    print(
        f"{'stage':42s} {'wall s':>7s} {'py cpu':>7s} {'pg cpu':>7s} {'load':>5s} "
        f"{'wall rate':>12s} {'cpu rate':>16s} {'peak MB':>7s}"
    )
    for info in results["stages"]:
        print(
            f"{info['stage'][:42]:42s} {info['wall_s']:7.1f} {info['cpu_s']:7.1f} "
            f"{info['pg_cpu_s']:7.1f} {info['load_avg']:5.1f} {_rate(info):>12s} "
            f"{_cpu_rate(info):>16s} {info['peak_rss_mb']:7.0f}"
        )
    print("-" * 100)
    print("cpu rate = per CPU second of this process + its PostgreSQL backend")
    parse = results.get("parse")
    if parse:
        print(
            f"(a) parse: {parse['rows_per_s']:,} bill rows/s, "
            f"{parse['lines_per_s']:,} ledger lines/s wall; "
            f"{parse['lines_per_cpu_s']:,} lines/cpu-s "
            f"({parse['rows']} rows -> {parse['lines']} lines)"
        )
    imp = results.get("import")
    if imp:
        print(
            f"(b) import: {imp['lines_per_s']:,} new ledger lines/s wall, "
            f"{imp['lines_per_cpu_s']:,} lines/cpu-s ({imp['lines_added']} lines, "
            f"{imp['files']} files, {imp.get('error_bills', 0)} refused); "
            "goal 20,000/s on 2 cores"
        )
        print(
            "    wall split s: "
            + ", ".join(f"{k} {v}" for k, v in imp["breakdown_s"].items())
        )
        print(
            "    python cpu split s: "
            + ", ".join(f"{k} {v}" for k, v in imp["breakdown_cpu_s"].items())
        )
        print(
            "    cpu cost: " + ", ".join(f"{k} {v}" for k, v in imp["cpu_cost"].items())
        )
    stored = results.get("storage")
    if stored:
        print(
            f"    storage: {stored['line_bytes_per_line']} bytes of line data per "
            f"line, {stored['raw_bytes_per_line']} bytes of raw rows per line "
            f"({stored['raw_rows']} raw rows apart), "
            f"{stored['line_indexes']} indexes on ec_settlement_line"
        )
    for info in results.get("reimport", []):
        print(
            f"(c) {info['stage']}: NEW LINES = {info['lines_added']} "
            f"({info.get('duplicates', 0)} duplicates, {info.get('conflicts', 0)} "
            f"conflicts, {info.get('already_imported', 0)} files already imported, "
            f"{info.get('error_bills', 0)} refused)"
        )
    std = results.get("standard")
    if std:
        for info in std:
            print(
                f"(d) standard path, chunk {info['chunk']:>5}: "
                f"{info['rows_per_s']:7.1f} rows/s wall ({info['ms_per_row']} ms/row; "
                f"first chunk {info['first_chunk_ms_per_row']}, last "
                f"{info['last_chunk_ms_per_row']}), {info['cpu_ms_per_row']} cpu-ms/row"
            )
        best = max(std, key=lambda i: i["rows_per_s"])
        best_cpu = max(std, key=lambda i: i["rows_per_cpu_s"])
        if imp:
            month_lines = imp["lines_added"]
            wall_ratio = imp["lines_per_s"] / best["rows_per_s"]
            cpu_ratio = imp["lines_per_cpu_s"] / best_cpu["rows_per_cpu_s"]
            hours = month_lines / best["rows_per_s"] / 3600
            print(
                f"    ratio ours/standard: {wall_ratio:,.0f}x wall (best chunk "
                f"{best['chunk']}), {cpu_ratio:,.0f}x per cpu-s (best chunk "
                f"{best_cpu['chunk']}); this month's {month_lines} lines by the "
                f"standard path: ~{hours:,.1f} h wall vs {imp['wall_s'] / 60:.1f} min"
            )
    check = results.get("anomaly_check")
    if check:
        print(
            "Anomalies (in manifest / found in the ledger): "
            + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in check.items())
        )
    print(bar)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database with ec_reconcile")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=20251111)
    parser.add_argument("--month", default="2025-11")
    parser.add_argument("--days", type=int, default=0, help="fewer days (smoke test)")
    parser.add_argument(
        "--out", help="month folder (default /tmp/ec_bench_month_<scale>)"
    )
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument(
        "--std-rows",
        type=int,
        default=2000,
        help="bill lines for each standard-path configuration",
    )
    parser.add_argument(
        "--std-chunks", default="100,500,2000", help="chunk sizes of the standard path"
    )
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated stages to skip: parse,import,reimport,standard "
        "(without import, the ledger of an earlier run is kept)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="FILES",
        help="also cProfile the import of this many files",
    )
    parser.add_argument("--profile-top", type=int, default=35)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))

    default_out = f"/tmp/ec_bench_month_{args.scale:g}" + (
        f"_{args.days}d" if args.days else ""
    )
    out = pathlib.Path(args.out or default_out)
    manifest = generate_month.generate(
        argparse.Namespace(
            scale=args.scale,
            seed=args.seed,
            out=str(out),
            month=args.month,
            days=args.days,
            big_sale_day=11,
            force=args.regenerate,
            check=False,
        )
    )
    registry = open_registry(args.db)
    results = {"stages": Stage.results}
    with registry.cursor() as cr:
        cr.execute("SELECT pg_backend_pid()")
        Stage.pg_pid = cr.fetchone()[0]
        env = make_env(cr)
        results["machine"] = machine_info(cr)
        company = ensure_company(env)
        env = make_env(cr, company)
        shops = ensure_shops(env, company, manifest)
        if "import" not in skip:
            removed = reset_ledger(env, shops)
            cr.commit()
            if removed:
                print(f"removed {removed} bills of an earlier run", flush=True)
        files = read_files(out, manifest)
        results["month"] = {
            "scale": args.scale,
            "shops": len(manifest["shops"]),
            "orders": manifest["totals"]["orders"],
            "files": len(files),
            "rows": manifest["totals"]["rows"],
            "folder": str(out),
        }
        if "parse" not in skip:
            results["parse"] = stage_parse(files)
        if "import" not in skip:
            results["import"] = stage_import(env, files, shops)
            results["anomaly_check"] = anomaly_check(env, manifest, shops)
            results["storage"] = storage(env, shops)
        if not {"import", "reimport"} & skip:
            results["reimport"] = stage_reimport(env, files, shops)
        if args.profile and "import" not in skip:
            wall, count, lines, text = profile_import(
                env, files, shops, args.profile, args.profile_top
            )
            results["profile"] = {
                "files": count,
                "lines": lines,
                "wall_s": round(wall, 2),
            }
            print(
                f"cProfile of a fresh import of {count} files ({lines} lines), "
                f"{wall:.1f} s wall under the profiler:"
            )
            print(text)
        if "standard" not in skip:
            chunks = [int(c) for c in args.std_chunks.split(",") if c]
            results["standard"] = stage_standard(
                env, files, shops, args.std_rows, chunks
            )
    print_report(results)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
