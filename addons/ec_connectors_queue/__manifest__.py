# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "E-commerce Reconciliation: Connectors on the Job Queue",
    "summary": "Spread the pulls of bills and orders over queue_job workers: "
    "one job per shop and per bill, never the same bill twice at once",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/ec-reconcile/ec-reconcile",
    "author": "EC Reconcile contributors",
    "license": "LGPL-3",
    "installable": True,
    "auto_install": True,
    "depends": ["ec_connectors", "queue_job"],
    "data": [
        "data/queue_job_data.xml",
    ],
}
