# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Fuzz every bill parser: whatever the bytes, ``parse_file`` returns bills or
raises ``BillParseError``; nothing else may escape (``_import_file`` turns a
``BillParseError`` into a bill in state *Error*, anything else aborts the
upload without keeping the raw file).

Inputs: random bytes, CSV-like text and JSON values given to every parser
(detected, and forced with ``parser_code``), and the real fixtures mutated at
byte, line, cell and JSON-leaf level, plus XLSX workbooks built from them.

Bounded: ``derandomize=True`` (the same examples on every run, no example
database), ``EC_FUZZ_EXAMPLES`` examples per test (default 60); the whole file
runs in a few seconds. For a long hunt: ``EC_FUZZ_EXAMPLES=5000
EC_FUZZ_RANDOM=1 scripts/pytest-pure addons/ec_reconcile/tests/test_fuzz_parsers.py``.

Crashes already found are listed in ``KNOWN_CRASHES`` (the fuzz tests let them
pass so that they keep hunting for new ones) and pinned by the strict ``xfail``
tests at the end, with the minimal input: when a parser is fixed its ``xfail``
test passes, pytest reports it as a failure (strict) and the entry must be
removed from ``KNOWN_CRASHES`` with the ``xfail`` mark.
"""

import io
import json
import os
import pathlib
import traceback
import unittest
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from odoo.addons.ec_reconcile.parsers import (
    BillParseError,
    BillSource,
    ParsedBill,
    detect,
    parse_file,
    parsers,
)

HERE = pathlib.Path(__file__).resolve().parent
FIXTURE_DIRS = {
    "addon": HERE / "data" / "bills",
    # The shared fixtures exist in the project's workspace only.
    "shared": pathlib.Path("/work/shared/fixtures/bills"),
}
BILL_SUFFIXES = {".csv", ".tsv", ".txt", ".json", ".zip", ".xlsx"}
FIXTURE_BYTES = {
    f"{label}/{path.name}": path.read_bytes()
    for label, folder in FIXTURE_DIRS.items()
    if folder.is_dir()
    for path in sorted(folder.iterdir())
    if path.suffix in BILL_SUFFIXES
}
FIXTURE_NAMES = sorted(FIXTURE_BYTES)
TEXT_FIXTURES = [n for n in FIXTURE_NAMES if n.rsplit(".", 1)[-1] in ("csv", "tsv")]


def _loads(data):
    try:
        return json.loads(data.decode("utf-8-sig"))
    except ValueError:
        return None


JSON_FIXTURES = [
    n for n in FIXTURE_NAMES if n.endswith(".json") and _loads(FIXTURE_BYTES[n])
]
PARSER_CODES = sorted(p.code for p in parsers())
# The parser that recognises each fixture, to force it on mutants.
FIXTURE_PARSER = {
    name: getattr(detect(BillSource(name, data)), "code", None)
    for name, data in FIXTURE_BYTES.items()
}

EXAMPLES = int(os.environ.get("EC_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # time is bounded by the number of examples, not per example
    derandomize=not os.environ.get("EC_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

# (exception class name, parsers module, function) of crashes already reported
# and not fixed yet; each one is pinned by a strict xfail test below. Fixed
# since (and pinned by plain tests of TestFuzzFindings): RecursionError on
# deeply nested JSON, UnicodeDecodeError after a UTF-8 BOM, every zipfile /
# zlib / LZMA error of damaged, encrypted or exotic ZIP members, the Stripe
# error object with a null doc_url.
KNOWN_CRASHES = set()

# Cells that broke parsers elsewhere: empty, signs, separators, huge or
# special numbers, dates out of range, Excel-mangled ids, decorations.
NASTY_CELLS = [
    "",
    "-",
    "--",
    "+",
    ".",
    "1,234.56",
    "1.234,56",
    "(1.00)",
    "1e400",
    "1e999999",
    "-1e-999999",
    "NaN",
    "Infinity",
    "-inf",
    "9" * 40,
    "0.000000001",
    "¥1,000.00",
    "１２３.４５",
    "٣٤",
    "2024-02-30 10:00:00",
    "2099-12-31 23:59:59",
    "1899-12-31",
    "0000-00-00 00:00:00",
    "9999-99-99",
    "1709251200",
    "99999999999999999999",
    "2.0240301E+27",
    '="2024030122001"',
    "`2024030122001",
    "'2024030122001'",
    "=SUM(A1:A9)",
    '"',
    '""',
    "\t",
    "\r",
    "\u3000",
    "\x00",
    "收入",
    "支出",
    "交易付款",
    "提现",
    "{}",
    "[]",
]
CELL_ALPHABET = "0123456789.,-+eE()¥$ '\"`=\t/:年月日元NaIifty%#T\u3000"
cells = st.one_of(
    st.sampled_from(NASTY_CELLS),
    st.text(alphabet=CELL_ALPHABET, max_size=24),
    st.text(max_size=12),
)
json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    cells,
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=8), children, max_size=3),
    ),
    max_leaves=8,
)


def crash_signature(error):
    """(class name, parsers file, function) of the innermost parsers frame."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "/ec_reconcile/parsers/" in frame.filename.replace("\\", "/")
    ]
    if not frames:
        return (type(error).__name__, None, None)
    frame = frames[-1]
    return (type(error).__name__, pathlib.Path(frame.filename).name, frame.name)


