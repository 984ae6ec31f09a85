# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Process-level tests: real Odoo workers on a scratch database.

One scratch database is shared by every process-level test of the session
(``scratch_db``): created with ``ec_reconcile`` installed the first time a
test asks for it (about 90 s), dropped at the end. Each test works on its own
shops (``shop_code``), so the tests do not see each other's rows.

- ``EC_E2E_DB=name`` names the scratch database (default ``ec_e2e_<pid>``);
- ``EC_E2E_KEEP=1`` keeps it after the run and reuses it on the next run
  (developer loop: no 90 s install);
- ``EC_SLOW_TESTS=1`` also runs the tests marked ``slow`` (200 MB bill...):
  ``EC_SLOW_TESTS=1 bash scripts/dev-test -m slow tests/e2e``.

At the end the figures of the issue note (faults injected, survived, rows lost,
duplicates) are printed and written to ``.test-logs/reliability_figures.json``.
"""

import json
import os
import pathlib
import sys
import uuid

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import e2e_helpers as helpers  # noqa: E402

# Databases that belong to people or CI jobs: never created, used or dropped here.
PROTECTED = {
    "postgres",
    "template0",
    "template1",
    "ec_dev",
    "ec_reconcile_demo",
    "ec_bench",
    "ec_dev_conn",
    "ec_dev_reports",
}


# ec_connectors too when it is in the checkout (two crons pulling one shop).
MODULES = ",".join(
    module
    for module in ("ec_reconcile", "ec_connectors")
    if (helpers.REPO / "addons" / module / "__manifest__.py").exists()
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: long test (minutes), skipped unless EC_SLOW_TESTS=1 "
        "(EC_SLOW_TESTS=1 bash scripts/dev-test -m slow tests/e2e)",
    )


def pytest_collection_modifyitems(config, items):
    if os.environ.get("EC_SLOW_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set EC_SLOW_TESTS=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _installed(dbname):
    try:
        return bool(
            helpers.scalar(
                dbname,
                "SELECT count(*) FROM ir_module_module "
                "WHERE name = 'ec_reconcile' AND state = 'installed'",
            )
        )
    except Exception:  # noqa: BLE001 - missing or half-created database
        return False


@pytest.fixture(scope="session")
def scratch_db(tmp_path_factory):
    name = os.environ.get("EC_E2E_DB") or f"ec_e2e_{os.getpid()}"
    if name in PROTECTED or name.startswith("ec_ci_check"):
        pytest.fail(f"refusing to use database {name} as a scratch database")
    keep = os.environ.get("EC_E2E_KEEP") == "1"
    logs = helpers.REPO / ".test-logs"
    logs.mkdir(exist_ok=True)
    if keep and helpers.database_exists(name) and _installed(name):
        # Reused: bring it up to date with the code (models change often).
        helpers.update_database(name, MODULES, logs / f"{name}.install.log")
    else:
        helpers.create_database(name, MODULES, logs / f"{name}.install.log")
    server = helpers.WorkerServer(name, tmp_path_factory.mktemp("worker_server"))
    try:
        yield name
    finally:
        helpers.reap_workers()
        server.stop()
        if not keep:
            helpers.drop_database(name)


@pytest.fixture(autouse=True)
def _reap_workers():
    yield
    helpers.reap_workers()


@pytest.fixture(scope="session")
def run_id():
    """Distinguishes the shops of this run from those of a kept database."""
    return uuid.uuid4().hex[:6].upper()


@pytest.fixture(scope="session")
def shop_codes(scratch_db, run_id, request, tmp_path_factory):
    """One Stripe shop (with 15 orders) per test that asks for ``shop_code``,
    all created by a single worker at the start of the session."""
    codes = {}
    for item in request.session.items:
        if "shop_code" in getattr(item, "fixturenames", ()):
            base = "".join(c for c in item.name.upper() if c.isalnum())[-16:]
            codes[item.nodeid] = f"{base}-{run_id}"
    if codes:
        helpers.run_worker(
            scratch_db,
            "setup",
            tmp_path_factory.mktemp("setup"),
            name="setup",
            shop=",".join(codes.values()),
        )
    return codes


@pytest.fixture
def shop_code(shop_codes, request):
    """The test's own shop: tests never see each other's rows."""
    return shop_codes[request.node.nodeid]


def pytest_terminal_summary(terminalreporter):
    if not helpers.FIGURES:
        return
    figures = {
        key: helpers.FIGURES[key]
        for key in ("faults injected", "faults survived", "rows lost", "duplicates")
    }
    terminalreporter.section("reliability figures (issue note)")
    for key, value in figures.items():
        terminalreporter.write_line(f"{key}: {value}")
    for note in helpers.FIGURE_NOTES:
        terminalreporter.write_line(f"  - {note}")
    logs = helpers.REPO / ".test-logs"
    logs.mkdir(exist_ok=True)
    (logs / "reliability_figures.json").write_text(
        json.dumps({**figures, "notes": helpers.FIGURE_NOTES}, indent=2)
    )
