# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bad input: the corpus of tests/data/bad (see its README.md) plus hostile
archives generated here (ZIP bombs).

Every refused file gives a ``BillParseError`` naming the file and, where it
applies, the row and the field; through ``ec.settlement._import_file`` it
becomes a bill in state *Error* with its raw file kept and not one row
imported (not even the good rows of a file with one bad row). Accepted
oddities (thousands separators, columns in another order, Excel-mangled ids)
import exactly, mangled ids flagged and never repaired. Archives are refused
before they are expanded: memory stays bounded (tracemalloc).

The 200 MB bill is in tests/e2e/test_big_file.py (slow).
"""

import codecs
import io
import pathlib
import tracemalloc
import unittest
import zipfile
from decimal import Decimal

from odoo.tests import tagged

from ..parsers import BillParseError, parse_file, registry
from .common import EcReconcileCase

REPO = pathlib.Path(__file__).resolve().parents[3]
BAD = REPO / "tests" / "data" / "bad"
BILLS = pathlib.Path(__file__).resolve().parent / "data" / "bills"
MB = 1024 * 1024


def bad(name):
    return (BAD / name).read_bytes()


# file -> (row, field) the message must name; None: no row/field applies.
REFUSED = {
    "empty.csv": None,
    "blank_lines.csv": None,
    "binary.png": None,
    "header_only_jd.csv": (1, None),
    "truncated_jd.csv": (5, None),
    "truncated_stripe.json": None,
    "wrong_encoding_big5_jd.csv": None,
    "wrong_encoding_utf16_jd.csv": None,
    "invalid_bytes_jd.csv": None,
    "swapped_values_jd.csv": (3, "金额"),
    "missing_amount_column_jd.csv": (1, "金额"),
    "missing_order_column_jd.csv": (1, "订单编号"),
    "duplicated_header_line_jd.csv": (2, "金额"),
    "duplicated_column_name_jd.csv": (2, "金额"),
    "non_numeric_amount_jd.csv": (4, "金额"),
    "non_numeric_amounts_many_jd.csv": (2, "金额"),
    "nan_amount_stripe.json": (1, "amount"),
    "date_out_of_range_jd.csv": (3, "费用结算时间"),
    "date_far_future_jd.csv": (3, "费用结算时间"),
    "date_impossible_jd.csv": (3, "费用结算时间"),
    "date_out_of_range_stripe.json": (1, "created"),
    "zip_path_traversal.zip": None,
    "zip_absolute_path.zip": None,
    "zip_windows_drive.zip": None,
    "zip_without_bill.zip": None,
    "formulas.xlsx": (2, "Amount"),
    "absurd_amount_jd.csv": (3, "金额"),
}
ACCEPTED = (
    "thousands_separators_shopify.csv",
    "swapped_columns_jd.csv",
    "excel_mangled_ids_jd.csv",
)


# ---------------------------------------------------------------------------
# Hostile archives, generated (small files that would expand hugely)
# ---------------------------------------------------------------------------


def zip_of(members, method=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method, compresslevel=9) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def ratio_bomb(size=64 * MB):
    """64 MB of zeros in a ~64 KB archive (ratio about 1000)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bill.csv", "w", force_zip64=True) as member:
            chunk = b"0" * MB
            for _ in range(size // MB):
                member.write(chunk)
    return buffer.getvalue()


def lying_bomb():
    """A member declaring 1 000 bytes that expands to 32 MB."""
    data = bytearray(zip_of([("bill.csv", b"1" * (32 * MB))]))
    real = (32 * MB).to_bytes(4, "little")
    fake = (1000).to_bytes(4, "little")
    # Uncompressed size in the local header (offset 22) and central directory.
    assert data[22:26] == real
    data[22:26] = fake
    central = data.rindex(b"PK\x01\x02")
    assert data[central + 24 : central + 28] == real
    data[central + 24 : central + 28] = fake
    return bytes(data)


def nested_bomb():
    """A ZIP holding a ZIP holding 64 MB: each level is checked."""
    return zip_of([("inner.zip", ratio_bomb())], method=zipfile.ZIP_STORED)


def many_members():
    return zip_of(
        [(f"bill_{i}.csv", b"") for i in range(registry.MAX_ZIP_MEMBERS + 1)],
        method=zipfile.ZIP_STORED,
    )


BOMBS = {
    "bomb_ratio.zip": ratio_bomb,
    "bomb_nested.zip": nested_bomb,
    "bomb_many_members.zip": many_members,
}


def peak_memory(function, *args):
    """(result or exception, peak bytes allocated while running it)."""
    tracemalloc.start()
    try:
        try:
            result = function(*args)
        except Exception as error:  # noqa: BLE001 - returned to the caller
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@unittest.skipUnless(BAD.is_dir(), "tests/data/bad is not in this checkout")
class TestBadInputParsing(unittest.TestCase):
    """Plain Python: parse_file on every bad file."""

    def assertRefusedClearly(self, name, data, where):
        with self.assertRaises(BillParseError, msg=name) as caught:
            parse_file(name, data)
        message = str(caught.exception)
        self.assertIn(name, message, "the message names the file")
        if where:
            row, field = where
            self.assertIn(f"row {row}", message)
            if field:
                self.assertIn(f"field '{field}'", message)
        return message

    def test_corpus_complete(self):
        names = {
            p.name for p in BAD.iterdir() if p.suffix != ".py" and p.name != "README.md"
        }
        self.assertEqual(names, set(REFUSED) | set(ACCEPTED))

    def test_refused_files_name_file_row_and_field(self):
        for name, where in REFUSED.items():
            with self.subTest(name=name):
                self.assertRefusedClearly(name, bad(name), where)

    def test_messages_say_what_is_wrong(self):
        expected = {
            "empty.csv": "empty",
            "binary.png": "binary",
            "header_only_jd.csv": "no data rows",
            "truncated_jd.csv": "truncated",
            "truncated_stripe.json": "truncated",
            "non_numeric_amount_jd.csv": "not a number: '十五元'",
            "date_out_of_range_jd.csv": "date out of range",
            "date_impossible_jd.csv": "not a date",
            "zip_path_traversal.zip": "points outside the archive",
            "zip_absolute_path.zip": "points outside the archive",
            "zip_windows_drive.zip": "points outside the archive",
            "formulas.xlsx": "formula",
        }
        for name, text in expected.items():
            with self.subTest(name=name), self.assertRaises(BillParseError) as caught:
                parse_file(name, bad(name))
            self.assertIn(text, str(caught.exception))

    def test_every_bad_row_is_listed(self):
        with self.assertRaises(BillParseError) as caught:
            parse_file("many.csv", bad("non_numeric_amounts_many_jd.csv"))
        error = caught.exception
        self.assertEqual(error.total, 2)
        self.assertEqual([e.row for e in error.errors], [2, 3])
        self.assertEqual({e.field for e in error.errors}, {"金额"})

    def test_missing_column_is_named(self):
        """A recognisable layout with a required column missing says which
        column of which header row, instead of "unknown layout"."""
        for name, column in (
            ("missing_amount_column_jd.csv", "金额"),
            ("missing_order_column_jd.csv", "订单编号"),
        ):
            with self.subTest(name=name), self.assertRaises(BillParseError) as caught:
                parse_file(name, bad(name))
            error = caught.exception
            self.assertEqual((error.row, error.field), (1, column))
            self.assertIn("required column(s)", str(error))
            self.assertIn("JD settlement detail", str(error))
            self.assertNotIn("unknown bill layout", str(error))

    def test_unrecognisable_header_is_still_unknown(self):
        """Two matching column names do not make a layout: no parser blamed."""
        data = "金额,备注,Foo\n1.00,x,y\n".encode()
        with self.assertRaises(BillParseError) as caught:
            parse_file("few.csv", data)
        self.assertIn("unknown bill layout", str(caught.exception))

    def test_utf16_with_bom_is_decoded(self):
        """Excel's "Unicode text" (UTF-16 LE with BOM, TAB) and UTF-16 BE
        read exactly like the UTF-8 original."""
        original = (BILLS / "jd_settlement_detail.csv").read_bytes()
        [expected] = parse_file("jd.csv", original)
        text = original.decode("gb18030")
        variants = {
            "le.csv": codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
            "be.csv": codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
            "le_tab.txt": codecs.BOM_UTF16_LE
            + text.replace(",", "\t").encode("utf-16-le"),
        }
        for name, data in variants.items():
            with self.subTest(name=name):
                [bill] = parse_file(name, data)
                self.assertEqual(bill.bill_type, expected.bill_type)
                self.assertEqual(
                    [(li.transaction_id, li.kind, li.amount) for li in bill.lines],
                    [(li.transaction_id, li.kind, li.amount) for li in expected.lines],
                )

    def test_utf16_without_bom_says_so(self):
        message = self.assertRefusedClearly(
            "wrong_encoding_utf16_jd.csv", bad("wrong_encoding_utf16_jd.csv"), None
        )
        self.assertIn("UTF-16", message)

    def test_undecodable_text_says_so(self):
        message = self.assertRefusedClearly(
            "invalid_bytes_jd.csv", bad("invalid_bytes_jd.csv"), None
        )
        self.assertIn("cannot decode", message)

    def test_thousands_separators_accepted_exactly(self):
        [bill] = parse_file("t.csv", bad("thousands_separators_shopify.csv"))
        amounts = [line.amount for line in bill.lines]
        self.assertIn(Decimal("1120.00"), amounts)
        self.assertIn(Decimal("-3.78"), amounts)
        original = parse_file(
            "s.csv", (BILLS / "shopify_payment_transactions.csv").read_bytes()
        )
        self.assertEqual(bill.total - original[0].total, Decimal("1000.00"))

    def test_columns_in_another_order_accepted(self):
        [swapped] = parse_file("s.csv", bad("swapped_columns_jd.csv"))
        [original] = parse_file(
            "o.csv", (BILLS / "jd_settlement_detail.csv").read_bytes()
        )

        def key(bill):
            return [
                (li.transaction_id, li.kind, li.amount, li.order_ref)
                for li in bill.lines
            ]

        self.assertEqual(key(swapped), key(original))

    def test_excel_mangled_ids_flagged_never_repaired(self):
        [bill] = parse_file("m.csv", bad("excel_mangled_ids_jd.csv"))
        flagged = [line for line in bill.lines if "mangled_id" in line.flags]
        self.assertEqual(len(flagged), len(bill.lines))
        self.assertEqual({line.order_ref for line in flagged}, {"3.00012E+11"})

    def test_zip_bombs_refused_before_expanding(self):
        for name, make in BOMBS.items():
            data = make()
            self.assertLess(len(data), 2 * MB, name)
            with self.subTest(name=name):
                error, peak = peak_memory(parse_file, name, data)
                self.assertIsInstance(error, BillParseError, repr(error))
                self.assertIn(name, str(error))
                # Never more than a few times the archive itself in memory.
                self.assertLess(peak, 8 * MB + 4 * len(data), f"{name}: {peak} bytes")

    def test_lying_header_bomb_reads_only_the_declared_size(self):
        error, peak = peak_memory(parse_file, "lying.zip", lying_bomb())
        self.assertIsInstance(error, Exception)
        self.assertLess(peak, 8 * MB, "32 MB never expanded")

    def test_lying_header_bomb_refused(self):
        with self.assertRaises(BillParseError) as caught:
            parse_file("lying.zip", lying_bomb())
        self.assertIn("lying.zip", str(caught.exception))
        self.assertIn("'bill.csv'", str(caught.exception))

    def test_bad_files_parse_in_bounded_memory(self):
        for name in REFUSED:
            data = bad(name)
            with self.subTest(name=name):
                _result, peak = peak_memory(parse_file, name, data)
                self.assertLess(peak, 4 * MB + 50 * len(data), name)


@unittest.skipUnless(BAD.is_dir(), "tests/data/bad is not in this checkout")
@tagged("post_install", "-at_install")
class TestBadInputImport(EcReconcileCase):
    """Through ec.settlement._import_file: error bill, raw file kept, no row."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cny, usd = cls.env.ref("base.CNY"), cls.env.ref("base.USD")
        (cny | usd).active = True
        cls.shops = {
            "jd": cls._create_shop("JD", code="BJD", platform="jd", currency_id=cny.id),
            "shopify": cls._create_shop(
                "Shopify", code="BSH", platform="shopify", currency_id=usd.id
            ),
            "stripe": cls._create_shop(
                "Stripe", code="BST", platform="stripe", currency_id=usd.id
            ),
        }
        cls.Bill = cls.env["ec.settlement"]
        cls.Line = cls.env["ec.settlement.line"]

    def shop_for(self, name):
        for platform, shop in self.shops.items():
            if platform in name:
                return shop
        return self.shops["jd"]

    def assertErrorBill(self, name, data, where=None):
        shop = self.shop_for(name)
        rows_before = self.Line.search_count([])
        bills = self.Bill._import_file(name, data, shop=shop)
        self.assertEqual(len(bills), 1, name)
        bill = bills
        self.assertEqual(bill.state, "error", f"{name}: {bill.error_message}")
        self.assertIn(name, bill.error_message)
        if where:
            row, field = where
            self.assertIn(f"row {row}", bill.error_message)
            if field:
                self.assertIn(f"field '{field}'", bill.error_message)
        self.assertTrue(bill.attachment_id, "raw file kept")
        self.assertEqual(bill.attachment_id.raw or b"", data)
        self.assertTrue(bill.file_sha256)
        self.assertFalse(bill.line_ids)
        self.assertEqual(bill.line_count, 0)
        self.assertEqual(self.Line.search_count([]), rows_before, "no row at all")
        return bill

    def test_every_refused_file_becomes_an_error_bill(self):
        for name, where in REFUSED.items():
            with self.subTest(name=name):
                self.assertErrorBill(name, bad(name), where)

    def test_one_bad_row_imports_no_row_of_the_file(self):
        bill = self.assertErrorBill(
            "non_numeric_amount_jd.csv", bad("non_numeric_amount_jd.csv"), (4, "金额")
        )
        self.assertFalse(
            self.Line.search_count([("shop_id", "=", self.shops["jd"].id)])
        )
        # Retrying the same raw file fails the same way, in place.
        bill.action_retry()
        self.assertEqual(bill.state, "error")
        self.assertEqual(
            self.Bill.search_count([("file_sha256", "=", bill.file_sha256)]), 1
        )
        self.assertFalse(bill.line_ids)

    def test_zip_bombs_become_error_bills(self):
        for name, make in BOMBS.items():
            with self.subTest(name=name):
                self.assertErrorBill(name, make())

    def test_lying_header_bomb_becomes_an_error_bill(self):
        self.assertErrorBill("bomb_lying_header.zip", lying_bomb())

    def test_accepted_oddities_import_exactly(self):
        shopify = self.Bill._import_file(
            "thousands.csv",
            bad("thousands_separators_shopify.csv"),
            shop=self.shops["shopify"],
        )
        self.assertEqual(shopify.state, "parsed", shopify.error_message)
        self.assertIn(1120.0, shopify.line_ids.mapped("amount"))
        mangled = self.Bill._import_file(
            "mangled.csv", bad("excel_mangled_ids_jd.csv"), shop=self.shops["jd"]
        )
        self.assertEqual(mangled.state, "parsed", mangled.error_message)
        self.assertEqual(mangled.mangled_id_count, mangled.parsed_count)
        self.assertEqual(set(mangled.line_ids.mapped("order_ref")), {"3.00012E+11"})
        self.assertTrue(
            all("mangled_id" in f for f in mangled.line_ids.mapped("flags"))
        )
