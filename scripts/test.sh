#!/usr/bin/env bash
# The whole test suite: a fresh database, the add-ons installed, every test
# of the project through pytest-odoo, then the browser tours (pytest-odoo with
# an HTTP server, headless Chromium). Exits non-zero on any failing or
# erroring test, or when Odoo/PostgreSQL is missing (without Chromium the
# tours are skipped with a warning).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

find_odoo
ensure_pg
[[ "${EC_SKIP_PIP:-}" == "1" ]] || install_requirements

DB="${EC_TEST_DB:-ec_reconcile_test_$$}"
LOGDIR="${EC_LOG_DIR:-$ROOT/.test-logs}"
mkdir -p "$LOGDIR"
cleanup() { [[ "${EC_KEEP_DB:-}" == "1" ]] || drop_db "$DB" >/dev/null 2>&1 || true; }
trap cleanup EXIT

start=$(date +%s)
drop_db "$DB"
# Odoo appends to its log file: start empty so that an earlier run's errors do not count.
: >"$LOGDIR/install.log"
log "creating database $DB and installing $MODULES (log: $LOGDIR/install.log)"
if ! "${ODOO_CMD[@]}" --addons-path="$ADDONS" -d "$DB" -i "$MODULES" \
    --stop-after-init --http-interface=127.0.0.1 \
    --log-level=warn --logfile="$LOGDIR/install.log"; then
    tail -n 40 "$LOGDIR/install.log" >&2
    die "installing $MODULES failed (see $LOGDIR/install.log)"
fi
if grep -E " (ERROR|CRITICAL) " "$LOGDIR/install.log" >/dev/null; then
    grep -E " (ERROR|CRITICAL) " -A5 "$LOGDIR/install.log" | head -n 60 >&2
    die "errors while installing $MODULES (see $LOGDIR/install.log)"
fi
log "installed in $(($(date +%s) - start)) s"

cd "$ROOT"
paths=()
for dir in addons/ec_reconcile/tests addons/ec_connectors/tests addons/ec_connectors_queue/tests tests/e2e; do
    [[ -d "$dir" ]] && paths+=("$dir")
done
pytest_odoo=(-p no:cacheprovider --odoo-database="$DB" --odoo-addons-path="$ADDONS"
    --odoo-log-level=warn --odoo-extra=http-interface=127.0.0.1)
# The browser tours run apart, with an HTTP server (--odoo-http).
ui_tests=addons/ec_reconcile/tests/test_ui.py
set +e
"$PYTHON" -m pytest "${pytest_odoo[@]}" --ignore="$ui_tests" \
    -o python_files='test_*.py' -q "${paths[@]}" "$@"
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
    echo "ERROR: pytest collected no test" >&2
    rc=1
fi
log "tests finished in $(($(date +%s) - start)) s (pytest exit $rc)"

# Tours need Chromium, found by Odoo under these names (Debian: apt-get
# install chromium). Without it (the official odoo image) they are skipped
# with a warning, unless EC_REQUIRE_BROWSER=1; EC_SKIP_BROWSER=1 skips them.
# With it, a browser that does not start fails the run.
browser=""
for name in google-chrome chromium chromium-browser google-chrome-stable; do
    command -v "$name" >/dev/null && browser="$name" && break
done
if [[ "${EC_SKIP_BROWSER:-}" == "1" ]]; then
    log "EC_SKIP_BROWSER=1: browser tours skipped"
elif [[ -z "$browser" && "${EC_REQUIRE_BROWSER:-}" != "1" ]]; then
    echo "WARNING: browser tours SKIPPED: no Chromium in PATH (Debian/Ubuntu:" \
        "apt-get install chromium; EC_REQUIRE_BROWSER=1 makes this an error)" >&2
else
    log "browser tours ($ui_tests, headless ${browser:-Chromium})"
    set +e
    EC_REQUIRE_BROWSER=1 "$PYTHON" -m pytest "${pytest_odoo[@]}" --odoo-http \
        -o python_files='test_*.py' -q -rs "$ui_tests"
    ui_rc=$?
    set -e
    if [[ $ui_rc -ne 0 ]]; then
        echo "ERROR: browser tours failed (pytest exit $ui_rc)" >&2
        [[ $rc -ne 0 ]] || rc=1
    fi
    log "browser tours finished in $(($(date +%s) - start)) s (pytest exit $ui_rc)"
fi
exit $rc
