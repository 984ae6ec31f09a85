# The project's commands. See README.md.
.PHONY: demo test lint

demo:  ## demo database with shops and bills, reconciled and posted, on :8069
	bash scripts/demo.sh

test:  ## the whole test suite on a fresh database
	bash scripts/test.sh

lint:  ## ruff + pylint-odoo (OCA mandatory checks), offline
	bash scripts/lint.sh
