#!/usr/bin/env python3
# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One Odoo worker process for the process-level tests (tests/e2e).

    python3 tests/e2e/worker.py --db DB --action import --file bill.json \
        --shop E2E [--crash-at copy] [--marker PATH] [--result PATH]

Builds a registry the way odoo-bin does (``config.parse_config`` then
``Registry(db)``), runs one action in one transaction through
``odoo.service.model.retrying`` (what Odoo does for every RPC call: retried on
serialization failures and lock errors, committed at the end), writes the
outcome as JSON to ``--result`` and exits.

Fault hooks (test instrumentation, not product code): ``--crash-at POINT``
writes ``--marker`` and then sleeps forever at POINT, so the test can SIGKILL
the process while its transaction is open:

- ``copy``: in the middle of the bulk ``COPY`` of bill rows (the server has
  received part of the rows);
- ``after_insert``: rows inserted (COPY + INSERT done), bill not committed;
- ``match``: matching has linked rows and created exceptions, not committed;
- ``post``: entries created and posted (sequence numbers taken), rows not yet
  linked to them, not committed.

``--action serve --serve-dir DIR`` loads the registry once and forks one
child per request (what tests/e2e/e2e_helpers.py uses): same behaviour,
seconds faster per worker.

``--barrier DIR --party NAME --parties N --barrier-at POINT`` makes N workers
wait for each other at POINT (once): ``start`` (before the action),
``after_sha_check`` (import: after looking for an identical file, before
writing anything), ``locked`` (posting: rows locked; the worker then also
waits for ``DIR/go``), ``snapshot`` (the transaction's snapshot is taken, then
the worker waits for ``DIR/go`` before acting).
"""

import argparse
import io
import json
import os
import pathlib
import resource
import sys
import time
import traceback

REPO = pathlib.Path(__file__).resolve().parents[2]


def parse_args(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=str(REPO / "addons"))
    parser.add_argument("--action", required=True)
    parser.add_argument("--file")
    parser.add_argument("--shop", default="E2E")
    parser.add_argument("--platform", default="stripe")
    parser.add_argument("--currency", default="USD")
    parser.add_argument("--bill", type=int)
    parser.add_argument("--crash-at")
    parser.add_argument("--marker")
    parser.add_argument("--result")
    parser.add_argument("--barrier")
    parser.add_argument("--barrier-at")
    parser.add_argument("--party", default="worker")
    parser.add_argument("--parties", type=int, default=2)
    parser.add_argument("--no-retry", action="store_true")
    parser.add_argument("--fake-url")
    parser.add_argument("--fake-key")
    parser.add_argument("--bills-from")
    parser.add_argument("--serve-dir", help="action serve: requests folder")
    parser.add_argument("--log", help="forked child: its output")
    return parser.parse_args(argv)


ARGS = None


def touch(path, text=""):
    tmp = pathlib.Path(f"{path}.tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


def crash_point(name):
    """Announce the point, then wait to be killed (SIGKILL)."""
    if ARGS.crash_at != name:
        return
    touch(ARGS.marker, str(os.getpid()))
    while True:
        time.sleep(60)


_barriers_done = set()


def wait_for(path, timeout=120):
    deadline = time.monotonic() + timeout
    while not pathlib.Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.02)


def barrier(name):
    """Wait (once per point) until every party reached it."""
    if ARGS.barrier_at != name or name in _barriers_done:
        return
    _barriers_done.add(name)
    folder = pathlib.Path(ARGS.barrier)
    touch(folder / f"{name}.{ARGS.party}", str(os.getpid()))
    deadline = time.monotonic() + 120
    while len(list(folder.glob(f"{name}.*"))) < ARGS.parties:
        if time.monotonic() > deadline:
            raise TimeoutError(f"barrier {name}: the other workers never came")
        time.sleep(0.01)
    if name in ("locked", "snapshot"):
        wait_for(folder / "go")


class SlowBuffer:
    """StringIO that stops the COPY stream half-way (crash_at=copy)."""

    def __init__(self, *args):
        self._buffer = io.StringIO(*args)
        self._reads = 0

    def __getattr__(self, name):
        return getattr(self._buffer, name)

    def read(self, *args):
        self._reads += 1
        if self._reads == 3:
            crash_point("copy")
        return self._buffer.read(*args)

    def readline(self, *args):
        self._reads += 1
        if self._reads == 3:
            crash_point("copy")
        return self._buffer.readline(*args)


class IoProxy:
    """Stands for the io module in tools/ledger.py when crash_at=copy."""

    StringIO = SlowBuffer


def set_copy_hook():
    from odoo.addons.ec_reconcile.tools import ledger

    ledger.io = IoProxy if ARGS.crash_at == "copy" else io


def install_hooks():
    """Fault and barrier hooks around the add-on's own steps (they read the
    current ARGS when they run: installed once per process)."""
    from odoo.addons.ec_reconcile.models.ec_settlement import EcSettlement
    from odoo.addons.ec_reconcile.tools import ledger, matching, posting

    insert_lines = ledger.insert_lines

    def insert_lines_hooked(cr, **kwargs):
        result = insert_lines(cr, **kwargs)
        crash_point("after_insert")
        return result

    ledger.insert_lines = insert_lines_hooked

    find = EcSettlement._find_already_imported

    def find_hooked(self, sha256, shop):
        result = find(self, sha256, shop)
        barrier("after_sha_check")
        return result

    EcSettlement._find_already_imported = find_hooked

    sync = matching._sync_exceptions

    def sync_hooked(env, shops, candidates, now):
        result = sync(env, shops, candidates, now)
        env.flush_all()
        crash_point("match")
        return result

    matching._sync_exceptions = sync_hooked

    assign = posting._assign_templates

    def assign_hooked(cr, row_ids, templates):
        barrier("locked")  # the rows are locked FOR UPDATE at this point
        return assign(cr, row_ids, templates)

    posting._assign_templates = assign_hooked

    link = posting._link_rows

    def link_hooked(cr, plan, moves):
        moves.env.flush_all()
        crash_point("post")
        return link(cr, plan, moves)

    posting._link_rows = link_hooked


def open_registry():
    from odoo.tools import config

    config.parse_config(
        [
            f"--addons-path={ARGS.addons_path}",
            f"--database={ARGS.db}",
            "--http-interface=127.0.0.1",
            "--log-level=warn",
            "--max-cron-threads=0",
        ]
    )
    from odoo.modules.registry import Registry

    return Registry(ARGS.db)


def shop_of(env):
    shop = env["ec.shop"].search([("code", "=", ARGS.shop)], limit=1)
    if not shop:
        raise SystemExit(f"no shop {ARGS.shop} in {ARGS.db}")
    return shop


def do_import(env):
    data = pathlib.Path(ARGS.file).read_bytes()
    bills = env["ec.settlement"]._import_file(
        pathlib.Path(ARGS.file).name, data, shop=shop_of(env), source="script"
    )
    return {
        "bills": bills.ids,
        "states": bills.mapped("state"),
        "already": bool(bills.env.context.get("ec_already_imported")),
        "rows": sum(bills.mapped("line_count")),
        "errors": [m for m in bills.mapped("error_message") if m],
    }


def do_match(env):
    stats = env["ec.settlement"]._run_matching(shop_of(env))
    stats.pop("timings", None)
    return {"stats": stats}


def do_post(env):
    bills = env["ec.settlement"].browse(ARGS.bill)
    stats = bills.action_post()
    return {"stats": stats, "state": bills.state}


def do_prepare(env):
    """Import, then match (two committed transactions): a bill ready to post."""
    result = {"import": do_import(env)}
    env.cr.commit()
    result["match"] = do_match(env)
    return result


def do_pipeline(env):
    """Import, match, post, one committed transaction each."""
    result = {"import": do_import(env)}
    env.cr.commit()
    result["match"] = do_match(env)
    env.cr.commit()
    bills = env["ec.settlement"].browse(result["import"]["bills"])
    result["post"] = {"stats": bills.action_post()}
    return result


def do_setup(env):
    """Chart of accounts, one Stripe shop per code in --shop (a,b,c), with
    its fee accounts and 15 confirmed orders named like the bills' charges."""
    from odoo.fields import Command

    company = env.company
    if not company.chart_template:
        env["account.chart.template"].try_loading(
            "generic_coa", company, install_demo=False
        )
    env["ec.fee.kind.mapping"].action_create_defaults()
    currency = env.ref(f"base.{ARGS.currency}")
    currency.active = True
    product = env["product.product"].search([("default_code", "=", "E2E")])
    if not product:
        product = env["product.product"].create(
            {
                "name": "E2E product",
                "default_code": "E2E",
                "type": "consu",
                "list_price": 10.0,
                "invoice_policy": "order",
                "taxes_id": [Command.clear()],
            }
        )
    partner = env["res.partner"].search([("name", "=", "E2E platform")], limit=1)
    if not partner:
        partner = env["res.partner"].create(
            {"name": "E2E platform", "is_company": True}
        )
    created = []
    for code in ARGS.shop.split(","):
        if env["ec.shop"].search([("code", "=", code)]):
            continue
        used = set(env["account.journal"].search([]).mapped("code"))
        journal_code = next(
            f"W{n:04d}" for n in range(10000) if f"W{n:04d}" not in used
        )
        journal = env["account.journal"].create(
            {"name": f"Wallet {code}", "code": journal_code, "type": "bank"}
        )
        shop = env["ec.shop"].create(
            {
                "name": f"{ARGS.platform} {code}",
                "code": code,
                "platform": ARGS.platform,
                "currency_id": currency.id,
                "partner_id": partner.id,
                "wallet_journal_id": journal.id,
                "tz": "UTC",
            }
        )
        orders = env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "ec_shop_id": shop.id,
                    "ec_order_ref": f"ch_{code}_{index:03d}",
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "price_unit": 10.0,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
                for index in range(15)
            ]
        )
        orders.action_confirm()
        created.append(code)
    return {"created": created}


