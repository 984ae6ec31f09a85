# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import ec_report_mixin
from . import ec_report_income_expense
from . import ec_report_profit_measures
from . import ec_report_profit
from . import ec_report_profit_sku
from . import ec_report_partner_ledger
from . import ec_report_unsettled_aging
from . import ec_report_fee_rate
