#!/usr/bin/env bash
# The whole test suite: a fresh database, both add-ons installed, every test
# of the project through pytest-odoo, then browser tours through odoo-bin.
# Exits non-zero on any failing or erroring test, or when Odoo/PostgreSQL
# is missing.
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
set +e
"$PYTHON" -m pytest -p no:cacheprovider --odoo-database="$DB" \
    --odoo-addons-path="$ADDONS" --odoo-log-level=warn \
    --odoo-extra=http-interface=127.0.0.1 \
    -o python_files='test_*.py' -q "${paths[@]}" "$@"
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
    echo "ERROR: pytest collected no test" >&2
    rc=1
fi
log "test command finished in $(($(date +%s) - start)) s (pytest exit $rc)"
exit $rc
