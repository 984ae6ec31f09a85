# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL, sql

from .ec_shop import PLATFORM_SELECTION

LINE_MATCH_STATES = [
    ("new", "Not Matched Yet"),
    ("matched", "Matched to Order"),
    ("unknown_order", "Unknown Order"),
    ("shop_level", "Shop Level"),
    ("payout_matched", "Payout Matched"),
    ("payout_unmatched", "Payout Without Bank Line"),
]

KIND_SELECTION = [
    ("sale", "Sale"),
    ("refund", "Refund"),
    ("commission", "Commission"),
    ("service_fee", "Service Fee"),
    ("payment_fee", "Payment Fee"),
    ("shipping_fee", "Shipping Fee"),
    ("platform_coupon", "Platform Coupon"),
    ("merchant_coupon", "Merchant Coupon"),
    ("rebate", "Rebate"),
    ("ads", "Advertising"),
    ("deposit", "Deposit"),
    ("adjustment", "Adjustment"),
    ("payout", "Payout"),
    ("tax", "Tax"),
    ("other", "Other"),
]


class EcSettlementLine(models.Model):
    """One normalized bill row.

    Rows are written in bulk by ``ec.settlement._insert_lines`` (SQL), never
    one by one: keep stored fields plain (no computed stored fields here).
    """

    _name = "ec.settlement.line"
    _description = "Settlement Bill Line"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "transaction_id"
    # No create/write uid and date: a line is created with its bill (which
    # has them), and each of the 2 foreign keys to res.users was checked per
    # inserted row (a third of the cost of an import in PostgreSQL).
    _log_access = False

    settlement_id = fields.Many2one(
        "ec.settlement",
        string="Bill",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    # Indexes: every index costs each imported row (a month is ~1M rows), so
    # only those a query needs. Shop lookups use the unique (shop, channel,
    # transaction) index; company, platform, kind and match state are never
    # selective alone (rules, reports and matching always filter by shop or
    # day as well).
    shop_id = fields.Many2one("ec.shop", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    # Copied from the shop at import (stored for grouping and reports).
    platform = fields.Selection(PLATFORM_SELECTION, readonly=True)
    settlement_state = fields.Selection(
        related="settlement_id.state", string="Bill Status"
    )
    channel = fields.Char(
        required=True,
        readonly=True,
        help="Namespace of the transaction id (alipay, wechatpay, jd...).",
    )
    transaction_id = fields.Char(
        string="Transaction ID",
        required=True,
        readonly=True,
        help="The platform's unique id of the row: re-importing it changes nothing.",
    )
    # Matched per shop: see the (shop_id, order_ref) index below.
    order_ref = fields.Char(string="Platform Order", readonly=True)
    sub_order_ref = fields.Char(string="Sub-order", readonly=True)
    related_ref = fields.Char(
        string="Related Reference",
        readonly=True,
        help="Refund number, original transaction or other reference the row names.",
    )
    kind = fields.Selection(KIND_SELECTION, required=True, readonly=True)
    amount = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="Signed: money into the platform wallet is positive.",
    )
    balance = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    date = fields.Datetime(index=True, readonly=True)  # the list's order
    date_local = fields.Date(
        string="Bill Day",
        index=True,
        readonly=True,
        help="The row's day in the shop's time zone: bills, postings and "
        "reports count days the way the platform does.",
    )
    counterparty = fields.Char(readonly=True)
    description = fields.Char(readonly=True)
    row_number = fields.Integer(
        readonly=True, help="Line of the row in the raw file (item index for JSON)."
    )
    # Stored once per source row (ec.settlement.raw.row), not on each line
    # split from it: the bulk of a line's bytes.
    raw = fields.Json(string="Raw Row", compute="_compute_raw")
    row_hash = fields.Char(
        readonly=True,
        help="Digest of the normalized row, to tell a re-import from a changed row.",
    )
    flags = fields.Char(
        readonly=True,
        help="Comma-separated parser flags: unclassified, mangled_id, conflict.",
    )
    is_unclassified = fields.Boolean(
        readonly=True, help="No rule classified the row: it was given kind Other."
    )
    is_conflict = fields.Boolean(
        string="Conflicting Re-import",
        readonly=True,
        help="A later bill repeated this transaction id with different data.",
    )

    # Matching (written in bulk by tools/matching.py)
    match_state = fields.Selection(
        LINE_MATCH_STATES,
        default="new",
        required=True,
        readonly=True,
    )
    sale_order_id = fields.Many2one(
        "sale.order", string="Sale Order", readonly=True, index="btree_not_null"
    )
    sale_order_line_id = fields.Many2one(
        "sale.order.line", string="Order Line", readonly=True
    )
    statement_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Bank Statement Line",
        readonly=True,
        index="btree_not_null",
        help="For payouts: the bank line that received the money.",
    )
    move_id = fields.Many2one(
        "account.move",
        string="Journal Entry",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        copy=False,
        help="The entry that posted this row: a row is never posted twice.",
    )
    exception_ids = fields.Many2many(
        "ec.exception",
        "ec_exception_settlement_line_rel",
        "line_id",
        "exception_id",
        string="Exceptions",
        readonly=True,
    )

    _shop_channel_transaction_uniq = models.UniqueIndex(
        "(shop_id, channel, transaction_id)",
        "A transaction can only be imported once per shop and channel.",
    )
    _shop_order_ref_idx = models.Index(
        "(shop_id, order_ref) WHERE order_ref IS NOT NULL"
    )

    @api.model
    def _obsolete_indexes(self):
        """Indexes of earlier versions that no query needs (Odoo keeps an
        index when its field loses ``index=True``): dropped on update."""
        table = self._table
        names = [
            sql.make_index_name(table, name)
            for name in (
                "shop_id",
                "company_id",
                "platform",
                "order_ref",
                "sub_order_ref",
                "kind",
                "match_state",
            )
        ]
        return [*names, sql.make_identifier(f"{table}_settlement_kind_idx")]

    def init(self):
        res = super().init()
        cr = self.env.cr
        for name in self._obsolete_indexes():
            cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
        # Columns of earlier versions (see _log_access): Odoo keeps them.
        cr.execute(
            "ALTER TABLE ec_settlement_line DROP COLUMN IF EXISTS create_uid, "
            "DROP COLUMN IF EXISTS write_uid, DROP COLUMN IF EXISTS create_date, "
            "DROP COLUMN IF EXISTS write_date"
        )
        return res

    def _compute_raw(self):
        keys = [(line.settlement_id.id, line.row_number) for line in self]
        found = {}
        if any(bill and number is not None for bill, number in keys):
            # Plain SQL: the rows are written in SQL, and reading a line's raw
            # row needs nothing more than reading the line.
            self.env.cr.execute(
                "SELECT settlement_id, row_number, raw FROM ec_settlement_raw_row "
                "WHERE settlement_id = ANY(%s) AND row_number = ANY(%s)",
                [
                    list({bill for bill, _n in keys if bill}),
                    list({number for _b, number in keys if number is not None}),
                ],
            )
            found = {(bill, n): raw for bill, n, raw in self.env.cr.fetchall()}
        for line, key in zip(self, keys, strict=True):
            line.raw = found.get(key, False)

    def action_open_move(self):
        self.ensure_one()
        return self.move_id._get_records_action()

    def action_open_order(self):
        self.ensure_one()
        return self.sale_order_id._get_records_action()

    def action_open_settlement(self):
        self.ensure_one()
        return self.settlement_id._get_records_action()


