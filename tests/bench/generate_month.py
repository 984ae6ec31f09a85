#!/usr/bin/env python3
# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Generate a realistic, reproducible month of platform bills for 40 shops.

Plain Python, no Odoo. Writes, under ``--out``:

- ``bills/<SHOP>/…``: the bills in the platforms' real layouts (those of
  ``shared/fixtures/bills`` and ``shared/docs/platform-bills.md``), one file
  per shop per bill type per day (Alipay, WeChat Pay, JD, PDD, Douyin,
  WeChat Channels, Stripe), per settlement period (Amazon) or per month
  (Shopify, PayPal), as the platforms deliver them;
- ``orders.csv``: one line per order line (sub-order) with its shop,
  platform order no, SKU, quantity, amount, merchant discount, delivery and
  refund, to create the matching sale orders;
- ``payouts.csv``: every withdrawal / payout the bills contain (for bank
  statement matching);
- ``manifest.json``: shops (platform account as printed on the bills,
  currency), files (expected parser, rows, broken or not), the injected
  anomalies (each with enough detail to check that a matcher finds it) and
  totals.

Scale 1.0 is the reference month of ``shared/docs/design.md``: 40 shops,
about 160k orders and about 1M normalized bill lines; one "big sale day"
has ten times the normal volume. ``--check`` parses every file with the
add-on's parsers and compares with the manifest.

    python3 tests/bench/generate_month.py --scale 0.1 --out /tmp/ec_month --check
"""

import argparse
import calendar
import collections
import csv
import datetime as dt
import io
import json
import math
import os
import pathlib
import random
import sys
import time
from zoneinfo import ZoneInfo

REPO = pathlib.Path(__file__).resolve().parents[2]
CN_TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
ONE_DAY = dt.timedelta(days=1)

REFERENCE_ORDERS = 160_000

# (code prefix, platform, number of shops, share of the month's orders,
#  currency, time zone of the shop's bills)
PLATFORM_MIX = [
    ("TM", "tmall", 6, 0.25, "CNY", CN_TZ),
    ("TB", "taobao", 4, 0.06, "CNY", CN_TZ),
    ("DY", "douyin", 6, 0.28, "CNY", CN_TZ),
    ("JD", "jd", 5, 0.11, "CNY", CN_TZ),
    ("PD", "pdd", 5, 0.10, "CNY", CN_TZ),
    ("WC", "wechat_channels", 3, 0.05, "CNY", CN_TZ),
    ("AP", "alipay", 2, 0.03, "CNY", CN_TZ),
    ("WP", "wechatpay", 2, 0.04, "CNY", CN_TZ),
    ("SH", "shopify", 2, 0.03, "USD", ZoneInfo("America/New_York")),
    ("AM", "amazon", 3, 0.03, "USD", UTC),
    ("ST", "stripe", 1, 0.01, "USD", UTC),
    ("PP", "paypal", 1, 0.01, "USD", ZoneInfo("America/Los_Angeles")),
]

# Parser each bill type must be read by (registry code).
PARSER = {
    "taobao_account": "taobao_alipay_signcustomer",
    "alipay_account": "alipay_signcustomer",
    "alipay_trade": "alipay_trade",
    "wechatpay_trade": "wechatpay_tradebill",
    "wechatpay_fund": "wechatpay_fundflow",
    "jd_settlement": "jd_settlement",
    "pdd_account": "pdd_account",
    "douyin_account": "douyin_account_item",
    "douyin_settle": "douyin_settle_bill",
    "channels_flow": "wechat_channels_funds_flow",
    "shopify": "shopify_payments",
    "amazon": "amazon_settlement_v2",
    "stripe": "stripe_balance_transactions",
    "paypal": "paypal_activity",
}

PRODUCTS = (
    "保温杯 电热水壶 连衣裙 半身裙 蓝牙耳机 数据线 洗面奶 面膜 猫粮 咖啡豆 茶叶 收纳盒 "
    "运动鞋 T恤 羽绒服 台灯 充电宝 手机壳 酸奶机 抽纸 牙刷 毛巾 雨伞 背包 口红 坚果 "
    "大米 奶粉 纸尿裤 拖鞋 床单 枕头 炒锅 保鲜盒 剃须刀 吹风机 键盘 鼠标 显示器支架"
).split()
BRANDS = "悦家 木森 青禾 知味 白鹿 星河 山野 小麦 禾风 朗月".split()
EN_PRODUCTS = (
    "Kettle Mug Lamp Backpack Notebook Headphones Charger Blanket Candle Bottle "
    "Sneakers Hoodie Scarf Wallet Planter Speaker Tripod Apron Towel Pillow"
).split()
SURNAMES = list("张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高")
BANKS = ("招商银行", "工商银行", "建设银行", "农业银行", "中国银行", "交通银行")
FIRST_NAMES = "Alex Sam Jordan Taylor Casey Morgan Riley Jamie Drew Avery".split()
LAST_NAMES = "Smith Jones Brown Miller Davis Garcia Wilson Moore Clark Lewis".split()


# ---------------------------------------------------------------------------
# Small helpers (hot paths: keep them cheap)
# ---------------------------------------------------------------------------


def yuan(fen):
    """Signed integer minor units → '12.34' / '-0.05'."""
    if fen < 0:
        fen = -fen
        return f"-{fen // 100}.{fen % 100:02d}"
    return f"{fen // 100}.{fen % 100:02d}"


def pct(amount, rate):
    """Fee in minor units: amount × rate, rounded half up."""
    return int(amount * rate + 0.5)


def local_text(moment):
    return moment.isoformat(" ", "seconds")[:19]


def cn_date_text(moment):
    return moment.strftime("%Y年%m月%d日 %H:%M:%S")


class Order:
    __slots__ = (
        "shop",
        "no",
        "lines",
        "amount",
        "discount",
        "shipping",
        "ordered",
        "delivered",
        "settled",
        "refund",
        "refunded",
        "refund_line",
        "refund_no",
        "delta",
        "hide_delivery",
        "extra",
    )

    def __init__(self, shop, no, lines, ordered):
        self.shop = shop
        self.no = no
        self.lines = lines  # [sub_no, sku, name, qty, amount]
        self.amount = sum(line[4] for line in lines)
        self.discount = 0
        self.shipping = 0
        self.ordered = ordered
        self.delivered = None
        self.settled = None
        self.refund = 0
        self.refunded = None
        self.refund_line = 0
        self.refund_no = None
        self.delta = 0  # injected amount mismatch: the bill shows amount - delta
        self.hide_delivery = False  # injected: settled but not shipped
        self.extra = None


class Shop:
    def __init__(self, index, code, platform, currency, tz, orders_target, rng):
        self.index = index
        self.code = code
        self.platform = platform
        self.currency = currency
        self.tz = tz
        self.orders_target = orders_target
        self.rng = rng
        self.name = f"{code} {platform} shop"
        self.account = None  # as printed on the bills
        self.external_id = None
        self.orders = []
        self.seq = 0

    def next_seq(self):
        self.seq += 1
        return self.seq


# ---------------------------------------------------------------------------
# The month
# ---------------------------------------------------------------------------


class Month:
    def __init__(self, args):
        self.args = args
        self.scale = args.scale
        self.seed = args.seed
        year, month = (int(part) for part in args.month.split("-"))
        self.year, self.month = year, month
        days_in_month = calendar.monthrange(year, month)[1]
        self.days = min(args.days or days_in_month, days_in_month)
        self.big_day = args.big_sale_day if 1 <= args.big_sale_day <= self.days else 0
        self.out = pathlib.Path(args.out)
        self.bills = self.out / "bills"
        self.files = []
        self.anomalies = []
        self.payouts = []
        self.stats = collections.Counter()
        self.shops = []

    # -- time ---------------------------------------------------------------

    def start(self, tz):
        return dt.datetime(self.year, self.month, 1, tzinfo=tz)

    def end(self, tz):
        """First instant after the period, in ``tz``."""
        return self.start(tz) + dt.timedelta(days=self.days)

    def day_weights(self):
        return [10 if day == self.big_day else 1 for day in range(1, self.days + 1)]

    # -- output -------------------------------------------------------------

    def write(self, shop, name, data, bill, rows, *, broken=None, note=None):
        folder = self.bills / shop.code
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(data)
        entry = {
            "path": str(path.relative_to(self.out)),
            "shop": shop.code,
            "bill": bill,
            "parser": PARSER[bill],
            "rows": rows,
            "bytes": len(data),
        }
        if broken:
            entry["broken"] = broken
        if note:
            entry["note"] = note
        self.files.append(entry)
        self.stats["files"] += 1
        self.stats["rows"] += rows
        return entry["path"]

    def anomaly(self, kind, shop, **details):
        self.anomalies.append({"type": kind, "shop": shop.code, **details})

    def payout(self, shop, moment, amount, reference, bill):
        self.payouts.append(
            (
                shop.code,
                shop.platform,
                local_text(moment),
                yuan(amount),
                shop.currency,
                reference,
                bill,
            )
        )

    # -- shops and orders ---------------------------------------------------

    def build_shops(self):
        master = random.Random(self.seed)
        index = 0
        total_orders = REFERENCE_ORDERS * self.scale
        for prefix, platform, count, share, currency, tz in PLATFORM_MIX:
            weights = [math.exp(master.gauss(0, 0.6)) for _ in range(count)]
            norm = sum(weights)
            for number in range(count):
                index += 1
                target = total_orders * share * weights[number] / norm
                rng = random.Random(f"{self.seed}:{prefix}{number + 1:02d}")
                shop = Shop(
                    index,
                    f"{prefix}{number + 1:02d}",
                    platform,
                    currency,
                    tz,
                    target,
                    rng,
                )
                self.shops.append(shop)
        return self.shops

    def generate_orders(self, shop):
        """Orders of the period, plus a lead-in of earlier orders.

        Platforms that settle days after delivery pay out this month for
        orders of the previous weeks: those orders are generated too (and
        kept in orders.csv when their money moves in the period), so the
        first days of the month look like every other day.
        """
        rng = shop.rng
        weights = self.day_weights()
        per_day = shop.orders_target / sum(weights)
        lead = LEAD_IN_DAYS if SETTLEMENT_DELAY[shop.platform][0] == "delivered" else 0
        weights = [1] * lead + weights
        catalog = make_catalog(shop, rng)
        numbering = ORDER_NUMBERS[shop.platform](shop, rng)
        multi = shop.platform in MULTI_LINE_PLATFORMS
        start = self.start(shop.tz) - dt.timedelta(days=lead)
        orders = []
        for day, weight in enumerate(weights):
            lam = per_day * weight
            count = max(0, int(round(lam + rng.gauss(0, math.sqrt(lam) if lam else 0))))
            base = start + dt.timedelta(days=day)
            seconds = sorted(_order_second(rng) for _ in range(count))
            for second in seconds:
                ordered = base + dt.timedelta(seconds=second)
                n_lines = 1
                if multi:
                    draw = rng.random()
                    n_lines = 1 if draw < 0.65 else 2 if draw < 0.87 else 3
                no, sub_nos = numbering(n_lines, ordered)
                lines = []
                for position in range(n_lines):
                    sku, name, price = catalog[int(rng.random() ** 1.6 * len(catalog))]
                    draw = rng.random()
                    qty = 1 if draw < 0.85 else 2 if draw < 0.97 else 3
                    lines.append([sub_nos[position], sku, name, qty, price * qty])
                order = Order(shop, no, lines, ordered)
                if rng.random() < 0.995:
                    order.delivered = ordered + dt.timedelta(
                        seconds=int(rng.uniform(0.2, 3.0) * 86400)
                    )
                orders.append(order)
        shop.orders = orders
        return orders


def _order_second(rng):
    # Evening peak: a mixture of a uniform day and a peak around 21:00.
    if rng.random() < 0.55:
        return int(rng.random() * 86400)
    return int(min(86399, max(0, rng.gauss(21 * 3600, 2.5 * 3600))))


LEAD_IN_DAYS = 16
MULTI_LINE_PLATFORMS = {"tmall", "taobao", "jd", "douyin", "amazon", "shopify"}

PRICE_LEVEL = {  # median unit price in minor units
    "tmall": 15000,
    "taobao": 6000,
    "douyin": 8000,
    "jd": 20000,
    "pdd": 3500,
    "wechat_channels": 9000,
    "alipay": 12000,
    "wechatpay": 7000,
    "shopify": 4500,
    "amazon": 3000,
    "stripe": 5000,
    "paypal": 4000,
}


def make_catalog(shop, rng):
    size = rng.randint(40, 160)
    level = PRICE_LEVEL[shop.platform]
    catalog = []
    english = shop.currency != "CNY"
    for number in range(size):
        price = max(100, int(level * math.exp(rng.gauss(0, 0.7))))
        if english:
            price = price // 100 * 100 + rng.choice((99, 95, 0, 49))
            name = f"{rng.choice(EN_PRODUCTS)} {number + 1}"
            sku = f"{shop.code}-{number + 1:04d}"
        else:
            price = price // 10 * 10 + rng.choice((0, 0, 9, 90))
            name = f"{rng.choice(BRANDS)}{rng.choice(PRODUCTS)}{number + 1}号"
            sku = f"{shop.code}-{number + 1:04d}"
        if shop.platform == "jd":
            sku = str(100000000000 + shop.index * 1000000 + number * 37 + 11)
        catalog.append((sku, name, max(price, 99)))
    return catalog


def _digits(rng, count):
    return str(rng.randrange(10 ** (count - 1), 10**count))


def _numbers_taobao(shop, rng):
    base = int("37" + _digits(rng, 17)) // 1000 * 1000

    def make(n_lines, moment=None):
        tid = base + shop.next_seq() * 7919
        return str(tid), [str(tid + 1 + i) for i in range(n_lines)]

    return make


def _numbers_jd(shop, rng):
    base = int("3" + _digits(rng, 11))

    def make(n_lines, moment=None):
        return str(base + shop.next_seq() * 13), [""] * n_lines

    return make


def _numbers_pdd(shop, rng):
    def make(n_lines, moment=None):
        seq = shop.next_seq()
        return f"{moment:%y%m%d}-{seq % 1000:03d}{_digits(rng, 12)}", [""] * n_lines

    return make


def _numbers_douyin(shop, rng):
    base = int("69" + _digits(rng, 17)) // 100 * 100

    def make(n_lines, moment=None):
        parent = base + shop.next_seq() * 10
        return str(parent), [str(parent + 1 + i) for i in range(n_lines)]

    return make


def _numbers_channels(shop, rng):
    base = int("37" + _digits(rng, 17))

    def make(n_lines, moment=None):
        return str(base + shop.next_seq() * 3), [""] * n_lines

    return make


def _numbers_prefixed(prefix):
    def factory(shop, rng):
        start = rng.randint(10000, 90000)

        def make(n_lines, moment=None):
            return f"{prefix}{start + shop.next_seq()}", [""] * n_lines

        return make

    return factory


def _numbers_shopify(shop, rng):
    start = rng.randint(1000, 9000)

    def make(n_lines, moment=None):
        return f"#{start + shop.next_seq()}", [""] * n_lines

    return make


def _numbers_amazon(shop, rng):
    def make(n_lines, moment=None):
        shop.next_seq()
        no = f"{rng.randint(111, 114)}-{_digits(rng, 7)}-{_digits(rng, 7)}"
        return no, [_digits(rng, 14) for _ in range(n_lines)]

    return make


ORDER_NUMBERS = {
    "tmall": _numbers_taobao,
    "taobao": _numbers_taobao,
    "jd": _numbers_jd,
    "pdd": _numbers_pdd,
    "douyin": _numbers_douyin,
    "wechat_channels": _numbers_channels,
    "alipay": _numbers_prefixed("M"),
    "wechatpay": _numbers_prefixed("W"),
    "shopify": _numbers_shopify,
    "amazon": _numbers_amazon,
    "stripe": _numbers_prefixed("ST-"),
    "paypal": _numbers_prefixed("INV-"),
}

# When the money of an order reaches the wallet: (base, min days, max days)
SETTLEMENT_DELAY = {
    "tmall": ("delivered", 2, 10),  # buyer confirms receipt (auto after ~10 days)
    "taobao": ("delivered", 2, 10),
    "jd": ("delivered", 1, 5),
    "pdd": ("delivered", 2, 8),
    "douyin": ("delivered", 3, 10),
    "wechat_channels": ("delivered", 3, 8),
    "amazon": ("delivered", 0, 0),  # posted at shipment
    "alipay": ("ordered", 0, 0),  # paid at checkout
    "wechatpay": ("ordered", 0, 0),
    "shopify": ("ordered", 0, 0),
    "stripe": ("ordered", 0, 0),
    "paypal": ("ordered", 0, 0),
}


# ---------------------------------------------------------------------------
# Settlement, refunds and anomalies common to every platform
# ---------------------------------------------------------------------------


def plan_money(month, shop):
    """Settlement and refund times, discounts, injected order anomalies."""
    rng = shop.rng
    base, low, high = SETTLEMENT_DELAY[shop.platform]
    end = month.end(shop.tz)
    period_start = month.start(shop.tz)
    # Injected order-level anomalies: about these many at scale 1 (40 shops).
    p_mismatch = 280 / REFERENCE_ORDERS
    p_not_shipped = 60 / REFERENCE_ORDERS
    p_unsettled = 60 / REFERENCE_ORDERS
    after_delivery = base == "delivered" and shop.platform != "amazon"
    for order in shop.orders:
        if shop.platform in ("alipay", "wechatpay", "douyin", "amazon"):
            if rng.random() < 0.2:
                order.discount = min(
                    order.lines[0][4] // 5, rng.choice((300, 500, 1000, 2000))
                )
        if shop.platform == "jd" and rng.random() < 0.3:
            order.shipping = rng.choice((600, 800, 1000))
        start = order.delivered if base == "delivered" else order.ordered
        if start is None:
            continue
        if high:
            delay = dt.timedelta(seconds=int(rng.uniform(low, high) * 86400))
        else:
            delay = dt.timedelta(seconds=rng.randint(1, 40))
        order.settled = start + delay
        if rng.random() < 0.05:  # ~5% refunds, some partial, some later
            line = rng.randrange(len(order.lines))
            line_amount = order.lines[line][4]
            if rng.random() < 0.6 or line_amount < 200:
                refund = line_amount
            else:
                refund = max(100, int(line_amount * rng.uniform(0.1, 0.6)))
            if order.discount and refund == line_amount and len(order.lines) == 1:
                refund = line_amount - order.discount
            order.refund = refund
            order.refund_line = line
            order.refunded = order.settled + dt.timedelta(
                seconds=int(rng.uniform(0.5, 15) * 86400)
            )
            order.refund_no = _digits(rng, 16)
        if not period_start <= order.settled < end:
            continue
        if rng.random() < p_mismatch:
            order.delta = rng.choice((1, 5, 50, 100, 990, 2000))
            order.delta = min(order.delta, order.amount - order.discount - 1)
            if order.delta > 0:
                month.anomaly(
                    "amount_mismatch",
                    shop,
                    order_no=order.no,
                    expected=yuan(order.amount - order.discount),
                    billed=yuan(order.amount - order.discount - order.delta),
                    difference=yuan(order.delta),
                )
            else:
                order.delta = 0
        elif after_delivery and rng.random() < p_not_shipped:
            order.hide_delivery = True
            month.anomaly(
                "settled_not_shipped",
                shop,
                order_no=order.no,
                settled=local_text(order.settled),
            )
        elif (
            after_delivery
            and order.ordered >= month.start(shop.tz)
            and order.delivered
            < month.start(shop.tz) + dt.timedelta(days=month.days - 16)
            and not order.refund
            and rng.random() < p_unsettled
        ):
            order.settled = None  # never settled: missing from every bill
            month.anomaly(
                "unsettled_overdue",
                shop,
                order_no=order.no,
                delivered=local_text(order.delivered),
                note="delivered early in the month, in no bill",
            )
    # Lead-in orders matter only when their money moves in the period.
    period_start = month.start(shop.tz)
    shop.orders = [
        order
        for order in shop.orders
        if order.ordered >= period_start
        or (order.settled is not None and order.settled >= period_start)
        or (order.refunded is not None and order.refunded >= period_start)
    ]


def unknown_order_count(month, shop):
    """Sale rows for orders nobody knows: ~50 per reference month."""
    expected = 50 * len(shop.orders) / REFERENCE_ORDERS
    count = int(expected)
    if shop.rng.random() < expected - count:
        count += 1
    return count


def fake_order(shop, rng, moment):
    """An order that is not in orders.csv (for unknown-order rows)."""
    numbering = ORDER_NUMBERS[shop.platform](shop, random.Random(rng.random()))
    no, subs = numbering(1, moment)
    amount = max(990, int(PRICE_LEVEL[shop.platform] * rng.uniform(0.5, 2)))
    order = Order(shop, no, [[subs[0], "UNKNOWN", "未知商品", 1, amount]], moment)
    order.delivered = moment
    order.settled = moment
    return order


def with_unknown_orders(month, shop):
    """The shop's orders plus a few that orders.csv does not know (anomaly)."""
    rng = shop.rng
    orders = list(shop.orders)
    for _ in range(unknown_order_count(month, shop)):
        moment = month.start(shop.tz) + dt.timedelta(
            seconds=rng.randint(0, month.days * 86400 - 1)
        )
        fake = fake_order(shop, rng, moment)
        orders.append(fake)
        month.anomaly(
            "unknown_order",
            shop,
            order_no=fake.no,
            sub_order_no=fake.lines[0][0] or None,
            amount=yuan(fake.amount),
            date=local_text(moment),
        )
    return orders


