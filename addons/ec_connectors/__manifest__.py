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
    "external_dependencies": {"python": ["requests", "cryptography", "openpyxl"]},
    "data": [
        "security/ir.model.access.csv",
        "security/ec_connectors_security.xml",
        "data/ir_cron_data.xml",
        "views/ec_shop_views.xml",
        "views/ec_connector_bill_views.xml",
        "views/ec_sync_log_views.xml",
        "views/sale_order_views.xml",
        "wizard/ec_order_import_views.xml",
        "views/ec_connectors_menus.xml",
    ],
}
