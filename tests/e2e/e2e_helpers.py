# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Helpers of the process-level tests: scratch database, worker processes,
bills, SQL checks in fresh connections, and the figures of the issue note."""

import collections
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import psycopg2

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORKER = HERE / "worker.py"

# Figures for the issue note, printed at the end of the run (conftest.py).
FIGURES = collections.Counter()
FIGURE_NOTES = []


def record(injected=0, survived=0, lost=0, duplicates=0, note=None):
    FIGURES["faults injected"] += injected
    FIGURES["faults survived"] += survived
    FIGURES["rows lost"] += lost
    FIGURES["duplicates"] += duplicates
    if note:
        FIGURE_NOTES.append(note)


# ---------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------


def connect(dbname):
    """A fresh autocommit connection (what another session sees)."""
    conn = psycopg2.connect(dbname=dbname)
    conn.autocommit = True
    return conn


def query(dbname, sql, params=None):
    conn = connect(dbname)
    try:
        with conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else None
    finally:
        conn.close()


def scalar(dbname, sql, params=None):
    return query(dbname, sql, params)[0][0]


def drop_database(dbname):
    conn = connect("postgres")
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid != pg_backend_pid()",
                [dbname],
            )
            cr.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
    finally:
        conn.close()


def database_exists(dbname):
    return bool(
        scalar(
            "postgres", "SELECT count(*) FROM pg_database WHERE datname = %s", [dbname]
        )
    )


def odoo_command():
    odoo_bin = os.environ.get("ODOO_BIN")
    return [sys.executable, odoo_bin] if odoo_bin else [sys.executable, "-m", "odoo"]


def create_database(dbname, modules, logfile):
    drop_database(dbname)
    conn = connect("postgres")
    try:
        with conn.cursor() as cr:
            cr.execute(
                f"CREATE DATABASE \"{dbname}\" ENCODING 'UTF8' TEMPLATE template0"
            )
    finally:
        conn.close()
    update_database(dbname, modules, logfile, option="-i")


def update_database(dbname, modules, logfile, option="-u"):
    command = [
        *odoo_command(),
        f"--addons-path={REPO / 'addons'}",
        "-d",
        dbname,
        "-i",
        modules,
        *([option, modules] if option == "-u" else []),
        "--stop-after-init",
        "--http-interface=127.0.0.1",
        "--max-cron-threads=0",
        "--log-level=warn",
        f"--logfile={logfile}",
    ]
    subprocess.run(command, check=True, timeout=1800)


# ---------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------


LIVE_WORKERS = []
SERVERS = {}  # dbname -> WorkerServer


def reap_workers():
    """Kill the workers a failed test left behind (only ours, by pid)."""
    while LIVE_WORKERS:
        worker = LIVE_WORKERS.pop()
        if worker.process.poll() is None:
            worker.kill()


class WorkerServer:
    """tests/e2e/worker.py --action serve: loads the registry once and forks
    one child per worker (a registry takes seconds to load, a fork
    milliseconds). Children are real processes with their own connections."""

    def __init__(self, dbname, folder):
        self.dbname = dbname
        self.folder = folder
        self.count = 0
        self.log = open(folder / "server.log", "w")  # noqa: SIM115 - see stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                "--db",
                dbname,
                "--action",
                "serve",
                "--serve-dir",
                str(folder),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        deadline = time.monotonic() + 900
        while not (folder / "ready").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(
                    "worker server did not start:\n"
                    + (folder / "server.log").read_text()[-4000:]
                )
            time.sleep(0.05)
        SERVERS[dbname] = self

    def submit(self, name, argv):
        """Fork a child running ``argv``; returns its ForkedProcess."""
        self.count += 1
        key = f"{self.count:04d}-{name}"
        tmp = self.folder / f"{key}.tmp"
        tmp.write_text(json.dumps(argv))
        tmp.replace(self.folder / f"{key}.request")
        pid_file = self.folder / f"{key}.pid"
        deadline = time.monotonic() + 120
        while not pid_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("worker server stopped")
            time.sleep(0.005)
        return ForkedProcess(int(pid_file.read_text()), self.folder / f"{key}.exit")

    def stop(self):
        SERVERS.pop(self.dbname, None)
        (self.folder / "stop").write_text("")
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self.log.close()


class ForkedProcess:
    """The part of subprocess.Popen the tests use, for a forked child."""

    def __init__(self, pid, exit_file):
        self.pid = pid
        self.exit_file = exit_file
        self.returncode = None

    def poll(self):
        if self.returncode is None and self.exit_file.exists():
            text = self.exit_file.read_text().strip()
            self.returncode = int(text) if text else -1
        return self.returncode

    def wait(self, timeout=None):
        deadline = time.monotonic() + (timeout or 10**9)
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self.returncode


class Worker:
    """A worker process running tests/e2e/worker.py (forked by the database's
    WorkerServer when there is one, else a new process)."""

    def __init__(self, dbname, action, tmp_path, name="worker", **options):
        self.name = name
        self.dbname = dbname
        self.result_path = tmp_path / f"{name}.result.json"
        self.marker = tmp_path / f"{name}.marker"
        self.log_path = tmp_path / f"{name}.log"
        args = [
            "--db",
            dbname,
            "--action",
            action,
            "--result",
            str(self.result_path),
            "--marker",
            str(self.marker),
            "--party",
            name,
        ]
        for key, value in options.items():
            if value is None or value is False:
                continue
            flag = "--" + key.replace("_", "-")
            args += [flag] if value is True else [flag, str(value)]
        server = SERVERS.get(dbname)
        if server:
            self.log = None
            self.process = server.submit(name, [*args, "--log", str(self.log_path)])
        else:
            self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in wait/kill
            self.process = subprocess.Popen(
                [sys.executable, str(WORKER), *args],
                stdout=self.log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        LIVE_WORKERS.append(self)

    def _close_log(self):
        if self.log and not self.log.closed:
            self.log.close()

    def wait_marker(self, timeout=600):
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.name} ended before its crash point:\n{self.output()}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{self.name} never reached its crash point")
            time.sleep(0.02)

    def kill(self):
        """SIGKILL: no cleanup, no rollback from the client side."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self._close_log()
        return self.process.returncode

    def wait(self, timeout=900):
        try:
            self.process.wait(timeout=timeout)
        finally:
            self._close_log()
        if not self.result_path.exists():
            raise AssertionError(
                f"{self.name} exited {self.process.returncode} without a result:\n"
                f"{self.output()}"
            )
        return json.loads(self.result_path.read_text())

    def output(self):
        if self.log and not self.log.closed:
            self.log.flush()
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text()[-6000:]