class EcSettlementRawRow(models.Model):
    """A bill's source row as read from the file (JSON), stored once per row:
    the lines split from it (a sale and its fees...) find it by bill and row
    number. Written in bulk by ``tools/ledger.py`` (SQL), only for rows that
    added at least one line; deleted with the bill."""

    _name = "ec.settlement.raw.row"
    _description = "Raw Bill Row"
    _log_access = False
    _rec_name = "row_number"
    _order = "settlement_id, row_number"

    settlement_id = fields.Many2one(
        "ec.settlement", string="Bill", required=True, ondelete="cascade", readonly=True
    )
    row_number = fields.Integer(required=True, readonly=True)
    raw = fields.Json(string="Raw Row", readonly=True)

    _settlement_row_uniq = models.UniqueIndex(
        "(settlement_id, row_number)", "A source row is stored once per bill."
    )

    def init(self):
        res = super().init()
        # Earlier versions kept the raw row on every line: move it here once.
        cr = self.env.cr
        if sql.column_exists(cr, "ec_settlement_line", "raw"):
            cr.execute(
                """
                INSERT INTO ec_settlement_raw_row (settlement_id, row_number, raw)
                SELECT DISTINCT ON (settlement_id, row_number)
                       settlement_id, row_number, raw
                  FROM ec_settlement_line
                 WHERE raw IS NOT NULL AND row_number IS NOT NULL
                 ORDER BY settlement_id, row_number, id
                ON CONFLICT DO NOTHING
                """
            )
            cr.execute("ALTER TABLE ec_settlement_line DROP COLUMN raw")
        return res
