# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Access: nobody where they do not belong.

- Multi-company: a user of company A sees nothing of company B (shops, bills,
  rows, raw files, exceptions, templates, row-kind accounts, allocations)
  through every read path a client has: search, read, search_read,
  name_search, _read_group / read_group / formatted_read_group,
  web_search_read, export_data, and RPC-style ``call_kw`` of actions.
- Roles: reconciliation users cannot change voucher templates, row-kind
  accounts or the shop's limits and accounts; a write-off above the shop's
  limit needs a manager, and the limit cannot be side-stepped by editing or
  forging exceptions.
"""

import base64
import pathlib
import warnings
from datetime import datetime
from decimal import Decimal

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.service.model import call_kw
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..parsers import BillLine, ParsedBill
from .common import EcAccountingCase, EcReconcileCase

STRIPE_BILL = (
    pathlib.Path(__file__).resolve().parent
    / "data"
    / "bills"
    / "stripe_balance_transactions.json"
).read_bytes()
USER = "ec_reconcile.ec_reconcile_group_user"
MANAGER = "ec_reconcile.ec_reconcile_group_manager"

# Models that carry a company and hold reconciliation data.
COMPANY_MODELS = (
    "ec.shop",
    "ec.settlement",
    "ec.settlement.line",
    "ec.exception",
    "ec.voucher.template",
    "ec.fee.kind.mapping",
    "ec.fee.allocation",
)


def parsed_bill(shop, name, rows):
    lines = [
        BillLine(
            transaction_id=f"{name}-{index}",
            kind=kind,
            amount=Decimal(amount),
            date=datetime(2024, 3, 1, 10, 0),
            order_ref=order_ref,
            row_number=index,
        )
        for index, (kind, amount, order_ref) in enumerate(rows, start=1)
    ]
    return ParsedBill(
        bill_type="test_bill",
        platform=shop.platform,
        channel="test",
        parser_version="1",
        filename=name,
        lines=lines,
    )


@tagged("post_install", "-at_install")
class TestMultiCompanyAccess(EcReconcileCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.USD").active = True
        cls.company_b = cls._create_company("EC Security B")
        cls.data = {cls.company: {}, cls.company_b: {}}
        for company, code in ((cls.company, "SA"), (cls.company_b, "SB")):
            cls.data[company] = cls._company_data(company, code)
        # Export rights too: the export must still hold company A only.
        cls.user_a = cls._create_user(
            "ec_sec_user_a", [USER, "base.group_allow_export"]
        )
        cls.manager_a = cls._create_user("ec_sec_manager_a", [MANAGER])
        cls.user_ab = cls._create_user(
            "ec_sec_user_ab", [USER], companies=cls.company | cls.company_b
        )

    @classmethod
    def _company_data(cls, company, code):
        env = cls.env
        partner = cls._create_partner(f"Platform {code}", company=company)
        shop = cls._create_shop(
            f"Shop {code}",
            code=code,
            platform="stripe",
            company=company,
            partner_id=partner.id,
        )
        Bill = env["ec.settlement"]
        bill = Bill._import_file(f"stripe-{code}.json", STRIPE_BILL, shop=shop)
        assert bill.state == "parsed", bill.error_message
        error_bill = Bill._import_file(f"broken-{code}.csv", b"\x00\x01", shop=shop)
        account = env["account.account"].create(
            {
                "name": f"Fees {code}",
                "code": f"EC{code}61",
                "account_type": "expense",
                "company_ids": [Command.set(company.ids)],
            }
        )
        mapping = env["ec.fee.kind.mapping"].create(
            {
                "kind": "commission",
                "account_id": account.id,
                "company_id": company.id,
                "shop_id": shop.id,
            }
        )
        template = env["ec.voucher.template"].create(
            {"name": f"Template {code}", "company_id": company.id}
        )
        order = env["sale.order"].create(
            {"partner_id": partner.id, "company_id": company.id}
        )
        exception = env["ec.exception"].create(
            {
                "exception_type": "unknown_order",
                "key": f"sec:{code}",
                "shop_id": shop.id,
                "company_id": company.id,
                "settlement_id": bill.id,
                "line_ids": [Command.set(bill.line_ids.ids)],
                "difference": -5,
            }
        )
        allocation = env["ec.fee.allocation"].create(
            {
                "line_id": bill.line_ids[:1].id,
                "shop_id": shop.id,
                "company_id": company.id,
                "sale_order_id": order.id,
                "kind": "commission",
                "amount": -5,
            }
        )
        return {
            "ec.shop": shop,
            "ec.settlement": bill | error_bill,
            "ec.settlement.line": bill.line_ids,
            "ec.exception": exception,
            "ec.voucher.template": template,
            "ec.fee.kind.mapping": mapping,
            "ec.fee.allocation": allocation,
            "attachments": (bill | error_bill).attachment_id,
        }

    def records(self, company, model):
        return self.data[company][model]

    def as_user(self, model, user=None):
        return self.env[model].with_user(user or self.user_a)

    # ------------------------------------------------------------------

    def test_fixture_has_data_in_both_companies(self):
        for company in (self.company, self.company_b):
            for model in COMPANY_MODELS:
                records = self.records(company, model)
                self.assertTrue(records, model)
                self.assertEqual(set(records.mapped("company_id")), {company}, model)
            self.assertEqual(len(self.records(company, "attachments")), 2)

    def test_search_read_count_and_name_search(self):
        for model in COMPANY_MODELS:
            mine, theirs = (
                self.records(c, model) for c in (self.company, self.company_b)
            )
            Model = self.as_user(model)
            found = Model.search([])
            self.assertEqual(found & mine, mine, model)
            self.assertFalse(found & theirs, model)
            self.assertFalse(Model.search([("id", "in", theirs.ids)]), model)
            self.assertEqual(Model.search_count([("id", "in", theirs.ids)]), 0)
            rows = Model.search_read([("id", "in", (mine | theirs).ids)], ["id"])
            self.assertEqual({r["id"] for r in rows}, set(mine.ids), model)
            with self.assertRaises(AccessError, msg=model):
                theirs.with_user(self.user_a).read(["company_id"])
            with self.assertRaises(AccessError, msg=model):
                call_kw(Model, "read", [theirs.ids], {"fields": ["display_name"]})
            names = {i for i, _n in Model.name_search("", limit=1000)}
            self.assertFalse(names & set(theirs.ids), model)
            result = call_kw(
                Model,
                "web_search_read",
                [],
                {"domain": [], "specification": {"company_id": {}}},
            )
            ids = {r["id"] for r in result["records"]}
            self.assertFalse(ids & set(theirs.ids), model)

    def test_grouped_reads_count_only_own_company(self):
        for model in COMPANY_MODELS:
            Model = self.as_user(model)
            groups = Model._read_group([], ["company_id"], ["__count"])
            self.assertEqual(
                {company for company, _count in groups}, {self.company}, model
            )
            formatted = call_kw(
                Model,
                "formatted_read_group",
                [],
                {"domain": [], "groupby": ["company_id"], "aggregates": ["__count"]},
            )
            self.assertEqual(
                [g["company_id"][0] for g in formatted], [self.company.id], model
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                legacy = Model.read_group([], ["company_id"], ["company_id"])
            self.assertEqual(
                [g["company_id"][0] for g in legacy], [self.company.id], model
            )
        # Sums too: the rows' total is company A's only.
        Line = self.as_user("ec.settlement.line")
        [(total,)] = Line._read_group([], [], ["amount:sum"])
        mine = self.records(self.company, "ec.settlement.line")
        self.assertEqual(total, sum(mine.mapped("amount")))
        groups = call_kw(
            Line,
            "web_read_group",
            [],
            {"domain": [], "groupby": ["shop_id"], "aggregates": ["amount:sum"]},
        )
        self.assertEqual(
            [g["shop_id"][0] for g in groups["groups"]],
            [self.records(self.company, "ec.shop").id],
        )

    def test_export_data_only_own_company(self):
        for model in COMPANY_MODELS:
            mine, theirs = (
                self.records(c, model) for c in (self.company, self.company_b)
            )
            Model = self.as_user(model)
            visible = Model.search([])
            exported = call_kw(
                Model, "export_data", [visible.ids, ["company_id/.id"]], {}
            )
            self.assertEqual(len(exported["datas"]), len(visible), model)
            companies = {int(row[0]) for row in exported["datas"]}
            self.assertEqual(companies, {self.company.id}, model)
            self.assertTrue(mine & visible, model)
            with self.assertRaises(AccessError, msg=model):
                call_kw(Model, "export_data", [theirs.ids, ["display_name"]], {})

    def test_actions_on_other_company_bill_refused(self):
        bill_b = self.records(self.company_b, "ec.settlement")[:1]
        error_b = self.records(self.company_b, "ec.settlement")[1:]
        Bill = self.as_user("ec.settlement")
        for method, records in (
            ("action_post", bill_b),
            ("action_match", bill_b),
            ("action_reverse", bill_b),
            ("action_download_raw", bill_b),
            ("action_retry", error_b),
            ("unlink", bill_b),
            ("write", bill_b),
        ):
            args = [records.ids] + ([{"shop_id": False}] if method == "write" else [])
            with self.subTest(method=method), self.assertRaises(AccessError):
                call_kw(Bill, method, args, {})
        self.assertEqual(bill_b.state, "parsed")
        self.assertFalse(bill_b.line_ids.move_id)
        # An action only names the records; opening it shows nothing of B.
        action = call_kw(Bill, "action_view_lines", [bill_b.ids], {})
        self.assertFalse(self.as_user("ec.settlement.line").search(action["domain"]))
        exc_b = self.records(self.company_b, "ec.exception")
        for method in ("action_ignore", "action_reopen", "action_open_lines"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                call_kw(self.as_user("ec.exception"), method, [exc_b.ids], {})
        self.assertEqual(exc_b.state, "open")

    def test_raw_files_of_other_company_unreadable(self):
        theirs = self.records(self.company_b, "attachments")
        mine = self.records(self.company, "attachments")
        Attachment = self.as_user("ir.attachment")
        found = Attachment.search([("res_model", "=", "ec.settlement")])
        self.assertFalse(found & theirs)
        self.assertEqual(found & mine, mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_a).read(["raw"])
        self.assertTrue(mine.with_user(self.user_a).read(["raw"]))

    def test_import_into_other_company_shop_refused(self):
        shop_b = self.records(self.company_b, "ec.shop")
        bills_before = self.env["ec.settlement"].search_count([])
        with self.assertRaises(AccessError):
            self.as_user("ec.settlement")._import_file(
                "x.csv", b"a,b\n1,2\n", shop=shop_b.with_user(self.user_a)
            )
        upload = self.as_user("ir.attachment").create(
            {
                "name": "x.csv",
                "datas": base64.b64encode(b"a,b\n1,2\n"),
                "res_model": "ec.settlement.import",
            }
        )
        wizard = self.as_user("ec.settlement.import").create(
            {"attachment_ids": [Command.set(upload.ids)], "shop_id": shop_b.id}
        )
        with self.assertRaises(AccessError):
            wizard.action_import()
        self.assertEqual(self.env["ec.settlement"].search_count([]), bills_before)

    def test_detection_never_picks_another_company_shop(self):
        """The only Stripe shop the user sees is A's: a bill goes there."""
        Bill = self.as_user("ec.settlement")
        bill = Bill._import_parsed(
            parsed_bill(
                self.records(self.company, "ec.shop"), "auto", [("sale", "1", None)]
            )
        )
        self.assertEqual(bill.shop_id, self.records(self.company, "ec.shop"))
        self.assertEqual(bill.company_id, self.company)

    def test_multi_company_user_sees_only_active_companies(self):
        for model in COMPANY_MODELS:
            mine, theirs = (
                self.records(c, model) for c in (self.company, self.company_b)
            )
            Model = self.env[model].with_user(self.user_ab)
            only_a = Model.with_context(allowed_company_ids=self.company.ids).search([])
            self.assertFalse(only_a & theirs, model)
            both = Model.with_context(
                allowed_company_ids=(self.company | self.company_b).ids
            ).search([])
            self.assertEqual(both & (mine | theirs), mine | theirs, model)

    def test_every_company_model_has_a_company_rule(self):
        """Any ec.* model storing a company is restricted by a record rule."""
        missing = []
        for name in sorted(self.env.registry):
            model = self.env[name]
            if not name.startswith("ec.") or model._transient or model._abstract:
                continue
            field = self.env[name]._fields.get("company_id")
            if not field or not field.store:
                continue
            rules = self.env["ir.rule"].search(
                [("model_id.model", "=", name), ("active", "=", True)]
            )
            if not any("company_ids" in (r.domain_force or "") for r in rules):
                missing.append(name)
        self.assertFalse(missing, "models without a multi-company record rule")


