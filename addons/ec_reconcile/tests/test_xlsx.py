# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Safe XLSX cells (tools/xlsx.py): types, formats, formula neutralisation."""

import datetime as dt
import io
import unittest
from decimal import Decimal

from openpyxl import Workbook, load_workbook

from odoo.addons.ec_reconcile.tools import xlsx
from odoo.addons.ec_reconcile.tools.xlsx import Column


def _roundtrip(columns, rows, title_lines=()):
    data = xlsx.build_workbook(
        [
            {
                "title": "Report",
                "columns": columns,
                "rows": rows,
                "title_lines": title_lines,
            }
        ]
    )
    return load_workbook(io.BytesIO(data))["Report"]


class TestNeutralize(unittest.TestCase):
    def test_formula_triggers_get_an_apostrophe(self):
        for text in ("=1+1", "+86 138", "-2+3", "@SUM(A1)", "\tx", "\r=x"):
            self.assertEqual(xlsx.neutralize(text), "'" + text, text)

    def test_plain_text_is_kept(self):
        for text in ("Tmall 旗舰店", "12-34", "a=b", "", "'quoted"):
            self.assertEqual(xlsx.neutralize(text), text)

    def test_illegal_control_characters_are_dropped(self):
        self.assertEqual(xlsx.neutralize("a\x00b\x1fc\nd"), "abc\nd")
        # After the strip the text starts with "=": still neutralised.
        self.assertEqual(xlsx.neutralize("\x01=cmd"), "'=cmd")


