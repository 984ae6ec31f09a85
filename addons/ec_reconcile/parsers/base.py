# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Plain-Python building blocks shared by every bill parser.

Nothing here imports Odoo: parsers take bytes and return ``ParsedBill``
objects, so they are fast, testable in isolation and usable from benchmarks.
"""

import dataclasses
import datetime as dt
import logging
import re
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

_logger = logging.getLogger(__name__)

KINDS = (
    "sale",
    "refund",
    "commission",
    "service_fee",
    "payment_fee",
    "shipping_fee",
    "platform_coupon",
    "merchant_coupon",
    "rebate",
    "ads",
    "deposit",
    "adjustment",
    "payout",
    "tax",
    "other",
)

# Flags a line may carry; the import keeps them and the matcher raises exceptions.
FLAG_UNCLASSIFIED = "unclassified"
FLAG_MANGLED_ID = "mangled_id"

CHINA_TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC

_CENT = Decimal("0.01")


class BillParseError(ValueError):
    """A bill (or one of its rows) cannot be read.

    The message always names the file and, when known, the row (1-based line
    number in the file, or item index for JSON) and the field.
    """

    def __init__(self, message, *, filename=None, row=None, field=None):
        self.reason = message
        self.filename = filename
        self.row = row
        self.field = field
        super().__init__(self._render())

    def _render(self):
        where = []
        if self.filename:
            where.append(str(self.filename))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def located(self, *, filename=None, row=None, field=None):
        """Return a copy completed with location details the caller knows."""
        return BillParseError(
            self.reason,
            filename=self.filename or filename,
            row=self.row if self.row is not None else row,
            field=self.field or field,
        )


class BillRowErrors(BillParseError):
    """Several rows of one file are bad: nothing of the file is imported.

    ``errors`` lists one located ``BillParseError`` per bad row (capped by the
    parser, e.g. at 100) so the user can fix them all in one go.
    """

    def __init__(self, errors, *, filename=None, total=None):
        self.errors = list(errors)
        self.total = total if total is not None else len(self.errors)
        shown = "; ".join(str(error) for error in self.errors[:5])
        more = self.total - min(len(self.errors), 5)
        message = f"{self.total} bad row(s): {shown}"
        if more > 0:
            message += f"; and {more} more"
        super().__init__(message, filename=None)
        self.filename = filename


@dataclasses.dataclass(slots=True)
class BillLine:
    """One normalized money movement.

    ``amount`` is signed from the merchant's point of view: money into the
    platform wallet is positive, money out (fees, refunds, payouts) negative.
    ``date`` is a naive datetime in UTC (Odoo's storage convention).
    ``transaction_id`` is the idempotency key within (shop, channel): the
    platform's own unique row id, or a stable hash where the bill has none.
    """

    transaction_id: str
    kind: str
    amount: Decimal
    date: dt.datetime | None = None
    currency: str | None = None
    order_ref: str | None = None
    sub_order_ref: str | None = None
    counterparty: str | None = None
    description: str | None = None
    balance: Decimal | None = None
    related_ref: str | None = None  # e.g. refund no, original txn of a refund
    row_number: int | None = None
    raw: dict = dataclasses.field(default_factory=dict)
    flags: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(slots=True)
class ParsedBill:
    """The result of parsing one bill file (or one file inside a ZIP)."""

    bill_type: str
    platform: str
    channel: str
    parser_version: str
    filename: str | None = None
    account: str | None = None  # platform account / merchant id stated by the bill
    currency: str | None = None
    period_start: dt.datetime | None = None
    period_end: dt.datetime | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    # Totals the bill states itself (footer / summary), e.g.
    # {"income": Decimal, "expense": Decimal, "count": 8, "net": Decimal}
    declared_totals: dict = dataclasses.field(default_factory=dict)
    lines: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)
    # Other facts the bill states, as JSON-able text/numbers, e.g. Amazon
    # {"settlement_id": "…", "deposit_date": "…"}, {"variant": "ALL"},
    # {"rows": 8} (data rows read).
    meta: dict = dataclasses.field(default_factory=dict)

    @property
    def total(self):
        return sum((line.amount for line in self.lines), Decimal("0"))


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def decode_bytes(data, filename=None):
    """Decode a text bill: BOM (UTF-8, UTF-16), then strict UTF-8, then GB18030.

    GB18030 is a superset of GBK/GB2312. The order is explicit because
    statistical detectors misread short GBK files. UTF-16 with a BOM is what
    Excel's "Unicode text" saves.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            # The BOM promises UTF-8: another codec would only guess.
            raise BillParseError(
                f"invalid UTF-8 at byte {exc.start + 3} although the file "
                "starts with a UTF-8 byte-order mark",
                filename=filename,
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BillParseError(
                f"invalid UTF-16 at byte {exc.start} (the file starts with a "
                "UTF-16 byte-order mark)",
                filename=filename,
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        _logger.debug("%s is not UTF-8, trying GB18030", filename)
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise BillParseError(
            f"cannot decode the file as UTF-8 or GB18030/GBK "
            f"(byte {exc.start}): is it a text bill?",
            filename=filename,
        ) from None


def is_utf16_bom(data):
    """True for text starting with a UTF-16 byte-order mark (LE or BE)."""
    return data.startswith((b"\xff\xfe", b"\xfe\xff"))


def looks_utf16(data):
    """True for UTF-16 text without a BOM: ASCII characters (digits, commas,
    line ends) leave a NUL in every other byte, nearly all of the same
    parity; binary data has NULs at both."""
    head = data[:4096]
    if len(head) < 16:
        return False
    nuls = sorted((head[0::2].count(0), head[1::2].count(0)))
    return nuls[1] > len(head) // 20 and nuls[0] * 50 < nuls[1]


def looks_binary(data):
    """True for content that is not text at all (NUL bytes early on).

    UTF-16 text with a BOM is text (decoded by ``decode_bytes``).
    """
    return b"\x00" in data[:4096] and not is_utf16_bom(data)


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------

_HEADER_SUFFIXES = ("（元）", "（+元）", "（-元）", "(元)", "(+元)", "(-元)")


def clean_cell(value):
    """Strip the anti-Excel decorations platforms put around cells.

    WeChat prefixes a backtick, Alipay appends a TAB, JD writes ``="..."``,
    Douyin web exports wrap cells in apostrophes.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    value = value.strip().strip("\t").strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1]
    if value.startswith("`"):
        value = value[1:]
    if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
        value = value[1:-1]
    elif value.startswith("'") and value[1:].isdigit():
        value = value[1:]
    return value.strip()


def normalize_header(value):
    """Header text for matching: no BOM, blanks, tabs or unit suffixes."""
    value = clean_cell(value or "").lstrip("\ufeff").replace(" ", "")
    for suffix in _HEADER_SUFFIXES:
        if value.endswith(suffix):
            value = value[: -len(suffix)]
            break
    return value.strip()


_SCI_RE = re.compile(r"^[+-]?\d(\.\d+)?[eE][+]?\d+$")


def is_mangled_id(value):
    """True for an id a spreadsheet turned into scientific notation."""
    return bool(value) and bool(_SCI_RE.match(value.strip()))


def clean_id(value, *, flags=None):
    """Return an id as text; flag (never repair) Excel-mangled ones."""
    value = clean_cell(value)
    if isinstance(value, (int, float)):
        value = f"{value}"
    if is_mangled_id(value) and flags is not None and FLAG_MANGLED_ID not in flags:
        flags.append(FLAG_MANGLED_ID)
    return value or None


def parse_decimal(value, *, unit="yuan", field=None, allow_empty=True):
    """Exact decimal in major units from a cell.

    ``unit``: ``yuan`` (major units, as written) or ``fen``/``cents``
    (integers in minor units, divided by 100).
    Accepts thousands separators, currency symbols and (1.00) negatives.
    """
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = clean_cell(value)
        if text in ("", "-", "--", "/"):
            if allow_empty:
                return None
            raise BillParseError("amount is empty", field=field)
        negative = False
        if text.startswith("(") and text.endswith(")"):
            negative, text = True, text[1:-1]
        for symbol in ("¥", "￥", "$", "€", "£", "元", ",", " ", "\u00a0"):
            text = text.replace(symbol, "")
        if text.startswith("+"):
            text = text[1:]
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise BillParseError(f"not a number: {value!r}", field=field) from None
        if not number.is_finite():
            raise BillParseError(f"not a number: {value!r}", field=field)
        if negative:
            number = -number
    if unit in ("fen", "cents", "minor"):
        number = number / 100
    return number


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日",
)


# strptime compiles a format's regex on every cache miss and its cache holds
# 5 formats only: trying a dozen formats in turn recompiles them all for each
# value. A loose regex per format (a superset of what strptime accepts) skips
# the formats that cannot match; strptime still decides.
_LOOSE_DIRECTIVES = {
    "Y": r"\d{4}",
    "y": r"\d{2}",
    "m": r"\s?\d{1,2}",
    "d": r"\s?\d{1,2}",
    "H": r"\s?\d{1,2}",
    "M": r"\s?\d{1,2}",
    "S": r"\s?\d{1,2}",
}
_LOOSE_FORMATS = {}


def _loose_format(fmt):
    """Compiled loose pattern of ``fmt``, or None (then strptime is tried)."""
    if fmt in _LOOSE_FORMATS:
        return _LOOSE_FORMATS[fmt]
    parts, index, pattern = [], 0, None
    while index < len(fmt):
        char = fmt[index]
        if char == "%":
            regex = _LOOSE_DIRECTIVES.get(fmt[index + 1 : index + 2])
            if regex is None:
                break  # a directive not covered: no shortcut
            parts.append(regex)
            index += 2
        elif char.isspace():
            parts.append(r"\s+")
            index += 1
        else:
            parts.append(re.escape(char))
            index += 1
    else:
        pattern = re.compile("".join(parts), re.IGNORECASE)
    if len(_LOOSE_FORMATS) < 1000:
        _LOOSE_FORMATS[fmt] = pattern
    return pattern


def _strptime_any(text, formats):
    for fmt in formats:
        loose = _loose_format(fmt)
        if loose is not None and loose.fullmatch(text) is None:
            continue
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _parse_datetime_text(text, formats):
    """Explicit formats first, then ISO 8601 (with offsets), then the usual."""
    moment = _strptime_any(text, formats or ())
    if moment is None:
        iso = text.replace(" UTC", "+00:00").replace("Z", "+00:00")
        try:
            moment = dt.datetime.fromisoformat(iso)
        except ValueError:
            moment = _strptime_any(text, _DATE_FORMATS)
    return moment


def parse_datetime(value, *, formats=None, tz=CHINA_TZ, field=None, allow_empty=True):
    """Parse a bill timestamp and return it as naive UTC.

    Naive values are read in ``tz`` (Asia/Shanghai for Chinese platforms);
    ISO strings with an offset or a trailing ``Z``/``UTC`` keep their own
    zone. Integers are Unix seconds.
    """
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = dt.datetime.fromtimestamp(value, UTC)
    else:
        text = clean_cell(value)
        if not text:
            if allow_empty:
                return None
            raise BillParseError("date is empty", field=field)
        moment = _parse_datetime_text(text, formats)
        if moment is None:
            raise BillParseError(f"not a date: {value!r}", field=field)
    if moment.year < 2000 or moment.year > 2100:
        raise BillParseError(f"date out of range: {value!r}", field=field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC).replace(tzinfo=None)


def quantize(amount):
    """Round half-up to cents, for comparisons with stated totals."""
    return amount.quantize(_CENT) if amount is not None else None
