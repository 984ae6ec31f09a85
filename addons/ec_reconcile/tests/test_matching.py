# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Matching engine: order states, every exception type, idempotent re-runs."""

from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import EcAccountingCase

MARCH = datetime(2024, 3, 5, 10, 0)
APRIL = datetime(2024, 4, 8, 10, 0)


@tagged("post_install", "-at_install")
class TestMatching(EcAccountingCase):
    def test_order_states(self):
        settled = self._create_order("S-1", [(self.product_a, 1, 100)])
        partial = self._create_order("P-1", [(self.product_a, 1, 100)])
        over = self._create_order("O-1", [(self.product_a, 1, 100)])
        unsettled = self._create_order("U-1", [(self.product_a, 1, 100)])
        refunded = self._create_order("R-1", [(self.product_a, 1, 100)])
        for order in (settled, partial, over, unsettled, refunded):
            self._deliver(order)
        self._invoice(refunded)
        self._credit_note(refunded, 100)
        self._bill(
            [
                {"order_ref": "S-1", "amount": "100"},
                {"order_ref": "P-1", "amount": "60"},
                {"order_ref": "O-1", "amount": "120"},
                {"order_ref": "R-1", "amount": "100"},
                {"order_ref": "R-1", "amount": "-100", "kind": "refund"},
            ]
        )
        stats = self._match()
        self.assertEqual(settled.ec_match_state, "settled")
        self.assertEqual(partial.ec_match_state, "partial")
        self.assertEqual(over.ec_match_state, "over")
        self.assertEqual(unsettled.ec_match_state, "unsettled")
        self.assertEqual(refunded.ec_match_state, "refunded")
        self.assertEqual(refunded.ec_expected_amount, 0)
        self.assertEqual(partial.ec_settled_amount, 60)
        self.assertEqual(stats["rows_linked"], 5)
        mismatches = self._exceptions("amount_mismatch")
        self.assertEqual(mismatches.sale_order_id, partial | over)
        over_exc = mismatches.filtered(lambda e: e.sale_order_id == over)
        self.assertEqual(over_exc.expected_amount, 100)
        self.assertEqual(over_exc.found_amount, 120)
        self.assertEqual(over_exc.difference, 20)
        self.assertEqual(len(over_exc.line_ids), 1)
        self.assertIn("over-settled", over_exc.message)
        self.assertFalse(self._exceptions("delivered_unsettled"), "delivered today")
        self.assertEqual(settled.ec_settlement_line_count, 1)

    def test_multi_row_settlement_over_days_and_rerun(self):
        order = self._create_order(
            "M-1", [(self.product_a, 1, 70), (self.product_b, 1, 30)]
        )
        self._deliver(order)
        self._invoice(order)
        self._bill([{"order_ref": "M-1", "amount": "60", "date": MARCH}], name="d1")
        self._match()
        self.assertEqual(order.ec_match_state, "partial")
        exc = self._exceptions("amount_mismatch")
        self.assertEqual(len(exc), 1)
        self._match()
        self.assertEqual(len(self._exceptions("amount_mismatch")), 1, "no duplicate")
        self._bill(
            [
                {"order_ref": "M-1", "amount": "35", "date": MARCH + timedelta(days=2)},
                {
                    "order_ref": "M-1",
                    "amount": "5",
                    "kind": "platform_coupon",
                    "date": MARCH + timedelta(days=2),
                },
            ],
            name="d3",
        )
        stats = self._match()
        self.assertEqual(order.ec_match_state, "settled")
        self.assertEqual(order.ec_settled_amount, 100)
        self.assertEqual(exc.state, "resolved")
        self.assertTrue(exc.auto_resolved)
        self.assertEqual(stats["exceptions_closed"], 1)
        stats = self._match()
        self.assertEqual(stats["exceptions_created"], 0)
        self.assertEqual(stats["exceptions_closed"], 0)

    def test_tolerance_edges(self):
        inside = self._create_order("T-IN", [(self.product_a, 1, 100)])
        outside = self._create_order("T-OUT", [(self.product_a, 1, 100)])
        self._bill(
            [
                {"order_ref": "T-IN", "amount": "99.99"},
                {"order_ref": "T-OUT", "amount": "99.98"},
            ]
        )
        self._match()
        self.assertEqual(inside.ec_match_state, "settled")
        self.assertEqual(outside.ec_match_state, "partial")
        self.assertEqual(self._exceptions("amount_mismatch").sale_order_id, outside)
        self.shop.tolerance_percent = 0.05  # 0.05 on 100
        self._match()
        self.assertEqual(outside.ec_match_state, "settled")
        self.assertFalse(self._exceptions("amount_mismatch"))

    def test_partial_refund_in_a_later_month(self):
        order = self._create_order("X-1", [(self.product_a, 1, 100)])
        self._deliver(order)
        self._invoice(order)
        self._bill([{"order_ref": "X-1", "amount": "100", "date": MARCH}], name="march")
        self._match()
        self.assertEqual(order.ec_match_state, "settled")
        self._bill(
            [{"order_ref": "X-1", "amount": "-20", "kind": "refund", "date": APRIL}],
            name="april",
        )
        self._match()
        # Refund settled, no credit note nor return yet: both are flagged.
        self.assertEqual(order.ec_match_state, "partial")
        self.assertTrue(self._exceptions("refund_without_return"))
        self.assertTrue(self._exceptions("amount_mismatch"))
        self._credit_note(order, 20)
        self._match()
        self.assertEqual(order.ec_expected_amount, 80)
        self.assertEqual(order.ec_settled_amount, 80)
        self.assertEqual(order.ec_match_state, "settled")
        self.assertFalse(self._exceptions("refund_without_return"))
        self.assertFalse(self._exceptions("amount_mismatch"))

    def test_return_without_invoice_lowers_expected(self):
        order = self._create_order("RT-1", [(self.product_a, 2, 50)])
        self._deliver(order)
        self._bill(
            [
                {"order_ref": "RT-1", "amount": "100"},
                {"order_ref": "RT-1", "amount": "-50", "kind": "refund"},
            ]
        )
        self._match()
        self.assertEqual(order.ec_match_state, "partial")
        self.assertTrue(self._exceptions("refund_without_return"))
        self._return(order, 1)
        self._match()
        self.assertEqual(order.ec_expected_amount, 50)
        self.assertEqual(order.ec_match_state, "settled")
        self.assertFalse(self._exceptions("refund_without_return"))

    def test_unknown_order_then_order_arrives(self):
        self._bill(
            [
                {"order_ref": "GHOST-1", "amount": "88"},
                {"order_ref": "GHOST-1", "amount": "-1.2", "kind": "commission"},
            ]
        )
        self._match()
        exc = self._exceptions("unknown_order")
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.order_ref, "GHOST-1")
        self.assertEqual(len(exc.line_ids), 2)
        self.assertAlmostEqual(exc.found_amount, 86.8)
        self.assertTrue(exc.settlement_id.attachment_id or exc.settlement_id)
        order = self._create_order("GHOST-1", [(self.product_a, 1, 88)])
        self._deliver(order)
        self._match()
        self.assertEqual(exc.state, "resolved")
        self.assertTrue(exc.auto_resolved)
        self.assertEqual(order.ec_match_state, "settled")
        self.assertAlmostEqual(order.ec_fee_amount, -1.2)

    def test_delivered_but_unsettled(self):
        late = self._create_order("L-1", [(self.product_a, 1, 100)])
        recent = self._create_order("L-2", [(self.product_a, 1, 100)])
        self._deliver(late, days_ago=30)
        self._deliver(recent, days_ago=3)
        self._match()
        exc = self._exceptions("delivered_unsettled")
        self.assertEqual(exc.sale_order_id, late)
        self.assertEqual(exc.picking_id, late.picking_ids)
        self.assertEqual(exc.expected_amount, 100)

    def test_settled_but_not_shipped(self):
        order = self._create_order("N-1", [(self.product_a, 1, 100)])
        self._bill([{"order_ref": "N-1", "amount": "100"}])
        self._match()
        exc = self._exceptions("settled_not_shipped")
        self.assertEqual(exc.sale_order_id, order)
        self.assertTrue(exc.picking_id)
        self._deliver(order)
        self._match()
        self.assertEqual(exc.state, "resolved")

    def test_duplicate_transaction(self):
        self._bill(
            [{"transaction_id": "T1", "order_ref": "D-1", "amount": "10"}], name="a"
        )
        bill = self._bill(
            [{"transaction_id": "T1", "order_ref": "D-1", "amount": "12"}], name="b"
        )
        self.assertEqual(bill.conflict_count, 1)
        self._match()
        exc = self._exceptions("duplicate")
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.settlement_id, bill)
        self.assertEqual(exc.found_amount, 12)
        self.assertEqual(exc.line_ids.amount, 10)

    def test_unclassified_rows(self):
        bill = self._bill(
            [
                {"amount": "-3", "kind": "other", "flags": ["unclassified"]},
                {"amount": "-4", "kind": "other", "flags": ["unclassified"]},
                {"order_ref": "C-1", "amount": "10"},
            ]
        )
        self.assertEqual(bill.unclassified_count, 2)
        self._match()
        exc = self._exceptions("unclassified")
        self.assertEqual(len(exc), 1)
        self.assertEqual(len(exc.line_ids), 2)

    def test_payouts_against_bank_lines(self):
        old = datetime.now() - timedelta(days=20)
        self._bill(
            [
                {"amount": "-300", "kind": "payout", "date": old},
                {"amount": "-125.5", "kind": "payout", "date": old},
            ]
        )
        statement_line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": (old + timedelta(days=1)).date(),
                "amount": 300,
                "payment_ref": "Alipay withdrawal",
            }
        )
        stats = self._match()
        self.assertEqual(stats["payouts_matched"], 1)
        matched = self.env["ec.settlement.line"].search(
            [("statement_line_id", "=", statement_line.id)]
        )
        self.assertEqual(matched.amount, -300)
        self.assertEqual(matched.match_state, "payout_matched")
        exc = self._exceptions("payout_unmatched")
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.expected_amount, 125.5)

    def test_payouts_paired_by_reference_then_date(self):
        day = datetime.now() - timedelta(days=20)
        self._bill(
            [
                {
                    "amount": "-200",
                    "kind": "payout",
                    "date": day,
                    "transaction_id": "WD-0001",
                },
                {
                    "amount": "-200",
                    "kind": "payout",
                    "date": day,
                    "transaction_id": "WD-0002",
                },
            ]
        )
        StLine = self.env["account.bank.statement.line"]
        # Same amount, same day: only the reference tells them apart. The
        # line naming WD-0002 is also the closer one in id order.
        bank_2 = StLine.create(
            {
                "journal_id": self.bank_journal.id,
                "date": day.date(),
                "amount": 200,
                "payment_ref": "Alipay withdrawal WD-0002",
            }
        )
        bank_1 = StLine.create(
            {
                "journal_id": self.bank_journal.id,
                "date": (day + timedelta(days=1)).date(),
                "amount": 200,
                "payment_ref": "Alipay withdrawal WD-0001",
            }
        )
        stats = self._match()
        self.assertEqual(stats["payouts_matched"], 2)
        rows = self.env["ec.settlement.line"].search(
            [("shop_id", "=", self.shop.id), ("kind", "=", "payout")]
        )
        by_ref = {row.transaction_id: row.statement_line_id for row in rows}
        self.assertEqual(by_ref["WD-0001"], bank_1)
        self.assertEqual(by_ref["WD-0002"], bank_2)
        self.assertFalse(self._exceptions("payout_unmatched"))

    def test_reconciled_bank_line_is_not_matched(self):
        day = datetime.now() - timedelta(days=20)
        self._bill([{"amount": "-80", "kind": "payout", "date": day}])
        bank = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": day.date(),
                "amount": 80,
                "payment_ref": "Transfer",
            }
        )
        # Reconciled by hand with something else before matching runs.
        _liquidity, suspense, _other = bank._seek_for_lines()
        suspense.account_id = self.company_data["default_account_revenue"]
        self.assertTrue(bank.is_reconciled)
        stats = self._match()
        self.assertEqual(stats["payouts_matched"], 0)
        self.assertEqual(len(self._exceptions("payout_unmatched")), 1)

    def test_bill_totals_do_not_add_up(self):
        from decimal import Decimal

        self._bill(
            [{"order_ref": "B-1", "amount": "10"}, {"order_ref": "B-2", "amount": "5"}],
            declared_totals={"income": Decimal("16.00")},
        )
        self._match()
        exc = self._exceptions("bill_totals")
        self.assertEqual(len(exc), 1)
        self.assertIn("16", exc.message)

    def test_closed_by_a_person_stays_closed(self):
        self._bill([{"order_ref": "GONE-1", "amount": "5"}])
        self._match()
        exc = self._exceptions("unknown_order")
        exc.action_ignore("Test order from the platform")
        stats = self._match()
        self.assertEqual(exc.state, "ignored")
        self.assertEqual(stats["exceptions_created"], 0)
        self.assertFalse(self._exceptions("unknown_order"))

    def test_sub_order_rows_link_order_lines(self):
        order = self._create_order(
            "SUB-1",
            [(self.product_a, 1, 100, "SUB-1-A"), (self.product_b, 1, 50, "SUB-1-B")],
        )
        self._bill(
            [
                {"order_ref": "SUB-1", "sub_order_ref": "SUB-1-A", "amount": "100"},
                {"sub_order_ref": "SUB-1-B", "amount": "50"},
            ]
        )
        self._match()
        lines = order.ec_settlement_line_ids.sorted("amount")
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines.sale_order_line_id, order.order_line)
        self.assertEqual(order.ec_match_state, "settled")

    def test_shop_fees_allocated_to_orders_of_the_day(self):
        order_a = self._create_order("F-A", [(self.product_a, 1, 100)])
        order_b = self._create_order("F-B", [(self.product_b, 1, 50)])
        self._bill(
            [
                {"order_ref": "F-A", "amount": "100"},
                {"order_ref": "F-B", "amount": "50"},
                {"amount": "-10", "kind": "ads"},
                {"amount": "-100", "kind": "deposit"},
            ]
        )
        stats = self._match()
        self.assertEqual(stats["allocations"], 2)
        allocations = self.env["ec.fee.allocation"].search(
            [("shop_id", "=", self.shop.id)]
        )
        by_order = {a.sale_order_id: a.amount for a in allocations}
        self.assertAlmostEqual(by_order[order_a], -6.67)
        self.assertAlmostEqual(by_order[order_b], -3.33)
        self.assertAlmostEqual(sum(by_order.values()), -10.0)
        self.assertAlmostEqual(order_a.ec_fee_amount, -6.67)
        self.shop.allocation_base = "orders"
        self._match()
        allocations = self.env["ec.fee.allocation"].search(
            [("shop_id", "=", self.shop.id)]
        )
        self.assertEqual(sorted(allocations.mapped("amount")), [-5.0, -5.0])


