# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Douyin / 抖店 (Doudian) bills from the open-platform JSON API.

Two bill types, two views of the same money (platform-bills §5):

``order.getSettleBillDetailV3`` (结算账单, parser ``douyin_settle_bill``)
    One row per settled SKU sub-order, amounts in fen. A row is split into
    components that add up to ``settle_amount`` exactly: what the buyer paid
    for the goods (``sale``), freight (``shipping_fee``), the subsidies the
    platform, the author and Douyin Pay pay in (``platform_coupon``), and the
    deductions (``service_fee``, ``commission``, ``ads``, ``other``). It only
    knows settled orders and refunds after settlement: no withdrawals, deposits,
    penalties, compensation or ad top-ups.

``order.getShopAccountItem`` (动账明细 / 资金流水, parser ``douyin_account_item``)
    The ledger of the shop's settlement wallet: every movement, with its
    direction, including the settlement credits above (one net credit per
    settled sub-order, ``trans_scene_tag`` 30), refunds, withdrawals,
    deposits, penalties and ad top-ups. Settlement credits are split into the
    same components as above when the row's own fields add up to the credit;
    otherwise they stay one net ``sale`` line.

**Post from the account item flow.** It is the wallet ledger: its lines add
up to the change of the wallet balance and it includes the payouts that the
bank statement must match. The settlement bill is the per-order explanation
of the settlement credits; use it to check orders (or when only it is
available), never post both for the same shop and period: each settled
sub-order would be counted twice (the ids differ: ``request_no`` vs
``account_trade_no``, so the unique index cannot catch it). Both parsers
produce the same kinds and order references, so the matcher works with
either.