def in_period(month, shop, moment):
    return moment is not None and month.start(shop.tz) <= moment < month.end(shop.tz)


def by_day(month, shop, events):
    """{day index: [events sorted]} for events inside the period."""
    start = month.start(shop.tz)
    days = collections.defaultdict(list)
    end = month.end(shop.tz)
    for event in events:
        moment = event[0]
        if start <= moment < end:
            days[(moment - start).days].append(event)
    for day_events in days.values():
        day_events.sort(key=lambda e: (e[0], e[1]))
    return days


def masked_buyer(rng):
    phone = f"1{rng.randint(30, 99)}****{rng.randint(0, 9999):04d}"
    return f"{rng.choice(SURNAMES)}* ({phone})"


def taobao_buyer(rng):
    letters = "abcdefghijklmnopqrstuvwxyz"
    return f"买家**({rng.choice(letters)}***@example.com)"


# ---------------------------------------------------------------------------
# Alipay 账务明细 (signcustomer): Taobao/Tmall sellers (16 columns) and
# ordinary merchants (12 columns). GBK, CRLF, TAB after id cells.
# ---------------------------------------------------------------------------

ALIPAY_HEADER_12 = (
    "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,"
    "支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注"
)
ALIPAY_HEADER_16 = ALIPAY_HEADER_12 + ",业务描述,业务账单来源,业务基础订单号,业务订单号"
DASHES = "-" * 41
DASHES_AFTER = "-" * 40
DASHES_END = "-" * 36


def _tab(value):
    return f"{value}\t"


