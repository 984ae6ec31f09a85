# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Credentials: system administrators only, never exported or logged;
the test connection button; tokens stored back."""

import logging

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import ConnectorLightCase
from .fake_servers import DouyinFake, StripeFake

WRONG_KEY = "sk_test_wrong_key_0000009999"


@tagged("post_install", "-at_install")
class TestCredentials(ConnectorLightCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.env.ref("base.USD")
        cls.usd.active = True
        cls.shop = cls._connector_shop("Stripe EU", "stripe", currency=cls.usd)
        cls.manager = cls._create_user(
            "ec_conn_manager",
            [
                "ec_reconcile.ec_reconcile_group_manager",
                "base.group_allow_export",
            ],
        )
        cls.admin = cls._create_user(
            "ec_conn_admin",
            ["ec_reconcile.ec_reconcile_group_manager", "base.group_system"],
        )

    def setUp(self):
        super().setUp()
        self.fake = self.start_fake(StripeFake)
        self.connect(
            self.shop,
            {"secret_key": self.fake.key, "base_url": self.fake.url, "timeout": 2},
        )

    def secret(self):
        return self.shop.sudo().credential_ids.filtered(lambda c: c.key == "secret_key")

    # ---------------------------------------------------------------- access

    def test_non_admin_cannot_read_search_or_export_credentials(self):
        Credential = self.env["ec.connector.credential"].with_user(self.manager)
        with self.assertRaises(AccessError):
            Credential.search_read([], ["key", "value"])
        with self.assertRaises(AccessError):
            Credential.search([])
        with self.assertRaises(AccessError):
            self.secret().with_user(self.manager).read(["value"])
        with self.assertRaises(AccessError):
            self.secret().with_user(self.manager).export_data(["key", "value"])
        shop = self.shop.with_user(self.manager)
        with self.assertRaises(AccessError):
            shop.read(["credential_ids"])
        with self.assertRaises(AccessError):
            shop.export_data(["name", "credential_ids/value"])
        self.assertNotIn("credential_ids", shop.fields_get())
        # the rest of the shop stays readable and exportable
        self.assertEqual(shop.read(["name"])[0]["name"], "Stripe EU")
        self.assertEqual(shop.export_data(["name"])["datas"], [["Stripe EU"]])

    def test_connector_page_is_for_system_administrators_only(self):
        def form_arch(user):
            views = self.env["ec.shop"].with_user(user).get_views([(False, "form")])
            return views["views"]["form"]["arch"]

        manager_arch = form_arch(self.manager)
        self.assertNotIn('name="connector"', manager_arch)
        self.assertNotIn("credential_ids", manager_arch)
        self.assertIn("action_view_sync_logs", manager_arch, "managers see the log")
        admin_arch = form_arch(self.admin)
        self.assertIn('name="connector"', admin_arch)
        self.assertIn("credential_ids", admin_arch)
        self.assertIn('password="True"', admin_arch)

    def test_admin_reads_but_never_exports_values(self):
        secret = self.secret().with_user(self.admin)
        self.assertEqual(secret.read(["value"])[0]["value"], self.fake.key)
        with self.assertRaisesRegex(UserError, "cannot be exported"):
            secret.export_data(["key", "value"])
        with self.assertRaisesRegex(UserError, "cannot be exported"):
            self.shop.with_user(self.admin).export_data(["credential_ids/value"])
        keys = self.shop.with_user(self.admin).export_data(["credential_ids/key"])
        self.assertIn(["secret_key"], keys["datas"])
        self.assertFalse(
            self.env["ec.connector.credential"]._fields["value"].exportable
        )

    def test_other_company_credentials_are_invisible(self):
        other = self._create_company("Other Co")
        other_shop = self._connector_shop("Other shop", "stripe", company=other)
        self.connect(other_shop, {"secret_key": "sk_other_company_key"})
        found = (
            self.env["ec.connector.credential"]
            .with_user(self.admin)
            .search([("key", "=", "secret_key")])
        )
        self.assertEqual(found.shop_id, self.shop)

    def test_keys_are_checked_against_the_platform_client(self):
        with self.assertRaisesRegex(ValidationError, "not a credential or setting"):
            self.connect(self.shop, {"app_secret": "x"})
        secret = self.secret()
        self.assertEqual(secret.label, "Secret or restricted key (sk_/rk_…)")
        self.assertTrue(secret.is_secret)
        self.assertTrue(secret.is_required)
        self.assertEqual(secret.kind, "credential")

    def test_choosing_a_platform_offers_its_credential_rows(self):
        with Form(self.env["ec.shop"].with_user(self.admin)) as form:
            form.name = "New Douyin shop"
            form.platform = "douyin"
            self.assertEqual(len(form.credential_ids), 6)
            form.platform = "stripe"
            self.assertEqual(len(form.credential_ids), 2)
            with form.credential_ids.edit(0) as row:
                row.value = "sk_test_new"
        shop = form.record
        self.assertEqual(
            shop.sudo().credential_ids.mapped("key"), ["secret_key", "stripe_version"]
        )
        shop.sudo().credential_ids[1].unlink()
        shop.with_user(self.admin).action_connector_prefill_credentials()
        self.assertEqual(len(shop.sudo().credential_ids), 2)

    # ---------------------------------------------------------- connection

    def test_test_connection_succeeds(self):
        action = self.shop.with_user(self.admin).action_connector_test()
        params = action["params"]
        self.assertEqual(params["type"], "success")
        self.assertIn("Stripe", params["message"])
        self.assertIn("Stripe EU", params["message"])
        self.assertEqual(self.fake.hits("/v1/balance"), 1)
        log = self.logs(self.shop, "connection")
        self.assertEqual((log.state, log.user_id), ("done", self.admin))

    def test_test_connection_with_a_wrong_key(self):
        self.secret().value = WRONG_KEY
        with self.assertLogs("odoo.addons.ec_connectors", logging.DEBUG) as logs:
            action = self.shop.with_user(self.admin).action_connector_test()
        params = action["params"]
        self.assertEqual(params["type"], "danger")
        self.assertIn("Stripe", params["title"])
        self.assertIn("Stripe EU", params["title"])
        self.assertIn("stripe [Stripe EU] GET /v1/balance: HTTP 401", params["message"])
        log = self.logs(self.shop, "connection")
        self.assertEqual(log.state, "error")
        self.assertIn("HTTP 401", log.error_message)
        for text in [params["message"], params["title"], log.error_message] + [
            record.getMessage() for record in logs.records
        ]:
            self.assertNotIn(WRONG_KEY, text)
            self.assertNotIn(self.fake.key, text)

    def test_missing_credentials_are_named(self):
        self.secret().unlink()
        action = self.shop.with_user(self.admin).action_connector_test()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn(
            "missing credentials: Secret or restricted key", action["params"]["message"]
        )

    def test_odoo_side_errors_are_redacted(self):
        error = UserError(f"cannot use {self.fake.key} here")
        self.assertEqual(
            self.shop._connector_error_text(error),
            "Stripe [Stripe EU]: cannot use *** here",
        )


@tagged("post_install", "-at_install")
class TestTokens(ConnectorLightCase):
    """Douyin rotates its refresh token at every refresh: the connector must
    store each new token, else the next run is locked out."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls._connector_shop("Douyin shop", "douyin")

    def setUp(self):
        super().setUp()
        self.fake = self.start_fake(DouyinFake)
        self.connect(
            self.shop,
            {
                "app_key": self.fake.app_key,
                "app_secret": self.fake.secret,
                "shop_id": self.fake.shop_id,
                "base_url": self.fake.url,
                "timeout": 2,
                "max_retries": 0,
            },
        )

    def tokens(self):
        return {
            c.key: c.value
            for c in self.shop.sudo().credential_ids
            if c.key in ("access_token", "refresh_token", "expires_at")
        }

    def test_tokens_are_stored_and_rotated(self):
        self.assertEqual(self.shop.action_connector_test()["params"]["type"], "success")
        tokens = self.tokens()
        self.assertEqual(tokens["access_token"], "dy-access-1")
        self.assertEqual(tokens["refresh_token"], "dy-refresh-1")
        self.assertTrue(tokens["expires_at"])
        # the next connection refreshes with the stored (rotated) token
        self.assertEqual(self.shop.action_connector_test()["params"]["type"], "success")
        self.assertEqual(self.tokens()["refresh_token"], "dy-refresh-2")
        self.assertEqual(self.fake.hits("/token/refresh"), 1)
        self.assertEqual(self.shop.action_connector_test()["params"]["type"], "success")
        self.assertEqual(self.tokens()["refresh_token"], "dy-refresh-3")
        access = self.shop.sudo().credential_ids.filtered(
            lambda c: c.key == "access_token"
        )
        self.assertTrue(access.is_secret)
        self.assertEqual(access.kind, "credential")

    def test_a_refreshed_token_survives_a_failed_call(self):
        self.shop.action_connector_test()
        self.fake.expire_tokens()
        # the first call finds the token expired, the second (after the
        # refresh) fails
        self.fake.fail("500", path="/order/searchList", after=1)
        self.shop.connector_sync_orders = True
        status = self.shop.with_context(
            ec_connector_trigger="manual"
        )._connector_sync_orders(max_pages=1)
        self.assertEqual(status, "error")
        # refreshed before the failing call: kept although the page failed
        self.assertEqual(self.tokens()["refresh_token"], "dy-refresh-2")
        self.assertEqual(self.tokens()["access_token"], "dy-access-2")