def do_connector_setup(env):
    """A Stripe shop pulled from the fake server at --fake-url (ec_connectors)."""
    shop = shop_of(env)
    shop.write(
        {
            "connector_active": True,
            "connector_bills_from": ARGS.bills_from,
            "credential_ids": [
                (0, 0, {"key": key, "value": str(value)})
                for key, value in {
                    "secret_key": ARGS.fake_key,
                    "base_url": ARGS.fake_url,
                    "timeout": 5,
                    "max_retries": 0,
                }.items()
            ],
        }
    )
    return {"shop": shop.id}


def do_cron_pull(env):
    """The scheduled bill pull, as the cron runs it (commits per step)."""
    env["ec.shop"]._cron_connector_pull_bills()
    bills = env["ec.connector.bill"].search([("shop_id", "=", shop_of(env).id)])
    return {"states": bills.mapped("state")}


ACTIONS = {
    "connector_setup": do_connector_setup,
    "cron_pull": do_cron_pull,
    "setup": do_setup,
    "import": do_import,
    "match": do_match,
    "post": do_post,
    "prepare": do_prepare,
    "pipeline": do_pipeline,
}


def main(argv=None):
    global ARGS
    ARGS = parse_args(argv if argv is not None else sys.argv[1:])
    registry = open_registry()
    install_hooks()
    if ARGS.action == "serve":
        return serve(registry)
    return run(registry)


