# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Declarative engine for tabular bills (CSV, TSV, XLSX).

A bill layout is described by a *spec*: a plain, JSON-serializable dict. The
built-in parsers (``alipay.py``, ``jd.py`` …) are specs plus, at most, small
Python hooks; a later feature stores specs as records so that accountants can
describe new platforms without code. ``validate_spec`` checks a spec and
``make_parser`` turns one into a ``BillParser`` class.

Spec reference (every key optional unless marked *required*)
------------------------------------------------------------

Identity
    ``code`` *required* (also the bill type stored on the bill), ``label``,
    ``platform`` (ec.shop platform value), ``channel`` (transaction-id
    namespace), ``version``; ``bill_type`` overrides the code as bill type.

``columns`` *required*
    ``{logical name: [header alias, …]}``. Aliases are compared after
    ``normalize_header`` and case folding (so ``收入金额（+元）`` matches
    ``收入金额(元)`` and ``收入金额``); the first alias present in the file
    wins. Every other key refers to columns by these logical names.
``required_columns``
    Logical names that must all be in a row for it to be the header. The
    header is searched BY NAME in the first ``read.header_search_lines`` rows.

``recognize``
    ``score`` (base score, default 50; sniff adds one per optional column
    found and 10 per marker found), ``markers`` (texts searched in the lines
    before the header), ``markers_required`` (bool), ``evidence`` (a condition
    tried on the first data rows), ``evidence_required`` (bool: no evidence →
    not recognised), ``evidence_bonus`` (default 20), ``filename_pattern``
    (a regex searched in the file's base name: a hint only, it adds
    ``filename_bonus``, default 5, to a file whose header matched and never
    recognises a file by itself).

