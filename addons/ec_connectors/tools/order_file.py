# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Read an order file (CSV or XLSX) into normalized orders. Plain Python.

Layout: one row per order line, a header row naming the columns (any order;
case and surrounding spaces ignored; English or Chinese names):

- ``order_no`` (order, order number, 订单号, 订单编号), required: the platform
  order number, as text;
- ``status`` (order status, 状态, 订单状态), required: pending, paid, shipped,
  refunded or cancelled (or 待付款, 已付款, 待发货, 已发货, 已完成, 已退款,
  已取消, 已关闭);
- ``sku`` (default_code, internal reference, 商家编码, 货号), required: the
  product's internal reference;
- ``quantity`` (qty, 数量), required: a number greater than 0;
- ``price`` (unit price, 单价): unit price, dot as decimal point (1,234.50
  is accepted);
- ``sub_order_no`` (sub order, 子订单号): sub-order (item) number;
- ``order_date`` (date, 下单时间, 创建时间): ``YYYY-MM-DD[ HH:MM[:SS]]`` in the
  shop's time zone;
- ``currency`` (币种): ISO code, e.g. CNY.

Rows with the same ``order_no`` form one order; their status, order date
and currency must agree. Errors name the file, the row (as the spreadsheet
numbers it: the header is row 1) and the column; a file with any error is
refused as a whole.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal, InvalidOperation

import openpyxl

COLUMNS = {
    "order_no": ("order_no", "order", "order number", "order id", "订单号", "订单编号"),
    "status": ("status", "order status", "状态", "订单状态"),
    "sku": ("sku", "default_code", "internal reference", "商家编码", "货号"),
    "quantity": ("quantity", "qty", "数量"),
    "price": ("price", "unit price", "单价"),
    "sub_order_no": ("sub_order_no", "sub order", "sub order no", "子订单号"),
    "order_date": ("order_date", "date", "下单时间", "创建时间"),
    "currency": ("currency", "币种"),
}
REQUIRED = ("order_no", "status", "sku", "quantity")
STATUS_ALIASES = {
    "pending": "pending",
    "待付款": "pending",
    "paid": "paid",
    "已付款": "paid",
    "待发货": "paid",
    "shipped": "shipped",
    "已发货": "shipped",
    "已完成": "shipped",
    "refunded": "refunded",
    "已退款": "refunded",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "已取消": "cancelled",
    "已关闭": "cancelled",
}
MAX_ERRORS = 20
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
MANGLED_ID = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)


class OrderFileError(ValueError):
    """The file cannot be imported; ``errors`` lists every problem found."""

    def __init__(self, filename, errors, total=None):
        self.filename = filename
        self.errors = errors
        self.total = total if total is not None else len(errors)
        text = "\n".join(errors[:MAX_ERRORS])
        if self.total > MAX_ERRORS:
            text += f"\n... and {self.total - MAX_ERRORS} more errors."
        super().__init__(text)


def _normalize_header(value):
    return re.sub(r"\s+", " ", str(value or "").replace("\ufeff", "")).strip().lower()


def _decode(data):
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _csv_rows(data):
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _xlsx_rows(data):
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip().strip("\t").lstrip("`'")


class _Row:
    def __init__(self, reader, number, values):
        self.reader = reader
        self.number = number
        self.values = values

    def error(self, column, message):
        self.reader.error(self.number, column, message)

    def text(self, column):
        index = self.reader.columns.get(column)
        if index is None or index >= len(self.values):
            return ""
        return _cell_text(self.values[index])


