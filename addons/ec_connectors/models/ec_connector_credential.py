# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

KIND_SELECTION = [
    ("credential", "Credential"),
    ("setting", "Setting"),
    ("token", "Token (kept up to date by the connector)"),
]


class EcConnectorCredential(models.Model):
    """One credential or setting of a shop's API client (key/value).

    Only system administrators can read or write these records (ACL and
    field groups); values are never exported, never tracked and never
    written to the logs. The keys a platform accepts come from its client's
    ``credential_fields`` and ``setting_fields``; tokens the client obtains
    or refreshes are stored back here by the connector.
    """

    _name = "ec.connector.credential"
    _description = "Connector Credential"
    _order = "shop_id, sequence, id"
    _check_company_auto = True

    shop_id = fields.Many2one(
        "ec.shop", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(
        related="shop_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    key = fields.Char(required=True, help="Name of the value in the API client.")
    label = fields.Char(compute="_compute_field_info")
    kind = fields.Selection(KIND_SELECTION, compute="_compute_field_info")
    is_secret = fields.Boolean(string="Secret", compute="_compute_field_info")
    is_required = fields.Boolean(string="Required", compute="_compute_field_info")
    value = fields.Char(copy=False, exportable=False, groups="base.group_system")

    _shop_key_uniq = models.Constraint(
        "UNIQUE(shop_id, key)", "Each credential or setting appears once per shop."
    )

    @api.depends("shop_id.platform", "key")
    def _compute_field_info(self):
        infos = {}
        for record in self:
            platform = record.shop_id.platform
            if platform not in infos:
                infos[platform] = record.shop_id._connector_credential_fields()
            info = infos[platform].get(record.key) or {}
            record.label = info.get("label") or record.key
            record.kind = info.get("kind") or "setting"
            record.is_secret = bool(info.get("secret"))
            record.is_required = bool(info.get("required"))

    @api.depends("shop_id", "label")
    def _compute_display_name(self):
        for record in self:
            record.display_name = f"{record.shop_id.display_name}: {record.label}"

    @api.constrains("key", "shop_id")
    def _check_key(self):
        for record in self:
            known = record.shop_id._connector_credential_fields()
            if record.key not in known:
                raise ValidationError(
                    self.env._(
                        "%(key)s is not a credential or setting of the %(platform)s "
                        "API client (shop %(shop)s). Known keys: %(keys)s.",
                        key=record.key,
                        platform=record.shop_id._connector_platform_label(),
                        shop=record.shop_id.display_name,
                        keys=", ".join(known) or "-",
                    )
                )

    def _export_rows(self, fields, *, _is_toplevel_call=True):
        # Also reached when a shop is exported with credential_ids/value.
        self.check_access("read")
        if any(path and path[0] == "value" for path in fields):
            raise UserError(
                self.env._("Connector credential values cannot be exported.")
            )
        return super()._export_rows(fields, _is_toplevel_call=_is_toplevel_call)
