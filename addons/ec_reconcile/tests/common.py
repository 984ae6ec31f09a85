# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Builders shared by the add-on's tests: ``_create_x(**overrides)``."""

from datetime import datetime, timedelta
from decimal import Decimal

from odoo import fields
from odoo.fields import Command
from odoo.tests import TransactionCase

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..parsers import BillLine, ParsedBill

DISABLED_TRACKING = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "queue_job__no_delay": True,
}


class EcReconcileCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_TRACKING))
        cls.company = cls.env.company

    @classmethod
    def _create_company(cls, name, **overrides):
        vals = {"name": name, "currency_id": cls.env.company.currency_id.id}
        vals.update(overrides)
        return cls.env["res.company"].create(vals)

    @classmethod
    def _create_journal(cls, name, code, company=None, journal_type="bank"):
        return cls.env["account.journal"].create(
            {
                "name": name,
                "code": code,
                "type": journal_type,
                "company_id": (company or cls.company).id,
            }
        )

    @classmethod
    def _create_partner(cls, name, company=None):
        return cls.env["res.partner"].create(
            {"name": name, "company_id": company.id if company else False}
        )

    @classmethod
    def _create_shop(cls, name="Test shop", **overrides):
        company = overrides.pop("company", None) or cls.company
        vals = {
            "name": name,
            "platform": "tmall",
            "company_id": company.id,
            "currency_id": company.currency_id.id,
        }
        vals.update(overrides)
        return cls.env["ec.shop"].create(vals)

    @classmethod
    def _create_user(cls, login, groups, companies=None):
        companies = companies or cls.company
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": login,
                    "login": login,
                    "email": f"{login}@example.com",
                    "company_id": companies[0].id,
                    "company_ids": [Command.set(companies.ids)],
                    "group_ids": [Command.set([cls.env.ref(g).id for g in groups])],
                }
            )
        )


class EcAccountingCase(AccountTestInvoicingCommon):
    """Orders, deliveries, invoices and bills on a company with a chart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The accounting test user also manages reconciliation.
        cls.env.user.sudo().group_ids = [
            Command.link(cls.env.ref("ec_reconcile.ec_reconcile_group_manager").id),
            Command.link(cls.env.ref("sales_team.group_sale_manager").id),
            Command.link(cls.env.ref("stock.group_stock_manager").id),
        ]
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_TRACKING))
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.platform_partner = cls.env["res.partner"].create(
            {"name": "Platform customers", "is_company": True}
        )
        cls.wallet_journal = cls.env["account.journal"].create(
            {"name": "Platform wallet", "code": "ECW", "type": "bank"}
        )
        cls.bank_journal = cls.env["account.journal"].create(
            {"name": "Shop bank", "code": "ECB", "type": "bank"}
        )
        cls.shop = cls.env["ec.shop"].create(
            {
                "name": "Test Tmall",
                "code": "TT",
                "platform": "tmall",
                "currency_id": cls.currency.id,
                "partner_id": cls.platform_partner.id,
                "wallet_journal_id": cls.wallet_journal.id,
                "bank_journal_id": cls.bank_journal.id,
                "tolerance_amount": 0.01,
                "unsettled_days": 15,
                "tz": "UTC",
            }
        )
        cls.product_a = cls._ec_product("Tea cup", 100.0, "SKU-A")
        cls.product_b = cls._ec_product("Tea pot", 50.0, "SKU-B")

    @classmethod
    def _ec_product(cls, name, price, sku):
        return cls.env["product.product"].create(
            {
                "name": name,
                "type": "consu",
                "list_price": price,
                "default_code": sku,
                "invoice_policy": "order",
                "taxes_id": [Command.clear()],
            }
        )

    @classmethod
    def _create_order(cls, ref, lines, shop=None, confirm=True):
        """``lines``: [(product, qty, price) or (product, qty, price, sub_ref)]."""
        shop = shop or cls.shop
        order = cls.env["sale.order"].create(
            {
                "partner_id": shop.partner_id.id,
                "ec_shop_id": shop.id,
                "ec_order_ref": ref,
                "order_line": [
                    Command.create(
                        {
                            "product_id": line[0].id,
                            "product_uom_qty": line[1],
                            "price_unit": line[2],
                            "tax_ids": [Command.clear()],
                            "ec_sub_order_ref": line[3] if len(line) > 3 else False,
                        }
                    )
                    for line in lines
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    @classmethod
    def _deliver(cls, order, days_ago=0):
        for picking in order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        ):
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
                move.picked = True
            picking.button_validate()
            if days_ago:
                picking.date_done = fields.Datetime.now() - timedelta(days=days_ago)
        return order.picking_ids

    @classmethod
    def _return(cls, order, qty):
        """A done return of ``qty`` of the first delivered product."""
        picking = order.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )[:1]
        wizard = (
            cls.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves[:1].quantity = qty
        wizard.product_return_moves[1:].unlink()
        action = wizard.action_create_returns()
        returned = cls.env["stock.picking"].browse(action["res_id"])
        for move in returned.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        returned.button_validate()
        return returned

    @classmethod
    def _invoice(cls, order):
        invoice = order._create_invoices()
        invoice.action_post()
        return invoice

    @classmethod
    def _credit_note(cls, order, amount, post=True):
        line = order.order_line[:1]
        credit = cls.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": order.partner_invoice_id.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": line.product_id.id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                            "sale_line_ids": [Command.set(line.ids)],
                        }
                    )
                ],
            }
        )
        if post:
            credit.action_post()
        return credit

    @classmethod
    def _bill(cls, rows, shop=None, name="bill.csv", **bill_values):
        """Import ``rows`` as a bill: dicts of BillLine fields (amount as str)."""
        shop = shop or cls.shop
        lines = []
        for index, row in enumerate(rows, start=1):
            values = dict(row)
            values["amount"] = Decimal(str(values["amount"]))
            values.setdefault("transaction_id", f"{name}-{index}")
            values.setdefault("kind", "sale")
            values.setdefault("date", datetime(2024, 3, 1, 10, 0))
            values.setdefault("row_number", index)
            lines.append(BillLine(**values))
        parsed = ParsedBill(
            bill_type="test_bill",
            platform=shop.platform,
            channel="test",
            parser_version="1",
            filename=name,
            lines=lines,
            **bill_values,
        )
        return cls.env["ec.settlement"]._import_parsed(parsed, shop=shop)

    def _match(self, shop=None):
        return self.env["ec.settlement"]._run_matching(shop or self.shop)

    def _exceptions(self, exception_type=None, state="open"):
        domain = [("shop_id", "=", self.shop.id)]
        if exception_type:
            domain.append(("exception_type", "=", exception_type))
        if state:
            domain.append(("state", "=", state))
        return self.env["ec.exception"].search(domain)
