# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Safe XLSX writing for report exports (plain Python, no ORM).

Exported files are opened by accountants in Excel or WPS, often re-saved as
CSV and fed to other tools, so every cell is written with an explicit type:

- text cells are always stored as strings (never as formulas or error
  codes), and a text that a spreadsheet would read as a formula (starting
  with ``=``, ``+``, ``-``, ``@``, TAB or CR) is neutralised with a leading
  apostrophe, which survives a re-save as CSV;
- numbers are written as numbers, amounts rounded to two decimals with the
  format ``#,##0.00``;
- identifiers (order numbers, transaction ids) are text columns: a
  20-digit order number stays exact instead of becoming ``2.02403E+19``.
"""

import datetime as dt
import io
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

TEXT = "text"
AMOUNT = "amount"
INTEGER = "integer"
FLOAT = "float"
PERCENT = "percent"
DATE = "date"
DATETIME = "datetime"
COLUMN_TYPES = (TEXT, AMOUNT, INTEGER, FLOAT, PERCENT, DATE, DATETIME)

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
AMOUNT_FORMAT = "#,##0.00"
INTEGER_FORMAT = "0"
FLOAT_FORMAT = "0.00"
PERCENT_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
TEXT_FORMAT = "@"

# Characters XML 1.0 (hence XLSX) cannot hold; TAB, LF and CR are allowed.
_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_CENT = Decimal("0.01")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TITLE_FONT = Font(bold=True, size=13)


class Column:
    """One column of a sheet: ``key`` in the row dicts, header ``label``, type."""

    __slots__ = ("key", "label", "type", "width")

    def __init__(self, key, label, type=TEXT, width=None):  # pylint: disable=redefined-builtin
        if type not in COLUMN_TYPES:
            raise ValueError(f"Unknown column type {type!r} for {key!r}")
        self.key = key
        self.label = label
        self.type = type
        self.width = width

    def __repr__(self):
        return f"Column({self.key!r}, {self.type!r})"


def neutralize(value):
    """``value`` as a string a spreadsheet will never evaluate."""
    text = _ILLEGAL_CHARACTERS.sub("", str(value))
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _is_empty(value):
    # Odoo reads empty fields as False; a real boolean column would be text.
    return value is None or value is False or value == ""


def _to_decimal(value):
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    text = str(value).strip().replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise ValueError(value) from error


def _number(value, kind):
    """The numeric value to store for a column of type ``kind``."""
    number = _to_decimal(value)
    if not number.is_finite():
        raise ValueError(value)
    if kind == AMOUNT:
        return float(number.quantize(_CENT, rounding=ROUND_HALF_UP))
    if kind == INTEGER:
        return int(number.to_integral_value(rounding=ROUND_HALF_UP))
    if kind == PERCENT:
        # Values are percentage points (12.5 means 12.5 %).
        return float(number / 100)
    return float(number)


def write_cell(sheet, row, col, value, kind=TEXT):
    """Write ``value`` into ``sheet`` at (row, col), typed by column ``kind``.

    Returns the cell. Values that do not fit a numeric or date column are
    written as (neutralised) text rather than guessed.
    """
    cell = sheet.cell(row=row, column=col)
    if _is_empty(value):
        cell.value = None
        if kind == TEXT:
            cell.number_format = TEXT_FORMAT
        return cell
    if kind in (AMOUNT, INTEGER, FLOAT, PERCENT):
        try:
            cell.value = _number(value, kind)
        except ValueError:
            return _write_text(cell, value)
        cell.number_format = {
            AMOUNT: AMOUNT_FORMAT,
            INTEGER: INTEGER_FORMAT,
            FLOAT: FLOAT_FORMAT,
            PERCENT: PERCENT_FORMAT,
        }[kind]
        return cell
    if kind == DATETIME and isinstance(value, dt.datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = DATETIME_FORMAT
        return cell
    if kind in (DATE, DATETIME) and isinstance(value, dt.date):
        if isinstance(value, dt.datetime):
            value = value.date()
        cell.value = value
        cell.number_format = DATE_FORMAT
        return cell
    return _write_text(cell, value)


def _write_text(cell, value):
    # Assigning a str lets openpyxl turn "=..." into a formula and "#N/A"
    # into an error: force the string type after the assignment.
    cell.value = neutralize(value)
    cell.data_type = "s"
    cell.number_format = TEXT_FORMAT
    return cell


def safe_sheet_title(title):
    """A valid worksheet title: at most 31 characters, none of []:*?/\\."""
    title = _SHEET_TITLE_FORBIDDEN.sub(" ", _ILLEGAL_CHARACTERS.sub("", str(title)))
    title = title.strip().strip("'") or "Sheet"
    return title[:31]


def write_sheet(sheet, columns, rows, title_lines=()):
    """Fill ``sheet``: optional title lines, a header, one line per row dict.

    Returns the number of the header row.
    """
    row_number = 0
    for index, line in enumerate(title_lines):
        row_number += 1
        cell = write_cell(sheet, row_number, 1, line, TEXT)
        if index == 0:
            cell.font = _TITLE_FONT
    if title_lines:
        row_number += 1  # blank line between the title block and the table
    header_row = row_number + 1
    for col, column in enumerate(columns, start=1):
        cell = write_cell(sheet, header_row, col, column.label, TEXT)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [len(str(column.label)) for column in columns]
    for row_index, row in enumerate(rows, start=header_row + 1):
        for col, column in enumerate(columns, start=1):
            cell = write_cell(sheet, row_index, col, row.get(column.key), column.type)
            if cell.value is not None:
                widths[col - 1] = max(widths[col - 1], _display_width(cell))
    for col, column in enumerate(columns, start=1):
        width = column.width or min(max(widths[col - 1] + 2, 8), 60)
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    if columns:
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A{header_row}:{last}{max(header_row, sheet.max_row)}"
    return header_row


def _display_width(cell):
    value = cell.value
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    if isinstance(value, dt.date):
        return 19 if isinstance(value, dt.datetime) else 10
    # CJK characters take two columns.
    text = str(value)
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def build_workbook(sheets):
    """XLSX bytes of ``sheets``: an iterable of dicts with ``title``,
    ``columns`` (``Column`` list), ``rows`` (dicts) and optional
    ``title_lines`` (strings printed above the table)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used = set()
    for spec in sheets:
        title = safe_sheet_title(spec.get("title") or "Sheet")
        base, counter = title, 1
        while title.lower() in used:
            counter += 1
            suffix = f" ({counter})"
            title = base[: 31 - len(suffix)] + suffix
        used.add(title.lower())
        sheet = workbook.create_sheet(title)
        write_sheet(
            sheet, spec["columns"], spec.get("rows", ()), spec.get("title_lines", ())
        )
    if not workbook.worksheets:
        workbook.create_sheet("Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
