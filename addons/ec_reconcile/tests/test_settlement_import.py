# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The import path: raw file kept, rows in bulk, idempotency, bad input."""

import base64
import hashlib
import json
import pathlib
from decimal import Decimal
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..tools import ledger
from .common import EcReconcileCase

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"


def read(name):
    return (DATA / name).read_bytes()


def stripe_page(items):
    return json.dumps(
        {
            "object": "list",
            "url": "/v1/balance_transactions",
            "has_more": False,
            "data": items,
        }
    ).encode()


def stripe_txn(txn_id, amount, fee=0, txn_type="charge", created=1709251200):
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "created": created,
        "currency": "usd",
        "description": f"Synthetic {txn_type}",
        "fee": fee,
        "fee_details": (
            [
                {
                    "amount": fee,
                    "currency": "usd",
                    "description": "Stripe processing",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        ),
        "net": amount - fee,
        "reporting_category": txn_type,
        "source": f"ch_{txn_id[4:]}",
        "status": "available",
        "type": txn_type,
    }


@tagged("post_install", "-at_install")
class TestSettlementImport(EcReconcileCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cny = cls.env.ref("base.CNY")
        cls.usd = cls.env.ref("base.USD")
        (cls.cny | cls.usd).active = True
        cls.douyin = cls._create_shop(
            "Douyin", code="DY", platform="douyin", currency_id=cls.cny.id
        )
        cls.stripe = cls._create_shop(
            "Stripe", code="ST", platform="stripe", currency_id=cls.usd.id
        )
        cls.channels = cls._create_shop(
            "Channels", code="WC", platform="wechat_channels", currency_id=cls.cny.id
        )
        cls.Bill = cls.env["ec.settlement"]
        cls.Line = cls.env["ec.settlement.line"]

    def _import(self, name, data=None, shop=None):
        data = read(name) if data is None else data
        return self.Bill._import_file(name, data, shop=shop)

    def test_import_keeps_raw_file_and_rows(self):
        data = read("douyin_settle_bill_detail_v3.json")
        bill = self._import("douyin_settle_bill_detail_v3.json")
        self.assertEqual(len(bill), 1)
        self.assertEqual(bill.state, "parsed", bill.error_message)
        self.assertEqual(bill.shop_id, self.douyin, "detected from the platform")
        self.assertEqual(bill.attachment_id.raw, data)
        self.assertEqual(bill.file_sha256, hashlib.sha256(data).hexdigest())
        self.assertEqual(bill.bill_type, "douyin_settle_bill")
        self.assertTrue(bill.parser_version)
        self.assertEqual(bill.line_count, len(bill.line_ids))
        self.assertEqual(bill.parsed_count, bill.line_count)
        self.assertGreater(bill.line_count, 3)
        total = sum(Decimal(str(a)) for a in bill.line_ids.mapped("amount"))
        self.assertEqual(total, Decimal(str(bill.total_amount)))
        self.assertEqual(bill.consistency, "ok")
        line = bill.line_ids.filtered(lambda x: x.kind == "sale")[:1]
        self.assertTrue(line.order_ref)
        self.assertEqual(line.currency_id, self.cny)
        self.assertEqual(line.platform, "douyin")
        self.assertEqual(line.company_id, self.company)
        self.assertIsInstance(line.raw, dict)

    def test_reimport_same_file_changes_nothing(self):
        bill = self._import("douyin_settle_bill_detail_v3.json")
        rows = self.Line.search_count([])
        again = self._import("douyin_settle_bill_detail_v3.json")
        self.assertEqual(again, bill)
        self.assertTrue(again.env.context.get("ec_already_imported"))
        self.assertEqual(self.Line.search_count([]), rows)
        self.assertEqual(self.Bill.search_count([]), 1)
        self.assertIn("already imported", bill.message_ids[0].body)

    def test_overlapping_bill_adds_only_new_rows(self):
        first = [stripe_txn("txn_A1", 5000, 175), stripe_txn("txn_A2", 12000, 378)]
        bill1 = self._import("stripe_1.json", stripe_page(first))
        self.assertEqual(bill1.state, "parsed", bill1.error_message)
        self.assertEqual(bill1.line_count, 4)  # 2 charges + 2 fees
        second = [*first, stripe_txn("txn_A3", 7500, 248)]
        bill2 = self._import("stripe_2.json", stripe_page(second))
        self.assertEqual(bill2.line_count, 2)
        self.assertEqual(bill2.duplicate_count, 4)
        self.assertEqual(bill2.conflict_count, 0)
        self.assertEqual(self.Line.search_count([("shop_id", "=", self.stripe.id)]), 6)

    def test_repeated_id_with_other_data_is_flagged_not_overwritten(self):
        self._import("stripe_1.json", stripe_page([stripe_txn("txn_B1", 5000)]))
        changed = stripe_page([stripe_txn("txn_B1", 4000)])
        bill2 = self._import("stripe_2.json", changed)
        self.assertEqual(bill2.line_count, 0)
        self.assertEqual(bill2.conflict_count, 1)
        self.assertEqual(bill2.conflicts[0]["transaction_id"], "txn_B1")
        stored = self.Line.search([("transaction_id", "=", "txn_B1")])
        self.assertEqual(len(stored), 1)
        self.assertEqual(stored.amount, 50.0, "never silently overwritten")
        self.assertTrue(stored.is_conflict)
        self.assertIn("conflict", stored.flags)

    def test_unknown_file_kept_in_error_without_rows(self):
        data = b"hello,world\n1,2\n"
        bill = self._import("mystery.csv", data, shop=self.stripe)
        self.assertEqual(bill.state, "error")
        self.assertIn("mystery.csv", bill.error_message)
        self.assertIn("unknown bill layout", bill.error_message)
        self.assertEqual(bill.attachment_id.raw, data)
        self.assertFalse(bill.line_ids)

    def test_empty_and_binary_files_refused_clearly(self):
        empty = self._import("empty.csv", b"", shop=self.stripe)
        self.assertEqual(empty.state, "error")
        self.assertIn("empty.csv: the file is empty", empty.error_message)
        binary = self._import(
            "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", shop=self.stripe
        )
        self.assertEqual(binary.state, "error")
        self.assertIn("binary", binary.error_message)

    def test_bad_rows_import_nothing_and_name_row_and_field(self):
        bill = self._import("stripe_bad_rows.json", shop=self.stripe)
        self.assertEqual(bill.state, "error")
        self.assertIn("stripe_bad_rows.json", bill.error_message)
        self.assertIn("row", bill.error_message)
        self.assertIn("field", bill.error_message)
        self.assertFalse(self.Line.search_count([("shop_id", "=", self.stripe.id)]))

    def test_truncated_file_refused(self):
        bill = self._import("douyin_settle_truncated.json", shop=self.douyin)
        self.assertEqual(bill.state, "error")
        self.assertIn("douyin_settle_truncated.json", bill.error_message)
        self.assertFalse(bill.line_ids)

    def test_wrong_platform_and_currency_refused(self):
        wrong_shop = self._import("stripe_balance_transactions.json", shop=self.douyin)
        self.assertEqual(wrong_shop.state, "error")
        self.assertIn("another platform", wrong_shop.error_message)
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.stripe.currency_id = eur
        wrong_currency = self._import("stripe_balance_transactions.json")
        self.assertEqual(wrong_currency.state, "error")
        self.assertIn("is in USD", wrong_currency.error_message)
        self.assertIn("EUR", wrong_currency.error_message)
        self.assertFalse(self.Line.search_count([("shop_id", "=", self.stripe.id)]))

    def test_ambiguous_shop_then_fix_and_retry(self):
        self._create_shop(
            "Douyin 2", code="DY2", platform="douyin", currency_id=self.cny.id
        )
        bill = self._import("douyin_settle_bill_detail_v3.json")
        self.assertEqual(bill.state, "error")
        self.assertIn("cannot tell which shop", bill.error_message)
        self.assertIn("2 shops", bill.error_message)
        bill.shop_id = self.douyin
        bill.action_retry()
        self.assertEqual(bill.state, "parsed", bill.error_message)
        self.assertFalse(bill.error_message)
        self.assertGreater(bill.line_count, 0)
        self.assertEqual(self.Bill.search_count([]), 1, "retried in place")

    def test_balances_checked(self):
        bill = self._import("wechat_channels_detail_pages.json")
        self.assertEqual(bill.state, "parsed", bill.error_message)
        self.assertTrue(bill.has_balances)
        self.assertEqual(bill.opening_balance + bill.total_amount, bill.closing_balance)
        self.assertEqual(bill.consistency, "ok")

    def test_wizard_uploads_several_files(self):
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": name,
                    "datas": base64.b64encode(read(name)),
                    "res_model": "ec.settlement.import",
                }
                for name in (
                    "douyin_settle_bill_detail_v3.json",
                    "stripe_balance_transactions.json",
                )
            ]
        )
        wizard = self.env["ec.settlement.import"].create(
            {"attachment_ids": [(6, 0, attachments.ids)]}
        )
        result = wizard.action_import()
        self.assertEqual(result["params"]["type"], "success")
        bills = self.Bill.search([])
        self.assertEqual(set(bills.mapped("shop_id.code")), {"DY", "ST"})
        # The wizard matches what it imported.
        self.assertEqual(set(bills.mapped("state")), {"matched"})

    def test_company_b_rows_invisible_to_company_a_user(self):
        company_b = self._create_company("EC B")
        shop_b = self._create_shop(
            "Stripe B",
            code="SB",
            platform="stripe",
            company=company_b,
            currency_id=self.usd.id,
        )
        bill_b = self._import("stripe_balance_transactions.json", shop=shop_b)
        self.assertEqual(bill_b.state, "parsed", bill_b.error_message)
        self.assertEqual(bill_b.company_id, company_b)
        user_a = self._create_user(
            "ec_import_a", ["ec_reconcile.ec_reconcile_group_user"]
        )
        self.assertFalse(
            self.Line.with_user(user_a).search([("shop_id", "=", shop_b.id)])
        )
        self.assertFalse(self.Bill.with_user(user_a).search([("id", "=", bill_b.id)]))
        with self.assertRaises(AccessError):
            bill_b.line_ids[:1].with_user(user_a).read(["amount"])
        with self.assertRaises(AccessError):
            bill_b.line_ids[:1].with_user(user_a).read(["raw"])
        raw_b = self.env["ec.settlement.raw.row"].search(
            [("settlement_id", "=", bill_b.id)]
        )
        self.assertTrue(raw_b)
        self.assertFalse(
            self.env["ec.settlement.raw.row"]
            .with_user(user_a)
            .search([("id", "in", raw_b.ids)])
        )


