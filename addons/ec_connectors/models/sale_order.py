# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Platform orders into ``sale.order``: upsert by (shop, platform order no),
the platform status driving confirmation, delivery, return or cancellation.

Bulk-minded: per page of orders, one search for the known order numbers,
one for the SKUs, one ``create`` for the new orders, and the status steps
on whole recordsets (``action_confirm``, ``button_validate``...).
"""

import datetime as dt
from collections import Counter
from decimal import Decimal, InvalidOperation

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command

from ..tools import UTC, naive_utc

PLATFORM_STATUS_SELECTION = [
    ("pending", "Awaiting Payment"),
    ("paid", "Paid"),
    ("shipped", "Shipped"),
    ("refunded", "Refunded"),
    ("cancelled", "Cancelled"),
]
PLATFORM_STATUSES = {status for status, _label in PLATFORM_STATUS_SELECTION}
CLOSED_STATUSES = ("refunded", "cancelled")
EPOCH = dt.datetime.min.replace(tzinfo=UTC)
#: context of the sync: no chatter noise per order, keep the platform's date.
SYNC_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "ec_platform_sync": True,
}


def new_stats():
    return {
        "counts": Counter(
            received=0, created=0, updated=0, unchanged=0, stale=0, held=0
        ),
        "unknown_skus": {},
        "ambiguous_skus": {},
        "failed": [],
    }


def merge_stats(into, other):
    into["counts"].update(other["counts"])
    for sku, refs in other["unknown_skus"].items():
        into["unknown_skus"].setdefault(sku, []).extend(refs)
    into["ambiguous_skus"].update(other["ambiguous_skus"])
    into["failed"].extend(other["failed"])
    return into


def _decimal(value):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _datetime(value):
    if value in (None, "", False):
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip().replace("Z", "+00:00")
    result = dt.datetime.fromisoformat(text)
    return result if result.tzinfo else result.replace(tzinfo=UTC)


def normalize_order(order):
    """The internal form of an order: a client's ``normalized_order`` dict
    or its JSON payload (strings for decimals and dates)."""
    return {
        "order_no": str(order["order_no"]),
        "status": order.get("status") or "pending",
        "currency": order.get("currency") or None,
        "amount": _decimal(order.get("amount")),
        "created_at": _datetime(order.get("created_at")),
        "updated_at": _datetime(order.get("updated_at")),
        "lines": [
            {
                "sub_order_no": str(line.get("sub_order_no") or ""),
                "sku": str(line.get("sku") or "").strip(),
                "quantity": float(line.get("quantity") or 0),
                "price": _decimal(line.get("price")),
            }
            for line in order.get("lines") or ()
        ],
    }


def order_payload(order):
    """JSON-safe copy of a normalized order (kept to apply it again)."""

    def text(value):
        return None if value is None else str(value)

    return {
        "order_no": order["order_no"],
        "status": order["status"],
        "currency": order["currency"],
        "amount": text(order["amount"]),
        "created_at": order["created_at"] and order["created_at"].isoformat(),
        "updated_at": order["updated_at"] and order["updated_at"].isoformat(),
        "lines": [{**line, "price": text(line["price"])} for line in order["lines"]],
    }


class SaleOrder(models.Model):
    _inherit = "sale.order"

    ec_platform_status = fields.Selection(
        PLATFORM_STATUS_SELECTION,
        string="Platform Status",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The order's status on the platform at the last sync.",
    )
    ec_platform_updated_at = fields.Datetime(
        string="Platform Update", readonly=True, copy=False
    )
    ec_sync_warning = fields.Text(
        string="Sync Warning",
        readonly=True,
        copy=False,
        help="Why the platform status was not applied (unknown SKU...). Fix "
        "it, then apply the platform data again.",
    )
    ec_platform_payload = fields.Json(
        string="Platform Data",
        readonly=True,
        copy=False,
        help="The order as the platform sent it, kept while a warning holds it.",
    )
    ec_has_platform_payload = fields.Boolean(compute="_compute_ec_has_platform_payload")

    @api.depends("ec_platform_payload")
    def _compute_ec_has_platform_payload(self):
        for order in self:
            order.ec_has_platform_payload = bool(order.ec_platform_payload)

    def _prepare_confirmation_values(self):
        vals = super()._prepare_confirmation_values()
        if self.env.context.get("ec_platform_sync"):
            vals.pop("date_order", None)  # keep the platform's order date
        return vals

    def action_ec_apply_platform_data(self):
        """Apply the kept platform data again (after creating the product of
        an unknown SKU, for example)."""
        for order in self.filtered("ec_platform_payload"):
            stats = self._ec_sync_platform_orders(
                order.ec_shop_id, [order.ec_platform_payload]
            )
            if stats["failed"]:
                raise UserError(stats["failed"][0]["error"])
        return True

    # ------------------------------------------------------------ sync

    @api.model
    def _ec_sync_platform_orders(self, shop, orders):
        """Create or update the orders of ``shop`` (one page of normalized
        orders). Orders that cannot be applied (a delivery that needs lot
        numbers...) are returned in ``stats["failed"]`` with their payload;
        the others are applied. A missing platform partner fails the page."""
        stats = new_stats()
        prepared = {}
        for order in orders:
            order = normalize_order(order)
            if order["status"] not in PLATFORM_STATUSES:
                order["status"] = "pending"
            previous = prepared.get(order["order_no"])
            if previous is None or (order["updated_at"] or EPOCH) >= (
                previous["updated_at"] or EPOCH
            ):
                prepared[order["order_no"]] = order
        orders = list(prepared.values())
        stats["counts"]["received"] = len(orders)
        if not orders:
            return stats
        if not shop.partner_id:
            raise UserError(
                self.env._(
                    "Shop %(shop)s has no platform partner: set one to receive "
                    "its orders.",
                    shop=shop.display_name,
                )
            )
        orders_env = self.with_company(shop.company_id).with_context(**SYNC_CONTEXT)
        if orders_env._ec_try_apply(shop, orders, stats):
            return stats
        # one of them fails: apply them one by one to isolate it
        for order in orders:
            one = new_stats()
            try:
                with self.env.cr.savepoint():
                    orders_env._ec_apply_orders(shop, [order], one)
            except (UserError, ValidationError) as error:
                stats["failed"].append(
                    {
                        "order_no": order["order_no"],
                        "error": str(error.args[0] if error.args else error),
                        "payload": order_payload(order),
                    }
                )
                continue
            merge_stats(stats, one)
        return stats

    @api.model
    def _ec_try_apply(self, shop, orders, stats):
        """Apply ``orders`` in one savepoint; False (and nothing applied)
        when one of them raises a user or validation error."""
        batch = new_stats()
        try:
            with self.env.cr.savepoint():
                self._ec_apply_orders(shop, orders, batch)
        except (UserError, ValidationError):
            return False
        batch["counts"]["received"] = 0
        merge_stats(stats, batch)
        return True

    @api.model
    def _ec_apply_orders(self, shop, orders, stats):
        refs = [order["order_no"] for order in orders]
        existing = {
            sale.ec_order_ref: sale
            for sale in self.search_fetch(
                [("ec_shop_id", "=", shop.id), ("ec_order_ref", "in", refs)],
                [
                    "ec_order_ref",
                    "state",
                    "ec_platform_status",
                    "ec_platform_updated_at",
                    "ec_sync_warning",
                ],
            )
        }
        skus = {line["sku"] for order in orders for line in order["lines"]}
        products = self._ec_products_by_sku(shop, skus, stats)
        new_vals, new_orders, targets = [], [], []
        for order in orders:
            lines, warnings = self._ec_prepare_lines(shop, order, products, stats)
            warning = "\n".join(warnings) or False
            sale = existing.get(order["order_no"])
            if sale is None:
                new_vals.append(
                    self._ec_prepare_order_vals(shop, order, lines, warning)
                )
                new_orders.append(order)
                continue
            updated_at = naive_utc(order["updated_at"])
            if (
                updated_at
                and sale.ec_platform_updated_at
                and updated_at < sale.ec_platform_updated_at
            ):
                stats["counts"]["stale"] += 1
                continue
            if (
                sale.ec_platform_status == order["status"]
                and sale.ec_platform_updated_at == updated_at
                and not sale.ec_sync_warning
                and not warning
            ):
                stats["counts"]["unchanged"] += 1
                continue
            vals = self._ec_prepare_status_vals(order, warning)
            if sale.state in ("draft", "sent"):
                vals["order_line"] = [Command.clear()] + lines
            sale.write(vals)
            stats["counts"]["updated"] += 1
            targets.append((sale, order))
        created = self.create(new_vals)
        stats["counts"]["created"] += len(created)
        targets += list(zip(created, new_orders, strict=True))
        self._ec_apply_statuses(targets, stats)

    @api.model
    def _ec_products_by_sku(self, shop, skus, stats):
        """``{sku: product.product}``: the products whose internal reference
        is the SKU (shared or of the shop's company), loaded at once."""
        skus = sorted(sku for sku in skus if sku)
        if not skus:
            return {}
        products = self.env["product.product"].search_fetch(
            [
                ("default_code", "in", skus),
                ("company_id", "in", [False, shop.company_id.id]),
            ],
            ["default_code"],
            order="id",
        )
        result, counts = {}, Counter()
        for product in products:
            counts[product.default_code] += 1
            result.setdefault(product.default_code, product)
        stats["ambiguous_skus"].update(
            {sku: count for sku, count in counts.items() if count > 1}
        )
        return result

    @api.model
    def _ec_prepare_lines(self, shop, order, products, stats):
        """``(line commands, warnings)``; an unknown SKU becomes a note line
        (never a new product) and a warning that holds the order."""
        commands, warnings = [], []
        for line in order["lines"]:
            product = products.get(line["sku"])
            if not product:
                refs = stats["unknown_skus"].setdefault(line["sku"], [])
                refs.append(order["order_no"])
                warnings.append(
                    self.env._(
                        "SKU %(sku)s not found: no product has this internal "
                        "reference.",
                        sku=line["sku"] or self.env._("(empty)"),
                    )
                )
                commands.append(
                    Command.create(
                        {
                            "display_type": "line_note",
                            "name": self.env._(
                                "Unknown SKU %(sku)s: %(qty)s at %(price)s "
                                "(sub-order %(sub)s)",
                                sku=line["sku"] or "-",
                                qty=line["quantity"],
                                price=line["price"]
                                if line["price"] is not None
                                else "-",
                                sub=line["sub_order_no"] or "-",
                            ),
                        }
                    )
                )
                continue
            vals = {
                "product_id": product.id,
                "product_uom_qty": line["quantity"],
                "ec_sub_order_ref": line["sub_order_no"] or False,
            }
            if line["price"] is not None:
                vals["price_unit"] = float(line["price"])
            commands.append(Command.create(vals))
        if not order["lines"]:
            warnings.append(self.env._("The platform sent no order lines."))
        if order["currency"] and order["currency"] != shop.currency_id.name:
            warnings.append(
                self.env._(
                    "The order is in %(currency)s, the shop settles in "
                    "%(shop_currency)s.",
                    currency=order["currency"],
                    shop_currency=shop.currency_id.name,
                )
            )
        return commands, warnings

    @api.model
    def _ec_prepare_status_vals(self, order, warning):
        return {
            "ec_platform_status": order["status"],
            "ec_platform_updated_at": naive_utc(order["updated_at"]),
            "ec_sync_warning": warning,
            "ec_platform_payload": order_payload(order) if warning else False,
        }

    @api.model
    def _ec_prepare_order_vals(self, shop, order, lines, warning):
        vals = {
            "partner_id": shop.partner_id.id,
            "company_id": shop.company_id.id,
            "ec_shop_id": shop.id,
            "ec_order_ref": order["order_no"],
            "client_order_ref": order["order_no"],
            "order_line": lines,
        }
        if order["created_at"]:
            vals["date_order"] = naive_utc(order["created_at"])
        vals.update(self._ec_prepare_status_vals(order, warning))
        return vals

    # ------------------------------------------------------------ statuses

    @api.model
    def _ec_apply_statuses(self, targets, stats):
        """paid: confirm; shipped: confirm and validate the deliveries;
        refunded/cancelled: return what was delivered, else cancel. Orders
        held by a warning only follow a cancellation."""
        to_confirm = to_deliver = to_return = to_cancel = self.browse()
        for sale, order in targets:
            status = order["status"]
            if sale.state == "cancel":
                continue
            if status in CLOSED_STATUSES:
                if sale._ec_delivered_pickings():
                    to_return |= sale
                else:
                    to_cancel |= sale
                continue
            if sale.ec_sync_warning:
                stats["counts"]["held"] += 1
                continue
            if status in ("paid", "shipped") and sale.state in ("draft", "sent"):
                to_confirm |= sale
            if status == "shipped":
                to_deliver |= sale
        if to_confirm:
            to_confirm.action_confirm()
        if to_deliver:
            to_deliver._ec_validate_deliveries()
        if to_return:
            to_return._ec_return_deliveries()
        if to_cancel:
            to_cancel._action_cancel()

    def _ec_delivered_pickings(self):
        return self.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )

    def _ec_validate_deliveries(self):
        """Validate the open deliveries in full (each step of a multi-step
        route in turn)."""
        for _step in range(3):
            pickings = self.picking_ids.filtered(
                lambda p: p.state in ("confirmed", "assigned")
                and p.picking_type_code != "incoming"
            )
            if not pickings:
                break
            pickings._ec_validate_in_full()
        blocked = self.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
            and p.picking_type_code == "outgoing"
        )
        if blocked:
            raise UserError(
                self.env._(
                    "Delivery %(pickings)s of order %(orders)s could not be "
                    "validated automatically: validate it by hand.",
                    pickings=", ".join(blocked.mapped("name")),
                    orders=", ".join(blocked.sale_id.mapped("ec_order_ref")),
                )
            )

    def _ec_return_deliveries(self):
        """Cancel the open deliveries; return everything delivered and not
        returned yet, and validate the returns."""
        self.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
            and p.picking_type_code != "incoming"
        ).action_cancel()
        returns = self.env["stock.picking"]
        Wizard = self.env["stock.return.picking"]
        for picking in self._ec_delivered_pickings():
            wizard = Wizard.with_context(
                active_id=picking.id, active_model="stock.picking"
            ).create({})
            for return_line in wizard.product_return_moves:
                move = return_line.move_id
                returned = sum(
                    dest.quantity
                    for dest in move.move_dest_ids
                    if dest.origin_returned_move_id == move and dest.state != "cancel"
                )
                return_line.quantity = max(move.quantity - returned, 0.0)
            if not any(wizard.product_return_moves.mapped("quantity")):
                continue
            action = wizard.action_create_returns()
            returns |= self.env["stock.picking"].browse(action["res_id"])
        if returns:
            returns._ec_validate_in_full()