class FuzzCase(unittest.TestCase):
    known_hits = 0

    def check(self, filename, data, parser_code=None):
        """``parse_file`` returns bills or raises BillParseError, nothing else."""
        try:
            bills = parse_file(filename, data, parser_code=parser_code)
        except BillParseError as error:
            self.assertTrue(str(error), "a refusal says why")
            return None
        except RecursionError as error:
            if crash_signature(error) in KNOWN_CRASHES:
                FuzzCase.known_hits += 1
                return None
            raise
        except Exception as error:  # noqa: BLE001 - that is what is tested
            if crash_signature(error) in KNOWN_CRASHES:
                FuzzCase.known_hits += 1
                return None
            self.fail(
                f"{parser_code or 'detected parser'} crashed on {filename} "
                f"({len(data)} bytes, head {data[:80]!r}): "
                f"{type(error).__name__}: {error}\n{traceback.format_exc()}"
            )
        self.assertIsInstance(bills, list)
        self.assertTrue(bills, "no bill and no error")
        for bill in bills:
            self.assertIsInstance(bill, ParsedBill)
            for line in bill.lines:
                self.assertTrue(line.transaction_id, "every row has an id")
                self.assertTrue(line.amount.is_finite(), "amounts are numbers")
        return bills


# ---------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------

OPS = ("flip", "delete", "insert", "truncate", "repeat", "drop_line", "dup_line")


def mutate_bytes(data, ops):
    data = bytearray(data)
    for op, where, payload in ops:
        if not data:
            data += payload or b"x"
            continue
        index = min(int(where * len(data)), len(data) - 1)
        if op == "flip":
            data[index] ^= payload[0] if payload else 0xFF
        elif op == "delete":
            del data[index : index + 1 + len(payload) * 4]
        elif op == "insert":
            data[index:index] = payload
        elif op == "truncate":
            del data[index:]
        elif op == "repeat":
            data[index:index] = data[index : index + 1 + len(payload) * 16]
        else:
            lines = bytes(data).split(b"\n")
            line = min(int(where * len(lines)), len(lines) - 1)
            if op == "drop_line":
                del lines[line]
            else:
                lines.insert(line, lines[line])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


byte_ops = st.lists(
    st.tuples(
        st.sampled_from(OPS),
        st.floats(min_value=0, max_value=1),
        st.binary(max_size=12),
    ),
    min_size=1,
    max_size=5,
)


