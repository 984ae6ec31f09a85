# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Builders for the connector's Odoo tests: shops wired to the local fake
servers, a frozen connector clock, and the real cron run."""

import datetime as dt
import os
from unittest import mock

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.ec_reconcile.tests.common import EcAccountingCase, EcReconcileCase

from .fake_servers import fixture_json

UTC = dt.timezone.utc
#: 2024-03-06 12:00 in Beijing: the finished days end on 2024-03-05.
NOW = dt.datetime(2024, 3, 6, 4, 0, tzinfo=UTC)


class ConnectorTestMixin:
    """Frozen connector clock, recorded client sleeps, fake servers, cron
    runs. With ec_connectors_queue installed its jobs run at once here, so
    these tests check the same outcome with or without it."""

    #: run queue_job's jobs at once (when ec_connectors_queue is installed)
    run_jobs_at_once = True

    def setUp(self):
        super().setUp()
        self.now = NOW
        self.sleeps = []
        Shop = self.registry["ec.shop"]
        patches = [
            mock.patch.object(Shop, "_connector_now", lambda _self: self.now),
            mock.patch.object(
                Shop,
                "_connector_sleep",
                lambda _self, seconds: self.sleeps.append(seconds),
            ),
        ]
        if self.run_jobs_at_once:
            patches.append(mock.patch.dict(os.environ, {"QUEUE_JOB__NO_DELAY": "1"}))
        for patch in patches:
            patch.start()
            self.addCleanup(patch.stop)
        muted = mute_logger(
            "odoo.addons.queue_job.utils", "odoo.addons.queue_job.delay"
        )
        muted.__enter__()
        self.addCleanup(muted.__exit__, None, None, None)

    # ------------------------------------------------------------ fakes

    def start_fake(self, fake_class, **kwargs):
        fake = fake_class(**kwargs).start()
        self.addCleanup(fake.stop)
        return fake

    def connect(self, shop, credentials):
        """Store ``credentials`` (key -> value) on the shop."""
        shop.sudo().write(
            {
                "credential_ids": [
                    (0, 0, {"key": key, "value": str(value)})
                    for key, value in credentials.items()
                ]
            }
        )
        return shop

    @classmethod
    def _connector_shop(cls, name, platform, currency=None, company=None, **values):
        company = company or cls.env.company
        vals = {
            "name": name,
            "code": "".join(name.split()).upper()[:12],
            "platform": platform,
            "company_id": company.id,
            "currency_id": (currency or company.currency_id).id,
            "tz": "Asia/Shanghai",
            "connector_active": True,
        }
        vals.update(values)
        return cls.env["ec.shop"].create(vals)

    # ------------------------------------------------------------ crons

    def run_cron(self, xmlid):
        """Run a cron as the scheduler does (new cursor, committed steps)."""
        cron = self.env.ref(xmlid).sudo()
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual(cron.failure_count, 0, f"{xmlid} raised (see the log)")
        return cron

    def pull_bills(self):
        return self.run_cron("ec_connectors.ir_cron_connector_pull_bills")

    def sync_orders(self):
        return self.run_cron("ec_connectors.ir_cron_connector_sync_orders")

    def logs(self, shop, stream=None):
        domain = [("shop_id", "=", shop.id)]
        if stream:
            domain.append(("stream", "=", stream))
        return self.env["ec.sync.log"].sudo().search(domain, order="id")


@tagged("post_install", "-at_install")
class ConnectorCase(ConnectorTestMixin, EcAccountingCase):
    """With a company that has a chart of accounts, a platform partner,
    journals and products (orders, deliveries, matching). The test user is
    also a system administrator (the Connector page's buttons)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.sudo().group_ids = [(4, cls.env.ref("base.group_system").id)]

    @classmethod
    def _connector_shop(cls, name, platform, currency=None, company=None, **values):
        vals = {
            "partner_id": cls.platform_partner.id,
            "wallet_journal_id": cls.wallet_journal.id,
            "bank_journal_id": cls.bank_journal.id,
        }
        vals.update(values)
        return super()._connector_shop(
            name, platform, currency=currency, company=company, **vals
        )


@tagged("post_install", "-at_install")
class ConnectorLightCase(ConnectorTestMixin, EcReconcileCase):
    """Without accounting setup (credentials, connection tests)."""


def stripe_items_for_days(days):
    """The Stripe fixture's five transactions once per day, with ids of
    their own and ``created`` moved into that (UTC) day."""
    base = fixture_json("stripe_balance_transactions.json")["data"]
    items = []
    for day in days:
        start = int(dt.datetime.combine(day, dt.time(), UTC).timestamp())
        for index, item in enumerate(base):
            clone = dict(
                item, id=f"{item['id']}_{day:%m%d}", created=start + 600 * index
            )
            if isinstance(clone.get("source"), str):
                clone["source"] = f"{clone['source']}_{day:%m%d}"
            items.append(clone)
    return items