class AlipayAccount:
    """Running balance and rows of an Alipay account for one shop."""

    def __init__(self, month, shop, sixteen):
        self.month = month
        self.shop = shop
        self.sixteen = sixteen
        self.rng = shop.rng
        self.balance = self.rng.randint(2000, 50000) * 100
        self.serial = int(("3" if not sixteen else "4") + _digits(self.rng, 4)) * 10**9

    def row(
        self,
        moment,
        biz_serial,
        merchant_no,
        product,
        counterparty,
        amount,
        biz_type,
        memo,
        desc="",
        source="",
        base_no="",
        biz_nos="",
    ):
        self.serial += 1
        self.balance += amount
        income, expense = (
            (yuan(amount), "0.00") if amount >= 0 else ("0.00", yuan(amount))
        )
        cells = [
            _tab(self.serial),
            _tab(biz_serial),
            _tab(merchant_no),
            _tab(product),
            local_text(moment),
            _tab(counterparty),
            income,
            expense,
            yuan(self.balance),
            "支付宝",
            biz_type,
            memo,
        ]
        if self.sixteen:
            cells += [
                desc,
                source,
                _tab(base_no) if base_no else "",
                _tab(biz_nos) if biz_nos else "",
            ]
        return self.serial, amount, ",".join(cells)

    def document(self, start, end, rows, *, income_offset=0, truncate=False):
        """The file: preamble, header, rows, footer (GBK bytes)."""
        income = sum(r[1] for r in rows if r[1] >= 0)
        expense = -sum(r[1] for r in rows if r[1] < 0)
        n_in = sum(1 for r in rows if r[1] >= 0)
        lines = [
            "#支付宝账务明细查询",
            f"#账号：[{self.shop.account}]",
            f"#起始日期：[{cn_date_text(start)}]   终止日期：[{cn_date_text(end)}]",
            f"#{DASHES}账务明细列表{DASHES_AFTER}",
            ALIPAY_HEADER_16 if self.sixteen else ALIPAY_HEADER_12,
        ]
        lines.extend(r[2] for r in rows)
        if truncate:
            text = "\r\n".join(lines)
            return text[: len(text) - len(rows[-1][2]) // 2].encode("gbk")
        lines += [
            f"#{DASHES}账务明细列表结束{DASHES_END}",
            f"#支出合计：{len(rows) - n_in}笔，共{yuan(expense)}元",
            f"#收入合计：{n_in}笔，共{yuan(income + income_offset)}元",
            f"#导出时间：[{cn_date_text(end + dt.timedelta(hours=9, minutes=30))}]",
            "",
        ]
        return "\r\n".join(lines).encode("gbk")


def alipay_trade_no(moment, rng):
    return f"{moment:%Y%m%d}22001{rng.randint(100000000, 999999999)}"


def emit_taobao(month, shop):
    """Tmall/Taobao seller: daily Alipay 账务明细, 16 columns."""
    rng = shop.rng
    tmall = shop.platform == "tmall"
    shop.account = f"2088{_digits(rng, 12)}0156"
    shop.external_id = _digits(rng, 9)
    account = AlipayAccount(month, shop, sixteen=True)
    commission_rate = rng.choice((0.02, 0.03, 0.05))
    events = []
    seq = 0

    def add(moment, *payload):
        nonlocal seq
        seq += 1
        events.append((moment, seq, payload))

    orders = with_unknown_orders(month, shop)
    for order in orders:
        moment = order.settled
        if moment is None:
            continue
        tid = order.no
        trade_no = alipay_trade_no(order.ordered, rng)
        paid = order.amount - order.discount - order.delta
        source_pay = "天猫" if tmall else "淘宝"
        add(moment, "pay", trade_no, tid, order.lines[0][2], taobao_buyer(rng), paid)
        if rng.random() < 0.4:
            add(moment, "huabei", trade_no, tid, -pct(paid, 0.006), source_pay)
        if tmall:
            # Tmall points (天猫积分): 0.5% of every payment, deducted by Alipay.
            add(
                moment + dt.timedelta(seconds=1),
                "points",
                trade_no,
                tid,
                -max(1, pct(paid, 0.005)),
            )
            for i, line in enumerate(order.lines):
                add(
                    moment + dt.timedelta(seconds=1),
                    "tmall_fee",
                    trade_no,
                    tid,
                    i,
                    -max(1, pct(line[4], commission_rate)),
                )
        if rng.random() < 0.2:
            add(
                moment + dt.timedelta(seconds=2),
                "taoke",
                tid,
                -max(1, pct(paid, rng.choice((0.03, 0.05, 0.1)))),
            )
        if rng.random() < 0.3:
            add(
                moment + dt.timedelta(seconds=3),
                "insurance",
                tid,
                -rng.choice((50, 80, 120, 200, 300)),
            )
        if order.refund and order.refunded is not None:
            add(
                order.refunded,
                "refund",
                trade_no,
                tid,
                order.lines[0][2],
                -order.refund,
                order.refund_no,
            )
    _taobao_days(month, shop, account, by_day(month, shop, events))


def _taobao_days(month, shop, account, days):
    """Write the daily files; fixed anomalies on the first shop of each kind."""
    rng = shop.rng
    tmall = shop.platform == "tmall"
    first_tmall = shop.code == "TM01"
    first_taobao = shop.code == "TB01"
    all_rows = {}
    start = month.start(shop.tz)
    for day in range(month.days):
        day_start = start + dt.timedelta(days=day)
        rows = []
        withdrawn = False
        for moment, _seq, payload in days.get(day, ()):
            if not withdrawn and moment.hour >= 22:
                rows.extend(_alipay_withdraw(month, shop, account, day_start))
                withdrawn = True
            rows.append(_taobao_row(account, moment, payload, rng, tmall))
        if not withdrawn:
            rows.extend(_alipay_withdraw(month, shop, account, day_start))
        if first_taobao and day == 3 and rows:
            rows.append(
                account.row(
                    day_start + dt.timedelta(hours=23, minutes=50),
                    f"{day_start:%Y%m%d}TZ{rng.randint(10**8, 10**9)}",
                    "",
                    "",
                    "",
                    -1234,
                    "其它",
                    "系统调账-差错处理",
                    "调账",
                    "支付宝",
                )
            )
            month.anomaly(
                "unclassifiable",
                shop,
                transaction_id=str(rows[-1][0]),
                note="其它 row with a memo no rule knows",
            )
        if not rows:
            continue
        all_rows[day] = rows
        offset = 0
        if first_tmall and day == 5:
            offset = 10000
        name = f"{shop.account}_{day_start:%Y%m%d}_账务明细.csv"
        path = month.write(
            shop,
            name,
            account.document(
                day_start, day_start + ONE_DAY, rows, income_offset=offset
            ),
            "taobao_account",
            len(rows),
        )
        if offset:
            month.anomaly(
                "footer_mismatch",
                shop,
                file=path,
                note="#收入合计 states 100.00 more than the rows",
            )
        if first_tmall and day == 8:
            path = month.write(
                shop,
                f"{shop.account}_{day_start:%Y%m%d}_账务明细(截断).csv",
                account.document(day_start, day_start + ONE_DAY, rows, truncate=True),
                "taobao_account",
                len(rows),
                broken="truncated download: no footer",
            )
            month.anomaly(
                "broken_file",
                shop,
                file=path,
                note="truncated copy of a day already delivered complete",
            )
    if first_tmall:
        _alipay_overlap(month, shop, account, all_rows, start)


def _taobao_row(account, moment, payload, rng, tmall):
    kind = payload[0]
    if kind == "pay":
        _k, trade_no, tid, product, buyer, amount = payload
        return account.row(
            moment,
            trade_no,
            f"T200P{tid}",
            product,
            buyer,
            amount,
            "交易付款",
            "",
            "交易收款",
            "淘宝",
            tid,
            tid,
        )
    if kind == "huabei":
        _k, trade_no, tid, amount, source = payload
        return account.row(
            moment,
            trade_no,
            f"T200P{tid}",
            "",
            "",
            amount,
            "收费",
            f"花呗支付服务费[{tid}]",
            "花呗服务费",
            source,
            tid,
            tid,
        )
    if kind == "tmall_fee":
        _k, trade_no, tid, _i, amount = payload
        return account.row(
            moment,
            trade_no,
            f"T200P{tid}",
            "",
            "天猫",
            amount,
            "交易分账",
            f"天猫佣金（类目）{{{tid}}}扣款",
            "佣金",
            "天猫",
            tid,
            tid,
        )
    if kind == "points":
        _k, trade_no, tid, amount = payload
        return account.row(
            moment,
            trade_no,
            f"T200P{tid}",
            "",
            "天猫",
            amount,
            "交易分账",
            f"代扣返点积分{{{tid}}}",
            "积分",
            "天猫",
            tid,
            tid,
        )
    if kind == "taoke":
        _k, tid, amount = payload
        return account.row(
            moment,
            f"{moment:%Y%m%d}TK{rng.randint(10**8, 10**9)}",
            f"TK{moment:%Y%m%d}{rng.randint(10**4, 10**5)}",
            "",
            "淘宝客",
            amount,
            "转账",
            f"淘宝客佣金代扣款[{tid}]",
            "淘宝客佣金",
            "淘宝联盟",
            tid,
            "",
        )
    if kind == "insurance":
        _k, tid, amount = payload
        return account.row(
            moment,
            f"{moment:%Y%m%d}BX{rng.randint(10**8, 10**9)}",
            f"T200P{tid}",
            "",
            "",
            amount,
            "其它",
            f"卖家版运费险保费收取({tid})",
            "保险费",
            "淘宝",
            tid,
            "",
        )
    if kind == "refund":
        _k, trade_no, tid, product, amount, refund_no = payload
        return account.row(
            moment,
            trade_no,
            f"T200P{tid}",
            product,
            "",
            amount,
            "交易退款",
            f"售后退款-{refund_no}-T200P{tid}",
            "售后退款",
            "淘宝",
            tid,
            tid,
        )
    raise ValueError(kind)


def _alipay_withdraw(month, shop, account, day_start):
    amount = (account.balance - 200000) // 10000 * 10000
    if amount <= 0:
        return []
    moment = day_start + dt.timedelta(hours=22)
    serial = f"{moment:%Y%m%d}3{account.rng.randint(10**10, 10**11 - 1)}"
    bank = f"{account.rng.choice(BANKS)}(尾号{shop.index:04d})"
    if account.sixteen:
        row = account.row(
            moment, serial, "", "", bank, -amount, "提现", "提现", "提现", "支付宝"
        )
    else:
        row = account.row(moment, serial, "", "", bank, -amount, "提现", "提现")
    month.payout(shop, moment, amount, serial, "alipay_account")
    return [row]


def _alipay_overlap(month, shop, account, all_rows, start):
    """A re-download over [day 10 12:00, day 11 12:00): every row repeats."""
    day = min(10, month.days - 2)
    if day not in all_rows or day + 1 not in all_rows:
        return
    window_start = start + dt.timedelta(days=day, hours=12)
    window_end = window_start + ONE_DAY
    rows = []
    for d in (day, day + 1):
        for row in all_rows[d]:
            moment = row[2].split(",")[4]
            if local_text(window_start) <= moment < local_text(window_end):
                rows.append(row)
    if len(rows) < 3:
        return
    # One row repeated with different data: a conflict, never an overwrite.
    conflict = None
    for index, row in enumerate(rows):
        cells = row[2].split(",")
        if cells[10] == "收费":
            old = row[1]
            new = old - 1
            cells[7] = yuan(new)
            rows[index] = (row[0], new, ",".join(cells))
            conflict = (row[0], yuan(old), yuan(new))
            break
    name = f"{shop.account}_{window_start:%Y%m%d%H}_账务明细(重新下载).csv"
    path = month.write(
        shop,
        name,
        account.document(window_start, window_end, rows),
        "taobao_account",
        len(rows),
        note="overlapping re-download: all rows already in the daily bills",
    )
    month.anomaly(
        "duplicate_overlap",
        shop,
        file=path,
        rows=len(rows),
        duplicate_lines=len(rows) - (1 if conflict else 0),
        note="every row repeats a daily bill (same 账务流水号)",
    )
    if conflict:
        month.anomaly(
            "conflicting_redelivery",
            shop,
            file=path,
            transaction_id=str(conflict[0]),
            first=conflict[1],
            again=conflict[2],
            note="same 账务流水号, amount differs by 0.01; the file's balances "
            "no longer chain (consistency mismatch)",
        )


# ---------------------------------------------------------------------------
# Alipay merchant: 业务明细 (trade, 25 columns) + 账务明细 (12 columns), daily
# ---------------------------------------------------------------------------

ALIPAY_TRADE_HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,"
    "终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,"
    "商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,"
    "退款批次号/请求号,服务费（元）,分润（元）,备注"
)


