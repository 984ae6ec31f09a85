# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bulk loader of a generated month's orders into Odoo, for benchmarks.

``generate_month.py`` writes ``orders.csv`` (one line per order line); this
module turns it into what a seller's Odoo holds before the bills arrive:

- ``sale.order`` (state ``sale``) with ``ec_shop_id``/``ec_order_ref``, one
  line per SKU (``ec_sub_order_ref``), plus a *Shipping* and a *Merchant
  discount* line where the order has them, so that the order total is the
  expected settlement income (``sum(amount) - discount + shipping``);
- one outgoing picking per order with its move(s) and move line(s), done on
  the delivery date (left waiting when ``delivery_date`` is empty: the
  ``settled_not_shipped`` anomaly);
- one customer invoice per shop and delivery day (``_ec_invoice_delivered``
  does the same in production), posted, its lines linked to the order lines;
- a posted credit note per refund that happened within the month (~2/3 of
  the ~5 % refunds; the others fall after the month and are not in the
  bills either).

Everything is written with PostgreSQL ``COPY``: through the ORM
(``action_confirm`` + ``button_validate``, ``account.move.create`` +
``action_post``) a month of 160k orders takes hours (invoices alone: 122 ms
per invoice line on the shared bench machine). Each row is a copy of a
*template* record made once through the ORM (per currency: one confirmed and
delivered order, its posted invoice and a posted credit note), with the
columns that differ per record overwritten (amounts, dates, partner, names,
sequence numbers, links), so every other column (defaults, company,
warehouse, locations, picking type, accounts, journal, ...) holds a value the
ORM itself produced. Invoiced quantities and invoice states of the order
lines are then set in one SQL statement from the invoice lines, as the ORM
computes them. ``load(..., orm_invoices=True)`` makes the invoices through
the ORM instead (slow, for comparison).

Not written: ``stock.reference`` links of the moves, stock quants (the
products are consumables, which Odoo does not count), analytic lines.
``check_sample`` reads some orders back through the ORM and compares amounts
and states with ``orders.csv``.
"""

import collections
import csv
import datetime as dt
import io
import json
import logging
import time
from decimal import Decimal

_logger = logging.getLogger(__name__)

TEMPLATE_REF = "EC-BENCH-TEMPLATE"
CENT = Decimal("0.01")
INVOICE_BATCH = 200


# ---------------------------------------------------------------------------
# orders.csv
# ---------------------------------------------------------------------------


def _utc(text):
    """'2025-10-22 23:45:11+08:00' -> naive UTC datetime (Odoo's storage)."""
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _local_day(text):
    return dt.date.fromisoformat(text[:10]) if text else None


def read_orders(path):
    """{(shop, order_no): order dict} from ``orders.csv``, in file order."""
    orders = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["shop"], row["order_no"])
            order = orders.get(key)
            if order is None:
                order = orders[key] = {
                    "shop": row["shop"],
                    "order_no": row["order_no"],
                    "currency": row["currency"],
                    "ordered": _utc(row["order_date"]),
                    "delivered": _utc(row["delivery_date"]),
                    "delivery_day": _local_day(row["delivery_date"]),
                    "discount": Decimal(row["discount"] or 0),
                    "shipping": Decimal(row["shipping"] or 0),
                    "lines": [],
                }
            order["lines"].append(
                {
                    "sub": row["sub_order_no"] or None,
                    "sku": row["sku"],
                    "qty": int(row["qty"]),
                    "amount": Decimal(row["amount"]),
                    "refund": Decimal(row["refund_amount"] or 0),
                    "refund_date": _utc(row["refund_date"]),
                    "refund_day": _local_day(row["refund_date"]),
                }
            )
    return orders


# ---------------------------------------------------------------------------
# Master data made through the ORM (a few thousand records at most)
# ---------------------------------------------------------------------------


def ensure_setup(env, company, shops):
    """Products per SKU, the shops' platform partners, price precision."""
    # Line amounts are not always a multiple of the quantity (284.37 for 3):
    # unit prices need 4 decimals for the line total to be exact.
    precision = env.ref("product.decimal_price")
    if precision.digits < 4:
        precision.digits = 4
    Warehouse = env["stock.warehouse"].with_company(company)
    if not Warehouse.search([("company_id", "=", company.id)], limit=1):
        # A company made by a script (bench_import.ensure_company) has none.
        Warehouse.create(
            {
                "name": f"{company.name} warehouse",
                "code": "ECB",
                "company_id": company.id,
                "partner_id": company.partner_id.id,
            }
        )
    Partner = env["res.partner"]
    for shop in shops.values():
        if not shop.partner_id:
            shop.partner_id = Partner.create(
                {
                    "name": f"{shop.code} platform customers",
                    "company_id": company.id,
                    "is_company": True,
                }
            )