@tagged("post_install", "-at_install")
class TestRoles(EcAccountingCase):
    """What a reconciliation user may and may not change."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        accounting = "account.group_account_invoice"
        cls.user = cls._ec_user("ec_role_user", [USER, accounting])
        cls.manager = cls._ec_user("ec_role_manager", [MANAGER, accounting])
        cls.writeoff_account = cls.company_data["default_account_expense"]
        cls.env["ec.fee.kind.mapping"].action_create_defaults()
        cls.template = cls.env["ec.voucher.template"].create({"name": "Default"})
        cls.shop.writeoff_limit = 10

    @classmethod
    def _ec_user(cls, login, groups):
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": login,
                    "login": login,
                    "company_id": cls.company.id,
                    "company_ids": [Command.set(cls.company.ids)],
                    "group_ids": [Command.set([cls.env.ref(g).id for g in groups])],
                }
            )
        )

    def _short_exception(self, ref, settled):
        """An order invoiced 100 and settled ``settled``: amount mismatch."""
        order = self._create_order(ref, [(self.product_a, 1, 100)])
        self._deliver(order)
        self._invoice(order)
        self._bill([{"order_ref": ref, "amount": settled}], name=ref)
        self._match()
        return self._exceptions("amount_mismatch").filtered(
            lambda e: e.sale_order_id == order
        )

    def test_user_cannot_change_templates(self):
        Template = self.env["ec.voucher.template"]
        with self.assertRaises(AccessError):
            Template.with_user(self.user).create({"name": "Mine"})
        for vals in (
            {"journal_id": self.company_data["default_journal_misc"].id},
            {"wallet_account_id": self.writeoff_account.id},
            {"receivable_account_id": self.writeoff_account.id},
            {"active": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                call_kw(
                    Template.with_user(self.user),
                    "write",
                    [self.template.ids, vals],
                    {},
                )
        with self.assertRaises(AccessError):
            self.template.with_user(self.user).unlink()
        self.template.with_user(self.manager).write({"grouping": "bill"})
        self.assertEqual(self.template.grouping, "bill")

    def test_user_cannot_change_row_kind_accounts(self):
        Mapping = self.env["ec.fee.kind.mapping"]
        mapping = Mapping.search([("kind", "=", "commission")], limit=1)
        with self.assertRaises(AccessError):
            mapping.with_user(self.user).account_id = self.writeoff_account
        with self.assertRaises(AccessError):
            Mapping.with_user(self.user).create(
                {
                    "kind": "ads",
                    "shop_id": self.shop.id,
                    "account_id": self.writeoff_account.id,
                }
            )
        with self.assertRaises(AccessError):
            mapping.with_user(self.user).unlink()
        mapping.unlink()
        with self.assertRaises(AccessError):
            call_kw(Mapping.with_user(self.user), "action_create_defaults", [[]], {})
        call_kw(Mapping.with_user(self.manager), "action_create_defaults", [[]], {})
        self.assertTrue(Mapping.search([("kind", "=", "commission")]))

    def test_user_cannot_change_shop_limits_or_accounts(self):
        for vals in (
            {"writeoff_limit": 1_000_000},
            {"tolerance_amount": 100},
            {"tolerance_percent": 50},
            {"wallet_journal_id": self.company_data["default_journal_misc"].id},
            {"partner_id": self.partner_a.id},
            {"unsettled_days": 999},
            {"company_id": self.company.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                call_kw(
                    self.env["ec.shop"].with_user(self.user),
                    "write",
                    [self.shop.ids, vals],
                    {},
                )
        self.assertEqual(self.shop.writeoff_limit, 10)
        with self.assertRaises(AccessError):
            self.env["ec.kind"].search([], limit=1).with_user(self.user).write(
                {"name": "Renamed"}
            )
        self.shop.with_user(self.manager).writeoff_limit = 20
        self.assertEqual(self.shop.writeoff_limit, 20)

    def test_writeoff_above_limit_needs_a_manager_also_through_the_wizard(self):
        exc = self._short_exception("R-1", "60")
        self.assertEqual(exc.difference, -40)
        wizard = (
            self.env["ec.exception.resolve"]
            .with_user(self.user)
            .with_context(active_model="ec.exception", active_ids=exc.ids)
            .create({"mode": "writeoff", "account_id": self.writeoff_account.id})
        )
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertEqual(exc.state, "open")
        self.assertFalse(exc.writeoff_move_id)
        exc.with_user(self.manager).action_writeoff(self.writeoff_account, "ok")
        self.assertEqual(exc.state, "written_off")
        self.assertEqual(exc.resolved_by_id, self.manager)

    def test_several_small_exceptions_each_need_their_own_check(self):
        small = self._short_exception("R-2", "95")
        big = self._short_exception("R-3", "50")
        with self.assertRaises(AccessError):
            (small | big).with_user(self.user).action_writeoff(self.writeoff_account)
        self.assertEqual((small | big).mapped("state"), ["open", "open"])
        self.assertFalse((small | big).writeoff_move_id, "nothing half-done")

    @mute_logger("odoo.models")
    def test_user_cannot_sidestep_the_limit_by_editing_an_exception(self):
        exc = self._short_exception("R-4", "50")
        other_shop = self._create_shop_like(writeoff_limit=1_000_000)
        for vals in (
            {"difference": -1},
            {"shop_id": other_shop.id},
            {"state": "written_off"},
            {"resolved_by_id": self.manager.id},
            {"writeoff_move_id": False, "state": "resolved"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                call_kw(
                    self.env["ec.exception"].with_user(self.user),
                    "write",
                    [exc.ids, vals],
                    {},
                )
        self.assertEqual(exc.state, "open")
        self.assertEqual(exc.difference, -50)
        self.assertEqual(exc.shop_id, self.shop)
        # The manager may correct an exception by hand.
        exc.with_user(self.manager).write({"note": "checked"})

    def test_user_cannot_forge_exceptions_to_write_off(self):
        order = self._create_order("R-5", [(self.product_a, 1, 100)])
        self._invoice(order)
        with self.assertRaises(AccessError):
            self.env["ec.exception"].with_user(self.user).create(
                {
                    "exception_type": "amount_mismatch",
                    "key": "forged:1",
                    "shop_id": self.shop.id,
                    "company_id": self.company.id,
                    "sale_order_id": order.id,
                    "difference": -9,
                }
            )

    def test_user_actions_still_work(self):
        """The protection does not get in the user's way."""
        exc = self._short_exception("R-6", "95")
        exc.with_user(self.user).action_writeoff(self.writeoff_account, "small")
        self.assertEqual(exc.state, "written_off")
        self.assertEqual(exc.resolved_by_id, self.user)
        other = self._short_exception("R-7", "97")
        other.with_user(self.user).action_ignore("platform rounding")
        self.assertEqual(other.state, "ignored")
        other.with_user(self.user).action_reopen()
        other.with_user(self.user).action_resolve("paid by transfer")
        self.assertEqual(other.state, "resolved")
        # Matching run by the user closes and reopens exceptions as usual.
        self.env["ec.settlement"].with_user(self.user)._run_matching(self.shop)

    def test_import_wizard_leaves_other_attachments_alone(self):
        """Only the files uploaded into the wizard are cleaned up."""
        contract = self.env["ir.attachment"].create(
            {
                "name": "contract.csv",
                "raw": b"a,b\n1,2\n",
                "res_model": "ec.shop",
                "res_id": self.shop.id,
            }
        )
        # The user may read the shop's attachment, not delete it.
        self.assertTrue(contract.with_user(self.user).read(["name"]))
        with self.assertRaises(AccessError):
            contract.with_user(self.user).unlink()
        upload = (
            self.env["ir.attachment"]
            .with_user(self.user)
            .create(
                {
                    "name": "upload.csv",
                    "raw": b"x,y\n",
                    "res_model": "ec.settlement.import",
                }
            )
        )
        wizard = (
            self.env["ec.settlement.import"]
            .with_user(self.user)
            .create({"attachment_ids": [Command.set((contract | upload).ids)]})
        )
        wizard.action_import()
        self.assertTrue(contract.exists(), "the shop's attachment was deleted")
        self.assertFalse(upload.exists())

    def test_errors_name_what_to_do(self):
        exc = self._short_exception("R-8", "50")
        with self.assertRaises(AccessError) as caught:
            exc.with_user(self.user).action_writeoff(self.writeoff_account)
        self.assertIn("ask a reconciliation manager", str(caught.exception))
        with self.assertRaises(UserError):
            exc.with_user(self.user).action_resolve("")

    def _create_shop_like(self, **overrides):
        vals = {
            "name": "Generous shop",
            "code": "GEN",
            "platform": "tmall",
            "currency_id": self.currency.id,
            "partner_id": self.platform_partner.id,
            "wallet_journal_id": self.wallet_journal.id,
        }
        vals.update(overrides)
        return self.env["ec.shop"].create(vals)
