# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Builders shared by the add-on's tests: ``_create_x(**overrides)``."""

from odoo.fields import Command
from odoo.tests import TransactionCase

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