def run(registry):
    """Run ARGS.action in one transaction (retried like an RPC call)."""
    set_copy_hook()
    _barriers_done.clear()
    # Caches changed by other processes are dropped, as Odoo does per request.
    registry = registry.check_signaling()
    from odoo import api
    from odoo.exceptions import UserError
    from odoo.service.model import retrying

    started = time.monotonic()
    outcome = {"ok": False, "pid": os.getpid(), "attempts": 0}
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})

        def action():
            outcome["attempts"] += 1
            if ARGS.barrier_at == "snapshot":
                # Fix the REPEATABLE READ snapshot now, act later.
                env.cr.execute("SELECT count(*) FROM ec_settlement_line")
            barrier("start")
            barrier("snapshot")
            return ACTIONS[ARGS.action](env)

        try:
            if ARGS.no_retry:
                result = action()
                cr.commit()
            else:
                result = retrying(action, env)
            outcome.update(ok=True, result=result)
        except UserError as error:
            cr.rollback()
            outcome.update(user_error=str(error.args[0]))
        except Exception as error:  # noqa: BLE001 - reported to the test
            cr.rollback()
            outcome.update(
                error=f"{type(error).__name__}: {error}",
                traceback=traceback.format_exc(),
            )
    outcome["seconds"] = round(time.monotonic() - started, 3)
    outcome["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    if ARGS.result:
        touch(ARGS.result, json.dumps(outcome, default=str))
    print(json.dumps(outcome, default=str))
    return 0


def serve(registry):
    """Fork server: the registry is loaded once; each request (a JSON list of
    arguments written to ``--serve-dir``/NAME.request) runs in a forked child
    with its own database connections. Writes NAME.pid, then NAME.exit.

    Loading a registry takes seconds; forking takes milliseconds: the
    process-level tests start dozens of workers.
    """
    import odoo.sql_db

    folder = pathlib.Path(ARGS.serve_dir)
    odoo.sql_db.close_all()  # children open their own connections
    touch(folder / "ready", str(os.getpid()))
    children = {}
    while not (folder / "stop").exists():
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if not pid:
                break
            name = children.pop(pid)
            touch(folder / f"{name}.exit", str(os.waitstatus_to_exitcode(status)))
        for request in sorted(folder.glob("*.request")):
            name, argv = request.stem, json.loads(request.read_text())
            request.unlink()
            pid = os.fork()
            if pid == 0:
                os._exit(serve_child(registry, argv))
            children[pid] = name
            touch(folder / f"{name}.pid", str(pid))
        time.sleep(0.01)
    return 0


def serve_child(registry, argv):
    global ARGS
    code = 1
    try:
        ARGS = parse_args(argv)
        log = os.open(ARGS.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.setpgid(0, 0)  # a kill of the child never reaches the server
        code = run(registry)
    except BaseException:  # noqa: BLE001 - the child reports and exits
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
