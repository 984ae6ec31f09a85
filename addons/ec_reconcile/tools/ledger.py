# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Set-based storage of parsed bills: summaries, checks and bulk insert.

Only the cursor is used here (COPY into a staging table, then one INSERT ...
ON CONFLICT DO NOTHING): no ORM call per row, so a month of rows imports at
tens of thousands of rows per second.
"""

import datetime as dt
import hashlib
import io
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

from odoo.tools import SQL

from ..parsers import base as parser_base
from ..parsers import registry

_ZERO = Decimal("0")
UTC = dt.UTC
_HASH_QUANTUM = Decimal("0.000001")
_HOUR = dt.timedelta(hours=1)

# Which shop platforms a bill of a given platform can belong to.
_COMPATIBLE_SHOPS = {
    "alipay": {"alipay", "taobao", "tmall"},
    "taobao": {"alipay", "taobao", "tmall"},
    "tmall": {"alipay", "taobao", "tmall"},
    "wechatpay": {"wechatpay", "wechat_channels"},
    "wechat_channels": {"wechat_channels"},
}

# Columns of the COPY, in this order: the bill's constants first, the row's
# values, then the constants every new row gets (see ``_LineWriter``).
_FIXED_COLUMNS = (
    "settlement_id",
    "shop_id",
    "company_id",
    "currency_id",
    "platform",
    "channel",
)
_ROW_COLUMNS = (
    "transaction_id",
    "order_ref",
    "sub_order_ref",
    "related_ref",
    "kind",
    "amount",
    "balance",
    "date",
    "date_local",
    "counterparty",
    "description",
    "row_number",
    "row_hash",
    "flags",
    "is_unclassified",
)
_CONSTANT_COLUMNS = ("is_conflict", "match_state")
LINE_COLUMNS = _FIXED_COLUMNS + _ROW_COLUMNS + _CONSTANT_COLUMNS

# Lines per COPY + INSERT round: memory stays bounded by the parsed lines
# themselves, whatever the size of the file (one transaction all the same).
CHUNK_LINES = 20_000
# Conflict details kept on the bill (all of them are counted and flagged).
MAX_CONFLICT_DETAILS = 1_000
# Session-wide staging tables (emptied at commit): created once per
# connection instead of once per file. The suffix changes with their layout.
_LINE_STAGE = "ec_line_stage_v2"
_RAW_STAGE = "ec_raw_stage_v2"


def compatible_shop_platforms(platform):
    return _COMPATIBLE_SHOPS.get(platform, {platform}) | {"other"}


def bill_type_label(code):
    if not code:
        return None
    try:
        return registry.get_parser(code).label or code
    except KeyError:
        return code


def bill_currencies(parsed):
    currencies = {line.currency for line in parsed.lines if line.currency}
    if parsed.currency:
        currencies.add(parsed.currency)
    return currencies


def jsonable(value):
    """Decimals and datetimes to text, for Json fields."""
    if value is None:
        return False
    return json.loads(json.dumps(value, default=str))


def row_hash(line):
    """Digest of what a row means (not of its layout): kind, money, refs, date."""
    amount = line.amount.quantize(_HASH_QUANTUM) if line.amount is not None else ""
    text = "|".join(
        (
            line.kind or "",
            str(amount),
            line.order_ref or "",
            line.sub_order_ref or "",
            line.date.isoformat() if line.date else "",
        )
    )
    return hashlib.sha1(text.encode()).hexdigest()


def summarize(parsed, currency_code):
    """Totals of the parsed rows and their agreement with what the bill states."""
    income = expense = _ZERO
    unclassified = mangled = 0
    dates = []
    for line in parsed.lines:
        if line.amount > 0:
            income += line.amount
        else:
            expense -= line.amount
        if parser_base.FLAG_UNCLASSIFIED in line.flags:
            unclassified += 1
        if parser_base.FLAG_MANGLED_ID in line.flags:
            mangled += 1
        if line.date:
            dates.append(line.date)
    net = income - expense
    problems = check_consistency(parsed, income, expense, net)
    declared = bool(parsed.declared_totals) or parsed.closing_balance is not None
    return {
        "count": len(parsed.lines),
        "income": income,
        "expense": expense,
        "net": net,
        "unclassified": unclassified,
        "mangled": mangled,
        "period_start": parsed.period_start or (min(dates) if dates else None),
        "period_end": parsed.period_end or (max(dates) if dates else None),
        "consistency": "mismatch" if problems else ("ok" if declared else "none"),
        "consistency_message": "\n".join(problems) or False,
        "currency": currency_code,
    }


def check_consistency(parsed, income, expense, net):
    """Compare the rows with the totals and balances the bill states.

    Keys understood in ``declared_totals``: ``income``, ``expense`` (positive
    sums of money in and out), ``net`` and ``count``/``rows`` (source rows).
    """
    problems = []
    declared = parsed.declared_totals or {}
    computed = {"income": income, "expense": expense, "net": net}
    for key, value in computed.items():
        stated = declared.get(key)
        if stated is None:
            continue
        stated = Decimal(str(stated))
        if parser_base.quantize(stated) != parser_base.quantize(value):
            problems.append(
                f"{key}: the bill states {stated}, its rows add up to {value}"
            )
    stated_rows = declared.get("count", declared.get("rows"))
    if stated_rows is not None:
        rows = len({line.row_number for line in parsed.lines})
        if int(stated_rows) != rows:
            problems.append(
                f"count: the bill states {stated_rows} rows, {rows} were read"
            )
    if parsed.opening_balance is not None and parsed.closing_balance is not None:
        expected = parsed.opening_balance + net
        if parser_base.quantize(expected) != parser_base.quantize(
            parsed.closing_balance
        ):
            problems.append(
                f"balance: opening {parsed.opening_balance} + rows {net} = "
                f"{expected}, but the bill closes at {parsed.closing_balance}"
            )
    return problems


def _copy_text(value):
    """One value in COPY text format (``\\N`` is NULL)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _copy_cut(text, limit):
    """An optional text column: NULL when empty, at most ``limit`` chars."""
    return _copy_text(text[:limit]) if text else "\\N"


