# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stripe balance transactions (``GET /v1/balance_transactions``), JSON.

One balance transaction (``txn_…``) gives its gross ``amount`` as a line of
the kind its ``type`` says (platform-bills §10.2), plus one line per entry
of ``fee_details`` (``payment_fee``; ``tax`` for tax entries; ``commission``
for a Connect platform's ``application_fee``), so the lines of a transaction
add up to its ``net``. Rows whose type is itself a fee (``stripe_fee``…)
carry no fee of their own and give one line. Amounts are integers in the
currency's minor unit: divided by 100, by 1 for zero-decimal currencies
(JPY…) and by 1000 for three-decimal ones (KWD…); the lower-case currency
becomes the upper-case ISO code.

Order link: Stripe puts no shop order number on a balance transaction. When
the connector expands ``source`` (``expand[]=data.source``), the source's
metadata order number is used, else the charge id it points to; without
expansion the ``source`` id of a charge/payment is the order reference and
the ``source`` id of other rows the related reference.

Shapes accepted: a list response (``{"object": "list", "data": [...]}``), a
JSON array of list responses (pages), the bare list of balance transaction
objects, one balance transaction. ``{"error": {...}}`` is an error.
"""

from decimal import Decimal

from .base import FLAG_UNCLASSIFIED, UTC, BillLine, BillParseError, ParsedBill
from .jsonbill import (
    RowErrors,
    SeenItems,
    broken_json_mentions,
    json_datetime,
    load_document,
    minor_amount,
    period_of,
    text_id,
)
from .registry import BillParser, register

PLATFORM = "stripe"

# https://docs.stripe.com/currencies#zero-decimal. ISK, HUF and TWD stay
# two-decimal in the API (special cases), so they are not listed here.
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())

# type → kind (§10.2). Known types without a better kind map to "other"
# without the unclassified flag; unknown types fall back on
# reporting_category, then "other" + flag.
TYPE_KINDS = {
    "charge": "sale",
    "payment": "sale",
    "refund": "refund",
    "payment_refund": "refund",
    "refund_failure": "refund",  # reversal of a refund: money back in
    "payment_failure_refund": "refund",
    "payment_reversal": "refund",
    "adjustment": "adjustment",  # disputes and their reversals
    "dispute": "adjustment",
    "issuing_dispute": "adjustment",
    "advance": "adjustment",
    "advance_funding": "adjustment",
    "anticipation_repayment": "adjustment",
    "stripe_fee": "service_fee",
    "network_cost": "service_fee",
    "stripe_fx_fee": "service_fee",
    "tax_fee": "tax",
    "application_fee": "commission",
    "application_fee_refund": "commission",
    "payout": "payout",
    "payout_cancel": "payout",  # reversal: money back in
    "payout_failure": "payout",
    "topup": "payout",  # bank → Stripe balance, the opposite of a payout
    "topup_reversal": "payout",
    "payout_minimum_balance_hold": "deposit",
    "payout_minimum_balance_release": "deposit",
    "reserve_transaction": "deposit",
    "reserved_funds": "deposit",
    "payment_network_reserve_hold": "deposit",
    "payment_network_reserve_release": "deposit",
    "transfer": "other",
    "transfer_cancel": "other",
    "transfer_failure": "other",
    "transfer_refund": "other",
    "connect_collection_transfer": "other",
    "contribution": "other",
    "climate_order_purchase": "other",
    "climate_order_refund": "other",
    "issuing_authorization_hold": "other",
    "issuing_authorization_release": "other",
    "issuing_transaction": "other",
    "obligation_outbound": "other",
    "obligation_reversal_inbound": "other",
    "payment_unreconciled": "other",
}
CATEGORY_KINDS = {
    "charge": "sale",
    "refund": "refund",
    "refund_failure": "refund",
    "dispute": "adjustment",
    "dispute_reversal": "adjustment",
    "fee": "service_fee",
    "payout": "payout",
    "payout_reversal": "payout",
    "topup": "payout",
    "topup_reversal": "payout",
    "tax": "tax",
    "risk_reserved_funds": "deposit",
    "platform_earning": "commission",
    "platform_earning_refund": "commission",
}
# Rows that are a fee themselves: no separate fee lines.
FEE_TYPES = frozenset(
    {"stripe_fee", "network_cost", "stripe_fx_fee", "tax_fee", "application_fee"}
)
FEE_DETAIL_KINDS = {
    "stripe_fee": "payment_fee",
    "payment_method_passthrough_fee": "payment_fee",
    "application_fee": "commission",
    "tax": "tax",
    "withheld_tax": "tax",
}
SALE_TYPES = frozenset({"charge", "payment"})
# Metadata keys a shop commonly stores its order number under.
ORDER_METADATA_KEYS = (
    "order_id",
    "order_ref",
    "order_number",
    "order_no",
    "order",
    "reference",
)


def minor_unit_scale(currency):
    """Divisor from Stripe's minor units to major units for ``currency``."""
    if currency in ZERO_DECIMAL:
        return 1
    if currency in THREE_DECIMAL:
        return 1000
    return 100


def _is_list_response(value):
    return (
        isinstance(value, dict)
        and value.get("object") == "list"
        and isinstance(value.get("data"), list)
    )


def _is_balance_transaction(value):
    return isinstance(value, dict) and (
        value.get("object") == "balance_transaction"
        or (
            str(value.get("id", "")).startswith("txn_")
            and "amount" in value
            and "net" in value
        )
    )


def _is_error(value):
    error = isinstance(value, dict) and value.get("error")
    return isinstance(error, dict) and ("message" in error or "type" in error)


def _looks_like_stripe_error(value):
    error = value["error"]
    # Any of these may be null (or not text) in a hand-made or foreign file.
    urls = f"{error.get('doc_url') or ''} {error.get('request_log_url') or ''}"
    return str(error.get("type") or "").endswith("_error") or "stripe.com" in urls


def _list_is_ours(response):
    url = str(response.get("url") or "")
    if "/v1/balance_transactions" in url or "/v1/balance/history" in url:
        return True
    rows = response["data"]
    return bool(rows) and _is_balance_transaction(rows[0])


def _layout(document):
    elements = document if isinstance(document, list) else [document]
    if not elements:
        return None
    first = elements[0]
    if _is_error(first):
        return "error" if _looks_like_stripe_error(first) else None
    if _is_list_response(first):
        return "ours" if _list_is_ours(first) else None
    if _is_balance_transaction(first):
        return "ours"
    return None


def _items_of(document):
    """Flatten list responses / bare transactions; returns (items, pages)."""
    elements = document if isinstance(document, list) else [document]
    items, pages = [], []
    for element in elements:
        if _is_error(element):
            error = element["error"]
            raise BillParseError(
                f"Stripe API error ({error.get('type') or error.get('code')}): "
                f"{error.get('message') or 'no message'}"
            )
        if _is_list_response(element):
            pages.append(element)
            items.extend(element["data"])
        elif isinstance(document, list) or _is_balance_transaction(element):
            items.append(element)
        else:
            raise BillParseError("not a Stripe balance transactions response")
    if pages and len(items) > sum(len(page["data"]) for page in pages):
        raise BillParseError("the file mixes list responses and bare transactions")
    return items, pages


def _source_refs(item, kind):
    """(order_ref, related_ref) from ``source`` (id or expanded object)."""
    source = item.get("source")
    if isinstance(source, dict):
        source_id = text_id(source, "id")
        metadata = source.get("metadata") or {}
        order = next(
            (
                str(metadata[key])
                for key in ORDER_METADATA_KEYS
                if isinstance(metadata, dict) and metadata.get(key)
            ),
            None,
        )
        charge = source.get("charge")
        if isinstance(charge, dict):
            meta = charge.get("metadata") or {}
            order = order or next(
                (str(meta[key]) for key in ORDER_METADATA_KEYS if meta.get(key)),
                None,
            )
            charge = charge.get("id")
        if source_id and source_id.startswith(("ch_", "py_")):
            charge = charge or source_id
        order = order or charge
        if kind == "sale" and not order:
            order = source_id
        return order, (None if order == source_id else source_id)
    if source in (None, ""):
        return None, None
    if isinstance(source, (int, float, bool, list)):
        raise BillParseError(f"not a source id: {source!r}", field="source")
    source = str(source)
    if kind == "sale" and source.startswith(("ch_", "py_", "pi_")):
        return source, None
    return None, source


@register
class StripeBalanceTransactionsParser(BillParser):
    """Stripe ``/v1/balance_transactions`` list responses (minor units)."""

    code = "stripe_balance_transactions"
    content = "json"
    label = "Stripe balance transactions (GET /v1/balance_transactions)"
    platform = PLATFORM
    channel = PLATFORM
    version = "1"

    @classmethod
    def sniff(cls, source):
        document = source.json
        if document is None:
            markers = ('"balance_transaction"', '"/v1/balance_transactions"')
            return 1 if broken_json_mentions(source, markers) else 0
        return {"ours": 100, "error": 30}.get(_layout(document), 0)

    def parse(self, source):
        filename = source.filename
        document = load_document(source)
        try:
            items, pages = _items_of(document)
        except BillParseError as error:
            raise error.located(filename=filename) from None
        bill = ParsedBill(
            bill_type=self.code,
            platform=self.platform,
            channel=self.channel,
            parser_version=self.version,
            filename=filename,
        )
        if pages and pages[-1].get("has_more"):
            bill.warnings.append(
                "the last page says has_more: more transactions exist, the file "
                "is incomplete (page on with starting_after)"
            )
        errors = RowErrors(filename)
        seen = SeenItems()
        for row, item in enumerate(items, start=1):
            try:
                if not isinstance(item, dict):
                    raise BillParseError("item is not a JSON object")
                lines = self._lines(item, row)  # validates the id first
                key = lines[0].transaction_id
                if seen.is_repeat(key, item, row):
                    bill.warnings.append(f"row {row}: repeats {key}: skipped")
                    continue
                bill.lines.extend(lines)
            except BillParseError as error:
                errors.add(error, row)
        errors.raise_if_any()
        currencies = {line.currency for line in bill.lines}
        if len(currencies) == 1:
            bill.currency = currencies.pop()
        elif len(currencies) > 1:
            bill.warnings.append(
                f"several balance currencies in one file: {sorted(currencies)}"
            )
        bill.period_start, bill.period_end = period_of(bill.lines)
        return bill

    def _lines(self, item, row):
        flags = []
        txn_id = text_id(item, "id", flags=flags, required=True)
        currency = item.get("currency")
        if not isinstance(currency, str) or len(currency.strip()) != 3:
            raise BillParseError(f"not a currency: {currency!r}", field="currency")
        currency = currency.strip().upper()
        scale = minor_unit_scale(currency)
        amount = minor_amount(item, "amount", scale=scale, required=True)
        fee = minor_amount(item, "fee", scale=scale, default=Decimal(0))
        net = minor_amount(item, "net", scale=scale)
        if net is not None and amount - fee != net:
            raise BillParseError(
                f"net {net} is not amount {amount} minus fee {fee}", field="net"
            )
        date = json_datetime(item, "created", tz=UTC, required=True)
        txn_type = str(item.get("type") or "")
        kind = TYPE_KINDS.get(txn_type) or CATEGORY_KINDS.get(
            str(item.get("reporting_category") or "")
        )
        line_flags = list(flags)
        if kind is None:
            kind = "other"
            line_flags.append(FLAG_UNCLASSIFIED)
        order_ref, related_ref = _source_refs(item, kind)
        description = item.get("description") or txn_type or None

        def make(transaction_id, kind, amount, description, related):
            return BillLine(
                transaction_id=transaction_id,
                kind=kind,
                amount=amount,
                date=date,
                currency=currency,
                order_ref=order_ref,
                description=description,
                related_ref=related,
                row_number=row,
                raw=item,
                flags=list(line_flags),
            )

        lines = [make(txn_id, kind, amount, description, related_ref)]
        if txn_type in FEE_TYPES:
            # The row is a fee; its own fee field is 0 in practice. Should it
            # not be, keep it visible rather than dropping it.
            if fee:
                lines.append(make(f"{txn_id}:fee", kind, -fee, "fee", txn_id))
            return lines
        lines.extend(self._fee_lines(item, txn_id, currency, scale, fee, make))
        return lines

    @staticmethod
    def _fee_lines(item, txn_id, currency, scale, fee, make):
        """One line per fee_details entry; the fee total when they differ."""
        details = item.get("fee_details") or []
        if not isinstance(details, list) or not all(
            isinstance(detail, dict) for detail in details
        ):
            raise BillParseError("expected a list of objects", field="fee_details")
        lines, counts, total = [], {}, Decimal(0)
        for detail in details:
            detail_currency = str(detail.get("currency") or currency).upper()
            if detail_currency != currency:
                # Not in the balance currency: only the fee total is usable.
                return [make(f"{txn_id}:fee", "payment_fee", -fee, "fee", txn_id)]
            try:
                value = minor_amount(detail, "amount", scale=scale, required=True)
            except BillParseError as error:
                raise BillParseError(error.reason, field="fee_details.amount") from None
            fee_type = str(detail.get("type") or "fee")
            counts[fee_type] = counts.get(fee_type, 0) + 1
            suffix = (
                fee_type if counts[fee_type] == 1 else f"{fee_type}:{counts[fee_type]}"
            )
            kind = FEE_DETAIL_KINDS.get(fee_type, "payment_fee")
            label = detail.get("description") or fee_type
            lines.append(make(f"{txn_id}:{suffix}", kind, -value, label, txn_id))
            total += value
        if total != fee:
            # No details, or details that do not add up to ``fee``: the
            # remainder keeps the lines equal to ``net``.
            lines.append(
                make(f"{txn_id}:fee", "payment_fee", -(fee - total), "fee", txn_id)
            )
        return [line for line in lines if line.amount]
