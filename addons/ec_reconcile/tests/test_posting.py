# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Posting: templates, invariants, reconciliation, safety, reversal."""

from datetime import date, datetime

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import EcAccountingCase

DAY1 = datetime(2024, 3, 1, 10, 0)
DAY2 = datetime(2024, 3, 2, 11, 0)


@tagged("post_install", "-at_install")
class TestPosting(EcAccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ec.fee.kind.mapping"].action_create_defaults()
        cls.mapping = cls.env["ec.fee.kind.mapping"]._get_mapping(cls.shop)
        cls.wallet_account = cls.wallet_journal.default_account_id
        cls.receivable = cls.platform_partner.property_account_receivable_id

    def _orders(self):
        order_a = self._create_order("PA-1", [(self.product_a, 1, 100)])
        order_b = self._create_order("PB-1", [(self.product_b, 1, 50)])
        self._deliver(order_a)
        self._deliver(order_b)
        invoice_a = self._invoice(order_a)
        invoice_b = self._invoice(order_b)
        return order_a, order_b, invoice_a, invoice_b

    def _day_bill(self, name="day.csv", **kw):
        return self._bill(
            [
                {"order_ref": "PA-1", "amount": "100", "date": DAY1},
                {
                    "order_ref": "PA-1",
                    "amount": "-5",
                    "kind": "commission",
                    "date": DAY1,
                },
                {"order_ref": "PB-1", "amount": "50", "date": DAY1},
                {
                    "order_ref": "PB-1",
                    "amount": "-1",
                    "kind": "payment_fee",
                    "date": DAY1,
                },
                {"amount": "-3", "kind": "ads", "date": DAY1},
                {"order_ref": "UNKNOWN-9", "amount": "20", "date": DAY1},
                {
                    "order_ref": "PA-1",
                    "amount": "-0.5",
                    "kind": "commission",
                    "date": DAY2,
                },
            ],
            name=name,
            **kw,
        )

    def _wallet_balance(self):
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", self.wallet_account.id),
                ("parent_state", "=", "posted"),
            ]
        )
        return round(sum(lines.mapped("balance")), 2)

    def test_default_posting_per_bill_day(self):
        _a, _b, invoice_a, invoice_b = self._orders()
        bill = self._day_bill()
        self._match()
        stats = bill.action_post()
        self.assertEqual(stats["moves"], 2, "one entry per bill day")
        self.assertEqual(stats["rows"], 7)
        self.assertEqual(bill.state, "posted")
        moves = bill.line_ids.move_id
        self.assertEqual(len(moves), 2)
        self.assertTrue(all(m.state == "posted" for m in moves))
        day1 = moves.filtered(lambda m: m.date == date(2024, 3, 1))
        self.assertEqual(day1.ec_settlement_id, bill)
        self.assertEqual(day1.ec_settlement_line_count, 6)
        self.assertEqual(day1.ec_sale_order_count, 2)
        # Invariant: rows = wallet change = wallet debits posted.
        rows_total = round(sum(bill.line_ids.mapped("amount")), 2)
        self.assertEqual(rows_total, 160.5)
        self.assertEqual(self._wallet_balance(), rows_total)
        wallet_lines = moves.line_ids.filtered(
            lambda x: x.account_id == self.wallet_account
        )
        self.assertEqual(round(sum(wallet_lines.mapped("balance")), 2), rows_total)
        # Fees on their accounts, unknown income on suspense.
        commission_account = self.mapping[(self.shop.id, "commission")].account_id
        commission = day1.line_ids.filtered(
            lambda x: x.account_id == commission_account and "Commission" in x.name
        )
        self.assertEqual(commission.debit, 5)
        suspense = self.company.account_journal_suspense_account_id
        self.assertEqual(
            day1.line_ids.filtered(lambda x: x.account_id == suspense).credit, 20
        )
        # Receivables of the settled orders are reconciled with their invoices.
        self.assertEqual(invoice_a.payment_state, "paid")
        self.assertEqual(invoice_b.payment_state, "paid")
        for move in moves:
            self.assertAlmostEqual(sum(move.line_ids.mapped("balance")), 0.0)

    def test_posting_twice_is_a_no_op(self):
        self._orders()
        bill = self._day_bill()
        bill.action_post()
        moves = bill.line_ids.move_id
        stats = bill.action_post()
        self.assertEqual(stats["moves"], 0)
        self.assertEqual(bill.line_ids.move_id, moves)

    def test_grouping_modes(self):
        self._orders()
        cases = {"line": 7, "order": 3, "day": 2, "bill": 1}
        for index, (grouping, expected) in enumerate(cases.items()):
            template = self.env["ec.voucher.template"].create(
                {
                    "name": grouping,
                    "grouping": grouping,
                    "shop_ids": [Command.set(self.shop.ids)],
                }
            )
            bill = self._day_bill(name=f"g{index}.csv")
            self._match()
            stats = bill.action_post()
            self.assertEqual(stats["moves"], expected, grouping)
            self.assertEqual(len(bill.line_ids.move_id), expected)
            bill.action_reverse()
            template.active = False

    def test_template_kinds_and_label(self):
        self._orders()
        ads_journal = self.env["account.journal"].create(
            {"name": "Ads", "code": "ECAD", "type": "general"}
        )
        self.env["ec.voucher.template"].create(
            {
                "name": "Ads per line",
                "grouping": "line",
                "kind_ids": [Command.set(self.env.ref("ec_reconcile.ec_kind_ads").ids)],
                "journal_id": ads_journal.id,
                "wallet_account_id": self.wallet_account.id,
                "label_pattern": "{platform}/{shop} ads {date}",
            }
        )
        bill = self._day_bill()
        bill.action_post()
        ads_row = bill.line_ids.filtered(lambda x: x.kind == "ads")
        self.assertEqual(ads_row.move_id.journal_id, ads_journal)
        self.assertIn(
            "Tmall/TT ads 2024-03-01", ads_row.move_id.line_ids.mapped("name")
        )
        others = bill.line_ids - ads_row
        self.assertEqual(others.move_id.journal_id, self.wallet_journal)

    def test_lock_date_stops_everything(self):
        self._orders()
        bill = self._day_bill()
        self.company.sudo().fiscalyear_lock_date = date(2024, 3, 1)
        with self.assertRaises(UserError) as caught:
            bill.action_post()
        self.assertIn("lock date", str(caught.exception))
        self.assertIn("2024-03-01", str(caught.exception))
        self.assertFalse(bill.line_ids.move_id)
        self.assertFalse(
            self.env["account.move"].search([("ec_settlement_id", "=", bill.id)])
        )

    def test_missing_account_names_what_to_fix(self):
        self._orders()
        bill = self._day_bill()
        self.env["ec.fee.kind.mapping"].search([("kind", "=", "ads")]).unlink()
        with self.assertRaises(UserError) as caught:
            bill.action_post()
        self.assertIn("Advertising", str(caught.exception))
        self.assertIn("Row Kind Accounts", str(caught.exception))
        self.assertFalse(bill.line_ids.move_id)

    def test_reverse_then_post_again(self):
        _a, _b, invoice_a, _invoice_b = self._orders()
        bill = self._day_bill()
        bill.action_post()
        first = bill.line_ids.move_id
        self.assertEqual(invoice_a.payment_state, "paid")
        bill.action_reverse()
        self.assertFalse(bill.line_ids.move_id)
        self.assertEqual(bill.state, "matched")
        self.assertTrue(all(m.reversal_move_ids for m in first))
        self.assertEqual(invoice_a.payment_state, "not_paid")
        self.assertEqual(self._wallet_balance(), 0)
        bill.action_post()
        self.assertEqual(bill.state, "posted")
        self.assertEqual(len(bill.line_ids.move_id), 2)
        self.assertFalse(bill.line_ids.move_id & first)
        self.assertEqual(invoice_a.payment_state, "paid")
        self.assertEqual(self._wallet_balance(), 160.5)

    def test_payout_and_wallet_balance_equals_closing_balance(self):
        from decimal import Decimal

        # The wallet held 1000 before the bill (opening entry).
        opening = self.env["account.move"].create(
            {
                "journal_id": self.wallet_journal.id,
                "date": date(2024, 2, 29),
                "line_ids": [
                    Command.create(
                        {"account_id": self.wallet_account.id, "debit": 1000}
                    ),
                    Command.create(
                        {
                            "account_id": self.company_data[
                                "default_account_revenue"
                            ].id,
                            "credit": 1000,
                        }
                    ),
                ],
            }
        )
        opening.action_post()
        self._orders()
        bill = self._bill(
            [
                {
                    "order_ref": "PA-1",
                    "amount": "100",
                    "date": DAY1,
                    "balance": Decimal("1100"),
                },
                {
                    "amount": "-300",
                    "kind": "payout",
                    "date": DAY2,
                    "balance": Decimal("800"),
                },
            ],
            opening_balance=Decimal("1000"),
            closing_balance=Decimal("800"),
        )
        self.assertEqual(bill.consistency, "ok")
        bill.action_post()
        self.assertEqual(self._wallet_balance(), bill.closing_balance)
        payout_move = bill.line_ids.filtered(lambda x: x.kind == "payout").move_id
        transfer = payout_move.line_ids.filtered(
            lambda x: x.account_id == self.company.transfer_account_id
        )
        self.assertEqual(transfer.debit, 300)

    def _bank_line(self, amount, day, journal=None):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": (journal or self.bank_journal).id,
                "date": day,
                "amount": amount,
                "payment_ref": "Alipay withdrawal",
            }
        )

    def _payout_bill(self):
        self._orders()
        return self._bill(
            [
                {"order_ref": "PA-1", "amount": "100", "date": DAY1},
                {"amount": "-300", "kind": "payout", "date": DAY2},
                {"amount": "-40", "kind": "payout", "date": DAY2},
            ],
            name="payout.csv",
        )

    def test_payout_reconciles_with_matched_bank_line(self):
        bill = self._payout_bill()
        bank_300 = self._bank_line(300, date(2024, 3, 3))
        bank_other = self._bank_line(55, date(2024, 3, 3))
        bill.action_post()
        payout_300 = bill.line_ids.filtered(lambda r: r.amount == -300)
        payout_40 = bill.line_ids.filtered(lambda r: r.amount == -40)
        self.assertEqual(payout_300.statement_line_id, bank_300)
        self.assertFalse(payout_40.statement_line_id)
        self.assertEqual(bill.state, "posted")
        # The bank line is reconciled with the payout line of our entry.
        self.assertTrue(bank_300.is_reconciled)
        self.assertFalse(bank_other.is_reconciled)
        transfer = self.company.transfer_account_id
        ours = payout_300.move_id.line_ids.filtered(
            lambda x: x.account_id == transfer and x.debit == 300
        )
        self.assertEqual(len(ours), 1)
        self.assertTrue(ours.reconciled)
        bank_side = bank_300.move_id.line_ids.filtered(
            lambda x: x.account_id == transfer
        )
        self.assertEqual(bank_side.credit, 300)
        self.assertEqual(ours.full_reconcile_id, bank_side.full_reconcile_id)
        # The unmatched payout still posts wallet -> transfer, open.
        other = payout_40.move_id.line_ids.filtered(
            lambda x: x.account_id == transfer and x.debit == 40
        )
        self.assertEqual(len(other), 1)
        self.assertFalse(other.reconciled)
        # Wallet: +100 sale, -340 payouts.
        self.assertEqual(self._wallet_balance(), -240)

    def test_payout_bank_line_back_to_reconcile_after_reversal(self):
        bill = self._payout_bill()
        bank_300 = self._bank_line(300, date(2024, 3, 2))
        bill.action_post()
        self.assertTrue(bank_300.is_reconciled)
        bill.action_reverse()
        # The bank line waits in suspense again, still linked to its row.
        self.assertFalse(bank_300.is_reconciled)
        suspense = self.bank_journal.suspense_account_id
        self.assertIn(suspense, bank_300.move_id.line_ids.account_id)
        payout_300 = bill.line_ids.filtered(lambda r: r.amount == -300)
        self.assertEqual(payout_300.statement_line_id, bank_300)
        bill.action_post()
        self.assertTrue(bank_300.is_reconciled)
        self.assertEqual(self._wallet_balance(), -240)

    def test_payout_bank_line_reconciled_by_hand_is_left_alone(self):
        bill = self._payout_bill()
        bank_300 = self._bank_line(300, date(2024, 3, 2))
        # The accountant matched the bank line to something else first.
        _liquidity, suspense, _other = bank_300._seek_for_lines()
        suspense.account_id = self.company_data["default_account_revenue"]
        self.assertTrue(bank_300.is_reconciled)
        bill.action_post()
        payout_300 = bill.line_ids.filtered(lambda r: r.amount == -300)
        self.assertFalse(payout_300.statement_line_id)
        self.assertEqual(payout_300.match_state, "payout_unmatched")
        self.assertEqual(payout_300.move_id.state, "posted")

    def test_foreign_currency_shop(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": eur.id,
                "name": "2024-01-01",
                "rate": 0.9,
                "company_id": self.company.id,
            }
        )
        shop = self.env["ec.shop"].create(
            {
                "name": "EU shop",
                "code": "EU",
                "platform": "amazon",
                "currency_id": eur.id,
                "partner_id": self.platform_partner.id,
                "wallet_journal_id": self.wallet_journal.id,
                "tz": "UTC",
            }
        )
        bill = self._bill(
            [
                {"order_ref": "EU-1", "amount": "10.01", "date": DAY1},
                {"amount": "-0.03", "kind": "commission", "date": DAY1},
                {"amount": "-0.03", "kind": "payment_fee", "date": DAY1},
            ],
            shop=shop,
        )
        bill.action_post()
        move = bill.line_ids.move_id
        self.assertEqual(len(move), 1)
        self.assertEqual(move.state, "posted")
        self.assertAlmostEqual(sum(move.line_ids.mapped("balance")), 0.0)
        wallet = move.line_ids.filtered(
            lambda x: x.account_id == self.wallet_account and x.currency_id == eur
        )
        self.assertAlmostEqual(wallet.amount_currency, 9.95)
        self.assertAlmostEqual(wallet.balance, round(9.95 / 0.9, 2), places=2)

    def test_daily_invoices_many_orders_one_document(self):
        orders = self.env["sale.order"]
        for index in range(3):
            order = self._create_order(
                f"DI-{index}", [(self.product_a, 1, 10 * (index + 1))]
            )
            self._deliver(order)
            orders |= order
        invoices = self.env["sale.order"]._ec_invoice_delivered(self.shop)
        self.assertEqual(len(invoices), 1)
        self.assertEqual(invoices.amount_total, 60)
        self.assertEqual(invoices.state, "posted")
        self.assertEqual(set(orders.mapped("invoice_status")), {"invoiced"})
        bill = self._bill(
            [
                {"order_ref": f"DI-{i}", "amount": str(10 * (i + 1)), "date": DAY1}
                for i in range(3)
            ]
        )
        self._match()
        self.assertEqual(set(orders.mapped("ec_match_state")), {"settled"})
        bill.action_post()
        self.assertEqual(invoices.payment_state, "paid")

    def test_only_the_ledger_view_is_posted(self):
        order_a, _b, invoice_a, _ib = self._orders()
        rows = [
            {"order_ref": "PA-1", "amount": "100", "date": DAY1},
            {"order_ref": "PA-1", "amount": "-5", "kind": "commission", "date": DAY1},
        ]
        ledger = self._bill(rows, name="fundflow.csv")
        ledger.bill_type = "wechatpay_fundflow"
        detail = self._bill(rows, name="trade.csv")
        detail.bill_type = "wechatpay_tradebill"
        stats = (ledger | detail).action_post()
        self.assertEqual(stats["skipped_bills"], detail.ids)
        self.assertEqual(stats["rows"], 2)
        self.assertTrue(all(ledger.line_ids.move_id))
        self.assertFalse(detail.line_ids.move_id)
        self.assertEqual(detail.state, "matched")
        self.assertIn("Not posted", detail.message_ids[:1].body)
        self.assertEqual(self._wallet_balance(), 95, "the money once")
        self.assertEqual(invoice_a.payment_state, "paid")
        self.assertEqual(order_a.ec_settled_amount, 100)
        # Posting the detail bill alone does nothing either.
        self.assertEqual(detail.action_post()["moves"], 0)

    def test_merchant_coupon_of_an_order_clears_its_receivable(self):
        order = self._create_order(
            "MC-1", [(self.product_a, 1, 100), (self.product_b, 1, -10)]
        )
        self._deliver(order)
        invoice = self._invoice(order)
        self.assertEqual(invoice.amount_total, 90)
        bill = self._bill(
            [
                {"order_ref": "MC-1", "amount": "100", "date": DAY1},
                {
                    "order_ref": "MC-1",
                    "amount": "-10",
                    "kind": "merchant_coupon",
                    "date": DAY1,
                },
                # A seller-paid red packet naming no order stays an expense.
                {"amount": "-2", "kind": "merchant_coupon", "date": DAY1},
            ]
        )
        bill.action_post()
        self.assertEqual(invoice.payment_state, "paid")
        move = bill.line_ids.move_id
        receivable = move.line_ids.filtered(lambda x: x.account_id == self.receivable)
        self.assertEqual(receivable.credit, 90)
        coupon_account = self.mapping[(self.shop.id, "merchant_coupon")].account_id
        self.assertEqual(
            move.line_ids.filtered(lambda x: x.account_id == coupon_account).debit, 2
        )
        self.assertEqual(self._wallet_balance(), 88)

    def test_invoice_paid_notes_are_logged_once_per_order(self):
        order_a, order_b, _ia, _ib = self._orders()
        self._day_bill().action_post()
        for order in (order_a, order_b):
            notes = order.message_ids.filtered(lambda m: "paid" in (m.body or ""))
            self.assertEqual(len(notes), 1, order.name)
            self.assertIn(order.invoice_ids.name, notes.body)