Shapes accepted: the API response (``{"code": 10000, "data": {...}}``), a
JSON array of responses (pages saved into one file), the ``data`` object of
a response, or the bare list of items.
"""

from decimal import Decimal

from .base import FLAG_UNCLASSIFIED, BillLine, BillParseError, ParsedBill
from .jsonbill import (
    RowErrors,
    SeenItems,
    broken_json_mentions,
    join_text,
    json_datetime,
    load_document,
    minor_amount,
    period_of,
    text_id,
)
from .registry import BillParser, register

PLATFORM = "douyin"
CURRENCY = "CNY"
SUCCESS_CODE = 10000
# The fixture's inner ``data.code`` is "100000" with an empty ``code_msg``;
# the reference does not document the inner code (unconfirmed), so only
# these values count as success and any other one is reported with its text.
_INNER_SUCCESS = {"100000", "10000", "0", ""}
_ENVELOPE_KEYS = {"msg", "sub_code", "sub_msg", "log_id"}
_PAGE_KEYS = {"is_end", "next_start_index", "next_start_time", "data_size", "size"}

SETTLE = "settle"
ACCOUNT = "account"
_METHODS = {SETTLE: "getSettleBillDetailV3", ACCOUNT: "getShopAccountItem"}

_TRADE_TYPES = {
    0: "已结算",
    1: "结算后退款-原路退回",
    2: "保证金退款",
    3: "结算后退款-非原路退回",
}

# Settlement bill: (field, component suffix, kind, label). Income fields
# are added, deduction fields (positive numbers) subtracted. §5.2 / §5.5.
_SETTLE_SUBSIDIES = (
    ("platform_coupon", "platform_coupon", "platform_coupon", "平台补贴"),
    ("author_coupon", "author_coupon", "platform_coupon", "达人补贴"),
    ("zt_pay_promotion", "zt_pay_promotion", "platform_coupon", "抖音支付补贴"),
    ("zr_pay_promotion", "zr_pay_promotion", "platform_coupon", "DOU分期营销补贴"),
)
_SETTLE_DEDUCTIONS = (
    ("platform_service_fee", "platform_service_fee", "service_fee", "平台服务费"),
    ("commission", "commission", "commission", "佣金"),
    ("good_learn_channel_fee", "channel_fee", "commission", "渠道分成"),
    ("colonel_service_fee", "colonel_service_fee", "commission", "团长服务费"),
    ("channel_promotion_fee", "channel_promotion_fee", "ads", "站外推广费"),
    ("other_sharing_amount", "other_sharing", "other", "其他分成"),
)

# Account item flow: same components under the flow's field names (§5.3).
_ACCOUNT_SUBSIDIES = (
    ("promotion_amount", "platform_coupon", "platform_coupon", "平台补贴"),
    ("author_coupon_subsidy", "author_coupon", "platform_coupon", "达人补贴"),
    ("actual_zt_pay_promotion", "zt_pay_promotion", "platform_coupon", "抖音支付补贴"),
    (
        "actual_zr_pay_promotion",
        "zr_pay_promotion",
        "platform_coupon",
        "DOU分期营销补贴",
    ),
)
_ACCOUNT_DEDUCTIONS = (
    ("platform_service_fee", "platform_service_fee", "service_fee", "平台服务费"),
    ("commission", "commission", "commission", "佣金"),
    ("channel_fee", "channel_fee", "commission", "渠道分成"),
    ("colonel_service_fee", "colonel_service_fee", "commission", "团长服务费"),
    ("channel_promotion_fee", "channel_promotion_fee", "ads", "站外推广费"),
    ("other_sharing_amount", "other_sharing", "other", "其他分成"),
)

# ``trans_scene_tag`` → kind (§5.5). The reference names only some of the
# 0–45 scenes; 11/12 are listed by §5.5 although §5.3 names 44/45 as the
# withdrawal scenes (sources unclear): both are mapped.
_SCENE_KINDS = {
    1: "adjustment",  # 消费者赔付
    2: "adjustment",  # 小额打款
    3: "adjustment",  # 判罚扣款
    4: "adjustment",  # 物流赔付
    5: "deposit",  # 充值保证金
    6: "service_fee",  # 权益保险
    11: "payout",
    12: "payout",
    15: "adjustment",  # 人工调账
    17: "ads",  # 充值千川广告费
    20: "service_fee",
    21: "service_fee",
    30: "sale",  # 货款结算入账 (net settlement)
    43: "commission",  # 佣金入账
    44: "payout",  # 提现
    45: "payout",  # 提现退票 (reversal: money back in)
}
_SCENE_KINDS.update({tag: "refund" for tag in range(22, 29)})  # 退款-…
_SCENE_KINDS.update({tag: "refund" for tag in range(34, 39)})  # 退款-…

# ``account_bill_desc_tag`` → kind, used when the scene is not mapped.
_DESC_TAG_KINDS = {
    1: "commission",  # 达人带货佣金
    2: "commission",  # 达人佣金退款
    3: "sale",  # 订单结算
    4: "sale",  # 部分结算
    5: "shipping_fee",  # 运费单结算 (freight income; unconfirmed)
    6: "service_fee",  # 服务费返还
    7: "platform_coupon",  # 平台补贴扣回
    8: "refund",  # 退款失败退票
    9: "adjustment",  # 结算重复扣款调账
    10: "deposit",  # 保证金退款
    11: "payout",  # 提现
    12: "payout",  # 提现退票
    13: "refund",  # 极速退款分账
    14: "adjustment",  # 小额打款 (14–17)
    15: "adjustment",
    16: "adjustment",
    17: "adjustment",
    18: "adjustment",  # 小额打款退票
    19: "refund",  # 已退款
    20: "service_fee",  # 运费险扣减货款
    21: "service_fee",  # 支付BIC服务费
    22: "service_fee",  # BIC服务费退票
    23: "refund",  # 原路退
}
_SETTLEMENT_SCENES = {30}
_SETTLEMENT_DESC_TAGS = {3, 4}

# Last resort: keywords of ``trans_scene`` / ``account_bill_desc`` in order.
_KEYWORD_KINDS = (
    ("提现", "payout"),
    ("保证金", "deposit"),
    ("佣金", "commission"),
    ("服务费", "service_fee"),
    ("千川", "ads"),
    ("广告", "ads"),
    ("赔付", "adjustment"),
    ("调账", "adjustment"),
    ("打款", "adjustment"),
    ("判罚", "adjustment"),
    ("退款", "refund"),
    ("原路退", "refund"),
    ("补贴", "platform_coupon"),
    ("结算", "sale"),
)


def _is_envelope(value):
    return (
        isinstance(value, dict)
        and "code" in value
        and bool(_ENVELOPE_KEYS & value.keys())
    )


def _is_page(value):
    return (
        isinstance(value, dict)
        and isinstance(value.get("data"), list)
        and bool(_PAGE_KEYS & value.keys())
    )


def _item_type(value):
    if not isinstance(value, dict):
        return None
    if "request_no" in value or "settle_amount" in value:
        return SETTLE
    if "account_trade_no" in value or "account_amount" in value:
        return ACCOUNT
    return None


def _envelope_error(envelope):
    """The platform's error text when ``envelope`` is not a success."""
    code = envelope.get("code")
    if str(code) != str(SUCCESS_CODE):
        parts = [str(envelope.get(key)) for key in ("msg", "sub_code", "sub_msg")]
        text = " / ".join(part for part in parts if part and part != "None")
        return f"Douyin API error {code}: {text or 'no message'}"
    data = envelope.get("data")
    if isinstance(data, dict) and "code" in data:
        inner = data.get("code")
        if str(inner if inner is not None else "") not in _INNER_SUCCESS:
            return f"Douyin API error {inner}: {data.get('code_msg') or 'no message'}"
    return None