def emit_alipay(month, shop):
    rng = shop.rng
    shop.account = f"2088{_digits(rng, 12)}0156"
    account = AlipayAccount(month, shop, sixteen=False)
    events = []
    seq = 0
    for order in shop.orders:
        if order.settled is None:
            continue
        trade_no = alipay_trade_no(order.ordered, rng)
        buyer = masked_buyer(rng)
        seq += 1
        events.append((order.settled, seq, ("pay", order, trade_no, buyer)))
        if order.refund:
            seq += 1
            events.append((order.refunded, seq, ("refund", order, trade_no, buyer)))
    days = by_day(month, shop, events)
    start = month.start(shop.tz)
    for day in range(month.days):
        day_start = start + dt.timedelta(days=day)
        trade_rows, account_rows = [], []
        counts = collections.Counter()
        withdrawn = False
        for moment, _s, (kind, order, trade_no, buyer) in days.get(day, ()):
            if not withdrawn and moment.hour >= 22:
                account_rows.extend(_alipay_withdraw(month, shop, account, day_start))
                withdrawn = True
            created = local_text(moment - dt.timedelta(seconds=rng.randint(3, 20)))
            product = order.lines[0][2]
            if kind == "pay":
                gross = order.amount - order.delta
                received = gross - order.discount
                fee = pct(received, 0.006)
                memo = (
                    f"满{yuan(gross)[:-3]}减{yuan(order.discount)[:-3]}"
                    if order.discount
                    else ""
                )
                trade_rows.append(
                    ",".join(
                        (
                            _tab(trade_no),
                            _tab(order.no),
                            _tab("交易"),
                            product,
                            created,
                            local_text(moment),
                            "\t",
                            "\t",
                            "\t",
                            "\t",
                            _tab(buyer.replace(" ", "")),
                            yuan(gross),
                            yuan(received),
                            "0.00",
                            "0.00",
                            "0.00",
                            yuan(order.discount),
                            "0.00",
                            "",
                            "0.00\t",
                            "0.00",
                            "\t",
                            yuan(-fee),
                            "0.00",
                            memo,
                        )
                    )
                )
                counts["trade"] += 1
                counts["trade_received"] += received
                counts["trade_discount"] += order.discount
                account_rows.append(
                    account.row(
                        moment,
                        trade_no,
                        order.no,
                        product,
                        buyer,
                        received,
                        "在线支付",
                        "",
                    )
                )
                account_rows.append(
                    account.row(
                        moment,
                        trade_no,
                        order.no,
                        "",
                        "",
                        -fee,
                        "收费",
                        f"服务费[{trade_no}]",
                    )
                )
            else:
                batch = f"R{order.refund_no}"
                trade_rows.append(
                    ",".join(
                        (
                            _tab(trade_no),
                            _tab(order.no),
                            _tab("退款"),
                            product,
                            created,
                            local_text(moment),
                            "\t",
                            "\t",
                            "\t",
                            "\t",
                            _tab(buyer.replace(" ", "")),
                            yuan(-order.refund),
                            yuan(-order.refund),
                            "0.00",
                            "0.00",
                            "0.00",
                            "0.00",
                            "0.00",
                            "",
                            "0.00\t",
                            "0.00",
                            _tab(batch),
                            "0.00",
                            "0.00",
                            "部分退款"
                            if order.refund < order.amount - order.discount
                            else "全额退款",
                        )
                    )
                )
                counts["refund"] += 1
                counts["refund_received"] -= order.refund
                account_rows.append(
                    account.row(
                        moment,
                        trade_no,
                        order.no,
                        product,
                        buyer,
                        -order.refund,
                        "交易退款",
                        f"退款[{batch}]",
                    )
                )
        if not withdrawn:
            account_rows.extend(_alipay_withdraw(month, shop, account, day_start))
        if trade_rows:
            broken = shop.code == "AP01" and day == 4
            text = "\r\n".join(
                [
                    "#支付宝业务明细查询",
                    f"#账号：[{shop.account}]",
                    f"#起始日期：[{cn_date_text(day_start)}]   "
                    f"终止日期：[{cn_date_text(day_start + ONE_DAY)}]",
                    f"#{DASHES}业务明细列表{DASHES_AFTER}",
                    ALIPAY_TRADE_HEADER,
                    *trade_rows,
                    f"#{DASHES}业务明细列表结束{DASHES_END}",
                    f"#交易合计：{counts['trade']}笔，商家实收共{yuan(counts['trade_received'])}元，"
                    f"商家优惠共{yuan(counts['trade_discount'])}元",
                    f"#退款合计：{counts['refund']}笔，商家实收退款共{yuan(counts['refund_received'])}元，"
                    f"商家优惠退款共0.00元",
                    f"#导出时间：[{cn_date_text(day_start + dt.timedelta(hours=33))}]",
                    "",
                ]
            )
            name = f"{shop.account}_{day_start:%Y%m%d}_业务明细.csv"
            month.write(shop, name, text.encode("gbk"), "alipay_trade", len(trade_rows))
            if broken:
                cut = text[: text.index(f"#{DASHES}业务明细列表结束")]
                cut = cut[: len(cut) - 40].encode("gbk")
                bad = f"{shop.account}_{day_start:%Y%m%d}_业务明细(截断).csv"
                path = month.write(
                    shop,
                    bad,
                    cut,
                    "alipay_trade",
                    len(trade_rows),
                    broken="truncated download: last row cut, no footer",
                )
                month.anomaly(
                    "broken_file",
                    shop,
                    file=path,
                    note="truncated copy of a day already delivered complete",
                )
        if account_rows:
            name = f"{shop.account}_{day_start:%Y%m%d}_账务明细.csv"
            month.write(
                shop,
                name,
                account.document(day_start, day_start + ONE_DAY, account_rows),
                "alipay_account",
                len(account_rows),
            )


# ---------------------------------------------------------------------------
# WeChat Pay: trade bill ALL (27 columns) + fund-flow bill BASIC, daily.
# UTF-8 with BOM, CRLF, a backtick before every value, summary block.
# ---------------------------------------------------------------------------

WX_TRADE_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,"
    "费率备注"
)
WX_TRADE_SUMMARY = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,"
    "申请退款总金额"
)
WX_FUND_HEADER = (
    "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),"
    "账户结余(元),资金变更提交申请人,备注,业务凭证号"
)
WX_FUND_SUMMARY = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"
BOM = "\ufeff"


def _bt(cells):
    return "`" + ",`".join(cells)


def emit_wechatpay(month, shop):
    rng = shop.rng
    mch_id = str(1900000000 + rng.randint(1, 99999))
    shop.account = mch_id
    appid = "wx" + "".join(rng.choice("0123456789abcdef") for _ in range(16))
    balance = rng.randint(1000, 20000) * 100
    flow_serial = int(mch_id) * 10**18
    events = []
    seq = 0
    for order in shop.orders:
        if order.settled is None:
            continue
        txn = f"42000{order.settled:%Y%m%d}{rng.randint(10**14, 10**15 - 1)}"
        openid = "o" + "".join(
            rng.choice(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
            )
            for _ in range(27)
        )
        seq += 1
        events.append((order.settled, seq, ("pay", order, txn, openid)))
        if order.refund:
            seq += 1
            events.append((order.refunded, seq, ("refund", order, txn, openid)))
    days = by_day(month, shop, events)
    start = month.start(shop.tz)
    for day in range(month.days):
        day_start = start + dt.timedelta(days=day)
        trade, fund = [], []
        s = collections.Counter()
        f = collections.Counter()

        def flow(
            moment, biz_no, name, direction, amount, memo, voucher="", fund=fund, f=f
        ):
            nonlocal balance, flow_serial
            flow_serial += 1
            balance += amount if direction == "收入" else -amount
            fund.append(
                _bt(
                    (
                        local_text(moment),
                        biz_no,
                        str(flow_serial),
                        name,
                        name,
                        direction,
                        yuan(amount),
                        yuan(balance),
                        "system",
                        memo,
                        voucher,
                    )
                )
            )
            key = "in" if direction == "收入" else "out"
            f[key] += 1
            f[key + "_amount"] += amount

        for moment, _s, (kind, order, txn, openid) in days.get(day, ()):
            product = order.lines[0][2]
            if kind == "pay":
                gross = order.amount - order.delta
                settled = gross - order.discount
                fee = pct(settled, 0.006)
                trade.append(
                    _bt(
                        (
                            local_text(moment),
                            appid,
                            mch_id,
                            "0",
                            "",
                            txn,
                            order.no,
                            openid,
                            rng.choice(("JSAPI", "JSAPI", "NATIVE", "APP")),
                            "SUCCESS",
                            "OTHERS",
                            "CNY",
                            yuan(settled),
                            yuan(order.discount),
                            "0",
                            "0",
                            "0.00",
                            "0.00",
                            "",
                            "",
                            product,
                            "",
                            yuan(fee),
                            "0.60%",
                            yuan(gross),
                            "0.00",
                            "",
                        )
                    )
                )
                s["count"] += 1
                s["settled"] += settled
                s["fee"] += fee
                s["gross"] += gross
                flow(moment, txn, "交易", "收入", settled, "")
                flow(moment, txn, "扣除交易手续费", "支出", fee, "手续费")
            else:
                refund_id = f"503{order.refund_no}{rng.randint(10**12, 10**13 - 1)}"
                trade.append(
                    _bt(
                        (
                            local_text(moment),
                            appid,
                            mch_id,
                            "0",
                            "",
                            txn,
                            order.no,
                            openid,
                            "JSAPI",
                            "REFUND",
                            "OTHERS",
                            "CNY",
                            "0.00",
                            "0.00",
                            refund_id,
                            f"RF{order.refund_no}",
                            yuan(order.refund),
                            "0.00",
                            "ORIGINAL",
                            "SUCCESS",
                            product,
                            "",
                            "0.00",
                            "0.60%",
                            "0.00",
                            yuan(order.refund),
                            "",
                        )
                    )
                )
                s["count"] += 1
                s["refund"] += order.refund
                s["requested"] += order.refund
                flow(
                    moment,
                    refund_id,
                    "退款",
                    "支出",
                    order.refund,
                    "部分退款"
                    if order.refund < order.amount - order.discount
                    else "全额退款",
                    f"REF{txn}",
                )
        withdraw = (balance - 100000) // 10000 * 10000
        if withdraw > 0 and (trade or fund):
            moment = day_start + dt.timedelta(hours=23, minutes=30)
            ref = f"W{moment:%Y%m%d}{rng.randint(10**9, 10**10 - 1)}"
            flow(moment, ref, "提现", "支出", withdraw, "自动提现")
            month.payout(shop, moment, withdraw, ref, "wechatpay_fund")
        if trade:
            broken_summary = shop.code == "WP01" and day == 6
            fee_total = s["fee"] + (100 if broken_summary else 0)
            text = "\r\n".join(
                [
                    BOM + WX_TRADE_HEADER,
                    *trade,
                    WX_TRADE_SUMMARY,
                    _bt(
                        (
                            str(s["count"]),
                            yuan(s["settled"]),
                            yuan(s["refund"]),
                            "0.00",
                            f"{yuan(fee_total)}000",
                            yuan(s["gross"]),
                            yuan(s["requested"]),
                        )
                    ),
                    "",
                ]
            )
            path = month.write(
                shop,
                f"{mch_id}_{day_start:%Y%m%d}_tradebill_ALL.csv",
                text.encode("utf-8"),
                "wechatpay_trade",
                len(trade),
            )
            if broken_summary:
                month.anomaly(
                    "footer_mismatch",
                    shop,
                    file=path,
                    note="summary 手续费总金额 is 1.00 more than the rows",
                )
        if fund:
            text = "\r\n".join(
                [
                    BOM + WX_FUND_HEADER,
                    *fund,
                    WX_FUND_SUMMARY,
                    _bt(
                        (
                            f"{len(fund)}.0",
                            f"{f['in']}.0",
                            yuan(f["in_amount"]),
                            f"{f['out']}.0",
                            yuan(f["out_amount"]),
                        )
                    ),
                    "",
                ]
            )
            month.write(
                shop,
                f"{mch_id}_{day_start:%Y%m%d}_fundflow_BASIC.csv",
                text.encode("utf-8"),
                "wechatpay_fund",
                len(fund),
            )
    if shop.code == "WP01":
        body = (
            "<xml><return_code><![CDATA[FAIL]]></return_code>"
            "<return_msg><![CDATA[No Bill Exist]]></return_msg>"
            "<error_code><![CDATA[20002]]></error_code></xml>"
        )
        path = month.write(
            shop,
            f"{mch_id}_{month.start(shop.tz) + dt.timedelta(days=month.days):%Y%m%d}"
            "_tradebill_ALL.csv",
            body.encode(),
            "wechatpay_trade",
            0,
            broken="error response saved as a bill (No Bill Exist)",
        )
        month.anomaly(
            "broken_file", shop, file=path, note="WeChat error XML instead of a bill"
        )


# ---------------------------------------------------------------------------
# JD settlement detail (23 columns, GBK, CRLF, ids as ="…"), daily
# ---------------------------------------------------------------------------

JD_HEADER = (
    "订单编号,单据编号,单据类型,商品编号,商户订单号,商品名称,结算状态,费用发生时间,费用计费时间,"
    "费用结算时间,费用项,金额,币种,商家应收/应付,钱包结算备注,店铺号,京东门店编号,品牌门店编号,"
    "门店名称,备注,收支方向,商品数量,对账日期"
)


