# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The declarative tabular engine (parsers/tabular.py) and the shared rules of
every tabular bill: header by name, encodings, line endings, errors, ids."""

import copy
import datetime as dt
import io
import json
import pathlib
import unittest
from decimal import Decimal

import openpyxl

from odoo.addons.ec_reconcile.parsers import (
    KINDS,
    BillParseError,
    BillRowErrors,
    BillSource,
    parse_file,
    parsers,
    tabular,
)
from odoo.addons.ec_reconcile.parsers.base import FLAG_MANGLED_ID, FLAG_UNCLASSIFIED
from odoo.addons.ec_reconcile.parsers.tabular import (
    TabularParser,
    make_parser,
    read_rows,
    read_tables,
    validate_spec,
)

DATA = pathlib.Path(__file__).resolve().parent / "data" / "bills"
D = Decimal
PLATFORMS = {
    "alipay",
    "wechatpay",
    "taobao",
    "tmall",
    "jd",
    "douyin",
    "pdd",
    "wechat_channels",
    "shopify",
    "amazon",
    "stripe",
    "paypal",
}
TABULAR_FILES = {
    "alipay_signcustomer.csv": "alipay_signcustomer",
    "alipay_trade.csv": "alipay_trade",
    "taobao_alipay_account_log.csv": "taobao_alipay_signcustomer",
    "wechatpay_tradebill_all.csv": "wechatpay_tradebill",
    "wechatpay_fundflow_basic.csv": "wechatpay_fundflow",
    "jd_settlement_detail.csv": "jd_settlement",
    "pdd_account_detail.csv": "pdd_account",
    "shopify_payment_transactions.csv": "shopify_payments",
    "amazon_settlement_v2.tsv": "amazon_settlement_v2",
    "paypal_activity.csv": "paypal_activity",
}

# A made-up wallet export, described the way an accountant would in the UI.
SPEC = {
    "code": "test_wallet",
    "label": "Test wallet",
    "platform": "alipay",
    "channel": "test_wallet",
    "bill_type": "wallet",
    "columns": {
        "txn": ["流水号", "Txn ID"],
        "time": ["时间"],
        "amount": ["金额（元）"],
        "fee": ["手续费"],
        "type": ["类型"],
        "memo": ["备注"],
        "balance": ["余额"],
        "order": ["订单号"],
    },
    "required_columns": ["txn", "time", "amount", "type"],
    "recognize": {"markers": ["钱包流水"]},
    "read": {"end_markers": ["#"]},
    "components": [
        {"column": "amount", "allow_empty": False},
        {"column": "fee", "sign": "debit", "kind": "payment_fee", "suffix": ":fee"},
    ],
    "rules": [
        {"when": {"column": "type", "equals": "收款"}, "kind": "sale"},
        {"when": {"column": "type", "equals": "退款"}, "kind": "refund"},
        {"when": {"column": "memo", "contains": ["提现", "转出"]}, "kind": "payout"},
    ],
    "transaction_id": {"columns": ["txn"]},
    "fields": {
        "order_ref": [{"column": "memo", "regex": r"订单\[(\d+)\]"}, "order"],
        "description": ["memo"],
        "balance": "balance",
    },
    "currency": "CNY",
    "date": {"columns": ["time"]},
    "text_fields": [r"合计[：:](?P<count>\d+)笔[，,](?P<net>[-\d.]+)元"],
}
WalletParser = make_parser(SPEC)

HEADER = "流水号,时间,金额（元）,手续费,类型,备注,余额,订单号"
ROWS = [
    "T001,2024-03-01 10:00:00,100.00,0.60,收款,,1099.40,SO1",
    "T002,2024-03-01 11:00:00,-20.00,0,退款,退款 订单[777],1079.40,SO1",
    "T003,2024-03-01 12:00:00,-1000.00,,转账,提现到银行卡,79.40,",
]


def wallet_text(rows=None, header=HEADER, preamble=("钱包流水导出",), footer=None):
    lines = [*preamble, header, *(ROWS if rows is None else rows)]
    lines += ["#合计：3笔，-920.60元"] if footer is None else footer
    return "\r\n".join(lines) + "\r\n"


def parse_wallet(text, encoding="utf-8", name="wallet.csv"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return WalletParser().parse(BillSource(name, data))


def summary(bill):
    return [
        (line.transaction_id, line.kind, line.amount, line.order_ref)
        for line in bill.lines
    ]


class TestSpecs(unittest.TestCase):
    def test_builtin_specs_are_plain_data(self):
        tabular_parsers = [p for p in parsers() if issubclass(p, TabularParser)]
        codes = {parser.code for parser in tabular_parsers}
        self.assertLessEqual(set(TABULAR_FILES.values()), codes)
        for parser in tabular_parsers:
            with self.subTest(parser=parser.code):
                spec = parser.spec
                # JSON round trip: a spec can be stored as a record.
                self.assertEqual(json.loads(json.dumps(spec, ensure_ascii=False)), spec)
                self.assertIs(validate_spec(spec), spec)
                self.assertEqual(parser.code, spec["code"])
                self.assertIn(parser.platform, PLATFORMS)
                self.assertTrue(parser.channel)
                for rule in spec.get("rules", []):
                    self.assertIn(rule["kind"], KINDS)

    def test_validate_spec_lists_every_problem(self):
        spec = copy.deepcopy(SPEC)
        spec["rules"].append(
            {"when": {"column": "nope", "equals": "x"}, "kind": "sale"}
        )
        spec["rules"].append(
            {"when": {"column": "type", "equals": "x"}, "kind": "gift"}
        )
        spec["fields"]["order_ref"].append({"column": "memo", "regex": "("})
        spec["colour"] = "blue"
        del spec["date"]
        with self.assertRaises(ValueError) as caught:
            validate_spec(spec)
        message = str(caught.exception)
        for fragment in ("'nope'", "'gift'", "bad regex", "colour", "'date'"):
            self.assertIn(fragment, message)
        with self.assertRaises(ValueError):
            make_parser(spec)

    def test_make_parser_class(self):
        self.assertEqual(WalletParser.code, "test_wallet")
        self.assertEqual(WalletParser.channel, "test_wallet")
        self.assertNotIn(WalletParser, parsers())  # not registered by make_parser


class TestReading(unittest.TestCase):
    def test_basic_lines(self):
        bill = parse_wallet(wallet_text())
        self.assertEqual(
            summary(bill),
            [
                ("T001", "sale", Decimal("100.00"), "SO1"),
                ("T001:fee", "payment_fee", Decimal("-0.60"), "SO1"),
                ("T002", "refund", Decimal("-20.00"), "777"),  # regex before column
                ("T003", "payout", Decimal("-1000.00"), None),
            ],
        )
        self.assertEqual(bill.platform, "alipay")
        self.assertEqual(bill.channel, "test_wallet")
        self.assertEqual(bill.bill_type, "wallet")
        self.assertEqual(bill.currency, "CNY")
        self.assertEqual(bill.declared_totals, {"count": 3, "net": Decimal("-920.60")})
        self.assertEqual(bill.total, Decimal("-920.60"))
        self.assertEqual(bill.opening_balance, Decimal("1000.00"))
        self.assertEqual(bill.closing_balance, Decimal("79.40"))
        self.assertEqual(bill.warnings, [])
        fee = bill.lines[1]
        self.assertIsNone(bill.lines[0].balance)  # balance on the row's last line
        self.assertEqual(fee.balance, Decimal("1099.40"))
        self.assertEqual(fee.row_number, 3)
        self.assertEqual(fee.date, dt.datetime(2024, 3, 1, 2, 0))  # Shanghai → UTC
        self.assertIsNone(fee.date.tzinfo)
        self.assertEqual(fee.raw["金额（元）"], "100.00")
        self.assertIs(fee.raw, bill.lines[0].raw)
        self.assertEqual(bill.meta["rows"], 3)

    def test_header_by_name_whatever_the_preamble(self):
        reference = summary(parse_wallet(wallet_text()))
        for preamble in (
            (),
            ("钱包流水导出", "", "导出人：张三", "-----"),
            ("a,b,c",) * 7,
        ):
            with self.subTest(preamble=preamble):
                bill = parse_wallet(wallet_text(preamble=preamble))
                self.assertEqual(summary(bill), reference)
                self.assertEqual(bill.lines[0].row_number, len(preamble) + 2)

    def test_delimiters(self):
        reference = summary(parse_wallet(wallet_text()))
        for delimiter in ("\t", ";"):
            with self.subTest(delimiter=repr(delimiter)):
                text = wallet_text().replace(",", delimiter)
                self.assertEqual(summary(parse_wallet(text)), reference)

    def test_column_order_and_header_wording(self):
        reference = summary(parse_wallet(wallet_text()))
        columns = list(zip(*(line.split(",") for line in [HEADER, *ROWS]), strict=True))
        reordered = [columns[i] for i in (7, 4, 2, 0, 6, 1, 5, 3)]
        lines = [",".join(cells) for cells in zip(*reordered, strict=True)]
        header = (
            lines[0].replace("金额（元）", "金额(元)").replace("流水号", " 流水号 ")
        )
        bill = parse_wallet(wallet_text(rows=lines[1:], header=header))
        self.assertEqual(summary(bill), reference)
        self.assertIn("金额(元)", bill.lines[0].raw)

    def test_encodings_and_line_endings(self):
        reference = summary(parse_wallet(wallet_text()))
        text = wallet_text()
        variants = {
            "utf-8": text.encode("utf-8"),
            "utf-8 BOM": b"\xef\xbb\xbf" + text.encode("utf-8"),
            "gbk": text.encode("gbk"),
            "gb18030": text.encode("gb18030"),
            "gbk LF": text.replace("\r\n", "\n").encode("gbk"),
            "utf-8 BOM LF": b"\xef\xbb\xbf"
            + text.replace("\r\n", "\n").encode("utf-8"),
            "no final newline": text.rstrip("\r\n").encode("utf-8"),
        }
        for label, data in variants.items():
            with self.subTest(label):
                self.assertEqual(summary(parse_wallet(data)), reference)

    def test_decorated_cells(self):
        reference = summary(parse_wallet(wallet_text()))
        rows = [
            "=\"T001\"\t,`2024-03-01 10:00:00,100.00 ,0.60,收款,,1099.40,'SO1'",
            "T002\t,2024-03-01 11:00:00,-20.00,0,退款,退款 订单[777],1079.40,'SO1",
            " T003 ,2024-03-01 12:00:00,-1000.00,,转账,提现到银行卡,79.40,",
        ]
        self.assertEqual(summary(parse_wallet(wallet_text(rows=rows))), reference)

    def test_thousands_separators_and_symbols(self):
        rows = [
            'T001,2024-03-01 10:00:00,"1,234.50",0.60,收款,,"2,234.50",SO1',
            "T002,2024-03-01 11:00:00,¥-20.00,0,退款,,2214.50,SO1",
        ]
        bill = parse_wallet(wallet_text(rows=rows, footer=[]))
        self.assertEqual(bill.lines[0].amount, Decimal("1234.50"))
        self.assertEqual(bill.lines[2].amount, Decimal("-20.00"))
        self.assertEqual(bill.opening_balance, Decimal("1000.60"))

    def test_units_and_decimal_comma(self):
        rows = ["T001,2024-03-01 10:00:00,12345,60,收款,,100060,SO1"]
        spec = dict(SPEC, code="test_wallet_fen", unit="fen")
        bill = make_parser(spec)().parse(
            BillSource("w.csv", wallet_text(rows=rows, footer=[]).encode())
        )
        self.assertEqual([line.amount for line in bill.lines], [D("123.45"), D("-0.6")])
        self.assertEqual(bill.closing_balance, D("1000.6"))
        rows = ['T001,2024-03-01 10:00:00,"1.234,50","0,60",收款,,"2.233,90",SO1']
        spec = dict(SPEC, code="test_wallet_comma", decimal_separator=",")
        bill = make_parser(spec)().parse(
            BillSource("w.csv", wallet_text(rows=rows, footer=[]).encode())
        )
        self.assertEqual(
            [line.amount for line in bill.lines], [D("1234.50"), D("-0.60")]
        )

    def test_zero_components_give_no_line_but_rows_always_do(self):
        rows = ["T009,2024-03-01 10:00:00,0.00,0.00,收款,,1000.00,SO9"]
        bill = parse_wallet(wallet_text(rows=rows, footer=[]))
        self.assertEqual(summary(bill), [("T009", "sale", Decimal("0.00"), "SO9")])

    def test_unclassified_and_default_kind(self):
        rows = ["T010,2024-03-01 10:00:00,5.00,,奖励,,1005.00,"]
        bill = parse_wallet(wallet_text(rows=rows, footer=[]))
        self.assertEqual(bill.lines[0].kind, "other")
        self.assertEqual(bill.lines[0].flags, [FLAG_UNCLASSIFIED])
        spec = dict(SPEC, code="test_wallet_default", default_kind="adjustment")
        bill = make_parser(spec)().parse(
            BillSource("w.csv", wallet_text(rows=rows, footer=[]).encode())
        )
        self.assertEqual((bill.lines[0].kind, bill.lines[0].flags), ("adjustment", []))

    def test_balance_discontinuity_warns(self):
        rows = list(ROWS)
        rows[1] = rows[1].replace("1079.40", "1079.00")
        bill = parse_wallet(wallet_text(rows=rows))
        self.assertEqual(len(bill.warnings), 2)  # 1079.00 and then 79.40
        self.assertIn("row 4: balance 1079.00", bill.warnings[0])

    def test_declared_net_mismatch_warns(self):
        bill = parse_wallet(wallet_text(footer=["#合计：3笔，-900.00元"]))
        self.assertTrue(any("net" in warning for warning in bill.warnings))

    def test_read_rows_is_cached(self):
        source = BillSource("w.csv", wallet_text().encode("gbk"))
        rows = read_rows(source)
        self.assertIs(read_rows(source), rows)
        self.assertEqual(rows[1], (2, HEADER.split(",")))
        self.assertEqual(len(read_tables(source)), 3)  # , TAB ;


class TestErrors(unittest.TestCase):
    def test_bad_amount_names_row_and_field(self):
        rows = list(ROWS)
        rows[1] = rows[1].replace("-20.00", "-2O.00")
        with self.assertRaises(BillParseError) as caught:
            parse_wallet(wallet_text(rows=rows), name="w.csv")
        error = caught.exception
        self.assertNotIsInstance(error, BillRowErrors)
        self.assertEqual(
            (error.filename, error.row, error.field), ("w.csv", 4, "金额（元）")
        )
        self.assertIn("w.csv, row 4, field '金额（元）'", str(error))

    def test_bad_rows_are_collected_and_capped(self):
        rows = [
            f"B{i:03d},2024-03-01 10:00:00,x{i},0,收款,,1000.00,SO{i}"
            for i in range(150)
        ]
        rows.insert(10, "OK1,2024-02-30 10:00:00,1.00,0,收款,,1000.00,SO")
        with self.assertRaises(BillRowErrors) as caught:
            parse_wallet(wallet_text(rows=rows, footer=[]))
        error = caught.exception
        self.assertEqual(error.total, 151)
        self.assertEqual(len(error.errors), tabular.MAX_ROW_ERRORS)
        self.assertEqual(error.errors[0].row, 3)
        self.assertEqual(error.errors[10].field, "时间")  # 30 February
        self.assertIn("151 bad row(s)", str(error))

    def test_empty_amount_when_required(self):
        rows = ["T001,2024-03-01 10:00:00,,0.60,收款,,1099.40,SO1"]
        with self.assertRaises(BillParseError) as caught:
            parse_wallet(wallet_text(rows=rows, footer=[]))
        self.assertEqual(caught.exception.field, "金额（元）")

    def test_missing_required_column(self):
        header = HEADER.replace("类型", "分类")
        with self.assertRaises(BillParseError) as caught:
            parse_wallet(wallet_text(header=header))
        message = str(caught.exception)
        self.assertIn("类型", message)  # the missing column
        self.assertIn("header found: 流水号, 时间", message)  # what was there
        self.assertEqual(caught.exception.row, 2)

    def test_empty_header_only_truncated_and_extra_cells(self):
        with self.assertRaisesRegex(BillParseError, "empty"):
            parse_wallet(" \r\n\r\n")
        with self.assertRaisesRegex(BillParseError, "header but no data rows"):
            parse_wallet(wallet_text(rows=[], footer=[]))
        text = wallet_text(footer=[]).rstrip("\r\n")
        with self.assertRaisesRegex(BillParseError, "truncated") as caught:
            parse_wallet(text[: text.rindex(",提现")])
        self.assertEqual(caught.exception.row, 5)
        rows = [*ROWS[:2], ROWS[2] + ",extra"]
        with self.assertRaisesRegex(BillParseError, "9 cells where the header has 8"):
            parse_wallet(wallet_text(rows=rows))

    def test_unknown_binary_and_empty_files(self):
        with self.assertRaisesRegex(BillParseError, "unknown bill layout"):
            parse_file("unknown_layout.csv", (DATA / "unknown_layout.csv").read_bytes())
        with self.assertRaisesRegex(BillParseError, "empty"):
            parse_file("empty.csv", b"")
        with self.assertRaises(BillParseError):
            parse_file("x.csv", b"\x00\x01\x02binary")

    def test_mangled_id_is_flagged_not_repaired(self):
        rows = ["3.1E+13,2024-03-01 10:00:00,1.00,0,收款,,1001.00,1.2345E+17"]
        bill = parse_wallet(wallet_text(rows=rows, footer=[]))
        line = bill.lines[0]
        self.assertEqual(
            (line.transaction_id, line.order_ref), ("3.1E+13", "1.2345E+17")
        )
        self.assertEqual(line.flags, [FLAG_MANGLED_ID])

    def test_duplicate_ids_warn(self):
        rows = [ROWS[0], ROWS[0].replace("1099.40", "1198.80")]
        bill = parse_wallet(wallet_text(rows=rows, footer=[]))
        self.assertEqual(
            [line.transaction_id for line in bill.lines][::2], ["T001"] * 2
        )
        self.assertTrue(any("T001 appears more than once" in w for w in bill.warnings))


class TestHashIds(unittest.TestCase):
    SPEC = dict(
        SPEC,
        code="test_wallet_hash",
        transaction_id={"hash": "all"},
        required_columns=["time", "amount", "type"],
    )

    def parse(self, text):
        return make_parser(self.SPEC)().parse(BillSource("w.csv", text.encode()))

    def test_stable_and_ordinal(self):
        rows = [ROWS[0], ROWS[0], ROWS[2]]
        first = self.parse(wallet_text(rows=rows, footer=[]))
        ids = [line.transaction_id for line in first.lines]
        self.assertEqual(ids[0].rsplit("-", 1)[1], "1")
        self.assertEqual(ids[2], ids[0].replace("-1", "-2"))  # same row, next ordinal
        self.assertEqual(ids[1], ids[0] + ":fee")
        self.assertEqual(len(set(ids)), len(ids))
        again = self.parse(wallet_text(rows=rows, footer=[]))
        self.assertEqual([line.transaction_id for line in again.lines], ids)
        # Columns in another order: same normalized row, same ids.
        columns = list(zip(*(r.split(",") for r in [HEADER, *rows]), strict=True))
        swapped = [",".join(c) for c in zip(*columns[::-1], strict=True)]
        other = self.parse(wallet_text(rows=swapped[1:], header=swapped[0], footer=[]))
        self.assertEqual([line.transaction_id for line in other.lines], ids)
        changed = self.parse(
            wallet_text(rows=[ROWS[0].replace("100.00", "100.01")], footer=[])
        )
        self.assertNotEqual(changed.lines[0].transaction_id, ids[0])


class TestXlsx(unittest.TestCase):
    def workbook(self, formula=False):
        book = openpyxl.Workbook()
        other = book.active
        other.title = "说明"
        other.append(["这是说明页"])
        sheet = book.create_sheet("流水")
        sheet.append(["钱包流水导出"])
        sheet.append(HEADER.split(","))
        sheet.append(
            [
                "T001",
                dt.datetime(2024, 3, 1, 10),
                100.0,
                0.6,
                "收款",
                None,
                1099.4,
                "SO1",
            ]
        )
        sheet.append(
            [
                "T002",
                "2024-03-01 11:00:00",
                -20.000000000000004,  # binary float noise
                0,
                "退款",
                "退款 订单[777]",
                1079.4,
                "SO1",
            ]
        )
        sheet.append(
            [
                '="T003"',
                45352.5,  # Excel serial day: 2024-03-01 12:00
                -1000,
                None,
                "转账",
                "提现到银行卡",
                "=G4-1000" if formula else 79.4,
            ]
        )
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    def test_xlsx_like_csv(self):
        data = self.workbook()
        source = BillSource("wallet.xlsx", data)
        self.assertTrue(source.is_xlsx)
        self.assertGreater(WalletParser.sniff(source), 0)
        bill = WalletParser().parse(source)
        reference = parse_wallet(wallet_text(footer=[]))
        self.assertEqual(summary(bill), summary(reference))
        self.assertEqual(
            [line.date for line in bill.lines], [line.date for line in reference.lines]
        )
        self.assertEqual(bill.closing_balance, Decimal("79.4"))
        self.assertEqual(bill.meta["sheet"], "流水")
        self.assertEqual(bill.lines[0].row_number, 3)

    def test_formula_is_a_row_error(self):
        with self.assertRaises(BillParseError) as caught:
            WalletParser().parse(BillSource("wallet.xlsx", self.workbook(formula=True)))
        self.assertEqual(caught.exception.row, 5)
        self.assertEqual(caught.exception.field, "余额")
        self.assertIn("formula", str(caught.exception))


class TestDates(unittest.TestCase):
    def parse(self, dates, **date_spec):
        spec = copy.deepcopy(SPEC)
        spec["code"] = "test_wallet_dates"
        spec["date"].update(date_spec)
        rows = [
            f"D{i},{value},1.00,0,收款,,{1000 + i + 1}.00,"
            for i, value in enumerate(dates)
        ]
        return make_parser(spec)().parse(
            BillSource("w.csv", wallet_text(rows=rows, footer=[]).encode())
        )

    def test_day_first_auto(self):
        bill = self.parse(["05/03/2024 10:00", "13/03/2024 10:00"], day_first="auto")
        self.assertEqual(bill.lines[1].date, dt.datetime(2024, 3, 13, 2))
        self.assertEqual(bill.meta["date_order"], "dmy")
        bill = self.parse(["03/05/2024", "03/13/2024"], day_first="auto")
        self.assertEqual(bill.lines[1].date.date(), dt.date(2024, 3, 12))  # UTC
        self.assertEqual(bill.meta["date_order"], "mdy")
        # Ambiguous: 3 days of March rather than 3 months.
        bill = self.parse(["05/03/2024", "06/03/2024", "07/03/2024"], day_first="auto")
        self.assertEqual(bill.meta["date_order"], "dmy")
        self.assertIn("fewer days", bill.warnings[0])
        bill = self.parse(["04/01/2024", "04/02/2024"], day_first="auto")
        self.assertEqual(bill.meta["date_order"], "mdy")
        with self.assertRaisesRegex(BillParseError, "mix"):
            self.parse(["13/03/2024", "03/13/2024"], day_first="auto")

    def test_time_zones(self):
        bill = self.parse(["2024-03-01 10:00:00"], tz="America/Los_Angeles")
        self.assertEqual(bill.lines[0].date, dt.datetime(2024, 3, 1, 18))
        bill = self.parse(["2024-07-01 10:00:00"], tz="America/Los_Angeles")
        self.assertEqual(bill.lines[0].date, dt.datetime(2024, 7, 1, 17))  # PDT
        bill = self.parse(["2024-03-03 10:15:00 -0500"])
        self.assertEqual(bill.lines[0].date, dt.datetime(2024, 3, 3, 15, 15))
        with self.assertRaisesRegex(BillParseError, "date out of range"):
            self.parse(["1899-03-03 10:15:00"])

    def test_tz_abbreviations(self):
        tz = tabular._resolve_tz
        self.assertEqual(tz("PST").utcoffset(None), dt.timedelta(hours=-8))
        self.assertEqual(tz("cest").utcoffset(None), dt.timedelta(hours=2))
        self.assertEqual(tz("+08:00").utcoffset(None), dt.timedelta(hours=8))
        self.assertEqual(
            tz("GMT-0530").utcoffset(None), -dt.timedelta(hours=5, minutes=30)
        )
        self.assertEqual(str(tz("Europe/Paris")), "Europe/Paris")
        self.assertIsNone(tz("Mars/Olympus"))


class TestHooks(unittest.TestCase):
    def test_adjust_row_and_finalize(self):
        class Hooked(WalletParser):
            def adjust_row(self, row, lines):
                for line in lines:
                    line.description = f"{row['kind']}@{row['line_number']}"
                return lines

            def finalize(self, bill):
                bill.meta["hooked"] = True
                return bill

        bill = Hooked().parse(BillSource("w.csv", wallet_text().encode()))
        self.assertEqual(bill.lines[0].description, "sale@3")
        self.assertTrue(bill.meta["hooked"])


class TestAllTabularFixtures(unittest.TestCase):
    """Contract of every line of every tabular fixture."""

    def test_detection_contract_and_stable_ids(self):
        for name, code in TABULAR_FILES.items():
            with self.subTest(name):
                data = (DATA / name).read_bytes()
                source = BillSource(name, data)
                winner = max(parsers(), key=lambda parser: parser.sniff(source))
                self.assertEqual(winner.code, code)
                # Content, not the name, decides.
                (bill,) = parse_file("upload.txt", data)
                self.assertEqual(bill.filename, "upload.txt")
                ids = [line.transaction_id for line in bill.lines]
                self.assertEqual(len(ids), len(set(ids)))
                (again,) = parse_file(name, data)
                self.assertEqual([line.transaction_id for line in again.lines], ids)
                for line in bill.lines:
                    self.assertIn(line.kind, KINDS)
                    self.assertIsInstance(line.amount, Decimal)
                    self.assertIsInstance(line.date, dt.datetime)
                    self.assertIsNone(line.date.tzinfo)
                    self.assertIsInstance(line.row_number, int)
                    self.assertTrue(line.currency)
                    json.dumps(line.raw)
                json.dumps(bill.meta)
                # Only PayPal's ambiguous dd/mm dates may warn.
                self.assertEqual(
                    [
                        w
                        for w in bill.warnings
                        if "dd/mm" not in w or code != "paypal_activity"
                    ],
                    [],
                )
                net = bill.declared_totals.get("net")
                if net is not None:
                    self.assertEqual(bill.total, net)
                if bill.opening_balance is not None:
                    self.assertEqual(
                        bill.opening_balance + bill.total, bill.closing_balance
                    )

    def test_tabular_parsers_ignore_json(self):
        data = b'{"code": 10000, "data": {"list": []}}'
        source = BillSource("x.json", data)
        for parser in parsers():
            if issubclass(parser, TabularParser):
                self.assertEqual(parser.sniff(source), 0, parser.code)


if __name__ == "__main__":
    unittest.main()
