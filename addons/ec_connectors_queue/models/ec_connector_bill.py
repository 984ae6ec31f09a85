# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from odoo.addons.queue_job.job import identity_exact


class EcConnectorBill(models.Model):
    _inherit = "ec.connector.bill"

    def _connector_dispatch_pull(self):
        """Enqueue the pull (one pending job per bill) instead of pulling."""
        self.ensure_one()
        self.next_try_at = self.shop_id._connector_lease_until()
        self.with_delay(
            identity_key=identity_exact,
            description=self.env._("Pull bill %s", self.name),
        )._connector_pull_job()
        return False

    def _connector_pull_job(self):
        """Job: pull this bill, then have the shop matched."""
        self.ensure_one()
        bill = self.with_context(ec_connector_trigger="queue")
        if bill._connector_pull():
            bill.shop_id._connector_dispatch_after_pull()
            return "imported"
        return bill.state