@tagged("post_install", "-at_install")
class TestExceptionActions(EcAccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls.env["res.users"].create(
            {
                "name": "Recon user",
                "login": "ec_recon_user",
                "group_ids": [
                    Command.set(
                        [
                            cls.env.ref("ec_reconcile.ec_reconcile_group_user").id,
                            cls.env.ref("account.group_account_invoice").id,
                        ]
                    )
                ],
            }
        )
        cls.writeoff_account = cls.company_data["default_account_expense"]

    def _short_order(self, ref, invoiced=100, settled="96"):
        order = self._create_order(ref, [(self.product_a, 1, invoiced)])
        self._deliver(order)
        self._invoice(order)
        self._bill([{"order_ref": ref, "amount": settled}], name=ref)
        self._match()
        return order, self._exceptions("amount_mismatch").filtered(
            lambda e: e.sale_order_id == order
        )

    def test_resolve_needs_a_note_and_is_tracked(self):
        _order, exc = self._short_order("A-1")
        with self.assertRaises(UserError):
            exc.with_user(self.user).action_resolve("")
        exc.with_user(self.user).action_resolve("Platform paid the rest by transfer")
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(exc.resolved_by_id, self.user)
        self.assertFalse(exc.auto_resolved)
        exc.action_reopen()
        self.assertEqual(exc.state, "open")

    def test_writeoff_within_limit_clears_the_receivable(self):
        order, exc = self._short_order("W-1")
        self.assertEqual(exc.difference, -4)
        self.shop.writeoff_limit = 5
        wizard = (
            self.env["ec.exception.resolve"]
            .with_user(self.user)
            .with_context(active_model="ec.exception", active_ids=exc.ids)
            .create({"mode": "writeoff", "account_id": self.writeoff_account.id})
        )
        wizard.action_apply()
        self.assertEqual(exc.state, "written_off")
        move = exc.writeoff_move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(sum(move.line_ids.mapped("debit")), 4)
        expense = move.line_ids.filtered(
            lambda x: x.account_id == self.writeoff_account
        )
        self.assertEqual(expense.debit, 4)
        with self.assertRaises(UserError):
            exc.action_reopen()

    def test_writeoff_above_limit_needs_a_manager(self):
        _order, exc = self._short_order("W-2", settled="80")
        self.shop.writeoff_limit = 5
        with self.assertRaises(AccessError):
            exc.with_user(self.user).action_writeoff(self.writeoff_account, "too big")
        self.assertEqual(exc.state, "open")
        exc.action_writeoff(self.writeoff_account, "approved by manager")
        self.assertEqual(exc.state, "written_off")

    def test_reconcile_wizard_counts(self):
        self._short_order("WZ-1")
        self._bill([{"order_ref": "NOPE", "amount": "3"}], name="nope")
        wizard = self.env["ec.reconcile.run"].create(
            {"shop_ids": [Command.set(self.shop.ids)]}
        )
        wizard.action_run()
        self.assertEqual(wizard.state, "done")
        self.assertEqual(wizard.exceptions_open, 2)
        codes = dict(
            (line.code, line.count)
            for line in wizard.result_line_ids
            if line.category == "exception"
        )
        self.assertEqual(codes, {"amount_mismatch": 1, "unknown_order": 1})
        action = wizard.action_view_exceptions()
        self.assertEqual(
            self.env["ec.exception"].search_count(
                action["domain"] + [("state", "=", "open")]
            ),
            2,
        )
        self.assertTrue(fields.Datetime.now())


@tagged("post_install", "-at_install")
class TestMonthFindings(EcAccountingCase):
    """Findings of the month benchmark (tests/bench/generate_month.py)."""

    def _view_bill(self, bill_type, rows, name):
        bill = self._bill(rows, name=name)
        bill.bill_type = bill_type
        return bill

    def test_two_views_of_the_same_money_count_once(self):
        order = self._create_order("V-1", [(self.product_a, 1, 100)])
        self._deliver(order)
        rows = [
            {"order_ref": "V-1", "amount": "100"},
            {"order_ref": "V-1", "amount": "-5", "kind": "commission"},
        ]
        detail = self._view_bill("douyin_settle_bill", rows, "settle.json")
        # Only the detail view imported: it counts.
        stats = self._match()
        self.assertEqual(stats["bills_shadowed"], 0)
        self.assertEqual(order.ec_settled_amount, 100)
        self.assertEqual(order.ec_fee_amount, -5)
        ledger = self._view_bill("douyin_account_item", rows, "items.json")
        stats = self._match()
        self.assertEqual(stats["bills_shadowed"], 1)
        self.assertEqual(order.ec_settled_amount, 100, "not twice")
        self.assertEqual(order.ec_fee_amount, -5)
        self.assertEqual(order.ec_match_state, "settled")
        self.assertFalse(self._exceptions("amount_mismatch"))
        # Both views stay linked to the order (trace).
        self.assertEqual(detail.line_ids.sale_order_id, order)
        self.assertEqual(ledger.line_ids.sale_order_id, order)
        self.assertEqual(order.ec_settlement_line_count, 4)

    def test_merchant_coupon_is_part_of_order_income(self):
        # Odoo's order is net of the merchant discount; the bill prints the
        # gross sale and the coupon on its own row.
        order = self._create_order(
            "MC-1", [(self.product_a, 1, 100), (self.product_b, 1, -10)]
        )
        self._deliver(order)
        self._invoice(order)
        self._bill(
            [
                {"order_ref": "MC-1", "amount": "100"},
                {"order_ref": "MC-1", "amount": "-10", "kind": "merchant_coupon"},
                {"order_ref": "MC-1", "amount": "-0.6", "kind": "payment_fee"},
            ]
        )
        self._match()
        self.assertEqual(order.ec_expected_amount, 90)
        self.assertEqual(order.ec_settled_amount, 90)
        self.assertEqual(order.ec_fee_amount, -0.6)
        self.assertEqual(order.ec_match_state, "settled")
        self.assertFalse(self._exceptions("amount_mismatch"))

    def _jd_shop(self):
        return self.env["ec.shop"].create(
            {
                "name": "JD shop",
                "platform": "jd",
                "currency_id": self.currency.id,
                "partner_id": self.platform_partner.id,
                "wallet_journal_id": self.wallet_journal.id,
                "tolerance_amount": 0.01,
                "tz": "Asia/Shanghai",
            }
        )

    def _jd_file(self, text=None):
        path = file_path("ec_reconcile/tests/data/bills/jd_settlement_detail.csv")
        with open(path, "rb") as handle:
            content = handle.read().decode("gbk")
        # The test company keeps its books in USD.
        content = content.replace("人民币", self.currency.name)
        return (text(content) if text else content).encode("gbk")

    def test_jd_buyer_paid_freight_is_order_income(self):
        shop = self._jd_shop()
        order = self._create_order(
            "300012345678",
            [(self.product_a, 1, 199), (self.product_b, 1, 6)],  # goods, freight
            shop=shop,
        )
        self._deliver(order)
        self._invoice(order)
        self._credit_note(order, 50)
        self.env["ec.settlement"]._import_file("jd.csv", self._jd_file(), shop=shop)
        self._match(shop)
        # 199 goods + 6 代收配送费 - 50 after-sale refund
        self.assertEqual(order.ec_expected_amount, 155)
        self.assertEqual(order.ec_settled_amount, 155)
        self.assertEqual(order.ec_match_state, "settled")

    def test_mangled_ids_each_raise_their_own_exception(self):
        shop = self._jd_shop()
        real = self._create_order("300012345699", [(self.product_a, 1, 89)], shop=shop)
        # Even an order whose number equals the mangled text is not linked.
        lookalike = self._create_order(
            "3.00012E+11", [(self.product_a, 1, 89)], shop=shop
        )
        data = self._jd_file(lambda t: t.replace('="300012345699"', "3.00012E+11"))
        bill = self.env["ec.settlement"]._import_file("jd.csv", data, shop=shop)
        self._match(shop)
        mangled = bill.line_ids.filtered(lambda r: "mangled_id" in (r.flags or ""))
        self.assertEqual(len(mangled), 3)
        self.assertFalse(mangled.sale_order_id)
        self.assertFalse(
            real.ec_settlement_line_count + lookalike.ec_settlement_line_count
        )
        domain = [("shop_id", "=", shop.id), ("exception_type", "=", "unknown_order")]
        unknown = self.env["ec.exception"].search(domain)
        # Order 300012345678 of the file is not in Odoo either: one exception.
        exceptions = unknown.filtered(lambda e: e.order_ref == "3.00012E+11")
        self.assertEqual(len(unknown - exceptions), 1)
        self.assertEqual(len(exceptions), 3, "one per mangled row, never grouped")
        self.assertEqual(exceptions.line_ids, mangled)
        for exc in exceptions:
            self.assertEqual(len(exc.line_ids), 1)
            self.assertIn("scientific notation", exc.message)
            self.assertEqual(exc.found_amount, exc.line_ids.amount)
        self._match(shop)
        self.assertEqual(self.env["ec.exception"].search(domain), unknown)
