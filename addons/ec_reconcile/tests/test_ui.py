# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The accountant's day in a real browser (tour ``ec_reconcile_tour``).

Needs an HTTP server and Chromium: ``scripts/test.sh`` runs pytest with
``--odoo-http``; alone: ``scripts/dev-test --odoo-http
addons/ec_reconcile/tests/test_ui.py``. Without a server the test is skipped.
"""

import os
import pathlib
import unittest

from odoo.fields import Command
from odoo.service import server as odoo_server
from odoo.tests import HttpCase, tagged

from ..parsers import parse_file

BILL = (
    pathlib.Path(__file__).resolve().parent.parent
    / "static/tests/data/alipay_20880123456789010156_tour.csv"
)
# Same text as RESOLVE_NOTE in static/tests/tours/ec_reconcile_tour.js.
RESOLVE_NOTE = "Tour: buyer paid 10 less, agreed discount"
MISMATCH_REF = "M20240301003"


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    # The first page compiles the asset bundles while holding the test
    # cursor: far over Odoo's 20 s on a busy 2-core machine.
    test_cursor_lock_timeout = 180

    @classmethod
    def setUpClass(cls):
        if odoo_server.server is None:
            # pytest-odoo starts no HTTP server unless asked to.
            raise unittest.SkipTest("no HTTP server: run pytest with --odoo-http")
        super().setUpClass()
        cnys = cls.env["res.currency"].with_context(active_test=False)
        cny = cnys.search([("name", "=", "CNY")])
        cny.active = True
        partner = cls.env["res.partner"].create(
            {"name": "Tour Alipay customers", "is_company": True}
        )
        cls.shop = cls.env["ec.shop"].create(
            {
                "name": "Tour Alipay",
                "code": "TOURALI",
                "platform": "alipay",
                "platform_account": "20880123456789010156",
                "currency_id": cny.id,
                "partner_id": partner.id,
                "tz": "Asia/Shanghai",
            }
        )
        # A service: no delivery to wait for, so only the amounts decide.
        product = cls.env["product.product"].create(
            {"name": "Tour tea set", "type": "service", "invoice_policy": "order"}
        )
        # Orders as the bill settles them, except one priced 10 more.
        sales = {}
        for line in parse_file(BILL.name, BILL.read_bytes())[0].lines:
            if line.kind == "sale":
                sales[line.order_ref] = float(line.amount)
        cls.bill_total = sum(sales.values())
        sales[MISMATCH_REF] += 10
        cls.orders = cls.env["sale.order"]
        for ref, amount in sales.items():
            cls.orders |= cls.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "ec_shop_id": cls.shop.id,
                    "ec_order_ref": ref,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        cls.orders.action_confirm()
        cls.accountant = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Tour Accountant",
                    "login": "ec_tour_accountant",
                    "password": "ec_tour_accountant",
                    "email": "ec_tour_accountant@example.com",
                    "group_ids": [
                        Command.set(
                            [
                                cls.env.ref("ec_reconcile.ec_reconcile_group_user").id,
                                cls.env.ref("account.group_account_invoice").id,
                            ]
                        )
                    ],
                }
            )
        )

        # Compiled now, not by the first page load: Odoo gives the web client
        # 60 s to start, too little to also build the bundles on 2 busy cores.
        qweb = cls.env["ir.qweb"]
        for bundle in ("web.assets_web", "web.assets_tests"):
            qweb._get_asset_bundle(bundle, css=False, js=True).js()
        qweb._get_asset_bundle("web.assets_web", css=True, js=False).css()

    def test_upload_match_resolve(self):
        try:
            self.start_tour(
                "/odoo/action-ec_reconcile.ec_shop_dashboard_action",
                "ec_reconcile_tour",
                login="ec_tour_accountant",
                timeout=180,
            )
        except unittest.SkipTest as exc:
            # Odoo skips when Chromium is missing or does not start; under
            # make test (EC_REQUIRE_BROWSER=1) that is a failure.
            if os.environ.get("EC_REQUIRE_BROWSER") == "1":
                self.fail(f"the tour needs Chromium: {exc}")
            raise
        bill = self.env["ec.settlement"].search([("shop_id", "=", self.shop.id)])
        self.assertEqual(len(bill), 1)
        self.assertEqual(bill.state, "matched", bill.error_message)
        self.assertEqual(bill.source, "upload")
        self.assertEqual(bill.create_uid, self.accountant)
        self.assertEqual(bill.parsed_count, 6)
        sales = bill.line_ids.filtered(lambda line: line.kind == "sale")
        self.assertEqual(len(sales), 3)
        self.assertEqual(sum(sales.mapped("amount")), self.bill_total)
        # Every sale row found its order, fees included.
        self.assertEqual(bill.line_ids.sale_order_id, self.orders)
        self.assertEqual(
            {order.ec_order_ref: order.ec_match_state for order in self.orders},
            {
                "M20240301001": "settled",
                "M20240301002": "settled",
                MISMATCH_REF: "partial",
            },
        )
        exceptions = self.env["ec.exception"].search([("shop_id", "=", self.shop.id)])
        self.assertEqual(len(exceptions), 1)
        self.assertEqual(exceptions.exception_type, "amount_mismatch")
        self.assertEqual(exceptions.order_ref, MISMATCH_REF)
        self.assertEqual(exceptions.difference, -10)
        self.assertEqual(exceptions.state, "resolved")
        self.assertEqual(exceptions.note, RESOLVE_NOTE)
        self.assertEqual(exceptions.resolved_by_id, self.accountant)
        self.assertFalse(exceptions.auto_resolved)
