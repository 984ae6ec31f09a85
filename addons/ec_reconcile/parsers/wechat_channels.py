# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""WeChat Shop / Channels shop (微信小店 / 视频号小店) funds flow, JSON API.

The API gives the shop's wallet ledger in two steps (platform-bills §7.1):
``getfundsflowlist`` returns flow ids, ``getfundsflowdetail`` one flow
(``funds_flow``: ``flow_id``, ``funds_type``, ``flow_type`` 1 in / 2 out,
``amount`` and ``balance`` in fen, ``related_info_list``,
``bookkeeping_time``, ``remark``). One flow gives one line, keyed by
``flow_id``; ``balance`` is the wallet balance after the flow, so the bill
carries opening and closing balances when the flows chain.

Shapes accepted: a list of ``getfundsflowdetail`` responses, a list of
``funds_flow`` objects, one detail response, and the shared fixture's
wrapper (``getfundsflowlist`` + ``getfundsflowdetail``), whose list response
states how many flows the file should hold. ``getfundsflowlist`` responses
inside a list are used the same way. ``errcode`` != 0 is an error.
"""

import datetime as dt

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

PLATFORM = "wechat_channels"
CURRENCY = "CNY"

# funds_type → (kind, label); §7.1 (WxJava enum) and §7.3.
FUNDS_TYPES = {
    1: ("sale", "订单支付收入"),
    2: ("payment_fee", "订单手续费"),
    3: ("refund", "退款"),
    4: ("payout", "提现"),
    5: ("payout", "提现失败退票"),
    6: ("commission", "导购分账"),
    7: ("commission", "联盟分账"),
    8: ("service_fee", "运费险分账"),
    9: ("commission", "联盟平台抽佣"),
    10: ("commission", "联盟抽佣"),
    11: ("commission", "平台抽佣"),
    12: ("commission", "团长抽佣"),
    13: ("ads", "返佣人气卡"),
    14: ("adjustment", "极速退款垫资金"),
    15: ("adjustment", "极速退款垫资回补"),
    16: ("service_fee", "运费险"),
    99: ("other", "分账"),
}
FLOW_TYPES = {1: 1, 2: -1}  # 1 income, 2 expense

_EPOCH = dt.datetime(1970, 1, 1)

# related_type: 1 order, 2 after-sale, 3 withdrawal, 4 freight insurance …
_RELATED_REF_FIELDS = ("aftersale_id", "withdraw_id", "insurance_id")


def _is_error(value):
    return isinstance(value, dict) and value.get("errcode") not in (None, 0, "0")


def _error_text(value):
    return f"WeChat API error {value.get('errcode')}: {value.get('errmsg') or ''}"


def _is_flow(value):
    return (
        isinstance(value, dict)
        and "flow_id" in value
        and ("funds_type" in value or "amount" in value)
    )


def _is_detail_response(value):
    return isinstance(value, dict) and "funds_flow" in value


def _is_list_response(value):
    return isinstance(value, dict) and "flow_ids" in value


def _is_wrapper(value):
    return isinstance(value, dict) and (
        "getfundsflowdetail" in value or "getfundsflowlist" in value
    )


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_known(document):
    return (
        _is_wrapper(document)
        or _is_detail_response(document)
        or _is_flow(document)
        or _is_list_response(document)
    )


class _Collected:
    """Flows, list responses and list requests found in a document."""

    def __init__(self):
        self.flows, self.lists, self.requests = [], [], []

    def list_part(self, part):
        for element in _as_list(part):
            if isinstance(element, dict) and "response" in element:
                if isinstance(element.get("request"), dict):
                    self.requests.append(element["request"])
                element = element["response"]
            if _is_error(element):
                raise BillParseError(_error_text(element))
            if _is_list_response(element):
                self.lists.append(element)

    def element(self, element, top=False):
        if _is_error(element):
            raise BillParseError(_error_text(element))
        if top and _is_wrapper(element):
            self.list_part(element.get("getfundsflowlist"))
            for detail in _as_list(element.get("getfundsflowdetail")):
                self.element(detail)
        elif _is_detail_response(element):
            self.flows.append(element["funds_flow"])
        elif _is_list_response(element):
            self.lists.append(element)
        else:
            self.flows.append(element)  # a flow object, or a bad item


def _collect(document):
    """Return a ``_Collected`` from any accepted shape."""
    collected = _Collected()
    if isinstance(document, list):
        for element in document:
            collected.element(element)
    elif isinstance(document, dict) and (_is_known(document) or _is_error(document)):
        collected.element(document, top=True)
    else:
        raise BillParseError("not a WeChat Channels funds flow response")
    return collected


def _layout(document):
    """What ``document`` is, without raising: for ``sniff``."""
    if isinstance(document, dict):
        if _is_wrapper(document) or _is_detail_response(document):
            return "flows"
        if _is_flow(document):
            return "flows"
        if _is_list_response(document):
            return "list_only"
        keys = set(document)
        if _is_error(document) and keys <= {"errcode", "errmsg", "rid"}:
            return "error"
        return None
    if isinstance(document, list) and document:
        first = document[0]
        if _is_detail_response(first) or _is_flow(first):
            return "flows"
        if _is_list_response(first):
            return "list_only" if len(document) == 1 else "flows"
        if _is_error(first) and set(first) <= {"errcode", "errmsg", "rid"}:
            return "error"
    return None


def _int_code(flow, field):
    value = flow.get(field)
    if isinstance(value, bool):
        raise BillParseError(f"not a code: {value!r}", field=field)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if value is None or value == "":
        raise BillParseError("value is missing", field=field)
    raise BillParseError(f"not a code: {value!r}", field=field)


def _chain(lines):
    """Opening and closing balance when the balances chain, else None."""
    candidates = (
        lines,
        list(reversed(lines)),  # the list API may return newest first
        sorted(lines, key=lambda line: (line.date is None, line.date or _EPOCH)),
    )
    for ordered in candidates:
        if any(line.balance is None for line in ordered):
            return None
        if all(
            ordered[index - 1].balance + ordered[index].amount == ordered[index].balance
            for index in range(1, len(ordered))
        ):
            return ordered[0].balance - ordered[0].amount, ordered[-1].balance
    return None


@register
class WechatChannelsFundsFlowParser(BillParser):
    """WeChat Shop / Channels ``getfundsflowdetail`` flows (fen)."""

    code = "wechat_channels_funds_flow"
    content = "json"
    label = "WeChat Channels / WeChat Shop funds flow (getfundsflowdetail)"
    platform = PLATFORM
    channel = PLATFORM
    version = "1"

    @classmethod
    def sniff(cls, source):
        document = source.json
        if document is None:
            markers = ('"funds_flow"', '"flow_ids"', '"funds_type"')
            return 1 if broken_json_mentions(source, markers) else 0
        return {"flows": 100, "list_only": 60, "error": 20}.get(_layout(document), 0)

    def parse(self, source):
        filename = source.filename
        document = load_document(source)
        try:
            collected = _collect(document)
        except BillParseError as error:
            raise error.located(filename=filename) from None
        flows, lists, requests = collected.flows, collected.lists, collected.requests
        if lists and not flows:
            raise BillParseError(
                "the file holds only flow ids (getfundsflowlist): the bill "
                "needs the getfundsflowdetail response of each flow",
                filename=filename,
            )
        bill = ParsedBill(
            bill_type=self.code,
            platform=self.platform,
            channel=self.channel,
            parser_version=self.version,
            filename=filename,
            currency=CURRENCY,
        )
        errors = RowErrors(filename)
        seen = SeenItems()
        for row, flow in enumerate(flows, start=1):
            try:
                if not isinstance(flow, dict):
                    raise BillParseError("item is not a JSON object")
                line = self._line(flow, row, bill)  # validates the id first
                key = line.transaction_id
                if seen.is_repeat(key, flow, row):
                    bill.warnings.append(f"row {row}: repeats flow {key}: skipped")
                    continue
                bill.lines.append(line)
            except BillParseError as error:
                errors.add(error, row)
        errors.raise_if_any()
        self._check_list(bill, lists)
        bill.period_start, bill.period_end = period_of(bill.lines)
        if requests:
            try:
                start = json_datetime(requests[0], "start_time")
                end = json_datetime(requests[-1], "end_time")
            except BillParseError:
                start = end = None
            bill.period_start = start or bill.period_start
            bill.period_end = end or bill.period_end
        balances = _chain(bill.lines) if bill.lines else None
        if balances:
            bill.opening_balance, bill.closing_balance = balances
        elif bill.lines and all(line.balance is not None for line in bill.lines):
            bill.warnings.append(
                "the balances do not chain in any order: flows are missing"
            )
        return bill

    @staticmethod
    def _check_list(bill, lists):
        """Compare the flow ids the list responses announced with the file."""
        if not lists:
            return
        # unique ids, in order (list pages may overlap)
        announced = list(
            dict.fromkeys(
                str(flow_id)
                for response in lists
                for flow_id in response.get("flow_ids") or []
            )
        )
        bill.declared_totals["rows"] = len(announced)
        present = {line.transaction_id for line in bill.lines}
        missing = [flow_id for flow_id in announced if flow_id not in present]
        if missing:
            bill.warnings.append(
                f"{len(missing)} flow(s) listed without details: "
                + ", ".join(missing[:10])
            )
        if any(response.get("has_more") for response in lists[-1:]):
            bill.warnings.append(
                "the last list page says has_more: more flows exist, the file "
                "is incomplete"
            )

    def _line(self, flow, row, bill):
        flags = []
        flow_id = text_id(flow, "flow_id", flags=flags, required=True)
        funds_type = _int_code(flow, "funds_type")
        flow_type = _int_code(flow, "flow_type")
        if flow_type not in FLOW_TYPES:
            raise BillParseError(
                f"unknown flow_type {flow_type} (1 income, 2 expense)",
                field="flow_type",
            )
        magnitude = abs(minor_amount(flow, "amount", required=True))
        amount = magnitude * FLOW_TYPES[flow_type]
        balance = minor_amount(flow, "balance")
        kind, label = FUNDS_TYPES.get(funds_type, (None, None))
        if kind is None:
            kind, label = "other", f"funds_type {funds_type}"
            flags.append(FLAG_UNCLASSIFIED)
        related = flow.get("related_info_list") or []
        if not isinstance(related, list) or not all(
            isinstance(info, dict) for info in related
        ):
            raise BillParseError(
                "expected a list of objects", field="related_info_list"
            )
        order_ref = related_ref = transaction_id = None
        date = json_datetime(flow, "bookkeeping_time")
        for info in related:
            order_ref = order_ref or text_id(info, "order_id", flags=flags)
            for field in _RELATED_REF_FIELDS:
                related_ref = related_ref or text_id(info, field, flags=flags)
            transaction_id = transaction_id or text_id(
                info, "transaction_id", flags=flags
            )
            # bookkeeping_time is reported missing from real detail
            # responses [S36]; the related entries may carry it.
            date = date or json_datetime(info, "bookkeeping_time")
        if date is None:
            bill.warnings.append(f"row {row}: flow {flow_id} has no bookkeeping_time")
        return BillLine(
            transaction_id=flow_id,
            kind=kind,
            amount=amount,
            date=date,
            currency=CURRENCY,
            order_ref=order_ref,
            description=join_text(label, flow.get("remark")),
            balance=balance,
            # The after-sale, withdrawal or insurance id; else the WeChat Pay
            # transaction id of the order payment.
            related_ref=related_ref or transaction_id,
            row_number=row,
            raw=flow,
            flags=flags,
        )
