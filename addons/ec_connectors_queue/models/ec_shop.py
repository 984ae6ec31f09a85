# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The connector's units of work as queue jobs.

The crons of ``ec_connectors`` stay the scheduler: instead of running a
unit, they enqueue it and lease it (the shop's next pull time, the bill's
next attempt) so the next cron run does not enqueue it again while it
waits. ``identity_exact`` keeps one pending job per shop and stream and per
bill; the unit itself takes a lock (advisory per shop and stream, row lock
per bill), so two workers never pull the same bill or page at once.
"""

import datetime as dt

from odoo import models

from odoo.addons.ec_connectors.tools import naive_utc
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact

#: how long an enqueued unit is not enqueued again (the job normally runs
#: in seconds; if it was cancelled or lost, the cron enqueues it again).
LEASE = dt.timedelta(hours=1)


class EcShop(models.Model):
    _inherit = "ec.shop"

    def _connector_lease_until(self):
        return naive_utc(self._connector_now() + LEASE)

    # ------------------------------------------------------------ bills

    def _connector_dispatch_list_bills(self):
        self.ensure_one()
        self.connector_next_bills_at = self._connector_lease_until()
        self.with_delay(
            identity_key=identity_exact,
            description=self.env._("List the bills of shop %s", self.display_name),
        )._connector_list_bills_job()
        return {
            "caught_up": True,
            "queued": True,
            "bills": self.connector_bill_ids.browse(),
        }

    def _connector_list_bills_job(self):
        """Job: list one window of bills, enqueue their pulls."""
        self.ensure_one()
        shop = self.with_context(ec_connector_trigger="queue")
        result = shop._connector_list_bills()
        if result.get("busy"):
            raise RetryableJobError(
                f"bills of shop {self.id} are being listed by another job", seconds=30
            )
        Bill = shop.env["ec.connector.bill"]
        bills = Bill.search(
            [("shop_id", "=", self.id)]
            + Bill._connector_ready_domain(self._connector_now()),
            order="period, id",
        )
        for bill in bills:
            bill._connector_dispatch_pull()
        if not result["caught_up"]:
            shop._connector_dispatch_list_bills()
        return f"{len(result['bills'])} new bills, {len(bills)} pulls enqueued"

    # ------------------------------------------------------------ orders

    def _connector_dispatch_sync_orders(self, commit=None):
        self.ensure_one()
        self.connector_next_orders_at = self._connector_lease_until()
        self.with_delay(
            identity_key=identity_exact,
            description=self.env._("Sync the orders of shop %s", self.display_name),
        )._connector_sync_orders_job()
        return "queued"

    def _connector_sync_orders_job(self):
        """Job: sync a budget of order pages; enqueue the rest."""
        self.ensure_one()
        shop = self.with_context(ec_connector_trigger="queue")
        status = shop._connector_sync_orders(max_pages=self._connector_order_pages())
        if status == "busy":
            raise RetryableJobError(
                f"orders of shop {self.id} are being synced by another job", seconds=60
            )
        if status == "more":
            shop._connector_dispatch_sync_orders()
        return status

    # ------------------------------------------------------------ matching

    def _connector_dispatch_after_pull(self):
        for shop in self:
            shop.with_delay(
                identity_key=identity_exact,
                description=self.env._("Match the bills of shop %s", shop.display_name),
            )._connector_after_pull_job()

    def _connector_after_pull_job(self):
        """Job: match the shop, then post its pulled bills if it says so."""
        busy = self.with_context(ec_connector_trigger="queue")._connector_after_pull()
        if busy:
            raise RetryableJobError(
                f"bills of shops {busy.ids} are being posted by another job",
                seconds=60,
            )
