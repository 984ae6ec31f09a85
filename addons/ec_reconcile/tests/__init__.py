# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import test_ec_shop
from . import test_settlement_import
from . import test_bill_mapping
from . import test_matching
from . import test_posting
from . import test_reports
from . import test_xlsx
from . import test_security
from . import test_audit
from . import test_bad_input
from . import test_fuzz_parsers
from . import test_ui
