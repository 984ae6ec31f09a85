# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

REPORT_SELECTION = [
    ("income_expense", "Income and Expense Detail"),
    ("profit", "Profit per Shop"),
    ("profit_sku", "Profit per SKU"),
    ("ledger", "Receivable and Payable Ledger"),
    ("aging", "Unsettled Orders Aging"),
    ("fee_rate", "Fee Rate Analysis"),
]
REPORT_MODELS = {
    "income_expense": "ec.report.income.expense",
    "profit": "ec.report.profit",
    "profit_sku": "ec.report.profit.sku",
    "ledger": "ec.report.partner.ledger",
    "aging": "ec.report.unsettled.aging",
    "fee_rate": "ec.report.fee.rate",
}
FILE_NAMES = {
    "income_expense": "income_expense",
    "profit": "profit_shop",
    "profit_sku": "profit_sku",
    "ledger": "partner_ledger",
    "aging": "unsettled_aging",
    "fee_rate": "fee_rate",
}


class EcReportExport(models.TransientModel):
    """Period and shops for a report: export it as XLSX, or open the ledger.

    The file is built as the current user, so it holds exactly what the
    user may see on screen (record rules per company).
    """

    _name = "ec.report.export"
    _description = "Export a Reconciliation Report"

    report = fields.Selection(REPORT_SELECTION, required=True, default="income_expense")
    date_from = fields.Date(
        string="From", default=lambda self: self._default_date_from()
    )
    date_to = fields.Date(
        string="To", default=lambda self: fields.Date.context_today(self)
    )
    shop_ids = fields.Many2many(
        "ec.shop", string="Shops", help="Leave empty for all shops."
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Platform Partners",
        help="Leave empty for the partners of all shops.",
    )
    available_partner_ids = fields.Many2many(
        "res.partner", compute="_compute_available_partner_ids"
    )
    file = fields.Binary(readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    @api.model
    def _default_date_from(self):
        return fields.Date.context_today(self).replace(day=1)

    @api.depends("shop_ids")
    def _compute_available_partner_ids(self):
        shops = self.env["ec.shop"].search([("partner_id", "!=", False)])
        partners = shops.partner_id | shops.partner_id.commercial_partner_id
        for wizard in self:
            wizard.available_partner_ids = partners

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if (
                wizard.date_from
                and wizard.date_to
                and wizard.date_from > wizard.date_to
            ):
                raise ValidationError(self.env._("The period ends before it starts."))

    # ------------------------------------------------------------------
    # Domain of the chosen report
    # ------------------------------------------------------------------

    def _report_model(self):
        self.ensure_one()
        model = self.env[REPORT_MODELS[self.report]]
        if self.report == "ledger":
            date_from = self.date_from or self._default_date_from()
            date_to = self.date_to or fields.Date.context_today(self)
            model = model.with_context(**model._ledger_context(date_from, date_to))
        return model

    def _ledger_partners(self):
        partners = self.partner_ids
        if self.shop_ids:
            shop_partners = self.shop_ids.partner_id
            partners |= shop_partners | shop_partners.commercial_partner_id
        return partners

    def _report_domain(self):
        self.ensure_one()
        model = self._report_model()
        if self.report == "ledger":
            partners = self._ledger_partners()
            return (
                Domain([("partner_id", "in", partners.ids)])
                if partners
                else Domain.TRUE
            )
        domain = Domain.TRUE
        if self.report != "aging":  # aging is a snapshot of today
            domain &= Domain(model._xlsx_period_domain(self.date_from, self.date_to))
        if self.shop_ids:
            domain &= Domain([("shop_id", "in", self.shop_ids.ids)])
        return domain

    def _title_lines(self):
        lines = []
        if self.report not in ("aging", "ledger") and (self.date_from or self.date_to):
            lines.append(
                self.env._(
                    "Period: %(date_from)s to %(date_to)s",
                    date_from=self.date_from or "...",
                    date_to=self.date_to or "...",
                )
            )
        if self.report == "aging":
            lines.append(
                self.env._("Ages on %(date)s", date=fields.Date.context_today(self))
            )
        if self.shop_ids:
            lines.append(
                self.env._(
                    "Shops: %(shops)s",
                    shops=", ".join(self.shop_ids.mapped("display_name")),
                )
            )
        if self.report == "ledger" and self.partner_ids:
            lines.append(
                self.env._(
                    "Partners: %(partners)s",
                    partners=", ".join(self.partner_ids.mapped("display_name")),
                )
            )
        lines.append(
            self.env._(
                "Companies: %(companies)s",
                companies=", ".join(self.env.companies.mapped("name")),
            )
        )
        return lines

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _generate(self):
        """XLSX bytes of the chosen report (also used by tests)."""
        self.ensure_one()
        model = self._report_model()
        return model._xlsx_export(list(self._report_domain()), self._title_lines())

    def action_export(self):
        self.ensure_one()
        data = self._generate()
        stamp = fields.Date.to_string(self.date_to or fields.Date.context_today(self))
        self.write(
            {
                "file": base64.b64encode(data),
                "file_name": f"{FILE_NAMES[self.report]}_{stamp}.xlsx",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": (
                f"/web/content?model={self._name}&id={self.id}&field=file"
                "&filename_field=file_name&download=true"
            ),
            "target": "self",
        }

    def action_open_ledger(self):
        self.ensure_one()
        model = self._report_model()
        date_from, date_to = model._ledger_period()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ec_reconcile.ec_report_partner_ledger_action"
        )
        action["context"] = model._ledger_context(date_from, date_to)
        action["domain"] = list(self._report_domain())
        action["name"] = self.env._(
            "Ledger %(date_from)s - %(date_to)s", date_from=date_from, date_to=date_to
        )
        return action