def emit_jd(month, shop):
    rng = shop.rng
    shop.account = str(10000000 + rng.randint(1, 9999999))
    commission_rate = rng.choice((0.05, 0.08, 0.1))
    doc = int("9" + _digits(rng, 9))
    events = []
    seq = 0
    orders = with_unknown_orders(month, shop)
    for order in orders:
        if order.settled is None:
            continue
        seq += 1
        events.append((order.settled, seq, ("order", order)))
        if order.refund:
            seq += 1
            events.append((order.refunded, seq, ("refund", order)))
    days = by_day(month, shop, events)
    start = month.start(shop.tz)
    mangled_left = 2 if shop.code == "JD01" else 0
    for day in range(month.days):
        day_start = start + dt.timedelta(days=day)
        rows = []
        for moment, _s, (kind, order) in days.get(day, ()):
            billed = local_text(moment - dt.timedelta(hours=8))
            settled = local_text(moment)
            occurred = local_text(order.delivered or order.ordered)
            check_date = f"{moment:%Y%m%d}"
            order_cell = f'="{order.no}"'
            if mangled_left and kind == "order" and rng.random() < 0.05:
                mangled_left -= 1
                order_cell = f"{int(order.no) / 1e11:.5f}E+11"
                month.anomaly(
                    "mangled_id",
                    shop,
                    order_no=order.no,
                    printed=order_cell,
                    note="id saved through Excel: scientific notation",
                )

            def row(
                doc_type,
                sku,
                name,
                item,
                amount,
                qty,
                _order_cell=order_cell,
                rows=rows,
                times=(occurred, billed, settled),
                check_date=check_date,
            ):
                nonlocal doc
                doc += 1
                direction = ("应收", "收入") if amount >= 0 else ("应付", "支出")
                rows.append(
                    ",".join(
                        (
                            _order_cell,
                            f'="{doc}"',
                            doc_type,
                            f'="{sku}"',
                            _order_cell,
                            name,
                            "已结算",
                            *times,
                            item,
                            yuan(amount),
                            "人民币",
                            direction[0],
                            "",
                            shop.account,
                            "",
                            "",
                            "",
                            "",
                            direction[1],
                            str(qty),
                            check_date,
                        )
                    )
                )

            if kind == "order":
                for i, (_sub, sku, name, qty, amount) in enumerate(order.lines):
                    goods = amount - (order.delta if i == 0 else 0)
                    row("订单", sku, name, "货款", goods, qty)
                    row(
                        "订单",
                        sku,
                        name,
                        "佣金",
                        -max(1, pct(amount, commission_rate)),
                        qty,
                    )
                if order.shipping:
                    sku, name = order.lines[0][1], order.lines[0][2]
                    row(
                        "订单",
                        sku,
                        name,
                        "代收配送费",
                        order.shipping,
                        order.lines[0][3],
                    )
            else:
                _sub, sku, name, qty, amount = order.lines[order.refund_line]
                row("售后退款", sku, name, "货款", -order.refund, qty)
                row(
                    "售后退款",
                    sku,
                    name,
                    "佣金",
                    max(1, pct(order.refund, commission_rate)),
                    qty,
                )
        if shop.code == "JD02" and day in (7, 19):
            # Price protection (价保): an adjustment without a sale.
            for order in shop.orders[day * 3 : day * 3 + 3]:
                _sub, sku, name, qty, _amount = order.lines[0]
                doc += 1
                moment = local_text(day_start + dt.timedelta(hours=2))
                rows.append(
                    ",".join(
                        (
                            f'="{order.no}"',
                            f'="{doc}"',
                            "价保",
                            f'="{sku}"',
                            f'="{order.no}"',
                            name,
                            "已结算",
                            moment,
                            moment,
                            moment,
                            "价保扣款",
                            "-5.00",
                            "人民币",
                            "应付",
                            "",
                            shop.account,
                            "",
                            "",
                            "",
                            "",
                            "支出",
                            str(qty),
                            f"{day_start:%Y%m%d}",
                        )
                    )
                )
        if not rows:
            continue
        text = "\r\n".join([JD_HEADER, *rows, ""])
        month.write(
            shop,
            f"jd_settlement_{shop.account}_{day_start:%Y%m%d}.csv",
            text.encode("gbk"),
            "jd_settlement",
            len(rows),
        )


# ---------------------------------------------------------------------------
# PDD 店铺账务明细 (variant A: title, blank line, range, separator; GBK), daily
# ---------------------------------------------------------------------------

PDD_HEADER = (
    "商户订单号,发生时间,收入金额（+元）,支出金额（-元）,账务类型,备注,业务描述"
)


def emit_pdd(month, shop):
    rng = shop.rng
    shop.account = None  # PDD bills print no account
    shop.external_id = str(rng.randint(10**8, 10**9))
    events = []
    seq = 0
    orders = with_unknown_orders(month, shop)
    for order in orders:
        if order.settled is None:
            continue
        seq += 1
        events.append((order.settled, seq, ("order", order)))
        if order.refund:
            seq += 1
            events.append((order.refunded, seq, ("refund", order)))
    days = by_day(month, shop, events)
    start = month.start(shop.tz)
    balance = 0
    for day in range(month.days):
        day_start = start + dt.timedelta(days=day)
        rows = []
        totals = collections.Counter()

        def row(no, moment, amount, kind, memo, desc, rows=rows, totals=totals):
            nonlocal balance
            balance += amount
            if amount >= 0:
                rows.append(
                    f"{no},{local_text(moment)},{yuan(amount)},0,{kind},{memo},{desc}"
                )
                totals["in"] += 1
                totals["in_amount"] += amount
            else:
                rows.append(
                    f"{no},{local_text(moment)},0,{yuan(amount)},{kind},{memo},{desc}"
                )
                totals["out"] += 1
                totals["out_amount"] += amount

        for moment, _s, (kind, order) in days.get(day, ()):
            if kind == "order":
                paid = order.amount - order.delta
                row(
                    order.no, moment, paid, "交易收入", "-", "0010002|交易收入-订单收入"
                )
                row(
                    order.no,
                    moment,
                    -max(1, pct(paid, 0.006)),
                    "技术服务费",
                    "基础技术服务费",
                    "0030002|技术服务费-基础技术服务费",
                )
                if rng.random() < 0.3:
                    row(
                        order.no,
                        moment,
                        -max(1, pct(paid, rng.choice((0.03, 0.05, 0.1)))),
                        "多多进宝",
                        "多多进宝佣金扣除",
                        "0060001|营销费用-多多进宝",
                    )
            else:
                row(
                    order.no,
                    moment,
                    -order.refund,
                    "交易退款",
                    "-",
                    "0020002|交易退款-订单退款",
                )
        if rows and day % 7 == 6 and balance > 100000:
            amount = balance // 10000 * 10000
            moment = day_start + dt.timedelta(hours=20)
            row("", moment, -amount, "提现", "提现到银行卡", "0090001|提现-提现")
            month.payout(
                shop, moment, amount, f"PDD-{shop.code}-{moment:%Y%m%d}", "pdd_account"
            )
        if not rows:
            continue
        offset = 500 if shop.code == "PD01" and day == 12 else 0
        end = day_start + dt.timedelta(hours=23, minutes=59, seconds=59)
        text = "\r\n".join(
            [
                "拼多多店铺账务明细查询",
                "",
                f"起始时间：{local_text(day_start)}  终止时间：{local_text(end)}",
                "----------交易记录明细列表---------",
                PDD_HEADER,
                *rows,
                f"#支出合计：{totals['out']}笔，{yuan(totals['out_amount'])}元",
                f"#收入合计：{totals['in']}笔，{yuan(totals['in_amount'] + offset)}元",
                f"#总计：{len(rows)}笔，"
                f"{yuan(totals['in_amount'] + totals['out_amount'] + offset)}元",
                f"#导出时间：{local_text(day_start + dt.timedelta(hours=33))}",
                "",
            ]
        )
        path = month.write(
            shop,
            f"pdd_account_{shop.code}_{day_start:%Y%m%d}.csv",
            text.encode("gbk"),
            "pdd_account",
            len(rows),
        )
        if offset:
            month.anomaly(
                "footer_mismatch",
                shop,
                file=path,
                note="#收入合计 and #总计 state 5.00 more than the rows",
            )


# ---------------------------------------------------------------------------
# Douyin: getShopAccountItem and getSettleBillDetailV3 JSON pages (fen), daily
# ---------------------------------------------------------------------------


def _douyin_envelope(rng, moment, rows, size, is_end, next_index, next_time):
    return {
        "code": 10000,
        "msg": "success",
        "sub_code": "",
        "sub_msg": "",
        "log_id": f"{moment:%Y%m%d%H%M%S}{rng.randint(10**12, 10**13 - 1)}",
        "data": {
            "code": "100000",
            "code_msg": "",
            "data": rows,
            "size": size,
            "data_size": len(rows),
            "is_end": 1 if is_end else 0,
            "next_start_index": next_index,
            "next_start_time": next_time,
        },
    }


def _pages(rng, moment, items, size):
    pages = []
    for start in range(0, max(1, len(items)), size):
        chunk = items[start : start + size]
        is_end = start + size >= len(items)
        following = items[start + size] if not is_end else {}
        next_time = following.get("settle_time") or following.get("bill_time") or ""
        pages.append(
            _douyin_envelope(
                rng,
                moment,
                chunk,
                size,
                is_end,
                "" if is_end else str(start + size),
                next_time,
            )
        )
    return pages