def _pages_of(document):
    """Split a document into pages (``data`` objects) and loose items.

    Returns ``(pages, items)``; raises ``BillParseError`` on an API error
    envelope or an unknown shape.
    """
    elements = document if isinstance(document, list) else [document]
    pages, items = [], []
    for element in elements:
        if _is_envelope(element):
            error = _envelope_error(element)
            if error:
                raise BillParseError(error)
            data = element.get("data")
            if isinstance(data, list):
                pages.append({"data": data})
            elif isinstance(data, dict) and isinstance(data.get("data"), list):
                pages.append(data)
            elif isinstance(data, dict) and data.get("data") is None:
                pages.append({**data, "data": []})  # an empty page
            else:
                raise BillParseError("Douyin response without a data list")
        elif _is_page(element):
            pages.append(element)
        elif isinstance(element, dict) and _item_type(element):
            items.append(element)
        elif isinstance(document, list) and items:
            items.append(element)  # a bad item: reported with its row
        else:
            raise BillParseError(
                "not a Douyin bill: expected an API response, a list of "
                "responses or a list of bill items"
            )
    if pages and items:
        raise BillParseError("the file mixes API responses and bare bill items")
    return pages, items


def _rows_of(element):
    """The item list of an envelope or page, [] for an empty one, else None."""
    data = element.get("data") if _is_envelope(element) else element
    if isinstance(data, dict):
        if data.get("data") is None and _PAGE_KEYS & data.keys():
            return []
        data = data.get("data")
    return data if isinstance(data, list) else None


def _classify(document):
    """Layout of a decoded document without raising: for ``sniff``."""
    elements = document if isinstance(document, list) else [document]
    if not elements or not isinstance(elements[0], dict):
        return None
    first = elements[0]
    if _is_envelope(first) and _envelope_error(first):
        # Only claim error envelopes that look like Douyin's gateway.
        keys = first.keys()
        if "log_id" in keys or "sub_code" in keys or "sub_msg" in keys:
            return "error"
        return None
    if not (_is_envelope(first) or _is_page(first)):
        return _item_type(first)
    for element in elements:  # the first non-empty page tells the type
        rows = _rows_of(element) if isinstance(element, dict) else None
        if rows is None:
            return None
        if rows:
            return _item_type(rows[0])
    return "empty"


def _int_code(item, field, *, required=False):
    """A small enum field (0/1, tags) as int; accepts digit strings."""
    value = item.get(field)
    if value is None or value == "":
        if required:
            raise BillParseError("value is missing", field=field)
        return None
    if isinstance(value, bool):
        raise BillParseError(f"not a code: {value!r}", field=field)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise BillParseError(f"not a code: {value!r}", field=field)


