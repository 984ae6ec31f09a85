#!/usr/bin/env python3
# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Parse rate of the plain-Python parsers over a generated month (no Odoo).

    python3 tests/bench/generate_month.py --scale 0.05 --out /tmp/ec_month
    python3 tests/bench/bench_parse.py /tmp/ec_month            # lines per CPU-second
    python3 tests/bench/bench_parse.py /tmp/ec_month --profile  # + cProfile top 25
    python3 tests/bench/bench_parse.py /tmp/ec_month --dump /tmp/a.txt  # outputs

CPU time (``time.process_time``) is reported next to wall time because the
machine is shared. ``--dump`` writes one digest per file of everything the
parsers return (bills, lines, raw rows, warnings, errors): two dumps taken
before and after a parser change must be identical.
"""

import argparse
import cProfile
import dataclasses
import hashlib
import os
import pathlib
import pstats
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]


def load_parsers():
    path = str(REPO / "addons" / "ec_reconcile")
    if path not in sys.path:
        sys.path.insert(0, path)
    import parsers  # noqa: PLC0415

    return parsers


def bill_files(root):
    folder = pathlib.Path(root)
    folder = folder / "bills" if (folder / "bills").is_dir() else folder
    return sorted(p for p in folder.rglob("*") if p.is_file())


def digest(parsers, name, data):
    """A stable text of the parse result (or error) of one file."""
    try:
        bills = parsers.parse_file(name, data)
    except parsers.BillParseError as error:
        return f"ERROR {error}"
    parts = []
    for bill in bills:
        fields = {
            f.name: getattr(bill, f.name)
            for f in dataclasses.fields(bill)
            if f.name != "lines"
        }
        parts.append(repr(sorted(fields.items())))
        for line in bill.lines:
            values = [(f.name, getattr(line, f.name)) for f in dataclasses.fields(line)]
            parts.append(repr(values))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def run(files, parsers):
    lines = 0
    errors = 0
    for path in files:
        try:
            bills = parsers.parse_file(path.name, path.read_bytes())
        except parsers.BillParseError:
            errors += 1
            continue
        lines += sum(len(bill.lines) for bill in bills)
    return lines, errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("month", help="folder written by generate_month.py")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dump", help="write per-file digests of the results")
    args = parser.parse_args(argv)
    parsers = load_parsers()
    files = bill_files(args.month)
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as out:
            for path in files:
                rel = os.path.relpath(path, args.month)
                out.write(f"{rel}\t{digest(parsers, path.name, path.read_bytes())}\n")
        print(f"dumped {len(files)} files to {args.dump}")
        return 0
    size = sum(p.stat().st_size for p in files)
    best = None
    for _ in range(args.repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        if args.profile:
            profile = cProfile.Profile()
            lines, errors = profile.runcall(run, files, parsers)
        else:
            lines, errors = run(files, parsers)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        best = cpu if best is None else min(best, cpu)
        print(
            f"{len(files)} files, {size / 1e6:.1f} MB, {lines} lines, "
            f"{errors} refused: CPU {cpu:.2f} s ({lines / cpu:,.0f} lines/CPU-s), "
            f"wall {wall:.2f} s, {cpu / len(files) * 1000:.1f} ms CPU/file"
        )
    if args.profile:
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats(25)
        stats.sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
