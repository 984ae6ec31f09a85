# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Order files (CSV / XLSX) for shops without an order API."""

import base64
import datetime as dt
import io
from unittest import mock

import openpyxl

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ConnectorCase

CSV = """order_no,status,sku,quantity,price,sub_order_no,order_date
F-1,paid,SKU-A,2,99.00,F-1-a,2024-03-05 10:00:00
F-1,paid,SKU-B,1,"1,050.50",F-1-b,2024-03-05 10:00:00
F-2,shipped,SKU-B,3,50,,2024-03-05 11:30
"""


@tagged("post_install", "-at_install")
class TestOrderImport(ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop.connector_active = False  # a shop without API access

    def run_import(self, content, filename="orders.csv"):
        if isinstance(content, str):
            content = content.encode()
        wizard = self.env["ec.order.import"].create(
            {
                "shop_id": self.shop.id,
                "file": base64.b64encode(content),
                "filename": filename,
            }
        )
        return wizard.action_import()

    def orders(self):
        return self.env["sale.order"].search(
            [("ec_shop_id", "=", self.shop.id)], order="ec_order_ref"
        )

    def test_csv_creates_confirms_and_delivers(self):
        action = self.run_import(CSV)
        self.assertIn("2 orders created", action["params"]["message"])
        first, second = self.orders()
        self.assertEqual(first.ec_order_ref, "F-1")
        self.assertEqual(first.state, "sale")
        self.assertEqual(first.partner_id, self.platform_partner)
        self.assertEqual(
            first.order_line.mapped("ec_sub_order_ref"), ["F-1-a", "F-1-b"]
        )
        self.assertEqual(first.order_line.mapped("price_unit"), [99.0, 1050.5])
        self.assertEqual(
            first.order_line.mapped("product_id"), self.product_a + self.product_b
        )
        # 10:00 in the shop's time zone (UTC here)
        self.assertEqual(first.date_order, dt.datetime(2024, 3, 5, 10, 0))
        self.assertEqual(second.ec_platform_status, "shipped")
        self.assertEqual(
            second.picking_ids.filtered(
                lambda p: p.picking_type_code == "outgoing"
            ).state,
            "done",
        )
        log = self.logs(self.shop, "orders")
        self.assertEqual(
            (log.trigger, log.orders_created, log.state), ("upload", 2, "done")
        )

    def test_importing_again_updates_never_duplicates(self):
        self.run_import(CSV)
        orders = self.orders()
        action = self.run_import(CSV.replace("F-1,paid", "F-1,shipped"))
        self.assertEqual(self.orders(), orders)
        self.assertIn("0 orders created", action["params"]["message"])
        self.assertEqual(orders[0].ec_platform_status, "shipped")
        self.assertTrue(
            orders[0].picking_ids.filtered(lambda p: p.state == "done"),
        )

    def test_bad_rows_are_named_and_nothing_is_imported(self):
        bad = CSV + "F-3,paid,SKU-A,abc,10,,\nF-4,paid,NO-SUCH,1,10,,\n"
        with self.assertRaises(UserError) as caught:
            self.run_import(bad)
        message = str(caught.exception)
        self.assertIn(
            "orders.csv, row 5, column quantity: 'abc' is not a number", message
        )
        self.assertFalse(self.orders(), "nothing half-imported")
        # once the quantity is fixed, the unknown SKU is named with its row
        with self.assertRaises(UserError) as caught:
            self.run_import(bad.replace("abc", "1"))
        self.assertIn(
            "orders.csv, row 6, column sku: no product has the internal reference "
            "'NO-SUCH'",
            str(caught.exception),
        )
        self.assertFalse(self.orders())

    def test_a_failing_order_rolls_back_the_whole_file(self):
        def refuse(orders):
            raise UserError(orders.env._("lot numbers needed"))

        SaleOrder = self.registry["sale.order"]
        with (
            mock.patch.object(SaleOrder, "_ec_validate_deliveries", refuse),
            self.assertRaises(UserError) as caught,
        ):
            self.run_import(CSV)
        self.assertIn(
            "orders.csv, row 4, order F-2: lot numbers needed", str(caught.exception)
        )
        self.assertFalse(self.orders())

    def test_xlsx_with_chinese_headers(self):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(["订单号", "状态", "商家编码", "数量", "单价", "下单时间"])
        sheet.append(
            ["3712345678901234567", "已发货", "SKU-A", 1, 100, "2024-03-05 09:00"]
        )
        sheet.append(["3712345678901234568", "待付款", "SKU-B", 2, 50.5, None])
        buffer = io.BytesIO()
        workbook.save(buffer)
        self.run_import(buffer.getvalue(), "orders.xlsx")
        first, second = self.orders()
        self.assertEqual(first.ec_order_ref, "3712345678901234567")
        self.assertEqual(first.ec_platform_status, "shipped")
        self.assertEqual(second.state, "draft", "awaiting payment: a quotation")
        self.assertEqual(second.order_line.price_unit, 50.5)
