# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The order file reader alone (plain Python, no database)."""

import unittest

from odoo.addons.ec_connectors.tools import OrderFileError, read_order_file


def errors_of(content, filename="o.csv"):
    try:
        read_order_file(filename, content.encode())
    except OrderFileError as error:
        return error.errors
    return []


class TestOrderFileReader(unittest.TestCase):
    def test_missing_column(self):
        self.assertEqual(
            errors_of("order_no,status,sku\nA,paid,X\n"),
            [
                "o.csv, row 1: missing required column(s) quantity (the first row "
                "must name the columns)"
            ],
        )

    def test_every_bad_cell_is_named(self):
        errors = errors_of(
            "order_no,status,sku,quantity,price,order_date\n"
            "3.71235E+18,paid,X,1,,\n"
            "B,paid,X,1,12,\n"
            "B,refunded,Y,1,,\n"
            "C,lost,X,0,,2024-13-01\n"
        )
        self.assertEqual(
            errors,
            [
                "o.csv, row 2, column order_no: '3.71235E+18' looks like a number "
                "mangled by a spreadsheet (store order numbers as text)",
                "o.csv, row 4, column status: refunded differs from paid on row 3 "
                "of the same order B",
                "o.csv, row 5, column status: 'lost' is not a status (pending, paid, "
                "shipped, refunded, cancelled)",
                "o.csv, row 5, column quantity: '0' must be a number greater than 0",
                "o.csv, row 5, column order_date: '2024-13-01' is not a date "
                "(YYYY-MM-DD HH:MM:SS)",
            ],
        )

    def test_decimal_comma_is_refused(self):
        errors = errors_of("order_no;status;sku;quantity;price\nA;paid;X;1;12,5\n")
        self.assertEqual(
            errors,
            [
                "o.csv, row 2, column price: '12,5' is not a number (use a dot as "
                "decimal point)"
            ],
        )

    def test_gbk_semicolons_and_chinese_headers(self):
        content = "订单号;状态;商家编码;数量;单价\nA-1;已付款;SKU-A;2;1,234.50\n"
        orders = read_order_file("gbk.csv", content.encode("gb18030"))
        self.assertEqual(len(orders), 1)
        self.assertEqual(orders[0]["status"], "paid")
        line = orders[0]["lines"][0]
        self.assertEqual((line["sku"], line["row"]), ("SKU-A", 2))
        self.assertEqual(str(line["quantity"]), "2")
        self.assertEqual(str(line["price"]), "1234.50")

    def test_lines_of_one_order_are_grouped(self):
        orders = read_order_file(
            "o.csv",
            b"order_no,status,sku,quantity\nA,paid,X,1\nB,paid,X,1\nA,paid,Y,2\n",
        )
        self.assertEqual([o["order_no"] for o in orders], ["A", "B"])
        self.assertEqual([line["sku"] for line in orders[0]["lines"]], ["X", "Y"])
        self.assertEqual(orders[0]["rows"], [2, 4])

    def test_not_a_table(self):
        with self.assertRaises(OrderFileError) as caught:
            read_order_file("o.xlsx", b"PK\x03\x04 broken zip")
        self.assertIn("o.xlsx: not a readable CSV or XLSX file", str(caught.exception))