def run_worker(dbname, action, tmp_path, name="worker", **options):
    outcome = Worker(dbname, action, tmp_path, name=name, **options).wait()
    assert "error" not in outcome, outcome.get("traceback") or outcome
    return outcome


def backend_activity(dbname):
    """(pid, state, query) of the other sessions on ``dbname``."""
    return query(
        dbname,
        "SELECT pid, state, query FROM pg_stat_activity "
        "WHERE datname = %s AND pid != pg_backend_pid()",
        [dbname],
    )


def wait_backends_gone(dbname, timeout=60):
    """PostgreSQL aborts a killed client's transaction when it notices."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [row for row in backend_activity(dbname) if row[1] != "idle"]
        if not busy:
            return
        time.sleep(0.05)
    raise AssertionError(f"sessions still busy on {dbname}: {busy}")


# ---------------------------------------------------------------------------
# Bills
# ---------------------------------------------------------------------------

DAY = 86400
MARCH_1 = 1709251200  # 2024-03-01 00:00 UTC


def stripe_txn(txn_id, amount, fee, created, source=None, txn_type="charge"):
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "created": created,
        "currency": "usd",
        "description": f"E2E {txn_type}",
        "fee": fee,
        "fee_details": (
            [
                {
                    "amount": fee,
                    "currency": "usd",
                    "description": "Stripe processing",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        ),
        "net": amount - fee,
        "reporting_category": txn_type,
        "source": source,
        "status": "available",
        "type": txn_type,
    }


def order_refs(shop_code, count=15):
    return [f"ch_{shop_code}_{index:03d}" for index in range(count)]


def stripe_bill(shop_code, bulk=1000, prefix="txn", days=4, start=0):
    """A Stripe balance-transactions bill for shop ``shop_code``.

    Day 1: one charge (10.00, fee 0.30) per known order of the shop, plus five
    charges of orders Odoo does not know; days 2..1+days: ``bulk`` charges
    without order (shop-level income) with their fees. Two rows per charge.
    Returns (bytes, expected): rows, days, amount.
    """
    items = []
    for index, ref in enumerate(order_refs(shop_code)):
        items.append(stripe_txn(f"{prefix}_o{index}", 1000, 30, MARCH_1 + 3600, ref))
    for index in range(5):
        ref = f"ch_{shop_code}_unknown_{index}"
        items.append(stripe_txn(f"{prefix}_u{index}", 2000, 60, MARCH_1 + 7200, ref))
    for index in range(start, start + bulk):
        created = MARCH_1 + DAY * (1 + index % days) + 60 + index % 3000
        amount = 500 + index % 1000
        items.append(
            stripe_txn(f"{prefix}_{index:07d}", amount, 20 + index % 9, created)
        )
    rows = 2 * len(items)
    total = sum(item["net"] for item in items)
    document = {
        "object": "list",
        "url": "/v1/balance_transactions",
        "has_more": False,
        "data": items,
    }
    # One item per line: the layout the API returns (pretty-printed).
    data = json.dumps(document, indent=1).encode()
    return data, {"rows": rows, "days": 1 + min(days, bulk), "net_cents": total}
