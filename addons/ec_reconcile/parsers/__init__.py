# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bill parsers: plain Python, no ORM. ``parse_file`` is the entry point."""

from . import base, registry
from .base import KINDS, BillLine, BillParseError, BillRowErrors, ParsedBill
from .registry import BillParser, BillSource, detect, get_parser, parse_file, parsers

# Importing the modules registers their parsers.
from . import tabular  # noqa: E402  (tabular engine first: the presets use it)
from . import alipay, wechatpay, jd, pdd, shopify, amazon, paypal  # noqa: E402
from . import douyin, wechat_channels, stripe  # noqa: E402

__all__ = [
    "KINDS",
    "BillLine",
    "BillParseError",
    "BillRowErrors",
    "BillParser",
    "BillSource",
    "ParsedBill",
    "base",
    "detect",
    "get_parser",
    "parse_file",
    "parsers",
    "registry",
]
