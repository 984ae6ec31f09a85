# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Reports, dashboard and XLSX exports against hand-computed figures."""

import base64
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

from openpyxl import load_workbook

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.ec_reconcile.parsers import BillLine, ParsedBill
from odoo.addons.ec_reconcile.report.ec_report_unsettled_aging import bucket_of

from .common import DISABLED_TRACKING, EcAccountingCase

MARCH = datetime(2024, 3, 5, 10, 0)
APRIL = datetime(2024, 4, 2, 10, 0)


def _sheet_rows(data, sheet_name):
    """(header, [row dicts]) of a sheet written by tools/xlsx.py."""
    sheet = load_workbook(io.BytesIO(data))[sheet_name]
    rows = list(sheet.iter_rows())
    header_index = next(
        i for i, row in enumerate(rows) if row[0].font and row[0].font.b and i > 0
    )
    header = [cell.value for cell in rows[header_index]]
    body = [dict(zip(header, row, strict=False)) for row in rows[header_index + 1 :]]
    return header, body


@tagged("post_install", "-at_install")
class TestReports(EcAccountingCase):
    """One shop, two months of bills, two orders (one with sub-orders)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_a.standard_price = 60.0
        cls.product_b.standard_price = 20.0
        cls.order_p1 = cls._create_order(
            "P1", [(cls.product_a, 1, 100), (cls.product_b, 2, 25)]
        )
        cls.order_p2 = cls._create_order("P2", [(cls.product_a, 1, 100, "P2-A")])
        cls._deliver(cls.order_p1)
        cls._deliver(cls.order_p2)
        cls.bill_march = cls._bill(
            [
                {"order_ref": "P1", "amount": "150", "date": MARCH},
                {
                    "order_ref": "P1",
                    "amount": "-15",
                    "kind": "commission",
                    "date": MARCH,
                },
                {
                    "order_ref": "P1",
                    "amount": "-9",
                    "kind": "shipping_fee",
                    "date": MARCH,
                },
                {
                    "order_ref": "P2",
                    "sub_order_ref": "P2-A",
                    "amount": "100",
                    "date": MARCH,
                },
                {
                    "order_ref": "P2",
                    "sub_order_ref": "P2-A",
                    "amount": "-7",
                    "kind": "commission",
                    "date": MARCH,
                },
                {"amount": "-12", "kind": "ads", "date": MARCH},
                {"order_ref": "GHOST", "amount": "30", "date": MARCH},
                {"amount": "-50", "kind": "deposit", "date": MARCH},
                {"amount": "-100", "kind": "payout", "date": MARCH},
            ],
            name="march",
        )
        cls.bill_april = cls._bill(
            [
                {"order_ref": "P1", "amount": "-20", "kind": "refund", "date": APRIL},
                {
                    "order_ref": "P2",
                    "amount": "5",
                    "kind": "platform_coupon",
                    "date": APRIL,
                },
                {"order_ref": "GHOST2", "amount": "200", "date": APRIL},
                {
                    "order_ref": "GHOST2",
                    "amount": "-10",
                    "kind": "commission",
                    "date": APRIL,
                },
            ],
            name="april",
        )
        cls.env["ec.settlement"]._run_matching(cls.shop)

    def _group(self, model, domain, groupby, aggregates):
        return self.env[model]._read_group(domain, groupby, aggregates)

    # ------------------------------------------------------------------
    # 收支明细
    # ------------------------------------------------------------------

    def test_income_expense_by_kind_and_month(self):
        march = [
            ("shop_id", "=", self.shop.id),
            ("date", ">=", date(2024, 3, 1)),
            ("date", "<=", date(2024, 3, 31)),
        ]
        by_kind = {
            kind: (count, amount)
            for kind, count, amount in self._group(
                "ec.report.income.expense",
                march,
                ["kind"],
                ["row_count:sum", "amount:sum"],
            )
        }
        self.assertEqual(
            by_kind,
            {
                "sale": (3, 280.0),
                "commission": (2, -22.0),
                "shipping_fee": (1, -9.0),
                "ads": (1, -12.0),
                "deposit": (1, -50.0),
                "payout": (1, -100.0),
            },
        )
        by_category = dict(
            self._group("ec.report.income.expense", march, ["category"], ["amount:sum"])
        )
        self.assertEqual(
            by_category, {"income": 280.0, "fee": -43.0, "neutral": -150.0}
        )
        [(money_in, money_out, net, matched)] = self._group(
            "ec.report.income.expense",
            march,
            [],
            ["money_in:sum", "money_out:sum", "amount:sum", "matched_count:sum"],
        )
        self.assertEqual((money_in, money_out, net), (280.0, 193.0, 87.0))
        self.assertEqual(matched, 5, "P1 x3, P2 x2")
        self.assertEqual(net, float(self.bill_march.total_amount))
        by_month = dict(
            self._group(
                "ec.report.income.expense",
                [("shop_id", "=", self.shop.id)],
                ["date:month"],
                ["amount:sum"],
            )
        )
        self.assertEqual(by_month, {date(2024, 3, 1): 87.0, date(2024, 4, 1): 175.0})
        rows = self.env["ec.report.income.expense"].search(
            march + [("kind", "=", "commission")]
        )
        lines = self.env["ec.settlement.line"].search(
            rows.action_open_lines()["domain"]
        )
        self.assertEqual(sorted(lines.mapped("amount")), [-15.0, -7.0])

    # ------------------------------------------------------------------
    # Fee rate
    # ------------------------------------------------------------------

    def test_fee_rate_per_month_is_a_ratio_of_totals(self):
        domain = [("shop_id", "=", self.shop.id)]
        by_month = {
            month: (gmv, fees, rate)
            for month, gmv, fees, rate in self._group(
                "ec.report.fee.rate",
                domain,
                ["date:month"],
                ["gmv:sum", "fee_amount:sum", "fee_rate:avg"],
            )
        }
        gmv, fees, rate = by_month[date(2024, 3, 1)]
        self.assertEqual((gmv, fees), (280.0, 43.0))
        self.assertAlmostEqual(rate, 43 / 280 * 100, places=6)
        gmv, fees, rate = by_month[date(2024, 4, 1)]
        self.assertEqual((gmv, fees), (200.0, 10.0))
        self.assertAlmostEqual(rate, 5.0, places=6)
        [(platform, rate, commission, ads)] = self._group(
            "ec.report.fee.rate",
            domain,
            ["platform"],
            ["fee_rate:avg", "commission:sum", "ads:sum"],
        )
        self.assertEqual(platform, "tmall")
        # 53 / 480, not the mean of the monthly rates.
        self.assertAlmostEqual(rate, 53 / 480 * 100, places=6)
        self.assertEqual((commission, ads), (32.0, 12.0))

    # ------------------------------------------------------------------
    # Profit per shop and SKU
    # ------------------------------------------------------------------

    def test_cost_of_goods_from_valuation(self):
        moves = self.order_p1.picking_ids.move_ids
        self.assertEqual(sum(moves.mapped("value")), 100.0, "60 + 2 x 20")

    def test_profit_per_shop(self):
        measures = [
            "revenue:sum",
            "refund:sum",
            "platform_coupon:sum",
            "net_revenue:sum",
            "commission:sum",
            "shipping_fee:sum",
            "ads:sum",
            "fee_total:sum",
            "cost:sum",
            "margin:sum",
            "margin_percent:avg",
        ]
        [(shop, *values)] = self._group(
            "ec.report.profit", [("shop_id", "=", self.shop.id)], ["shop_id"], measures
        )
        self.assertEqual(shop, self.shop)
        figures = dict(zip([m.split(":")[0] for m in measures], values, strict=True))
        expected = {
            "revenue": 480.0,
            "refund": -20.0,
            "platform_coupon": 5.0,
            "net_revenue": 465.0,
            "commission": 32.0,
            "shipping_fee": 9.0,
            "ads": 12.0,
            "fee_total": 53.0,
            "cost": 160.0,
            "margin": 252.0,
        }
        for name, value in expected.items():
            self.assertAlmostEqual(figures[name], value, places=2, msg=name)
        self.assertAlmostEqual(figures["margin_percent"], 252 / 465 * 100, places=4)
        # The spread per SKU adds up to the same totals.
        [sku_values] = self._group(
            "ec.report.profit.sku", [("shop_id", "=", self.shop.id)], [], measures
        )
        for name, got in zip(figures, sku_values, strict=True):
            self.assertAlmostEqual(got, figures[name], places=6, msg=name)
        self.assertEqual(
            set(
                self.env["ec.report.profit.sku"]
                .search([("shop_id", "=", self.shop.id)])
                .mapped("source")
            ),
            {"order", "order_line", "shop", "cost"},
        )
        [(allocated,)] = self._group(
            "ec.report.profit.sku",
            [("shop_id", "=", self.shop.id)],
            [],
            ["allocated_fee:sum"],
        )
        self.assertAlmostEqual(allocated, 12.0, places=6, msg="the ads, allocated")

    def test_profit_per_sku(self):
        groups = self._group(
            "ec.report.profit.sku",
            [("shop_id", "=", self.shop.id)],
            ["product_id"],
            [
                "quantity:sum",
                "revenue:sum",
                "refund:sum",
                "net_revenue:sum",
                "commission:sum",
                "shipping_fee:sum",
                "ads:sum",
                "cost:sum",
                "margin:sum",
            ],
        )
        by_product = {product: values for product, *values in groups}
        expected = {
            # qty, sales, refunds, net, commission, shipping, ads, cost, margin
            self.product_a: [2, 200, -13.33, 191.67, 17, 6, 9.6, 120, 39.07],
            self.product_b: [2, 50, -6.67, 43.33, 5, 3, 2.4, 40, -7.07],
            # unknown orders: no product
            self.env["product.product"]: [0, 230, 0, 230, 10, 0, 0, 0, 220],
        }
        self.assertEqual(set(by_product), set(expected))
        for product, values in expected.items():
            for got, want in zip(by_product[product], values, strict=True):
                self.assertAlmostEqual(got, want, places=2, msg=product.display_name)
        # Prorated shares add up to the rows exactly, cent for cent.
        total_refund = sum(values[2] for values in by_product.values())
        self.assertAlmostEqual(total_refund, -20.0, places=6)

    def test_profit_in_a_period(self):
        march = [
            ("shop_id", "=", self.shop.id),
            ("date", ">=", date(2024, 3, 1)),
            ("date", "<=", date(2024, 3, 31)),
        ]
        [(revenue, fees, cost, margin)] = self._group(
            "ec.report.profit",
            march,
            [],
            ["revenue:sum", "fee_total:sum", "cost:sum", "margin:sum"],
        )
        # Costs are dated at delivery (today), not in March.
        self.assertEqual((revenue, fees, cost, margin), (280.0, 43.0, 0.0, 237.0))
        today = fields.Date.context_today(self.env.user)
        [(cost,)] = self._group(
            "ec.report.profit",
            [("shop_id", "=", self.shop.id), ("date", "=", today)],
            [],
            ["cost:sum"],
        )
        self.assertEqual(cost, 160.0)

    def test_profit_with_a_return(self):
        self._return(self.order_p1, 1)  # one Tea cup back: 60 of cost
        [(cost, quantity)] = self._group(
            "ec.report.profit.sku",
            [("shop_id", "=", self.shop.id), ("product_id", "=", self.product_a.id)],
            [],
            ["cost:sum", "quantity:sum"],
        )
        self.assertEqual((cost, quantity), (60.0, 1.0))

    # ------------------------------------------------------------------
    # Stored profit facts
    # ------------------------------------------------------------------

    def _noted(self, table="ec_report_profit_dirty"):
        self.env.flush_all()
        self.env.cr.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        return self.env.cr.fetchone()[0]

    def _per_product(self, measures):
        return {
            product: values
            for product, *values in self._group(
                "ec.report.profit.sku",
                [("shop_id", "=", self.shop.id)],
                ["product_id"],
                measures,
            )
        }

    def test_profit_facts_stored_by_matching(self):
        self.assertEqual(self._noted(), 0, "matching stored the facts")
        self.env.cr.execute(
            "SELECT count(*) FROM ec_report_profit_sku_fact WHERE shop_id = %s",
            [self.shop.id],
        )
        self.assertGreater(self.env.cr.fetchone()[0], 0)
        measures = ["revenue:sum", "commission:sum", "allocated_fee:sum", "margin:sum"]
        stored = self._per_product(measures)
        # Rebuilt from the sources: the same figures.
        self.env["ec.report.profit.sku"].init()
        self.env.cr.execute("COMMENT ON TABLE ec_report_profit_sku_fact IS 'old'")
        self.env["ec.report.profit.sku"].init()
        rebuilt = self._per_product(measures)
        self.assertEqual(set(stored), set(rebuilt))
        for product, values in stored.items():
            for got, want in zip(rebuilt[product], values, strict=True):
                self.assertAlmostEqual(got, want, places=9)

    def test_profit_follows_new_rows_before_matching(self):
        measures = ["revenue:sum", "commission:sum"]
        self._bill(
            [
                {
                    "order_ref": "P1",
                    "amount": "-6",
                    "kind": "commission",
                    "date": MARCH,
                }
            ],
            name="late",
        )
        self.assertTrue(self._noted(), "the new row's shop day is noted")
        [(commission,)] = self._group(
            "ec.report.profit",
            [("shop_id", "=", self.shop.id)],
            [],
            ["commission:sum"],
        )
        self.assertAlmostEqual(commission, 38.0, places=6, msg="32 + 6, at once")
        # Not matched yet: on the shop, no product.
        by_product = self._per_product(measures)
        self.assertAlmostEqual(by_product[self.env["product.product"]][1], 16.0)
        self._match()
        self.assertEqual(self._noted(), 0)
        by_product = self._per_product(measures)
        # Matched to P1: spread 100 : 50 over its lines.
        self.assertAlmostEqual(by_product[self.product_a][1], 21.0, places=6)
        self.assertAlmostEqual(by_product[self.product_b][1], 7.0, places=6)
        self.assertAlmostEqual(by_product[self.env["product.product"]][1], 10.0)

    def test_profit_follows_order_lines(self):
        measures = ["revenue:sum"]
        line_b = self.order_p1.order_line.filtered(
            lambda line: line.product_id == self.product_b
        )
        line_b.price_unit = 50  # P1 is now 100 + 2 x 50
        self.assertTrue(self._noted(), "P1's spread changed")
        live = self._per_product(measures)
        # P1's 150 of sales, half each; P2's 100 on its sub-order line.
        self.assertAlmostEqual(live[self.product_a][0], 175.0, places=6)
        self.assertAlmostEqual(live[self.product_b][0], 75.0, places=6)
        self.env["ec.report.profit.sku"]._refresh_facts()
        self.assertEqual(self._noted(), 0)
        self.assertEqual(self._per_product(measures), live)

    def _sku_totals_both_ways(self):
        """Per product and month: read from the summary per day and product,
        and summed from the order-line-level rows."""
        report = self.env["ec.report.profit.sku"]
        measures = [
            "quantity:sum",
            "revenue:sum",
            "refund:sum",
            "net_revenue:sum",
            "fee_total:sum",
            "allocated_fee:sum",
            "cost:sum",
            "margin:sum",
        ]
        domain = [("shop_id", "=", self.shop.id)]
        groupby = ["product_id", "date:month"]
        self.assertTrue(report._summary_fits(domain, groupby, measures, None))
        summary = {
            (product, month): values
            for product, month, *values in report._read_group(domain, groupby, measures)
        }
        # Grouped by order line too: the summary cannot serve it.
        by_line = [*groupby, "sale_order_line_id"]
        self.assertFalse(report._summary_fits(domain, by_line, measures, None))
        lines = {}
        for product, month, _line, *values in report._read_group(
            domain, by_line, measures
        ):
            total = lines.setdefault((product, month), [0.0] * len(values))
            for index, value in enumerate(values):
                total[index] += value or 0.0
        self.assertEqual(set(summary), set(lines))
        for key, values in summary.items():
            for got, want in zip(values, lines[key], strict=True):
                self.assertAlmostEqual(got or 0.0, want, places=6, msg=key)
        # Margin % of a product: of its totals (margin over net revenue).
        [(_product, percent, margin, net)] = report._read_group(
            [*domain, ("product_id", "=", self.product_a.id)],
            ["product_id"],
            ["margin_percent:avg", "margin:sum", "net_revenue:sum"],
        )
        self.assertAlmostEqual(percent, margin * 100.0 / net, places=6)
        return summary

    def test_profit_sku_summary_equals_order_lines(self):
        stored = self._sku_totals_both_ways()
        self.assertTrue(stored, "facts to compare")
        self.assertFalse(
            self.env["ec.report.profit.sku"]._summary_fits(
                [], ["product_id"], ["__count"], None
            ),
            "counts are of order-line-level rows",
        )
        # A noted change, not refreshed: the summary reads it live too.
        line_b = self.order_p1.order_line.filtered(
            lambda line: line.product_id == self.product_b
        )
        line_b.price_unit = 50
        self.assertTrue(self._noted())
        noted = self._sku_totals_both_ways()
        self.assertNotEqual(noted, stored, "the change shows")
        self.env["ec.report.profit.sku"]._refresh_facts()
        self.assertEqual(self._noted(), 0)
        self.assertEqual(self._sku_totals_both_ways(), noted)

    def test_profit_costs_stored_and_follow_moves(self):
        costs = "ec_report_profit_cost_dirty"
        self.env["ec.report.profit.sku"]._refresh_facts()
        self.assertEqual(self._noted(costs), 0)
        self.env.cr.execute(
            "SELECT SUM(cost) FROM ec_report_profit_cost_fact WHERE shop_id = %s",
            [self.shop.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 160, "the deliveries' costs")
        self._return(self.order_p1, 1)  # one Tea cup back: 60 of cost
        self.assertEqual(self._noted(costs), 1, "the done return notes P1's costs")
        self.assertEqual(self._noted(), 0, "not its money")

        def read_costs():
            [(shop_cost,)] = self._group(
                "ec.report.profit",
                [("shop_id", "=", self.shop.id)],
                [],
                ["cost:sum"],
            )
            per_product = self._per_product(["cost:sum", "quantity:sum"])
            return shop_cost, per_product[self.product_a]

        live = read_costs()
        self.assertEqual(live, (100.0, [60.0, 1.0]), "160 - 60, at once")
        self.env["ec.report.profit.sku"]._refresh_facts()
        self.assertEqual(self._noted(costs), 0)
        self.assertEqual(read_costs(), live, "stored: the same figures")

    # ------------------------------------------------------------------
    # Exports
    # ------------------------------------------------------------------

    def _export(self, report, **values):
        wizard = self.env["ec.report.export"].create({"report": report, **values})
        action = wizard.action_export()
        self.assertIn(f"id={wizard.id}", action["url"])
        self.assertTrue(wizard.file_name.endswith(".xlsx"))
        return base64.b64decode(wizard.file)

    def test_export_income_expense_xlsx(self):
        self.shop.name = '=HYPERLINK("http://evil")'
        data = self._export(
            "income_expense",
            date_from=date(2024, 3, 1),
            date_to=date(2024, 3, 31),
            shop_ids=[Command.set(self.shop.ids)],
        )
        header, rows = _sheet_rows(data, "By shop and kind")
        self.assertEqual(header[:4], ["Shop", "Platform", "Category", "Kind"])
        self.assertEqual(len(rows), 6)
        sale = next(row for row in rows if row["Kind"].value == "Sale")
        self.assertEqual(sale["Shop"].value, '\'=HYPERLINK("http://evil")')
        self.assertEqual(sale["Shop"].data_type, "s")
        self.assertEqual(sale["Rows"].value, 3)
        self.assertEqual(sale["Net Amount"].value, 280)
        self.assertEqual(sale["Net Amount"].data_type, "n")
        self.assertEqual(sale["Net Amount"].number_format, "#,##0.00")
        self.assertEqual(sum(row["Net Amount"].value for row in rows), 87)
        _header, days = _sheet_rows(data, "By day")
        self.assertEqual({row["Day"].value for row in days}, {"2024-03-05"})
        sheet = load_workbook(io.BytesIO(data))["By day"]
        self.assertIn("2024-03-01", sheet["A2"].value, "period printed on top")

    def test_export_profit_and_fee_rate_xlsx(self):
        data = self._export("profit_sku", date_from=False, date_to=False)
        _header, skus = _sheet_rows(data, "Per SKU")
        margins = {row["Product"].value: row["Margin"].value for row in skus}
        self.assertEqual(margins[self.product_a.display_name], 39.07)
        self.assertEqual(margins[self.product_b.display_name], -7.07)
        data = self._export("profit", date_from=False, date_to=False)
        _header, shops = _sheet_rows(data, "Per shop")
        mine = next(row for row in shops if row["Shop"].value == self.shop.name)
        self.assertEqual(mine["Margin"].value, 252)
        self.assertEqual(mine["Margin (%)"].number_format, "0.00%")
        self.assertAlmostEqual(mine["Margin (%)"].value, 252 / 465, places=6)

        data = self._export(
            "fee_rate", date_from=date(2024, 1, 1), date_to=date(2024, 12, 31)
        )
        _header, months = _sheet_rows(data, "By platform and month")
        rates = {row["Month"].value: row["Fee Rate (%)"] for row in months}
        self.assertEqual(set(rates), {"2024-03", "2024-04"})
        self.assertAlmostEqual(rates["2024-04"].value, 0.05, places=6)
        self.assertEqual(rates["2024-04"].number_format, "0.00%")


@tagged("post_install", "-at_install")
class TestLedgerAndAging(EcAccountingCase):
    def _entry(self, day, amount, partner):
        """Cash received from ``partner``: credit its receivable."""
        receivable = self.company_data["default_account_receivable"]
        bank = self.company_data["default_journal_bank"].default_account_id
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": day,
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": bank.id,
                            "debit": amount,
                            "partner_id": partner.id,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": receivable.id,
                            "credit": amount,
                            "partner_id": partner.id,
                        }
                    ),
                ],
            }
        )
        move.action_post()
        return move

    def _invoice_on(self, move_type, day, amount, partner=None):
        return self.init_invoice(
            move_type,
            partner=partner or self.platform_partner,
            invoice_date=day,
            amounts=[amount],
            taxes=[],
            post=True,
        )

    def test_ledger_opening_movements_closing(self):
        self._invoice_on("out_invoice", date(2024, 2, 10), 100)
        self._invoice_on("out_invoice", date(2024, 3, 10), 250)
        self._invoice_on("out_refund", date(2024, 3, 15), 40)
        self._entry(date(2024, 3, 20), 100, self.platform_partner)
        self._invoice_on("out_invoice", date(2024, 4, 5), 70)  # after the period
        self._invoice_on("out_invoice", date(2024, 3, 12), 999, self.partner_a)
        wizard = self.env["ec.report.export"].create(
            {
                "report": "ledger",
                "date_from": date(2024, 3, 1),
                "date_to": date(2024, 3, 31),
            }
        )
        action = wizard.action_open_ledger()
        self.assertEqual(action["res_model"], "ec.report.partner.ledger")
        ledger = self.env["ec.report.partner.ledger"].with_context(**action["context"])
        rows = ledger.search(action["domain"])
        self.assertEqual(
            rows.partner_id, self.platform_partner, "partner_a is no shop's"
        )
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.account_type, "asset_receivable")
        self.assertEqual(
            (rows.opening_balance, rows.debit, rows.credit, rows.closing_balance),
            (100.0, 250.0, 140.0, 210.0),
        )
        self.assertEqual(rows.opening_balance + rows.balance, rows.closing_balance)
        self.assertEqual(rows.date_from, date(2024, 3, 1))
        self.assertEqual(rows.shop_names, self.shop.name)
        # April: the closing of March opens it.
        april = ledger.with_context(
            ec_ledger_date_from="2024-04-01", ec_ledger_date_to="2024-04-30"
        ).search([("partner_id", "=", self.platform_partner.id)])
        self.assertEqual((april.opening_balance, april.closing_balance), (210.0, 280.0))
        # The journal items behind the row are the period's movements.
        items = self.env["account.move.line"].search(
            rows.action_open_move_lines()["domain"]
        )
        self.assertEqual(sorted(items.mapped("balance")), [-100.0, -40.0, 250.0])
        # Export: one ledger sheet, one sheet of journal items.
        data = wizard._generate()
        _header, lines = _sheet_rows(data, "Ledger")
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["Opening Balance"].value, 100)
        self.assertEqual(lines[0]["Closing Balance"].value, 210)
        self.assertEqual(lines[0]["Closing Balance"].number_format, "#,##0.00")
        _header, items = _sheet_rows(data, "Journal Items")
        self.assertEqual(len(items), 3)

    def test_ledger_readable_by_reconciliation_users(self):
        self._invoice_on("out_invoice", date(2024, 3, 10), 250)
        users = [
            self._ledger_user(
                "ec_ledger_user", ["ec_reconcile.ec_reconcile_group_user"]
            ),
            self._ledger_user(
                "ec_ledger_auditor",
                [
                    "ec_reconcile.ec_reconcile_group_user",
                    "account.group_account_readonly",
                ],
            ),
        ]
        for user in users:
            with self.subTest(user=user.login):
                wizard = (
                    self.env["ec.report.export"]
                    .with_user(user)
                    .create(
                        {
                            "report": "ledger",
                            "date_from": date(2024, 3, 1),
                            "date_to": date(2024, 3, 31),
                        }
                    )
                )
                action = wizard.action_open_ledger()
                ledger = (
                    self.env["ec.report.partner.ledger"]
                    .with_user(user)
                    .with_context(**action["context"])
                )
                ledger.get_views([(False, "list"), (False, "search")])
                spec = {
                    name: {"fields": {"display_name": {}}}
                    if ledger._fields[name].type == "many2one"
                    else {}
                    for name in (
                        "partner_id",
                        "shop_names",
                        "account_id",
                        "opening_balance",
                        "debit",
                        "credit",
                        "closing_balance",
                        "currency_id",
                        "company_id",
                    )
                }
                result = ledger.web_search_read(action["domain"], spec)
                [row] = result["records"]
                self.assertEqual(row["partner_id"]["id"], self.platform_partner.id)
                self.assertEqual(row["debit"], 250.0)
                self.assertTrue(row["account_id"]["display_name"])
                _header, lines = _sheet_rows(wizard._generate(), "Ledger")
                self.assertEqual(len(lines), 1)

    def _ledger_user(self, login, groups):
        return (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": login,
                    "login": login,
                    "company_id": self.env.company.id,
                    "company_ids": [Command.set(self.env.company.ids)],
                    "group_ids": [Command.set([self.env.ref(g).id for g in groups])],
                }
            )
        )

    def test_export_period_must_be_ordered(self):
        with self.assertRaises(ValidationError):
            self.env["ec.report.export"].create(
                {"date_from": date(2024, 3, 31), "date_to": date(2024, 3, 1)}
            )

    def test_aging_buckets(self):
        self.assertEqual(
            [bucket_of(d) for d in (0, 7, 8, 15, 16, 30, 31, 60, 61)],
            [
                "0_7",
                "0_7",
                "8_15",
                "8_15",
                "16_30",
                "16_30",
                "31_60",
                "31_60",
                "60_plus",
            ],
        )
        shop = self.env["ec.shop"].create(
            {
                "name": "Aging shop",
                "code": "AG",
                "platform": "jd",
                "partner_id": self.platform_partner.id,
                "tz": "UTC",
            }
        )
        orders = {}
        for days, amount in ((3, 10), (10, 20), (20, 30), (45, 40), (90, 50)):
            order = self._create_order(
                f"AG-{days}", [(self.product_a, 1, amount)], shop=shop
            )
            self._deliver(order, days_ago=days)
            orders[days] = order
        partial = self._create_order("AG-P", [(self.product_a, 1, 100)], shop=shop)
        self._deliver(partial, days_ago=12)
        long_ref = "4000123456789012345678"
        undelivered = self._create_order(long_ref, [(self.product_b, 1, 25)], shop=shop)
        settled = self._create_order("AG-S", [(self.product_a, 1, 70)], shop=shop)
        self._deliver(settled, days_ago=5)
        now = datetime.now()
        self._bill(
            [
                {"order_ref": "AG-P", "amount": "60", "date": now},
                {"order_ref": "AG-S", "amount": "70", "date": now},
            ],
            shop=shop,
            name="aging",
        )
        self._match(shop)
        Aging = self.env["ec.report.unsettled.aging"]
        rows = Aging.search([("shop_id", "=", shop.id)])
        self.assertEqual(len(rows), 7, "settled order left out")
        by_order = {row.sale_order_id: row for row in rows}
        self.assertEqual(by_order[orders[20]].age_days, 20)
        self.assertEqual(by_order[orders[20]].age_bucket, "16_30")
        self.assertEqual(by_order[partial].unsettled_amount, 40)
        self.assertEqual(by_order[partial].match_state, "partial")
        self.assertEqual(by_order[undelivered].age_days, 0, "aged from the order")
        self.assertFalse(by_order[undelivered].date_delivered)
        buckets = dict(
            Aging._read_group(
                [("shop_id", "=", shop.id)], ["age_bucket"], ["unsettled_amount:sum"]
            )
        )
        self.assertEqual(
            buckets,
            {"0_7": 35.0, "8_15": 60.0, "16_30": 30.0, "31_60": 40.0, "60_plus": 50.0},
        )
        [(count, *columns, total, oldest)] = Aging._read_group(
            [("shop_id", "=", shop.id)],
            [],
            [
                "order_count:sum",
                "amount_0_7:sum",
                "amount_8_15:sum",
                "amount_16_30:sum",
                "amount_31_60:sum",
                "amount_60_plus:sum",
                "unsettled_amount:sum",
                "age_days:max",
            ],
        )
        self.assertEqual(count, 7)
        self.assertEqual(columns, [35.0, 60.0, 30.0, 40.0, 50.0])
        self.assertEqual(total, 215.0)
        self.assertEqual(oldest, 90)
        # Export: the long platform order number stays exact text.
        wizard = self.env["ec.report.export"].create(
            {"report": "aging", "shop_ids": [Command.set(shop.ids)]}
        )
        _header, lines = _sheet_rows(wizard._generate(), "Orders")
        ref_cell = next(
            row["Platform Order No."]
            for row in lines
            if row["Platform Order No."].value == long_ref
        )
        self.assertEqual(ref_cell.data_type, "s")
        self.assertEqual(sum(row["Unsettled"].value for row in lines), 215)
        self.assertEqual(lines[0]["Age (days)"].value, 90, "oldest first")


@tagged("post_install", "-at_install")
class TestProfitCurrencies(EcAccountingCase):
    """A shop selling in another currency than its company's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.foreign = cls.setup_other_currency(
            "EUR", rates=[("2024-01-01", 2.0), ("2024-03-15", 4.0)]
        )
        cls.foreign_shop = cls.env["ec.shop"].create(
            {
                "name": "Foreign shop",
                "code": "FX",
                "platform": "shopify",
                "currency_id": cls.foreign.id,
                "partner_id": cls.platform_partner.id,
                "tz": "UTC",
            }
        )
        cls._bill(
            [
                {"order_ref": "FX-1", "amount": "100", "date": MARCH},
                {
                    "order_ref": "FX-1",
                    "amount": "-10",
                    "kind": "commission",
                    "date": MARCH,
                },
                {"order_ref": "FX-2", "amount": "100", "date": datetime(2024, 3, 20)},
            ],
            shop=cls.foreign_shop,
            name="fx",
        )
        cls._bill([{"order_ref": "HOME-1", "amount": "30", "date": MARCH}], name="home")
        cls.env["ec.settlement"]._run_matching(cls.foreign_shop | cls.shop)

    def _converted(self, amount, day):
        return self.foreign._convert(
            amount, self.currency, self.env.company, day, round=False
        )

    def test_profit_in_company_currency(self):
        # 100 / 2 on the 5th, 100 / 4 on the 20th; commission 10 / 2.
        revenue = self._converted(100, date(2024, 3, 5)) + self._converted(
            100, date(2024, 3, 20)
        )
        self.assertAlmostEqual(revenue, 75.0)
        shops = self.foreign_shop | self.shop
        for model in ("ec.report.profit", "ec.report.profit.sku"):
            by_shop = {
                shop: (currency, sales, commission)
                for shop, currency, sales, commission in self.env[model]._read_group(
                    [("shop_id", "in", shops.ids)],
                    ["shop_id", "currency_id"],
                    ["revenue:sum", "commission:sum"],
                )
            }
            self.assertEqual(
                by_shop[self.foreign_shop], (self.currency, revenue, 5.0), model
            )
            self.assertEqual(by_shop[self.shop], (self.currency, 30.0, 0.0), model)
            [(total, margin)] = self.env[model]._read_group(
                [("shop_id", "in", shops.ids)], [], ["revenue:sum", "margin:sum"]
            )
            self.assertAlmostEqual(total, 105.0, msg="75 converted + 30")
            self.assertAlmostEqual(margin, 100.0, msg="105 - 5 of commission")


