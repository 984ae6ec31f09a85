# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Transport, errors and the common interface of the platform API clients.

Plain Python (no Odoo import). Every client is built from a dict of
credentials/settings plus a shop label, and offers:

- ``authenticate()``: a cheap call that proves the credentials (or obtains
  the OAuth token); used by the "test connection" button.
- ``list_bills(date_from, date_to)``: ``BillRef`` list for the period
  (inclusive dates).
- ``download_bill(bill_ref)``: ``(filename, bytes)``, the bill exactly as the
  platform serves it; for JSON APIs the raw response bodies of all pages,
  verbatim, joined into one JSON array (``[page1,page2,...]``).
- ``list_orders(cursor)``: ``(orders, next_cursor)``: one page of orders
  changed since the cursor, normalized (see ``normalized_order``). Store
  ``next_cursor`` after the page is processed and call again while the list
  is not empty; an empty list means "nothing more for now". The cursor is an
  opaque string (JSON: window start/end + page marker), so a failed run
  resumes at the page that failed: no gap, no duplicate. Windows end
  ``order_lag`` before now. Caveat for page-number APIs (Taobao, JD, PDD,
  Douyin): an order modified again while its window is being walked moves
  out of it and shifts later rows one page up; it reappears in a later
  window, but the row shifted across a page boundary can be missed until it
  changes again. Upsert orders by number and keep a periodic full re-sync.

Transport rules: one ``requests.Session``; a timeout on every call; bounded
attempts with exponential backoff on connection errors, timeouts, HTTP 5xx,
HTTP 429 (``Retry-After`` honoured) and each platform's own rate-limit codes
in a 200 body; the request is rebuilt (fresh timestamp, nonce, signature) for
each attempt. Errors are ``ConnectorError`` subclasses whose message names the
platform, the shop and the API call, never a secret. Logging shows the
method, the URL path (never the query string), the status and the duration.
``sleep`` and ``now`` are injectable so tests do not wait.
"""

import base64
import binascii
import datetime as dt
import email.utils
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
    load_pem_public_key,
)

_logger = logging.getLogger(__name__)


class _DropQueryFilter(logging.Filter):
    """urllib3 logs each request line with its query string at DEBUG; some
    platforms (WeChat, Douyin) require the access token and the signature in
    the query, so the query is cut from those records."""

    def filter(self, record):
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] + "?…"
                if isinstance(arg, str) and "?" in arg
                else arg
                for arg in record.args
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_DropQueryFilter())

UTC = dt.timezone.utc
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

ORDER_STATUSES = ("pending", "paid", "shipped", "refunded", "cancelled")


# ---------------------------------------------------------------- errors


class ConnectorError(Exception):
    """Base error: ``"<platform> [<shop>] <call>: <detail>"``."""

    retryable = False

    def __init__(self, platform, shop, call, detail, *, code=None, retry_after=None):
        self.platform = platform
        self.shop = shop
        self.call = call
        self.detail = detail
        self.code = code
        self.retry_after = retry_after
        super().__init__(f"{platform} [{shop}] {call}: {detail}")


class AuthError(ConnectorError):
    """Credentials refused (wrong key, secret, token, permission)."""


class TokenExpiredError(AuthError):
    """The access token expired; the client refreshes it once and retries."""


class SignatureError(ConnectorError):
    """A response signature or a file hash did not verify. Never retried."""


class RemoteError(ConnectorError):
    """The platform answered with an error that retrying will not fix."""


class MalformedResponseError(RemoteError):
    """The body is not the JSON/XML/file the API documents."""


class NoBillError(RemoteError):
    """No bill exists for this period (e.g. Alipay ``isp.bill_not_exist``)."""


class BillNotReadyError(ConnectorError):
    """The bill is not generated yet: try again later (hours, not seconds)."""


class UnsupportedOperationError(ConnectorError):
    """The platform has no API for this operation."""


class RetryableError(ConnectorError):
    """Transient failure (timeout, connection, 5xx); raised after the last
    attempt."""

    retryable = True


class RateLimitError(RetryableError):
    """Rate limited (HTTP 429 or a platform rate-limit code)."""


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class BillRef:
    """One downloadable bill. ``key`` is opaque to the caller."""

    platform: str
    bill_type: str
    period: str
    key: str
    filename: str


def to_date(value):
    """A ``date`` from a date, datetime or ISO text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def days_between(date_from, date_to):
    """Every date from ``date_from`` to ``date_to`` inclusive."""
    day, last = to_date(date_from), to_date(date_to)
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def parse_iso(value):
    """An aware datetime from ISO text (naive text is taken as UTC)."""
    value = str(value).strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    result = dt.datetime.fromisoformat(value)
    return result if result.tzinfo else result.replace(tzinfo=UTC)


