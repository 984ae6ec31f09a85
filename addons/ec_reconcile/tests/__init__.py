# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import test_ec_shop
from . import test_settlement_import
from . import test_matching
from . import test_posting
