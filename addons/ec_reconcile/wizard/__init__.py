# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import ec_settlement_import
from . import ec_bill_mapping_import
from . import ec_exception_resolve
from . import ec_reconcile_run
from . import ec_report_export
