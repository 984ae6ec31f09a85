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
