# shellcheck shell=bash
# Shared helpers for the project's commands (sourced, not run).
# Finds Odoo and PostgreSQL, fails fast with a message saying what to set.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ADDONS="$ROOT/addons"
MODULES="ec_reconcile,ec_connectors,ec_connectors_queue"

export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-odoo}"
# Superuser used only to create the project's role when it is missing.
PG_SUPERUSER="${PG_SUPERUSER:-postgres}"
PYTHON="${PYTHON:-python3}"

die() {
    echo "ERROR: $*" >&2
    exit 2
}

log() {
    echo "==> $*" >&2
}

# Sets ODOO_CMD (array) and makes `import odoo` work for pytest.
find_odoo() {
    if [[ -n "${ODOO_BIN:-}" ]]; then
        [[ -x "$ODOO_BIN" || -f "$ODOO_BIN" ]] ||
            die "ODOO_BIN=$ODOO_BIN does not exist. Point ODOO_BIN at Odoo 19's odoo-bin, or unset it and make 'import odoo' work in $PYTHON."
        # A source checkout: make its package importable for pytest-odoo too.
        export PYTHONPATH="$(cd "$(dirname "$ODOO_BIN")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
        ODOO_CMD=("$PYTHON" "$ODOO_BIN")
    else
        ODOO_CMD=("$PYTHON" -m odoo)
    fi
    local version
    if ! version="$("$PYTHON" -c 'import odoo.release as r; print(r.version_info[0])' 2>/dev/null)"; then
        die "Odoo 19 is not installed for $PYTHON. Install Odoo 19.0 Community (e.g. 'pip install -e <odoo-source> --no-deps' after its requirements.txt) or set ODOO_BIN=/path/to/odoo-19/odoo-bin."
    fi
    [[ "$version" == "19" ]] || die "Odoo $version found for $PYTHON; this project needs Odoo 19.0. Set ODOO_BIN or PYTHON."
    ODOO_SRC="$("$PYTHON" -c 'import odoo.release, os; print(os.path.dirname(os.path.dirname(odoo.release.__file__)))')"
}

pg_reachable() {
    pg_isready -q -h "$PGHOST" -p "$PGPORT" -t 5 2>/dev/null ||
        "$PYTHON" - <<'PY' 2>/dev/null
import os, socket, sys
s = socket.socket(); s.settimeout(3)
sys.exit(s.connect_ex((os.environ["PGHOST"], int(os.environ["PGPORT"]))))
PY
}

# Checks the server, creates the project's role (LOGIN CREATEDB) if missing.
ensure_pg() {
    pg_reachable ||
        die "PostgreSQL is not reachable on $PGHOST:$PGPORT. Start PostgreSQL (15+) or set PGHOST/PGPORT/PGUSER/PGPASSWORD."
    [[ "$PGUSER" != "postgres" ]] ||
        die "Odoo refuses the 'postgres' superuser. Set PGUSER to another role (default: odoo)."
    if "$PYTHON" -c 'import psycopg2; psycopg2.connect(dbname="postgres").close()' 2>/dev/null; then
        return 0
    fi
    log "creating PostgreSQL role '$PGUSER' (LOGIN CREATEDB) as $PG_SUPERUSER"
    command -v psql >/dev/null || die "psql is missing: create the role '$PGUSER' with LOGIN CREATEDB yourself, or install the PostgreSQL client."
    psql -v ON_ERROR_STOP=1 -q -U "$PG_SUPERUSER" -d postgres <<SQL ||
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PGUSER') THEN
        CREATE ROLE "$PGUSER" LOGIN CREATEDB;
    END IF;
END
\$\$;
SQL
        die "could not create role '$PGUSER' as '$PG_SUPERUSER'. Create it (LOGIN CREATEDB) or set PGUSER/PGPASSWORD to an existing one."
}

drop_db() {
    "$PYTHON" - "$1" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(dbname="postgres")
conn.autocommit = True
with conn.cursor() as cr:
    cr.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
        (sys.argv[1],),
    )
    cr.execute('DROP DATABASE IF EXISTS "%s"' % sys.argv[1].replace('"', ""))
PY
}

# install_requirements [runtime]: the add-ons' packages (+ test tools unless "runtime").
install_requirements() {
    local constraint=() extra=() files=(-r "$ROOT/requirements.txt")
    [[ "${1:-}" == "runtime" ]] || files+=(-r "$ROOT/requirements-test.txt")
    [[ -f "$ODOO_SRC/requirements.txt" ]] && constraint=(-c "$ODOO_SRC/requirements.txt")
    # Debian/Ubuntu system Pythons (the official Odoo image) are "externally managed".
    if "$PYTHON" -c 'import sys, sysconfig, os; sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
        extra=(--break-system-packages)
        # Not root (the official image runs as "odoo"): the user's site-packages.
        [[ "$(id -u)" == "0" ]] || extra+=(--user)
    fi
    log "installing Python requirements"
    "$PYTHON" -m pip install -q --disable-pip-version-check "${extra[@]}" \
        "${files[@]}" "${constraint[@]}" ||
        die "pip could not install the project's requirements"
    "$PYTHON" -m pip install -q --disable-pip-version-check "${extra[@]}" --no-deps \
        -r "$ROOT/requirements-oca.txt" ||
        die "pip could not install the OCA add-ons of requirements-oca.txt"
}