def ensure_products(env, company, skus):
    """{sku: product.product}: consumables without taxes, invoiced on delivery."""
    Product = env["product.product"].with_company(company)
    existing = {
        p.default_code: p
        for p in Product.search_fetch(
            [("default_code", "in", list(skus))], ["default_code"]
        )
    }
    missing = sorted(set(skus) - set(existing))
    vals = [
        {
            "name": f"Item {sku}",
            "default_code": sku,
            "type": "consu",
            "is_storable": False,
            "invoice_policy": "delivery",
            "taxes_id": [(5, 0, 0)],
            "list_price": 1.0,
            "company_id": company.id,
        }
        for sku in missing
    ]
    for start in range(0, len(vals), 1000):
        for product in Product.create(vals[start : start + 1000]):
            existing[product.default_code] = product
    return existing


def _pricelist(env, company, currency):
    Pricelist = env["product.pricelist"]
    pricelist = Pricelist.search(
        [("currency_id", "=", currency.id), ("company_id", "in", [company.id])],
        limit=1,
    )
    return pricelist or Pricelist.create(
        {
            "name": f"Bench platform prices {currency.name}",
            "currency_id": currency.id,
            "company_id": company.id,
        }
    )


def make_template(env, company, currency, partner, product):
    """One order confirmed and delivered through the ORM: the rows to copy."""
    Order = env["sale.order"].with_company(company)
    ref = f"{TEMPLATE_REF}-{currency.name}"
    order = Order.search([("client_order_ref", "=", ref)], limit=1)
    if not order:
        order = Order.create(
            {
                "partner_id": partner.id,
                "client_order_ref": ref,
                "company_id": company.id,
                "pricelist_id": _pricelist(env, company, currency).id,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "product_uom_qty": 1,
                            "price_unit": 1.0,
                            "tax_ids": [(5, 0, 0)],
                        },
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
        env.flush_all()
    picking = order.picking_ids[:1]
    move = picking.move_ids[:1]
    if not (picking.state == "done" and move.move_line_ids):
        raise RuntimeError(f"template order {order.name} was not delivered")
    return {
        "sale_order": order.id,
        "sale_order_line": order.order_line[:1].id,
        "stock_picking": picking.id,
        "stock_move": move.id,
        "stock_move_line": move.move_line_ids[:1].id,
    }


# ---------------------------------------------------------------------------
# COPY of template rows
# ---------------------------------------------------------------------------


def _copy_text(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    elif isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    else:
        value = str(value)
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


class TableCopier:
    """Rows of ``table`` = its template row with some columns overwritten."""

    def __init__(self, cr, table, template_id):
        self.cr = cr
        self.table = table
        cr.execute(f"SELECT * FROM {table} WHERE id = %s", [template_id])  # noqa: S608
        row = cr.fetchone()
        self.columns = [col.name for col in cr.description]
        self.template = dict(zip(self.columns, row, strict=True))
        self.buffer = io.StringIO()
        self.count = 0

    def new_ids(self, count):
        if not count:
            return []
        self.cr.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
            "FROM generate_series(1, %s)",
            [self.table, count],
        )
        return [row[0] for row in self.cr.fetchall()]

    def add(self, values):
        unknown = set(values) - set(self.template)
        if unknown:
            raise KeyError(f"{self.table}: no columns {sorted(unknown)}")
        row = self.template | values
        self.buffer.write("\t".join(_copy_text(row[c]) for c in self.columns))
        self.buffer.write("\n")
        self.count += 1

    def flush(self):
        if not self.count:
            return 0
        self.buffer.seek(0)
        columns = ", ".join(f'"{c}"' for c in self.columns)
        self.cr._obj.copy_expert(
            f"COPY {self.table} ({columns}) FROM STDIN",  # noqa: S608
            self.buffer,
        )
        count, self.count = self.count, 0
        self.buffer = io.StringIO()
        return count


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _money(value):
    return value.quantize(CENT)


def load(
    env, month_dir, shops, *, period_end, chunk=5000, log=print, orm_invoices=False
):
    """Load ``month_dir/orders.csv`` for ``shops`` ({code: ec.shop}).

    ``period_end``: naive UTC datetime; refunds before it get a credit note.
    Returns counts and timings. Commits after each step.
    """
    timings = {}
    started = time.perf_counter()
    cr = env.cr
    company = next(iter(shops.values())).company_id
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    orders = read_orders(month_dir / "orders.csv")
    ensure_setup(env, company, shops)
    skus = {line["sku"] for order in orders.values() for line in order["lines"]}
    products = ensure_products(env, company, skus | {"EC-SHIPPING", "EC-DISCOUNT"})
    shipping, discount = products["EC-SHIPPING"], products["EC-DISCOUNT"]
    templates = {}
    for shop in shops.values():
        currency = shop.currency_id
        if currency.id not in templates:
            templates[currency.id] = make_template(
                env, company, currency, shop.partner_id, shipping
            )
    cr.commit()
    timings["setup_s"] = round(time.perf_counter() - started, 2)

    # Existing orders of these shops are kept (re-run: nothing added twice).
    cr.execute(
        "SELECT ec_shop_id, ec_order_ref FROM sale_order WHERE ec_shop_id = ANY(%s)",
        [[s.id for s in shops.values()]],
    )
    known = set(cr.fetchall())
    todo = [
        o
        for o in orders.values()
        if o["shop"] in shops and (shops[o["shop"]].id, o["order_no"]) not in known
    ]
    start = time.perf_counter()
    created = _copy_orders(
        env, todo, shops, templates, products, shipping, discount, chunk
    )
    cr.commit()
    timings["copy_s"] = round(time.perf_counter() - start, 2)
    log(
        f"  orders: {created.get('orders', 0)} orders, {created.get('lines', 0)} "
        f"lines, {created.get('pickings_done', 0)} pickings done, "
        f"{created.get('pickings_waiting', 0)} waiting, COPY in {timings['copy_s']} s"
    )

    start = time.perf_counter()
    if orm_invoices:
        invoices = _invoice(env, todo, shops, created["line_ids"], period_end)
    else:
        invoice_templates = {
            currency_id: make_invoice_templates(env, template["sale_order"])
            for currency_id, template in templates.items()
        }
        invoices = _invoice_sql(
            env, todo, shops, created["line_ids"], period_end, invoice_templates
        )
    timings["invoice_s"] = round(time.perf_counter() - start, 2)
    timings["total_s"] = round(time.perf_counter() - started, 2)
    stats = {k: v for k, v in created.items() if k != "line_ids"}
    stats.update(invoices)
    stats.update(timings)
    return stats


def _copy_orders(env, todo, shops, templates, products, shipping, discount, chunk):
    cr = env.cr
    counts = collections.Counter()
    line_ids = {}  # (shop, order_no, index) -> sale_order_line id
    any_template = next(iter(templates.values()))
    copiers = {
        table: TableCopier(cr, table, any_template[table]) for table in any_template
    }
    template_rows = {}
    for currency_id, template in templates.items():
        rows = {}
        for table, record_id in template.items():
            copier = TableCopier(cr, table, record_id)
            rows[table] = copier.template
        template_rows[currency_id] = rows
    orders_t, lines_t = copiers["sale_order"], copiers["sale_order_line"]
    pickings_t, moves_t = copiers["stock_picking"], copiers["stock_move"]
    move_lines_t = copiers["stock_move_line"]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for first in range(0, len(todo), chunk):
        batch = todo[first : first + chunk]
        line_specs = []
        for order in batch:
            specs = [
                (products[line["sku"]], line["qty"], line["amount"], line["sub"])
                for line in order["lines"]
            ]
            if order["shipping"]:
                specs.append((shipping, 1, order["shipping"], None))
            if order["discount"]:
                specs.append((discount, 1, -order["discount"], None))
            line_specs.append(specs)
        n_lines = sum(len(s) for s in line_specs)
        order_ids = orders_t.new_ids(len(batch))
        sol_ids = lines_t.new_ids(n_lines)
        delivered = [o for o in batch if o["delivered"]]
        picking_ids = pickings_t.new_ids(len(batch))
        move_ids = moves_t.new_ids(n_lines)
        n_done_lines = sum(
            len(s) for o, s in zip(batch, line_specs, strict=True) if o["delivered"]
        )
        move_line_ids = iter(move_lines_t.new_ids(n_done_lines))
        sol_iter, move_iter = iter(sol_ids), iter(move_ids)
        for order, specs, order_id, picking_id in zip(
            batch, line_specs, order_ids, picking_ids, strict=True
        ):
            shop = shops[order["shop"]]
            rows = template_rows[shop.currency_id.id]
            partner = shop.partner_id.id
            total = sum((amount for _p, _q, amount, _s in specs), Decimal(0))
            name = f"{order['shop']}/{order['order_no']}"
            done = order["delivered"] is not None
            orders_t.template = rows["sale_order"]
            orders_t.add(
                {
                    "id": order_id,
                    "name": name,
                    "partner_id": partner,
                    "partner_invoice_id": partner,
                    "partner_shipping_id": partner,
                    "date_order": order["ordered"],
                    "create_date": now,
                    "write_date": now,
                    "client_order_ref": None,
                    "access_token": None,
                    "amount_untaxed": _money(total),
                    "amount_tax": 0,
                    "amount_total": _money(total),
                    "invoice_status": "to invoice" if done else "no",
                    "delivery_status": "full" if done else "pending",
                    "effective_date": order["delivered"],
                    "commitment_date": None,
                    "ec_shop_id": shop.id,
                    "ec_order_ref": order["order_no"],
                }
            )
            pickings_t.template = rows["stock_picking"]
            pickings_t.add(
                {
                    "id": picking_id,
                    "name": f"{order['shop']}/OUT/{order['order_no']}",
                    "origin": name,
                    "sale_id": order_id,
                    "partner_id": partner,
                    "state": "done" if done else "confirmed",
                    "scheduled_date": order["delivered"] or order["ordered"],
                    "date_deadline": None,
                    "date_done": order["delivered"],
                    "create_date": now,
                    "write_date": now,
                }
            )
            counts["pickings_done" if done else "pickings_waiting"] += 1
            for index, (product, qty, amount, sub) in enumerate(specs):
                sol_id, move_id = next(sol_iter), next(move_iter)
                line_ids[(order["shop"], order["order_no"], index)] = sol_id
                unit = amount / qty
                lines_t.template = rows["sale_order_line"]
                lines_t.add(
                    _sol_values(
                        sol_id,
                        order_id,
                        index,
                        product,
                        qty,
                        unit,
                        amount,
                        sub,
                        done,
                        partner,
                        now,
                        lines_t.template,
                    )
                )
                moves_t.template = rows["stock_move"]
                move_values = {
                    "id": move_id,
                    "picking_id": picking_id,
                    "sale_line_id": sol_id,
                    "product_id": product.id,
                    "product_uom_qty": qty,
                    "product_qty": qty,
                    "quantity": qty if done else 0,
                    "picked": done,
                    "state": "done" if done else "confirmed",
                    "date": order["delivered"] or order["ordered"],
                    "date_deadline": None,
                    "origin": name,
                    "reference": pickings_t.template["name"]
                    and (f"{order['shop']}/OUT/{order['order_no']}"),
                    "partner_id": partner,
                    "create_date": now,
                    "write_date": now,
                }
                _optional(moves_t.template, move_values, "value", 0)
                _optional(
                    moves_t.template,
                    move_values,
                    "product_tmpl_id",
                    product.product_tmpl_id.id,
                )
                moves_t.add(move_values)
                if done:
                    move_lines_t.template = rows["stock_move_line"]
                    ml_values = {
                        "id": next(move_line_ids),
                        "move_id": move_id,
                        "picking_id": picking_id,
                        "product_id": product.id,
                        "quantity": qty,
                        "quantity_product_uom": qty,
                        "date": order["delivered"],
                        "create_date": now,
                        "write_date": now,
                    }
                    _optional(
                        move_lines_t.template,
                        ml_values,
                        "product_category_name",
                        product.categ_id.complete_name,
                    )
                    move_lines_t.add(ml_values)
        # Parents before children (foreign keys).
        counts["orders"] += orders_t.flush()
        counts["lines"] += lines_t.flush()
        pickings_t.flush()
        moves_t.flush()
        counts["move_lines"] += move_lines_t.flush()
        del delivered
    counts = dict(counts)
    counts["line_ids"] = line_ids
    env.invalidate_all()
    return counts


def _optional(template, values, column, value):
    if column in template:
        values[column] = value


def _sol_values(
    sol_id,
    order_id,
    index,
    product,
    qty,
    unit,
    amount,
    sub,
    done,
    partner,
    now,
    template,
):
    amount = _money(amount)
    values = {
        "id": sol_id,
        "order_id": order_id,
        "sequence": 10 + index,
        "name": product.display_name,
        "product_id": product.id,
        "product_uom_qty": qty,
        "price_unit": unit.quantize(Decimal("0.0001")),
        "discount": 0,
        "price_subtotal": amount,
        "price_total": amount,
        "price_tax": 0,
        "price_reduce_taxexcl": unit.quantize(Decimal("0.0001")),
        "price_reduce_taxinc": unit.quantize(Decimal("0.0001")),
        "qty_delivered": qty if done else 0,
        "qty_invoiced": 0,
        "qty_to_invoice": qty if done else 0,
        "invoice_status": "to invoice" if done else "no",
        "untaxed_amount_invoiced": 0,
        "untaxed_amount_to_invoice": amount if done else 0,
        "order_partner_id": partner,
        "ec_sub_order_ref": sub,
        "create_date": now,
        "write_date": now,
    }
    for column, value in (
        ("technical_price_unit", unit.quantize(Decimal("0.0001"))),
        ("amount_invoiced", 0),
        ("amount_to_invoice", amount if done else 0),
        ("product_template_id", product.product_tmpl_id.id),
        ("extra_tax_data", None),
    ):
        _optional(template, values, column, value)
    return values


def _invoice(env, todo, shops, line_ids, period_end):
    """Daily invoices per shop (delivered orders), credit notes for refunds."""
    Move = env["account.move"].with_context(
        tracking_disable=True, mail_create_nolog=True, mail_notrack=True
    )
    by_day = collections.defaultdict(list)
    refunds = []
    for order in todo:
        if order["delivered"] is None:
            continue
        by_day[(order["shop"], order["delivery_day"])].append(order)
        for index, line in enumerate(order["lines"]):
            if (
                line["refund"]
                and line["refund_date"]
                and line["refund_date"] < period_end
            ):
                refunds.append((order, index, line))
    Line = env["sale.order.line"]
    vals_list = []
    for (shop_code, day), day_orders in sorted(by_day.items(), key=lambda i: i[0][1]):
        shop = shops[shop_code]
        invoice_lines = []
        for order in day_orders:
            count = (
                len(order["lines"]) + bool(order["shipping"]) + bool(order["discount"])
            )
            for index in range(count):
                sol_id = line_ids[(shop_code, order["order_no"], index)]
                invoice_lines.append(sol_id)
        vals_list.append((shop, day, invoice_lines))
    counts = collections.Counter()
    # Read the copied lines once (product, quantity, price) for the vals.
    all_ids = [i for _s, _d, ids in vals_list for i in ids]
    sol_data = {}
    for start in range(0, len(all_ids), 20000):
        for rec in Line.browse(all_ids[start : start + 20000]).read(
            ["product_id", "product_uom_qty", "price_unit", "name"], load=None
        ):
            sol_data[rec["id"]] = rec
    batch = []

    def flush(batch):
        if not batch:
            return
        moves = Move.create(batch)
        moves.action_post()
        counts[
            "invoices" if batch[0]["move_type"] == "out_invoice" else "credit_notes"
        ] += len(moves)
        counts["invoice_lines"] += sum(len(v["invoice_line_ids"]) for v in batch)
        env.cr.commit()
        env.invalidate_all()

    for shop, day, ids in vals_list:
        batch.append(
            {
                "move_type": "out_invoice",
                "partner_id": shop.partner_id.id,
                "currency_id": shop.currency_id.id,
                "invoice_date": day,
                "date": day,
                "invoice_origin": f"{shop.code} {day}",
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": sol_data[i]["product_id"],
                            "name": sol_data[i]["name"],
                            "quantity": sol_data[i]["product_uom_qty"],
                            "price_unit": sol_data[i]["price_unit"],
                            "tax_ids": [(5, 0, 0)],
                            "sale_line_ids": [(6, 0, [i])],
                        },
                    )
                    for i in ids
                ],
            }
        )
        if sum(len(v["invoice_line_ids"]) for v in batch) >= 2000:
            flush(batch)
            batch = []
    flush(batch)
    batch = []
    for order, index, line in refunds:
        shop = shops[order["shop"]]
        sol_id = line_ids[(order["shop"], order["order_no"], index)]
        batch.append(
            {
                "move_type": "out_refund",
                "partner_id": shop.partner_id.id,
                "currency_id": shop.currency_id.id,
                "invoice_date": line["refund_day"],
                "date": line["refund_day"],
                "invoice_origin": f"{order['shop']}/{order['order_no']}",
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": sol_data.get(sol_id, {}).get("product_id"),
                            "name": f"Refund {order['order_no']}",
                            "quantity": 1,
                            "price_unit": float(line["refund"]),
                            "tax_ids": [(5, 0, 0)],
                            "sale_line_ids": [(6, 0, [sol_id])],
                        },
                    )
                ],
            }
        )
        if len(batch) >= INVOICE_BATCH:
            flush(batch)
            batch = []
    flush(batch)
    return dict(counts)


