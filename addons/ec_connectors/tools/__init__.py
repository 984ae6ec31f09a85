# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Plain-Python helpers (no ORM): time conversion, order file reading."""

from . import order_file
from .order_file import OrderFileError, read_order_file
from .timeutil import UTC, naive_utc