@tagged("post_install", "-at_install")
class TestDashboard(EcAccountingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.now = datetime.now().replace(microsecond=0)
        month_start = cls.now.replace(day=1, hour=0, minute=0, second=0)
        cls.last_month = month_start - timedelta(days=3)
        cls.dash_wallet = cls.env["account.journal"].create(
            {"name": "Dash wallet", "code": "ECDW", "type": "bank"}
        )
        cls.dash1 = cls.env["ec.shop"].create(
            {
                "name": "Dash One",
                "code": "D1",
                "platform": "douyin",
                "partner_id": cls.platform_partner.id,
                "wallet_journal_id": cls.dash_wallet.id,
                "tz": "UTC",
            }
        )
        cls.dash2 = cls.env["ec.shop"].create(
            {"name": "Dash Two", "code": "D2", "platform": "pdd", "tz": "UTC"}
        )
        d1 = cls._create_order("D1", [(cls.product_a, 1, 100)], shop=cls.dash1)
        d2 = cls._create_order("D2", [(cls.product_a, 1, 80)], shop=cls.dash1)
        d3 = cls._create_order("D3", [(cls.product_a, 1, 40)], shop=cls.dash1)
        cls._deliver(d1)
        cls._deliver(d2, days_ago=5)
        cls._deliver(d3, days_ago=20)
        cls._bill(
            [{"amount": "378", "kind": "deposit", "date": cls.last_month}],
            shop=cls.dash1,
            name="dash-old",
            opening_balance=Decimal("0"),
            closing_balance=Decimal("378"),
        )
        payout_day = cls.now - timedelta(seconds=1)
        cls._bill(
            [
                {"order_ref": "D1", "amount": "100", "date": cls.now},
                {"order_ref": "UNKNOWN-1", "amount": "10", "date": cls.now},
                {
                    "order_ref": "D1",
                    "amount": "-5",
                    "kind": "commission",
                    "date": cls.now,
                },
                {"amount": "-3", "kind": "ads", "date": cls.now},
                {"amount": "-50", "kind": "payout", "date": payout_day},
                {"order_ref": "D2", "amount": "50", "date": cls.now},
            ],
            shop=cls.dash1,
            name="dash-now",
            opening_balance=Decimal("378"),
            closing_balance=Decimal("480"),
        )
        cls._bill(
            [
                {"amount": "-1", "kind": "ads", "date": cls.now},
                {"amount": "30", "kind": "deposit", "date": cls.now},
            ],
            shop=cls.dash2,
            name="dash2",
        )
        wallet_account = cls.dash_wallet.default_account_id
        move = cls.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": cls.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create({"account_id": wallet_account.id, "debit": 500}),
                    Command.create(
                        {
                            "account_id": cls.company_data[
                                "default_account_revenue"
                            ].id,
                            "credit": 500,
                        }
                    ),
                ],
            }
        )
        move.action_post()
        cls.env["ec.settlement"]._run_matching(cls.dash1 | cls.dash2)
        # Company B, with a shop, a bill and an exception of its own.
        cls.company_b = cls.setup_other_company(name="EC Dashboard B")["company"]
        cls.both = cls.company | cls.company_b
        cls.env.user.sudo().company_ids = [Command.link(cls.company_b.id)]
        cls.shop_b = cls.env["ec.shop"].create(
            {
                "name": "Shop of B",
                "code": "SB",
                "platform": "jd",
                "company_id": cls.company_b.id,
                "currency_id": cls.company_b.currency_id.id,
                "tz": "UTC",
            }
        )
        cls._bill(
            [{"order_ref": "B-1", "amount": "999", "date": cls.now}],
            shop=cls.shop_b,
            name="dash-b",
        )
        cls.env["ec.settlement"]._run_matching(cls.shop_b)
        cls.user_a = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Dashboard user A",
                    "login": "ec_dashboard_a",
                    "company_id": cls.company.id,
                    "company_ids": [Command.set(cls.company.ids)],
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
        )

    def test_dashboard_figures_of_two_shops(self):
        dash1, dash2 = self.dash1, self.dash2
        (dash1 | dash2).invalidate_recordset()
        self.assertTrue(dash1.dashboard_last_import)
        self.assertEqual(dash1.dashboard_bill_count, 2)
        self.assertEqual(dash1.dashboard_row_count, 6, "last month's row left out")
        self.assertEqual(dash1.dashboard_order_row_count, 4)
        self.assertEqual(dash1.dashboard_matched_percent, 75.0)
        self.assertEqual(dash1.dashboard_exception_count, 3)
        self.assertEqual(
            {e["type"]: e["count"] for e in dash1.dashboard_exceptions},
            {"unknown_order": 1, "amount_mismatch": 1, "delivered_unsettled": 1},
        )
        self.assertEqual(dash1.dashboard_unsettled_count, 2)
        self.assertEqual(dash1.dashboard_unsettled_amount, 70.0, "30 of D2 + 40 of D3")
        self.assertEqual(dash1.dashboard_oldest_unsettled_days, 20)
        self.assertTrue(dash1.dashboard_wallet_available)
        self.assertEqual(dash1.dashboard_wallet_balance, 500.0)
        self.assertTrue(dash1.dashboard_has_bill_balance)
        self.assertEqual(dash1.dashboard_bill_balance, 480.0, "the latest bill's")
        self.assertEqual(dash1.dashboard_wallet_difference, 20.0)
        self.assertEqual(dash1.dashboard_last_payout_amount, 50.0)
        self.assertEqual(
            dash1.dashboard_last_payout_date, self.now - timedelta(seconds=1)
        )

        self.assertEqual(dash2.dashboard_row_count, 2)
        self.assertEqual(dash2.dashboard_order_row_count, 0)
        self.assertEqual(dash2.dashboard_matched_percent, 0.0)
        self.assertEqual(dash2.dashboard_exception_count, 0)
        self.assertFalse(dash2.dashboard_exceptions)
        self.assertFalse(dash2.dashboard_wallet_available)
        self.assertFalse(dash2.dashboard_has_bill_balance)
        self.assertFalse(dash2.dashboard_last_payout_date)

    def test_dashboard_queries_do_not_grow_with_shops(self):
        fnames = [
            name
            for name in self.env["ec.shop"]._fields
            if name.startswith("dashboard_")
        ]

        def count_queries(shops):
            shops.invalidate_recordset()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            shops.read(fnames)
            return self.env.cr.sql_log_count - before

        shops = self.dash1 | self.dash2 | self.shop
        count_queries(shops)  # warm up (rules, groups, labels)
        one = count_queries(self.dash1)
        three = count_queries(shops)
        self.assertEqual(one, three)

    def test_dashboard_buttons(self):
        action = self.dash1.action_dashboard_exceptions()
        self.assertEqual(action["res_model"], "ec.exception")
        self.assertEqual(len(self.env["ec.exception"].search(action["domain"])), 3)
        action = self.dash1.action_dashboard_unsettled_orders()
        orders = self.env["sale.order"].search(
            action["domain"] + [("ec_match_state", "in", ("unsettled", "partial"))]
        )
        self.assertEqual(orders.mapped("ec_order_ref"), ["D3", "D2"])
        for method in ("action_dashboard_bills", "action_dashboard_rows"):
            action = getattr(self.dash1, method)()
            self.assertEqual(action["domain"], [("shop_id", "=", self.dash1.id)])

    def test_company_b_invisible_to_company_a_user(self):
        shop_b = self.shop_b.with_context(allowed_company_ids=self.both.ids)
        self.assertEqual(shop_b.dashboard_exception_count, 1, "admin sees B")
        Shop = self.env["ec.shop"].with_user(self.user_a)
        shops = Shop.search([])
        self.assertNotIn(self.shop_b, shops)
        self.assertIn(self.dash1, shops)
        with self.assertRaises(AccessError):
            self.shop_b.with_user(self.user_a).read(["dashboard_exception_count"])
        dash1 = self.dash1.with_user(self.user_a)
        self.assertEqual(dash1.dashboard_exception_count, 3)
        self.assertEqual(dash1.dashboard_wallet_balance, 500.0)
        for model in (
            "ec.report.income.expense",
            "ec.report.profit",
            "ec.report.profit.sku",
            "ec.report.unsettled.aging",
            "ec.report.fee.rate",
            "ec.report.partner.ledger",
        ):
            Report = self.env[model].with_user(self.user_a)
            companies = {
                company
                for company, _count in Report._read_group(
                    [], ["company_id"], ["__count"]
                )
            }
            self.assertNotIn(self.company_b, companies, model)
        both = self.env(
            context=dict(self.env.context, allowed_company_ids=self.both.ids)
        )
        for model in (
            "ec.report.income.expense",
            "ec.report.fee.rate",
            "ec.report.profit",
        ):
            self.assertTrue(
                both[model].search_count([("company_id", "=", self.company_b.id)]),
                model,
            )
        # The export of user A holds nothing of company B.
        wizard = (
            self.env["ec.report.export"]
            .with_user(self.user_a)
            .create({"report": "income_expense", "date_from": False, "date_to": False})
        )
        _header, rows = _sheet_rows(wizard._generate(), "By shop and kind")
        self.assertTrue(rows)
        self.assertNotIn("Shop of B", {row["Shop"].value for row in rows})
        admin = self.env["ec.report.export"].create(
            {"report": "income_expense", "date_from": False, "date_to": False}
        )
        admin_with_b = admin.with_context(allowed_company_ids=self.both.ids)
        _header, rows = _sheet_rows(admin_with_b._generate(), "By shop and kind")
        self.assertIn("Shop of B", {row["Shop"].value for row in rows})