def decimal_or_none(value, scale=None):
    """Exact Decimal from text/int (minor units divided by ``scale``)."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number / scale if scale else number


def normalized_order(
    platform,
    order_no,
    *,
    status,
    currency,
    amount,
    created_at=None,
    updated_at=None,
    lines=(),
    raw=None,
):
    """The order dict every client returns from ``list_orders``.

    ``status`` is one of ``ORDER_STATUSES``; ``amount`` is what the buyer
    pays (Decimal, major units); ``lines`` are dicts with ``sub_order_no``,
    ``sku``, ``quantity`` (int), ``price`` (Decimal unit price); dates are
    aware datetimes; ``raw`` keeps the platform's own record.
    """
    return {
        "platform": platform,
        "order_no": str(order_no),
        "status": status,
        "currency": currency,
        "amount": amount,
        "created_at": created_at,
        "updated_at": updated_at,
        "lines": [
            {
                "sub_order_no": str(line.get("sub_order_no") or ""),
                "sku": str(line.get("sku") or ""),
                "quantity": int(line.get("quantity") or 0),
                "price": line.get("price"),
            }
            for line in lines
        ],
        "raw": raw,
    }


def json_array(bodies):
    """Join raw JSON response bodies, verbatim, into one JSON array."""
    return b"[" + b",".join(bodies) + b"]"


# ---------------------------------------------------------------- client


class BaseClient:
    """Template for one platform. Subclasses set the class attributes and
    implement ``authenticate``, ``list_bills``, ``download_bill`` and
    ``_fetch_orders`` (or override ``list_orders``)."""

    platform = ""
    #: (key, label, secret) for the credentials form of the Odoo side.
    credential_fields = []
    #: keys of ``credential_fields`` that may stay empty.
    optional_fields = ()
    #: settings every client accepts (not secret, all optional).
    setting_fields = [
        ("base_url", "API base URL (override, e.g. sandbox)", False),
        ("timeout", "Timeout per call (seconds, default 20)", False),
        ("max_retries", "Retries after a transient failure (default 3)", False),
        ("backoff", "First retry delay, doubled each time (s, default 1)", False),
        ("backoff_max", "Longest retry delay (seconds, default 60)", False),
        ("orders_since", "First order sync from (ISO datetime)", False),
    ]
    default_base_url = ""
    #: bill types this client can list.
    bill_types = ()
    #: the bill types that are the wallet ledger, where the platform also
    #: serves a detail bill of the same money: only these are posted
    #: (posting both would count each settlement twice). Empty: all types.
    ledger_bill_types = ()
    supports_orders = True
    #: longest time window one order query may span.
    order_window = dt.timedelta(days=1)
    #: how far behind "now" order windows stop (late indexing on the platform).
    order_lag = dt.timedelta(minutes=2)
    #: at most this many empty windows are walked in one ``list_orders`` call.
    max_empty_windows = 60

    def __init__(self, credentials, shop="", *, session=None, sleep=None, now=None):
        self.credentials = {
            key: value
            for key, value in dict(credentials or {}).items()
            if value not in (None, "")
        }
        self.shop = shop or "?"
        self.base_url = str(
            self.credentials.get("base_url") or self.default_base_url
        ).rstrip("/")
        self.timeout = float(self.credentials.get("timeout") or 20)
        self.max_retries = int(self.credentials.get("max_retries", 3))
        self.backoff = float(self.credentials.get("backoff", 1.0))
        self.backoff_max = float(self.credentials.get("backoff_max", 60.0))
        self.session = session or requests.Session()
        self._sleep = sleep or time.sleep
        self._now = now or (lambda: dt.datetime.now(UTC))
        self._secrets = set()
        #: tokens obtained or refreshed during calls (``access_token``,
        #: ``refresh_token``, ``expires_at``): store them back with the
        #: credentials so the next run does not authenticate again.
        self.token_state = {}
        self._token = None
        self._expires_at = None
        for key, _label, secret in self.credential_fields:
            if secret and self.credentials.get(key):
                self._add_secret(self.credentials[key])
        missing = [
            label
            for key, label, _secret in self.credential_fields
            if key not in self.optional_fields and not self.credentials.get(key)
        ]
        if missing:
            raise AuthError(
                self.platform,
                self.shop,
                "configuration",
                "missing credentials: " + ", ".join(missing),
            )

    def posts_bill_type(self, bill_type):
        """Whether bills of ``bill_type`` are posted as journal entries."""
        return not self.ledger_bill_types or bill_type in self.ledger_bill_types

    # -------------------------------------------------------- interface

    def authenticate(self):
        raise NotImplementedError

    def list_bills(self, date_from, date_to):
        raise NotImplementedError

    def download_bill(self, bill_ref):
        raise NotImplementedError

    def list_orders(self, cursor=None):
        """One page of orders changed since ``cursor`` (see module doc)."""
        if not self.supports_orders:
            raise self._error(
                UnsupportedOperationError,
                "list_orders",
                "this platform has no order API; orders come from the shop "
                "system, bills link to them by the merchant order number",
            )
        state = self._decode_cursor(cursor)
        for _window in range(self.max_empty_windows):
            if not state.get("until"):
                start = parse_iso(state["since"])
                limit = self._now() - self.order_lag
                end = min(self._window_end(start), limit)
                if end <= start:
                    return [], self._encode_cursor(state)
                state = {"since": start.isoformat(), "until": end.isoformat()}
            start, end = parse_iso(state["since"]), parse_iso(state["until"])
            orders, marker = self._fetch_orders(start, end, state.get("page"))
            if marker is None:
                state = {"since": end.isoformat()}
            else:
                state = {**state, "page": marker}
            if orders:
                return orders, self._encode_cursor(state)
        return [], self._encode_cursor(state)

    def _window_end(self, start):
        """End of the order window that starts at ``start``."""
        return start + self.order_window

    def _fetch_orders(self, start, end, marker):
        """Orders updated in [start, end) from page ``marker`` (None = first).

        Returns ``(normalized orders, next marker or None when the window is
        exhausted)``. The marker must be JSON-serializable.
        """
        raise NotImplementedError

    # -------------------------------------------------------- cursor

    def _decode_cursor(self, cursor):
        if not cursor:
            since = self.credentials.get("orders_since")
            start = (
                parse_iso(since)
                if since
                else self._now() - self.order_lag - self.order_window
            )
            return {"since": start.isoformat()}
        try:
            state = json.loads(cursor)
            parse_iso(state["since"])
        except (ValueError, KeyError, TypeError):
            raise self._error(
                RemoteError, "list_orders", "the stored order cursor is not valid"
            ) from None
        return state

    @staticmethod
    def _encode_cursor(state):
        return json.dumps(state, sort_keys=True, separators=(",", ":"))

    # -------------------------------------------------------- errors

    def _add_secret(self, value):
        value = str(value)
        if len(value) >= 4:
            self._secrets.add(value)

    def redact(self, text):
        """``text`` with every known secret (keys, tokens) replaced."""
        text = str(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def _error(self, cls, call, detail, **kwargs):
        return cls(self.platform, self.shop, call, self.redact(detail), **kwargs)

    # -------------------------------------------------------- transport

    def _request(self, call, build, check=None):
        """Send one logical call with bounded retries.

        ``build()`` returns the keyword arguments of ``Session.request``
        (``method``, ``url``, ``params``, ``data``, ``headers``...); it runs
        before every attempt so signatures, nonces and timestamps are fresh.
        ``check(response)`` validates the answer and returns the result; it
        raises ``RetryableError`` (retried) or another ``ConnectorError``.
        """
        attempts = max(1, self.max_retries + 1)
        error = None
        for attempt in range(1, attempts + 1):
            kwargs = build()
            method = kwargs.get("method", "GET")
            path = urlsplit(kwargs["url"]).path
            started = time.monotonic()
            try:
                response = self.session.request(timeout=self.timeout, **kwargs)
            except requests.Timeout:
                error = self._error(
                    RetryableError, call, f"timed out after {self.timeout:g} s"
                )
                self._log(method, path, "timeout", started)
            except requests.ConnectionError as exc:
                error = self._error(
                    RetryableError,
                    call,
                    f"connection failed ({type(exc).__name__})",
                )
                self._log(method, path, "connection error", started)
            except requests.RequestException as exc:
                raise self._error(
                    RemoteError, call, f"request failed ({type(exc).__name__})"
                ) from None
            else:
                self._log(method, path, response.status_code, started)
                try:
                    return self._check_response(call, response, check)
                except RetryableError as exc:
                    error = exc
            if attempt == attempts:
                break
            delay = error.retry_after
            if delay is None:
                delay = self.backoff * (2 ** (attempt - 1))
            self._sleep(min(max(float(delay), 0.0), self.backoff_max))
        raise self._error(
            type(error),
            call,
            f"{error.detail} (gave up after {attempts} attempts)",
            code=error.code,
        )

    def _check_response(self, call, response, check):
        status = response.status_code
        if status == 429:
            raise self._error(
                RateLimitError,
                call,
                "rate limited (HTTP 429)",
                retry_after=self._retry_after(response),
            )
        if status >= 500:
            raise self._error(RetryableError, call, f"HTTP {status}")
        if check is not None:
            return check(response)
        if status >= 400:
            raise self._error(RemoteError, call, f"HTTP {status}")
        return response

    @staticmethod
    def _retry_after(response):
        value = response.headers.get("Retry-After")
        if not value:
            return None
        if value.strip().replace(".", "", 1).isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - dt.datetime.now(UTC)).total_seconds())

    def _log(self, method, path, status, started):
        ok = isinstance(status, int) and status < 400
        _logger.log(
            logging.DEBUG if ok else logging.INFO,
            "%s [%s] %s %s -> %s in %d ms",
            self.platform,
            self.shop,
            method,
            path,
            status,
            (time.monotonic() - started) * 1000,
        )

    def _json(self, call, response):
        """Decoded JSON body, or ``MalformedResponseError``."""
        try:
            return json.loads(response.content)
        except ValueError:
            raise self._error(
                MalformedResponseError,
                call,
                f"malformed JSON in the response (HTTP {response.status_code}, "
                f"{len(response.content)} bytes, "
                f"{response.headers.get('Content-Type', 'no content type')})",
            ) from None

    def _with_token(self, call_fn):
        """Run ``call_fn`` with a valid access token: obtained first when
        missing or past its lifetime, refreshed once (and ``call_fn`` rerun)
        when the platform says it expired."""
        if not self._token or (self._expires_at and self._now() >= self._expires_at):
            self._refresh_access_token()
        try:
            return call_fn()
        except TokenExpiredError:
            self._refresh_access_token()
            return call_fn()

    def _refresh_access_token(self):
        """Obtain a token and pass it to ``_store_token``."""
        raise NotImplementedError

    def _store_token(self, token, expires_in, refresh_token=None, margin=120):
        """Keep a new token (used until ``margin`` s before it expires)."""
        self._token = token
        self._add_secret(token)
        lifetime = max(int(expires_in or 3600) - margin, 60)
        self._expires_at = self._now() + dt.timedelta(seconds=lifetime)
        self.token_state = {
            "access_token": token,
            "expires_at": self._expires_at.isoformat(),
        }
        if refresh_token:
            self._add_secret(refresh_token)
            self.token_state["refresh_token"] = refresh_token

    def _bill_ref(self, bill_type, period, key, filename):
        return BillRef(self.platform, bill_type, period, key, filename)

    @staticmethod
    def _key(**values):
        return json.dumps(values, sort_keys=True, separators=(",", ":"))

    def _unkey(self, bill_ref):
        if bill_ref.platform != self.platform:
            raise self._error(
                RemoteError,
                "download_bill",
                f"bill reference of platform {bill_ref.platform!r}",
            )
        return json.loads(bill_ref.key)

    def _finished_days(self, date_from, date_to, tz=CHINA_TZ):
        """Days of the range that are over in the platform's time zone."""
        today = self._now().astimezone(tz).date()
        return [day for day in days_between(date_from, date_to) if day < today]