def make_invoice_templates(env, order_template_id):
    """A posted invoice and credit note of the template order (ORM)."""
    order = env["sale.order"].browse(order_template_id)
    invoice = order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")[:1]
    if not invoice:
        invoice = order._create_invoices()
        invoice.action_post()
    refund = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")[:1]
    if not refund:
        line = order.order_line[:1]
        refund = env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": order.partner_id.id,
                "currency_id": order.currency_id.id,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": line.product_id.id,
                            "quantity": 1,
                            "price_unit": 0.5,
                            "tax_ids": [(5, 0, 0)],
                            "sale_line_ids": [(6, 0, line.ids)],
                        },
                    )
                ],
            }
        )
        refund.action_post()
    env.flush_all()
    result = {}
    for move in (invoice, refund):
        product = move.line_ids.filtered(lambda aml: aml.display_type == "product")
        term = move.line_ids.filtered(lambda aml: aml.display_type == "payment_term")
        if len(product) != 1 or len(term) != 1:
            raise RuntimeError(f"template {move.name}: unexpected lines")
        result[move.move_type] = (move.id, product.id, term.id)
    return result


def _invoice_sql(env, todo, shops, line_ids, period_end, templates):  # noqa: C901
    """Daily invoices and credit notes written with COPY, cloned from posted
    ORM-made templates; order lines' invoiced quantities updated in SQL."""
    cr = env.cr
    company = next(iter(shops.values())).company_id
    company_currency = company.currency_id
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rates = {}

    def to_company(currency, amount, day):
        if currency == company_currency:
            return amount
        key = (currency.id, day)
        if key not in rates:
            rates[key] = Decimal(
                str(
                    currency._get_conversion_rate(
                        currency, company_currency, company, day
                    )
                )
            )
        return _money(amount * rates[key])

    by_day = collections.defaultdict(list)
    refunds = []
    for order in todo:
        if order["delivered"] is None:
            continue
        by_day[(order["shop"], order["delivery_day"])].append(order)
        for index, line in enumerate(order["lines"]):
            if (
                line["refund"]
                and line["refund_date"]
                and line["refund_date"] < period_end
            ):
                refunds.append((order, index, line))
    # Sale line data (product, qty, price) from the rows just copied.
    all_ids = list(line_ids.values())
    sol = {}
    for start in range(0, len(all_ids), 50000):
        cr.execute(
            "SELECT id, product_id, product_uom_qty, price_unit, price_subtotal, name "
            "FROM sale_order_line WHERE id = ANY(%s)",
            [all_ids[start : start + 50000]],
        )
        for row in cr.fetchall():
            sol[row[0]] = row
    # One invoice = (shop, day, [(sale line id, qty, unit, amount)]).
    documents = []
    for (shop_code, day), day_orders in sorted(by_day.items(), key=lambda i: i[0][1]):
        items = []
        for order in day_orders:
            count = (
                len(order["lines"]) + bool(order["shipping"]) + bool(order["discount"])
            )
            for index in range(count):
                sol_id = line_ids[(shop_code, order["order_no"], index)]
                _id, _p, qty, unit, subtotal, _n = sol[sol_id]
                items.append(
                    (sol_id, qty, Decimal(str(unit)), _money(Decimal(str(subtotal))))
                )
        documents.append(("out_invoice", shops[shop_code], day, items, None))
    for order, index, line in refunds:
        sol_id = line_ids[(order["shop"], order["order_no"], index)]
        items = [(sol_id, 1, line["refund"], _money(line["refund"]))]
        documents.append(
            (
                "out_refund",
                shops[order["shop"]],
                line["refund_day"],
                items,
                f"{order['shop']}/{order['order_no']}",
            )
        )
    # Copiers per document type and currency (templates differ by currency).
    counts = collections.Counter()
    sequence = collections.Counter()
    moves_t = lines_t = None
    move_ids_all = []
    rel = io.StringIO()
    for first in range(0, len(documents), 2000):
        batch = documents[first : first + 2000]
        for move_type, shop, day, items, origin in batch:
            currency = shop.currency_id
            move_tpl, product_tpl, term_tpl = templates[currency.id][move_type]
            if moves_t is None:
                moves_t = TableCopier(cr, "account_move", move_tpl)
                lines_t = TableCopier(cr, "account_move_line", product_tpl)
                cache = {}
            for table, record_id in (
                ("account_move", move_tpl),
                ("account_move_line", product_tpl),
                ("account_move_line", term_tpl),
            ):
                if (table, record_id) not in cache:
                    cache[table, record_id] = TableCopier(cr, table, record_id).template
            sign = 1 if move_type == "out_invoice" else -1
            move_id = moves_t.new_ids(1)[0]
            move_ids_all.append(move_id)
            prefix = f"{'INV' if sign > 0 else 'RINV'}/EB/{shop.code}/{day.year}/"
            sequence[prefix] += 1
            name = f"{prefix}{sequence[prefix]:05d}"
            total = sum((amount for _i, _q, _u, amount in items), Decimal(0))
            total_c = Decimal(0)
            aml_ids = lines_t.new_ids(len(items) + 1)
            partner = shop.partner_id
            for (sol_id, qty, unit, amount), aml_id in zip(
                items, aml_ids, strict=False
            ):
                balance = -sign * to_company(currency, Decimal(amount), day)
                total_c -= balance
                lines_t.template = cache["account_move_line", product_tpl]
                lines_t.add(
                    {
                        "id": aml_id,
                        "move_id": move_id,
                        "move_name": name,
                        "product_id": sol[sol_id][1],
                        "name": sol[sol_id][5],
                        "partner_id": partner.id,
                        "currency_id": currency.id,
                        "date": day,
                        "invoice_date": day,
                        "quantity": qty,
                        "price_unit": unit,
                        "price_subtotal": amount,
                        "price_total": amount,
                        "balance": balance,
                        "debit": max(balance, 0),
                        "credit": max(-balance, 0),
                        "amount_currency": -sign * Decimal(amount),
                        "amount_residual": 0,
                        "amount_residual_currency": 0,
                        "create_date": now,
                        "write_date": now,
                    }
                )
                rel.write(f"{aml_id}\t{sol_id}\n")
            lines_t.template = cache["account_move_line", term_tpl]
            lines_t.add(
                {
                    "id": aml_ids[-1],
                    "move_id": move_id,
                    "move_name": name,
                    "name": name if sign > 0 else "",
                    "partner_id": partner.id,
                    "currency_id": currency.id,
                    "date": day,
                    "invoice_date": day,
                    "date_maturity": day,
                    "balance": total_c,
                    "debit": max(total_c, 0),
                    "credit": max(-total_c, 0),
                    "amount_currency": sign * total,
                    "amount_residual": total_c,
                    "amount_residual_currency": sign * total,
                    "create_date": now,
                    "write_date": now,
                }
            )
            moves_t.template = cache["account_move", move_tpl]
            total_c_abs = abs(total_c)
            moves_t.add(
                {
                    "id": move_id,
                    "name": name,
                    "sequence_prefix": prefix,
                    "sequence_number": sequence[prefix],
                    "partner_id": partner.id,
                    "commercial_partner_id": partner.commercial_partner_id.id,
                    "partner_shipping_id": partner.id,
                    "currency_id": currency.id,
                    "date": day,
                    "invoice_date": day,
                    "invoice_date_due": day,
                    "invoice_origin": origin or f"{shop.code} {day}",
                    "payment_reference": name if sign > 0 else None,
                    "invoice_partner_display_name": partner.display_name,
                    "access_token": None,
                    "amount_untaxed": total,
                    "amount_tax": 0,
                    "amount_total": total,
                    "amount_residual": total,
                    "amount_untaxed_signed": sign * total_c_abs,
                    "amount_untaxed_in_currency_signed": sign * total,
                    "amount_tax_signed": 0,
                    "amount_total_signed": sign * total_c_abs,
                    "amount_total_in_currency_signed": sign * total,
                    "amount_residual_signed": sign * total_c_abs,
                    "invoice_currency_rate": (
                        Decimal(1) / rates[(currency.id, day)]
                        if currency != company_currency
                        else 1
                    ),
                    "create_date": now,
                    "write_date": now,
                }
            )
            counts["invoices" if sign > 0 else "credit_notes"] += 1
            counts["invoice_lines"] += len(items)
        moves_t.flush()
        lines_t.flush()
    rel.seek(0)
    cr._obj.copy_expert(
        "COPY sale_order_line_invoice_rel (invoice_line_id, order_line_id) FROM STDIN",
        rel,
    )
    # What the ORM recomputes from the invoice lines, in one statement.
    cr.execute(
        """
        WITH inv AS (
            SELECT rel.order_line_id AS id,
                   SUM(CASE m.move_type WHEN 'out_invoice' THEN aml.quantity
                                        ELSE -aml.quantity END) AS qty,
                   SUM(CASE m.move_type WHEN 'out_invoice' THEN aml.price_subtotal
                                        ELSE -aml.price_subtotal END) AS amount
              FROM sale_order_line_invoice_rel rel
              JOIN account_move_line aml ON aml.id = rel.invoice_line_id
              JOIN account_move m ON m.id = aml.move_id
             WHERE m.id = ANY(%s)
             GROUP BY rel.order_line_id
        )
        UPDATE sale_order_line sol
           SET qty_invoiced = inv.qty,
               qty_to_invoice = sol.qty_delivered - inv.qty,
               untaxed_amount_invoiced = inv.amount,
               untaxed_amount_to_invoice = 0,
               invoice_status = CASE WHEN sol.qty_delivered - inv.qty > 0
                                     THEN 'to invoice' ELSE 'invoiced' END
          FROM inv WHERE inv.id = sol.id
        """,
        [move_ids_all],
    )
    cr.execute(
        """
        UPDATE sale_order so
           SET invoice_status = CASE WHEN bool_and_status THEN 'invoiced'
                                     ELSE 'to invoice' END
          FROM (SELECT order_id, bool_and(invoice_status = 'invoiced')
                       AS bool_and_status
                  FROM sale_order_line
                 WHERE order_id IN (SELECT DISTINCT sol.order_id
                                      FROM sale_order_line_invoice_rel rel
                                      JOIN sale_order_line sol
                                        ON sol.id = rel.order_line_id
                                      JOIN account_move_line aml
                                        ON aml.id = rel.invoice_line_id
                                     WHERE aml.move_id = ANY(%s))
                 GROUP BY order_id) lines
         WHERE lines.order_id = so.id
        """,
        [move_ids_all],
    )
    cr.commit()
    env.invalidate_all()
    return dict(counts)


