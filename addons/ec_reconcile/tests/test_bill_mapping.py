# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bill mappings: platforms without code, presets, preview, export/import."""

import base64
import contextlib
import io
import json
import pathlib
from decimal import Decimal

import openpyxl

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import Form, tagged

from ..parsers import BillParseError, BillSource, registry
from ..tools import bill_mapping as form_tools
from .common import EcReconcileCase

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
SHARED = pathlib.Path("/work/shared/fixtures/bills")
D = Decimal


def read(name):
    return (DATA / name).read_bytes()


def column(header, name, role=False, required=False, regex=False):
    return Command.create(
        {
            "header": header,
            "name": name,
            "role": role,
            "required": required,
            "regex": regex,
        }
    )


def rule(kind, column=False, operator=False, value=False, sign=False, condition=None):
    return Command.create(
        {
            "kind": kind,
            "column": column,
            "operator": operator,
            "value": value,
            "sign": sign,
            "condition_json": json.dumps(condition) if condition else False,
        }
    )


KUAISHOU_EXTRA = {
    # What the form does not show: the account, period and totals printed
    # above and below the table.
    "text_fields": [
        r"商家ID[：:]\s*\[(?P<account>[^\]]+)\]",
        r"账单周期[：:]\s*\[(?P<period_start>[^\]]+)\]\s*至\s*\[(?P<period_end>[^\]]+)\]",
        r"收入(?P<income_count>\d+)笔[，,]共(?P<income>[\d.,]+)元",
        r"支出(?P<expense_count>\d+)笔[，,]共(?P<expense>[\d.,]+)元",
    ],
    "derived_totals": {
        "net": ["income", "-expense"],
        "count": ["income_count", "expense_count"],
    },
}


def kuaishou_vals(**overrides):
    """A Kuaishou (快手小店) settlement layout, as a manager fills the form."""
    vals = {
        "name": "快手小店 资金账单",
        "code": "kuaishou_funds",
        "platform": "other",
        "channel": "kuaishou",
        "encoding": "gb18030",
        "markers": "快手小店 | 资金账单",
        "footer_markers": "总计",
        "amount_mode": "single",
        "amount_sign": "direction",
        "direction_in": "收入",
        "direction_out": "支出",
        "date_formats": "%Y.%m.%d %H:%M:%S",
        "date_tz": "Asia/Shanghai",
        "txn_mode": "columns",
        "column_ids": [
            column("流水号", "txn", "transaction_id", True),
            column("订单号", "order_no", "order_ref"),
            column("子订单号", "sub_order_no", "sub_order_ref"),
            column("结算时间", "settled_at", "date", True),
            column("账单类型", "type", required=True),
            column("收支类型", "direction", "direction", True),
            column("金额(元) | 金额", "amount", "amount", True),
            column("备注", "memo", "description"),
            column("商品名称", "product", "description"),
            column("对方账户", "counterparty", "counterparty"),
        ],
        "rule_ids": [
            rule("sale", "type", "equals", "货款", sign="positive"),
            rule("refund", "type", "equals", "退款"),
            rule("service_fee", "type", "equals", "技术服务费 | 运费险"),
            rule("commission", "type", "contains", "佣金"),
            rule("platform_coupon", "type", "equals", "平台补贴"),
            rule("ads", "type", "regex", "^磁力"),
            rule("payout", "type", "equals", "提现"),
            rule("deposit", "type", "startswith", "保证金"),
        ],
        "extra_json": json.dumps(KUAISHOU_EXTRA, ensure_ascii=False),
    }
    vals.update(overrides)
    return vals


