# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Scheduled bill pulls against the Stripe fake (real signing checks, real
cron runs with committed steps)."""

import datetime as dt
from unittest import mock

from odoo.tests import tagged

from .common import ConnectorCase, stripe_items_for_days
from .fake_servers import StripeFake

DAYS = [dt.date(2024, 3, 3), dt.date(2024, 3, 4), dt.date(2024, 3, 5)]
PATH = "/v1/balance_transactions"
#: rows of one day's bill: 2 charges with a fee line each, refund, fee, payout.
ROWS_PER_BILL = 7


@tagged("post_install", "-at_install")
class TestBillPull(ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        usd = cls.env.ref("base.USD")
        usd.active = True
        cls.shop = cls._connector_shop(
            "Stripe EU", "stripe", currency=usd, connector_bills_from=DAYS[0]
        )

    def setUp(self):
        super().setUp()
        self.fake = self.start_fake(StripeFake)
        self.fake.by_created = True
        self.fake.items = stripe_items_for_days(DAYS)
        self.connect(
            self.shop,
            {
                "secret_key": self.fake.key,
                "base_url": self.fake.url,
                "timeout": 2,
                "max_retries": 0,
            },
        )

    def set_credential(self, key, value):
        credential = self.shop.sudo().credential_ids.filtered(lambda c: c.key == key)
        credential.value = str(value)

    def bills(self):
        return self.env["ec.connector.bill"].search(
            [("shop_id", "=", self.shop.id)], order="period"
        )

    def settlements(self):
        return self.env["ec.settlement"].search([("shop_id", "=", self.shop.id)])

    def rows(self):
        return self.env["ec.settlement.line"].search([("shop_id", "=", self.shop.id)])

    def assert_no_duplicate_row(self):
        rows = self.rows()
        self.assertEqual(len(set(rows.mapped("transaction_id"))), len(rows))

    def test_cron_pulls_imports_and_matches(self):
        self.pull_bills()
        bills = self.bills()
        self.assertEqual(
            bills.mapped("period"), ["2024-03-03", "2024-03-04", "2024-03-05"]
        )
        self.assertEqual(set(bills.mapped("state")), {"done"})
        settlements = self.settlements()
        self.assertEqual(len(settlements), 3)
        self.assertEqual(set(settlements.mapped("source")), {"api"})
        self.assertEqual(set(settlements.mapped("state")), {"matched"})
        self.assertEqual(bills.settlement_ids, settlements)
        self.assertEqual(len(self.rows()), 3 * ROWS_PER_BILL)
        self.assert_no_duplicate_row()
        # paging: 5 transactions a day in pages of 3
        self.assertEqual(self.fake.hits(PATH), 6)
        # the cursor: days up to today (03-06 in Beijing) - 2 are final
        self.assertEqual(self.shop.connector_bill_cursor, dt.date(2024, 3, 4))
        self.assertEqual(
            self.shop.connector_next_bills_at,
            (self.now + dt.timedelta(minutes=60)).replace(tzinfo=None),
        )
        logs = self.logs(self.shop, "bills")
        self.assertEqual(len(logs), 4, "one listing, three pulls")
        self.assertEqual(logs[0].bills_listed, 3)
        self.assertEqual(logs[0].bills_new, 3)
        self.assertEqual(set(logs[1:4].mapped("rows_imported")), {ROWS_PER_BILL})
        self.assertEqual(set(logs.mapped("state")), {"done"})
        matching = self.logs(self.shop, "matching")
        self.assertTrue(matching)
        self.assertEqual(set(matching.mapped("state")), {"done"})

    def test_rerun_pulls_nothing_twice(self):
        self.pull_bills()
        hits = self.fake.hits(PATH)
        self.pull_bills()  # not due yet: nothing at all
        self.assertEqual(len(self.logs(self.shop, "bills")), 4)
        self.now += dt.timedelta(hours=2)
        self.pull_bills()  # due: re-lists 03-05 and 03-06, nothing new
        self.assertEqual(self.fake.hits(PATH), hits)
        self.assertEqual(len(self.bills()), 3)
        self.assertEqual(len(self.settlements()), 3)
        self.assertEqual(len(self.rows()), 3 * ROWS_PER_BILL)
        listing = self.logs(self.shop, "bills")[-1]
        self.assertEqual((listing.bills_listed, listing.bills_new), (1, 0))
        self.assertEqual(self.shop.connector_bill_cursor, dt.date(2024, 3, 4))

    def test_interrupted_run_resumes_without_gap_or_duplicate(self):
        # the first page of the second bill fails (after the 2 pages of the first)
        self.fake.fail("500", path=PATH, after=2)
        self.pull_bills()
        bills = self.bills()
        self.assertEqual(bills.mapped("state"), ["done", "error", "done"])
        failed = bills[1]
        self.assertIn(
            f"stripe [{self.shop.display_name}] GET /v1/balance_transactions: HTTP 500",
            failed.error_message,
        )
        self.assertEqual(failed.attempts, 1)
        self.assertEqual(len(self.settlements()), 2)
        self.assertEqual(len(self.rows()), 2 * ROWS_PER_BILL)
        error_log = self.logs(self.shop, "bills").filtered(
            lambda log: log.state == "error"
        )
        self.assertEqual(error_log.connector_bill_id, failed)
        self.assertIn("HTTP 500", error_log.error_message)
        # the cursor covers the listing, committed with the bill records
        self.assertEqual(self.shop.connector_bill_cursor, dt.date(2024, 3, 4))

        self.pull_bills()  # the retry waits (5 minutes)
        self.assertEqual(failed.state, "error")
        self.now += dt.timedelta(minutes=10)
        self.pull_bills()
        self.assertEqual(set(self.bills().mapped("state")), {"done"})
        self.assertEqual(failed.attempts, 2)
        self.assertEqual(len(self.settlements()), 3)
        self.assertEqual(len(self.rows()), 3 * ROWS_PER_BILL)
        self.assert_no_duplicate_row()
        # 2 + 1 failed + 2 + 2: every bill downloaded once after its failure
        self.assertEqual(self.fake.hits(PATH), 7)
        self.assertEqual(self.shop.connector_bill_cursor, dt.date(2024, 3, 4))

    def test_failure_inside_the_import_leaves_nothing_half_done(self):
        Settlement = self.registry["ec.settlement"]
        original = Settlement._import_file
        calls = []

        def import_then_crash(model, filename, data, **kwargs):
            bills = original(model, filename, data, **kwargs)
            calls.append(filename)
            if len(calls) == 2:
                raise RuntimeError("disk full")
            return bills

        with mock.patch.object(Settlement, "_import_file", import_then_crash):
            self.pull_bills()
        bills = self.bills()
        self.assertEqual(bills.mapped("state"), ["done", "error", "done"])
        self.assertIn("disk full", bills[1].error_message)
        # the second bill's settlement and rows were rolled back with it
        self.assertEqual(len(self.settlements()), 2)
        self.assertEqual(len(self.rows()), 2 * ROWS_PER_BILL)
        self.now += dt.timedelta(minutes=10)
        self.pull_bills()
        self.assertEqual(len(self.settlements()), 3)
        self.assertEqual(len(self.rows()), 3 * ROWS_PER_BILL)
        self.assert_no_duplicate_row()

    def test_rate_limit_then_success(self):
        self.set_credential("max_retries", 2)
        self.fake.fail("429", path=PATH)
        self.pull_bills()
        self.assertEqual(self.sleeps, [7.0], "Retry-After honoured once")
        self.assertEqual(set(self.bills().mapped("state")), {"done"})
        self.assertEqual(len(self.rows()), 3 * ROWS_PER_BILL)

    def test_rate_limited_until_the_last_attempt_is_retried_later(self):
        self.set_credential("max_retries", 1)
        self.fake.fail("429", path=PATH, times=2)
        self.pull_bills()
        first = self.bills()[0]
        self.assertEqual(first.state, "error")
        self.assertIn("rate limited", first.error_message)
        # Retry-After (7 s) is shorter than the first backoff: 5 minutes
        self.assertEqual(
            first.next_try_at, (self.now + dt.timedelta(minutes=5)).replace(tzinfo=None)
        )
        self.now += dt.timedelta(minutes=6)
        self.pull_bills()
        self.assertEqual(set(self.bills().mapped("state")), {"done"})

    def test_listing_goes_by_windows_and_the_cron_comes_back_for_the_rest(self):
        Shop = self.registry["ec.shop"]
        with mock.patch.object(Shop, "_connector_bill_window_days", lambda _self: 2):
            self.pull_bills()
        listings = self.logs(self.shop, "bills").filtered("bills_listed")
        self.assertEqual(len(listings), 2, "03-03..03-04, then 03-05..03-06")
        self.assertEqual(listings.mapped("bills_new"), [2, 1])
        self.assertEqual(set(self.bills().mapped("state")), {"done"})
        self.assertEqual(self.shop.connector_bill_cursor, dt.date(2024, 3, 4))

    def test_wrong_key_is_an_error_of_each_bill_never_a_gap(self):
        self.set_credential("secret_key", "sk_test_wrong_0000000000")
        self.pull_bills()
        bills = self.bills()
        self.assertEqual(set(bills.mapped("state")), {"error"})
        self.assertFalse(self.settlements())
        for bill in bills:
            self.assertIn("HTTP 401", bill.error_message)
            self.assertNotIn("sk_test_wrong_0000000000", bill.error_message)
        # fixed key: the next run after the retry delay imports everything
        self.set_credential("secret_key", self.fake.key)
        self.now += dt.timedelta(minutes=10)
        self.pull_bills()
        self.assertEqual(set(self.bills().mapped("state")), {"done"})
        self.assertEqual(len(self.rows()), 3 * ROWS_PER_BILL)

    def test_inactive_shop_is_not_pulled(self):
        self.shop.connector_active = False
        self.pull_bills()
        self.assertFalse(self.bills())
        self.assertEqual(self.fake.hits(PATH), 0)

    def test_pull_now_button(self):
        action = self.shop.action_connector_pull_now()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("List bills", action["params"]["message"])
        self.assertEqual(len(self.settlements()), 3)
        self.assertEqual(set(self.logs(self.shop).mapped("trigger")), {"manual"})

    def test_moving_bills_from_back_pulls_the_earlier_days_only(self):
        self.fake.items = stripe_items_for_days(
            [dt.date(2024, 3, 1), dt.date(2024, 3, 2)] + DAYS
        )
        self.pull_bills()
        self.assertEqual(len(self.bills()), 3)
        self.shop.connector_bills_from = dt.date(2024, 3, 1)
        self.assertEqual(self.shop.connector_bill_cursor, dt.date(2024, 2, 29))
        self.assertFalse(self.shop.connector_next_bills_at)
        self.pull_bills()
        bills = self.bills()
        self.assertEqual(
            bills.mapped("period"),
            ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"],
        )
        self.assertEqual(set(bills.mapped("state")), {"done"})
        self.assertEqual(len(self.settlements()), 5)
        self.assertEqual(len(self.rows()), 5 * ROWS_PER_BILL)
        self.assertEqual(self.fake.hits(PATH), 10, "each day downloaded once")
        self.assertEqual(self.shop.connector_bill_cursor, dt.date(2024, 3, 4))
