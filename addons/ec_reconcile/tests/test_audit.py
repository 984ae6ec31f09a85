# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Audit: every state change of a bill, an exception and an entry is in the
chatter with who and when (mail.message + mail.tracking.value), and posting
respects Odoo's lock dates and the inalterability hash chain.

Tracking is switched back on here (the shared builders switch it off).
"""

import pathlib
from datetime import date, datetime, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools import html2plaintext

from .common import DISABLED_TRACKING, EcAccountingCase

STRIPE_BILL = (
    pathlib.Path(__file__).resolve().parent
    / "data"
    / "bills"
    / "stripe_balance_transactions.json"
).read_bytes()

USER = "ec_reconcile.ec_reconcile_group_user"
MANAGER = "ec_reconcile.ec_reconcile_group_manager"
DAY1 = datetime(2024, 3, 1, 10, 0)
DAY2 = datetime(2024, 3, 2, 10, 0)


@tagged("post_install", "-at_install")
class TestAudit(EcAccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        context = {
            key: value
            for key, value in cls.env.context.items()
            if key not in DISABLED_TRACKING
        }
        cls.env = cls.env(context=context)
        cls.env["ec.fee.kind.mapping"].action_create_defaults()
        accounting = "account.group_account_invoice"
        cls.user = cls._ec_user("ec_audit_user", [USER, accounting])
        cls.manager = cls._ec_user("ec_audit_manager", [MANAGER, accounting])
        cls.writeoff_account = cls.company_data["default_account_expense"]

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

    def setUp(self):
        super().setUp()
        self.started = fields.Datetime.now() - timedelta(seconds=1)

    def flush_tracking(self):
        """End of a request: tracking values are written at pre-commit (and
        changes made in the transaction that created a record are not
        tracked: each step of a test is its own request here)."""
        self.env.flush_all()
        self.env.cr.flush()

    def events(self, record, field="state"):
        """[(kind, text, author, date, message id)]: tracked changes of
        ``field`` (kind "state", text the new value) and notes (kind "note")."""
        self.flush_tracking()
        messages = (
            self.env["mail.message"]
            .sudo()
            .search(
                [("model", "=", record._name), ("res_id", "=", record.id)], order="id"
            )
        )
        result = []
        for message in messages:
            for value in message.tracking_value_ids:
                if value.field_id.name == field:
                    result.append(
                        (
                            "state",
                            value.new_value_char or value.new_value_text,
                            message.author_id,
                            message.date,
                            message.id,
                        )
                    )
            text = html2plaintext(message.body or "")
            if text:
                result.append(
                    ("note", text, message.author_id, message.date, message.id)
                )
        return result

    def assertEvents(self, record, expected, field="state"):
        """``expected``: [(kind, text, user)] in this order (text: a part of
        the note, or the new value); each with its author and a recent date."""
        events = self.events(record, field)
        position = -1
        for kind, text, user in expected:
            found = [
                e
                for e in events
                if e[0] == kind
                and (text == e[1] if kind == "state" else text in e[1])
                and e[4] > position
            ]
            self.assertTrue(
                found, f"{record}: no {kind} {text!r} after {position}: {events}"
            )
            kind_, text_, author, when, message_id = found[0]
            self.assertEqual(author, user.partner_id, f"{record}: {text!r} by {author}")
            self.assertGreaterEqual(when, self.started)
            position = message_id

    # ------------------------------------------------------------------
    # Bills
    # ------------------------------------------------------------------

    def test_bill_lifecycle_in_chatter(self):
        order = self._create_order("AU-1", [(self.product_a, 1, 100)])
        self._deliver(order)
        self._invoice(order)
        Bill = self.env["ec.settlement"].with_user(self.user)
        bill = Bill._import_parsed(
            self._parsed([{"order_ref": "AU-1", "amount": "100"}])
        )
        self.flush_tracking()
        Bill._run_matching(self.shop)
        self.flush_tracking()
        bill.action_post()
        self.flush_tracking()
        bill.with_user(self.manager).action_reverse()
        self.assertEvents(
            bill,
            [
                ("note", "Imported audit.csv", self.user),
                ("note", "Imported → Matched", self.user),
                ("note", "Posted: 1 entries", self.user),
                ("state", "Posted", self.user),
                ("note", "Reversed 1 entries", self.manager),
                ("state", "Matched", self.manager),
            ],
        )

    def test_wizard_import_and_match_in_one_request_in_chatter(self):
        """Import and matching in one transaction: both still in the chatter."""
        upload = (
            self.env["ir.attachment"]
            .with_user(self.user)
            .create(
                {
                    "name": "wizard.json",
                    "raw": STRIPE_BILL,
                    "res_model": "ec.settlement.import",
                }
            )
        )
        usd = self.env.ref("base.USD")
        usd.active = True
        stripe = self.env["ec.shop"].create(
            {
                "name": "Stripe",
                "code": "AST",
                "platform": "stripe",
                "currency_id": usd.id,
            }
        )
        self.env["ec.settlement.import"].with_user(self.user).create(
            {"attachment_ids": [Command.set(upload.ids)], "shop_id": stripe.id}
        ).action_import()
        bill = self.env["ec.settlement"].search([("shop_id", "=", stripe.id)])
        self.assertEqual(bill.state, "matched")
        self.assertEvents(
            bill,
            [
                ("note", "Imported wizard.json", self.user),
                ("note", "Imported → Matched", self.user),
            ],
        )

    def test_error_bill_and_retry_in_chatter(self):
        Bill = self.env["ec.settlement"].with_user(self.user)
        # Two shops fit: the bill cannot be placed, it is kept in error.
        self.env["ec.shop"].create(
            {"name": "Second Tmall", "code": "T2", "platform": "tmall"}
        )
        bill = Bill._import_parsed(self._parsed([{"amount": "5"}]), shop=None)
        self.assertEqual(bill.state, "error")
        self.assertEqual(bill.create_uid, self.user)
        self.flush_tracking()
        bill.with_user(self.manager).write({"shop_id": self.shop.id})
        self.flush_tracking()
        as_manager = bill.with_user(self.manager)
        as_manager._import_parsed(
            self._parsed([{"amount": "5"}]), shop=as_manager.shop_id, bill=as_manager
        )
        self.assertEqual(bill.state, "parsed")
        self.assertEvents(
            bill,
            [
                ("note", "created", self.user),
                ("note", "Imported audit.csv", self.manager),
                ("state", "Imported", self.manager),
            ],
        )
        shop_changes = [e for e in self.events(bill, "shop_id") if e[0] == "state"]
        self.assertEqual(shop_changes[0][1], "Test Tmall")
        self.assertEqual(shop_changes[0][2], self.manager.partner_id)

    # ------------------------------------------------------------------
    # Exceptions
    # ------------------------------------------------------------------

    def _mismatch(self, ref, settled):
        order = self._create_order(ref, [(self.product_a, 1, 100)])
        self._deliver(order)
        self._invoice(order)
        self._bill([{"order_ref": ref, "amount": settled}], name=ref)
        self._match()
        return self._exceptions("amount_mismatch").filtered(
            lambda e: e.sale_order_id == order
        ), order

    def test_exception_lifecycle_in_chatter(self):
        exc, _order = self._mismatch("AU-2", "96")
        self.assertEqual(exc.create_uid, self.env.user, "who raised it")
        self.assertTrue(exc.first_seen)
        self.shop.writeoff_limit = 10
        self.flush_tracking()
        for user, action, args in (
            (self.user, "action_ignore", ("platform rounding",)),
            (self.user, "action_reopen", ()),
            (self.user, "action_resolve", ("paid by transfer",)),
            (self.manager, "action_reopen", ()),
            (self.user, "action_writeoff", (self.writeoff_account, "small")),
        ):
            getattr(exc.with_user(user), action)(*args)
            self.flush_tracking()
        self.assertEvents(
            exc,
            [
                ("state", "Ignored", self.user),
                ("state", "Open", self.user),
                ("state", "Resolved", self.user),
                ("state", "Open", self.manager),
                ("state", "Written Off", self.user),
            ],
        )
        notes = [e[1] for e in self.events(exc, "note") if e[0] == "state"]
        self.assertIn("paid by transfer", notes)
        self.assertIn("small", notes)
        self.assertEqual(exc.resolved_by_id, self.user)
        self.assertTrue(exc.writeoff_move_id.state == "posted")

    def test_matching_closes_and_reopens_in_chatter(self):
        exc, _order = self._mismatch("AU-3", "96")
        self.flush_tracking()
        # The missing 4.00 arrives: matching closes the exception itself.
        top_up = self._bill([{"order_ref": "AU-3", "amount": "4"}], name="topup")
        self.env["ec.settlement"].with_user(self.user)._run_matching(self.shop)
        self.assertEqual(exc.state, "resolved")
        self.assertTrue(exc.auto_resolved)
        self.flush_tracking()
        # The top-up rows turn out to belong elsewhere: the cause is back.
        top_up.sudo().line_ids.unlink()
        self.env["ec.settlement"].with_user(self.manager)._run_matching(self.shop)
        self.assertEqual(exc.state, "open")
        self.assertEvents(
            exc,
            [
                ("state", "Resolved", self.user),
                ("note", "Reopened: the cause is back.", self.manager),
                ("state", "Open", self.manager),
            ],
        )

    # ------------------------------------------------------------------
    # Entries
    # ------------------------------------------------------------------

    def test_posted_entries_tracked_with_author(self):
        bill = self._bill([{"amount": "10"}, {"amount": "-1", "kind": "commission"}])
        self.flush_tracking()
        bill.with_user(self.user).action_post()
        move = bill.line_ids.move_id
        self.assertEqual(move.state, "posted")
        # Created and posted in one transaction: the creation note says who
        # and when; the bill's note says it was posted, by whom.
        self.assertEqual(move.create_uid, self.user)
        self.assertEvents(move, [("note", "created", self.user)])
        self.assertEvents(bill, [("note", "Posted: 1 entries", self.user)])
        self.flush_tracking()
        bill.with_user(self.manager).action_reverse()
        reversal = move.reversal_move_ids
        self.assertEqual(reversal.create_uid, self.manager)
        self.assertTrue(
            [e for e in self.events(reversal) if e[2] == self.manager.partner_id]
        )

    def test_lock_dates_respected(self):
        for field_name in ("fiscalyear_lock_date", "hard_lock_date"):
            with self.subTest(lock=field_name):
                bill = self._bill([{"amount": "10", "date": DAY1}], name=field_name)
                self.company.sudo().write({field_name: date(2024, 3, 31)})
                with self.assertRaises(UserError) as caught:
                    bill.with_user(self.user).action_post()
                self.assertIn("lock date", str(caught.exception))
                self.assertFalse(bill.line_ids.move_id)
                self.assertFalse(
                    self.env["account.move"].search(
                        [("ec_settlement_id", "=", bill.id)]
                    )
                )
                if field_name == "fiscalyear_lock_date":
                    self.company.sudo().fiscalyear_lock_date = False

    def test_reversal_after_lock_date_never_lands_in_the_closed_period(self):
        bill = self._bill([{"amount": "10", "date": DAY1}])
        bill.action_post()
        move = bill.line_ids.move_id
        self.company.sudo().fiscalyear_lock_date = date(2024, 3, 31)
        try:
            bill.action_reverse()
        except UserError as error:
            # Refused as a whole: the entry still posts the rows.
            self.assertIn("lock", str(error).lower())
            self.assertEqual(bill.line_ids.move_id, move)
            self.assertEqual(bill.state, "posted")
            return
        reversal = move.reversal_move_ids
        self.assertTrue(reversal)
        self.assertGreater(reversal.date, date(2024, 3, 31))
        self.assertFalse(bill.line_ids.move_id)

    def test_hash_chain_journal(self):
        self.wallet_journal.restrict_mode_hash_table = True
        second = self._bill([{"amount": "20", "date": DAY2}], name="day2")
        second.with_user(self.user).action_post()
        first = self._bill([{"amount": "10", "date": DAY1}], name="day1")
        first.with_user(self.user).action_post()
        moves = (first | second).line_ids.move_id
        self.assertEqual(len(moves), 2)
        self.assertTrue(all(m.state == "posted" for m in moves))
        self.assertTrue(all(moves.mapped("inalterable_hash")), "entries are hashed")
        # A hashed entry cannot be reset; reversing it is the way back.
        with self.assertRaises(UserError):
            moves[:1].button_draft()
        first.action_reverse()
        self.assertFalse(first.line_ids.move_id)
        reversal = moves.filtered(
            lambda m: m.ec_settlement_id == first
        ).reversal_move_ids
        self.assertEqual(reversal.state, "posted")
        self.assertTrue(reversal.inalterable_hash)
        # The rows post again, hashed again.
        first.action_post()
        self.assertTrue(first.line_ids.move_id.inalterable_hash)
        report = self.wallet_journal.company_id._check_hash_integrity()
        results = report.get("results", [])
        self.assertTrue(results)
        for result in results:
            self.assertNotIn("corrupted", str(result.get("status", "")).lower(), result)

    # ------------------------------------------------------------------

    def _parsed(self, rows, name="audit.csv"):
        from decimal import Decimal

        from ..parsers import BillLine, ParsedBill

        lines = [
            BillLine(
                transaction_id=f"{name}-{index}",
                kind=row.get("kind", "sale"),
                amount=Decimal(row["amount"]),
                date=row.get("date", DAY1),
                order_ref=row.get("order_ref"),
                row_number=index,
            )
            for index, row in enumerate(rows, start=1)
        ]
        return ParsedBill(
            bill_type="test_bill",
            platform=self.shop.platform,
            channel="test",
            parser_version="1",
            filename=name,
            lines=lines,
        )