def xiaohongshu_vals(**overrides):
    """A Xiaohongshu (小红书) settlement: income/expense columns in fen."""
    vals = {
        "name": "小红书 结算明细",
        "code": "xiaohongshu_settlement",
        "platform": "other",
        "channel": "xiaohongshu",
        "amount_mode": "pair",
        "amount_unit": "fen",
        "default_kind": "adjustment",
        "column_ids": [
            column("结算单号", "txn", "transaction_id", True),
            column("关联订单", "order", "order_ref", regex=r"P(\d{15,})"),
            column("结算时间", "time", "date", True),
            column("交易类型", "type", required=True),
            column("收入(分)", "income", "income", True),
            column("支出(分)", "expense", "expense", True),
            column("币种", "currency", "currency"),
            column("交易对方", "counterparty", "counterparty"),
            column("说明", "memo", "description"),
        ],
        "rule_ids": [
            rule("sale", "type", "equals", "订单结算"),
            rule("refund", "type", "contains", "退款"),
            rule("commission", "type", "contains", "佣金"),
            rule("payment_fee", "type", "equals", "支付渠道费"),
            rule("platform_coupon", "type", "contains", "补贴"),
            rule("shipping_fee", "type", "equals", "运费"),
            rule("payout", "type", "equals", "提现"),
            rule("ads", "type", "endswith", "推广"),
        ],
    }
    vals.update(overrides)
    return vals


def line_key(line):
    """What a parsed line means (for comparisons between two parsers)."""
    return (
        line.transaction_id,
        line.kind,
        line.amount,
        line.date,
        line.currency,
        line.order_ref,
        line.sub_order_ref,
        line.counterparty,
        line.description,
        line.balance,
        line.related_ref,
        line.row_number,
        tuple(line.flags),
    )


def bill_key(bill):
    meta = {
        key: value
        for key, value in bill.meta.items()
        if key not in ("mapping_id", "mapping_label")
    }
    return (
        bill.platform,
        bill.channel,
        bill.account,
        bill.currency,
        bill.period_start,
        bill.period_end,
        bill.opening_balance,
        bill.closing_balance,
        bill.declared_totals,
        meta,
        bill.warnings,
        [line_key(line) for line in bill.lines],
    )


def tabular_fixtures():
    """Every bill fixture (the add-on's and the shared ones) with the built-in
    parser that recognises it, when that parser is a tabular preset."""
    presets = {cls.code for cls in registry.parsers() if getattr(cls, "spec", None)}
    found = []
    for label, folder in (("addon", DATA), ("shared", SHARED)):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".csv", ".tsv", ".xlsx", ".zip", ".txt"):
                continue
            data = path.read_bytes()
            parser = registry.detect(BillSource(path.name, data))
            if parser is not None and parser.code in presets:
                found.append((f"{label}/{path.name}", data, parser))
    return found