@tagged("post_install", "-at_install")
class TestReportScreens(HttpCase):
    """The dashboard and every report open in the web client without error."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_TRACKING))
        shop = cls.env["ec.shop"].create(
            {"name": "Screen shop", "code": "SCR", "platform": "tmall", "tz": "UTC"}
        )
        now = datetime.now()
        parsed = ParsedBill(
            bill_type="test_bill",
            platform="tmall",
            channel="test",
            parser_version="1",
            filename="screens.csv",
            lines=[
                BillLine("S-1", "sale", Decimal("99.5"), now, order_ref="NOPE-1"),
                BillLine("S-2", "commission", Decimal("-4.5"), now, order_ref="NOPE-1"),
                BillLine("S-3", "payout", Decimal("-50"), now),
            ],
        )
        cls.env["ec.settlement"]._import_parsed(parsed, shop=shop)
        cls.env["ec.settlement"]._run_matching(shop)

    def _open(self, xmlid, selector):
        code = """
            (async () => {
                for (let i = 0; i < 200; i++) {
                    if (document.querySelector(%r)) {
                        console.log("test successful");
                        return;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                console.error("%s never showed %s");
            })();
        """ % (selector, xmlid, selector)
        self.browser_js(f"/odoo/action-{xmlid}", code, login="admin", timeout=60)

    def test_dashboard_screen(self):
        self._open("ec_reconcile.ec_shop_dashboard_action", ".o_kanban_record a")

    def test_report_screens(self):
        for xmlid in (
            "ec_reconcile.ec_report_income_expense_action",
            "ec_reconcile.ec_report_profit_action",
            "ec_reconcile.ec_report_profit_sku_action",
            "ec_reconcile.ec_report_unsettled_aging_action",
            "ec_reconcile.ec_report_fee_rate_action",
        ):
            with self.subTest(xmlid=xmlid):
                self._open(xmlid, ".o_pivot table")
        self._open("ec_reconcile.ec_report_partner_ledger_action", ".o_list_view")
        self._open(
            "ec_reconcile.ec_partner_ledger_action",
            ".modal .o_form_view, .o_dialog .o_form_view",
        )
