# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import ec_shop
from . import ec_shop_dashboard
from . import ec_settlement_line
from . import ec_settlement
from . import ec_bill_mapping
from . import ec_bill_mapping_column
from . import ec_bill_mapping_rule
from . import ec_fee_kind_mapping
from . import ec_exception
from . import ec_fee_allocation
from . import sale_order
from . import sale_order_line
from . import ec_kind
from . import ec_voucher_template
from . import account_move
from . import ir_attachment