class TestWriteCell(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.sheet = Workbook().active

    def test_text_cells_are_strings_never_formulas(self):
        for col, text in enumerate(
            ('=HYPERLINK("http://x")', "+1", "-1", "@x", "#N/A", "=A1"), start=1
        ):
            cell = xlsx.write_cell(self.sheet, 1, col, text, xlsx.TEXT)
            self.assertEqual(cell.data_type, "s", text)
            self.assertEqual(cell.number_format, "@")
        self.assertEqual(self.sheet.cell(1, 1).value, '\'=HYPERLINK("http://x")')
        self.assertEqual(self.sheet.cell(1, 5).value, "#N/A", "error code kept as text")

    def test_amounts_are_numbers_with_two_decimals(self):
        cell = xlsx.write_cell(self.sheet, 1, 1, Decimal("1234.5"), xlsx.AMOUNT)
        self.assertEqual(cell.data_type, "n")
        self.assertEqual(cell.value, 1234.5)
        self.assertEqual(cell.number_format, "#,##0.00")
        cell = xlsx.write_cell(self.sheet, 1, 2, 0.1 + 0.2, xlsx.AMOUNT)
        self.assertEqual(cell.value, 0.3, "rounded to cents")
        cell = xlsx.write_cell(self.sheet, 1, 3, Decimal("2.345"), xlsx.AMOUNT)
        self.assertEqual(cell.value, 2.35, "half up")
        cell = xlsx.write_cell(self.sheet, 1, 4, "-12.50", xlsx.AMOUNT)
        self.assertEqual((cell.data_type, cell.value), ("n", -12.5))

    def test_non_numeric_value_in_a_number_column_becomes_safe_text(self):
        cell = xlsx.write_cell(self.sheet, 1, 1, "=1+2", xlsx.AMOUNT)
        self.assertEqual((cell.data_type, cell.value), ("s", "'=1+2"))
        cell = xlsx.write_cell(self.sheet, 1, 2, "NaN", xlsx.AMOUNT)
        self.assertEqual(cell.data_type, "s")

    def test_integers_percent_dates(self):
        cell = xlsx.write_cell(self.sheet, 1, 1, 42, xlsx.INTEGER)
        self.assertEqual((cell.value, cell.number_format), (42, "0"))
        cell = xlsx.write_cell(self.sheet, 1, 2, 12.5, xlsx.PERCENT)
        self.assertEqual((cell.value, cell.number_format), (0.125, "0.00%"))
        cell = xlsx.write_cell(self.sheet, 1, 3, dt.date(2024, 3, 1), xlsx.DATE)
        self.assertEqual(cell.number_format, "yyyy-mm-dd")
        self.assertEqual(cell.data_type, "d")
        moment = dt.datetime(2024, 3, 1, 10, 30)
        cell = xlsx.write_cell(self.sheet, 1, 4, moment, xlsx.DATETIME)
        self.assertEqual(cell.value, moment)

    def test_empty_values(self):
        for col, kind in enumerate((xlsx.TEXT, xlsx.AMOUNT, xlsx.DATE), start=1):
            for value in (None, False, ""):
                cell = xlsx.write_cell(self.sheet, 1, col, value, kind)
                self.assertIsNone(cell.value)

    def test_long_ids_stay_text(self):
        ref = "2024031212345678901234"
        cell = xlsx.write_cell(self.sheet, 1, 1, ref, xlsx.TEXT)
        self.assertEqual((cell.data_type, cell.value), ("s", ref))
        # An id read as a number still lands as its exact digits.
        cell = xlsx.write_cell(self.sheet, 1, 2, 12345678901234567890, xlsx.TEXT)
        self.assertEqual(cell.value, "12345678901234567890")

    def test_unknown_column_type(self):
        with self.assertRaises(ValueError):
            Column("x", "X", "money")


class TestWorkbook(unittest.TestCase):
    def test_roundtrip_keeps_types_and_formats(self):
        columns = [
            Column("order_ref", "Platform Order"),
            Column("shop", "Shop"),
            Column("date", "Day", xlsx.DATE),
            Column("rows", "Rows", xlsx.INTEGER),
            Column("amount", "Amount", xlsx.AMOUNT),
            Column("rate", "Fee Rate", xlsx.PERCENT),
        ]
        rows = [
            {
                "order_ref": "4000123456789012345",
                "shop": "=cmd|' /C calc'!A0",
                "date": dt.date(2024, 3, 5),
                "rows": 3,
                "amount": Decimal("-1234.5"),
                "rate": 5.25,
            },
            {"order_ref": False, "shop": "@risk", "amount": 7},
        ]
        sheet = _roundtrip(columns, rows, title_lines=["Income", "-2024-03"])
        self.assertEqual(sheet["A1"].value, "Income")
        self.assertEqual(sheet["A2"].value, "'-2024-03", "title lines are neutralised")
        header = [cell.value for cell in sheet[4]]
        self.assertEqual(header, [c.label for c in columns])
        first = sheet[5]
        self.assertEqual(first[0].value, "4000123456789012345")
        self.assertEqual(first[0].data_type, "s")
        self.assertEqual(first[1].value, "'=cmd|' /C calc'!A0")
        self.assertEqual(first[1].data_type, "s")
        self.assertEqual(first[2].value.date(), dt.date(2024, 3, 5))
        self.assertEqual(first[3].value, 3)
        self.assertEqual(first[4].value, -1234.5)
        self.assertEqual(first[4].data_type, "n")
        self.assertEqual(first[4].number_format, "#,##0.00")
        self.assertEqual(first[5].value, 0.0525)
        second = sheet[6]
        self.assertIsNone(second[0].value)
        self.assertEqual(second[1].value, "'@risk")
        self.assertEqual(second[4].value, 7)
        self.assertEqual(second[4].number_format, "#,##0.00")
        self.assertEqual(sheet.freeze_panes, "A5")
        # No formula anywhere in the file.
        for row in sheet.iter_rows():
            for cell in row:
                self.assertNotEqual(cell.data_type, "f", cell.coordinate)

    def test_sheet_titles(self):
        self.assertEqual(
            xlsx.safe_sheet_title("Profit [shop/SKU]: 2024?"), "Profit  shop SKU   2024"
        )
        self.assertEqual(len(xlsx.safe_sheet_title("x" * 50)), 31)
        data = xlsx.build_workbook(
            [
                {"title": "Same", "columns": [Column("a", "A")], "rows": []},
                {"title": "same", "columns": [Column("a", "A")], "rows": []},
            ]
        )
        self.assertEqual(
            load_workbook(io.BytesIO(data)).sheetnames, ["Same", "same (2)"]
        )
