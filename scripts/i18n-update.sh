#!/usr/bin/env bash
# Refresh the translation templates and the zh_CN catalogues of the three add-ons.
#
#   scripts/i18n-update.sh            (database: $EC_I18N_DB, default ec_i18n)
#
# 1. installs (new database) or updates (-u) the add-ons in the database, because
#    Odoo exports field labels, selections, views and menus from the records;
# 2. exports each add-on's template with Odoo's own exporter (`odoo i18n export`)
#    into addons/<module>/i18n/<module>.pot;
# 3. merges it into addons/<module>/i18n/zh_CN.po (kept translations, new entries
#    empty, removed entries deleted rather than left as #~ obsolete) with polib,
#    the library Odoo's exporter writes with, so the layout stays Odoo's;
# 4. lists every entry still untranslated or fuzzy, and exits 1 if there is one.
#
# EC_NO_UPDATE=1 skips step 1 (the database already has the current code).
# Then translate the listed entries (see addons/ec_reconcile/i18n/GLOSSARY.md) and run
#   EC_DEV_DB=<db> scripts/dev-test addons/ec_reconcile/tests/test_i18n.py
set -euo pipefail
source "$(dirname "$0")/lib.sh"
find_odoo
ensure_pg
DB="${EC_I18N_DB:-ec_i18n}"
LANG_CODE=zh_CN
OPTS=(--addons-path="$ADDONS" -d "$DB" --stop-after-init --http-interface=127.0.0.1
    --log-level=warn)

if [[ "${EC_NO_UPDATE:-}" != "1" ]]; then
    if "$PYTHON" -c 'import psycopg2, sys; psycopg2.connect(dbname=sys.argv[1]).close()' \
        "$DB" 2>/dev/null; then
        log "updating $MODULES in $DB"
        "${ODOO_CMD[@]}" "${OPTS[@]}" -u "$MODULES" 2>&1 | grep -v "security risk" || true
    else
        log "installing $MODULES into a new database $DB"
        "${ODOO_CMD[@]}" "${OPTS[@]}" -i "$MODULES" 2>&1 | grep -v "security risk" || true
    fi
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
for module in ${MODULES//,/ }; do
    log "exporting $module"
    "${ODOO_CMD[@]}" --addons-path="$ADDONS" i18n export -d "$DB" -o "$TMP/$module.pot" \
        "$module" 2>&1 | grep -Ev " INFO |security risk|http-interface" || true
    [[ -s "$TMP/$module.pot" ]] || die "the export of $module is empty: is it installed in $DB?"
done

"$PYTHON" - "$ADDONS" "$TMP" "$LANG_CODE" ${MODULES//,/ } <<'PY'
import pathlib
import shutil
import sys

import polib

addons, tmp, lang, modules = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4:]
missing = 0
for module in modules:
    i18n = addons / module / "i18n"
    pot_path, po_path = i18n / f"{module}.pot", i18n / f"{lang}.po"
    shutil.copyfile(tmp / f"{module}.pot", pot_path)
    pot = polib.pofile(str(pot_path))
    po = polib.pofile(str(po_path)) if po_path.exists() else polib.POFile()
    if not po.metadata:
        po.metadata = dict(pot.metadata, Language=lang)
    po.metadata["POT-Creation-Date"] = pot.metadata.get("POT-Creation-Date", "")
    po.merge(pot)
    for entry in po.obsolete_entries():
        po.remove(entry)
    po.save(str(po_path))
    todo = [e for e in po if not e.msgstr or e.fuzzy]
    missing += len(todo)
    print(f"{module}: {len(po)} entries, {len(todo)} untranslated or fuzzy ({po_path})")
    for entry in todo:
        where = entry.occurrences[0][0] if entry.occurrences else ""
        print(f"  [{where}] {entry.msgid!r}")
sys.exit(1 if missing else 0)
PY