# ---------------------------------------------------------------- RSA


def _pem(text, kind):
    text = str(text).strip()
    if "-----BEGIN" in text:
        return text.encode()
    body = "".join(text.split())
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----\n".encode()


def load_private_key(text):
    """An RSA private key from PEM, or from the bare base64 (PKCS#8 or
    PKCS#1) that Alipay's key tool prints. ``ValueError`` if unreadable."""
    for kind in ("PRIVATE KEY", "RSA PRIVATE KEY"):
        try:
            return load_pem_private_key(_pem(text, kind), password=None)
        except (ValueError, TypeError):
            continue
    raise ValueError("unreadable RSA private key")


def load_public_key(text):
    """An RSA public key from PEM (key or certificate) or bare base64."""
    text = str(text).strip()
    if "BEGIN CERTIFICATE" in text:
        return x509.load_pem_x509_certificate(text.encode()).public_key()
    return load_pem_public_key(_pem(text, "PUBLIC KEY"))


def rsa_sha256_sign(private_key, message):
    """Base64 SHA256withRSA (PKCS#1 v1.5) signature of ``message``."""
    if isinstance(message, str):
        message = message.encode()
    signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def rsa_sha256_verify(public_key, message, signature_b64):
    """True when the base64 SHA256withRSA signature matches."""
    if isinstance(message, str):
        message = message.encode()
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True


def sorted_concat(params):
    """``k1v1k2v2…`` over the non-empty params except ``sign``, sorted by
    name: the string the TOP-style gateways (Taobao, JD, PDD) sign."""
    return "".join(
        f"{key}{params[key]}"
        for key in sorted(params)
        if key != "sign" and params[key] not in (None, "")
    )


def md5_sign(secret, params):
    """``MD5(secret + k1v1k2v2… + secret)``, hex upper case: the md5 request
    signature of the TOP-style gateways (Taobao ``sign_method=md5``, JD,
    Pinduoduo)."""
    text = secret + sorted_concat(params) + secret
    return hashlib.md5(text.encode()).hexdigest().upper()


def china_text(value):
    """``yyyy-MM-dd HH:mm:ss`` in Beijing time, as Chinese gateways want."""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def parse_china_text(value):
    """Aware datetime from Beijing-time text or Unix seconds (None if empty)."""
    if value in (None, "", 0):
        return None
    if isinstance(value, (int, float)) or str(value).isdigit():
        return dt.datetime.fromtimestamp(int(value), UTC)
    return dt.datetime.strptime(str(value)[:19], "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=CHINA_TZ
    )