class _LocalDays:
    """The shop's day of a naive UTC moment, one zone lookup per UTC hour
    (UTC offsets change on the hour; zones at :30/:45 are computed per row)."""

    def __init__(self, tz_name):
        self.tz = ZoneInfo(tz_name or "UTC")
        self.days = {}

    def __call__(self, moment):
        key = moment.toordinal() * 24 + moment.hour
        day = self.days.get(key)
        if day is None:
            offset = moment.replace(tzinfo=UTC).astimezone(self.tz).utcoffset()
            hour = moment.replace(tzinfo=None, minute=0, second=0, microsecond=0)
            if offset % _HOUR:
                return (moment.replace(tzinfo=None) + offset).date().isoformat()
            day = self.days[key] = (hour + offset).date().isoformat()
        return day


def _line_text(line, prefix, suffix, local_day):
    """The COPY text of one line (columns of ``LINE_COLUMNS``)."""
    moment = line.date
    if moment is None:
        date = day = "\\N"
    else:
        date = (
            moment.strftime("%Y-%m-%d %H:%M:%S")
            if moment.microsecond or moment.tzinfo
            else str(moment)
        )
        day = local_day(moment)
    flags = line.flags
    amount = line.amount
    balance = line.balance
    row_number = line.row_number
    return "\t".join(
        (
            prefix,
            _copy_text(line.transaction_id),
            _copy_text(line.order_ref),
            _copy_text(line.sub_order_ref),
            _copy_text(line.related_ref),
            _copy_text(line.kind),
            "\\N" if amount is None else str(amount),
            "\\N" if balance is None else str(balance),
            date,
            day,
            _copy_cut(line.counterparty, 256),
            _copy_cut(line.description, 1024),
            "\\N" if row_number is None else str(row_number),
            row_hash(line),
            _copy_text(",".join(flags)) if flags else "\\N",
            "t" if parser_base.FLAG_UNCLASSIFIED in flags else "f",
            suffix,
        )
    )


def _raw_text(raw):
    """A source row as JSON in COPY text (JSON escapes control characters,
    only its backslashes need doubling)."""
    text = json.dumps(raw, ensure_ascii=False, default=str)
    return text.replace("\\", "\\\\") if "\\" in text else text


def _chunk_bounds(lines, size):
    """(start, end) slices of about ``size`` lines, never cutting the lines
    split from one source row apart (their raw row is stored with them)."""
    start, total = 0, len(lines)
    while start < total:
        end = min(start + size, total)
        while (
            end < total
            and lines[end].row_number is not None
            and lines[end].row_number == lines[end - 1].row_number
        ):
            end += 1
        yield start, end
        start = end


def _ensure_stages(cr):
    columns = SQL(", ").join(SQL.identifier(name) for name in LINE_COLUMNS)
    cr.execute(
        SQL(
            "CREATE TEMP TABLE IF NOT EXISTS %s ON COMMIT DELETE ROWS AS "
            "SELECT %s FROM ec_settlement_line WITH NO DATA; "
            "CREATE TEMP TABLE IF NOT EXISTS %s "
            "(row_number integer, raw jsonb) ON COMMIT DELETE ROWS",
            SQL.identifier(_LINE_STAGE),
            columns,
            SQL.identifier(_RAW_STAGE),
        )
    )
    return columns


