# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""End to end on the Douyin fake: the two crons pull the day's bills and
the orders they settle, import them, and matching links every order row;
with "Post Automatically after Pull" the bill cron also posts the wallet
ledger (never the settlement bill, which explains the same money)."""

import datetime as dt
from unittest import mock

from odoo.tests import tagged
from odoo.tools import float_is_zero, mute_logger

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


@tagged("post_install", "-at_install")
class TestEndToEndPosting(ConnectorCase):
    """Bill cron → signed calls to the fake → import → match against orders
    made here → posted entries (or not, or a recorded posting error).

    The crons run as without ec_connectors_queue (its dispatch hooks are
    bypassed where it is installed); the subclass below runs them as jobs."""

    as_jobs = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cny = cls.env.ref("base.CNY")
        cny.active = True
        cls.douyin = cls._connector_shop(
            "Douyin posting",
            "douyin",
            currency=cny,
            connector_bills_from=dt.date(2024, 3, 5),
        )
        cls.cup = cls._ec_product("Cup", 99.0, "DY-CUP")
        cls.pot = cls._ec_product("Pot", 59.0, "DY-POT")
        cls.env["ec.fee.kind.mapping"].action_create_defaults()
        cls.cup_order = cls._create_order(
            CUP_ORDER, [(cls.cup, 1, 99.0, CUP_ITEM)], shop=cls.douyin
        )
        cls.pot_order = cls._create_order(
            POT_ORDER, [(cls.pot, 1, 59.0, POT_ITEM)], shop=cls.douyin
        )
        cls.invoices = cls.env["account.move"]
        for order in cls.cup_order | cls.pot_order:
            cls._deliver(order)
            cls.invoices |= cls._invoice(order)

    def setUp(self):
        super().setUp()
        if self.as_jobs and "queue.job" not in self.env:
            self.skipTest("ec_connectors_queue is not installed")
        if not self.as_jobs:
            self._run_units_in_the_cron()
        self.fake = self.start_fake(DouyinFake)
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

    def _run_units_in_the_cron(self):
        """ec_connectors' own dispatch hooks: the cron runs the units."""
        # imported here: the plain-Python test runner imports this package
        from ..models.ec_connector_bill import EcConnectorBill
        from ..models.ec_shop import EcShop

        hooks = [
            ("ec.shop", EcShop, "_connector_dispatch_list_bills"),
            ("ec.shop", EcShop, "_connector_dispatch_after_pull"),
            ("ec.connector.bill", EcConnectorBill, "_connector_dispatch_pull"),
        ]
        for model, cls, name in hooks:
            patch = mock.patch.object(self.registry[model], name, getattr(cls, name))
            patch.start()
            self.addCleanup(patch.stop)

    def pulled(self):
        bills = self.env["ec.connector.bill"].search([("shop_id", "=", self.douyin.id)])
        ledger = bills.filtered(lambda b: b.bill_type == "account_item")
        detail = bills.filtered(lambda b: b.bill_type == "settle")
        self.assertEqual((len(ledger), len(detail)), (1, 1))
        return ledger, detail

    def entries(self):
        return self.env["account.move"].search(
            [("ec_settlement_id.shop_id", "=", self.douyin.id)]
        )

    def test_cron_pulls_matches_and_posts_the_ledger(self):
        self.douyin.connector_auto_post = True
        self.pull_bills()
        ledger, detail = self.pulled()
        self.assertEqual((ledger.state, detail.state), ("done", "done"))
        self.assertEqual(ledger.post_state, "posted")
        self.assertFalse(detail.post_state, "the settlement bill is never posted")
        self.assertFalse(ledger.post_error)
        # the calls were signed and checked by the fake (a bad sign is a 401)
        self.assertEqual(self.fake.hits("/order/getShopAccountItem"), 2)
        self.assertEqual(ledger.settlement_ids.state, "posted")
        self.assertEqual(detail.settlement_ids.state, "matched")

        rows = ledger.settlement_ids.line_ids
        order_rows = rows.filtered("order_ref")
        self.assertTrue(order_rows)
        self.assertEqual(set(order_rows.mapped("match_state")), {"matched"})
        self.assertEqual(order_rows.sale_order_id, self.cup_order | self.pot_order)
        # every row is on a posted, balanced entry of its bill
        moves = rows.move_id
        self.assertTrue(moves)
        self.assertFalse(rows.filtered(lambda row: not row.move_id))
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.assertEqual(moves.ec_settlement_id, ledger.settlement_ids)
        self.assertEqual(self.entries(), moves, "nothing of the settlement bill")
        digits = self.env.company.currency_id.decimal_places
        for move in moves:
            self.assertTrue(
                float_is_zero(
                    sum(move.line_ids.mapped("balance")), precision_digits=digits
                ),
                move.name,
            )
        # the wallet line of each entry is the net of its rows (bill currency)
        for move in moves:
            wallet = move.line_ids.filtered(
                lambda line: line.account_id == self.wallet_journal.default_account_id
            )
            move_rows = rows.filtered(lambda row, m=move: row.move_id == m)
            self.assertAlmostEqual(
                sum(wallet.mapped("amount_currency")),
                float(sum(move_rows.mapped("amount"))),
                places=2,
            )
        # settled income cleared the orders' invoices
        self.assertTrue(
            all(inv.payment_state != "not_paid" for inv in self.invoices),
            self.invoices.mapped("payment_state"),
        )
        log = self.logs(self.douyin, "posting")
        self.assertEqual(len(log), 1)
        self.assertEqual(log.state, "done")
        self.assertEqual(log.entries_posted, len(moves))
        self.assertEqual(log.settlement_ids, ledger.settlement_ids)
        self.assertEqual(log.trigger, "queue" if self.as_jobs else "scheduled")
        self.assertIn(
            "Posted:", "".join(ledger.settlement_ids.message_ids.mapped("body"))
        )

        # an hour later: nothing new to pull, nothing posted again
        self.now += dt.timedelta(hours=1, minutes=1)
        self.pull_bills()
        self.assertEqual(self.entries(), moves)
        self.assertEqual(len(self.logs(self.douyin, "posting")), 1)

    def test_option_off_matches_and_posts_nothing(self):
        self.assertFalse(self.douyin.connector_auto_post, "off by default")
        self.pull_bills()
        ledger, detail = self.pulled()
        settlements = (ledger | detail).settlement_ids
        self.assertEqual(len(settlements), 2)
        self.assertEqual(set(settlements.mapped("state")), {"matched"})
        self.assertFalse(ledger.post_state or detail.post_state)
        self.assertFalse(self.entries())
        self.assertFalse(settlements.line_ids.move_id)
        self.assertFalse(self.logs(self.douyin, "posting"))
        self.assertEqual(
            set(self.logs(self.douyin, "matching").mapped("state")), {"done"}
        )
        # switching it on later does not post bills pulled before
        self.douyin.connector_auto_post = True
        self.now += dt.timedelta(hours=1, minutes=1)
        self.pull_bills()
        self.assertFalse(self.entries())

    @mute_logger("odoo.addons.ec_connectors.models.ec_shop")
    def test_posting_error_is_logged_and_the_pull_goes_on(self):
        self.douyin.connector_auto_post = True
        self.env.company.sudo().fiscalyear_lock_date = dt.date(2024, 3, 31)
        self.assertFalse(self.douyin.connector_bill_cursor)
        self.pull_bills()
        ledger, detail = self.pulled()
        # the pull succeeded: bills imported and matched, cursor moved on
        self.assertEqual((ledger.state, detail.state), ("done", "done"))
        self.assertEqual(
            set((ledger | detail).settlement_ids.mapped("state")), {"matched"}
        )
        self.assertEqual(self.douyin.connector_bill_cursor, dt.date(2024, 3, 4))
        listing = self.logs(self.douyin, "bills")
        self.assertEqual(set(listing.mapped("state")), {"done"})
        # nothing posted; the error is on the pulled bill, in the log and in
        # the imported bill's chatter
        self.assertFalse(self.entries())
        self.assertFalse(ledger.settlement_ids.line_ids.move_id)
        self.assertEqual(ledger.post_state, "failed")
        self.assertIn("lock date", ledger.post_error)
        log = self.logs(self.douyin, "posting")
        self.assertEqual(len(log), 1)
        self.assertEqual(log.state, "error")
        self.assertEqual(log.connector_bill_id, ledger)
        self.assertIn("lock date", log.error_message)
        chatter = "".join(ledger.settlement_ids.message_ids.mapped("body"))
        self.assertIn("Automatic posting after the pull failed", chatter)
        self.assertIn("lock date", chatter)
        # the next run does not pull nor try to post the same bill again
        hits = self.fake.hits("/order/getShopAccountItem")
        self.now += dt.timedelta(hours=1, minutes=1)
        self.pull_bills()
        self.assertEqual(self.fake.hits("/order/getShopAccountItem"), hits)
        self.assertEqual(len(self.logs(self.douyin, "posting")), 1)
        self.assertEqual(ledger.post_state, "failed")

    @mute_logger("odoo.addons.ec_connectors.models.ec_shop")
    def test_pull_now_reports_a_posting_error_without_raising(self):
        self.douyin.connector_auto_post = True
        self.env.company.sudo().fiscalyear_lock_date = dt.date(2024, 3, 31)
        action = self.douyin.action_connector_pull_now()
        ledger, detail = self.pulled()
        self.assertEqual((ledger.state, detail.state), ("done", "done"))
        self.assertEqual(ledger.post_state, "failed")
        self.assertFalse(self.entries())
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("lock date", action["params"]["message"])
        log = self.logs(self.douyin, "posting")
        self.assertEqual((log.state, log.trigger), ("error", "manual"))


@tagged("post_install", "-at_install")
class TestEndToEndPostingJobs(TestEndToEndPosting):
    """The same with ec_connectors_queue: a job per shop listing, per bill
    pull, per shop matching and posting (run at once here)."""

    as_jobs = True
