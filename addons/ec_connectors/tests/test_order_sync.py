# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Order sync from the Taobao/Tmall fake into sale.order."""

import datetime as dt
from unittest import mock

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.ec_connectors.clients import TaobaoClient

from .common import UTC, ConnectorCase
from .fake_servers import TaobaoFake

TID = 3712345678901234000  # + i: the fake's trade numbers


def ref(i):
    return str(TID + i)


@tagged("post_install", "-at_install")
class TestOrderSync(ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cny = cls.env.ref("base.CNY")
        cny.active = True
        cls.shop = cls._connector_shop(
            "Tmall flagship",
            "tmall",
            currency=cny,
            connector_pull_bills=False,
            connector_sync_orders=True,
            # 2024-03-05 00:00 in Beijing
            connector_orders_from=dt.datetime(2024, 3, 4, 16, 0),
        )
        cls.products = {
            f"SKU-{i}": cls._ec_product(f"Item {i}", 10.5, f"SKU-{i}")
            for i in range(1, 5)
        }

    def setUp(self):
        super().setUp()
        self.fake = self.start_fake(TaobaoFake)
        self.connect(
            self.shop,
            {
                "app_key": self.fake.app_key,
                "app_secret": self.fake.secret,
                "session": self.fake.session,
                "base_url": self.fake.url + "/router/rest",
                "timeout": 2,
                "max_retries": 0,
            },
        )
        patch = mock.patch.object(TaobaoClient, "page_size", 2)
        patch.start()
        self.addCleanup(patch.stop)

    def orders(self):
        return self.env["sale.order"].search([("ec_shop_id", "=", self.shop.id)])

    def order(self, i):
        return self.orders().filtered(lambda o: o.ec_order_ref == ref(i))

    def change_trade(self, i, status, minutes_after_now=-30):
        """The platform changes trade ``i``; the clock moves one hour on."""
        self.now += dt.timedelta(hours=1)
        modified = self.now + dt.timedelta(minutes=minutes_after_now)
        trade = self.fake.trades[i - 1]
        trade["status"] = status
        trade["modified"] = modified.astimezone(
            dt.timezone(dt.timedelta(hours=8))
        ).strftime("%Y-%m-%d %H:%M:%S")

    def delivered(self, order):
        return order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "done"
        )

    def test_cron_creates_orders_page_by_page(self):
        self.sync_orders()
        orders = self.orders()
        self.assertEqual(len(orders), 5)
        self.assertEqual(set(orders.mapped("partner_id")), {self.platform_partner})
        # paid: confirmed, not delivered; shipped: delivered
        for i in (1, 3):
            self.assertEqual(self.order(i).state, "sale")
            self.assertEqual(self.order(i).ec_platform_status, "paid")
            self.assertFalse(self.delivered(self.order(i)))
        for i in (2, 4):
            self.assertEqual(self.order(i).state, "sale")
            self.assertEqual(self.order(i).ec_platform_status, "shipped")
            self.assertTrue(self.delivered(self.order(i)))
        line = self.order(3).order_line
        self.assertEqual(line.product_id, self.products["SKU-3"])
        self.assertEqual(line.product_uom_qty, 3)
        self.assertEqual(line.price_unit, 10.5)
        self.assertEqual(line.ec_sub_order_ref, str(3712345678901235000 + 3))
        # the platform's order time (09:00 in Beijing) survives confirmation
        self.assertEqual(self.order(1).date_order, dt.datetime(2024, 3, 5, 1, 0))
        self.assertEqual(
            self.order(1).ec_platform_updated_at, dt.datetime(2024, 3, 5, 2, 1)
        )
        # 5 trades in pages of 2, then an empty page
        log = self.logs(self.shop, "orders")
        self.assertEqual(len(log), 1)
        self.assertEqual(
            (log.pages, log.orders_received, log.orders_created), (4, 5, 5)
        )
        self.assertEqual(self.fake.hits("/router/rest"), 4)
        self.assertTrue(self.shop.connector_order_cursor)
        self.assertEqual(log.cursor_after, self.shop.connector_order_cursor)
        self.assertEqual(
            self.shop.connector_next_orders_at,
            (self.now + dt.timedelta(minutes=60)).replace(tzinfo=None),
        )

    def test_unknown_sku_is_reported_not_invented(self):
        self.sync_orders()
        held = self.order(5)
        self.assertEqual(held.state, "draft", "kept as a quotation")
        self.assertIn("SKU-5", held.ec_sync_warning)
        self.assertEqual(held.order_line.display_type, "line_note")
        self.assertIn("Unknown SKU SKU-5", held.order_line.name)
        self.assertFalse(
            self.env["product.product"].search([("default_code", "=", "SKU-5")])
        )
        log = self.logs(self.shop, "orders")
        self.assertEqual(log.state, "warning")
        self.assertEqual(log.orders_held, 1)
        self.assertIn("SKU SKU-5 not found", log.message)
        self.assertIn(ref(5), log.message)
        # once the product exists, the kept platform data applies in full
        product = self._ec_product("Item 5", 10.5, "SKU-5")
        held.action_ec_apply_platform_data()
        self.assertEqual(held.state, "sale")
        self.assertFalse(held.ec_sync_warning)
        self.assertFalse(held.ec_platform_payload)
        self.assertEqual(held.order_line.product_id, product)
        self.assertEqual(held.order_line.product_uom_qty, 5)

    def test_status_changes_update_the_same_orders(self):
        self.sync_orders()
        first = self.order(1)
        # paid -> shipped: the delivery is validated
        self.change_trade(1, "TRADE_FINISHED")
        self.sync_orders()
        self.assertEqual(self.order(1), first)
        self.assertEqual(first.ec_platform_status, "shipped")
        delivery = self.delivered(first)
        self.assertEqual(len(delivery), 1)
        # shipped -> refunded: the goods come back
        self.change_trade(1, "TRADE_CLOSED")
        self.sync_orders()
        self.assertEqual(first.ec_platform_status, "refunded")
        returns = first.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming"
        )
        self.assertEqual(len(returns), 1)
        self.assertEqual(returns.state, "done")
        self.assertEqual(returns.return_id, delivery)
        self.assertEqual(returns.move_ids.quantity, 1)
        # refunded again (another update): nothing more comes back
        self.change_trade(1, "TRADE_CLOSED")
        self.sync_orders()
        self.assertEqual(
            len(
                first.picking_ids.filtered(lambda p: p.picking_type_code == "incoming")
            ),
            1,
        )
        # paid, never shipped -> refunded: cancelled
        self.change_trade(3, "TRADE_CLOSED")
        self.sync_orders()
        self.assertEqual(self.order(3).state, "cancel")
        self.assertEqual(set(self.order(3).picking_ids.mapped("state")), {"cancel"})
        # never a second order for the same platform order
        self.assertEqual(len(self.orders()), 5)
        self.assertEqual(len(set(self.orders().mapped("ec_order_ref"))), 5)
        updates = self.logs(self.shop, "orders")[1:]
        self.assertEqual(updates.mapped("orders_created"), [0, 0, 0, 0])
        self.assertEqual(updates.mapped("orders_updated"), [1, 1, 1, 1])

    def test_resync_from_scratch_never_duplicates(self):
        self.sync_orders()
        created = self.orders()
        self.shop.write(
            {"connector_order_cursor": False, "connector_next_orders_at": False}
        )
        self.sync_orders()
        self.assertEqual(self.orders(), created)
        log = self.logs(self.shop, "orders")[-1]
        self.assertEqual(log.orders_created, 0)
        # the held order is looked at again; the others are unchanged
        self.assertEqual(log.orders_updated, 1)

    def test_interrupted_sync_resumes_at_the_failed_page(self):
        self.fake.fail("500", path="/router/rest", after=1)
        self.sync_orders()
        log = self.logs(self.shop, "orders")
        self.assertEqual(log.state, "error")
        self.assertIn("HTTP 500", log.error_message)
        self.assertIn(f"[{self.shop.display_name}]", log.error_message)
        self.assertEqual(len(self.orders()), 2, "the first page is kept")
        self.assertEqual(log.cursor_after, self.shop.connector_order_cursor)
        self.assertIn('"page":2', self.shop.connector_order_cursor)
        # retried after the retry delay, from the failed page
        self.now += dt.timedelta(minutes=20)
        self.sync_orders()
        self.assertEqual(len(self.orders()), 5)
        self.assertEqual(len(set(self.orders().mapped("ec_order_ref"))), 5)
        self.assertEqual(self.logs(self.shop, "orders")[-1].orders_created, 3)

    def test_stale_update_is_ignored(self):
        self.sync_orders()
        order = self.order(2)
        stats = self.env["sale.order"]._ec_sync_platform_orders(
            self.shop,
            [
                {
                    "order_no": ref(2),
                    "status": "paid",
                    "updated_at": dt.datetime(2024, 3, 5, 0, 0, tzinfo=UTC),
                    "lines": [{"sku": "SKU-2", "quantity": 2, "price": "10.5"}],
                }
            ],
        )
        self.assertEqual(stats["counts"]["stale"], 1)
        self.assertEqual(order.ec_platform_status, "shipped")

    def test_a_failing_order_does_not_block_the_page(self):
        SaleOrder = self.registry["sale.order"]
        original = SaleOrder._ec_validate_deliveries

        def refuse_order_2(orders):
            if ref(2) in orders.mapped("ec_order_ref"):
                raise UserError(orders.env._("lot numbers needed"))
            return original(orders)

        with mock.patch.object(SaleOrder, "_ec_validate_deliveries", refuse_order_2):
            self.sync_orders()
        self.assertEqual(len(self.orders()), 4)
        self.assertFalse(self.order(2))
        log = self.logs(self.shop, "orders")
        self.assertEqual(log.orders_failed, 1)
        self.assertEqual(log.failed_orders[0]["order_no"], ref(2))
        self.assertIn("lot numbers needed", log.message)
        # applied again from the log, once the cause is gone
        log.action_retry_failed_orders()
        self.assertTrue(self.delivered(self.order(2)))
        self.assertFalse(log.failed_orders)

    def test_a_page_is_applied_in_bulk(self):
        """One search for the known orders, one for the SKUs, one create,
        however many orders the page holds."""
        orders = [
            {
                "order_no": f"BULK-{n}",
                "status": "pending",
                "lines": [
                    {"sku": f"SKU-{1 + n % 4}", "quantity": 1, "price": "10"},
                    {"sku": "SKU-1", "quantity": 2, "sub_order_no": f"BULK-{n}-2"},
                ],
            }
            for n in range(40)
        ]
        SaleOrder = self.registry["sale.order"]
        Product = self.registry["product.product"]
        calls = []
        original_fetch = SaleOrder.search_fetch
        original_product_fetch = Product.search_fetch
        original_create = SaleOrder.create

        def count(name, original):
            def wrapper(model, *args, **kwargs):
                calls.append(name)
                return original(model, *args, **kwargs)

            return wrapper

        with (
            mock.patch.object(
                SaleOrder, "search_fetch", count("orders", original_fetch)
            ),
            mock.patch.object(
                Product, "search_fetch", count("products", original_product_fetch)
            ),
            mock.patch.object(SaleOrder, "create", count("create", original_create)),
        ):
            stats = self.env["sale.order"]._ec_sync_platform_orders(self.shop, orders)
        self.assertEqual(stats["counts"]["created"], 40)
        self.assertEqual(sorted(calls), ["create", "orders", "products"])
        self.assertEqual(len(self.orders()), 40)
        self.assertEqual(len(self.orders().order_line), 80)
