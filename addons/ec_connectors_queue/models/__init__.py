# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import ec_shop
from . import ec_connector_bill
