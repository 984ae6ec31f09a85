# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Helpers shared by the parsers of bills that arrive as JSON API responses.

Douyin, WeChat Channels and Stripe give their bills as JSON: amounts are
integers in minor units, ids may arrive as JSON numbers, and a connector may
save one response, an array of pages or the bare list of items. This module
keeps those concerns in one place; it imports nothing from Odoo.
"""

import datetime as dt
import json
import re
from decimal import Decimal

from .base import (
    CHINA_TZ,
    FLAG_MANGLED_ID,
    BillParseError,
    BillRowErrors,
    is_mangled_id,
    parse_datetime,
)

MAX_ROW_ERRORS = 100

_TWO_POW_53 = 2**53
_UNIX_SECONDS_RE = re.compile(r"^\d{9,10}$")


def looks_like_json(source):
    """True when the content starts like a JSON object or array."""
    head = source.data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def broken_json_mentions(source, markers, *, limit=65536):
    """True for JSON-looking content that does not decode but names ``markers``.

    Lets a parser claim a truncated download of its own layout so the user
    gets "invalid or truncated JSON" instead of "unknown layout".
    """
    if source.json is not None or not looks_like_json(source):
        return False
    try:
        head = source.text[:limit]
    except BillParseError:
        return False
    return any(marker in head for marker in markers)


def load_document(source):
    """Return the decoded JSON document or raise a clear error."""
    document = source.json
    if document is not None:
        return document
    if source.json_error:
        raise BillParseError(source.json_error, filename=source.filename)
    try:
        return json.loads(source.text)
    except ValueError as exc:
        raise BillParseError(
            f"invalid or truncated JSON ({exc}); download the bill again",
            filename=source.filename,
        ) from None
    except RecursionError:
        raise BillParseError(
            "JSON nested too deeply to be a bill", filename=source.filename
        ) from None


def is_mapping_list(value):
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


class RowErrors:
    """Collect located row errors; raise them together at the end."""

    def __init__(self, filename, limit=MAX_ROW_ERRORS):
        self.filename = filename
        self.limit = limit
        self.errors = []
        self.total = 0

    def add(self, error, row):
        self.total += 1
        if len(self.errors) < self.limit:
            self.errors.append(error.located(filename=self.filename, row=row))

    def raise_if_any(self):
        if self.total:
            raise BillRowErrors(self.errors, filename=self.filename, total=self.total)


def text_id(item, field, *, flags=None, required=False):
    """An id as exact text; JSON numbers are converted without loss.

    Python's ``json`` keeps integers exact, however long. A float id (an
    SDK that decoded the number as a double, e.g. ``6.92e+18``) has lost
    digits past 2**53: it is kept as written and flagged, never repaired.
    """
    value = item.get(field)
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise BillParseError(f"not an id: {value!r}", field=field)
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if value.is_integer() and abs(value) < _TWO_POW_53:
            text = str(int(value))
        else:
            text = repr(value)
            if flags is not None and FLAG_MANGLED_ID not in flags:
                flags.append(FLAG_MANGLED_ID)
    elif value is None:
        text = ""
    else:
        text = str(value).strip()
    if text and is_mangled_id(text) and flags is not None:
        if FLAG_MANGLED_ID not in flags:
            flags.append(FLAG_MANGLED_ID)
    if not text:
        if required:
            raise BillParseError("id is missing", field=field)
        return None
    return text


def minor_amount(item, field, *, scale=100, required=False, default=None):
    """Decimal in major units from an integer amount in minor units.

    Accepts JSON integers and integer strings (``"9353"``); refuses
    booleans, objects and fractions of a minor unit (a yuan value sent
    where fen are expected would otherwise be divided silently).
    """
    if field not in item or item[field] is None or item[field] == "":
        if required:
            raise BillParseError("amount is missing", field=field)
        return default
    value = item[field]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BillParseError(f"not an amount: {value!r}", field=field)
    if isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, int):
        number = Decimal(value)
    else:
        text = value.strip()
        try:
            number = Decimal(text)
        except ArithmeticError:
            number = None
        if number is None:
            raise BillParseError(f"not an amount: {value!r}", field=field)
    if not number.is_finite():
        raise BillParseError(f"not an amount: {value!r}", field=field)
    if number != number.to_integral_value():
        raise BillParseError(
            f"{value!r} is not a whole number of minor units (fen/cents)",
            field=field,
        )
    # scaleb keeps the currency's decimals: 9353 fen -> 93.53, 9000 -> 90.00
    digits = {1: 0, 10: 1, 100: 2, 1000: 3}[scale]
    return number.to_integral_value().scaleb(-digits)


def json_datetime(item, field, *, tz=CHINA_TZ, required=False):
    """A timestamp: Unix seconds (number or digit string) or local text."""
    value = item.get(field)
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise BillParseError(f"not a date: {value!r}", field=field)
    if isinstance(value, str) and _UNIX_SECONDS_RE.match(value.strip()):
        value = int(value.strip())
    if value in (None, "", 0) and not required:
        return None
    try:
        return parse_datetime(value, tz=tz, field=field, allow_empty=not required)
    except (OverflowError, OSError, ValueError) as exc:
        if isinstance(exc, BillParseError):
            raise
        raise BillParseError(f"not a date: {value!r}", field=field) from None


def join_text(*parts):
    """Non-empty parts joined once each, in order (for descriptions)."""
    unique = []
    for part in parts:
        if part and str(part) not in unique:
            unique.append(str(part))
    return " · ".join(unique) or None


def period_of(lines):
    """(earliest, latest) date of the lines, or (None, None)."""
    dates = [line.date for line in lines if isinstance(line.date, dt.datetime)]
    if not dates:
        return None, None
    return min(dates), max(dates)


class SeenItems:
    """Detect items a connector saved twice (overlapping paging windows).

    An identical repeat is skipped by the caller (with a warning); the same
    key with different content is an error, since it would give two lines
    one idempotency key.
    """

    def __init__(self):
        self._seen = {}

    def is_repeat(self, key, item, row):
        previous = self._seen.get(key)
        if previous is None:
            self._seen[key] = (item, row)
            return False
        if previous[0] == item:
            return True
        raise BillParseError(
            f"id {key!r} already used by row {previous[1]} with different content"
        )
