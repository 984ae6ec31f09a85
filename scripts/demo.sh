#!/usr/bin/env bash
# The main job: a demo database with demo shops and bills, reconciled and
# posted, served on http://localhost:8069 (login admin / admin).
#   EC_DEMO_RESET=0   keep an existing demo database (docker compose does)
#   --init-only       prepare the database, do not serve
set -euo pipefail
source "$(dirname "$0")/lib.sh"

find_odoo
ensure_pg
[[ "${EC_SKIP_PIP:-}" == "1" ]] || install_requirements runtime
DB="${EC_DEMO_DB:-ec_reconcile_demo}"
PORT="${EC_HTTP_PORT:-8069}"
INTERFACE="${EC_HTTP_INTERFACE:-127.0.0.1}"
RESET="${EC_DEMO_RESET:-1}"
INIT_ONLY=0
[[ "${1:-}" == "--init-only" ]] && INIT_ONLY=1

db_ready() {
    "$PYTHON" - "$DB" <<'PY' 2>/dev/null
import sys, psycopg2
conn = psycopg2.connect(dbname=sys.argv[1])
with conn.cursor() as cr:
    cr.execute("SELECT 1 FROM ir_module_module WHERE name = 'ec_connectors' AND state = 'installed'")
    sys.exit(0 if cr.fetchone() else 1)
PY
}

demo_ready() {
    "$PYTHON" - "$DB" <<'PY' 2>/dev/null
import sys, psycopg2
conn = psycopg2.connect(dbname=sys.argv[1])
with conn.cursor() as cr:
    cr.execute("SELECT count(*) FROM ec_settlement_line WHERE move_id IS NOT NULL")
    sys.exit(0 if cr.fetchone()[0] else 1)
PY
}

demo_summary() {
    "$PYTHON" - "$DB" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(dbname=sys.argv[1])
with conn.cursor() as cr:
    cr.execute("SELECT count(*) FROM ec_shop")
    shops = cr.fetchone()[0]
    cr.execute("SELECT count(*), count(*) FILTER (WHERE state = 'posted') FROM ec_settlement")
    bills, posted = cr.fetchone()
    cr.execute("SELECT count(*), count(DISTINCT move_id) FROM ec_settlement_line")
    rows, moves = cr.fetchone()
    cr.execute("SELECT count(*) FROM ec_exception WHERE state = 'open'")
    exceptions = cr.fetchone()[0]
print(f"==> demo: {shops} shops, {bills} bills ({posted} posted), {rows} rows, "
      f"{moves} journal entries, {exceptions} open exceptions", file=sys.stderr)
PY
}

if [[ "$RESET" == "1" ]] || ! db_ready; then
    drop_db "$DB"
    log "creating demo database $DB with $MODULES and demo data"
    LOG="${EC_LOG_DIR:-$ROOT/.test-logs}/demo-install.log"
    mkdir -p "$(dirname "$LOG")"
    "${ODOO_CMD[@]}" --addons-path="$ADDONS" -d "$DB" -i "$MODULES" --with-demo \
        --stop-after-init --http-interface="$INTERFACE" --log-level=warn \
        --logfile="$LOG" || die "installing $MODULES in $DB failed (see $LOG)"
    # Odoo logs a failing demo file and goes on: check the pipeline ran.
    if grep -E " (ERROR|CRITICAL) " "$LOG" >/dev/null || ! demo_ready; then
        grep -E " (ERROR|CRITICAL) " -A30 "$LOG" | tail -n 40 >&2
        die "the demo data failed to load (see $LOG)"
    fi
    demo_summary
else
    log "demo database $DB already exists (EC_DEMO_RESET=1 rebuilds it)"
fi
[[ $INIT_ONLY == 1 ]] && exit 0

echo
echo "  E-commerce Reconciliation demo: http://localhost:$PORT"
echo "  database: $DB   login: admin   password: admin"
echo
exec "${ODOO_CMD[@]}" --addons-path="$ADDONS" -d "$DB" --db-filter="^$DB\$" \
    --http-interface="$INTERFACE" --http-port="$PORT" --log-level=info