def emit_douyin(month, shop):
    rng = shop.rng
    shop_id = 10000000 + rng.randint(1, 9999999)
    shop.account = str(shop_id)
    events = []
    seq = 0
    orders = with_unknown_orders(month, shop)
    for order in orders:
        if order.settled is None:
            continue
        seq += 1
        events.append((order.settled, seq, ("settle", order)))
        if order.refund:
            seq += 1
            events.append((order.refunded, seq, ("refund", order)))
    days = by_day(month, shop, events)
    start = month.start(shop.tz)
    trade_serial = rng.randint(10**11, 10**12)
    request_serial = rng.randint(10**11, 10**12)
    previous_last_page = None
    balance = 0
    for day in range(month.days):
        day_start = start + dt.timedelta(days=day)
        account_items, settle_items = [], []
        for moment, _s, (kind, order) in days.get(day, ()):
            t = local_text(moment)
            ordered = local_text(order.ordered)
            if kind == "settle":
                for i, (sub, _sku, _name, qty, amount) in enumerate(order.lines):
                    parts = _douyin_parts(rng, order, i, amount)
                    request_serial += 1
                    trade_serial += 1
                    settle_items.append(
                        _douyin_settle_item(
                            t, request_serial, order, sub, qty, ordered, parts
                        )
                    )
                    account_items.append(
                        _douyin_account_item(
                            t, trade_serial, shop_id, order, sub, ordered, parts
                        )
                    )
            else:
                sub = order.lines[order.refund_line][0]
                request_serial += 1
                trade_serial += 1
                after_sale = f"73{order.refund_no}{rng.randint(1, 9)}"
                settle_items.append(
                    _douyin_refund_settle(t, request_serial, order, sub, ordered)
                )
                account_items.append(
                    _douyin_refund_item(
                        t, trade_serial, shop_id, order, sub, ordered, after_sale
                    )
                )
        balance += sum(
            item["account_amount"] * (1 if item["fund_flow"] == 0 else -1)
            for item in account_items
        )
        if account_items and day % 3 == 2:
            if balance > 10000:
                trade_serial += 1
                moment = day_start + dt.timedelta(hours=23)
                item = _douyin_withdraw(
                    local_text(moment), trade_serial, shop_id, balance
                )
                account_items.append(item)
                month.payout(
                    shop, moment, balance, item["account_trade_no"], "douyin_account"
                )
                balance = 0
        if shop.code == "DY01" and day == 9 and account_items:
            trade_serial += 1
            item = _douyin_withdraw(
                local_text(day_start + dt.timedelta(hours=23, minutes=30)),
                trade_serial,
                shop_id,
                1888,
            )
            item.update(
                fund_flow=1,
                fund_flow_desc="出账",
                account_bill_desc="平台活动扣费",
                account_bill_desc_tag=99,
                trans_scene="活动费用扣除",
                trans_scene_tag=99,
                account_trade_no=f"AS{day_start:%Y%m%d}23300{trade_serial}_OUT",
            )
            account_items.append(item)
            month.anomaly(
                "unclassifiable",
                shop,
                transaction_id=item["account_trade_no"],
                note="account item with an unknown scene/tag and no keyword",
            )
        if account_items:
            pages = _pages(rng, day_start, account_items, 500)
            rows = len(account_items)
            note = None
            if shop.code == "DY02" and previous_last_page is not None and day == 12:
                pages.insert(0, previous_last_page)
                rows += len(previous_last_page["data"]["data"])
                note = "first page repeats the previous day's last page (overlap)"
                month.anomaly(
                    "duplicate_overlap",
                    shop,
                    file=f"bills/{shop.code}/douyin_account_item_{shop_id}_{day_start:%Y%m%d}.json",
                    rows=len(previous_last_page["data"]["data"]),
                    transaction_ids=[
                        i["account_trade_no"]
                        for i in previous_last_page["data"]["data"]
                    ][:20],
                    note="page of the previous day's file repeated",
                )
            previous_last_page = pages[-1]
            data = json.dumps(pages, ensure_ascii=False, separators=(",", ":")).encode()
            month.write(
                shop,
                f"douyin_account_item_{shop_id}_{day_start:%Y%m%d}.json",
                data,
                "douyin_account",
                rows,
                note=note,
            )
            if shop.code == "DY03" and day == 15:
                path = month.write(
                    shop,
                    f"douyin_account_item_{shop_id}_{day_start:%Y%m%d}(中断).json",
                    data[: len(data) * 2 // 3],
                    "douyin_account",
                    rows,
                    broken="truncated JSON (download interrupted)",
                )
                month.anomaly(
                    "broken_file",
                    shop,
                    file=path,
                    note="truncated copy of a day already delivered complete",
                )
        if settle_items:
            pages = _pages(rng, day_start, settle_items, 100)
            data = json.dumps(pages, ensure_ascii=False, separators=(",", ":")).encode()
            month.write(
                shop,
                f"douyin_settle_bill_{shop_id}_{day_start:%Y%m%d}.json",
                data,
                "douyin_settle",
                len(settle_items),
                note="per-order view of the account items' settlement credits",
            )


def _douyin_parts(rng, order, index, amount):
    """Per-sub-order amounts (fen). Shop coupon on the first line only."""
    shop_coupon = order.discount if index == 0 else 0
    shop_coupon = min(shop_coupon, amount - 100) if shop_coupon else 0
    platform_coupon = rng.choice((0, 0, 0, 300, 500, 1000)) if amount > 2000 else 0
    union = rng.random() < 0.4
    author = rng.choice((0, 100, 200)) if union and amount > 2000 else 0
    zt = rng.choice((0, 0, 0, 0, 100)) if amount > 1000 else 0
    delta = order.delta if index == 0 else 0
    real_pay = amount - shop_coupon - platform_coupon - author - zt - delta
    if real_pay <= 0:
        platform_coupon = author = zt = 0
        real_pay = amount - shop_coupon - delta
    income = real_pay + platform_coupon + author + zt
    service = pct(income, 0.005)
    commission = pct(amount, rng.choice((0.1, 0.15, 0.2))) if union else 0
    return {
        "amount": amount,
        "shop_coupon": shop_coupon,
        "platform_coupon": platform_coupon,
        "author": author,
        "zt": zt,
        "real_pay": real_pay,
        "income": income,
        "service": service,
        "commission": commission,
        "union": union,
        "settle": income - service - commission,
    }


def _sku_number(sku):
    tail = sku[-4:]
    return int(tail) if tail.isdigit() else 9999


def _douyin_settle_item(t, serial, order, sub, qty, ordered, p):
    return {
        "settle_time": t,
        "request_no": f"S{t[:10].replace('-', '')}{serial:08d}",
        "shop_order_id": order.no,
        "order_id": sub,
        "settle_amount": p["settle"],
        "pay_type_desc": "聚合账户",
        "trade_type": 0,
        "is_contains_refund_before_settle": 0,
        "order_time": ordered,
        "product_id": f"36{order.shop.index:04d}{_sku_number(order.lines[0][1]):010d}",
        "goods_count": qty,
        "flow_type_desc": "精选联盟" if p["union"] else "小店自卖",
        "order_type": "普通订单",
        "total_amount": p["amount"],
        "total_goods_amount": p["amount"],
        "post_amount": 0,
        "shop_coupon": p["shop_coupon"],
        "refund_before_settle": 0,
        "platform_coupon": p["platform_coupon"],
        "author_coupon": p["author"],
        "zt_pay_promotion": p["zt"],
        "zr_pay_promotion": 0,
        "real_pay_amount": p["real_pay"],
        "total_income": p["income"],
        "platform_service_fee": p["service"],
        "commission": p["commission"],
        "good_learn_channel_fee": 0,
        "colonel_service_fee": 0,
        "channel_promotion_fee": 0,
        "other_sharing_amount": 0,
        "total_outcome": p["service"] + p["commission"],
        "remark": "",
        "packing_amount": 0,
        "free_commission_flag": "否",
        "real_free_commission_amount": 0,
    }


def _douyin_account_base(t, trade_no, shop_id):
    return {
        "bill_time": t,
        "fund_flow": 0,
        "fund_flow_desc": "入账",
        "account_amount": 0,
        "account_bill_desc": "",
        "account_bill_desc_tag": 0,
        "biz_type": 0,
        "biz_type_desc": "",
        "order_id": "",
        "shop_order_id": "",
        "after_sale_service_no": "",
        "business_order_create_time": "",
        "product_id": "",
        "pay_amount": 0,
        "promotion_amount": 0,
        "refund_amount": 0,
        "platform_service_fee": 0,
        "commission": 0,
        "channel_fee": 0,
        "colonel_service_fee": 0,
        "account_type": 4,
        "account_type_desc": "聚合支付",
        "author_coupon_subsidy": 0,
        "post_amount": 0,
        "account_trade_no": trade_no,
        "order_type": 0,
        "order_type_desc": "普通订单",
        "actual_zt_pay_promotion": 0,
        "actual_zr_pay_promotion": 0,
        "channel_promotion_fee": 0,
        "other_sharing_amount": 0,
        "remark": "",
        "shop_id": shop_id,
        "trans_scene": "",
        "trans_scene_tag": 0,
        "free_commission_flag": "否",
        "real_free_commission_amount": 0,
    }


def _douyin_account_item(t, serial, shop_id, order, sub, ordered, p):
    item = _douyin_account_base(
        t, f"AS{t[:10].replace('-', '')}{serial:013d}_IN", shop_id
    )
    item.update(
        account_amount=p["settle"],
        account_bill_desc="订单结算",
        account_bill_desc_tag=3,
        biz_type=2 if p["union"] else 4,
        biz_type_desc="精选联盟" if p["union"] else "小店自卖",
        order_id=sub,
        shop_order_id=order.no,
        business_order_create_time=ordered,
        pay_amount=p["real_pay"],
        promotion_amount=p["platform_coupon"],
        platform_service_fee=p["service"],
        commission=p["commission"],
        author_coupon_subsidy=p["author"],
        actual_zt_pay_promotion=p["zt"],
        trans_scene="货款结算入账",
        trans_scene_tag=30,
    )
    return item


def _douyin_refund_settle(t, serial, order, sub, ordered):
    item = _douyin_settle_item(
        t,
        serial,
        order,
        sub,
        1,
        ordered,
        {
            "settle": -order.refund,
            "union": False,
            "amount": 0,
            "shop_coupon": 0,
            "platform_coupon": 0,
            "author": 0,
            "zt": 0,
            "real_pay": 0,
            "income": 0,
            "service": 0,
            "commission": 0,
        },
    )
    item.update(trade_type=1, remark="结算后退款-原路退回", free_commission_flag="")
    return item


def _douyin_refund_item(t, serial, shop_id, order, sub, ordered, after_sale):
    item = _douyin_account_base(
        t, f"AS{t[:10].replace('-', '')}{serial:013d}_OUT", shop_id
    )
    item.update(
        fund_flow=1,
        fund_flow_desc="出账",
        account_amount=order.refund,
        account_bill_desc="原路退",
        account_bill_desc_tag=23,
        biz_type=4,
        biz_type_desc="小店自卖",
        order_id=sub,
        shop_order_id=order.no,
        after_sale_service_no=after_sale,
        business_order_create_time=ordered,
        refund_amount=order.refund,
        trans_scene="退款-结算后退款-退用户",
        trans_scene_tag=22,
    )
    return item


def _douyin_withdraw(t, serial, shop_id, amount):
    item = _douyin_account_base(
        t, f"AS{t[:10].replace('-', '')}{serial:013d}_OUT", shop_id
    )
    item.update(
        fund_flow=1,
        fund_flow_desc="出账",
        account_amount=amount,
        account_bill_desc="提现",
        account_bill_desc_tag=11,
        trans_scene="提现",
        trans_scene_tag=44,
    )
    return item


# ---------------------------------------------------------------------------
# WeChat Channels / WeChat Shop funds flow (list + detail responses, fen)
# ---------------------------------------------------------------------------


def emit_channels(month, shop):
    rng = shop.rng
    shop.account = None
    shop.external_id = f"wx{_digits(rng, 16)}"
    balance = rng.randint(1000, 20000) * 100
    flow_serial = int("1" + _digits(rng, 7)) * 10**9
    events = []
    seq = 0
    for order in shop.orders:
        if order.settled is None:
            continue
        seq += 1
        events.append((order.settled, seq, ("settle", order)))
        if order.refund:
            seq += 1
            events.append((order.refunded, seq, ("refund", order)))
    days = by_day(month, shop, events)
    start = month.start(shop.tz)
    commission_rate = rng.choice((0.02, 0.05))
    for day in range(month.days):
        day_start = start + dt.timedelta(days=day)
        flows = []

        def flow(
            moment, funds_type, flow_type, amount, related, remark="", flows=flows
        ):
            nonlocal balance, flow_serial
            flow_serial += 1
            balance += amount if flow_type == 1 else -amount
            flows.append(
                {
                    "errcode": 0,
                    "errmsg": "ok",
                    "funds_flow": {
                        "flow_id": str(flow_serial),
                        "funds_type": funds_type,
                        "flow_type": flow_type,
                        "amount": amount,
                        "balance": balance,
                        "related_info_list": related,
                        "bookkeeping_time": local_text(moment),
                        "remark": remark,
                    },
                }
            )

        for moment, _s, (kind, order) in days.get(day, ()):
            txn = f"4200002{order.ordered:%Y%m%d}{order.no[-13:]}"
            info = [{"related_type": 1, "order_id": order.no, "transaction_id": txn}]
            if kind == "settle":
                paid = order.amount - order.delta
                flow(moment, 1, 1, paid, info)
                flow(moment, 2, 2, max(1, pct(paid, 0.01)), info)
                flow(moment, 11, 2, max(1, pct(paid, commission_rate)), info)
            else:
                fee_back = pct(order.refund, 0.01)
                aftersale = [
                    {
                        "related_type": 2,
                        "aftersale_id": f"19{order.refund_no[:14]}",
                        "transaction_id": txn,
                    }
                ] + info
                flow(
                    moment,
                    3,
                    2,
                    order.refund,
                    aftersale,
                    f"退款总金额{yuan(order.refund)}元;含手续费{yuan(fee_back)}元",
                )
        if shop.code == "WC01" and day == 14 and flows:
            flow(day_start + dt.timedelta(hours=23), 77, 2, 990, [], "")
            month.anomaly(
                "unclassifiable",
                shop,
                transaction_id=flows[-1]["funds_flow"]["flow_id"],
                note="funds_type 77 is not documented",
            )
        if flows and day % 7 == 6 and balance > 100000:
            amount = balance // 10000 * 10000
            withdraw_id = f"W{day_start:%Y%m%d}{rng.randint(10**7, 10**8 - 1)}"
            moment = day_start + dt.timedelta(hours=23, minutes=30)
            flow(
                moment, 4, 2, amount, [{"related_type": 3, "withdraw_id": withdraw_id}]
            )
            month.payout(shop, moment, amount, withdraw_id, "channels_flow")
        if not flows:
            continue
        ids = [f["funds_flow"]["flow_id"] for f in flows]
        t0 = int(day_start.timestamp())
        pages = []
        for page, first in enumerate(range(0, len(ids), 100), start=1):
            more = first + 100 < len(ids)
            pages.append(
                {
                    "request": {
                        "page": page,
                        "page_size": 100,
                        "start_time": t0,
                        "end_time": t0 + 86399,
                    },
                    "response": {
                        "errcode": 0,
                        "errmsg": "ok",
                        "flow_ids": ids[first : first + 100],
                        "has_more": more,
                        "next_key": "",
                    },
                }
            )
        document = {"getfundsflowlist": pages, "getfundsflowdetail": flows}
        month.write(
            shop,
            f"channels_funds_flow_{shop.code}_{day_start:%Y%m%d}.json",
            json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
            "channels_flow",
            len(flows),
        )


# ---------------------------------------------------------------------------
# Shopify Payments transactions export (17 columns, UTF-8, LF), monthly
# ---------------------------------------------------------------------------

SHOPIFY_HEADER = (
    "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,"
    "Payout ID,Available On,Amount,Fee,Net,Checkout,Payment Method Name,"
    "Presentment Amount,Presentment Currency,Currency"
)


def emit_shopify(month, shop):
    rng = shop.rng
    shop.account = None
    shop.external_id = f"{shop.code.lower()}.myshopify.com"
    end = month.end(shop.tz)
    payout_base = rng.randint(10**8, 9 * 10**8)
    payouts = {}
    rows = []
    events = []
    for order in shop.orders:
        if order.settled is not None:
            events.append((order.settled, 0, "charge", order))
        if order.refund and order.refunded is not None:
            events.append((order.refunded, 1, "refund", order))
    events.sort(key=lambda e: (e[0], e[1]))
    for moment, _p, kind, order in events:
        if not in_period(month, shop, moment):
            continue
        pay_day = (moment + dt.timedelta(days=2)).date()
        paid = dt.datetime.combine(pay_day, dt.time(), shop.tz) < end - ONE_DAY
        payout_id = str(payout_base + pay_day.toordinal() % 10**6) if paid else ""
        status = "paid" if paid else "pending"
        checkout = f"#{30000000000000 + int(order.no[1:]) * 7}"
        brand = rng.choice(("visa", "visa", "master", "american_express"))
        if kind == "charge":
            amount = order.amount - order.delta
            fee = pct(amount, 0.029) + 30
            cells = (
                moment.strftime("%Y-%m-%d %H:%M:%S %z"),
                "charge",
                order.no,
                brand,
                "online",
                status,
                pay_day.isoformat(),
                payout_id,
                pay_day.isoformat(),
                yuan(amount),
                yuan(fee),
                yuan(amount - fee),
                checkout,
                "card",
                yuan(amount),
                "USD",
                "USD",
            )
            net = amount - fee
        else:
            cells = (
                moment.strftime("%Y-%m-%d %H:%M:%S %z"),
                "refund",
                order.no,
                brand,
                "online",
                status,
                pay_day.isoformat(),
                payout_id,
                pay_day.isoformat(),
                yuan(-order.refund),
                "0.00",
                yuan(-order.refund),
                checkout,
                "card",
                yuan(order.refund),
                "USD",
                "USD",
            )
            net = -order.refund
        rows.append(",".join(cells))
        if payout_id:
            payouts.setdefault(payout_id, [pay_day, 0])[1] += net
    for payout_id, (pay_day, net) in sorted(payouts.items()):
        month.payout(
            shop,
            dt.datetime.combine(pay_day, dt.time(9), shop.tz),
            net,
            payout_id,
            "shopify",
        )
    text = "\n".join([SHOPIFY_HEADER, *rows, ""])
    month.write(
        shop,
        f"payment_transactions_export_{shop.code}_{month.year}{month.month:02d}.csv",
        text.encode("utf-8"),
        "shopify",
        len(rows),
    )


# ---------------------------------------------------------------------------
# Amazon settlement report V2 flat file (24 columns, TAB), per settlement
# ---------------------------------------------------------------------------

AMAZON_HEADER = (
    "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\t"
    "currency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\t"
    "marketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\t"
    "posted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\t"
    "sku\tquantity-purchased\tpromotion-id"
)


def emit_amazon(month, shop):
    rng = shop.rng
    shop.account = None
    shop.external_id = "A" + "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(13)
    )
    start = month.start(UTC)
    bounds = []
    day = 0
    while day < month.days:
        bounds.append((day, min(month.days, day + 14)))
        day += 14
    events = []
    for order in shop.orders:
        if order.settled is not None:
            events.append((order.settled.astimezone(UTC), 0, "order", order))
        if order.refund and order.refunded is not None:
            events.append((order.refunded.astimezone(UTC), 1, "refund", order))
    events.sort(key=lambda e: (e[0], e[1]))
    settlement = int("1" + _digits(rng, 10))
    tax_state = {}
    for number, (first, last) in enumerate(bounds):
        settlement += 1
        s_start = start + dt.timedelta(days=first, hours=8)
        s_end = (
            start + dt.timedelta(days=last, hours=8)
            if last < month.days
            else month.end(UTC)
        )
        deposit = s_end + dt.timedelta(days=2)
        common = (
            str(settlement),
            f"{s_start:%Y-%m-%d %H:%M:%S} UTC",
            f"{s_end:%Y-%m-%d %H:%M:%S} UTC",
            f"{deposit:%Y-%m-%d %H:%M:%S} UTC",
        )
        rows = []
        total = 0

        def row(
            kind,
            order_id,
            adjustment,
            shipment,
            amount_type,
            desc,
            amount,
            moment,
            item_code="",
            adj_item="",
            sku="",
            qty="",
            promo="",
            rows=rows,
            common=common,
        ):
            nonlocal total
            total += amount
            rows.append(
                "\t".join(
                    (
                        *common,
                        "",
                        "USD",
                        kind,
                        order_id,
                        "",
                        adjustment,
                        shipment,
                        "Amazon.com" if kind != "other-transaction" else "Amazon.com",
                        amount_type,
                        desc,
                        yuan(amount),
                        "AFN" if kind != "other-transaction" else "",
                        f"{moment:%Y-%m-%d}",
                        f"{moment:%Y-%m-%d %H:%M:%S} UTC",
                        item_code,
                        "",
                        adj_item,
                        sku,
                        qty,
                        promo,
                    )
                )
            )

        lo = s_start if number else start
        for moment, _p, kind, order in events:
            if not lo <= moment < s_end:
                continue
            if kind == "order":
                shipment = "D" + "".join(
                    rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9)
                )
                for i, (code, sku, _name, qty, amount) in enumerate(order.lines):
                    principal = amount - (order.delta if i == 0 else 0)
                    row(
                        "Order",
                        order.no,
                        "",
                        shipment,
                        "ItemPrice",
                        "Principal",
                        principal,
                        moment,
                        code,
                        "",
                        sku,
                        str(qty),
                    )
                    taxed = tax_state.setdefault(order.no, rng.random() < 0.5)
                    if taxed:
                        tax = pct(principal, 0.08)
                        row(
                            "Order",
                            order.no,
                            "",
                            shipment,
                            "ItemPrice",
                            "Tax",
                            tax,
                            moment,
                            code,
                            "",
                            sku,
                            str(qty),
                        )
                        row(
                            "Order",
                            order.no,
                            "",
                            shipment,
                            "ItemWithheldTax",
                            "MarketplaceFacilitatorTax-Principal",
                            -tax,
                            moment,
                            code,
                            "",
                            sku,
                            str(qty),
                        )
                    row(
                        "Order",
                        order.no,
                        "",
                        shipment,
                        "ItemFees",
                        "Commission",
                        -pct(amount, 0.15),
                        moment,
                        code,
                        "",
                        sku,
                        str(qty),
                    )
                    row(
                        "Order",
                        order.no,
                        "",
                        shipment,
                        "ItemFees",
                        "FBAPerUnitFulfillmentFee",
                        -322 * qty,
                        moment,
                        code,
                        "",
                        sku,
                        str(qty),
                    )
                    if i == 0 and order.discount:
                        row(
                            "Order",
                            order.no,
                            "",
                            shipment,
                            "Promotion",
                            "Principal",
                            -order.discount,
                            moment,
                            code,
                            "",
                            sku,
                            str(qty),
                            f"PLM-{shop.code}-{order.discount}",
                        )
            else:
                code, sku, _name, qty, amount = order.lines[order.refund_line]
                adjustment = _digits(rng, 14)
                adj_item = _digits(rng, 14)
                back = pct(pct(amount, 0.15), order.refund / amount)
                row(
                    "Refund",
                    order.no,
                    adjustment,
                    "",
                    "ItemPrice",
                    "Principal",
                    -order.refund,
                    moment,
                    code,
                    adj_item,
                    sku,
                    "",
                )
                row(
                    "Refund",
                    order.no,
                    adjustment,
                    "",
                    "ItemFees",
                    "Commission",
                    back,
                    moment,
                    code,
                    adj_item,
                    sku,
                    "",
                )
                row(
                    "Refund",
                    order.no,
                    adjustment,
                    "",
                    "ItemFees",
                    "RefundCommission",
                    -min(500, pct(back, 0.2)),
                    moment,
                    code,
                    adj_item,
                    sku,
                    "",
                )
        if number == 0:
            row(
                "other-transaction",
                "",
                "",
                "",
                "other-transaction",
                "Subscription Fee",
                -3999,
                s_start + dt.timedelta(days=1),
            )
        if not rows:
            continue
        summary = "\t".join((*common, yuan(total), "USD", *([""] * 18)))
        text = "\n".join([AMAZON_HEADER, summary, *rows, ""])
        month.payout(shop, deposit, total, str(settlement), "amazon")
        month.write(
            shop,
            f"settlement_{settlement}.tsv",
            text.encode("utf-8"),
            "amazon",
            len(rows),
        )


