# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
from zoneinfo import ZoneInfo

from odoo import fields, models
from odoo.exceptions import UserError

from ..models.sale_order import merge_stats, new_stats
from ..tools import OrderFileError, read_order_file
from ..tools.order_file import MAX_ERRORS

PAGE_SIZE = 500


class EcOrderImport(models.TransientModel):
    """Orders of a shop without API access, from a CSV or XLSX file (layout
    in ``tools/order_file.py`` and the add-on's README). The file is
    imported as a whole or not at all."""

    _name = "ec.order.import"
    _description = "Import Platform Orders"

    shop_id = fields.Many2one("ec.shop", required=True)
    file = fields.Binary(required=True)
    filename = fields.Char()

    def action_import(self):
        self.ensure_one()
        shop = self.shop_id
        filename = self.filename or "orders"
        try:
            zone = ZoneInfo(shop.tz or "UTC")
        except (KeyError, ValueError):
            zone = None
        try:
            orders = read_order_file(filename, base64.b64decode(self.file or b""), zone)
        except OrderFileError as error:
            raise UserError(str(error)) from None
        self._check_skus(shop, filename, orders)
        stats = new_stats()
        SaleOrder = self.env["sale.order"]
        for start in range(0, len(orders), PAGE_SIZE):
            page = orders[start : start + PAGE_SIZE]
            merge_stats(stats, SaleOrder._ec_sync_platform_orders(shop, page))
        if stats["failed"]:
            rows = {order["order_no"]: order["rows"][0] for order in orders}
            lines = [
                self.env._(
                    "%(file)s, row %(row)s, order %(order)s: %(error)s",
                    file=filename,
                    row=rows.get(failure["order_no"], "?"),
                    order=failure["order_no"],
                    error=failure["error"],
                )
                for failure in stats["failed"][:MAX_ERRORS]
            ]
            raise UserError(self.env._("Nothing was imported:\n%s", "\n".join(lines)))
        log = (
            self.env["ec.sync.log"]
            .with_context(ec_connector_trigger="upload")
            ._log_create(
                shop,
                "orders",
                self.env._("Order file %(file)s", file=filename),
                state="running",
            )
        )
        log._add_order_stats(stats, False)
        log._finish()
        counts = stats["counts"]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Orders imported"),
                "message": self.env._(
                    "%(file)s: %(created)s orders created, %(updated)s updated, "
                    "%(unchanged)s unchanged.",
                    file=filename,
                    created=counts["created"],
                    updated=counts["updated"],
                    unchanged=counts["unchanged"],
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _check_skus(self, shop, filename, orders):
        """Every SKU must name a product: errors name file, row and column."""
        skus = {line["sku"] for order in orders for line in order["lines"]}
        known = set(
            self.env["product.product"]
            .search_fetch(
                [
                    ("default_code", "in", sorted(skus)),
                    ("company_id", "in", [False, shop.company_id.id]),
                ],
                ["default_code"],
            )
            .mapped("default_code")
        )
        errors = [
            self.env._(
                "%(file)s, row %(row)s, column sku: no product has the internal "
                "reference '%(sku)s'.",
                file=filename,
                row=line["row"],
                sku=line["sku"],
            )
            for order in orders
            for line in order["lines"]
            if line["sku"] not in known
        ]
        if errors:
            text = "\n".join(errors[:MAX_ERRORS])
            if len(errors) > MAX_ERRORS:
                text += self.env._(
                    "\n... and %(count)s more errors.", count=len(errors) - MAX_ERRORS
                )
            raise UserError(self.env._("Nothing was imported:\n%s", text))