class _DouyinParser(BillParser):
    platform = PLATFORM
    content = "json"
    channel = PLATFORM
    version = "1"
    item_type = None
    _markers = ()
    _empty_score = 0
    _error_score = 0

    @classmethod
    def sniff(cls, source):
        document = source.json
        if document is None:
            return 1 if broken_json_mentions(source, cls._markers) else 0
        layout = _classify(document)
        if layout == cls.item_type:
            return 100
        if layout == "error":
            return cls._error_score
        if layout == "empty":
            return cls._empty_score
        return 0

    def parse(self, source):
        filename = source.filename
        document = load_document(source)
        try:
            pages, loose = _pages_of(document)
        except BillParseError as error:
            raise error.located(filename=filename) from None
        bill = ParsedBill(
            bill_type=self.code,
            platform=self.platform,
            channel=self.channel,
            parser_version=self.version,
            filename=filename,
            currency=CURRENCY,
        )
        items = list(loose)
        declared_rows = 0 if pages else None
        for number, page in enumerate(pages, start=1):
            rows = page.get("data") or []
            items.extend(rows)
            size = page.get("data_size")
            if declared_rows is not None and isinstance(size, int):
                declared_rows += size
                if size != len(rows):
                    bill.warnings.append(
                        f"page {number} states data_size={size} but holds "
                        f"{len(rows)} rows"
                    )
            else:
                declared_rows = None
        if pages and str(pages[-1].get("is_end", 1)) == "0":
            bill.warnings.append(
                "the last page says is_end=0: more pages exist, the file is "
                "incomplete (page with next_start_index and next_start_time)"
            )

        errors = RowErrors(filename)
        seen = SeenItems()
        repeats = 0
        for row, item in enumerate(items, start=1):
            try:
                if not isinstance(item, dict):
                    raise BillParseError("item is not a JSON object")
                item_type = _item_type(item)
                if item_type != self.item_type:
                    raise BillParseError(
                        f"item is not a {self.label} row"
                        + (
                            f" (it looks like a {_METHODS[item_type]} row)"
                            if item_type
                            else ""
                        )
                    )
                lines = self._lines(item, row, bill)  # validates the ids first
                key = self._row_key(item)
                if seen.is_repeat(key, item, row):
                    bill.warnings.append(
                        f"row {row}: repeats {key} (overlapping pages): skipped"
                    )
                    repeats += 1
                    continue
                bill.lines.extend(lines)
            except BillParseError as error:
                errors.add(error, row)
        errors.raise_if_any()
        if declared_rows is not None:
            # rows the pages state, less the repeats skipped above
            bill.declared_totals["rows"] = declared_rows - repeats
        bill.period_start, bill.period_end = period_of(bill.lines)
        return bill

    def _row_key(self, item):
        raise NotImplementedError

    def _lines(self, item, row, bill):
        raise NotImplementedError


def _components(item, base_field_pairs, subsidies, deductions):
    """Signed components of a settlement: list of (suffix, kind, amount, label)."""
    parts = []
    for suffix, kind, amount, label in base_field_pairs:
        parts.append((suffix, kind, amount, label))
    for field, suffix, kind, label in subsidies:
        parts.append(
            (suffix, kind, minor_amount(item, field, default=Decimal(0)), label)
        )
    for field, suffix, kind, label in deductions:
        amount = minor_amount(item, field, default=Decimal(0))
        parts.append((suffix, kind, -amount, label))
    return parts


