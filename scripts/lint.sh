#!/usr/bin/env bash
# Offline lint: ruff (check + format) and pylint-odoo's OCA mandatory checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m ruff --version >/dev/null 2>&1 && "$PYTHON" -m pylint --version >/dev/null 2>&1 ||
    "$PYTHON" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
"$PYTHON" -m ruff check --no-fix addons tests scripts
"$PYTHON" -m ruff format --check addons tests scripts
"$PYTHON" -m pylint --rcfile=.pylintrc-mandatory addons/ec_reconcile addons/ec_connectors \
    addons/ec_connectors_queue
echo "lint: clean"