def decode_fixture(data):
    """(text, encoding) so that a mutated text is written back the same way."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def replace_cells(data, edits):
    text, encoding = decode_fixture(data)
    lines = text.split("\n")
    for where_line, where_cell, value in edits:
        index = min(int(where_line * len(lines)), len(lines) - 1)
        line = lines[index]
        delimiter = "\t" if line.count("\t") > line.count(",") else ","
        parts = line.split(delimiter)
        cell = min(int(where_cell * len(parts)), len(parts) - 1)
        # Keep the platform's decoration (`, ="", TAB) around the new value.
        old = parts[cell]
        if old.startswith('="'):
            value = f'="{value}"'
        elif old.startswith("`"):
            value = f"`{value}"
        parts[cell] = value
        lines[index] = delimiter.join(parts)
    return "\n".join(lines).encode(encoding, errors="replace")


cell_edits = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=1),
        st.floats(min_value=0, max_value=1),
        cells,
    ),
    min_size=1,
    max_size=4,
)


def json_paths(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from json_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from json_paths(value, (*path, index))
    yield path


def replace_json(data, edits):
    document = json.loads(data.decode("utf-8-sig"))
    for where, value in edits:
        paths = [p for p in json_paths(document) if p]
        if not paths:
            document = value
            continue
        path = paths[min(int(where * len(paths)), len(paths) - 1)]
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
    return json.dumps(document, ensure_ascii=False, allow_nan=True).encode()


json_edits = st.lists(
    st.tuples(st.floats(min_value=0, max_value=1), json_values),
    min_size=1,
    max_size=4,
)


def xlsx_from_rows(rows):
    import openpyxl  # noqa: PLC0415

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def fixture_rows(name):
    text, _encoding = decode_fixture(FIXTURE_BYTES[name])
    delimiter = "\t" if name.endswith(".tsv") else ","
    return [
        [cell.strip('"') for cell in line.rstrip("\r").split(delimiter)]
        for line in text.split("\n")
        if line.strip()
    ]


xlsx_cells = st.one_of(
    cells,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(),
    st.none(),
)


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


class TestFuzzParsers(FuzzCase):
    def test_corpus_is_there(self):
        self.assertGreaterEqual(len(TEXT_FIXTURES), 10, FIXTURE_NAMES)
        self.assertGreaterEqual(len(JSON_FIXTURES), 4, FIXTURE_NAMES)
        self.assertGreaterEqual(len(PARSER_CODES), 10)
        # Every fixture that is a good bill parses (the mutations start valid).
        for name in (
            "addon/alipay_signcustomer.csv",
            "addon/stripe_balance_transactions.json",
        ):
            self.assertTrue(self.check(name, FIXTURE_BYTES[name]), name)

    @FUZZ
    @given(data=st.binary(max_size=2048))
    def test_random_bytes_detected(self, data):
        self.check("random.csv", data)

    @FUZZ
    @given(code=st.sampled_from(PARSER_CODES), data=st.binary(max_size=2048))
    def test_random_bytes_each_parser(self, code, data):
        self.check("random.bin", data, parser_code=code)

    @FUZZ
    @given(
        code=st.sampled_from([None, *PARSER_CODES]),
        name=st.sampled_from(TEXT_FIXTURES),
        rows=st.lists(st.lists(cells, min_size=1, max_size=30), min_size=1, max_size=6),
        delimiter=st.sampled_from([",", "\t"]),
    )
    def test_fixture_header_random_rows(self, code, name, rows, delimiter):
        """The real header lines, then rows of nasty cells."""
        text, encoding = decode_fixture(FIXTURE_BYTES[name])
        lines = text.split("\n")
        head = "\n".join(lines[: max(1, len(lines) // 3)])
        body = "\n".join(delimiter.join(row) for row in rows)
        data = (head + "\n" + body + "\n").encode(encoding, errors="replace")
        self.check(name.split("/")[-1], data, parser_code=code)

    @FUZZ
    @given(name=st.sampled_from(FIXTURE_NAMES), ops=byte_ops, forced=st.booleans())
    def test_mutated_fixture_bytes(self, name, ops, forced):
        data = mutate_bytes(FIXTURE_BYTES[name], ops)
        # The parser that reads the original file, forced on the mutant.
        code = FIXTURE_PARSER[name] if forced else None
        self.check(name.split("/")[-1], data, parser_code=code)

    @FUZZ
    @given(name=st.sampled_from(TEXT_FIXTURES), edits=cell_edits)
    def test_mutated_fixture_cells(self, name, edits):
        self.check(name.split("/")[-1], replace_cells(FIXTURE_BYTES[name], edits))

    @FUZZ
    @given(name=st.sampled_from(JSON_FIXTURES), edits=json_edits)
    def test_mutated_fixture_json(self, name, edits):
        self.check(name.split("/")[-1], replace_json(FIXTURE_BYTES[name], edits))

    @settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
    @given(
        name=st.sampled_from(TEXT_FIXTURES),
        edits=st.lists(
            st.tuples(
                st.floats(min_value=0, max_value=1),
                st.floats(min_value=0, max_value=1),
                xlsx_cells,
            ),
            max_size=4,
        ),
    )
    def test_xlsx_from_fixture_mutated(self, name, edits):
        rows = fixture_rows(name)
        for where_row, where_cell, value in edits:
            row = rows[min(int(where_row * len(rows)), len(rows) - 1)]
            if row:
                row[min(int(where_cell * len(row)), len(row) - 1)] = value
        try:
            data = xlsx_from_rows(rows)
        except (ValueError, TypeError, IllegalCharacterError):
            return  # openpyxl refuses the value itself (control characters)
        self.check(name.split("/")[-1].rsplit(".", 1)[0] + ".xlsx", data)


# ---------------------------------------------------------------------------
# Crashes found by the fuzzer: minimal inputs (reported to the parsers' owner)
# ---------------------------------------------------------------------------


def _zip(members, method=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def _damaged_zip(kind):
    content = "a,b\n" + "1,2\n" * 40
    if kind == "crc":
        data = bytearray(_zip([("bill.csv", content)], zipfile.ZIP_STORED))
        index = data.index(b"1,2")
        data[index] = ord("7")
    elif kind == "deflate":
        data = bytearray(_zip([("bill.csv", content)]))
        # The deflate stream starts after the 30-byte header and the name.
        data[30 + len("bill.csv") + 1] ^= 0xFF
    else:  # local header name differs from the central directory
        data = bytearray(_zip([("bill.csv", content)]))
        data[30:32] = b"\xff\xff"
    return bytes(data)


def _zip_method(kind):
    """One member whose compression method is unsupported (kind "method")
    or which is flagged as encrypted (kind "encrypted")."""
    data = bytearray(_zip([("bill.csv", "a,b\n1,2\n")], zipfile.ZIP_STORED))
    central = data.rindex(b"PK\x01\x02")
    if kind == "method":
        # Method 99 (AES) in the local header and the central directory.
        data[8:10] = data[central + 10 : central + 12] = (99).to_bytes(2, "little")
    else:
        data[6] |= 0x01
        data[central + 8] |= 0x01
    return bytes(data)


class TestFuzzFindings(FuzzCase):
    """Minimal inputs of the crashes found, fixed since: each is refused with
    a ``BillParseError`` naming the file (and the ZIP member)."""

    def assertRefused(self, filename, data, *texts):
        with self.assertRaises(BillParseError) as caught:
            parse_file(filename, data)
        message = str(caught.exception)
        self.assertIn(filename, message, "the message names the file")
        for text in texts:
            self.assertIn(text, message)
        return message

    def test_deeply_nested_json(self):
        self.assertRefused("nested.json", b"[" * 100_000, "nested too deeply")
        self.assertRefused("nested.json", b'{"a":' * 100_000, "nested too deeply")

    def test_deeply_nested_json_forced_parser(self):
        for code in PARSER_CODES:
            with self.subTest(code=code), self.assertRaises(BillParseError) as caught:
                parse_file("nested.json", b"[" * 100_000, parser_code=code)
            self.assertIn("nested.json", str(caught.exception))

    def test_bom_then_invalid_utf8(self):
        self.assertRefused("bom.csv", b"\xef\xbb\xbf\xff", "UTF-8", "byte 3")

    def test_utf16_bom_then_odd_length(self):
        self.assertRefused("u16.csv", b"\xff\xfea\x00b", "UTF-16")

    def test_zip_member_bad_crc(self):
        self.assertRefused("bill.zip", _damaged_zip("crc"), "'bill.csv'", "damaged")

    def test_zip_member_bad_deflate_stream(self):
        self.assertRefused("bill.zip", _damaged_zip("deflate"), "'bill.csv'")

    def test_zip_member_bad_local_header(self):
        self.assertRefused("bill.zip", _damaged_zip("header"), "'bill.csv'")

    def test_zip_member_unsupported_compression(self):
        self.assertRefused(
            "bill.zip", _zip_method("method"), "'bill.csv'", "unsupported"
        )

    def test_zip_member_encrypted(self):
        self.assertRefused(
            "bill.zip", _zip_method("encrypted"), "'bill.csv'", "encrypted"
        )

    def test_summary_count_without_number(self):
        """Found by the fuzzer (int(None) in tabular _Run.store), fixed since:
        a summary count cell holding '/' is read as no count."""
        data = FIXTURE_BYTES["addon/wechatpay_fundflow_operation.csv"]
        text, encoding = decode_fixture(data)
        lines = text.split("\n")
        summary = next(
            i for i, line in enumerate(lines) if line.startswith("`") and "`1.0" in line
        )
        cells = lines[summary].split(",")
        cells[0] = "`/"
        lines[summary] = ",".join(cells)
        self.check(
            "wechatpay_fundflow_operation.csv", "\n".join(lines).encode(encoding)
        )

    def test_stripe_error_with_null_doc_url(self):
        self.assertRefused(
            "error.json", b'{"error": {"message": "x", "doc_url": null}}'
        )
        self.assertRefused(
            "error.json",
            b'{"error": {"type": null, "message": "x", "request_log_url": null}}',
        )
