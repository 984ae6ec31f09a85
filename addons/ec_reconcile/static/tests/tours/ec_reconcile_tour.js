// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
// The accountant's day, through the UI: dashboard, upload a bill, match,
// work the exception queue. Driven by tests/test_ui.py, which prepares the
// shop and orders and checks the records afterwards.
import { registry } from "@web/core/registry";

const BILL_URL = "/ec_reconcile/static/tests/data/alipay_20880123456789010156_tour.csv";
const BILL_NAME = "alipay_20880123456789010156_20240301.csv";
const RESOLVE_NOTE = "Tour: buyer paid 10 less, agreed discount";

registry.category("web_tour.tours").add("ec_reconcile_tour", {
    url: "/odoo/action-ec_reconcile.ec_shop_dashboard_action",
    steps: () => [
        {
            content: "The dashboard shows the shop, no bill yet",
            trigger: ".o_ec_shop_dashboard .o_kanban_record:contains('Tour Alipay'):contains('None yet')",
        },
        {
            content: "Open the Reconciliation menu",
            trigger: "[data-menu-xmlid='ec_reconcile.ec_reconcile_menu_operations']",
            run: "click",
        },
        {
            content: "Open the upload wizard",
            trigger: "[data-menu-xmlid='ec_reconcile.ec_settlement_import_menu']",
            run: "click",
        },
        {
            content: "Upload the Alipay bill (a real GBK 账务明细 file)",
            trigger: ".modal .o_field_many2many_binary .o_attach",
            async run() {
                // The file input is hidden: give it the file like a user's pick.
                const input = document.querySelector(
                    ".modal .o_field_many2many_binary input.o_input_file"
                );
                const blob = await (await fetch(BILL_URL)).blob();
                const transfer = new DataTransfer();
                transfer.items.add(new File([blob], BILL_NAME, { type: "text/csv" }));
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The file is uploaded",
            trigger: `.modal .o_attachment:not(.o_attachment_uploading)[title='${BILL_NAME}']`,
        },
        {
            content: "Preview",
            trigger: ".modal-footer button[name=action_preview]",
            run: "click",
        },
        {
            content: "The preview recognised the shop and the 6 rows",
            trigger: ".modal .o_field_widget[name=preview_file_ids] .o_data_row:contains('Tour Alipay'):contains('6')",
        },
        {
            content: "Import",
            trigger: ".modal-footer button[name=action_import]",
            run: "click",
        },
        {
            content: "The imported bill opens",
            trigger: ".o_form_view .o_field_widget[name=file_name]:contains('alipay_20880123456789010156')",
        },
        {
            content: "Run matching",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_match]",
            run: "click",
        },
        {
            content: "Matching is done",
            trigger: ".o_notification:contains('Matching done')",
        },
        {
            content: "Open the Reconciliation menu",
            trigger: "[data-menu-xmlid='ec_reconcile.ec_reconcile_menu_operations']",
            run: "click",
        },
        {
            content: "Open the exception queue",
            trigger: "[data-menu-xmlid='ec_reconcile.ec_exception_menu']",
            run: "click",
        },
        {
            content: "Unfold the amount mismatches",
            trigger: ".o_list_view .o_group_header:contains('Amount Mismatch')",
            run: "click",
        },
        {
            content: "Open the exception of the order paid 10 less",
            trigger: ".o_list_view .o_data_row:contains('M20240301003') .o_data_cell[name=exception_type]",
            run: "click",
        },
        {
            content: "Resolve",
            trigger: ".o_form_view .o_statusbar_buttons button:contains('Resolve')",
            run: "click",
        },
        {
            content: "Say what was done",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: `edit ${RESOLVE_NOTE}`,
        },
        {
            content: "Apply",
            trigger: ".modal-footer button[name=action_apply]",
            run: "click",
        },
        {
            content: "The exception is resolved with the note",
            trigger: `.o_form_view:not(:has(.modal)) .o_field_widget[name=note]:contains('${RESOLVE_NOTE}')`,
        },
        {
            content: "Resolved by the accountant",
            trigger: ".o_form_view .o_statusbar_status [aria-checked=true]:contains('Resolved')",
        },
    ],
});
