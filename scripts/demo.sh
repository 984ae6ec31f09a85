#!/usr/bin/env bash
# The main job: a demo database with demo shops and bills, reconciled and
# posted, served on http://localhost:8069 (login admin / admin).
#   EC_DEMO_RESET=0   keep an existing demo database (docker compose does)
#   --init-only       prepare the database, do not serve
set -euo pipefail
source "$(dirname "$0")/lib.sh"

find_odoo
ensure_pg
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

if [[ "$RESET" == "1" ]] || ! db_ready; then
    drop_db "$DB"
    log "creating demo database $DB with $MODULES and demo data"
    "${ODOO_CMD[@]}" --addons-path="$ADDONS" -d "$DB" -i "$MODULES" --with-demo \
        --stop-after-init --http-interface="$INTERFACE" --log-level=warn ||
        die "installing $MODULES in $DB failed"
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
