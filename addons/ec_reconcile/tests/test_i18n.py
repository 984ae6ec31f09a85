# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Chinese translations are complete, well-formed and load into Odoo."""

import pathlib
import re

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

ADDONS = pathlib.Path(__file__).resolve().parents[2]
MODULES = ("ec_reconcile", "ec_connectors", "ec_connectors_queue")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    def test_po_files_complete_with_same_placeholders(self):
        for module in MODULES:
            path = ADDONS / module / "i18n" / "zh_CN.po"
            with self.subTest(module=module):
                po = polib.pofile(str(path))
                self.assertGreater(len(po), 5)
                for entry in po:
                    self.assertTrue(entry.msgstr, f"{module}: {entry.msgid!r}")
                    self.assertEqual(
                        sorted(PLACEHOLDER.findall(entry.msgid)),
                        sorted(PLACEHOLDER.findall(entry.msgstr)),
                        f"{module}: {entry.msgid!r}",
                    )

    def test_po_files_cover_a_fresh_export(self):
        """Every term Odoo's exporter finds in the installed add-ons is in zh_CN.po.

        The same reader as `odoo i18n export`: field labels, selections, views,
        menus and actions from the records, and `_()` strings from the code. A new
        string left untranslated fails here: run scripts/i18n-update.sh.
        """
        for module in MODULES:
            with self.subTest(module=module):
                reader = TranslationModuleReader(self.env.cr, modules=[module])
                exported = {row[4] for row in reader if row[0] == module}
                self.assertGreater(len(exported), 5)
                po = polib.pofile(str(ADDONS / module / "i18n" / "zh_CN.po"))
                translated = {e.msgid for e in po.translated_entries()}
                missing = sorted(exported - translated)
                self.assertFalse(
                    missing,
                    f"{module}: {len(missing)} exported terms are not translated in "
                    f"zh_CN.po (run scripts/i18n-update.sh): {missing[:20]}",
                )
                self.assertFalse(po.obsolete_entries(), f"{module}: obsolete #~")

    def test_chinese_loads_for_labels_and_messages(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["ec_reconcile", "ec_connectors"], ["zh_CN"], overwrite=True
        )
        field = self.env["ir.model.fields"]._get("ec.exception", "exception_type")
        self.assertEqual(field.with_context(lang="zh_CN").field_description, "类型")
        env_zh = self.env(context=dict(self.env.context, lang="zh_CN"))
        kinds = dict(
            env_zh["ec.settlement.line"]._fields["kind"]._description_selection(env_zh)
        )
        self.assertEqual(kinds["commission"], "佣金")
        # A message raised in code, as a Chinese user sees it.
        self.assertEqual(
            env_zh["ec.exception"].env._("Only open exceptions can be closed."),
            "只有未处理的异常才能关闭。",
        )
        button = env_zh.ref("ec_reconcile.ec_settlement_view_form")
        self.assertIn("生成凭证", button.arch)
        menu = self.env.ref("ec_reconcile.ec_exception_menu")
        self.assertEqual(menu.with_context(lang="zh_CN").name, "异常")
        # Terms of the reports and bill mappings.
        menu = self.env.ref("ec_reconcile.ec_report_income_expense_menu")
        self.assertEqual(menu.with_context(lang="zh_CN").name, "收支明细")
        roles = dict(
            env_zh["ec.bill.mapping.column"]
            ._fields["role"]
            ._description_selection(env_zh)
        )
        self.assertEqual(roles["order_ref"], "订单号")
