# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from dateutil.relativedelta import relativedelta

from odoo import fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from .ec_exception import EXCEPTION_TYPES


class EcShop(models.Model):
    """Figures of the shop dashboard (kanban), computed for all shops at once.

    Every figure comes from a constant number of grouped queries over all
    the shops displayed, whatever their number, and as the current user:
    exceptions, bills and rows of other companies are not counted.
    """

    _inherit = "ec.shop"

    dashboard_last_import = fields.Datetime(
        string="Last Bill Imported", compute="_compute_dashboard"
    )
    dashboard_covered_until = fields.Datetime(
        string="Bills Cover Until",
        compute="_compute_dashboard",
        help="End of the latest bill period imported.",
    )
    dashboard_bill_count = fields.Integer(string="Bills", compute="_compute_dashboard")
    dashboard_row_count = fields.Integer(
        string="Rows This Month",
        compute="_compute_dashboard",
        help="Bill rows of the current month (bill days in the shop's time zone).",
    )
    dashboard_order_row_count = fields.Integer(
        string="Rows Naming an Order", compute="_compute_dashboard"
    )
    dashboard_matched_percent = fields.Float(
        string="Matched (%)",
        digits=(16, 1),
        compute="_compute_dashboard",
        help="This month's rows that name an order and were matched to it.",
    )
    dashboard_exception_count = fields.Integer(
        string="Open Exceptions", compute="_compute_dashboard"
    )
    dashboard_exceptions = fields.Json(
        string="Open Exceptions by Type",
        compute="_compute_dashboard",
        help="[{'type', 'label', 'count'}], most frequent first.",
    )
    dashboard_unsettled_count = fields.Integer(
        string="Unsettled Orders", compute="_compute_dashboard"
    )
    dashboard_unsettled_amount = fields.Monetary(
        string="Unsettled Amount",
        currency_field="currency_id",
        compute="_compute_dashboard",
        help="Expected less settled, on orders unsettled or partially settled.",
    )
    dashboard_oldest_unsettled_days = fields.Integer(
        string="Oldest Unsettled (days)", compute="_compute_dashboard"
    )
    dashboard_wallet_available = fields.Boolean(compute="_compute_dashboard")
    dashboard_wallet_balance = fields.Monetary(
        string="Wallet Balance in Odoo",
        currency_field="currency_id",
        compute="_compute_dashboard",
        help="Balance of the wallet journal's account (posted entries).",
    )
    dashboard_has_bill_balance = fields.Boolean(compute="_compute_dashboard")
    dashboard_bill_balance = fields.Monetary(
        string="Closing Balance of Latest Bill",
        currency_field="currency_id",
        compute="_compute_dashboard",
    )
    dashboard_bill_balance_date = fields.Datetime(
        string="Latest Bill Balance At", compute="_compute_dashboard"
    )
    dashboard_wallet_difference = fields.Monetary(
        string="Wallet Difference",
        currency_field="currency_id",
        compute="_compute_dashboard",
        help="Wallet balance in Odoo less the closing balance of the latest bill.",
    )
    dashboard_last_payout_date = fields.Datetime(
        string="Last Payout", compute="_compute_dashboard"
    )
    dashboard_last_payout_amount = fields.Monetary(
        string="Last Payout Amount",
        currency_field="currency_id",
        compute="_compute_dashboard",
    )

    def _compute_dashboard(self):
        shops = self.filtered("id")
        (self - shops).update(self._dashboard_empty_values())
        if not shops:
            return
        today = fields.Date.context_today(self)
        month_start = today.replace(day=1)
        month_end = month_start + relativedelta(months=1)
        bills = shops._dashboard_bills()
        rows = shops._dashboard_rows(month_start, month_end)
        exceptions = shops._dashboard_exceptions()
        unsettled = shops._dashboard_unsettled()
        wallets = shops._dashboard_wallets()
        closings = shops._dashboard_latest_closing()
        payouts = shops._dashboard_last_payout()
        for shop in shops:
            values = self._dashboard_empty_values()
            values.update(bills.get(shop.id, {}))
            values.update(rows.get(shop.id, {}))
            values.update(exceptions.get(shop.id, {}))
            values.update(unsettled.get(shop.id, {}))
            values.update(payouts.get(shop.id, {}))
            closing = closings.get(shop.id)
            if closing:
                values["dashboard_has_bill_balance"] = True
                values["dashboard_bill_balance"] = closing["balance"]
                values["dashboard_bill_balance_date"] = closing["date"]
            if shop.id in wallets:
                values["dashboard_wallet_available"] = True
                values["dashboard_wallet_balance"] = wallets[shop.id]
                if closing:
                    values["dashboard_wallet_difference"] = shop.currency_id.round(
                        wallets[shop.id] - closing["balance"]
                    )
            shop.update(values)

    def _dashboard_empty_values(self):
        return {
            "dashboard_last_import": False,
            "dashboard_covered_until": False,
            "dashboard_bill_count": 0,
            "dashboard_row_count": 0,
            "dashboard_order_row_count": 0,
            "dashboard_matched_percent": 0.0,
            "dashboard_exception_count": 0,
            "dashboard_exceptions": [],
            "dashboard_unsettled_count": 0,
            "dashboard_unsettled_amount": 0.0,
            "dashboard_oldest_unsettled_days": 0,
            "dashboard_wallet_available": False,
            "dashboard_wallet_balance": 0.0,
            "dashboard_has_bill_balance": False,
            "dashboard_bill_balance": 0.0,
            "dashboard_bill_balance_date": False,
            "dashboard_wallet_difference": 0.0,
            "dashboard_last_payout_date": False,
            "dashboard_last_payout_amount": 0.0,
        }

    # ------------------------------------------------------------------
    # One grouped query each
    # ------------------------------------------------------------------

    def _dashboard_bills(self):
        groups = self.env["ec.settlement"]._read_group(
            [("shop_id", "in", self.ids), ("state", "!=", "error")],
            ["shop_id"],
            ["__count", "create_date:max", "period_end:max"],
        )
        return {
            shop.id: {
                "dashboard_bill_count": count,
                "dashboard_last_import": last_import,
                "dashboard_covered_until": covered,
            }
            for shop, count, last_import, covered in groups
        }

    def _dashboard_rows(self, month_start, month_end):
        """Rows this month; matched share of those naming an order."""
        Line = self.env["ec.settlement.line"]
        month = Domain(
            [
                ("shop_id", "in", self.ids),
                ("date_local", ">=", month_start),
                ("date_local", "<", month_end),
            ]
        )
        result = {
            shop.id: {"dashboard_row_count": count}
            for shop, count in Line._read_group(month, ["shop_id"], ["__count"])
        }
        naming_order = (
            month
            & Domain([("kind", "!=", "payout")])
            & (
                Domain([("order_ref", "!=", False)])
                | Domain([("sub_order_ref", "!=", False)])
            )
        )
        for shop, count, matched in Line._read_group(
            naming_order, ["shop_id"], ["__count", "sale_order_id:count"]
        ):
            result.setdefault(shop.id, {}).update(
                {
                    "dashboard_order_row_count": count,
                    "dashboard_matched_percent": round(100.0 * matched / count, 1)
                    if count
                    else 0.0,
                }
            )
        return result

    def _dashboard_exceptions(self):
        labels = dict(
            self.env["ec.exception"]
            ._fields["exception_type"]
            ._description_selection(self.env)
        )
        order = {code: index for index, (code, _label) in enumerate(EXCEPTION_TYPES)}
        result = {}
        for shop, exception_type, count in self.env["ec.exception"]._read_group(
            [("shop_id", "in", self.ids), ("state", "=", "open")],
            ["shop_id", "exception_type"],
            ["__count"],
        ):
            values = result.setdefault(
                shop.id, {"dashboard_exception_count": 0, "dashboard_exceptions": []}
            )
            values["dashboard_exception_count"] += count
            values["dashboard_exceptions"].append(
                {
                    "type": exception_type,
                    "label": labels.get(exception_type, exception_type),
                    "count": count,
                }
            )
        for values in result.values():
            values["dashboard_exceptions"].sort(
                key=lambda e: (-e["count"], order.get(e["type"], 99))
            )
        return result

    def _dashboard_unsettled(self):
        groups = self.env["ec.report.unsettled.aging"]._read_group(
            [("shop_id", "in", self.ids)],
            ["shop_id"],
            ["__count", "unsettled_amount:sum", "age_days:max"],
        )
        return {
            shop.id: {
                "dashboard_unsettled_count": count,
                "dashboard_unsettled_amount": amount,
                "dashboard_oldest_unsettled_days": age or 0,
            }
            for shop, count, amount, age in groups
        }

    def _dashboard_wallets(self):
        """Balance of each wallet journal's account, in the journal's currency.

        Empty when the user may not read journal items (no accounting rights).
        """
        MoveLine = self.env["account.move.line"]
        if not MoveLine.has_access("read"):
            return {}
        shops = self.filtered("wallet_journal_id.default_account_id")
        if not shops:
            return {}
        accounts = shops.wallet_journal_id.default_account_id
        sums = {
            (account.id, company.id): (balance, amount_currency)
            for account, company, balance, amount_currency in MoveLine._read_group(
                [
                    ("account_id", "in", accounts.ids),
                    ("company_id", "in", shops.company_id.ids),
                    ("parent_state", "=", "posted"),
                ],
                ["account_id", "company_id"],
                ["balance:sum", "amount_currency:sum"],
            )
        }
        result = {}
        for shop in shops:
            journal = shop.wallet_journal_id
            balance, amount_currency = sums.get(
                (journal.default_account_id.id, shop.company_id.id), (0.0, 0.0)
            )
            foreign = (
                journal.currency_id
                and journal.currency_id != shop.company_id.currency_id
            )
            result[shop.id] = amount_currency if foreign else balance
        return result

    def _dashboard_latest_closing(self):
        """Closing balance of each shop's latest bill that states one."""
        self.env["ec.settlement"].flush_model(
            ["shop_id", "state", "has_balances", "closing_balance", "period_end"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (shop_id) shop_id, closing_balance,
                       COALESCE(period_end, period_start, create_date)
                  FROM ec_settlement
                 WHERE shop_id IN %s AND has_balances AND state != 'error'
                 ORDER BY shop_id, COALESCE(period_end, period_start) DESC NULLS LAST,
                          id DESC
                """,
                tuple(self.ids),
            )
        )
        return {
            shop_id: {"balance": balance or 0.0, "date": date}
            for shop_id, balance, date in rows
        }

    def _dashboard_last_payout(self):
        self.env["ec.settlement.line"].flush_model(
            ["shop_id", "kind", "amount", "date"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (shop_id) shop_id, date, amount
                  FROM ec_settlement_line
                 WHERE shop_id IN %s AND kind = 'payout'
                 ORDER BY shop_id, date DESC NULLS LAST, id DESC
                """,
                tuple(self.ids),
            )
        )
        return {
            shop_id: {
                "dashboard_last_payout_date": date,
                # Payouts leave the wallet: shown as the amount paid out.
                "dashboard_last_payout_amount": -(amount or 0.0),
            }
            for shop_id, date, amount in rows
        }

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def _dashboard_action(self, xmlid, domain, context=None):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = domain
        action["context"] = context or {}
        action["name"] = f"{action.get('name')} - {self.display_name}"
        return action

    def action_dashboard_bills(self):
        return self._dashboard_action(
            "ec_reconcile.ec_settlement_action", [("shop_id", "=", self.id)]
        )

    def action_dashboard_rows(self):
        return self._dashboard_action(
            "ec_reconcile.ec_settlement_line_action", [("shop_id", "=", self.id)]
        )

    def action_dashboard_exceptions(self):
        return self._dashboard_action(
            "ec_reconcile.ec_exception_action",
            [("shop_id", "=", self.id)],
            {"search_default_open": 1, "search_default_group_type": 1},
        )

    def action_dashboard_unsettled_orders(self):
        return self._dashboard_action(
            "ec_reconcile.ec_platform_order_action",
            [("ec_shop_id", "=", self.id)],
            {"search_default_ec_unsettled": 1},
        )

    def action_dashboard_aging(self):
        return self._dashboard_action(
            "ec_reconcile.ec_report_unsettled_aging_action",
            [("shop_id", "=", self.id)],
        )