def insert_lines(
    cr, *, bill_id, shop_id, company_id, currency_id, platform, uid, parsed, tz_name
):
    """Insert the rows of ``parsed``; skip ids already imported; find conflicts.

    Returns {"inserted": n, "duplicates": n, "conflict_count": n,
    "conflicts": [...]}; a conflict is a row whose (shop, channel, transaction
    id) exists with different data: the stored row is flagged, never
    overwritten (details of the first ``MAX_CONFLICT_DETAILS`` are returned).

    Lines go in chunks (COPY into session staging tables, then one INSERT ...
    ON CONFLICT DO NOTHING), all in the caller's transaction: a crash leaves
    nothing. The raw source row is stored once in ``ec_settlement_raw_row``
    (bill, row number), not on every line split from it, and only when at
    least one of its lines is new. ``uid`` is unused: lines carry no author
    of their own, their bill does.
    """
    prefix = "\t".join(
        _copy_text(value)
        for value in (bill_id, shop_id, company_id, currency_id, platform)
    )
    prefix += "\t" + _copy_text(parsed.channel)
    suffix = "f\tnew"
    local_day = _LocalDays(tz_name)
    columns = _ensure_stages(cr)
    line_stage = SQL.identifier(_LINE_STAGE)
    raw_stage = SQL.identifier(_RAW_STAGE)
    # COPY takes no parameters: the column lists are made of constant names.
    copy_lines = SQL("COPY %s (%s) FROM STDIN", line_stage, columns).code
    copy_raw = SQL("COPY %s (row_number, raw) FROM STDIN", raw_stage).code
    insert = SQL(
        """
        WITH inserted AS (
            INSERT INTO ec_settlement_line (%(columns)s)
            SELECT %(columns)s FROM %(lines)s
            ON CONFLICT (shop_id, channel, transaction_id) DO NOTHING
            RETURNING row_number
        ), raw_rows AS (
            INSERT INTO ec_settlement_raw_row (settlement_id, row_number, raw)
            SELECT %(bill)s, stage.row_number, stage.raw FROM %(raw)s stage
             WHERE stage.row_number IN (SELECT row_number FROM inserted)
            ON CONFLICT (settlement_id, row_number) DO NOTHING
        )
        SELECT count(*) FROM inserted
        """,
        columns=columns,
        lines=line_stage,
        raw=raw_stage,
        bill=bill_id,
    )
    lines = parsed.lines
    inserted = conflict_count = 0
    conflicts = []
    empty = SQL("TRUNCATE %s, %s", line_stage, raw_stage)
    for start, end in _chunk_bounds(lines, CHUNK_LINES):
        if start:
            # Between chunks: keep the stage small for the conflict join.
            cr.execute(empty)
        chunk = lines[start:end]
        raw_rows, seen = [], set()
        for line in chunk:
            number = line.row_number
            if number is not None and line.raw and number not in seen:
                seen.add(number)
                raw_rows.append(f"{number}\t{_raw_text(line.raw)}")
        text = "\n".join(_line_text(line, prefix, suffix, local_day) for line in chunk)
        cr._obj.copy_expert(copy_lines, io.StringIO(text + "\n"))
        del text
        if raw_rows:
            cr._obj.copy_expert(copy_raw, io.StringIO("\n".join(raw_rows) + "\n"))
        del raw_rows
        cr.execute(insert)
        chunk_inserted = cr.fetchone()[0]
        inserted += chunk_inserted
        if chunk_inserted < len(chunk):
            found = _flag_conflicts(
                cr, line_stage, raw_stage, MAX_CONFLICT_DETAILS - len(conflicts)
            )
            conflict_count += found[0]
            conflicts += found[1]
    if lines:
        # Empty for the next bill of this transaction. DELETE, not TRUNCATE:
        # a TRUNCATE (new files, catalog rows) costs more than deleting a
        # bill's rows, and the commit truncates them anyway (ON COMMIT).
        cr.execute(SQL("DELETE FROM %s; DELETE FROM %s", line_stage, raw_stage))
    return {
        "inserted": inserted,
        "duplicates": len(lines) - inserted - conflict_count,
        "conflict_count": conflict_count,
        "conflicts": conflicts,
    }


def _flag_conflicts(cr, line_stage, raw_stage, limit):
    """Staged rows whose id is stored with other data: flag the stored rows;
    return (how many, details of at most ``limit``)."""
    cr.execute(
        SQL(
            """
            SELECT count(*) OVER (), s.transaction_id, s.row_number, line.id,
                   line.settlement_id, s.kind, s.amount, s.order_ref, r.raw
              FROM %s s
              JOIN ec_settlement_line line
                ON line.shop_id = s.shop_id
               AND line.channel = s.channel
               AND line.transaction_id = s.transaction_id
              LEFT JOIN %s r ON r.row_number = s.row_number
             WHERE line.row_hash != s.row_hash
             ORDER BY s.row_number, s.transaction_id
             LIMIT %s
            """,
            line_stage,
            raw_stage,
            max(limit, 1),
        )
    )
    rows = cr.fetchall()
    if not rows:
        return 0, []
    cr.execute(
        SQL(
            """
            UPDATE ec_settlement_line line
               SET is_conflict = TRUE,
                   flags = concat_ws(',', NULLIF(line.flags, ''), 'conflict')
              FROM %s s
             WHERE line.shop_id = s.shop_id
               AND line.channel = s.channel
               AND line.transaction_id = s.transaction_id
               AND line.row_hash != s.row_hash
               AND NOT line.is_conflict
            """,
            line_stage,
        )
    )
    keys = (
        "transaction_id",
        "row_number",
        "existing_line_id",
        "existing_bill_id",
        "kind",
        "amount",
        "order_ref",
        "raw",
    )
    details = []
    for row in rows[: max(limit, 0)]:
        detail = dict(zip(keys, row[1:], strict=True))
        detail["amount"] = str(detail["amount"])
        details.append(detail)
    return rows[0][0], details