@tagged("post_install", "-at_install")
class TestSettlementImportStorage(EcReconcileCase):
    """How rows are stored: raw rows once, chunks, indexes, raw file, chatter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.env.ref("base.USD")
        cls.usd.active = True
        cls.stripe = cls._create_shop(
            "Stripe", code="ST", platform="stripe", currency_id=cls.usd.id
        )
        cls.Bill = cls.env["ec.settlement"]
        cls.RawRow = cls.env["ec.settlement.raw.row"]

    def _import(self, name, items, source="upload"):
        return self.Bill._import_file(
            name, stripe_page(items), shop=self.stripe, source=source
        )

    def _raw_rows(self, bill):
        return self.RawRow.search([("settlement_id", "=", bill.id)])

    def test_raw_row_stored_once_per_source_row(self):
        items = [stripe_txn("txn_R1", 5000, 175), stripe_txn("txn_R2", 12000, 378)]
        bill = self._import("stripe_raw.json", items)
        self.assertEqual(bill.line_count, 4)  # each charge with its fee line
        raw_rows = self._raw_rows(bill)
        self.assertEqual(len(raw_rows), 2, "one raw row per source row")
        self.assertEqual(
            sorted(row.raw["id"] for row in raw_rows), ["txn_R1", "txn_R2"]
        )
        by_number = {row.row_number: row.raw for row in raw_rows}
        for line in bill.line_ids:
            self.assertEqual(line.raw, by_number[line.row_number])
            self.assertIn(line.raw["id"], line.transaction_id)
        # An overlapping bill stores the raw rows of its new lines only.
        bill2 = self._import("stripe_raw_2.json", [*items, stripe_txn("txn_R3", 700)])
        self.assertEqual((bill2.line_count, bill2.duplicate_count), (1, 4))
        self.assertEqual([row.raw["id"] for row in self._raw_rows(bill2)], ["txn_R3"])
        self.assertEqual(bill2.line_ids.raw["id"], "txn_R3")
        # Deleted with their bill.
        bill2.unlink()
        self.assertFalse(self.RawRow.search_count([("settlement_id", "=", bill2.id)]))
        self.assertEqual(len(self._raw_rows(bill)), 2)

    def test_chunks_insert_everything_once_and_flag_conflicts(self):
        items = [stripe_txn(f"txn_C{n}", 1000 + n, 30) for n in range(7)]
        with (
            patch.object(ledger, "CHUNK_LINES", 3),
            patch.object(ledger, "MAX_CONFLICT_DETAILS", 1),
        ):
            bill = self._import("stripe_chunks.json", items)
            self.assertEqual((bill.line_count, bill.parsed_count), (14, 14))
            self.assertEqual(len(self._raw_rows(bill)), 7)
            for line in bill.line_ids:
                self.assertIn(line.raw["id"], line.transaction_id)
            # Same rows, two of them (in different chunks) with other amounts.
            changed = list(items)
            changed[1] = stripe_txn("txn_C1", 999, 30)
            changed[6] = stripe_txn("txn_C6", 999, 30)
            again = self._import("stripe_chunks_2.json", changed)
        self.assertEqual(again.line_count, 0)
        self.assertEqual(again.conflict_count, 2)
        self.assertEqual(again.duplicate_count, 12)
        self.assertEqual(len(again.conflicts), 1, "details capped, all counted")
        self.assertEqual(again.conflicts[0]["raw"]["id"], "txn_C1")
        flagged = bill.line_ids.filtered("is_conflict")
        self.assertEqual(len(flagged), 2)
        self.assertEqual({line.raw["id"] for line in flagged}, {"txn_C1", "txn_C6"})
        self.assertFalse(self._raw_rows(again))

    def test_chunk_bounds_keep_source_rows_together(self):
        class Line:
            def __init__(self, row_number):
                self.row_number = row_number

        lines = [Line(n) for n in (1, 1, 2, 2, 2, 3, 4, 4, None, None)]
        bounds = list(ledger._chunk_bounds(lines, 3))
        self.assertEqual(bounds, [(0, 5), (5, 8), (8, 10)])
        self.assertEqual(list(ledger._chunk_bounds(lines, 100)), [(0, 10)])
        self.assertEqual(list(ledger._chunk_bounds([], 3)), [])

    def test_only_needed_indexes_on_lines(self):
        self.env.cr.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'ec_settlement_line'"
        )
        names = {row[0] for row in self.env.cr.fetchall()}
        Line = self.env["ec.settlement.line"]
        self.assertFalse(names & set(Line._obsolete_indexes()))
        self.assertIn("ec_settlement_line_shop_channel_transaction_uniq", names)
        self.assertIn("ec_settlement_line__settlement_id_index", names)
        self.env.cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'ec_settlement_line' AND column_name IN "
            "('raw', 'create_uid', 'write_uid', 'create_date', 'write_date')"
        )
        self.assertFalse(
            self.env.cr.fetchall(),
            "raw rows live in their own table; lines have no log columns",
        )

    def test_raw_file_kept_not_indexed(self):
        data = b"hello,world\nsome,text\n"
        bill = self.Bill._import_file("mystery.csv", data, shop=self.stripe)
        self.assertEqual(bill.state, "error")
        attachment = bill.attachment_id.sudo()
        self.assertEqual(attachment.raw, data)
        self.assertFalse(attachment.index_content)

    def test_script_import_logged_in_chatter(self):
        items = [stripe_txn("txn_S1", 5000, 175)]
        bill = self._import("stripe_script.json", items, source="script")
        note = bill.message_ids[0]
        self.assertIn("Imported stripe_script.json", note.body)
        self.assertIn("2 new", note.body)
        self.assertEqual(note.author_id, self.env.user.partner_id)
        again = self._import("stripe_script.json", items, source="api")
        self.assertEqual(again, bill)
        self.assertIn("already imported", bill.message_ids[0].body)