``read``
    ``encoding`` (``auto`` = BOM → UTF-8 → GB18030, or a codec name),
    ``delimiter`` (``auto`` tries ``,`` TAB ``;``, or one character),
    ``quoting`` (true: CSV quotes; false: no quote processing, e.g. Alipay),
    ``cell_prefix`` (e.g. a backtick: data lines starting with it are split
    on delimiter+prefix, WeChat's robust split), ``header_search_lines``
    (default 60), ``end_markers`` (a row whose first cell starts with one of
    them ends the data, e.g. ``#``), ``end_required`` (bool: no end marker or
    summary block → the file is truncated), ``short_rows`` (``error`` or
    ``pad``; XLSX rows are always padded), ``ignore`` (list of conditions:
    matching rows are skipped), ``sheet`` (XLSX sheet name; default: first
    sheet whose header matches), ``skip_lines`` (rows never taken for the
    header, e.g. a preamble repeating the column names; default 0: the header
    is still searched by name after them).

``unit``
    ``yuan`` (major units, default), ``fen``/``cents`` (integers ÷ 100).
``decimal_separator``
    ``.`` (default) or ``,`` (``1.234,56``).
``case_insensitive``
    Conditions compare values case-insensitively.

``amount`` / ``components``
    Money of a row. ``amount`` is a shorthand for one component of the row's
    kind. ``components`` is a list; each one gives zero or one line:

    - value: ``column`` (one column), ``columns`` (sum; ``-name`` subtracts)
      or ``pair`` (``[income, expense]``: income as written, expense always
      out whatever its printed sign);
    - ``sign``: ``as_is`` (default), ``negate``, ``credit`` (+abs),
      ``debit`` (−abs), ``direction`` (abs signed by the ``direction`` spec;
      as written when the direction cell is missing or empty);
    - ``kind``: ``rules`` (default: the row kind) or a fixed kind;
    - ``suffix`` appended to the transaction id (e.g. ``:fee``);
    - ``when``: condition (its ``sign`` test sees this component's amount);
    - ``keep_zero`` (default false; the first component of a row defaults to
      true so that every row yields a line), ``allow_empty`` (default true:
      an empty cell counts 0; false: error), ``optional`` (default true:
      skipped when a column is absent from the file).
``direction``
    ``{"columns": [...], "in": [texts], "out": [texts]}``; an unknown text
    is a row error.

``rules`` / ``default_kind``
    Ordered ``[{"when": condition, "kind": kind}]``; first match wins. Their
    ``sign`` test sees the row amount (first component). Rows no rule catches
    get ``default_kind``; when that is null they get ``other`` and the flag
    ``unclassified``.

Conditions
    ``{"column": name, <op>: value, …}`` with ops ``equals``/``in`` (text or
    list), ``not_in``, ``contains``, ``startswith``, ``endswith`` (text or
    list: any), ``regex`` (search), ``empty`` (bool); ``{"sign": "positive" |
    "negative" | "zero" | "nonzero"}``; ``{"all": [...]}``, ``{"any":
    [...]}``, ``{"not": condition}``. Several keys in one dict are AND-ed; a
    list is AND-ed. A column absent from the file reads as empty text.

``fields``
    ``order_ref``, ``sub_order_ref``, ``counterparty``, ``description``,
    ``related_ref``, ``currency``, ``account`` (bill account from the first
    row that has one): each a list of *sources* tried in order,
    first non-empty wins. A source is a logical column name or
    ``{"column", "regex" (group 1 or the group named ``ref``; whole match
    without group), "template" ("{a}/{b}"), "exclude" (values meaning
    empty), "when" (condition), "stop" (when ``when`` matches, the field is
    empty and the chain stops)}``. ``balance``: a logical column (running
    balance after the row).
``net_check``
    A logical column holding the row's net: a row whose lines do not add up
    to it gives a warning (gross − fee = net, §12 of platform-bills.md).
``currency`` / ``currency_map``
    Default currency code; map of printed values (``人民币``) to codes.

``date``
    ``columns`` (first non-empty wins), ``time`` (separate time column),
    ``tz`` (IANA zone of naive values, default ``Asia/Shanghai``),
    ``tz_column`` (per-row zone: abbreviation such as PST/CET, IANA name or
    ``+08:00``), ``tz_abbreviations`` (overrides), ``formats`` (strptime
    formats tried before ISO and the common Chinese formats), ``day_first``
    (``auto`` decides dd/mm vs mm/dd from the whole file; true; false),
    ``day_first_default`` (when ``auto`` cannot tell), ``optional``.

``transaction_id``
    ``{"columns": [...], "join": "-", "ordinal": bool}`` (``$date`` = parsed
    UTC time as ``YYYYmmddHHMMSS``; a duplicate within a file gives a
    warning, or ``#2``, ``#3`` … with ``ordinal``) or
    ``{"hash": "all" | [columns], "ignore_values": [...]}``: SHA-256 of the
    normalized values (columns in name order) plus ``-<ordinal>`` among rows
    with the same values, so a re-import gives the same ids.

Stated totals and metadata
    ``text_fields``: regexes tried on every line outside the table (preamble
    and footer); their named groups feed ``account``, ``period_start``,
    ``period_end``, ``opening_balance``, ``closing_balance``, ``meta_<key>``
    (text kept in ``ParsedBill.meta``) or any other name = a declared total.
    ``summary_block``: ``{"markers": [first header cell], "fields": {header:
    target}}``: a header + values block after the data (WeChat).
    ``summary_rows``: ``{"when": condition, "fields": {column: target}}``:
    rows inside the table that are summaries (Amazon) – skipped as data.
    Totals are kept as the bill prints them, except: ``positive_totals`` /
    ``negative_totals`` (stored as +abs / −abs) and ``negated_totals``
    (opposite sign). ``derived_totals``: ``{key: [parts]}`` computed when the
    bill does not state the key: the sum of the parts, ``-name`` subtracted,
    ``?name`` allowed to be absent. Totals named ``count``/``*_count`` are
    integers, others ``Decimal``. Keys the ledger checks (tools/ledger.py):
    ``income`` and ``expense`` = positive sums of the money in and out,
    ``net`` = the signed sum of the lines, ``count`` = data rows.
``variants``
    ``[{"name", "columns_present", "columns_absent"}]``: the first match is
    put in ``meta["variant"]``.

Lines: ``balance`` is set on the last line of a row (the balance after the
row). ``opening_balance`` = first row balance − the row's amount,
``closing_balance`` = last row balance (file order; multi-currency bills keep
them per currency in ``meta["balances"]``). ``raw`` is one dict (header →
cleaned cell) shared by the lines of a row. ``row_number`` is the 1-based
line of the file (sheet row for XLSX). ``meta`` also holds ``rows`` (data
rows read) and ``header_line``.

Errors: a bad cell is a ``BillParseError`` naming file, row and field; up to
``MAX_ROW_ERRORS`` of them are raised together as ``BillRowErrors``; missing
columns, an empty or header-only file and a truncated one (short last row,
missing footer when ``end_required``) are errors too: never a partial bill.
"""

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import re
import string
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .base import (
    FLAG_MANGLED_ID,
    FLAG_UNCLASSIFIED,
    KINDS,
    UTC,
    BillLine,
    BillParseError,
    BillRowErrors,
    ParsedBill,
    clean_cell,
    is_mangled_id,
    normalize_header,
    parse_datetime,
    parse_decimal,
)
from .registry import BillParser

HEAD_LINES = 250  # rows kept for sniffing (header search + evidence)
MAX_ROW_ERRORS = 100
MAX_WARNINGS = 20
_ZERO = Decimal(0)
_CENT = Decimal("0.01")

# Characters that make a cell worth a full ``clean_cell`` (fast path otherwise).
_DECOR_FIRST = frozenset("`='\"\t \u3000\xa0\r\n")
_DECOR_LAST = frozenset("\t '\"\u3000\xa0\r\n")

# Abbreviations seen in PayPal's TimeZone column. ``CST`` is US Central (PayPal
# writes US zones); override per spec with ``date.tz_abbreviations``.
TZ_ABBREVIATIONS = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "MET": 1,
    "MEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "IST": 5.5,
    "SGT": 8,
    "HKT": 8,
    "AWST": 8,
    "JST": 9,
    "KST": 9,
    "ACST": 9.5,
    "ACDT": 10.5,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "HST": -10,
    "AKST": -9,
    "AKDT": -8,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "CST": -6,
    "CDT": -5,
    "EST": -5,
    "EDT": -4,
    "AST": -4,
    "ADT": -3,
    "NST": -3.5,
    "NDT": -2.5,
}

_SPEC_KEYS = {
    "code",
    "label",
    "platform",
    "channel",
    "bill_type",
    "version",
    "columns",
    "required_columns",
    "recognize",
    "read",
    "unit",
    "decimal_separator",
    "case_insensitive",
    "amount",
    "components",
    "direction",
    "rules",
    "default_kind",
    "fields",
    "currency",
    "currency_map",
    "date",
    "transaction_id",
    "text_fields",
    "summary_block",
    "summary_rows",
    "positive_totals",
    "negative_totals",
    "negated_totals",
    "derived_totals",
    "variants",
    "meta",
    "description",
    "net_check",
}
_COND_OPS = ("equals", "in", "not_in", "contains", "startswith", "endswith", "regex")
_COND_KEYS = {"column", "sign", "all", "any", "not", "empty", *_COND_OPS}
_FIELDS = (
    "account",
    "order_ref",
    "sub_order_ref",
    "counterparty",
    "description",
    "related_ref",
    "currency",
)
_ID_FIELDS = ("order_ref", "sub_order_ref", "related_ref")
_SIGNS = ("as_is", "negate", "credit", "debit", "direction")
_BILL_TARGETS = (
    "account",
    "period_start",
    "period_end",
    "opening_balance",
    "closing_balance",
)


_LINE_ORDER = (
    "transaction_id",
    "kind",
    "amount",
    "date",
    "currency",
    "order_ref",
    "sub_order_ref",
    "counterparty",
    "description",
    "balance",
    "related_ref",
    "row_number",
    "raw",
    "flags",
)


def _line_factory():
    """BillLine built from positional values in ``_LINE_ORDER`` (2.7x faster
    than keywords); falls back to keywords if the dataclass changes."""
    names = tuple(field.name for field in dataclasses.fields(BillLine))
    if names == _LINE_ORDER:
        return BillLine

    def build(*values):
        return BillLine(**dict(zip(_LINE_ORDER, values, strict=True)))

    return build


_new_line = _line_factory()


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


# First/last characters that make normalize_header do more than case
# folding: decorations, BOM, unit suffixes ("（元）", "(+元)" …).
_NORM_FIRST = frozenset("=`'\ufeff")
_NORM_LAST = frozenset("'）)")


def _norm(text):
    # Fast path, same result: a cell without blanks, decorations or suffix.
    if (
        text
        and text[0] not in _NORM_FIRST
        and text[-1] not in _NORM_LAST
        and not text[0].isspace()
        and not text[-1].isspace()
        and " " not in text
    ):
        return text.casefold()
    return normalize_header(text).casefold()


def _norm_cell(cache, cell):
    value = cache[cell] = _norm(cell)
    return value


# ---------------------------------------------------------------------------
# Reading rows
# ---------------------------------------------------------------------------


_INTERN_SAMPLE = 256
_INTERN_DISTINCT = 16


def _repeated_columns(sample):
    """[(index, {value: value})] of the columns with few distinct values."""
    width = max((len(cells) for cells in sample), default=0)
    columns = []
    for index in range(width):
        values = {}
        for cells in sample:
            if index < len(cells):
                value = cells[index]
                values.setdefault(value, value)
                if len(values) > _INTERN_DISTINCT:
                    break
        else:
            if any(len(value) > 1 for value in values if isinstance(value, str)):
                columns.append((index, values))
    return columns


class _Formula(str):
    """A spreadsheet cell holding a formula instead of a value."""


class Table:
    """The rows of one sheet (XLSX) or of a text read with one dialect (CSV).

    ``head`` holds the first ``HEAD_LINES`` rows as ``(line_number, cells)``;
    ``rows()`` iterates over the whole table again, from the first line.
    """

    def __init__(
        self,
        name,
        factory,
        head_factory,
        *,
        is_xlsx=False,
        delimiter=None,
        norm_cache=None,
    ):
        self.name = name
        self.is_xlsx = is_xlsx
        self.delimiter = delimiter
        self._factory = factory
        self._head_factory = head_factory
        self._head = None
        self._norm_head = []
        self._norm_next = 0  # next head position to normalize
        self._single_cells = None
        # cell -> normalized text, shared by the tables of one source: the
        # same header cells come back under every dialect and parser.
        self._norm_cache = {} if norm_cache is None else norm_cache
        self.needs_cleaning = True  # set by text tables when rows() is read

    @property
    def head(self):
        if self._head is None:
            self._head = list(self._head_factory())
        return self._head

    @property
    def single_cells(self):
        """True when no head row has two cells (a text table split on a
        delimiter the head does not use)."""
        if self._single_cells is None:
            self._single_cells = not self.is_xlsx and all(
                len(cells) <= 1 for _lineno, cells in self.head
            )
        return self._single_cells

    def normalized_rows(self, limit=None):
        """[(index in head, normalized cells, set of them)] of the non-empty
        head rows, normalized on demand up to ``limit`` (a sniffer stops at
        its header: most rows are never normalized). The list may hold rows
        past ``limit``: callers stop at it."""
        head = self.head
        end = len(head) if limit is None else min(limit, len(head))
        if self._norm_next < end:
            cache = self._norm_cache
            get = cache.get
            result = self._norm_head
            for position in range(self._norm_next, end):
                cells = head[position][1]
                if not cells:
                    continue
                normalized = [
                    (get(cell) or _norm_cell(cache, cell)) if cell else ""
                    for cell in cells
                ]
                result.append((position, normalized, set(normalized)))
            self._norm_next = end
        return self._norm_head

    @property
    def normalized_head(self):
        """[(index in head, normalized cells, set of them)] for header search."""
        return list(self.normalized_rows())

    def rows(self):
        return self._factory()


def _source_cache(source):
    cache = getattr(source, "_tabular_cache", None)
    if cache is None:
        cache = {}
        source._tabular_cache = cache
    return cache


def source_text(source, encoding="auto"):
    """Decoded text of ``source`` (cached), ``auto`` = BOM → UTF-8 → GB18030."""
    if not encoding or encoding == "auto":
        return source.text
    cache = _source_cache(source)
    key = ("text", encoding)
    if key not in cache:
        data = source.data
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            cache[key] = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise BillParseError(
                f"cannot decode the file as {encoding}: {exc}",
                filename=source.filename,
            ) from None
    return cache[key]


# Characters of a text kept for sniffing: the HEAD_LINES lines of a real bill
# are far shorter, a compact multi-MB JSON or binary-like text is one "line".
HEAD_CHARS = 512 * 1024


def _head_text(text, lines, limit=HEAD_CHARS):
    position = -1
    for _ in range(lines):
        position = text.find("\n", position + 1, limit)
        if position < 0:
            if len(text) <= limit:
                return text
            cut = text.rfind("\n", 0, limit)
            return text[: cut + 1] if cut >= 0 else text[:limit]
    return text[: position + 1]


def _predecorate(text, delimiter):
    """Strip the commonest cell decorations on the whole text at once.

    Same result as ``clean_cell`` per cell for these patterns, at C speed:
    a TAB before a delimiter (Alipay ids) and ``="…"`` cells without
    delimiter or quote inside (JD ids). Other decorations are cleaned per
    cell later.
    """
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if delimiter != "\t" and "\t" in text:
        text = text.replace("\t" + delimiter, delimiter).replace("\t\n", "\n")
    if '="' in text:
        opened = text.count('="')
        at_start = (
            text.count(delimiter + '="') + text.count('\n="') + text.startswith('="')
        )
        if opened == at_start and text.count('"') == 2 * opened:
            # Every quote belongs to a ="…" cell: plain replaces are exact.
            text = text.replace(delimiter + '="', delimiter).replace('\n="', "\n")
            if text.startswith('="'):
                text = text[2:]
            return text.replace('"', "")
        text = re.sub(
            r'(^|%s)="([^"%s\r\n]*)"(?=%s|\r|\n|$)'
            % (re.escape(delimiter), re.escape(delimiter), re.escape(delimiter)),
            r"\1\2",
            text,
            flags=re.MULTILINE,
        )
    return text


_RARE_BLANKS = re.compile(
    "[\x0b\x0c\x1c-\x1f\x85\u1680\u2000-\u200a\u2028\u2029\u202f\u205f]"
)


def needs_cleaning(text, delimiter):
    """False when no cell of ``text`` can need ``clean_cell`` (fast path).

    True when some cell may start or end with a blank or carry a quote,
    backtick or apostrophe; C-speed scans only.
    """
    for mark in ("`", "'", '"', "\u3000", "\xa0", "\r"):
        if mark in text:
            return True
    if delimiter != "\t" and "\t" in text:
        return True
    for edge in (" " + delimiter, delimiter + " ", " \n", "\n "):
        if edge in text:
            return True
    if text[:1].isspace() or text[-1:] == " ":
        return True
    return _RARE_BLANKS.search(text) is not None


def _csv_rows(text, delimiter, quoting, filename):
    """(line number, cells) of a delimited text; line numbers are 1-based."""
    if not quoting or '"' not in text:
        # No quoting at all: a plain split is exact and three times faster.
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for lineno, line in enumerate(lines, 1):
            yield lineno, line.split(delimiter) if line else []
        return
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quoting=csv.QUOTE_MINIMAL,
        strict=False,
    )
    previous = 0
    try:
        for cells in reader:
            start = previous + 1
            previous = reader.line_num
            yield start, cells
    except csv.Error as exc:
        raise BillParseError(
            f"unreadable CSV: {exc}", filename=filename, row=previous + 1
        ) from None


def _prefix_rows(text, delimiter, prefix):
    """WeChat layout: data lines start with a backtick before every cell."""
    separator = delimiter + prefix
    size = len(prefix)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for lineno, line in enumerate(lines, 1):
        if line.endswith("\r"):
            line = line[:-1]
        if line.startswith(prefix):
            yield lineno, line[size:].split(separator)
        else:
            yield lineno, line.split(delimiter) if line else []


def _xlsx_value(cell):
    value = cell.value
    if value is None:
        return ""
    if cell.data_type == "f":
        text = str(value)
        # ="123" is how exports protect ids: a literal, not a computation.
        if text.startswith('="') and text.endswith('"') and '"' not in text[2:-1]:
            return text[2:-1]
        return _Formula(text)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            if abs(value) < 1e15:
                return str(int(value))
            # Digits past the 15th are already lost: keep it recognisably
            # mangled so that is_mangled_id flags it.
            return f"{value:.14E}"
        return repr(round(value, 9))
    if isinstance(value, dt.datetime):
        if value.microsecond:
            value = value.replace(microsecond=0) + dt.timedelta(
                seconds=1 if value.microsecond >= 500000 else 0
            )
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _xlsx_rows(data, index, limit=None):
    import openpyxl  # noqa: PLC0415 (only for XLSX bills)

    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False
        )
    except Exception as exc:  # openpyxl raises many types on bad files
        raise BillParseError(f"unreadable XLSX workbook: {exc}") from None
    lineno = 0
    try:
        sheet = workbook.worksheets[index]
        sheet.reset_dimensions()  # exports often state a wrong dimension
        rows = sheet.iter_rows()
        while limit is None or lineno < limit:
            try:
                row = next(rows, None)
            except Exception as exc:  # damaged sheet XML, bad cell values
                raise BillParseError(
                    f"unreadable XLSX sheet {sheet.title!r}: {exc}", row=lineno + 1
                ) from None
            if row is None:
                break
            lineno += 1
            cells = [_xlsx_value(cell) for cell in row]
            while cells and cells[-1] == "":
                cells.pop()
            yield lineno, cells
    finally:
        workbook.close()


def _xlsx_sheet_names(source):
    cache = _source_cache(source)
    if "xlsx_sheets" not in cache:
        import openpyxl  # noqa: PLC0415

        try:
            workbook = openpyxl.load_workbook(
                io.BytesIO(source.data), read_only=True, data_only=False
            )
        except Exception as exc:  # openpyxl raises many types on bad files
            raise BillParseError(
                f"unreadable XLSX workbook: {exc}", filename=source.filename
            ) from None
        try:
            cache["xlsx_sheets"] = list(workbook.sheetnames)
        finally:
            workbook.close()
    return cache["xlsx_sheets"]


def read_tables(
    source,
    *,
    encoding="auto",
    delimiter="auto",
    quoting=True,
    cell_prefix=None,
    sheet=None,
):
    """Candidate tables of ``source`` (cached on it).

    XLSX: one table per worksheet (or the named ``sheet``). Text: one table
    per candidate delimiter (``auto``: comma, TAB, semicolon).
    """
    cache = _source_cache(source)
    if source.is_xlsx:
        names = _xlsx_sheet_names(source)
        tables = []
        for index, name in enumerate(names):
            if sheet and name != sheet:
                continue
            key = ("xlsx", index)
            if key not in cache:
                cache[key] = Table(
                    name,
                    lambda i=index, d=source.data: _xlsx_rows(d, i),
                    lambda i=index, d=source.data: _xlsx_rows(d, i, HEAD_LINES),
                    is_xlsx=True,
                    norm_cache=cache.setdefault("norm", {}),
                )
            tables.append(cache[key])
        return tables
    delimiters = [",", "\t", ";"] if delimiter in (None, "", "auto") else [delimiter]
    text = source_text(source, encoding)
    tables = []
    for sep in delimiters:
        key = ("text", encoding, sep, bool(quoting), cell_prefix)
        if key not in cache:
            cache[key] = _text_table(
                text, sep, quoting, cell_prefix, source.filename, cache
            )
        tables.append(cache[key])
    return tables


def _text_table(text, sep, quoting, cell_prefix, filename, cache):
    def rows(body):
        if cell_prefix:
            return _prefix_rows(body, sep, cell_prefix)
        return _csv_rows(_predecorate(body, sep), sep, quoting, filename)

    def full_rows():
        body = _predecorate(text, sep)
        table.needs_cleaning = needs_cleaning(body, sep)
        if cell_prefix:
            return _prefix_rows(body, sep, cell_prefix)
        return _csv_rows(body, sep, quoting, filename)

    table = Table(
        None,
        full_rows,
        lambda: rows(_head_text(text, HEAD_LINES)),
        delimiter=sep,
        norm_cache=cache.setdefault("norm", {}),
    )
    return table


def read_rows(source, **options):
    """All rows ``(line_number, cells)`` of the first table of ``source``.

    A convenience (cached) for small files and tools; parsers stream with
    ``read_tables(...)[i].rows()`` instead.
    """
    cache = _source_cache(source)
    key = ("rows", tuple(sorted(options.items())))
    if key not in cache:
        tables = read_tables(source, **options)
        cache[key] = list(tables[0].rows()) if tables else []
    return cache[key]


# ---------------------------------------------------------------------------
# Cell conversions
# ---------------------------------------------------------------------------


# Amounts beyond this are misreadings (1e400, ids in an amount column): they
# would also break the exact arithmetic of the checks (quantize to cents).
MAX_AMOUNT = Decimal("1e15")


def _checked_amount(number, text, field):
    if not number.is_finite() or not -MAX_AMOUNT < number < MAX_AMOUNT:
        raise BillParseError(f"not a plausible amount: {text!r}", field=field)
    return number


def _make_decimal(unit="yuan", decimal_separator="."):
    minor = unit in ("fen", "cents", "minor")
    comma = decimal_separator == ","

    def convert(text, field):
        if comma:
            text = text.replace(".", "").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = parse_decimal(text, field=field)
            if number is None:
                return None
        if not -MAX_AMOUNT < number < MAX_AMOUNT:  # also NaN and infinities
            _checked_amount(number, text, field)
        if minor:
            number = number / 100
        return number

    return convert


def _fixed_offset(tz):
    """The UTC offset of ``tz`` if it never changes in 2000–2100, else None."""
    offsets = set()
    for year in range(2000, 2101):
        for month in (1, 4, 7, 10):
            offsets.add(dt.datetime(year, month, 1, 12).replace(tzinfo=tz).utcoffset())
            if len(offsets) > 1:
                return None
    return offsets.pop()


_FIXED_OFFSETS = {}


def _utc_converter(tz):
    """Function turning a naive datetime in ``tz`` into naive UTC, fast."""
    if tz is UTC or tz is dt.timezone.utc:
        return lambda moment: moment
    key = str(tz)
    if key not in _FIXED_OFFSETS:
        _FIXED_OFFSETS[key] = _fixed_offset(tz)
    offset = _FIXED_OFFSETS[key]
    if offset is not None:
        return lambda moment: moment - offset
    hours = {}

    def convert(moment):
        hour = (moment.year, moment.month, moment.day, moment.hour)
        shift = hours.get(hour)
        if shift is None:
            shift = moment.replace(tzinfo=tz).utcoffset()
            hours[hour] = shift
        return moment - shift

    return convert


def _resolve_tz(name, abbreviations=None):
    """A tzinfo for a zone name, abbreviation or ``±HH:MM``; None if unknown."""
    text = (name or "").strip()
    if not text:
        return None
    table = abbreviations or TZ_ABBREVIATIONS
    hours = table.get(text.upper())
    if hours is not None:
        return dt.timezone(dt.timedelta(hours=hours))
    match = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?", text.upper())
    if match:
        delta = dt.timedelta(
            hours=int(match.group(2)), minutes=int(match.group(3) or 0)
        )
        return dt.timezone(-delta if match.group(1) == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


_DMY_RE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b")


def _day_first_formats(day_first):
    first, second = ("%d", "%m") if day_first else ("%m", "%d")
    formats = []
    for sep in ("/", ".", "-"):
        for year in ("%Y", "%y"):
            base = f"{first}{sep}{second}{sep}{year}"
            formats += [f"{base} %H:%M:%S", f"{base} %H:%M", base]
    return formats


def _date_span(parts, day_first):
    """Days between the first and last of (a, b, year) dates, or None."""
    dates = []
    for first, second, year in parts:
        day, month = (first, second) if day_first else (second, first)
        if year < 100:
            year += 2000
        try:
            dates.append(dt.date(year, month, day))
        except ValueError:
            return None
    return (max(dates) - min(dates)).days


def _excel_serial(text):
    """A datetime for an Excel serial day number (XLSX dates as numbers)."""
    try:
        serial = float(text)
    except ValueError:
        return None
    if not 20000 < serial < 80000:
        return None
    moment = dt.datetime(1899, 12, 30) + dt.timedelta(days=serial)
    return moment.replace(microsecond=0) + dt.timedelta(
        seconds=1 if moment.microsecond >= 500000 else 0
    )


def _make_date(formats, tz):
    """Cached text → naive UTC datetime converter (fast path for ISO text)."""
    to_utc = _utc_converter(tz)
    cache = {}
    fromiso = dt.datetime.fromisoformat

    def convert(text, field):
        result = cache.get(text)
        if result is not None:
            return result
        moment = None
        if len(text) >= 10 and text[4] == "-" and text[7] == "-":
            try:
                moment = fromiso(text)
            except ValueError:
                moment = None
        if moment is None:
            moment = _excel_serial(text) if text[:1].isdigit() else None
        if moment is None:
            result = parse_datetime(text, formats=formats, tz=tz, field=field)
        else:
            if moment.year < 2000 or moment.year > 2100:
                raise BillParseError(f"date out of range: {text!r}", field=field)
            if moment.tzinfo is None:
                result = to_utc(moment)
            else:
                result = moment.astimezone(UTC).replace(tzinfo=None)
        if len(cache) > 200000:
            cache.clear()
        cache[text] = result
        return result

    return convert


# ---------------------------------------------------------------------------
# Spec validation
# ---------------------------------------------------------------------------


def validate_spec(spec):
    """Raise ``ValueError`` listing what is wrong with a spec; return it."""
    if not isinstance(spec, dict):
        raise ValueError("a spec is a dict")
    problems = _SpecChecker(spec).check()
    if problems:
        raise ValueError(f"spec {spec.get('code')!r}: " + "; ".join(problems))
    return spec


class _SpecChecker:
    """Collects the problems of a spec (for UI-defined specs)."""

    def __init__(self, spec):
        self.spec = spec
        self.problems = []
        columns = spec.get("columns")
        if not isinstance(columns, dict) or not columns:
            self.problems.append("'columns' must map logical names to header aliases")
            columns = {}
        self.names = set(columns)

    def check(self):
        spec = self.spec
        unknown = set(spec) - _SPEC_KEYS
        if unknown:
            self.problems.append(f"unknown keys: {sorted(unknown)}")
        if not spec.get("code"):
            self.problems.append("'code' is required")
        for name in spec.get("required_columns", []):
            self.column(name, "required_columns")
        self.check_components()
        for name in (spec.get("direction") or {}).get("columns", []):
            self.column(name, "direction")
        for position, rule in enumerate(spec.get("rules", [])):
            self.kind(rule.get("kind"), f"rules[{position}]")
            self.condition(rule.get("when"), f"rules[{position}]")
        if spec.get("default_kind") is not None:
            self.kind(spec["default_kind"], "default_kind")
        self.check_fields()
        self.check_date()
        self.check_transaction_id()
        for pattern in spec.get("text_fields", []):
            self.regex(pattern, "text_fields")
        for cond in spec.get("read", {}).get("ignore", []):
            self.condition(cond, "read.ignore")
        summary_rows = spec.get("summary_rows")
        if summary_rows:
            self.condition(summary_rows.get("when"), "summary_rows")
            for name in summary_rows.get("fields", {}):
                self.column(name, "summary_rows")
        evidence = spec.get("recognize", {}).get("evidence")
        self.condition(evidence, "recognize.evidence")
        pattern = spec.get("recognize", {}).get("filename_pattern")
        if pattern:
            self.regex(pattern, "recognize.filename_pattern")
        skip = spec.get("read", {}).get("skip_lines", 0)
        if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
            self.problems.append("read.skip_lines: a number of rows (0 or more)")
        return self.problems

    def column(self, name, where):
        if name not in self.names:
            self.problems.append(f"{where}: unknown column {name!r}")

    def regex(self, pattern, where):
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            self.problems.append(f"{where}: bad regex: {exc}")

    def kind(self, value, where, allow_rules=False):
        if not (allow_rules and value == "rules") and value not in KINDS:
            self.problems.append(f"{where}: unknown kind {value!r}")

    def condition(self, cond, where):
        if cond is None:
            return
        if isinstance(cond, list):
            for item in cond:
                self.condition(item, where)
            return
        if not isinstance(cond, dict):
            self.problems.append(f"{where}: a condition is a dict or a list")
            return
        bad = set(cond) - _COND_KEYS - {"ignore_case"}
        if bad:
            self.problems.append(f"{where}: unknown condition keys {sorted(bad)}")
        if "column" in cond:
            self.column(cond["column"], where)
        elif any(op in cond for op in (*_COND_OPS, "empty")):
            self.problems.append(f"{where}: an operator needs a 'column'")
        if "regex" in cond:
            self.regex(cond["regex"], where)
        if "sign" in cond and cond["sign"] not in _SIGN_TESTS:
            self.problems.append(f"{where}: bad sign {cond['sign']!r}")
        for key in ("all", "any", "not"):
            if key in cond:
                self.condition(cond[key], where)

    def check_components(self):
        components = _components_of(self.spec)
        if not components:
            self.problems.append("'amount' or 'components' is required")
        for position, comp in enumerate(components):
            where = f"components[{position}]"
            if "column" in comp:
                refs = [comp["column"]]
            elif "columns" in comp:
                refs = [name.lstrip("-") for name in comp["columns"]]
            elif "pair" in comp and len(comp["pair"]) == 2:
                refs = list(comp["pair"])
            else:
                refs = []
                self.problems.append(
                    f"{where}: needs 'column', 'columns' or 'pair' ([income, expense])"
                )
            for name in refs:
                self.column(name, where)
            sign = comp.get("sign", "as_is")
            if sign not in _SIGNS:
                self.problems.append(f"{where}: bad sign {sign!r}")
            if sign == "direction" and not self.spec.get("direction"):
                self.problems.append(f"{where}: sign 'direction' needs 'direction'")
            self.kind(comp.get("kind", "rules"), where, allow_rules=True)
            self.condition(comp.get("when"), where)

    def check_fields(self):
        for name, sources in self.spec.get("fields", {}).items():
            where = f"fields.{name}"
            if name == "balance":
                self.column(sources, where)
                continue
            if name not in _FIELDS:
                self.problems.append(f"fields: unknown field {name!r}")
                continue
            for source in _as_list(sources):
                if isinstance(source, str):
                    self.column(source, where)
                    continue
                if "column" in source:
                    self.column(source["column"], where)
                if "regex" in source:
                    self.regex(source["regex"], where)
                for name_in_template in re.findall(
                    r"{(\w+)}", source.get("template", "")
                ):
                    self.column(name_in_template, where)
                self.condition(source.get("when"), where)

    def check_date(self):
        date = self.spec.get("date")
        if not date:
            self.problems.append("'date' is required")
            return
        for name in date.get("columns", []):
            self.column(name, "date")
        for key in ("time", "tz_column"):
            if date.get(key):
                self.column(date[key], f"date.{key}")
        if date.get("tz") and _resolve_tz(date["tz"]) is None:
            self.problems.append(f"date: unknown time zone {date['tz']!r}")
        if date.get("day_first") not in (None, "auto", True, False):
            self.problems.append("date.day_first: auto, true or false")

    def check_transaction_id(self):
        txn = self.spec.get("transaction_id")
        if isinstance(txn, str):
            self.column(txn, "transaction_id")
        elif isinstance(txn, dict) and (txn.get("columns") or txn.get("hash")):
            for name in _as_list(txn.get("columns")):
                if name != "$date":
                    self.column(name, "transaction_id")
            hashed = txn.get("hash")
            if hashed not in (None, "all"):
                for name in hashed:
                    self.column(name, "transaction_id")
        else:
            self.problems.append("'transaction_id' needs 'columns' or 'hash'")


def _components_of(spec):
    if spec.get("components"):
        return list(spec["components"])
    if spec.get("amount"):
        return [dict(spec["amount"], kind=spec["amount"].get("kind", "rules"))]
    return []


# ---------------------------------------------------------------------------
# Plan: a spec compiled once per parser class
# ---------------------------------------------------------------------------


class _Plan:
    def __init__(self, spec):
        validate_spec(spec)
        self.spec = spec
        self.aliases = {
            name: [_norm(alias) for alias in _as_list(aliases)]
            for name, aliases in spec["columns"].items()
        }
        self.required = list(spec.get("required_columns", []))
        self.required_sets = [
            frozenset(self.aliases.get(name, ())) for name in self.required
        ]
        read = spec.get("read", {})
        self.read = read
        self.read_options = {
            "encoding": read.get("encoding", "auto"),
            "delimiter": read.get("delimiter", "auto"),
            "quoting": read.get("quoting", True),
            "cell_prefix": read.get("cell_prefix"),
            "sheet": read.get("sheet"),
        }
        self.skip_unsplit = read.get("delimiter", "auto") in (None, "", "auto") and (
            not any(
                mark in alias
                for aliases in self.aliases.values()
                for alias in aliases
                for mark in ",;\t"
            )
        )
        self.search_lines = read.get("header_search_lines", 60)
        self.skip_lines = read.get("skip_lines") or 0
        self.end_markers = tuple(_as_list(read.get("end_markers")))
        self.recognize = spec.get("recognize", {})
        self.markers = [_norm(m) for m in _as_list(self.recognize.get("markers"))]
        pattern = self.recognize.get("filename_pattern")
        self.filename_pattern = re.compile(pattern) if pattern else None
        self.text_fields = [re.compile(p) for p in spec.get("text_fields", [])]
        summary = spec.get("summary_block") or {}
        self.summary_markers = {_norm(m) for m in _as_list(summary.get("markers"))}
        self.summary_fields = {
            _norm(k): v for k, v in (summary.get("fields") or {}).items()
        }

    # -- header search ------------------------------------------------------

    def match_header(self, normalized_set):
        """Logical name → alias found, or None when a required one is absent."""
        # Most rows searched are data rows: reject them on the required
        # columns first (set operations in C) before building the mapping.
        for aliases in self.required_sets:
            if aliases.isdisjoint(normalized_set):
                return None
        found = {}
        for name, aliases in self.aliases.items():
            for alias in aliases:
                if alias in normalized_set:
                    found[name] = alias
                    break
        for name in self.required:
            if name not in found:
                return None
        return found

    def find_header(self, source):
        """(table, position in head, found) of the first matching header."""
        limit = self.search_lines + self.skip_lines
        for number, table in enumerate(read_tables(source, **self.read_options)):
            if number and self.skip_unsplit and table.single_cells:
                # Another auto delimiter absent from the head: its rows are the
                # first table's, or whole lines holding a ',' no alias has.
                continue
            for position, _normalized, normalized_set in table.normalized_rows(limit):
                if position >= limit:
                    break
                if self.skip_lines and table.head[position][0] <= self.skip_lines:
                    continue
                found = self.match_header(normalized_set)
                if found is not None:
                    return table, position, found
        return None

    def missing_header_error(self, source):
        best = self._best_header_row(source)
        label = self.spec.get("label") or self.spec["code"]
        if best is None:
            names = ", ".join(self.aliases_of(name) for name in self.required)
            return BillParseError(
                f"no header row of a {label} found in the first "
                f"{self.search_lines} lines (expected columns: {names})",
                filename=source.filename,
            )
        table, position, normalized_set, _hits = best
        lineno, cells = table.head[position]
        missing = [
            name
            for name in self.required
            if not any(alias in normalized_set for alias in self.aliases[name])
        ]
        header = ", ".join(clean_cell(cell) for cell in cells if cell)
        return BillParseError(
            f"required column(s) {', '.join(self.aliases_of(n) for n in missing)} "
            f"missing for a {label}; header found: {header}",
            filename=source.filename,
            row=lineno,
            field=self.first_alias(missing[0]) if missing else None,
        )

    def near_miss(self, source):
        """(score, error naming the missing columns) for a header row that
        holds most of this layout's columns but not all required ones."""
        if not self.required or (
            self.recognize.get("evidence_required")
            or self.recognize.get("markers_required")
        ):
            return None  # a variant of another layout, or recognised by text
        try:
            hit = self._best_header_row(source)
        except BillParseError:
            return None
        if hit is None:
            return None
        _table, _position, normalized_set, hits = hit
        # Most of the layout's columns, and a header made mostly of them, so
        # that a stray "Amount, Date" CSV or another platform's header with
        # a few common names is not blamed on this layout.
        cells = len(normalized_set - {""})
        if hits < 3 or 2 * hits < len(self.aliases) or 4 * hits < 3 * cells:
            return None
        return hits, self.missing_header_error(source)

    def _best_header_row(self, source):
        best, best_hits = None, 0
        known = {alias for aliases in self.aliases.values() for alias in aliases}
        limit = self.search_lines + self.skip_lines
        for table in read_tables(source, **self.read_options):
            for position, _normalized, normalized_set in table.normalized_rows(limit):
                if position >= limit:
                    break
                if self.skip_lines and table.head[position][0] <= self.skip_lines:
                    continue
                hits = len(normalized_set & known)
                if hits > best_hits:
                    best, best_hits = (table, position, normalized_set, hits), hits
        return best

    def first_alias(self, name):
        aliases = _as_list(self.spec["columns"][name])
        return str(aliases[0]) if aliases else name

    def aliases_of(self, name):
        aliases = _as_list(self.spec["columns"][name])
        return "/".join(str(alias) for alias in aliases[:3]) or name

    # -- sniffing -----------------------------------------------------------

    def sniff(self, source):
        try:
            hit = self.find_header(source)
        except BillParseError:
            return 0
        if hit is None:
            return 0
        table, position, found = hit
        score = self.recognize.get("score", 50) + len(found)
        if self.markers:
            before = " ".join(
                "".join(normalized)
                for _p, normalized, _s in table.normalized_rows(position)
                if _p < position
            )
            seen = sum(1 for marker in self.markers if marker in before)
            if self.recognize.get("markers_required") and not seen:
                return 0
            score += 10 * seen
        evidence = self.recognize.get("evidence")
        if evidence:
            binding = _Binding(self, table, position, found, source.filename)
            test = binding.condition(evidence)
            hit_evidence = False
            for _lineno, cells in table.head[position + 1 :]:
                if not cells or (
                    self.end_markers and cells[0].startswith(self.end_markers)
                ):
                    continue
                cleaned = binding.clean_row(cells)
                if len(cleaned) < binding.width:
                    cleaned = cleaned + [""] * (binding.width - len(cleaned))
                if test(cleaned, None):
                    hit_evidence = True
                    break
            if hit_evidence:
                score += self.recognize.get("evidence_bonus", 20)
            elif self.recognize.get("evidence_required"):
                return 0
        if self.filename_pattern is not None:
            basename = (source.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
            if self.filename_pattern.search(basename):
                score += self.recognize.get("filename_bonus", 5)
        return score


# ---------------------------------------------------------------------------
# Binding: a plan applied to one file's header (column indexes resolved)
# ---------------------------------------------------------------------------


class _Binding:
    def __init__(self, plan, table, position, found, filename):
        self.plan = plan
        spec = plan.spec
        self.table = table
        self.filename = filename
        self.header_line, header_cells = table.head[position]
        self.header_position = position
        normalized = [_norm(cell) if cell else "" for cell in header_cells]
        self.headers = []
        for number, cell in enumerate(header_cells, 1):
            text = clean_cell(cell).lstrip("\ufeff").strip() if cell else ""
            self.headers.append(text or f"column_{number}")
        width = len(header_cells)
        while width and not normalized[width - 1]:
            width -= 1
        self.width = width
        self.headers = self.headers[:width]
        self.index = {}
        for name, alias in found.items():
            self.index[name] = normalized.index(alias)
        self.ci = bool(spec.get("case_insensitive"))
        self.decimal = _make_decimal(
            spec.get("unit", "yuan"), spec.get("decimal_separator", ".")
        )

    def field(self, name):
        index = self.index.get(name)
        return self.headers[index] if index is not None else name

    @staticmethod
    def clean_row(cells):
        return [
            clean_cell(c) if c and (c[0] in _DECOR_FIRST or c[-1] in _DECOR_LAST) else c
            for c in cells
        ]

    # -- conditions ---------------------------------------------------------

    def condition(self, cond):
        """Compile a condition into ``f(cells, amount) -> bool``."""
        if cond is None:
            return None
        if isinstance(cond, list):
            parts = [self.condition(item) for item in cond]
            return _all_of(parts)
        parts = []
        name = cond.get("column")
        ci = cond.get("ignore_case", self.ci)
        if name is not None:
            index = self.index.get(name)
            for op in (*_COND_OPS, "empty"):
                if op in cond:
                    parts.append(_compile_op(op, cond[op], index, ci))
        if "sign" in cond:
            parts.append(_SIGN_TESTS[cond["sign"]])
        if "all" in cond:
            parts.append(_all_of([self.condition(item) for item in cond["all"]]))
        if "any" in cond:
            subs = [self.condition(item) for item in cond["any"]]
            parts.append(lambda cells, amount: any(f(cells, amount) for f in subs))
        if "not" in cond:
            inner = self.condition(cond["not"])
            parts.append(lambda cells, amount: not inner(cells, amount))
        return _all_of(parts)

    # -- values -------------------------------------------------------------

    def amount_getter(self, name, allow_empty=True):
        index = self.index[name]
        field = self.headers[index]
        convert = self.decimal

        def get(cells):
            text = cells[index]
            if not text:
                if allow_empty:
                    return _ZERO
                raise BillParseError("amount is empty", field=field)
            value = convert(text, field)
            return _ZERO if value is None else value

        return get

    def optional_amount_getter(self, name):
        index = self.index[name]
        field = self.headers[index]
        convert = self.decimal
        return lambda cells: convert(cells[index], field) if cells[index] else None

    def source_chain(self, sources):
        """Compile a field's sources into ``f(cells, amount) -> str | None``."""
        steps = []
        for source in _as_list(sources):
            if isinstance(source, str):
                source = {"column": source}
            when = self.condition(source.get("when"))
            if source.get("stop"):
                steps.append((when, True, None))
                continue
            getter = self._source_getter(source)
            if getter is not None:
                steps.append((when, False, getter))
        if not steps:
            return None
        plain = [getter for when, stop, getter in steps if getter is not None]
        if all(
            when is None
            and not stop
            and isinstance(getattr(getter, "index", None), int)
            for when, stop, getter in steps
        ):
            # Plain columns only: no nested calls (hot path).
            indexes = [getter.index for getter in plain]
            if len(indexes) == 1:
                index = indexes[0]
                return lambda cells, amount: cells[index] or None

            def first_of(cells, amount):
                for index in indexes:
                    if cells[index]:
                        return cells[index]
                return None

            return first_of

        def chain(cells, amount):
            for when, stop, getter in steps:
                if when is not None and not when(cells, amount):
                    continue
                if stop:
                    return None
                value = getter(cells)
                if value:
                    return value
            return None

        return chain

    def _source_getter(self, source):
        exclude = frozenset(_as_list(source.get("exclude")))
        if "template" in source:
            # "{a} {b}": literal text and columns; columns absent from the
            # file read as empty; all columns empty → empty.
            pattern = []
            indexes = []
            for literal, name, _spec, _conv in string.Formatter().parse(
                source["template"]
            ):
                pattern.append(literal.replace("{", "{{").replace("}", "}}"))
                if name is not None:
                    index = self.index.get(name)
                    if index is not None:
                        pattern.append(f"{{{len(indexes)}}}")
                        indexes.append(index)
            if not indexes:
                return None
            fmt = "".join(pattern).format

            def render(cells):
                values = [cells[i] for i in indexes]
                if not any(values):
                    return ""
                text = fmt(*values).strip(" /-|")
                return " ".join(text.split()) if "  " in text else text

            return render
        index = self.index.get(source.get("column"))
        if index is None:
            return None
        if "regex" in source:
            pattern = re.compile(source["regex"])
            group = (
                "ref" if "ref" in pattern.groupindex else (1 if pattern.groups else 0)
            )

            def extract(cells):
                text = cells[index]
                if not text:
                    return ""
                match = pattern.search(text)
                if match is None:
                    return ""
                value = match.group(group) or ""
                return "" if value in exclude else value

            return extract
        if exclude:
            return lambda cells: "" if cells[index] in exclude else cells[index]

        def plain(cells):
            return cells[index]

        plain.index = index
        return plain


def _all_of(parts):
    parts = [part for part in parts if part is not None]
    if not parts:
        return lambda cells, amount: True
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda cells, amount: first(cells, amount) and second(cells, amount)
    return lambda cells, amount: all(part(cells, amount) for part in parts)


_SIGN_TESTS = {
    "positive": lambda cells, amount: amount is not None and amount > 0,
    "negative": lambda cells, amount: amount is not None and amount < 0,
    "zero": lambda cells, amount: not amount,
    "nonzero": lambda cells, amount: bool(amount),
}


def _compile_op(op, arg, index, ci):
    values = [str(value) for value in _as_list(arg)]
    if ci:
        values = [value.casefold() for value in values]
    if index is None:
        # Column absent from this file: it reads as empty text.
        constant = _test_op(op, arg, values, "")
        return lambda cells, amount: constant
    if ci:

        def value_of(cells):
            return cells[index].casefold()

    else:

        def value_of(cells):
            return cells[index]

    if op in ("equals", "in"):
        accepted = frozenset(values)
        if ci:
            return lambda cells, amount: cells[index].casefold() in accepted
        return lambda cells, amount: cells[index] in accepted
    if op == "not_in":
        refused = frozenset(values)
        return lambda cells, amount: value_of(cells) not in refused
    if op == "contains":
        if len(values) == 1:
            needle = values[0]
            return lambda cells, amount: needle in value_of(cells)
        pattern = re.compile("|".join(re.escape(value) for value in values))
        search = pattern.search
        return lambda cells, amount: search(value_of(cells)) is not None
    if op == "startswith":
        prefixes = tuple(values)
        return lambda cells, amount: value_of(cells).startswith(prefixes)
    if op == "endswith":
        suffixes = tuple(values)
        return lambda cells, amount: value_of(cells).endswith(suffixes)
    if op == "regex":
        search = re.compile(str(arg), re.IGNORECASE if ci else 0).search
        return lambda cells, amount: search(cells[index]) is not None
    if op == "empty":
        want = bool(arg)
        return lambda cells, amount: (not cells[index]) is want
    raise ValueError(op)


def _test_op(op, arg, values, text):
    if op in ("equals", "in"):
        return text in values
    if op == "not_in":
        return text not in values
    if op == "contains":
        return any(value in text for value in values)
    if op == "startswith":
        return text.startswith(tuple(values))
    if op == "endswith":
        return text.endswith(tuple(values))
    if op == "regex":
        return re.search(str(arg), text) is not None
    if op == "empty":
        return bool(arg)
    raise ValueError(op)


# ---------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------


def _equality_requirement(cond):
    """(column, values) that ``cond`` requires with equals/in, or None."""
    if isinstance(cond, list):
        for item in cond:
            found = _equality_requirement(item)
            if found:
                return found
        return None
    if isinstance(cond, dict) and "column" in cond and "ignore_case" not in cond:
        for op in ("equals", "in"):
            if op in cond:
                return cond["column"], [str(value) for value in _as_list(cond[op])]
        if "all" in cond:
            return _equality_requirement(cond["all"])
    return None


def _contains_only(cond):
    """(column, needles) for a bare ``{"column", "contains"}`` condition."""
    if isinstance(cond, dict) and set(cond) == {"column", "contains"}:
        return cond["column"], [str(value) for value in _as_list(cond["contains"])]
    return None


def _rule_steps(items, b):
    """Evaluation steps for compiled rules: runs of consecutive bare
    ``contains`` rules on one column become one step guarded by a combined
    search; other rules are steps of their own."""
    groups = []
    for test, kind, _requirement, cond in items:
        bare = _contains_only(cond)
        index = b.index.get(bare[0]) if bare else None
        if index is not None and groups and groups[-1][0] == index:
            groups[-1][1].extend(bare[1])
            groups[-1][2].append((test, kind))
        elif index is not None:
            groups.append((index, list(bare[1]), [(test, kind)]))
        else:
            groups.append((None, None, [(test, kind)]))
    steps = []
    for index, needles, members in groups:
        if index is None or len(members) == 1:
            steps.append((None, *members[0]))
            continue
        if b.ci:
            needles = [needle.casefold() for needle in needles]
        search = re.compile("|".join(re.escape(n) for n in needles)).search
        steps.append((index, search, members))
    return steps


def _run_steps(steps, cells, amount, fold):
    for index, test, kind in steps:
        if index is None:
            if test(cells, amount):
                return kind
            continue
        value = cells[index].casefold() if fold else cells[index]
        if test(value) is not None:
            for rule_test, rule_kind in kind:
                if rule_test(cells, amount):
                    return rule_kind
    return None


def _compile_rules(rules, b):
    """``classify(cells, amount) -> kind | None`` with first-match semantics.

    Two shortcuts keep the order semantics exact: rules requiring a value of
    the column most rules test for equality are skipped for rows with another
    value (candidates cached per value), and a run of consecutive bare
    ``contains`` rules on one column is skipped at once when one combined
    search finds none of their words.
    """
    compiled = [
        (
            b.condition(rule["when"]),
            rule["kind"],
            _equality_requirement(rule["when"]),
            rule["when"],
        )
        for rule in rules
    ]
    counts = {}
    for _test, _kind, requirement, _cond in compiled:
        if requirement and requirement[0] in b.index:
            counts[requirement[0]] = counts.get(requirement[0], 0) + 1
    fold = b.ci
    if not counts or max(counts.values()) < 2:
        all_steps = _rule_steps(compiled, b)
        return lambda cells, amount: _run_steps(all_steps, cells, amount, fold)
    dispatch = max(counts, key=counts.get)
    index = b.index[dispatch]
    accepted = [
        {v.casefold() if fold else v for v in item[2][1]}
        if item[2] and item[2][0] == dispatch
        else None
        for item in compiled
    ]
    per_value = {}

    def classify(cells, amount):
        value = cells[index]
        steps = per_value.get(value)
        if steps is None:
            key = value.casefold() if fold else value
            steps = _rule_steps(
                [
                    item
                    for item, values in zip(compiled, accepted, strict=True)
                    if values is None or key in values
                ],
                b,
            )
            if len(per_value) < 10000:
                per_value[value] = steps
        return _run_steps(steps, cells, amount, fold)

    return classify


class _Component:
    __slots__ = ("value", "sign", "kind", "suffix", "keep_zero", "when")


class TabularParser(BillParser):
    """A ``BillParser`` driven by ``spec`` (see the module docstring).

    Hooks for what data cannot say (all optional):
    ``adjust_row(self, row, lines)`` may edit or replace the lines of a row
    (``row`` is a dict: ``cells``, ``raw``, ``line_number``, ``kind``,
    ``amount``); ``finalize(self, bill)`` may edit the finished bill.
    """

    spec = None
    content = "table"

    @classmethod
    def plan(cls):
        plan = cls.__dict__.get("_compiled_plan")
        if plan is None:
            plan = _Plan(cls.spec)
            cls._compiled_plan = plan
        return plan

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec:
            cls.code = spec["code"]
            cls.label = spec.get("label", spec["code"])
            cls.platform = spec.get("platform")
            cls.channel = spec.get("channel", spec.get("platform"))
            cls.version = str(spec.get("version", "1"))
        return None

    @classmethod
    def sniff(cls, source):
        return cls.plan().sniff(source)

    @classmethod
    def near_miss(cls, source):
        return cls.plan().near_miss(source)

    def adjust_row(self, row, lines):
        return lines

    def finalize(self, bill):
        return bill

    def parse(self, source):
        try:
            return _Run(self, source).parse()
        except BillRowErrors:
            raise
        except BillParseError as exc:
            if exc.filename:
                raise
            raise exc.located(filename=source.filename) from None


def make_parser(spec, base=TabularParser):
    """A parser class for ``spec`` (not registered: pass it to ``register``)."""
    validate_spec(spec)
    name = "".join(part.title() for part in re.split(r"\W+", spec["code"]))
    return type(f"{name}Parser", (base,), {"spec": spec})


class _Run:
    """One parse of one file."""

    def __init__(self, parser, source):
        self.parser = parser
        self.source = source
        self.plan = parser.plan()
        self.spec = self.plan.spec
        self.filename = source.filename
        self.warnings = []
        self.warning_count = 0
        self.meta = {}
        self.totals = {}
        self.bill_values = {}

    def warn(self, message):
        self.warning_count += 1
        if self.warning_count <= MAX_WARNINGS:
            self.warnings.append(message)

    # -- setup --------------------------------------------------------------

    def parse(self):
        source = self.source
        if (
            not source.is_xlsx
            and not source_text(source, self.plan.read_options["encoding"]).strip()
        ):
            raise BillParseError("the file is empty", filename=self.filename)
        hit = self.plan.find_header(source)
        if hit is None:
            raise self.plan.missing_header_error(source)
        table, position, found = hit
        if table.is_xlsx and len(_xlsx_sheet_names(source)) > 1:
            self.filename = f"{source.filename}[{table.name}]"
            self.meta["sheet"] = table.name
        binding = _Binding(self.plan, table, position, found, self.filename)
        self.binding = binding
        self.compile(binding)
        for line in (cells for _n, cells in table.head[:position]):
            self.read_text_line(line, table.delimiter)
        return self.run(table, binding)

    def compile(self, b):
        spec = self.spec
        self.components = []
        for position, comp_spec in enumerate(_components_of(spec)):
            comp = self.compile_component(b, comp_spec, position)
            if comp is not None:
                self.components.append(comp)
        if not self.components:
            raise BillParseError(
                "no amount column of this layout is in the file",
                filename=self.filename,
            )
        self.classify = _compile_rules(spec.get("rules", []), b)
        self.default_kind = spec.get("default_kind")
        fields = spec.get("fields", {})
        self.fields = {}
        for name in _FIELDS:
            if name in fields:
                chain = b.source_chain(fields[name])
                if chain is not None:
                    self.fields[name] = chain
        balance = fields.get("balance")
        self.balance = (
            b.optional_amount_getter(balance)
            if balance and balance in b.index
            else None
        )
        net = spec.get("net_check")
        self.net_check = (
            b.optional_amount_getter(net) if net and net in b.index else None
        )
        self.currency_default = spec.get("currency")
        self.currency_map = {
            key.casefold(): value for key, value in spec.get("currency_map", {}).items()
        }
        self.compile_date(b)
        self.compile_txn(b)
        read = self.plan.read
        self.ignore = (
            b.condition(_as_list(read.get("ignore"))) if read.get("ignore") else None
        )
        summary_rows = spec.get("summary_rows")
        if summary_rows:
            self.summary_row = b.condition(summary_rows["when"])
            self.summary_row_fields = [
                (b.index[name], b.field(name), target)
                for name, target in summary_rows.get("fields", {}).items()
                if name in b.index
            ]
        else:
            self.summary_row = None
        for variant in spec.get("variants", []):
            present = all(
                name in b.index for name in variant.get("columns_present", [])
            )
            absent = not any(
                name in b.index for name in variant.get("columns_absent", [])
            )
            if present and absent:
                self.meta["variant"] = variant["name"]
                break

    def compile_component(self, b, comp_spec, position):
        comp = _Component()
        allow_empty = comp_spec.get("allow_empty", True)
        optional = comp_spec.get("optional", True)

        def need(name):
            if name in b.index:
                return True
            if optional:
                return False
            raise BillParseError(
                f"required column {self.plan.aliases_of(name)} is missing; "
                f"header found: {', '.join(b.headers)}",
                filename=self.filename,
                row=b.header_line,
            )

        if "column" in comp_spec:
            if not need(comp_spec["column"]):
                return None
            comp.value = b.amount_getter(comp_spec["column"], allow_empty)
        elif "columns" in comp_spec:
            parts = []
            for name in comp_spec["columns"]:
                negative = name.startswith("-")
                name = name.lstrip("-")
                if not need(name):
                    return None
                parts.append((negative, b.amount_getter(name, allow_empty)))

            def total(cells, parts=tuple(parts)):
                value = _ZERO
                for negative, getter in parts:
                    value = value - getter(cells) if negative else value + getter(cells)
                return value

            comp.value = total
        else:
            income_name, expense_name = comp_spec["pair"]
            if not (need(income_name) and need(expense_name)):
                return None
            income = b.amount_getter(income_name, allow_empty)
            expense = b.amount_getter(expense_name, allow_empty)
            comp.value = lambda cells: income(cells) - abs(expense(cells))
        sign = comp_spec.get("sign", "as_is")
        if sign == "direction":
            comp.sign = self.compile_direction(b)
        else:
            comp.sign = sign
        comp.kind = comp_spec.get("kind", "rules")
        comp.suffix = comp_spec.get("suffix", "")
        comp.keep_zero = comp_spec.get("keep_zero", position == 0)
        comp.when = b.condition(comp_spec.get("when"))
        return comp

    def compile_direction(self, b):
        spec = self.spec["direction"]
        indexes = [
            (b.index[n], b.field(n)) for n in spec.get("columns", []) if n in b.index
        ]
        inbound = frozenset(_as_list(spec.get("in")))
        outbound = frozenset(_as_list(spec.get("out")))
        if not indexes:
            return "as_is"

        def direction(cells):
            for index, field in indexes:
                text = cells[index]
                if not text:
                    continue
                if text in inbound:
                    return 1
                if text in outbound:
                    return -1
                raise BillParseError(f"unknown direction {text!r}", field=field)
            return 0

        return direction

    def compile_date(self, b):
        spec = self.spec["date"]
        self.date_indexes = [
            (b.index[name], b.field(name))
            for name in spec.get("columns", [])
            if name in b.index
        ]
        if not self.date_indexes and not spec.get("optional"):
            names = ", ".join(self.plan.aliases_of(n) for n in spec.get("columns", []))
            raise BillParseError(
                f"no date column ({names}) in the header: {', '.join(b.headers)}",
                filename=self.filename,
                row=b.header_line,
            )
        self.date_optional = bool(spec.get("optional"))
        self.time_index = b.index.get(spec.get("time")) if spec.get("time") else None
        self.tz_index = (
            b.index.get(spec.get("tz_column")) if spec.get("tz_column") else None
        )
        self.tz = _resolve_tz(spec.get("tz", "Asia/Shanghai"))
        self.tz_table = dict(TZ_ABBREVIATIONS)
        self.tz_table.update(
            {
                key.upper(): value
                for key, value in spec.get("tz_abbreviations", {}).items()
            }
        )
        self.date_formats = list(spec.get("formats", []))
        self.day_first = spec.get("day_first")
        self.day_first_default = spec.get("day_first_default", True)
        self.date_converters = {}

    def date_converter(self, tz):
        key = str(tz)
        converter = self.date_converters.get(key)
        if converter is None:
            converter = _make_date(self.date_formats, tz)
            self.date_converters[key] = converter
        return converter

    def decide_day_first(self, rows):
        """dd/mm vs mm/dd from every date of the file (``day_first: auto``).

        A first part > 12 proves dd/mm, a second part > 12 proves mm/dd. When
        every date fits both, the reading spanning fewer days wins (a bill
        covers a short period: 05/03, 06/03, 07/03 are three days of March,
        not three months); when that cannot tell either, the layout default.
        """
        index = self.date_indexes[0][0] if self.date_indexes else None
        if index is None:
            return
        parts = []
        for _lineno, cells in rows:
            if index < len(cells):
                match = _DMY_RE.match(cells[index])
                if match:
                    parts.append(tuple(int(group) for group in match.groups()))
        if not parts:
            return  # ISO or textual dates: nothing to decide
        day_first = any(first > 12 for first, _second, _year in parts)
        month_first = any(second > 12 for _first, second, _year in parts)
        if day_first and month_first:
            raise BillParseError(
                "dates mix dd/mm/yyyy and mm/dd/yyyy: cannot tell them apart",
                filename=self.filename,
                field=self.date_indexes[0][1],
            )
        if day_first or month_first:
            decided = day_first
        else:
            spans = {True: _date_span(parts, True), False: _date_span(parts, False)}
            if spans[True] != spans[False] and None not in spans.values():
                decided = spans[True] < spans[False]
                reason = "the reading that spans fewer days"
            else:
                decided = self.day_first_default
                reason = "the layout's default"
            self.warn(
                "every date fits both dd/mm and mm/dd: read as "
                + ("dd/mm/yyyy" if decided else "mm/dd/yyyy")
                + f" ({reason})"
            )
        self.meta["date_order"] = "dmy" if decided else "mdy"
        # In place: the date converters made before hold this very list.
        self.date_formats[:0] = _day_first_formats(decided)

    def compile_txn(self, b):
        spec = self.spec["transaction_id"]
        if isinstance(spec, str):
            spec = {"columns": [spec]}
        self.txn_hash = None
        self.txn_columns = None
        if spec.get("hash"):
            names = spec["hash"]
            if names == "all":
                order = sorted(range(b.width), key=lambda i: _norm(b.headers[i]))
                self.txn_hash = order
            else:
                self.txn_hash = [b.index.get(name) for name in sorted(names)]
            self.txn_ignore = frozenset(_as_list(spec.get("ignore_values")))
            self.txn_seen = {}
        else:
            columns = []
            for name in spec["columns"]:
                if name == "$date":
                    columns.append((None, "$date"))
                elif name in b.index:
                    columns.append((b.index[name], b.field(name)))
            if not any(index is not None for index, _f in columns):
                names = ", ".join(
                    self.plan.aliases_of(n) for n in spec["columns"] if n != "$date"
                )
                raise BillParseError(
                    f"required column {names} is missing; header found: "
                    f"{', '.join(b.headers)}",
                    filename=self.filename,
                    row=b.header_line,
                )
            self.txn_columns = columns
            self.txn_join = spec.get("join", "-")
            self.txn_ordinal = bool(spec.get("ordinal"))
            self.txn_seen = {}
            if len(columns) == 1 and columns[0][0] is not None:
                self.transaction_id = self._single_column_id(*columns[0])
            elif all(index is not None for index, _field in columns):
                self.transaction_id = self._columns_id(columns)

    # -- text lines outside the table ---------------------------------------

    def read_text_line(self, cells, delimiter):
        if not cells:
            return
        text = (delimiter or ",").join(cells).strip()
        if not text:
            return
        for pattern in self.plan.text_fields:
            match = pattern.search(text)
            if match is None:
                continue
            for name, value in match.groupdict().items():
                if value is not None:
                    self.store(name, value.strip(), None)

    def store(self, target, value, line_number):
        """Put a stated value into the bill (account, period, totals, meta)."""
        if value in ("", None):
            return
        try:
            if target in ("period_start", "period_end"):
                self.bill_values[target] = parse_datetime(
                    value,
                    formats=self.date_formats,
                    tz=self.tz or ZoneInfo("Asia/Shanghai"),
                    field=target,
                )
            elif target == "account":
                self.bill_values[target] = clean_cell(value)
            elif target.startswith("meta_"):
                self.meta[target[5:]] = clean_cell(value)
            else:
                # "-", "/" or an empty cell: the bill states nothing here.
                number = parse_decimal(value, field=target)
                if number is None:
                    return
                _checked_amount(number, value, target)
                if target in ("opening_balance", "closing_balance"):
                    self.bill_values[target] = number
                elif target == "count" or target.endswith("_count"):
                    self.totals[target] = int(number)
                else:
                    self.totals[target] = number
        except BillParseError as exc:
            raise exc.located(filename=self.filename, row=line_number) from None

    # -- the data loop ------------------------------------------------------

    def record(self, error, lineno=None):
        """Keep a row error (at most MAX_ROW_ERRORS of them; all counted)."""
        self.error_rows += 1
        if len(self.errors) < MAX_ROW_ERRORS:
            self.errors.append(error.located(filename=self.filename, row=lineno))

    def data_rows(self, table, b):
        """Yield ``(line number, cleaned cells)`` of the data rows.

        Reads the footer / summary block after the end of the data, records
        rows of the wrong width and formula cells as errors.
        """
        width = b.width
        is_xlsx = table.is_xlsx
        pad_short = is_xlsx or self.plan.read.get("short_rows") == "pad"
        end_markers = self.plan.end_markers
        summary_markers = self.plan.summary_markers
        rows = table.rows()
        must_clean = table.needs_cleaning or is_xlsx
        if self.day_first == "auto":
            rows = [(n, c) for n, c in rows if n > b.header_line]
            self.decide_day_first(rows)
        clean, first_decor, last_decor = clean_cell, _DECOR_FIRST, _DECOR_LAST
        header_line = b.header_line
        in_summary = None
        for lineno, cells in rows:
            if lineno <= header_line:
                continue
            if self.ended:
                if in_summary is not None:
                    self.read_summary(in_summary, cells, lineno)
                    in_summary = None
                else:
                    self.read_text_line(cells, table.delimiter)
                continue
            if not cells:
                continue
            if end_markers and cells[0].startswith(end_markers):
                self.ended = True
                self.read_text_line(cells, table.delimiter)
                continue
            if summary_markers and _norm(cells[0]) in summary_markers:
                self.ended = True
                in_summary = [_norm(cell) for cell in cells]
                continue
            if len(cells) != width:
                cells = self.fit_width(cells, width, lineno, pad_short, is_xlsx)
                if cells is None:
                    continue
            self.last_short = None
            if is_xlsx and self.has_formula(cells, lineno, b.headers):
                continue
            if must_clean:
                cells = [
                    clean(c)
                    if c and (c[0] in first_decor or c[-1] in last_decor)
                    else c
                    for c in cells
                ]
            if any(cells):
                yield lineno, cells

    def fit_width(self, cells, width, lineno, pad_short, is_xlsx):
        """Cells of a row of another width than the header, or None."""
        count = len(cells)
        if count > width:
            if is_xlsx or not any(cell.strip() for cell in cells[width:]):
                return cells[:width]
            self.record(
                BillParseError(
                    f"{count} cells where the header has {width} "
                    "(a delimiter inside an unquoted cell?)"
                ),
                lineno,
            )
            return None
        if pad_short:
            return cells + [""] * (width - count)
        if any(cell.strip() for cell in cells):
            self.last_short = (lineno, count)
            self.record(
                BillParseError(f"{count} cells where the header has {width}"), lineno
            )
        return None

    def has_formula(self, cells, lineno, headers):
        for position, cell in enumerate(cells):
            if type(cell) is _Formula:
                self.record(
                    BillParseError(
                        f"formula {cell!r} instead of a value: save the sheet with "
                        "values (paste as values)",
                        field=headers[position] if position < len(headers) else None,
                    ),
                    lineno,
                )
                return True
        return False

    def single_amount(self, cells):
        """``amounts`` for the one-component specs without condition."""
        comp = self.components[0]
        amount = comp.value(cells)
        sign = comp.sign
        if sign == "as_is":
            pass
        elif sign == "negate":
            amount = -amount
        elif sign == "debit":
            amount = -abs(amount)
        elif sign == "credit":
            amount = abs(amount)
        else:
            direction = sign(cells)
            if direction:
                amount = abs(amount) * direction
        return [(comp, amount)], amount

    def amounts(self, cells):
        """[(component, amount)] of a row, and the row amount (first one)."""
        values = []
        row_amount = None
        for comp in self.components:
            amount = comp.value(cells)
            sign = comp.sign
            if sign == "as_is":
                pass
            elif sign == "negate":
                amount = -amount
            elif sign == "debit":
                amount = -abs(amount)
            elif sign == "credit":
                amount = abs(amount)
            else:  # a direction function
                direction = sign(cells)
                if direction:
                    amount = abs(amount) * direction
            if comp.when is not None and not comp.when(cells, amount):
                continue
            if row_amount is None:
                row_amount = amount
            if amount or comp.keep_zero:
                values.append((comp, amount))
        return values, row_amount

    def row_date(self, cells, convert_date):
        for index, field in self.date_indexes:
            text = cells[index]
            if not text:
                continue
            time_index, tz_index = self.time_index, self.tz_index
            if time_index is not None and cells[time_index]:
                text = f"{text} {cells[time_index]}"
            if tz_index is not None and cells[tz_index]:
                zone = _resolve_tz(cells[tz_index], self.tz_table)
                if zone is None:
                    raise BillParseError(
                        f"unknown time zone {cells[tz_index]!r}",
                        field=self.binding.headers[tz_index],
                    )
                return self.date_converter(zone)(text, field)
            return convert_date(text, field)
        if not self.date_optional:
            raise BillParseError(
                "date is empty",
                field=self.date_indexes[0][1] if self.date_indexes else None,
            )
        return None

    def track_balance(self, balance, row_lines, lineno, currency):
        """Opening/closing balance and continuity warnings, per currency."""
        if len(row_lines) == 1:
            row_total = row_lines[0].amount
        else:
            row_total = sum([line.amount for line in row_lines], _ZERO)
        row_lines[-1].balance = balance
        if currency != self.balance_currency:
            # Balances are per currency (PayPal): keep one running balance each.
            self.balances[self.balance_currency] = (self.opening, self.last_balance)
            self.opening, self.last_balance = self.balances.get(currency, (None, None))
            self.balance_currency = currency
        previous = self.last_balance
        if self.opening is None:
            self.opening = balance - row_total
        elif (
            previous is not None
            and previous + row_total != balance
            and (previous + row_total).quantize(_CENT) != balance.quantize(_CENT)
        ):
            self.warn(
                f"row {lineno}: balance {balance} does not follow from the previous "
                f"balance {previous} and the row amount {row_total}"
            )
        self.last_balance = balance

    def check_net(self, cells, row_lines, lineno):
        stated = self.net_check(cells)
        summed = sum([line.amount for line in row_lines], _ZERO)
        if stated is not None and stated != summed:
            self.warn(
                f"row {lineno}: the lines sum to {summed}, the row states a net of "
                f"{stated}"
            )

    def run(self, table, b):  # noqa: C901 (the per-row hot loop, kept in one frame)
        self.errors = []
        self.error_rows = 0
        self.ended = False
        self.last_short = None
        self.opening = self.last_balance = None
        self.balances = {}
        self.balance_currency = self.currency_default
        parser = self.parser
        keys = b.headers
        single = len(self.components) == 1 and self.components[0].when is None
        amounts = (
            self.single_amount
            if single and self.components[0].keep_zero
            else (self.amounts)
        )
        row_date = self.row_date
        classify = self.classify
        default_kind = self.default_kind
        ignore = self.ignore
        summary_row = self.summary_row
        fields = self.fields
        order_chain = fields.get("order_ref")
        sub_chain = fields.get("sub_order_ref")
        counterparty_chain = fields.get("counterparty")
        description_chain = fields.get("description")
        related_chain = fields.get("related_ref")
        currency_chain = fields.get("currency")
        account_chain = fields.get("account")
        currency_default = self.currency_default
        currency_map = self.currency_map
        balance_get = self.balance
        hooked = type(parser).adjust_row is not TabularParser.adjust_row
        new_line = _new_line
        net_check = self.net_check
        lines = []
        row_count = 0
        currencies = set()
        rows = self.data_rows(table, b)
        convert_date = self.date_converter(self.tz)
        simple_date = date_field = None
        if self.date_indexes and self.time_index is None and self.tz_index is None:
            simple_date, date_field = self.date_indexes[0]
        # Memory: the raw cells of every row are kept; columns that repeat a
        # few values (type, status, currency, shop) keep one string object
        # per value instead of one per row. Chosen on the first rows.
        intern_sample, intern_columns = [], None
        for lineno, cells in rows:
            try:
                if summary_row is not None and summary_row(cells, None):
                    for index, _field, target in self.summary_row_fields:
                        self.store(target, cells[index], lineno)
                    continue
                if ignore is not None and ignore(cells, None):
                    continue
                values, row_amount = amounts(cells)
                kind = classify(cells, row_amount)
                flags = []
                if kind is None:
                    if default_kind is None:
                        kind = "other"
                        flags.append(FLAG_UNCLASSIFIED)
                    else:
                        kind = default_kind
                if simple_date is not None and cells[simple_date]:
                    moment = convert_date(cells[simple_date], date_field)
                else:
                    moment = row_date(cells, convert_date)
                order_ref = order_chain(cells, row_amount) if order_chain else None
                sub_ref = sub_chain(cells, row_amount) if sub_chain else None
                related = related_chain(cells, row_amount) if related_chain else None
                for ref in (order_ref, sub_ref, related):
                    if ref and ("E" in ref or "e" in ref) and is_mangled_id(ref):
                        flags.append(FLAG_MANGLED_ID)
                        break
                counterparty = (
                    counterparty_chain(cells, row_amount)
                    if counterparty_chain
                    else None
                )
                description = (
                    description_chain(cells, row_amount) if description_chain else None
                )
                currency = currency_chain(cells, row_amount) if currency_chain else None
                if currency:
                    currency = currency_map.get(currency.casefold()) or currency.upper()
                else:
                    currency = currency_default
                balance = balance_get(cells) if balance_get is not None else None
                txn = self.transaction_id(cells, moment, flags)
            except BillParseError as exc:
                self.record(exc, lineno)
                continue
            row_count += 1
            if account_chain is not None:
                account = account_chain(cells, row_amount)
                if account:
                    self.bill_values.setdefault("account", account)
                    account_chain = None
            if intern_columns:
                for index, memo in intern_columns:
                    if index < len(cells):
                        value = cells[index]
                        cells[index] = memo.get(value, value)
            elif intern_sample is not None:
                intern_sample.append(cells)
                if len(intern_sample) == _INTERN_SAMPLE:
                    intern_columns = _repeated_columns(intern_sample)
                    intern_sample = None
            raw = dict(zip(keys, cells, strict=False))
            row_lines = [
                new_line(
                    txn + comp.suffix if comp.suffix else txn,
                    kind if comp.kind == "rules" else comp.kind,
                    amount,
                    moment,
                    currency,
                    order_ref,
                    sub_ref,
                    counterparty,
                    description,
                    None,  # balance: set by track_balance on the row's last line
                    related,
                    lineno,
                    raw,
                    flags[:],
                )
                for comp, amount in values
            ]
            if hooked:
                row = {"cells": cells, "raw": raw, "line_number": lineno}
                row.update(kind=kind, amount=row_amount)
                row_lines = parser.adjust_row(row, row_lines)
            if currency:
                currencies.add(currency)
            if net_check is not None:
                self.check_net(cells, row_lines, lineno)
            if balance is not None and row_lines:
                self.track_balance(balance, row_lines, lineno, currency)
            lines.extend(row_lines)
        self.check_end(b, row_count)
        return self.finish(
            lines, row_count, currencies, self.opening, self.last_balance
        )

    def check_end(self, b, row_count):
        """Truncation, collected row errors, empty bill: raise."""
        if self.last_short is not None and not self.ended:
            raise BillParseError(
                f"the file looks truncated: the last row has {self.last_short[1]} "
                f"cells where the header has {b.width}",
                filename=self.filename,
                row=self.last_short[0],
            )
        if self.errors:
            if self.error_rows == 1:
                raise self.errors[0]
            raise BillRowErrors(
                self.errors, filename=self.filename, total=self.error_rows
            )
        if self.plan.read.get("end_required") and not self.ended:
            raise BillParseError(
                "the file looks truncated: the end of the table (footer or summary) "
                "is missing",
                filename=self.filename,
            )
        self.derive_totals()
        if not row_count and self.totals.get("count") != 0:
            raise BillParseError(
                "the file has a header but no data rows",
                filename=self.filename,
                row=b.header_line,
            )

    def read_summary(self, header, cells, lineno):
        fields = self.plan.summary_fields
        for name, cell in zip(header, cells, strict=False):
            target = fields.get(name)
            if target:
                self.store(target, clean_cell(cell), lineno)

    def _single_column_id(self, index, field):
        """Fast path of ``transaction_id`` for one id column (the usual case)."""
        seen = self.txn_seen
        ordinal = self.txn_ordinal

        def transaction_id(cells, moment, flags):
            value = cells[index]
            if not value:
                raise BillParseError("transaction id is empty", field=field)
            if (
                ("E" in value or "e" in value)
                and is_mangled_id(value)
                and FLAG_MANGLED_ID not in flags
            ):
                flags.append(FLAG_MANGLED_ID)
            count = seen.get(value, 0) + 1
            seen[value] = count
            if count > 1:
                if ordinal:
                    return f"{value}#{count}"
                self.warn(f"transaction id {value} appears more than once in the file")
            return value

        return transaction_id

    def _columns_id(self, columns):
        """Fast path of ``transaction_id`` for several id columns (no $date)."""
        seen = self.txn_seen
        ordinal = self.txn_ordinal
        join = self.txn_join.join
        first_index, first_field = columns[0]
        indexes = [index for index, _field in columns]

        def transaction_id(cells, moment, flags):
            if not cells[first_index]:
                raise BillParseError("transaction id is empty", field=first_field)
            parts = [cells[i] for i in indexes if cells[i]]
            for value in parts:
                if ("E" in value or "e" in value) and is_mangled_id(value):
                    if FLAG_MANGLED_ID not in flags:
                        flags.append(FLAG_MANGLED_ID)
                    break
            txn = join(parts)
            count = seen.get(txn, 0) + 1
            seen[txn] = count
            if count > 1:
                if ordinal:
                    return f"{txn}#{count}"
                self.warn(f"transaction id {txn} appears more than once in the file")
            return txn

        return transaction_id

    def transaction_id(self, cells, moment, flags):
        if self.txn_hash is not None:
            ignore = self.txn_ignore
            parts = []
            for index in self.txn_hash:
                value = cells[index] if index is not None else ""
                parts.append("" if value in ignore else value)
            digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]
            ordinal = self.txn_seen.get(digest, 0) + 1
            self.txn_seen[digest] = ordinal
            return f"{digest}-{ordinal}"
        parts = []
        first = True
        for index, field in self.txn_columns:
            if index is None:
                if moment is not None:
                    parts.append(f"{moment:%Y%m%d%H%M%S}")
            else:
                value = cells[index]
                if value:
                    if (
                        ("E" in value or "e" in value)
                        and is_mangled_id(value)
                        and FLAG_MANGLED_ID not in flags
                    ):
                        flags.append(FLAG_MANGLED_ID)
                    parts.append(value)
                elif first:
                    raise BillParseError("transaction id is empty", field=field)
            first = False
        txn = self.txn_join.join(parts)
        seen = self.txn_seen.get(txn, 0) + 1
        self.txn_seen[txn] = seen
        if seen > 1:
            if self.txn_ordinal:
                return f"{txn}#{seen}"
            self.warn(f"transaction id {txn} appears more than once in the file")
        return txn

    def derive_totals(self):
        totals = self.totals
        for key in self.spec.get("positive_totals", []):
            if key in totals:
                totals[key] = abs(totals[key])
        for key in self.spec.get("negative_totals", []):
            if key in totals:
                totals[key] = -abs(totals[key])
        for key in self.spec.get("negated_totals", []):
            if key in totals:
                totals[key] = -totals[key]
        for key, parts in self.spec.get("derived_totals", {}).items():
            # "-name" subtracts; "?name" may be absent (counts as zero).
            terms = [
                (part.lstrip("-?"), "-" in part[:2], "?" in part[:2]) for part in parts
            ]
            if key in totals or not all(
                name in totals for name, _minus, optional in terms if not optional
            ):
                continue
            values = [
                -totals[name] if minus else totals[name]
                for name, minus, _optional in terms
                if name in totals
            ]
            if values:
                totals[key] = sum(values[1:], values[0])

    def finish(self, lines, row_count, currencies, opening, closing):
        spec = self.spec
        currency = next(iter(currencies)) if len(currencies) == 1 else None
        if len(currencies) > 1:
            self.warn(
                f"several currencies ({', '.join(sorted(currencies))}): no bill "
                "currency; balances per currency are in meta['balances']"
            )
            self.balances[self.balance_currency] = (opening, closing)
            balances = {
                code: [str(first), str(last)]
                for code, (first, last) in sorted(
                    (item for item in self.balances.items() if item[0]),
                )
                if first is not None
            }
            if balances:
                self.meta["balances"] = balances
            opening = closing = None
        self.meta["rows"] = row_count
        self.meta["header_line"] = self.binding.header_line
        for key, value in (spec.get("meta") or {}).items():
            self.meta.setdefault(key, value)
        total = sum((line.amount for line in lines), _ZERO)
        if "count" in self.totals and self.totals["count"] != row_count:
            self.warn(
                f"the bill states {self.totals['count']} rows, {row_count} were read"
            )
        net = self.totals.get("net")
        if net is not None and quantize_cent(net) != quantize_cent(total):
            self.warn(f"the bill states a net of {net}, the lines sum to {total}")
        if self.warning_count > MAX_WARNINGS:
            self.warnings.append(
                f"… and {self.warning_count - MAX_WARNINGS} more warnings"
            )
        bill = ParsedBill(
            bill_type=spec.get("bill_type") or spec["code"],
            platform=spec.get("platform"),
            channel=spec.get("channel", spec.get("platform")),
            parser_version=str(spec.get("version", "1")),
            filename=self.source.filename,
            account=self.bill_values.get("account"),
            currency=currency if currencies else self.currency_default,
            period_start=self.bill_values.get("period_start"),
            period_end=self.bill_values.get("period_end"),
            opening_balance=self.bill_values.get("opening_balance", opening),
            closing_balance=self.bill_values.get("closing_balance", closing),
            declared_totals=dict(self.totals),
            lines=lines,
            warnings=self.warnings,
        )
        bill.meta.update(self.meta)
        return self.parser.finalize(bill) or bill


def quantize_cent(amount):
    return amount.quantize(_CENT)
