# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import ec_connector_credential
from . import ec_connector_bill
from . import ec_sync_log
from . import ec_shop
from . import sale_order
from . import stock_picking