# ---------------------------------------------------------------------------
# Checks through the ORM
# ---------------------------------------------------------------------------


def _check_moves(moves):
    """Amounts the ORM recomputes from the lines equal the stored ones."""
    problems = []
    for move in moves:
        stored = (move.amount_total, move.amount_residual, move.amount_total_signed)
        if abs(sum(move.line_ids.mapped("balance"))) > 0.001:
            problems.append(f"{move.name}: unbalanced")
        move._compute_amount()
        again = (move.amount_total, move.amount_residual, move.amount_total_signed)
        if any(abs(a - b) > 0.001 for a, b in zip(stored, again, strict=True)):
            problems.append(f"{move.name}: stored {stored} != ORM {again}")
        if move.state != "posted" or move.payment_state not in ("not_paid", "partial"):
            problems.append(f"{move.name}: {move.state} {move.payment_state}")
    return problems


def check_sample(env, month_dir, shops, *, period_end, sample=20, seed=7):  # noqa: C901
    """Read ``sample`` orders back through the ORM; return the problems found."""
    import random  # noqa: PLC0415

    orders = read_orders(month_dir / "orders.csv")
    keys = sorted(k for k in orders if k[0] in shops)
    picked = random.Random(seed).sample(keys, min(sample, len(keys)))
    # Always include a refunded and an undelivered order when there are some.
    for wanted in (
        lambda o: any(
            ln["refund"] and ln["refund_date"] and ln["refund_date"] < period_end
            for ln in o["lines"]
        ),
        lambda o: o["delivered"] is None,
    ):
        extra = next((k for k in keys if wanted(orders[k])), None)
        if extra and extra not in picked:
            picked.append(extra)
    problems = []
    checked = collections.Counter()
    env.invalidate_all()
    for key in picked:
        spec = orders[key]
        shop = shops[key[0]]
        so = env["sale.order"].search(
            [("ec_shop_id", "=", shop.id), ("ec_order_ref", "=", key[1])]
        )
        if len(so) != 1:
            problems.append(f"{key}: {len(so)} orders")
            continue
        expected = (
            sum(ln["amount"] for ln in spec["lines"])
            - spec["discount"]
            + spec["shipping"]
        )
        # Recompute through the ORM, compare with what COPY wrote.
        copied_total = so.amount_total
        so.order_line._compute_amount()
        so._compute_amounts()
        if abs(Decimal(str(so.amount_total)) - expected) > CENT / 2:
            problems.append(f"{key}: ORM total {so.amount_total} != {expected}")
        if abs(copied_total - so.amount_total) > 0.001:
            problems.append(
                f"{key}: copied total {copied_total} != ORM {so.amount_total}"
            )
        if so.state != "sale" or so.currency_id != shop.currency_id:
            problems.append(f"{key}: state {so.state}, currency {so.currency_id.name}")
        pickings = so.picking_ids
        done = spec["delivered"] is not None
        if len(pickings) != 1 or (pickings.state == "done") != done:
            problems.append(f"{key}: pickings {pickings.mapped('state')}")
        if done and pickings.move_ids.mapped("state") != ["done"] * len(
            pickings.move_ids
        ):
            problems.append(f"{key}: moves {pickings.move_ids.mapped('state')}")
        if done and sum(pickings.move_ids.move_line_ids.mapped("quantity")) != sum(
            ln["qty"] for ln in spec["lines"]
        ) + bool(spec["shipping"]) + bool(spec["discount"]):
            problems.append(f"{key}: move line quantities")
        if so.delivery_status != ("full" if done else "pending"):
            problems.append(f"{key}: delivery_status {so.delivery_status}")
        invoices = so.invoice_ids.filtered(lambda m: m.state == "posted")
        refunded = sum(
            (
                ln["refund"]
                for ln in spec["lines"]
                if ln["refund"] and ln["refund_date"] and ln["refund_date"] < period_end
            ),
            Decimal(0),
        )
        invoiced = Decimal(0)
        for aml in so.order_line.invoice_lines.filtered(
            lambda aml: aml.parent_state == "posted"
        ):
            sign = 1 if aml.move_id.move_type == "out_invoice" else -1
            invoiced += sign * Decimal(str(aml.price_total))
        if done:
            if abs(invoiced - (expected - refunded)) > CENT / 2:
                problems.append(f"{key}: invoiced {invoiced} != {expected - refunded}")
            if so.invoice_status != "invoiced" and not refunded:
                problems.append(f"{key}: invoice_status {so.invoice_status}")
            if not invoices:
                problems.append(f"{key}: no posted invoice")
            problems += _check_moves(so.invoice_ids)
            checked["invoiced"] += 1
        elif invoices:
            problems.append(f"{key}: undelivered but invoiced")
        checked["refunded"] += bool(refunded)
        checked["undelivered"] += not done
        checked["orders"] += 1
    env.invalidate_all()
    return {"checked": dict(checked), "problems": problems}
