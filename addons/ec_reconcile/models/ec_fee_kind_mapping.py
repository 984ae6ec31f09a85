# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from .ec_settlement_line import KIND_SELECTION


class EcFeeKindMapping(models.Model):
    """Account and analytics of a kind of bill row, per company or per shop."""

    _name = "ec.fee.kind.mapping"
    _description = "Bill Row Kind Accounting"
    _inherit = ["analytic.mixin"]
    _order = "company_id, shop_id nulls first, kind"
    _check_company_auto = True

    kind = fields.Selection(KIND_SELECTION, required=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda s: s.env.company
    )
    shop_id = fields.Many2one(
        "ec.shop",
        check_company=True,
        index=True,
        help="Leave empty for the company-wide default of this kind.",
    )
    account_id = fields.Many2one(
        "account.account",
        required=True,
        check_company=True,
        domain="[('active', '=', True)]",
    )
    allocate_to_orders = fields.Boolean(
        default=True,
        help="Shop-level rows of this kind (no order on the row) are allocated "
        "to orders for profit per order and SKU.",
    )
    active = fields.Boolean(default=True)

    _company_shop_kind_uniq = models.UniqueIndex(
        "(company_id, COALESCE(shop_id, 0), kind) WHERE active",
        "Each kind can be mapped once per company and once per shop.",
    )

    @api.depends("kind", "shop_id")
    def _compute_display_name(self):
        labels = dict(self._fields["kind"]._description_selection(self.env))
        for mapping in self:
            scope = mapping.shop_id.name or mapping.company_id.name
            mapping.display_name = f"{labels.get(mapping.kind, '')} ({scope})"

    @api.model
    def _default_accounts(self, company):
        """Sensible accounts of ``company`` for each non-income kind."""
        Account = self.env["account.account"].with_company(company)

        def first(account_type):
            return Account.search(
                [
                    ("account_type", "=", account_type),
                    ("company_ids", "in", company.ids),
                ],
                order="code",
                limit=1,
            )

        expense = first("expense")
        other_income = first("income_other") or first("income")
        current_assets = first("asset_current")
        return {
            "commission": expense,
            "service_fee": expense,
            "payment_fee": expense,
            "shipping_fee": expense,
            "merchant_coupon": expense,
            "ads": expense,
            "tax": expense,
            "adjustment": expense,
            "rebate": other_income,
            "deposit": current_assets,
            "payout": company.transfer_account_id,
            "other": company.account_journal_suspense_account_id or expense,
        }

    def action_create_defaults(self):
        """Map every kind left unmapped to a sensible account of the company."""
        company = self.env.company
        existing = set(
            self.search(
                [("company_id", "=", company.id), ("shop_id", "=", False)]
            ).mapped("kind")
        )
        vals_list = [
            {"kind": kind, "account_id": account.id, "company_id": company.id}
            for kind, account in self._default_accounts(company).items()
            if account and kind not in existing
        ]
        self.create(vals_list)
        return True

    @api.model
    def _get_mapping(self, shops):
        """{(shop_id, kind): mapping} with shop rows overriding company rows."""
        companies = shops.company_id
        rows = self.search(
            [
                ("company_id", "in", companies.ids),
                "|",
                ("shop_id", "=", False),
                ("shop_id", "in", shops.ids),
            ]
        )
        result = {}
        for shop in shops:
            for mapping in rows:
                if mapping.company_id != shop.company_id:
                    continue
                if mapping.shop_id and mapping.shop_id != shop:
                    continue
                key = (shop.id, mapping.kind)
                if mapping.shop_id or key not in result:
                    result[key] = mapping
        return result
