# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The demo: real bills of four shops, their orders, reconciled and posted.

Run at demo-data install (``ec.shop._demo_run_pipeline``). Orders are made
from the bills' own rows, delivered and invoiced per day; a few anomalies
are left on purpose (an order missing in Odoo, an order whose price differs
from what was settled, a refund without credit note) so the exception queue
shows each kind of decision.
"""

import logging
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from odoo.fields import Command

from ..parsers import parse_file

_logger = logging.getLogger(__name__)

BILLS = Path(__file__).resolve().parent.parent / "demo" / "bills"

# shop xml id -> (bill files, currency, time zone, platform account)
SHOPS = {
    "ec_shop_demo_tmall": (
        ["taobao_alipay_account_log.csv"],
        "CNY",
        "Asia/Shanghai",
        "20880987654321000156",
    ),
    "ec_shop_demo_jd": (["jd_settlement_detail.csv"], "CNY", "Asia/Shanghai", None),
    "ec_shop_demo_douyin": (
        ["douyin_shop_account_item.json"],
        "CNY",
        "Asia/Shanghai",
        None,
    ),
    "ec_shop_demo_shopify": (
        ["shopify_payment_transactions.csv"],
        "USD",
        "America/New_York",
        None,
    ),
}

INCOME_KINDS = ("sale", "platform_coupon")


def run(env):
    company = env.company
    _setup_currencies(env, company)
    env["ec.fee.kind.mapping"].action_create_defaults()
    product = _demo_product(env)
    shops = env["ec.shop"]
    bill_files, credit_notes = [], []
    for xmlid, (files, currency, tz, account) in SHOPS.items():
        shop = env.ref(f"ec_reconcile.{xmlid}")
        shop.write(
            {
                "currency_id": env.ref(f"base.{currency}").id,
                "tz": tz,
                "platform_account": account or shop.platform_account,
                "bank_journal_id": _bank_journal(env).id,
            }
        )
        shops |= shop
        for name in files:
            data = (BILLS / name).read_bytes()
            bill_files.append((shop, name, data))
            credit_notes += _create_orders(
                env, shop, product, parse_file(name, data)[0]
            )
    env["sale.order"]._ec_invoice_delivered(shops)
    for order, amount in credit_notes:
        _credit_note(env, order, amount)
    Settlement = env["ec.settlement"]
    bills = Settlement.browse()
    for shop, name, data in bill_files:
        bills |= Settlement._import_file(name, data, shop=shop, source="upload")
    Settlement._run_matching(shops)
    good = bills.filtered(lambda b: b.state != "error")
    good.action_post()
    _logger.info(
        "Demo pipeline: %s bills, %s rows, %s entries, %s open exceptions",
        len(bills),
        sum(bills.mapped("line_count")),
        len(good.line_ids.move_id),
        env["ec.exception"].search_count([("state", "=", "open")]),
    )


def _setup_currencies(env, company):
    cny = env.ref("base.CNY")
    usd = env.ref("base.USD")
    (cny | usd).active = True
    rates = {"CNY": 7.10, "USD": 1.0}
    base = rates.get(company.currency_id.name)
    if not base:
        return
    for currency in (cny, usd):
        if currency == company.currency_id:
            continue
        env["res.currency.rate"].create(
            {
                "currency_id": currency.id,
                "name": "2024-01-01",
                "rate": rates[currency.name] / base,
                "company_id": company.id,
            }
        )


def _bank_journal(env):
    journal = env["account.journal"].search(
        [("type", "=", "bank"), ("code", "=", "ECBNK")], limit=1
    )
    return journal or env["account.journal"].create(
        {"name": "Company bank (payouts)", "code": "ECBNK", "type": "bank"}
    )


def _demo_product(env):
    return env["product.product"].create(
        {
            "name": "Demo tea set",
            "default_code": "EC-DEMO-TEA",
            "type": "consu",
            "list_price": 100.0,
            "invoice_policy": "order",
            "taxes_id": [Command.clear()],
        }
    )


def _create_orders(env, shop, product, parsed):
    """Orders of a bill's rows: income = order amount, refunds noted."""
    income = defaultdict(Decimal)
    refunds = defaultdict(Decimal)
    dates = {}
    for line in parsed.lines:
        if not line.order_ref:
            continue
        if line.kind in INCOME_KINDS:
            income[line.order_ref] += line.amount
        elif line.kind == "refund":
            refunds[line.order_ref] += line.amount
        if line.date:
            dates[line.order_ref] = min(dates.get(line.order_ref, line.date), line.date)
    refs = sorted(income)
    pending_credit_notes = []
    # Anomalies: the last order is missing from Odoo (unknown order); the
    # first one was sold at another price than the bill settled.
    missing = refs[-1] if len(refs) > 2 else None
    Order = env["sale.order"].with_context(tracking_disable=True)
    for index, ref in enumerate(refs):
        if ref == missing:
            continue
        amount = float(income[ref])
        if index == 0 and len(refs) > 2:
            amount += 5.0
        order_date = dates[ref] - timedelta(days=3)
        order = Order.create(
            {
                "partner_id": shop.partner_id.id,
                "ec_shop_id": shop.id,
                "ec_order_ref": ref,
                "date_order": order_date,
                "currency_id": shop.currency_id.id,
                "pricelist_id": _pricelist(env, shop.currency_id).id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        for picking in order.picking_ids:
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
                move.picked = True
            picking.button_validate()
            picking.date_done = order_date + timedelta(days=1)
        if refunds.get(ref) and index % 2 == 1:
            # A credit note for every other refund; the others stay flagged.
            pending_credit_notes.append((order, -float(refunds[ref])))
    return pending_credit_notes


def _credit_note(env, order, amount):
    line = order.order_line[:1]
    credit = env["account.move"].create(
        {
            "move_type": "out_refund",
            "partner_id": order.partner_invoice_id.id,
            "currency_id": order.currency_id.id,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": line.product_id.id,
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [Command.clear()],
                        "sale_line_ids": [Command.set(line.ids)],
                    }
                )
            ],
        }
    )
    credit.action_post()
    return credit


def _pricelist(env, currency):
    company = env.company
    pricelist = env["product.pricelist"].search(
        [
            ("currency_id", "=", currency.id),
            ("company_id", "in", [False, company.id]),
        ],
        limit=1,
    )
    return pricelist or env["product.pricelist"].create(
        {
            "name": f"Platform prices {currency.name}",
            "currency_id": currency.id,
            "company_id": company.id,
        }
    )
