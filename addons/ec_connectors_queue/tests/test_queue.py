# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The connector's units as queue jobs: one per shop and stream, one per
bill, identity keys, leases."""

import datetime as dt
from unittest import mock

from odoo.tests import tagged

from odoo.addons.ec_connectors.tests.common import ConnectorCase, stripe_items_for_days
from odoo.addons.ec_connectors.tests.fake_servers import StripeFake
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job, identity_exact
from odoo.addons.queue_job.tests.common import trap_jobs

DAYS = [dt.date(2024, 3, 3), dt.date(2024, 3, 4), dt.date(2024, 3, 5)]
IDENTITY = {"identity_key": identity_exact}


@tagged("post_install", "-at_install")
class TestConnectorJobs(ConnectorCase):
    run_jobs_at_once = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        usd = cls.env.ref("base.USD")
        usd.active = True
        cls.shops = cls.env["ec.shop"]
        for name in ("Stripe EU", "Stripe US"):
            cls.shops |= cls._connector_shop(
                name, "stripe", currency=usd, connector_bills_from=DAYS[0]
            )
        cls.shop_eu, cls.shop_us = cls.shops

    def setUp(self):
        super().setUp()
        # the shared test context runs jobs at once: not here
        self.env = self.env(context=dict(self.env.context, queue_job__no_delay=False))
        self.shops = self.shops.with_env(self.env)
        self.shop_eu, self.shop_us = self.shops
        self.fake = self.start_fake(StripeFake)
        self.fake.by_created = True
        self.fake.items = stripe_items_for_days(DAYS)
        for shop in self.shops:
            self.connect(
                shop,
                {
                    "secret_key": self.fake.key,
                    "base_url": self.fake.url,
                    "timeout": 2,
                    "max_retries": 0,
                },
            )

    @staticmethod
    def jobs(trap, method_name):
        return [job for job in trap.enqueued_jobs if job.method_name == method_name]

    def bills(self, shop):
        return self.env["ec.connector.bill"].search(
            [("shop_id", "=", shop.id)], order="period"
        )

    def test_cron_enqueues_one_listing_job_per_shop(self):
        with trap_jobs() as trap:
            self.pull_bills()
            trap.assert_jobs_count(2)
            self.assertEqual(len(self.jobs(trap, "_connector_list_bills_job")), 2)
            for shop in self.shops:
                trap.assert_enqueued_job(
                    shop._connector_list_bills_job, properties=IDENTITY
                )
            # leased: the next cron run does not enqueue them again
            self.pull_bills()
            trap.assert_jobs_count(2)
        self.assertEqual(self.fake.hits("/v1/balance_transactions"), 0)
        self.assertEqual(
            self.shop_eu.connector_next_bills_at,
            (self.now + dt.timedelta(hours=1)).replace(tzinfo=None),
        )

    def test_one_pull_job_per_bill_never_twice(self):
        with trap_jobs() as trap:
            self.shop_eu._connector_list_bills_job()
            bills = self.bills(self.shop_eu)
            self.assertEqual(len(bills), 3)
            self.assertEqual(len(self.jobs(trap, "_connector_pull_job")), 3)
            for bill in bills:
                trap.assert_enqueued_job(bill._connector_pull_job, properties=IDENTITY)
                bill._connector_dispatch_pull()  # again: same identity
            trap.assert_jobs_count(3)
            # nothing is downloaded before the jobs run
            self.assertEqual(set(bills.mapped("state")), {"pending"})
            self.assertEqual(self.fake.hits("/v1/balance_transactions"), 0)

    def test_performed_jobs_pull_import_and_match(self):
        with trap_jobs() as trap:
            self.shops[0]._connector_dispatch_list_bills()
            self.shops[1]._connector_dispatch_list_bills()
            trap.perform_enqueued_jobs()  # listings: 6 pull jobs
            trap.assert_jobs_count(6)
            trap.perform_enqueued_jobs()  # pulls: one match job per shop
            self.assertEqual(len(self.jobs(trap, "_connector_after_pull_job")), 2)
            for shop in self.shops:
                trap.assert_enqueued_job(
                    shop._connector_after_pull_job, properties=IDENTITY
                )
            trap.perform_enqueued_jobs()
        for shop in self.shops:
            bills = self.bills(shop)
            self.assertEqual(set(bills.mapped("state")), {"done"})
            self.assertEqual(len(bills.settlement_ids), 3)
            self.assertEqual(set(bills.settlement_ids.mapped("state")), {"matched"})
            self.assertEqual(set(self.logs(shop).mapped("trigger")), {"queue"})
        # each bill downloaded once (2 pages each), for each shop
        self.assertEqual(self.fake.hits("/v1/balance_transactions"), 12)

    def test_same_bill_is_not_queued_twice(self):
        with trap_jobs():
            self.shop_eu._connector_list_bills_job()
        bill = self.bills(self.shop_eu)[0]
        bill._connector_dispatch_pull()
        bill._connector_dispatch_pull()
        Job_ = self.env["queue.job"].sudo()
        jobs = Job_.search([("model_name", "=", "ec.connector.bill")])
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs.records, bill)
        self.assertEqual(jobs.channel, "root.ec_connectors")
        self.assertEqual(
            jobs.identity_key, identity_exact(Job.load(Job_.env, jobs.uuid))
        )
        # leased: a cron run does not queue it again while the job waits
        self.pull_bills()
        self.assertEqual(
            Job_.search_count([("identity_key", "=", jobs.identity_key)]),
            1,
        )

    def test_a_done_bill_is_not_pulled_again(self):
        with trap_jobs() as trap:
            self.shop_eu._connector_list_bills_job()
            trap.perform_enqueued_jobs()
        bill = self.bills(self.shop_eu)[0]
        self.assertEqual(bill.state, "done")
        hits = self.fake.hits("/v1/balance_transactions")
        self.assertEqual(bill._connector_pull_job(), "done")
        self.assertEqual(self.fake.hits("/v1/balance_transactions"), hits)

    def test_busy_shop_is_retried_later(self):
        Shop = self.registry["ec.shop"]
        with (
            mock.patch.object(Shop, "_connector_try_lock", lambda _self, stream: False),
            self.assertRaises(RetryableJobError),
        ):
            self.shop_eu._connector_sync_orders_job()
        with (
            mock.patch.object(Shop, "_connector_try_lock", lambda _self, stream: False),
            self.assertRaises(RetryableJobError),
        ):
            self.shop_eu._connector_list_bills_job()

    def test_order_cron_enqueues_one_job_per_shop(self):
        self.shops.write({"connector_sync_orders": True, "platform": "tmall"})
        with trap_jobs() as trap:
            self.sync_orders()
            self.assertEqual(len(self.jobs(trap, "_connector_sync_orders_job")), 2)
            for shop in self.shops:
                trap.assert_enqueued_job(
                    shop._connector_sync_orders_job, properties=IDENTITY
                )
            self.sync_orders()
            trap.assert_jobs_count(2)

    def test_jobs_post_the_pulled_bills_of_shops_that_say_so(self):
        self.env["ec.fee.kind.mapping"].action_create_defaults()
        self.shop_eu.connector_auto_post = True
        with trap_jobs() as trap:
            for shop in self.shops:
                shop._connector_dispatch_list_bills()
            trap.perform_enqueued_jobs()  # listings: one pull job per bill
            self.assertEqual(len(self.jobs(trap, "_connector_pull_job")), 6)
            trap.perform_enqueued_jobs()  # pulls: one after-pull job per shop
            self.assertEqual(len(self.jobs(trap, "_connector_after_pull_job")), 2)
            trap.perform_enqueued_jobs()  # match, then post (EU only)
        eu, us = self.bills(self.shop_eu), self.bills(self.shop_us)
        self.assertEqual(set(eu.mapped("post_state")), {"posted"})
        self.assertEqual(set(eu.settlement_ids.mapped("state")), {"posted"})
        rows = eu.settlement_ids.line_ids
        self.assertFalse(rows.filtered(lambda row: not row.move_id))
        moves = rows.move_id
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.assertEqual(moves.ec_settlement_id, eu.settlement_ids)
        for move in moves:
            self.assertAlmostEqual(sum(move.line_ids.mapped("balance")), 0.0)
        log = self.logs(self.shop_eu, "posting")
        self.assertEqual((len(log), log.state, log.trigger), (1, "done", "queue"))
        self.assertEqual(log.entries_posted, len(moves))
        # the other shop does not post automatically: matched only
        self.assertEqual(set(us.mapped("post_state")), {False})
        self.assertEqual(set(us.settlement_ids.mapped("state")), {"matched"})
        self.assertFalse(us.settlement_ids.line_ids.move_id)
        self.assertFalse(self.logs(self.shop_us, "posting"))

    def test_after_pull_job_is_retried_while_another_posts(self):
        self.shop_eu.connector_auto_post = True
        bill = self.env["ec.connector.bill"].create(
            {"shop_id": self.shop_eu.id, "key": "busy", "post_state": "to_post"}
        )
        Shop = self.registry["ec.shop"]
        with (
            mock.patch.object(
                Shop, "_connector_try_lock", lambda _self, stream: stream != "posting"
            ),
            self.assertRaises(RetryableJobError),
        ):
            self.shop_eu._connector_after_pull_job()
        self.assertEqual(bill.post_state, "to_post")
