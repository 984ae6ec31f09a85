# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "E-commerce Reconciliation: Platform Connectors",
    "summary": "Scheduled pulls of bills and orders from Alipay, WeChat Pay, "
    "Tmall, JD, Douyin, Pinduoduo, WeChat Channels, Shopify, Amazon, Stripe "
    "and PayPal, with real request signing",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/ec-reconcile/ec-reconcile",
    "author": "EC Reconcile contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ec_reconcile"],
    "external_dependencies": {"python": ["requests", "cryptography"]},
    "data": [],
}
