# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import EcReconcileCase

USER = "ec_reconcile.ec_reconcile_group_user"
MANAGER = "ec_reconcile.ec_reconcile_group_manager"


@tagged("post_install", "-at_install")
class TestEcShop(EcReconcileCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls._create_company("EC Company B")
        cls.shop_a = cls._create_shop("Tmall A", code="TA")
        cls.shop_b = cls._create_shop(
            "JD B", code="JB", platform="jd", company=cls.company_b
        )
        cls.user_a = cls._create_user("ec_user_a", [USER])
        cls.manager_a = cls._create_user("ec_manager_a", [MANAGER])
        cls.user_ab = cls._create_user(
            "ec_user_ab", [USER], companies=cls.company | cls.company_b
        )

    def test_user_of_company_a_sees_no_shop_of_company_b(self):
        shops = self.env["ec.shop"].with_user(self.user_a).search([])
        self.assertIn(self.shop_a, shops)
        self.assertNotIn(self.shop_b, shops)
        with self.assertRaises(AccessError):
            self.shop_b.with_user(self.user_a).read(["name"])

    def test_multi_company_user_sees_only_active_companies(self):
        shops = self.env["ec.shop"].with_user(self.user_ab)
        self.assertNotIn(
            self.shop_b,
            shops.with_context(allowed_company_ids=self.company.ids).search([]),
        )
        both = shops.with_context(
            allowed_company_ids=(self.company | self.company_b).ids
        ).search([])
        self.assertIn(self.shop_a, both)
        self.assertIn(self.shop_b, both)

    def test_user_cannot_create_or_edit_shops_manager_can(self):
        with self.assertRaises(AccessError):
            self.env["ec.shop"].with_user(self.user_a).create(
                {"name": "Nope", "platform": "jd"}
            )
        with self.assertRaises(AccessError):
            self.shop_a.with_user(self.user_a).write({"name": "Renamed"})
        shop = (
            self.env["ec.shop"]
            .with_user(self.manager_a)
            .create({"name": "Douyin A", "platform": "douyin"})
        )
        self.assertEqual(shop.company_id, self.company)
        self.assertEqual(shop.currency_id, self.company.currency_id)

    def test_journal_of_another_company_is_refused(self):
        journal_b = self._create_journal("Wallet B", "WLB", company=self.company_b)
        with self.assertRaises(UserError):
            self.shop_a.wallet_journal_id = journal_b

    def test_code_unique_per_company(self):
        # Same code in another company is fine.
        self._create_shop("Other B", code="TA", company=self.company_b)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self._create_shop("Duplicate", code="TA")

    def test_negative_tolerance_refused(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.shop_a.write({"tolerance_amount": -1})
                self.shop_a.flush_recordset()
