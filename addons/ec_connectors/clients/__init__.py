# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Platform API clients (plain Python, no Odoo import). See ``base``."""

from .alipay import AlipayClient
from .amazon import AmazonClient
from .base import (
    AuthError,
    BaseClient,
    BillNotReadyError,
    BillRef,
    ConnectorError,
    MalformedResponseError,
    NoBillError,
    RateLimitError,
    RemoteError,
    RetryableError,
    SignatureError,
    TokenExpiredError,
    UnsupportedOperationError,
)
from .douyin import DouyinClient
from .jd import JdClient
from .paypal import PaypalClient
from .pdd import PddClient
from .shopify import ShopifyClient
from .stripe import StripeClient
from .taobao import TaobaoClient
from .wechat_channels import WechatChannelsClient
from .wechatpay import WechatPayClient

#: platform code -> client class (the Odoo side picks the class from here).
CLIENTS = {
    cls.platform: cls
    for cls in (
        AlipayClient,
        WechatPayClient,
        TaobaoClient,
        JdClient,
        DouyinClient,
        PddClient,
        WechatChannelsClient,
        ShopifyClient,
        AmazonClient,
        StripeClient,
        PaypalClient,
    )
}


def get_client(platform, credentials, shop="", **kwargs):
    """A client for ``platform`` built from a credentials dict."""
    try:
        cls = CLIENTS[platform]
    except KeyError:
        raise ValueError(f"no API client for platform {platform!r}") from None
    return cls(credentials, shop, **kwargs)


__all__ = [
    "CLIENTS",
    "AlipayClient",
    "AmazonClient",
    "AuthError",
    "BaseClient",
    "BillNotReadyError",
    "BillRef",
    "ConnectorError",
    "DouyinClient",
    "JdClient",
    "MalformedResponseError",
    "NoBillError",
    "PaypalClient",
    "PddClient",
    "RateLimitError",
    "RemoteError",
    "RetryableError",
    "ShopifyClient",
    "SignatureError",
    "StripeClient",
    "TaobaoClient",
    "TokenExpiredError",
    "UnsupportedOperationError",
    "WechatChannelsClient",
    "WechatPayClient",
    "get_client",
]