@register
class DouyinSettleBillParser(_DouyinParser):
    """``order.getSettleBillDetailV3``: per sub-order settlement (fen)."""

    code = "douyin_settle_bill"
    label = "Douyin settlement bill (order.getSettleBillDetailV3)"
    item_type = SETTLE
    _markers = ('"settle_amount"', '"request_no"')
    _empty_score = 40  # an empty page cannot tell the two bill types apart
    _error_score = 50

    def _row_key(self, item):
        return f"{item.get('request_no')}/{item.get('order_id')}"

    def _lines(self, item, row, bill):
        flags = []
        request_no = text_id(item, "request_no", flags=flags, required=True)
        order_id = text_id(item, "order_id", flags=flags)
        shop_order_id = text_id(item, "shop_order_id", flags=flags)
        date = json_datetime(item, "settle_time", required=True)
        settle = minor_amount(item, "settle_amount", required=True)
        trade_type = _int_code(item, "trade_type")
        trade_type = 0 if trade_type is None else trade_type
        # request_no is the settlement key (§5.2); the sub-order keeps the
        # id unique should one settlement number cover several sub-orders.
        base = f"{request_no}/{order_id}" if order_id else request_no
        remark = item.get("remark") or None
        channel = item.get("flow_type_desc") or None

        def make(suffix, kind, amount, label, extra_flags=()):
            return BillLine(
                transaction_id=f"{base}:{suffix}",
                kind=kind,
                amount=amount,
                date=date,
                currency=CURRENCY,
                order_ref=shop_order_id,
                sub_order_ref=order_id,
                description=join_text(label, channel, remark),
                row_number=row,
                raw=item,
                flags=flags + [flag for flag in extra_flags if flag not in flags],
            )

        if trade_type != 0:
            # Refunds after settlement / deposit refunds: one movement. The
            # component fields are 0 on such rows in the fixture, and their
            # sign there is unknown, so the row is not decomposed.
            label = _TRADE_TYPES.get(trade_type, f"trade_type {trade_type}")
            if trade_type in (1, 3):
                return [make("refund", "refund", settle, label)]
            if trade_type == 2:
                return [make("deposit", "deposit", settle, label)]
            return [make("other", "other", settle, label, [FLAG_UNCLASSIFIED])]

        real_pay = minor_amount(item, "real_pay_amount", default=Decimal(0))
        post = minor_amount(item, "post_amount", default=Decimal(0))
        parts = _components(
            item,
            (
                ("sale", "sale", real_pay - post, "商品收入(用户实付)"),
                ("shipping", "shipping_fee", post, "运费"),
            ),
            _SETTLE_SUBSIDIES,
            _SETTLE_DEDUCTIONS,
        )
        residual = settle - sum(amount for _s, _k, amount, _l in parts)
        # §5.2: total_income = real_pay_amount + subsidies; the shop coupon
        # and refunds before settlement are already out of real_pay_amount,
        # so they become lines only when the figures show that they reduce
        # this settlement (i.e. the row states real_pay_amount before them).
        shop_coupon = minor_amount(item, "shop_coupon", default=Decimal(0))
        refund_before = minor_amount(item, "refund_before_settle", default=Decimal(0))
        candidates = (
            (("merchant_coupon", "merchant_coupon", -shop_coupon, "店铺券"),),
            (("refund_before_settle", "refund", -refund_before, "结算前退款"),),
            (
                ("merchant_coupon", "merchant_coupon", -shop_coupon, "店铺券"),
                ("refund_before_settle", "refund", -refund_before, "结算前退款"),
            ),
        )
        if residual:
            for extra in candidates:
                if residual == sum(part[2] for part in extra):
                    parts.extend(extra)
                    residual = Decimal(0)
                    break
        lines = [make(*part) for part in parts if part[2]]
        if residual:
            known_out = sum(
                minor_amount(item, field, default=Decimal(0))
                for field, *_rest in _SETTLE_DEDUCTIONS
            )
            total_out = minor_amount(item, "total_outcome")
            if total_out is not None and known_out - total_out == residual:
                label = "其他支出(未识别字段)"
                lines.append(
                    make("other_outcome", "other", residual, label, [FLAG_UNCLASSIFIED])
                )
            else:
                bill.warnings.append(
                    f"row {row}: components differ from settle_amount by "
                    f"{residual}; the difference is kept as an adjustment line"
                )
                lines.append(
                    make(
                        "unexplained",
                        "adjustment",
                        residual,
                        "未解释差额",
                        [FLAG_UNCLASSIFIED],
                    )
                )
        if not lines:
            lines.append(make("sale", "sale", Decimal(0), "商品收入(用户实付)"))
        return lines


