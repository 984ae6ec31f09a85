# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Plain-Python side of the bill mappings: the form ↔ spec split
(tools/bill_mapping.py) and the engine hooks they use (extra parsers in the
detection, ``read.skip_lines``, ``recognize.filename_pattern``)."""

import unittest

from odoo.addons.ec_reconcile.parsers import (
    BillParseError,
    BillSource,
    parse_file,
    parsers,
    registry,
)
from odoo.addons.ec_reconcile.parsers.tabular import (
    TabularParser,
    make_parser,
    validate_spec,
)
from odoo.addons.ec_reconcile.tools import bill_mapping as form_tools

SPEC = {
    "code": "demo_mapping",
    "label": "Demo",
    "platform": "other",
    "columns": {
        "txn": ["流水号"],
        "date": ["时间"],
        "amount": ["金额"],
        "type": ["类型"],
        "order": ["订单"],
    },
    "required_columns": ["txn", "date", "amount"],
    "amount": {"column": "amount"},
    "rules": [
        {"when": {"column": "type", "in": ["货款"]}, "kind": "sale"},
        {
            "when": [{"column": "type", "contains": "费"}, {"sign": "negative"}],
            "kind": "service_fee",
        },
        {"when": {"any": [{"column": "type", "equals": "提现"}]}, "kind": "payout"},
    ],
    "transaction_id": {"columns": ["txn"]},
    "fields": {"order_ref": [{"column": "order", "regex": r"P(\d+)"}]},
    "date": {"columns": ["date"]},
}
CSV = (
    "流水号,时间,金额,类型,订单\n"
    "A1,2024-03-01 10:00:00,10.00,货款,订单P123\n"
    "A2,2024-03-01 10:00:00,-1.00,服务费,订单P123\n"
    "A3,2024-03-02 10:00:00,-9.00,提现,\n"
    "A4,2024-03-02 10:00:00,2.00,其他,\n"
).encode()


def builtin_tabular():
    return [
        cls
        for cls in parsers()
        if isinstance(cls, type) and issubclass(cls, TabularParser) and cls.spec
    ]


class TestFormSplit(unittest.TestCase):
    def test_every_builtin_spec_survives_the_form(self):
        for parser_class in builtin_tabular():
            with self.subTest(parser=parser_class.code):
                form, columns, rules, extra = form_tools.form_from_spec(
                    parser_class.spec
                )
                rebuilt = form_tools.merge_spec(
                    form_tools.spec_from_form(form, columns, rules), extra
                )
                self.assertEqual(rebuilt, form_tools.canonical_spec(parser_class.spec))
                validate_spec(rebuilt)

    def test_simple_spec_needs_no_json(self):
        form, columns, rules, extra = form_tools.form_from_spec(SPEC)
        self.assertEqual(extra, {})
        self.assertEqual(
            [(c["name"], c["role"], c["regex"]) for c in columns],
            [
                ("txn", "transaction_id", None),
                ("date", "date", None),
                ("amount", "amount", None),
                ("type", None, None),
                ("order", "order_ref", r"P(\d+)"),
            ],
        )
        self.assertEqual(
            [(r["column"], r["operator"], r["value"], r["sign"]) for r in rules[:2]],
            [("type", "equals", "货款", None), ("type", "contains", "费", "negative")],
        )
        self.assertEqual(rules[2]["condition"], SPEC["rules"][2]["when"])

    def test_merge_and_diff(self):
        base = {"a": 1, "read": {"quoting": False, "delimiter": ","}, "gone": 2}
        target = {"a": 1, "read": {"quoting": False, "end_markers": ["#"]}, "new": [1]}
        extra = form_tools.diff_spec(target, base)
        self.assertEqual(
            extra,
            {
                "read": {"end_markers": ["#"], "delimiter": None},
                "new": [1],
                "gone": None,
            },
        )
        self.assertEqual(form_tools.merge_spec(base, extra), target)

    def test_values_text(self):
        self.assertEqual(form_tools.split_values(" a | b||c "), ["a", "b", "c"])
        self.assertEqual(form_tools.join_values(["a", "b"]), "a | b")


class TestEngineHooks(unittest.TestCase):
    def test_mapping_parser_reads_the_file(self):
        parser_class = make_parser(SPEC)
        bill = parser_class().parse(BillSource("demo.csv", CSV))
        self.assertEqual(
            [(line.kind, str(line.amount), line.order_ref) for line in bill.lines],
            [
                ("sale", "10.00", "123"),
                ("service_fee", "-1.00", "123"),
                ("payout", "-9.00", None),
                ("other", "2.00", None),
            ],
        )
        self.assertEqual(bill.lines[-1].flags, ["unclassified"])

    def test_extra_parsers_win_ties_and_exclude_skips(self):
        jd = registry.get_parser("jd_settlement")
        copy = make_parser(dict(jd.spec, code="jd_copy"))
        data = (
            "订单编号,单据编号,费用项,金额,收支方向,费用结算时间\n"
            "1,D1,货款,5.00,收入,2024-03-01 00:00:00\n"
        ).encode()
        source = BillSource("jd.csv", data)
        self.assertIs(registry.detect(source), jd)
        self.assertIs(registry.detect(source, [copy]), copy)
        self.assertIsNone(registry.detect(source, exclude={"jd_settlement"}))
        (bill,) = parse_file("jd.csv", data, extra_parsers=[copy])
        self.assertEqual(bill.bill_type, "jd_copy")
        (bill,) = parse_file(
            "jd.csv", data, parser_code="jd_copy", extra_parsers=[copy]
        )
        self.assertEqual(bill.bill_type, "jd_copy")

    def test_skip_lines(self):
        data = ("流水号,时间,金额\n" + CSV.decode()).encode()
        parser_class = make_parser(SPEC)
        with self.assertRaisesRegex(BillParseError, "cells where the header has 3"):
            parser_class().parse(BillSource("demo.csv", data))  # the decoy row
        skipping = make_parser(dict(SPEC, read={"skip_lines": 1}))
        bill = skipping().parse(BillSource("demo.csv", data))
        self.assertEqual(bill.meta["header_line"], 2)
        self.assertEqual(len(bill.lines), 4)
        with self.assertRaisesRegex(ValueError, "skip_lines"):
            validate_spec(dict(SPEC, read={"skip_lines": -1}))

    def test_filename_pattern_is_a_hint(self):
        spec = dict(SPEC, recognize={"score": 50, "filename_pattern": r"^demo_\d+"})
        parser_class = make_parser(spec)
        plain = make_parser(SPEC)
        named = BillSource("zip/demo_2024.csv", CSV)
        other = BillSource("bill.csv", CSV)
        self.assertEqual(parser_class.sniff(named), plain.sniff(named) + 5)
        self.assertEqual(parser_class.sniff(other), plain.sniff(other))
        self.assertEqual(parser_class.sniff(BillSource("demo_1.csv", b"x,y\n1,2\n")), 0)
        with self.assertRaisesRegex(ValueError, "filename_pattern"):
            validate_spec(dict(SPEC, recognize={"filename_pattern": "(bad"}))
