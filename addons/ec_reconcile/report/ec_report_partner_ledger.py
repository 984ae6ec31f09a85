# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..tools import xlsx

LEDGER_ACCOUNT_TYPES = [
    ("asset_receivable", "Receivable"),
    ("liability_payable", "Payable"),
]
CONTEXT_DATE_FROM = "ec_ledger_date_from"
CONTEXT_DATE_TO = "ec_ledger_date_to"


class EcReportPartnerLedger(models.Model):
    """应收应付台账: receivable and payable of the shops' platform partners.

    One row per company, partner and account for the period given in the
    context (``ec_ledger_date_from`` / ``ec_ledger_date_to``, set by the
    ledger wizard; default: this month): opening balance (posted items
    before the period), debit and credit in the period, closing balance (all
    posted items up to its end). Opening + debit - credit = closing holds by
    construction, item by item.
    """

    _name = "ec.report.partner.ledger"
    _inherit = ["ec.report.mixin"]
    _description = "Platform Receivable and Payable Ledger"
    _auto = False
    _order = "partner_id, account_id"
    _rec_name = "partner_id"
    _ec_date_field = None

    date_from = fields.Date(string="From", readonly=True)
    date_to = fields.Date(string="To", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Platform Partner", readonly=True
    )
    shop_names = fields.Char(string="Shops", readonly=True)
    account_id = fields.Many2one("account.account", string="Account", readonly=True)
    account_type = fields.Selection(LEDGER_ACCOUNT_TYPES, readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    opening_balance = fields.Monetary(readonly=True)
    debit = fields.Monetary(readonly=True)
    credit = fields.Monetary(readonly=True)
    balance = fields.Monetary(
        string="Movement", readonly=True, help="Debit less credit."
    )
    closing_balance = fields.Monetary(readonly=True)
    move_line_count = fields.Integer(string="Items in Period", readonly=True)

    _depends = {
        "account.move.line": [
            "date",
            "company_id",
            "partner_id",
            "account_id",
            "company_currency_id",
            "debit",
            "credit",
            "balance",
            "parent_state",
        ],
        "account.account": ["account_type"],
        "ec.shop": ["partner_id", "name"],
        "res.partner": ["commercial_partner_id"],
    }

    @api.model
    def _ledger_period(self):
        """(date_from, date_to) from the context; default: this month."""
        today = fields.Date.context_today(self)
        date_to = fields.Date.to_date(self.env.context.get(CONTEXT_DATE_TO)) or today
        date_from = fields.Date.to_date(
            self.env.context.get(CONTEXT_DATE_FROM)
        ) or date_to.replace(day=1)
        return date_from, date_to

    @property
    def _table_query(self):
        date_from, date_to = self._ledger_period()
        # The rows depend on the period in the context, their ids do not:
        # never serve figures cached for another period of this transaction.
        self.invalidate_model()
        return SQL(
            """
            SELECT MIN(aml.id) AS id,
                   %(date_from)s::date AS date_from,
                   %(date_to)s::date AS date_to,
                   aml.company_id,
                   aml.partner_id,
                   (SELECT string_agg(shop.name, ', ' ORDER BY shop.name)
                      FROM ec_shop shop
                      JOIN res_partner sp ON sp.id = shop.partner_id
                     WHERE shop.company_id = aml.company_id
                       AND aml.partner_id IN (sp.id, sp.commercial_partner_id)
                   ) AS shop_names,
                   aml.account_id,
                   account.account_type,
                   aml.company_currency_id AS currency_id,
                   COALESCE(SUM(aml.balance) FILTER (WHERE aml.date < %(date_from)s), 0)
                       AS opening_balance,
                   COALESCE(SUM(aml.debit) FILTER (WHERE aml.date >= %(date_from)s), 0)
                       AS debit,
                   COALESCE(SUM(aml.credit) FILTER (WHERE aml.date >= %(date_from)s), 0)
                       AS credit,
                   COALESCE(SUM(aml.balance)
                            FILTER (WHERE aml.date >= %(date_from)s), 0) AS balance,
                   SUM(aml.balance) AS closing_balance,
                   COUNT(*) FILTER (WHERE aml.date >= %(date_from)s) AS move_line_count
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
             WHERE aml.parent_state = 'posted'
               AND aml.date <= %(date_to)s
               AND account.account_type IN %(types)s
               AND aml.partner_id IN (
                     SELECT shop.partner_id FROM ec_shop shop
                      WHERE shop.partner_id IS NOT NULL
                     UNION
                     SELECT sp.commercial_partner_id FROM ec_shop shop
                       JOIN res_partner sp ON sp.id = shop.partner_id)
             GROUP BY aml.company_id, aml.partner_id, aml.account_id,
                      account.account_type, aml.company_currency_id
            HAVING COUNT(*) FILTER (WHERE aml.date >= %(date_from)s) > 0
                OR COALESCE(SUM(aml.balance) FILTER (WHERE aml.date < %(date_from)s), 0)
                   != 0
            """,
            date_from=date_from,
            date_to=date_to,
            types=tuple(code for code, _label in LEDGER_ACCOUNT_TYPES),
        )

    @api.model
    def _ledger_context(self, date_from, date_to):
        return {
            CONTEXT_DATE_FROM: fields.Date.to_string(date_from),
            CONTEXT_DATE_TO: fields.Date.to_string(date_to),
        }

    def _move_lines_domain(self):
        date_from, date_to = self._ledger_period()
        domain = Domain.OR(
            Domain(
                [
                    ("company_id", "=", row.company_id.id),
                    ("partner_id", "=", row.partner_id.id),
                    ("account_id", "=", row.account_id.id),
                ]
            )
            for row in self
        )
        return domain & Domain(
            [
                ("parent_state", "=", "posted"),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ]
        )

    def action_open_move_lines(self):
        """The journal items moving the selected ledger rows in the period."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_account_moves_all"
        )
        action["domain"] = list(self._move_lines_domain())
        action["context"] = {"search_default_group_by_partner": 1}
        return action

    # ------------------------------------------------------------------
    # Export
    # ------------------------------------------------------------------

    @api.model
    def _xlsx_title(self):
        return self.env._("Platform Receivable and Payable Ledger")

    @api.model
    def _xlsx_sheets(self):
        return [
            {
                "title": self.env._("Ledger"),
                "fields": [
                    "partner_id",
                    "shop_names",
                    "account_id",
                    "account_type",
                    "date_from",
                    "date_to",
                    "opening_balance",
                    "debit",
                    "credit",
                    "closing_balance",
                    "currency_id",
                    "company_id",
                ],
                "order": "company_id, partner_id, account_id",
            }
        ]

    @api.model
    def _xlsx_build_sheets(self, domain, title_lines):
        date_from, date_to = self._ledger_period()
        title_lines = [
            self.env._(
                "Period: %(date_from)s to %(date_to)s",
                date_from=date_from,
                date_to=date_to,
            ),
            *title_lines,
        ]
        sheets = super()._xlsx_build_sheets(domain, title_lines)
        rows = self.search(list(domain))
        moves = self.env["account.move.line"]
        if not rows or not moves.has_access("read"):
            return sheets
        # The journal items of the period, for the auditor.
        items = moves.search(rows._move_lines_domain(), order="partner_id, date, id")
        columns = [
            xlsx.Column("date", self.env._("Date"), xlsx.DATE),
            xlsx.Column("move", self.env._("Entry"), xlsx.TEXT),
            xlsx.Column("ref", self.env._("Reference"), xlsx.TEXT),
            xlsx.Column("label", self.env._("Label"), xlsx.TEXT),
            xlsx.Column("partner", self.env._("Partner"), xlsx.TEXT),
            xlsx.Column("account", self.env._("Account"), xlsx.TEXT),
            xlsx.Column("debit", self.env._("Debit"), xlsx.AMOUNT),
            xlsx.Column("credit", self.env._("Credit"), xlsx.AMOUNT),
            xlsx.Column("balance", self.env._("Balance"), xlsx.AMOUNT),
        ]
        sheets.append(
            {
                "title": self.env._("Journal Items"),
                "columns": columns,
                "title_lines": [self._xlsx_title(), *title_lines],
                "rows": [
                    {
                        "date": item.date,
                        "move": item.move_id.name,
                        "ref": item.ref,
                        "label": item.name,
                        "partner": item.partner_id.display_name,
                        "account": item.account_id.display_name,
                        "debit": item.debit,
                        "credit": item.credit,
                        "balance": item.balance,
                    }
                    for item in items
                ],
            }
        )
        return sheets
