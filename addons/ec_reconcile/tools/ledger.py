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

# Which shop platforms a bill of a given platform can belong to.
_COMPATIBLE_SHOPS = {
    "alipay": {"alipay", "taobao", "tmall"},
    "taobao": {"alipay", "taobao", "tmall"},
    "tmall": {"alipay", "taobao", "tmall"},
    "wechatpay": {"wechatpay", "wechat_channels"},
    "wechat_channels": {"wechat_channels"},
}

LINE_COLUMNS = (
    "settlement_id",
    "shop_id",
    "company_id",
    "currency_id",
    "platform",
    "channel",
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
    "raw",
    "row_hash",
    "flags",
    "is_unclassified",
    "is_conflict",
    "match_state",
    "create_uid",
    "write_uid",
    "create_date",
    "write_date",
)


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
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _line_record(line, fixed, uid, now, tz):
    flags = line.flags
    return (
        *fixed,
        line.transaction_id,
        line.order_ref,
        line.sub_order_ref,
        line.related_ref,
        line.kind,
        line.amount,
        line.balance,
        line.date.strftime("%Y-%m-%d %H:%M:%S") if line.date else None,
        _local_day(line.date, tz),
        (line.counterparty or None) and line.counterparty[:256],
        (line.description or None) and line.description[:1024],
        line.row_number,
        json.dumps(line.raw, ensure_ascii=False, default=str) if line.raw else None,
        row_hash(line),
        ",".join(flags) if flags else None,
        parser_base.FLAG_UNCLASSIFIED in flags,
        False,
        "new",
        uid,
        uid,
        now,
        now,
    )


def _local_day(moment, tz):
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(tz).strftime("%Y-%m-%d")


def insert_lines(
    cr, *, bill_id, shop_id, company_id, currency_id, platform, uid, parsed, tz_name
):
    """Insert the rows of ``parsed``; skip ids already imported; find conflicts.

    Returns {"inserted": n, "duplicates": n, "conflicts": [...]}; a conflict is
    a row whose (shop, channel, transaction id) exists with different data:
    the stored row is flagged, never overwritten.
    """
    cr.execute("SELECT now() AT TIME ZONE 'UTC'")
    now = cr.fetchone()[0].strftime("%Y-%m-%d %H:%M:%S.%f")
    fixed = (bill_id, shop_id, company_id, currency_id, platform, parsed.channel)
    tz = ZoneInfo(tz_name or "UTC")
    buffer = io.StringIO()
    write = buffer.write
    for line in parsed.lines:
        record = _line_record(line, fixed, uid, now, tz)
        write("\t".join(map(_copy_text, record)))
        write("\n")
    buffer.seek(0)
    columns = SQL(", ").join(SQL.identifier(name) for name in LINE_COLUMNS)
    cr.execute("DROP TABLE IF EXISTS ec_line_stage")
    cr.execute(
        SQL(
            "CREATE TEMP TABLE ec_line_stage ON COMMIT DROP AS "
            "SELECT %s FROM ec_settlement_line WITH NO DATA",
            columns,
        )
    )
    # COPY takes no parameters: the column list is made of constant names.
    copy_sql = SQL("COPY ec_line_stage (%s) FROM STDIN", columns)
    cr._obj.copy_expert(copy_sql.code, buffer)
    cr.execute(
        SQL(
            """
            WITH inserted AS (
                INSERT INTO ec_settlement_line (%s)
                SELECT %s FROM ec_line_stage
                ON CONFLICT (shop_id, channel, transaction_id) DO NOTHING
                RETURNING 1
            )
            SELECT count(*) FROM inserted
            """,
            columns,
            columns,
        )
    )
    inserted = cr.fetchone()[0]
    conflicts = []
    if inserted < len(parsed.lines):
        cr.execute(
            """
            SELECT s.transaction_id, s.row_number, line.id, line.settlement_id,
                   s.kind, s.amount, s.order_ref, s.raw
              FROM ec_line_stage s
              JOIN ec_settlement_line line
                ON line.shop_id = s.shop_id
               AND line.channel = s.channel
               AND line.transaction_id = s.transaction_id
             WHERE line.row_hash != s.row_hash
            """
        )
        for (
            txn,
            row_number,
            line_id,
            other_bill,
            kind,
            amount,
            order_ref,
            raw,
        ) in cr.fetchall():
            conflicts.append(
                {
                    "transaction_id": txn,
                    "row_number": row_number,
                    "existing_line_id": line_id,
                    "existing_bill_id": other_bill,
                    "kind": kind,
                    "amount": str(amount),
                    "order_ref": order_ref,
                    "raw": raw,
                }
            )
        if conflicts:
            cr.execute(
                """
                UPDATE ec_settlement_line
                   SET is_conflict = TRUE,
                       flags = concat_ws(',', NULLIF(flags, ''), 'conflict')
                 WHERE id = ANY(%s) AND NOT is_conflict
                """,
                [[c["existing_line_id"] for c in conflicts]],
            )
    cr.execute("DROP TABLE ec_line_stage")
    return {
        "inserted": inserted,
        "duplicates": len(parsed.lines) - inserted - len(conflicts),
        "conflicts": conflicts,
    }
