# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pytest plugin for the database-free developer loop (scripts/pytest-pure).

Makes ``odoo.addons.ec_*`` importable without a database, so plain-Python
tests (parsers, platform clients) run in a second. The full suite always
runs through pytest-odoo (``make test``).
"""

import importlib
import pathlib
import sys

from odoo.modules import module as odoo_module
from odoo.tools import config

_ADDONS = pathlib.Path(__file__).resolve().parents[1] / "addons"
config["addons_path"] = [str(_ADDONS)]
odoo_module.initialize_sys_path()

# With --import-mode=importlib pytest may import an add-on under its bare name
# (``ec_reconcile``); Odoo models must live under ``odoo.addons``: alias them.
for _addon in ("ec_reconcile", "ec_connectors"):
    if (_ADDONS / _addon / "__init__.py").exists():
        sys.modules.setdefault(_addon, importlib.import_module(f"odoo.addons.{_addon}"))
