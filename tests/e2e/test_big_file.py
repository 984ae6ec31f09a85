# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A 200 MB bill (JD settlement detail, GBK, about 1.05 million rows),
generated on the fly: parsed in bounded memory and time, imported completely
(every row once) by a real worker. Slow: skipped unless EC_SLOW_TESTS=1.

    EC_SLOW_TESTS=1 bash scripts/dev-test -m slow tests/e2e/test_big_file.py

``EC_BIG_FILE_MB`` changes the size (default 200).
"""

import json
import os
import subprocess
import sys

import e2e_helpers as h
import pytest

MB = 1024 * 1024
SIZE = int(os.environ.get("EC_BIG_FILE_MB", "200")) * MB
# Peak memory of a parse, as a multiple of the file size: measured 23x on a
# 50 MB JD bill (every row kept with its raw cells until the bill is stored);
# a regression to "everything loaded several more times" fails here.
MAX_RSS_FACTOR = float(os.environ.get("EC_BIG_FILE_RSS_FACTOR", "30"))
# Odoo's default --limit-memory-hard (2560 MiB): a worker above it is killed.
ODOO_LIMIT_MEMORY_HARD_MB = 2560

HEADER = (
    "订单编号,单据编号,单据类型,商品编号,商户订单号,商品名称,结算状态,费用发生时间,"
    "费用计费时间,费用结算时间,费用项,金额,币种,商家应收/应付,钱包结算备注,店铺号,"
    "京东门店编号,品牌门店编号,门店名称,备注,收支方向,商品数量,对账日期"
)


def write_jd_bill(path, size):
    """JD rows until ``size`` bytes; returns (rows, total in fen)."""
    rows = total = 0
    with open(path, "wb") as out:
        out.write((HEADER + "\r\n").encode("gb18030"))
        written = 0
        while written < size:
            order = 300000000000 + rows // 2
            fee = rows % 2
            amount = -(rows % 97 + 3) if fee else rows % 9000 + 100
            kind, side = ("佣金", "支出") if fee else ("货款", "收入")
            second = rows % 86400
            moment = (
                f"2024-03-{1 + rows % 28:02d} "
                f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
            )
            line = (
                f'="{order}",="{900000000000 + rows}",订单,="100012345678",="{order}",'
                f"示例商品,已结算,{moment},{moment},{moment},{kind},"
                f"{amount / 100:.2f},人民币,应收,,10000001,,,,,{side},1,20240305\r\n"
            )
            data = line.encode("gb18030")
            out.write(data)
            written += len(data)
            rows += 1
            total += amount
    return rows, total


PARSE = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
import pytest_pure_plugin  # noqa: F401 (odoo.addons importable without a database)
from odoo.addons.ec_reconcile.parsers import parse_file
data = open(sys.argv[1], "rb").read()
start = time.monotonic()
[bill] = parse_file("big_jd.csv", data)
seconds = time.monotonic() - start
total = sum(line.amount for line in bill.lines)
print(json.dumps({
    "rows": len(bill.lines),
    "total": str(total),
    "seconds": round(seconds, 1),
    "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
}))
"""


@pytest.fixture(scope="module")
def big_bill(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big_jd.csv"
    rows, total = write_jd_bill(path, SIZE)
    return path, rows, total


@pytest.fixture(scope="module")
def parse_figures(big_bill):
    """Parse the big bill in a process of its own: its peak RSS is the parse's."""
    path, rows, total = big_bill
    result = subprocess.run(
        [sys.executable, "-c", PARSE, str(path), str(h.REPO / "scripts")],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["size_mb"] = round(path.stat().st_size / MB)
    h.record(note=f"big bill parsed: {figures}")
    return figures


@pytest.mark.slow
def test_200mb_bill_parses_every_row_in_linear_memory(big_bill, parse_figures):
    _path, rows, total = big_bill
    assert parse_figures["rows"] == rows
    assert parse_figures["total"] == f"{total / 100:.2f}"
    assert parse_figures["maxrss_mb"] < MAX_RSS_FACTOR * parse_figures["size_mb"], (
        parse_figures
    )


@pytest.mark.slow
@pytest.mark.xfail(
    SIZE >= 150 * MB,
    strict=True,
    reason="a 200 MB bill needs about 23x its size while parsed (BillLine objects "
    "with their raw cells for every row, then the COPY buffer): above Odoo's "
    "default limit_memory_hard of 2560 MiB, a worker would be killed. Parse "
    "and store in chunks to fix.",
)
def test_200mb_bill_fits_a_default_odoo_worker(parse_figures):
    assert parse_figures["maxrss_mb"] < ODOO_LIMIT_MEMORY_HARD_MB, parse_figures


@pytest.mark.slow
def test_200mb_bill_imports_every_row_once(big_bill, scratch_db, run_id, tmp_path):
    path, rows, total = big_bill
    code = f"BIG-{run_id}"
    h.run_worker(
        scratch_db,
        "setup",
        tmp_path,
        name="setup",
        shop=code,
        platform="jd",
        currency="CNY",
    )
    outcome = h.run_worker(
        scratch_db, "import", tmp_path, name="import", file=path, shop=code
    )
    assert outcome["result"]["rows"] == rows, outcome
    shop = h.scalar(scratch_db, "SELECT id FROM ec_shop WHERE code = %s", [code])
    count, distinct, amount = h.query(
        scratch_db,
        "SELECT count(*), count(DISTINCT transaction_id), sum(amount) "
        "FROM ec_settlement_line WHERE shop_id = %s",
        [shop],
    )[0]
    assert (count, distinct) == (rows, rows)
    assert round(amount * 100) == total
    h.record(
        note=f"{path.stat().st_size / MB:.0f} MB bill imported by a worker in "
        f"{outcome['seconds']} s, peak RSS {outcome.get('maxrss_mb')} MB"
    )
