# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""End to end on the Douyin fake: the two crons pull the day's bills and
the orders they settle, import them, and matching links every order row."""

import datetime as dt

from odoo.tests import tagged

from .common import ConnectorCase
from .fake_servers import DouyinFake

CUP_ORDER, CUP_ITEM = "6920000000000000001", "6920000000000000002"
POT_ORDER, POT_ITEM = "6920000000000000003", "6920000000000000004"
#: 2024-03-05 08:53:20 in Beijing
UPDATED = 1709600000


def douyin_order(order_id, item_id, sku, status, amount_fen, minute):
    return {
        "order_id": order_id,
        "order_status": status,
        "pay_amount": amount_fen,
        "create_time": UPDATED,
        "update_time": UPDATED + 60 * minute,
        "sku_order_list": [
            {
                "order_id": item_id,
                "out_sku_id": sku,
                "item_num": 1,
                "origin_amount": amount_fen,
            }
        ],
    }


@tagged("post_install", "-at_install")
class TestEndToEnd(ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cny = cls.env.ref("base.CNY")
        cny.active = True
        cls.douyin = cls._connector_shop(
            "Douyin flagship",
            "douyin",
            currency=cny,
            connector_sync_orders=True,
            connector_bills_from=dt.date(2024, 3, 5),
            connector_orders_from=dt.datetime(2024, 3, 5, 0, 0),
        )
        cls.cup = cls._ec_product("Cup", 99.0, "DY-CUP")
        cls.pot = cls._ec_product("Pot", 59.0, "DY-POT")

    def setUp(self):
        super().setUp()
        self.fake = self.start_fake(DouyinFake)
        self.fake.orders = [
            douyin_order(CUP_ORDER, CUP_ITEM, "DY-CUP", 3, 9900, 1),  # shipped
            douyin_order(POT_ORDER, POT_ITEM, "DY-POT", 2, 5900, 2),  # paid
        ]
        self.connect(
            self.douyin,
            {
                "app_key": self.fake.app_key,
                "app_secret": self.fake.secret,
                "shop_id": self.fake.shop_id,
                "base_url": self.fake.url,
                "timeout": 2,
                "max_retries": 0,
            },
        )

    def test_crons_pull_import_and_match(self):
        self.pull_bills()
        bills = self.env["ec.connector.bill"].search([("shop_id", "=", self.douyin.id)])
        self.assertEqual(sorted(bills.mapped("bill_type")), ["account_item", "settle"])
        self.assertEqual(set(bills.mapped("state")), {"done"})
        self.assertEqual(set(bills.mapped("period")), {"2024-03-05"})
        settlements = bills.settlement_ids
        self.assertEqual(len(settlements), 2)
        self.assertEqual(set(settlements.mapped("state")), {"matched"})
        rows = self.env["ec.settlement.line"].search([("shop_id", "=", self.douyin.id)])
        order_rows = rows.filtered("order_ref")
        # 19 rows: sales, refunds, fees and coupons of the two orders, and
        # one payout (a shop-level row, matched to the bank, not to an order)
        self.assertEqual((len(rows), len(order_rows)), (19, 18))
        self.assertEqual(set(order_rows.mapped("order_ref")), {CUP_ORDER, POT_ORDER})
        # no order in Odoo yet: matching flags the rows as unknown orders
        self.assertEqual(set(order_rows.mapped("match_state")), {"unknown_order"})
        self.assertFalse(order_rows.sale_order_id)
        # both bills paged (the fake serves two rows a page), 2 pages each
        self.assertEqual(self.fake.hits("/order/getSettleBillDetailV3"), 2)
        self.assertEqual(self.fake.hits("/order/getShopAccountItem"), 2)

        self.sync_orders()
        orders = self.env["sale.order"].search([("ec_shop_id", "=", self.douyin.id)])
        self.assertEqual(len(orders), 2)
        cup = orders.filtered(lambda o: o.ec_order_ref == CUP_ORDER)
        pot = orders.filtered(lambda o: o.ec_order_ref == POT_ORDER)
        self.assertEqual(cup.order_line.ec_sub_order_ref, CUP_ITEM)
        self.assertEqual(cup.order_line.product_id, self.cup)
        self.assertEqual(cup.order_line.price_unit, 99.0)
        self.assertEqual(
            cup.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing").state,
            "done",
        )
        self.assertEqual(pot.state, "sale")
        self.assertEqual(pot.picking_ids.state, "assigned")
        # the order sync ran matching again: every order row is linked now
        rows.invalidate_recordset()
        self.assertEqual(set(order_rows.mapped("match_state")), {"matched"})
        self.assertEqual(
            order_rows.filtered(lambda r: r.order_ref == CUP_ORDER).sale_order_id, cup
        )
        self.assertEqual(
            order_rows.filtered(lambda r: r.order_ref == POT_ORDER).sale_order_id, pot
        )
        self.assertEqual(
            order_rows.filtered(
                lambda r: r.sub_order_ref == CUP_ITEM
            ).sale_order_line_id,
            cup.order_line,
        )
        self.assertTrue(cup.ec_match_state)
        self.assertTrue(pot.ec_match_state)
        matching = self.logs(self.douyin, "matching")[-1]
        self.assertEqual(matching.rows_matched, 18)
        self.assertEqual(set(self.logs(self.douyin).mapped("state")), {"done"})
        # the tokens obtained on the way are stored for the next run
        keys = self.douyin.sudo().credential_ids.filtered("value").mapped("key")
        self.assertIn("refresh_token", keys)
        self.assertIn("access_token", keys)

        # a second run of both crons an hour later changes nothing
        self.now += dt.timedelta(hours=1, minutes=1)
        self.pull_bills()
        self.sync_orders()
        self.assertEqual(len(bills.search([("shop_id", "=", self.douyin.id)])), 2)
        self.assertEqual(
            self.env["ec.settlement"].search_count([("shop_id", "=", self.douyin.id)]),
            2,
        )
        self.assertEqual(
            self.env["ec.settlement.line"].search_count(
                [("shop_id", "=", self.douyin.id)]
            ),
            len(rows),
        )
        self.assertEqual(
            self.env["sale.order"].search_count([("ec_shop_id", "=", self.douyin.id)]),
            2,
        )