# ---------------------------------------------------------------------------
# Stripe balance transactions (list responses, cents), daily pulls
# ---------------------------------------------------------------------------


def _stripe_id(rng, prefix):
    return prefix + "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        for _ in range(24)
    )


def emit_stripe(month, shop):
    rng = shop.rng
    shop.account = None
    shop.external_id = _stripe_id(rng, "acct_")[:21]
    events = []
    for order in shop.orders:
        if order.settled is not None:
            events.append((order.settled, 0, "charge", order))
        if order.refund and order.refunded is not None:
            events.append((order.refunded, 1, "refund", order))
    days = collections.defaultdict(list)
    start = month.start(shop.tz)
    for event in events:
        if in_period(month, shop, event[0]):
            days[(event[0] - start).days].append(event)
    balance = 0
    charges = {}
    for day in range(month.days):
        day_start = start + dt.timedelta(days=day)
        items = []
        for moment, _p, kind, order in sorted(
            days.get(day, ()), key=lambda e: (e[0], e[1])
        ):
            created = int(moment.timestamp())
            charge_id = charges.setdefault(order.no, "ch_" + _stripe_id(rng, "")[:24])
            if kind == "charge":
                amount = order.amount - order.delta
                fee = pct(amount, 0.029) + 30
                source = {
                    "id": charge_id,
                    "object": "charge",
                    "amount": amount,
                    "currency": "usd",
                    "metadata": {"order_id": order.no},
                }
                items.append(
                    {
                        "id": _stripe_id(rng, "txn_"),
                        "object": "balance_transaction",
                        "amount": amount,
                        "available_on": created + 2 * 86400,
                        "created": created,
                        "currency": "usd",
                        "description": f"Order {order.no}",
                        "exchange_rate": None,
                        "fee": fee,
                        "fee_details": [
                            {
                                "amount": fee,
                                "application": None,
                                "currency": "usd",
                                "description": "Stripe processing fees",
                                "type": "stripe_fee",
                            }
                        ],
                        "net": amount - fee,
                        "reporting_category": "charge",
                        "source": source,
                        "status": "available",
                        "type": "charge",
                    }
                )
                balance += amount - fee
            else:
                source = {
                    "id": "re_" + _stripe_id(rng, "")[:24],
                    "object": "refund",
                    "amount": order.refund,
                    "charge": charge_id,
                    "currency": "usd",
                    "metadata": {"order_id": order.no},
                }
                items.append(
                    {
                        "id": _stripe_id(rng, "txn_"),
                        "object": "balance_transaction",
                        "amount": -order.refund,
                        "available_on": created,
                        "created": created,
                        "currency": "usd",
                        "description": f"REFUND FOR CHARGE (Order {order.no})",
                        "exchange_rate": None,
                        "fee": 0,
                        "fee_details": [],
                        "net": -order.refund,
                        "reporting_category": "refund",
                        "source": source,
                        "status": "available",
                        "type": "refund",
                    }
                )
                balance -= order.refund
        if day % 2 == 1 and balance > 0:
            moment = day_start + dt.timedelta(hours=23, minutes=59)
            created = int(moment.timestamp())
            payout_id = "po_" + _stripe_id(rng, "")[:24]
            items.append(
                {
                    "id": _stripe_id(rng, "txn_"),
                    "object": "balance_transaction",
                    "amount": -balance,
                    "available_on": created,
                    "created": created,
                    "currency": "usd",
                    "description": "STRIPE PAYOUT",
                    "exchange_rate": None,
                    "fee": 0,
                    "fee_details": [],
                    "net": -balance,
                    "reporting_category": "payout",
                    "source": payout_id,
                    "status": "available",
                    "type": "payout",
                }
            )
            month.payout(shop, moment, balance, payout_id, "stripe")
            balance = 0
        if not items:
            continue
        items.reverse()  # the API lists newest first
        pages = []
        for first in range(0, len(items), 100):
            pages.append(
                {
                    "object": "list",
                    "url": "/v1/balance_transactions",
                    "has_more": first + 100 < len(items),
                    "data": items[first : first + 100],
                }
            )
        month.write(
            shop,
            f"stripe_balance_transactions_{day_start:%Y%m%d}.json",
            json.dumps(pages, separators=(",", ":")).encode(),
            "stripe",
            len(items),
        )


# ---------------------------------------------------------------------------
# PayPal activity download (22 columns, UTF-8 BOM, CRLF, dd/mm/yyyy), monthly
# ---------------------------------------------------------------------------

PAYPAL_HEADER = (
    "Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,From Email Address,"
    "To Email Address,Transaction ID,Address Status,Sales Tax,Reference Txn ID,"
    "Invoice Number,Receipt ID,Balance,Contact Phone Number,Subject,Note"
)