@register
class DouyinAccountItemParser(_DouyinParser):
    """``order.getShopAccountItem``: the settlement wallet ledger (fen)."""

    code = "douyin_account_item"
    label = "Douyin fund flow (order.getShopAccountItem)"
    item_type = ACCOUNT
    _markers = ('"account_trade_no"', '"account_amount"')
    _empty_score = 39
    _error_score = 49

    def _row_key(self, item):
        return str(item.get("account_trade_no"))

    def parse(self, source):
        bill = super().parse(source)
        shops = {
            str(line.raw.get("shop_id"))
            for line in bill.lines
            if line.raw.get("shop_id") not in (None, "")
        }
        if len(shops) == 1:
            bill.account = shops.pop()
        elif len(shops) > 1:
            bill.warnings.append(f"the file mixes shops {sorted(shops)}")
        return bill

    def _lines(self, item, row, bill):
        flags = []
        trade_no = text_id(item, "account_trade_no", flags=flags, required=True)
        order_id = text_id(item, "order_id", flags=flags)
        shop_order_id = text_id(item, "shop_order_id", flags=flags)
        after_sale = text_id(item, "after_sale_service_no", flags=flags)
        date = json_datetime(item, "bill_time", required=True)
        magnitude = abs(minor_amount(item, "account_amount", required=True))
        direction = _int_code(item, "fund_flow")
        if direction is None:
            text = item.get("fund_flow_desc") or ""
            direction = 0 if "入" in text else 1 if "出" in text else None
        if direction not in (0, 1):
            raise BillParseError(
                f"unknown direction {item.get('fund_flow')!r} (0 in, 1 out)",
                field="fund_flow",
            )
        amount = magnitude if direction == 0 else -magnitude
        scene = _int_code(item, "trans_scene_tag")
        desc_tag = _int_code(item, "account_bill_desc_tag")
        text = join_text(item.get("account_bill_desc"), item.get("trans_scene"))
        kind = _SCENE_KINDS.get(scene) or _DESC_TAG_KINDS.get(desc_tag)
        settlement = scene in _SETTLEMENT_SCENES or (
            kind == "sale" and desc_tag in _SETTLEMENT_DESC_TAGS
        )
        if kind is None:
            kind = next(
                (kind for word, kind in _KEYWORD_KINDS if word in (text or "")),
                None,
            )
        line_flags = list(flags)
        if kind is None:
            kind = "other"
            line_flags.append(FLAG_UNCLASSIFIED)
        description = join_text(text, item.get("biz_type_desc"), item.get("remark"))

        def make(transaction_id, kind, amount, label=None):
            return BillLine(
                transaction_id=transaction_id,
                kind=kind,
                amount=amount,
                date=date,
                currency=CURRENCY,
                order_ref=shop_order_id,
                sub_order_ref=order_id,
                description=join_text(label, description),
                related_ref=after_sale,
                row_number=row,
                raw=item,
                flags=list(line_flags),
            )

        if settlement and amount > 0:
            parts = self._settlement_parts(item, amount)
            if parts:
                return [
                    make(f"{trade_no}:{suffix}", kind, part, label)
                    for suffix, kind, part, label in parts
                    if part
                ]
            bill.warnings.append(
                f"row {row}: the settlement's fields do not add up to "
                "account_amount; kept as one net sale line"
            )
        return [make(trade_no, kind, amount)]

    @staticmethod
    def _settlement_parts(item, amount):
        """Components of a settlement credit, or None when they do not close."""
        pay = minor_amount(item, "pay_amount", default=Decimal(0))
        post = minor_amount(item, "post_amount", default=Decimal(0))
        refund = minor_amount(item, "refund_amount", default=Decimal(0))
        parts = _components(
            item,
            (
                ("sale", "sale", pay - post, "商品收入(用户实付)"),
                ("shipping", "shipping_fee", post, "运费"),
            ),
            _ACCOUNT_SUBSIDIES,
            _ACCOUNT_DEDUCTIONS,
        )
        total = sum(part[2] for part in parts)
        if total == amount:
            return parts
        # refund_amount (结算前退款) is not documented as netted in pay_amount.
        if refund and total - refund == amount:
            return parts + [("refund", "refund", -refund, "订单退款")]
        return None