@tagged("post_install", "-at_install")
class TestBillMapping(EcReconcileCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cny = cls.env.ref("base.CNY")
        cls.cny.active = True
        cls.kuaishou_shop = cls._create_shop(
            "Kuaishou",
            code="KS",
            platform="other",
            platform_account="8800123456",
            currency_id=cls.cny.id,
        )
        cls.xhs_shop = cls._create_shop(
            "Xiaohongshu", code="XHS", platform="other", currency_id=cls.cny.id
        )
        cls.jd_shop = cls._create_shop(
            "JD", code="JD", platform="jd", currency_id=cls.cny.id
        )
        cls.Mapping = cls.env["ec.bill.mapping"]
        cls.Bill = cls.env["ec.settlement"]
        cls.Line = cls.env["ec.settlement.line"]

    @contextlib.contextmanager
    def assertRefused(self, exception, text):
        """``assertRaises`` (rolled back to a savepoint) naming ``text``."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(text, str(caught.exception))

    def lines_by_txn(self, bill):
        return {line.transaction_id: line for line in bill.line_ids}

    # ------------------------------------------------------------------
    # Platforms without code
    # ------------------------------------------------------------------

    def test_kuaishou_configured_by_records(self):
        mapping = self.Mapping.create(kuaishou_vals())
        data = read("kuaishou_settlement.csv")
        bill = self.Bill._import_file("kuaishou_settlement.csv", data)
        self.assertEqual(len(bill), 1)
        self.assertEqual(bill.state, "parsed", bill.error_message)
        self.assertEqual(bill.shop_id, self.kuaishou_shop, "shop from 商家ID")
        self.assertEqual(bill.mapping_id, mapping)
        self.assertEqual(bill.bill_type, "kuaishou_funds")
        self.assertEqual(bill.bill_type_label, "快手小店 资金账单")
        self.assertEqual(bill.platform_account, "8800123456")
        self.assertEqual(bill.channel, "kuaishou")
        self.assertEqual(bill.line_count, 12)
        self.assertEqual(bill.consistency, "ok", bill.consistency_message)
        self.assertEqual(bill.declared_totals["income"], "1571.45")
        self.assertEqual(str(bill.period_start), "2024-02-29 16:00:00")
        lines = self.lines_by_txn(bill)
        expected = {
            "KS2024030100001": ("sale", "199.00"),
            "KS2024030100002": ("service_fee", "-9.95"),
            "KS2024030100003": ("commission", "-19.90"),
            "KS2024030100004": ("platform_coupon", "5.00"),
            "KS2024030200005": ("sale", "1299.00"),
            "KS2024030300006": ("refund", "-1299.00"),
            "KS2024030300007": ("service_fee", "64.95"),
            "KS2024030400008": ("service_fee", "-1.20"),
            "KS2024030500009": ("ads", "-100.00"),
            "KS2024031000010": ("payout", "-5000.00"),
            "KS2024031500011": ("deposit", "-1000.00"),
            "KS2024032000012": ("other", "3.50"),
        }
        self.assertEqual(
            {txn: (line.kind, f"{line.amount:.2f}") for txn, line in lines.items()},
            expected,
        )
        sale = lines["KS2024030100001"]
        self.assertEqual(sale.order_ref, "2403011234567890")
        self.assertEqual(sale.sub_order_ref, "240301123456789001")
        self.assertEqual(str(sale.date), "2024-03-01 02:12:33", "Shanghai → UTC")
        self.assertEqual(sale.counterparty, "快手支付")
        self.assertEqual(sale.description, "夏季纯棉T恤", "备注 empty: 商品名称")
        self.assertEqual(lines["KS2024030100002"].description, "技术服务费5%")
        # Rows no rule catches are flagged, as the engine does.
        other = lines["KS2024032000012"]
        self.assertTrue(other.is_unclassified)
        self.assertIn("unclassified", other.flags)
        self.assertEqual(bill.unclassified_count, 1)
        self.assertEqual(mapping.bill_count, 1)

        # An edited rule works at once (no restart, no upgrade).
        mapping.write({"rule_ids": [rule("adjustment", "type", "equals", "其他调整")]})
        (parsed,) = self.Mapping._parse_file("kuaishou_settlement.csv", data)
        self.assertEqual(parsed.lines[-1].kind, "adjustment")
        self.assertEqual(parsed.lines[-1].flags, [])

    def test_xiaohongshu_income_expense_in_fen(self):
        mapping = self.Mapping.create(xiaohongshu_vals())
        bill = self.Bill._import_file(
            "xiaohongshu_settlement.csv",
            read("xiaohongshu_settlement.csv"),
            shop=self.xhs_shop,
        )
        self.assertEqual(bill.state, "parsed", bill.error_message)
        self.assertEqual(bill.mapping_id, mapping)
        lines = self.lines_by_txn(bill)
        self.assertEqual(
            {
                txn[-4:]: (line.kind, f"{line.amount:.2f}")
                for txn, line in lines.items()
            },
            {
                "0001": ("sale", "129.00"),
                "0002": ("commission", "-6.45"),
                "0003": ("payment_fee", "-0.77"),
                "0004": ("sale", "258.00"),
                "0005": ("platform_coupon", "10.00"),
                "0006": ("refund", "-129.00"),
                "0007": ("shipping_fee", "-8.00"),
                "0008": ("payout", "-300.00"),
                "0009": ("ads", "-20.00"),
                "0010": ("adjustment", "1.50"),  # the default kind, not flagged
            },
        )
        first = lines["XHS-S-20240305-0001"]
        self.assertEqual(first.order_ref, "729384756102938475", "pulled by the regex")
        self.assertEqual(first.currency_id, self.cny)
        self.assertFalse(lines["XHS-S-20240310-0008"].order_ref)
        self.assertFalse(any(line.is_unclassified for line in bill.line_ids))

        # The same layout saved as XLSX reads the same.
        text = read("xiaohongshu_settlement.csv").decode("utf-8-sig")
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for row in text.splitlines():
            sheet.append(
                [int(cell) if cell.isdigit() else cell for cell in row.split(",")]
            )
        buffer = io.BytesIO()
        workbook.save(buffer)
        (from_xlsx,) = self.Mapping._parse_file("xhs.xlsx", buffer.getvalue())
        (from_csv,) = self.Mapping._parse_file(
            "xhs.csv", read("xiaohongshu_settlement.csv")
        )
        self.assertEqual(
            [line_key(line)[:11] for line in from_xlsx.lines],
            [line_key(line)[:11] for line in from_csv.lines],
        )

    # ------------------------------------------------------------------
    # Presets
    # ------------------------------------------------------------------

    def test_copied_preset_reads_a_renamed_column(self):
        original = read("jd_settlement_detail.csv")
        header, rest = original.split(b"\n", 1)
        # The fixture is GBK, as JD serves it.
        old, new = "费用项".encode("gb18030"), "费用名称".encode("gb18030")
        renamed = header.replace(old, new) + b"\n" + rest
        self.assertNotEqual(renamed, original)
        # The built-in layout no longer recognises the file.
        failed = self.Bill._import_file("jd_renamed.csv", renamed, shop=self.jd_shop)
        self.assertEqual(failed.state, "error")
        self.assertIn("required column(s) 费用项 missing", failed.error_message)

        preset = self.env.ref("ec_reconcile.ec_bill_mapping_preset_jd_settlement")
        self.assertTrue(preset.is_preset)
        action = preset.action_copy_preset()
        copy = self.Mapping.browse(action["res_id"])
        self.assertFalse(copy.is_preset)
        self.assertEqual(copy.origin_id, preset)
        self.assertEqual(copy.channel, "jd", "same id namespace as the preset")
        fee_item = copy.column_ids.filtered(lambda c: c.name == "fee_item")
        self.assertEqual(fee_item.header, "费用项")
        copy.write(
            {"column_ids": [Command.update(fee_item.id, {"header": "费用名称"})]}
        )

        # The bill in error is read by the copy on retry, as the built-in
        # layout reads the original file.
        failed.action_retry()
        self.assertEqual(failed.state, "parsed", failed.error_message)
        self.assertEqual(failed.mapping_id, copy)
        (expected,) = registry.parse_file("jd_settlement_detail.csv", original)
        self.assertEqual(
            sorted(
                (line.transaction_id, line.kind, line.amount)
                for line in failed.line_ids
            ),
            sorted(
                (line.transaction_id, line.kind, float(line.amount))
                for line in expected.lines
            ),
        )
        self.assertEqual(failed.line_count, len(expected.lines))

        # When both recognise a file, the user's copy wins; archived, the
        # preset reads it again; an archived preset reads nothing.
        copy.write(
            {
                "column_ids": [
                    Command.update(fee_item.id, {"header": "费用项 | 费用名称"})
                ]
            }
        )
        (bill,) = self.Mapping._parse_file("jd.csv", original)
        self.assertEqual(bill.meta["mapping_id"], copy.id)
        copy.active = False
        (bill,) = self.Mapping._parse_file("jd.csv", original)
        self.assertEqual(bill.meta["mapping_id"], preset.id)
        preset.active = False
        with self.assertRefused(BillParseError, "unknown bill layout"):
            self.Mapping._parse_file("jd.csv", original)

    def test_presets_are_read_only(self):
        preset = self.env.ref("ec_reconcile.ec_bill_mapping_preset_alipay_signcustomer")
        with self.assertRefused(UserError, "Copy to Customize"):
            preset.write({"name": "mine"})
        with self.assertRaises(UserError):
            preset.column_ids[:1].write({"header": "x"})
        with self.assertRaises(UserError):
            preset.rule_ids[:1].unlink()
        with self.assertRaises(UserError):
            preset.unlink()
        with self.assertRaises(UserError):
            self.Mapping.create(dict(kuaishou_vals(), is_preset=True))
        preset.active = False  # archiving is allowed
        self.assertFalse(preset.active)

    def test_presets_match_the_builtin_parsers_on_every_fixture(self):
        presets = self.Mapping.with_context(active_test=False).search(
            [("is_preset", "=", True)]
        )
        builtins = {cls.code: cls for cls in self.Mapping._builtin_tabular_parsers()}
        self.assertEqual(set(presets.mapped("preset_code")), set(builtins))
        self.assertGreaterEqual(len(builtins), 10)
        for preset in presets:
            builtin = builtins[preset.preset_code]
            with self.subTest(preset=preset.preset_code):
                self.assertEqual(
                    preset._get_spec(), json.loads(json.dumps(builtin.spec))
                )
                # The preset's fields, lines and JSON say the same spec.
                form_spec = form_tools.merge_spec(
                    form_tools.spec_from_form(*preset._form_values()),
                    preset._extra_spec(),
                )
                self.assertEqual(form_spec, form_tools.canonical_spec(builtin.spec))

        fixtures = tabular_fixtures()
        self.assertGreaterEqual(len({parser.code for _n, _d, parser in fixtures}), 10)
        # 1. The import path (built-ins with their preset records).
        outcome = self._parse_outcome
        for name, data, parser in fixtures:
            with self.subTest(fixture=name):
                self.assertEqual(
                    outcome(self.Mapping._parse_file, name, data),
                    outcome(registry.parse_file, name, data),
                )
                try:
                    (bill,) = self.Mapping._parse_file(name, data)
                except BillParseError:
                    continue
                preset = presets.filtered(lambda p, c=parser.code: p.preset_code == c)
                self.assertEqual(bill.meta["mapping_id"], preset.id)
        # 2. Copies of the presets: rebuilt from their fields and lines.
        copies = {preset.preset_code: preset.copy() for preset in presets}
        for name, data, parser in fixtures:
            copy = copies[parser.code]
            with self.subTest(fixture=name, copy=copy.code):
                self.assertEqual(
                    outcome(self._parse_with, copy._get_parser_class(), name, data),
                    outcome(self._parse_with, parser, name, data),
                )

    @staticmethod
    def _parse_with(parser_class, name, data):
        return [parser_class().parse(BillSource(name, data))]

    @staticmethod
    def _parse_outcome(parse, *args):
        """The parsed bills (what they mean), or the error message."""
        try:
            return [bill_key(bill) for bill in parse(*args)]
        except BillParseError as error:
            return str(error)

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------

    def test_bad_mappings_are_refused_clearly(self):
        bad_regex = kuaishou_vals(
            column_ids=[
                *kuaishou_vals()["column_ids"][:1],
                column("订单号", "order_no", "order_ref", regex=r"T200P(\d+"),
                *kuaishou_vals()["column_ids"][2:],
            ]
        )
        with self.assertRaises(ValidationError) as caught:
            self.Mapping.create(bad_regex)
        message = str(caught.exception)
        self.assertIn("order_no", message)
        self.assertIn("does not compile", message)
        self.assertIn(r"T200P(\d+", message)

        no_amount = kuaishou_vals()
        no_amount["column_ids"] = [
            c for c in no_amount["column_ids"] if c[2]["name"] != "amount"
        ]
        with self.assertRefused(ValidationError, "Which column holds the amount"):
            self.Mapping.create(no_amount)

        no_id = kuaishou_vals()
        no_id["column_ids"] = [c for c in no_id["column_ids"] if c[2]["name"] != "txn"]
        with self.assertRefused(ValidationError, "transaction id"):
            self.Mapping.create(no_id)

        with self.assertRefused(ValidationError, "no column has the key fee"):
            self.Mapping.create(
                kuaishou_vals(rule_ids=[rule("ads", "fee", "equals", "推广")])
            )
        with self.assertRefused(ValidationError, "unknown kind 'refunds'"):
            self.Mapping.create(
                kuaishou_vals(
                    extra_json=json.dumps(
                        dict(KUAISHOU_EXTRA, default_kind="refunds"), ensure_ascii=False
                    )
                )
            )
        with self.assertRefused(ValidationError, "not valid JSON"):
            self.Mapping.create(kuaishou_vals(extra_json="{text_fields: "))
        with self.assertRefused(ValidationError, "Required"):
            self.Mapping.create(
                xiaohongshu_vals(
                    column_ids=[
                        column(c[2]["header"], c[2]["name"], c[2]["role"])
                        for c in xiaohongshu_vals()["column_ids"]
                    ]
                )
            )
        with self.assertRefused(ValidationError, "built-in"):
            self.Mapping.create(kuaishou_vals(code="jd_settlement"))

        # Breaking a saved mapping through one of its lines is refused too.
        mapping = self.Mapping.create(kuaishou_vals())
        order_no = mapping.column_ids.filtered(lambda c: c.name == "order_no")
        with self.assertRefused(ValidationError, "does not compile"):
            order_no.regex = "(unclosed"
        with self.assertRefused(ValidationError, "Which column holds the date"):
            mapping.column_ids.filtered(lambda c: c.role == "date").unlink()
        with self.assertRefused(ValidationError, "does not compile"):
            mapping.rule_ids[0].write({"operator": "regex", "value": "[货款"})

    def test_form_view_builds_a_mapping(self):
        """The native form: columns by header and role, keys filled in."""
        with Form(self.Mapping) as form:
            form.name = "Kuaishou via form"
            form.encoding = "gb18030"
            form.amount_sign = "direction"
            form.direction_in = "收入"
            form.direction_out = "支出"
            form.footer_markers = "总计"
            form.date_formats = "%Y.%m.%d %H:%M:%S"
            for header, role in (
                ("流水号", "transaction_id"),
                ("结算时间", "date"),
                ("收支类型", "direction"),
                ("金额(元)", "amount"),
                ("订单号", "order_ref"),
                ("账单类型", False),
            ):
                with form.column_ids.new() as line:
                    line.header = header
                    line.role = role
            with form.rule_ids.new() as line:
                line.column = "账单类型"
                line.operator = "equals"
                line.value = "货款 | 退款"
                line.kind = "sale"
            self.assertIn('"账单类型"', form.spec_json)
        mapping = form.save()
        self.assertEqual(mapping.code, "kuaishou_via_form")
        self.assertEqual(
            mapping.column_ids.mapped("name"),
            ["transaction_id", "date", "direction", "amount", "order_ref", "账单类型"],
        )
        spec = mapping._get_spec()
        self.assertEqual(spec["required_columns"], ["amount", "date", "transaction_id"])
        self.assertEqual(
            spec["rules"],
            [
                {
                    "when": {"column": "账单类型", "equals": ["货款", "退款"]},
                    "kind": "sale",
                }
            ],
        )
        bill = self.Bill._import_file(
            "kuaishou_settlement.csv",
            read("kuaishou_settlement.csv"),
            shop=self.kuaishou_shop,
        )
        self.assertEqual(bill.state, "parsed", bill.error_message)
        self.assertEqual(bill.mapping_id, mapping)
        self.assertEqual(bill.line_count, 12)
        self.assertEqual(bill.unclassified_count, 9)

    def test_code_is_filled_and_unique(self):
        first = self.Mapping.create(kuaishou_vals(code=False, name="Kuaishou bill"))
        second = self.Mapping.create(kuaishou_vals(code=False, name="Kuaishou bill"))
        self.assertEqual(first.code, "kuaishou_bill")
        self.assertEqual(second.code, "kuaishou_bill_2")
        with self.assertRefused(ValidationError, "already has the code"):
            second.code = "kuaishou_bill"

    # ------------------------------------------------------------------
    # Preview in the upload wizard
    # ------------------------------------------------------------------

    def _upload(self, *names):
        return self.env["ir.attachment"].create(
            [
                {
                    "name": name,
                    "datas": base64.b64encode(read(name)),
                    "res_model": "ec.settlement.import",
                }
                for name in names
            ]
        )

    def test_preview_shows_rows_and_errors_without_writing(self):
        mapping = self.Mapping.create(kuaishou_vals())
        files = self._upload(
            "kuaishou_settlement.csv",
            "alipay_signcustomer_bad_cells.csv",
            "unknown_layout.csv",
        )
        wizard = self.env["ec.settlement.import"].create(
            {"attachment_ids": [Command.set(files.ids)], "preview_rows": 5}
        )
        bills, lines = self.Bill.search_count([]), self.Line.search_count([])
        action = wizard.action_preview()
        self.assertEqual(action["res_id"], wizard.id)
        self.assertEqual(wizard.state, "preview")
        self.assertEqual(self.Bill.search_count([]), bills, "nothing written")
        self.assertEqual(self.Line.search_count([]), lines, "nothing written")

        by_file = {f.file_name: f for f in wizard.preview_file_ids}
        kuaishou = by_file["kuaishou_settlement.csv"]
        self.assertEqual(kuaishou.mapping_id, mapping)
        self.assertEqual(kuaishou.shop_id, self.kuaishou_shop)
        self.assertEqual(kuaishou.row_count, 12)
        self.assertEqual(kuaishou.unclassified_count, 1)
        self.assertEqual(kuaishou.status, "warning")
        rows = wizard.preview_line_ids.filtered(
            lambda r: r.file_name == "kuaishou_settlement.csv"
        )
        self.assertEqual(len(rows), 5, "the first rows only")
        first = rows[0]
        self.assertEqual(
            (first.kind, first.amount, first.order_ref, first.transaction_id),
            ("sale", 199.0, "2403011234567890", "KS2024030100001"),
        )
        self.assertEqual(str(first.date), "2024-03-01 02:12:33")
        self.assertEqual(rows[1].amount, -9.95)
        self.assertEqual(rows[1].kind, "service_fee")

        bad = by_file["alipay_signcustomer_bad_cells.csv"]
        self.assertEqual(bad.status, "error")
        self.assertEqual(bad.error_count, 2)
        errors = wizard.preview_line_ids.filtered(
            lambda r: r.file_name == "alipay_signcustomer_bad_cells.csv"
        )
        self.assertEqual(
            [(r.status, r.row_number, r.field_name) for r in errors],
            [("error", 6, "收入金额（+元）"), ("error", 8, "发生时间")],
        )
        self.assertIn("1OO.00", errors[0].message)
        unknown = by_file["unknown_layout.csv"]
        self.assertEqual(unknown.status, "error")
        self.assertIn("unknown bill layout", unknown.message)
        self.assertEqual(wizard.preview_error_count, 3)

        # Back to the upload step, then import as before.
        wizard.action_back()
        self.assertFalse(wizard.preview_file_ids)
        result = wizard.action_import()
        self.assertEqual(result["params"]["type"], "danger")
        imported = self.Bill.search([("file_name", "=", "kuaishou_settlement.csv")])
        self.assertEqual(imported.state, "matched")
        self.assertEqual(imported.mapping_id, mapping)

    def test_preview_with_a_chosen_mapping_and_shop_problems(self):
        self.Mapping.create(xiaohongshu_vals())
        files = self._upload("xiaohongshu_settlement.csv")
        wizard = self.env["ec.settlement.import"].create(
            {"attachment_ids": [Command.set(files.ids)], "shop_id": self.jd_shop.id}
        )
        wizard.action_preview()
        (preview,) = wizard.preview_file_ids
        self.assertEqual(preview.status, "error")
        self.assertIn("another platform", preview.message)
        self.assertEqual(len(wizard.preview_line_ids), 10, "rows shown anyway")
        # Forcing another layout on the file says why it does not fit.
        jd = self.env.ref("ec_reconcile.ec_bill_mapping_preset_jd_settlement")
        wizard.write({"mapping_id": jd.id, "shop_id": self.xhs_shop.id})
        wizard.action_preview()
        (preview,) = wizard.preview_file_ids
        self.assertEqual(preview.status, "error")
        self.assertIn("required column(s)", preview.message)

    # ------------------------------------------------------------------
    # Export and import
    # ------------------------------------------------------------------

    def test_export_import_round_trip(self):
        mapping = self.Mapping.create(kuaishou_vals(note="Shared by the HQ"))
        action = mapping.action_export()
        self.assertIn(f"id={mapping.id}", action["url"])
        self.assertIn("field=export_file", action["url"])
        self.assertEqual(mapping.export_filename, "kuaishou_funds.json")
        exported = base64.b64decode(mapping.export_file)
        payload = json.loads(exported)
        self.assertEqual(payload["format"], "ec_bill_mapping")
        self.assertEqual(payload["spec"], mapping._get_spec())

        company_b = self._create_company("EC Mapping B")
        wizard = self.env["ec.bill.mapping.import"].create(
            {
                "file": base64.b64encode(exported),
                "file_name": "kuaishou_funds.json",
                "company_id": company_b.id,
            }
        )
        result = wizard.action_import()
        imported = self.Mapping.browse(result["res_id"])
        self.assertNotEqual(imported, mapping)
        self.assertEqual(imported.company_id, company_b)
        self.assertEqual(imported._get_spec(), mapping._get_spec())
        self.assertEqual(imported.note, "Shared by the HQ")
        self.assertEqual(len(imported.column_ids), len(mapping.column_ids))
        self.assertEqual(
            imported.rule_ids.mapped("summary"), mapping.rule_ids.mapped("summary")
        )
        self.assertEqual(imported.amount_sign, "direction")
        self.assertEqual(imported.encoding, "gb18030")

        # Into the same company: a new code, the rest unchanged.
        again = self.Mapping._import_mapping(exported)
        self.assertEqual(again.code, "kuaishou_funds_2")
        spec, same = mapping._get_spec(), again._get_spec()
        self.assertEqual(dict(same, code=spec["code"]), spec)

        # A preset exported and imported becomes an editable mapping that
        # reads the preset's files the same way.
        preset = self.env.ref("ec_reconcile.ec_bill_mapping_preset_pdd_account")
        own = self.Mapping._import_mapping(base64.b64decode(preset.export_file))
        self.assertFalse(own.is_preset)
        self.assertNotEqual(own.code, "pdd_account")
        data = read("pdd_account_detail.csv")
        (ours,) = [own._get_parser_class()().parse(BillSource("p.csv", data))]
        (theirs,) = registry.parse_file("p.csv", data)
        self.assertEqual(bill_key(ours), bill_key(theirs))

    def test_import_refuses_bad_files(self):
        with self.assertRefused(UserError, "is not JSON"):
            self.Mapping._import_mapping(b"not json", filename="m.json")
        with self.assertRefused(UserError, "not an exported bill mapping"):
            self.Mapping._import_mapping(b'{"hello": 1}', filename="m.json")
        spec = self.Mapping.create(kuaishou_vals())._get_spec()
        spec["rules"][0]["kind"] = "refunds"
        with self.assertRefused(ValidationError, "unknown kind 'refunds'"):
            self.Mapping._import_mapping(
                json.dumps({"format": "ec_bill_mapping", "spec": spec}).encode()
            )

    # ------------------------------------------------------------------
    # Security
    # ------------------------------------------------------------------

    def test_users_read_managers_edit_companies_apart(self):
        company_b = self._create_company("EC Mapping Co B")
        mine = self.Mapping.create(kuaishou_vals())
        theirs = self.Mapping.create(
            xiaohongshu_vals(company_id=company_b.id, code="xhs_b")
        )
        shared = self.Mapping.create(
            xiaohongshu_vals(company_id=False, code="xhs_shared")
        )
        user = self._create_user(
            "ec_mapping_user", ["ec_reconcile.ec_reconcile_group_user"]
        )
        manager = self._create_user(
            "ec_mapping_manager", ["ec_reconcile.ec_reconcile_group_manager"]
        )
        visible = self.Mapping.with_user(user).search([("is_preset", "=", False)])
        self.assertIn(mine, visible)
        self.assertIn(shared, visible)
        self.assertNotIn(theirs, visible)
        self.assertTrue(mine.with_user(user).column_ids)
        with self.assertRaises(AccessError):
            mine.with_user(user).write({"name": "x"})
        with self.assertRaises(AccessError):
            self.Mapping.with_user(user).create(kuaishou_vals(code="ks_user"))
        copy = mine.with_user(manager).copy()
        self.assertEqual(copy.code, "kuaishou_funds_copy")
        # A user imports with the mappings (reading them is enough).
        bill = self.Bill.with_user(user)._import_file(
            "kuaishou_settlement.csv", read("kuaishou_settlement.csv")
        )
        self.assertEqual(bill.state, "parsed", bill.error_message)
        self.assertIn(bill.mapping_id, mine | copy)
