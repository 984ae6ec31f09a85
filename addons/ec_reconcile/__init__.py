# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import models
from . import report
from . import tools
from . import wizard


def uninstall_hook(env):
    """Drop the profit facts' triggers on the sale orders' tables."""
    from .report import ec_report_profit_store  # noqa: PLC0415

    ec_report_profit_store.uninstall(env.cr)
