# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

GROUPING = [
    ("line", "One entry per bill row"),
    ("order", "One entry per order"),
    ("day", "One entry per bill day"),
    ("bill", "One entry per bill"),
]

LABEL_PLACEHOLDERS = ("shop", "bill", "date", "kind", "order", "platform")


class EcVoucherTemplate(models.Model):
    """How bill rows become journal entries.

    Templates are tried in sequence order; a row is posted by the first
    template whose shops, kinds and match filter take it. Rows no template
    takes follow the built-in default: one entry per shop per bill day, the
    wallet against the receivable (matched income), the suspense account
    (unmatched income) and each kind's account (Row Kind Accounts).
    """

    _name = "ec.voucher.template"
    _description = "Voucher Template"
    _inherit = ["mail.thread", "analytic.mixin"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda s: s.env.company
    )
    shop_ids = fields.Many2many(
        "ec.shop",
        string="Shops",
        check_company=True,
        help="Leave empty for every shop of the company.",
    )
    kind_ids = fields.Many2many(
        "ec.kind", string="Row Kinds", help="Leave empty for every kind."
    )
    match_filter = fields.Selection(
        [
            ("all", "All rows"),
            ("matched", "Rows matched to an order"),
            ("unmatched", "Rows without a known order"),
        ],
        default="all",
        required=True,
        tracking=True,
    )
    grouping = fields.Selection(GROUPING, default="day", required=True, tracking=True)
    journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        help="Leave empty to post in the shop's wallet journal.",
        tracking=True,
    )
    wallet_account_id = fields.Many2one(
        "account.account",
        check_company=True,
        help="Leave empty for the default account of the wallet journal.",
        tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        check_company=True,
        help="Leave empty for the shop's platform partner.",
    )
    receivable_account_id = fields.Many2one(
        "account.account",
        check_company=True,
        help="Leave empty for the platform partner's receivable account.",
        tracking=True,
    )
    suspense_account_id = fields.Many2one(
        "account.account",
        check_company=True,
        help="Income of rows without a known order. Leave empty for the "
        "company's bank suspense account.",
        tracking=True,
    )
    reconcile_invoices = fields.Boolean(
        default=True,
        help="Reconcile the receivable credit with the matched orders' invoices.",
        tracking=True,
    )
    label_pattern = fields.Char(
        default="{shop} {date} {kind}",
        required=True,
        help="Label of each journal item. Placeholders: {shop}, {bill}, {date}, "
        "{kind}, {order}, {platform}.",
    )

    @api.constrains("label_pattern")
    def _check_label_pattern(self):
        sample = dict.fromkeys(LABEL_PLACEHOLDERS, "x")
        for template in self:
            try:
                template.label_pattern.format_map(sample)
            except (KeyError, ValueError, IndexError) as error:
                raise ValidationError(
                    self.env._(
                        "Label pattern %(pattern)s is invalid (%(error)s). "
                        "Placeholders: %(names)s.",
                        pattern=template.label_pattern,
                        error=error,
                        names=", ".join("{%s}" % p for p in LABEL_PLACEHOLDERS),
                    )
                ) from None