def emit_paypal(month, shop):
    rng = shop.rng
    shop.account = None
    shop.external_id = f"shop-{shop.code.lower()}@example.com"
    email = shop.external_id
    balance = rng.randint(100, 2000) * 100
    events = []
    for order in shop.orders:
        if order.settled is not None:
            events.append((order.settled, 0, "pay", order))
        if order.refund and order.refunded is not None:
            events.append((order.refunded, 1, "refund", order))
    start = month.start(shop.tz)
    for day in range(6, month.days, 7):
        events.append((start + dt.timedelta(days=day, hours=18), 2, "withdraw", None))
    events.sort(key=lambda e: (e[0], e[1]))
    txn_ids = {}
    rows = []
    alphabet = "ABCDEFGHJKLMNPRSTUVWXY0123456789"

    def txn():
        return "".join(rng.choice(alphabet) for _ in range(17))

    for moment, _p, kind, order in events:
        if not in_period(month, shop, moment):
            continue
        date, clock, zone = (
            moment.strftime("%d/%m/%Y"),
            moment.strftime("%H:%M:%S"),
            moment.tzname(),
        )
        if kind == "pay":
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            buyer = f"{name.split()[0].lower()}{rng.randint(1, 999)}@example.com"
            gross = order.amount - order.delta
            fee = pct(gross, 0.0349) + 30
            balance += gross - fee
            txn_ids[order.no] = (txn(), name, buyer)
            rows.append(
                ",".join(
                    (
                        date,
                        clock,
                        zone,
                        name,
                        "Website Payment",
                        "Completed",
                        "USD",
                        yuan(gross),
                        yuan(-fee),
                        yuan(gross - fee),
                        buyer,
                        email,
                        txn_ids[order.no][0],
                        "Confirmed",
                        "0.00",
                        "",
                        order.no,
                        "",
                        yuan(balance),
                        "",
                        f"Order {order.no}",
                        "",
                    )
                )
            )
        elif kind == "refund":
            original, name, buyer = txn_ids.get(order.no, ("", "", ""))
            balance -= order.refund
            rows.append(
                ",".join(
                    (
                        date,
                        clock,
                        zone,
                        name,
                        "Payment Refund",
                        "Completed",
                        "USD",
                        yuan(-order.refund),
                        "0.00",
                        yuan(-order.refund),
                        email,
                        buyer,
                        txn(),
                        "",
                        "0.00",
                        original,
                        order.no,
                        "",
                        yuan(balance),
                        "",
                        f"Refund {order.no}",
                        "",
                    )
                )
            )
        elif balance > 10000:
            amount = balance // 100 * 100
            balance -= amount
            reference = txn()
            rows.append(
                ",".join(
                    (
                        date,
                        clock,
                        zone,
                        "",
                        "General Withdrawal",
                        "Completed",
                        "USD",
                        yuan(-amount),
                        "0.00",
                        yuan(-amount),
                        email,
                        "",
                        reference,
                        "",
                        "0.00",
                        "",
                        "",
                        "",
                        yuan(balance),
                        "",
                        "",
                        "",
                    )
                )
            )
            month.payout(shop, moment, amount, reference, "paypal")
    text = "\r\n".join([BOM + PAYPAL_HEADER, *rows, ""])
    month.write(
        shop,
        f"paypal_activity_{shop.code}_{month.year}{month.month:02d}.csv",
        text.encode("utf-8"),
        "paypal",
        len(rows),
    )


EMITTERS = {
    "tmall": emit_taobao,
    "taobao": emit_taobao,
    "alipay": emit_alipay,
    "wechatpay": emit_wechatpay,
    "jd": emit_jd,
    "pdd": emit_pdd,
    "douyin": emit_douyin,
    "wechat_channels": emit_channels,
    "shopify": emit_shopify,
    "amazon": emit_amazon,
    "stripe": emit_stripe,
    "paypal": emit_paypal,
}


# ---------------------------------------------------------------------------
# Orders, payouts, manifest
# ---------------------------------------------------------------------------

ORDER_COLUMNS = (
    "shop",
    "platform",
    "order_no",
    "sub_order_no",
    "sku",
    "qty",
    "amount",
    "discount",
    "shipping",
    "currency",
    "order_date",
    "delivery_date",
    "refund_amount",
    "refund_date",
)


def _iso(moment):
    return moment.isoformat(sep=" ") if moment is not None else ""


def write_orders(month):
    """orders.csv: one line per order line; order-level money on the first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORDER_COLUMNS)
    count = lines = earlier = 0
    for shop in month.shops:
        end = month.end(shop.tz)
        start = month.start(shop.tz)
        for order in shop.orders:
            count += 1
            earlier += order.ordered < start
            delivered = order.delivered
            if order.hide_delivery or (delivered is not None and delivered >= end):
                delivered = None
            for position, (sub, sku, _name, qty, amount) in enumerate(order.lines):
                lines += 1
                first = position == 0
                refund = position == order.refund_line and order.refund
                writer.writerow(
                    (
                        shop.code,
                        shop.platform,
                        order.no,
                        sub,
                        sku,
                        qty,
                        yuan(amount),
                        yuan(order.discount) if first and order.discount else "",
                        yuan(order.shipping) if first and order.shipping else "",
                        shop.currency,
                        _iso(order.ordered),
                        _iso(delivered),
                        yuan(order.refund) if refund else "",
                        _iso(order.refunded) if refund else "",
                    )
                )
    (month.out / "orders.csv").write_text(buffer.getvalue(), encoding="utf-8")
    month.stats["orders"] = count - earlier
    month.stats["orders_before_period"] = earlier
    month.stats["order_lines"] = lines


def write_payouts(month):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ("shop", "platform", "date", "amount", "currency", "reference", "bill")
    )
    writer.writerows(month.payouts)
    (month.out / "payouts.csv").write_text(buffer.getvalue(), encoding="utf-8")
    month.stats["payouts"] = len(month.payouts)


def write_manifest(month, seconds):
    refunds = later = 0
    end_by_tz = {}
    for shop in month.shops:
        end = end_by_tz.setdefault(shop.tz, month.end(shop.tz))
        for order in shop.orders:
            if order.refund:
                refunds += 1
                later += order.refunded >= end
    anomaly_counts = collections.Counter(a["type"] for a in month.anomalies)
    manifest = {
        "generator": "tests/bench/generate_month.py",
        "arguments": {
            "scale": month.scale,
            "seed": month.seed,
            "month": f"{month.year}-{month.month:02d}",
            "days": month.days,
            "big_sale_day": month.big_day,
        },
        "period": {
            "start": f"{month.year}-{month.month:02d}-01",
            "days": month.days,
        },
        "shops": [
            {
                "code": shop.code,
                "name": shop.name,
                "platform": shop.platform,
                "currency": shop.currency,
                "platform_account": shop.account,
                "external_shop_id": shop.external_id,
                "timezone": str(shop.tz),
                "orders": len(shop.orders),
            }
            for shop in month.shops
        ],
        "totals": {
            **dict(month.stats),
            "refunds": refunds,
            "refunds_after_period": later,
            "generation_seconds": round(seconds, 2),
        },
        "anomaly_counts": dict(sorted(anomaly_counts.items())),
        "anomalies": month.anomalies,
        "files": month.files,
        "notes": [
            "orders.csv: amount = line amount before the merchant discount; "
            "discount (merchant-funded) and shipping are order-level, on the "
            "order's first line; expected settlement income of an order = "
            "sum(amount) - discount + shipping; platform-funded subsidies (Douyin "
            "platform_coupon lines) are part of it.",
            "Dates are local to the shop with their UTC offset.",
            "Two views of the same money are generated where the platform has "
            "two bills: Alipay 业务明细 + 账务明细, WeChat Pay trade + fund-flow "
            "bill, Douyin settle bill + account items. Post from one view only "
            "(the wallet ledger).",
            "Files with 'broken' must be refused by the import (state error); "
            "every other file parses.",
        ],
    }
    (month.out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return manifest


def generate(args):
    started = time.perf_counter()
    month = Month(args)
    if month.out.exists() and any(month.out.iterdir()) and not args.force:
        manifest_path = month.out / "manifest.json"
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest["arguments"] == _arguments(month):
                print(
                    f"{month.out}: already generated with these arguments (use --force)"
                )
                return manifest
        raise SystemExit(
            f"{month.out} is not empty: choose another --out or pass --force"
        )
    if month.out.exists() and args.force:
        import shutil  # noqa: PLC0415

        shutil.rmtree(month.out)
    month.out.mkdir(parents=True, exist_ok=True)
    for shop in month.build_shops():
        shop.year_prefix = f"{month.year % 100:02d}{month.month:02d}"
        month.generate_orders(shop)
        plan_money(month, shop)
        EMITTERS[shop.platform](month, shop)
    write_orders(month)
    write_payouts(month)
    seconds = time.perf_counter() - started
    manifest = write_manifest(month, seconds)
    totals = manifest["totals"]
    print(
        f"{month.out}: {len(month.shops)} shops, {totals['orders']} orders, "
        f"{totals['files']} files, {totals['rows']} bill rows, "
        f"{len(month.anomalies)} anomalies, {seconds:.1f} s"
    )
    return manifest


def _arguments(month):
    return {
        "scale": month.scale,
        "seed": month.seed,
        "month": f"{month.year}-{month.month:02d}",
        "days": month.days,
        "big_sale_day": month.big_day,
    }


# ---------------------------------------------------------------------------
# --check: parse everything with the add-on's parsers
# ---------------------------------------------------------------------------


def load_parsers():
    """The add-on's plain-Python parsers, without importing Odoo."""
    path = str(REPO / "addons" / "ec_reconcile")
    if path not in sys.path:
        sys.path.insert(0, path)
    import parsers  # noqa: PLC0415

    return parsers


def check(out, manifest):
    """Parse every file: broken ones must fail, the others parse with the
    expected parser. Warnings of files without an injected anomaly are shown
    (they point at a generator or parser problem) but do not fail the check.
    """
    parsers = load_parsers()
    started = time.perf_counter()
    problems, warnings = [], []
    lines = rows = 0
    kinds = collections.Counter()
    flags = collections.Counter()
    expected = {a.get("file") for a in manifest["anomalies"] if a.get("file")}
    for entry in manifest["files"]:
        data = (out / entry["path"]).read_bytes()
        try:
            bills = parsers.parse_file(os.path.basename(entry["path"]), data)
        except parsers.BillParseError as error:
            if not entry.get("broken"):
                problems.append(f"{entry['path']}: {str(error)[:300]}")
            continue
        if entry.get("broken"):
            problems.append(f"{entry['path']}: broken on purpose but parsed")
            continue
        for bill in bills:
            code = _parser_code(parsers, bill)
            # A Taobao/Tmall day holding only a withdrawal carries nothing that
            # tells it from a plain Alipay 账务明细; the shop decides at import.
            same_layout = (code, entry["parser"]) == (
                "alipay_signcustomer",
                "taobao_alipay_signcustomer",
            )
            if code != entry["parser"] and not same_layout:
                problems.append(
                    f"{entry['path']}: read by {code}, expected {entry['parser']}"
                )
            lines += len(bill.lines)
            rows += bill.meta.get("rows") or len(
                {line.row_number for line in bill.lines}
            )
            for line in bill.lines:
                kinds[line.kind] += 1
                for flag in line.flags:
                    flags[flag] += 1
            if entry["path"] not in expected:
                warnings.extend(f"{entry['path']}: {w}" for w in bill.warnings)
    seconds = time.perf_counter() - started
    print(
        f"check: {lines} lines from {rows} rows in {seconds:.1f} s "
        f"({lines / seconds:,.0f} lines/s)"
    )
    print("kinds:", dict(kinds.most_common()))
    print("flags:", dict(flags))
    for warning in warnings[:20]:
        print("WARNING", warning)
    for problem in problems[:50]:
        print("PROBLEM", problem)
    print("check:", "FAILED" if problems else "ok", f"({len(warnings)} warnings)")
    return not problems


def _parser_code(parsers, bill):
    for parser in parsers.parsers():
        if parser.code == bill.bill_type:
            return parser.code
        spec = getattr(parser, "spec", None)
        if (
            spec
            and spec.get("bill_type") == bill.bill_type
            and spec.get("platform") == bill.platform
        ):
            return parser.code
    return bill.bill_type


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="1.0 = the reference month (160k orders, ~1M bill lines)",
    )
    parser.add_argument("--seed", type=int, default=20251111)
    parser.add_argument("--out", default="/tmp/ec_bench_month")
    parser.add_argument("--month", default="2025-11", help="YYYY-MM (default 2025-11)")
    parser.add_argument(
        "--days", type=int, default=0, help="days of the month (default: all)"
    )
    parser.add_argument(
        "--big-sale-day",
        type=int,
        default=11,
        help="day with ten times the normal volume (0: none)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite --out")
    parser.add_argument(
        "--check",
        action="store_true",
        help="parse every file with the add-on's parsers afterwards",
    )
    args = parser.parse_args(argv)
    manifest = generate(args)
    if args.check and not check(pathlib.Path(args.out), manifest):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