class _Reader:
    def __init__(self, filename, tz):
        self.filename = filename
        self.tz = tz
        self.errors = []
        self.columns = {}

    def error(self, row, column, message):
        where = f"{self.filename}, row {row}"
        if column:
            where += f", column {column}"
        self.errors.append(f"{where}: {message}")

    def header(self, values):
        aliases = {
            _normalize_header(alias): name
            for name, names in COLUMNS.items()
            for alias in names
        }
        for index, value in enumerate(values):
            name = aliases.get(_normalize_header(value))
            if name and name not in self.columns:
                self.columns[name] = index
        missing = [name for name in REQUIRED if name not in self.columns]
        if missing:
            self.error(
                1,
                None,
                "missing required column(s) "
                + ", ".join(missing)
                + " (the first row must name the columns)",
            )
        return not missing

    # ---------------------------------------------------------- values

    def order_no(self, row):
        value = row.text("order_no")
        if not value:
            row.error("order_no", "empty")
        elif MANGLED_ID.match(value):
            row.error(
                "order_no",
                f"{value!r} looks like a number mangled by a spreadsheet "
                "(store order numbers as text)",
            )
        return value

    def status(self, row):
        value = row.text("status")
        status = STATUS_ALIASES.get(value.lower())
        if not status:
            row.error(
                "status",
                f"{value!r} is not a status (pending, paid, shipped, refunded, "
                "cancelled)",
            )
        return status

    def number(self, row, column, required=False, positive=False):
        value = row.text(column)
        if not value:
            if required:
                row.error(column, "empty")
            return None
        text = re.sub(r"[\s¥￥$€元]", "", value)
        if THOUSANDS.match(text):
            text = text.replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            row.error(column, f"{value!r} is not a number (use a dot as decimal point)")
            return None
        if not number.is_finite() or (positive and number <= 0):
            row.error(column, f"{value!r} must be a number greater than 0")
            return None
        return number

    def date(self, row):
        value = row.text("order_date")
        if not value:
            return None
        for fmt in DATE_FORMATS:
            try:
                result = dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            return result.replace(tzinfo=self.tz) if self.tz else result
        row.error("order_date", f"{value!r} is not a date (YYYY-MM-DD HH:MM:SS)")
        return None

    # ---------------------------------------------------------- orders

    def orders(self, rows):
        orders = {}
        for number, values in rows:
            if not any(_cell_text(v) for v in values):
                continue
            row = _Row(self, number, values)
            order_no = self.order_no(row)
            status = self.status(row)
            sku = row.text("sku")
            if not sku:
                row.error("sku", "empty")
            quantity = self.number(row, "quantity", required=True, positive=True)
            price = self.number(row, "price")
            created = self.date(row)
            currency = row.text("currency").upper() or None
            if not order_no:
                continue
            order = orders.get(order_no)
            if order is None:
                order = orders[order_no] = {
                    "order_no": order_no,
                    "status": status,
                    "currency": currency,
                    "amount": None,
                    "created_at": created,
                    "updated_at": None,
                    "lines": [],
                    "rows": [],
                }
            else:
                self._check_same(row, order, "status", status)
                self._check_same(row, order, "order_date", created, "created_at")
                self._check_same(row, order, "currency", currency)
            order["rows"].append(number)
            order["lines"].append(
                {
                    "sub_order_no": row.text("sub_order_no"),
                    "sku": sku,
                    "quantity": quantity,
                    "price": price,
                    "row": number,
                }
            )
        return list(orders.values())

    def _check_same(self, row, order, column, value, key=None):
        key = key or column
        if value is not None and order[key] is not None and value != order[key]:
            row.error(
                column,
                f"{value} differs from {order[key]} on row {order['rows'][0]} "
                f"of the same order {order['order_no']}",
            )


def read_order_file(filename, data, tz=None):
    """Orders read from a CSV or XLSX file (see the module doc), each with
    ``rows`` (and each line with ``row``) for error messages.

    Raises ``OrderFileError`` naming file, row and column of every problem.
    """
    reader = _Reader(filename or "file", tz)
    try:
        if data[:2] == b"PK":
            raw_rows = _xlsx_rows(data)
        else:
            raw_rows = _csv_rows(data)
    except (
        ValueError,
        OSError,
        KeyError,
        UnicodeDecodeError,
        csv.Error,
        zipfile.BadZipFile,
    ) as error:
        raise OrderFileError(
            reader.filename,
            [f"{reader.filename}: not a readable CSV or XLSX file ({error})"],
        ) from None
    if not raw_rows or not reader.header(raw_rows[0]):
        if not raw_rows:
            reader.error(1, None, "the file is empty")
        raise OrderFileError(reader.filename, reader.errors)
    numbered = [(index, values) for index, values in enumerate(raw_rows[1:], start=2)]
    orders = reader.orders(numbered)
    if not orders and not reader.errors:
        reader.error(2, None, "no order rows below the header")
    if reader.errors:
        raise OrderFileError(reader.filename, reader.errors)
    return orders
