# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "E-commerce Reconciliation",
    "summary": "Import platform bills, match them to orders, flag exceptions "
    "and post vouchers (电商智能对账)",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/ec-reconcile/ec-reconcile",
    "author": "EC Reconcile contributors",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["sale_stock", "account"],
    "external_dependencies": {"python": ["openpyxl"]},
    "data": [
        "security/ec_reconcile_groups.xml",
        "security/ir.model.access.csv",
        "security/ec_reconcile_security.xml",
        "data/ec_kind_data.xml",
        "views/ec_shop_views.xml",
        "views/ec_settlement_views.xml",
        "views/ec_settlement_line_views.xml",
        "views/ec_fee_kind_mapping_views.xml",
        "wizard/ec_exception_resolve_views.xml",
        "views/ec_exception_views.xml",
        "views/sale_order_views.xml",
        "views/ec_voucher_template_views.xml",
        "views/account_move_views.xml",
        "wizard/ec_settlement_import_views.xml",
        "wizard/ec_reconcile_run_views.xml",
        "data/ir_cron_data.xml",
        "views/ec_reconcile_menus.xml",
    ],
    "demo": [
        "demo/ec_shop_demo.xml",
    ],
}
