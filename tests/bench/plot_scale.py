#!/usr/bin/env python3
# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Scale curve of ``bench_pipeline.py`` runs: a Markdown table and a PNG.

    python3 tests/bench/plot_scale.py /tmp/pipe_0.01.json /tmp/pipe_0.1.json \\
        --png tests/bench/scale.png

Each JSON is the ``--json`` output of one run. The plot shows wall and CPU
seconds of each stage (import, match, post) against the ledger lines of the
run, with a line through the origin fitted to the largest run: points on it
mean cost linear in the volume. Needs matplotlib (not a project requirement).
"""

import argparse
import json
import pathlib
import sys

STAGES = (("1. import", "import"), ("2. match", "match"), ("3. post", "post"))


def load(paths):
    runs = []
    for path in paths:
        data = json.loads(pathlib.Path(path).read_text())
        stages = {}
        for info in data["stages"]:
            for prefix, key in STAGES:
                if info["stage"].startswith(prefix):
                    stages[key] = info
        runs.append(
            {
                "path": str(path),
                "scale": data["month"]["scale"],
                "big_sale_day": data["month"].get("big_sale_day", 0),
                "orders": data["month"]["orders"],
                "lines": data["pipeline"]["lines"],
                "pipeline": data["pipeline"],
                "stages": stages,
                "load": data["machine"]["load_avg"],
            }
        )
    runs.sort(key=lambda r: r["lines"])
    return runs


def table(runs):
    head = (
        "| Scale | Big-sale day | Orders | Ledger lines | Import s | Match s | Post s "
        "| Total wall s | Total CPU s | Lines/s wall | Lines/CPU-s | Load (start) |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    rows = []
    for run in runs:
        st, pipe = run["stages"], run["pipeline"]
        rows.append(
            f"| {run['scale']:g} | {run['big_sale_day'] or '-'} | {run['orders']:,} "
            f"| {run['lines']:,} | {st['import']['wall_s']} | {st['match']['wall_s']} "
            f"| {st['post']['wall_s']} | {pipe['wall_s']} | {pipe['cpu_s']} "
            f"| {pipe['lines_per_s']:,} | {pipe['lines_per_cpu_s']:,} "
            f"| {run['load'][0]} |"
        )
    return head + "\n".join(rows) + "\n"


def plot(runs, png):
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, (ax_wall, ax_cpu) = plt.subplots(1, 2, figsize=(11, 4.5))
    xs = [r["lines"] for r in runs]
    for ax, measure, title in (
        (ax_wall, "wall_s", "Wall time (shared 2-core machine)"),
        (ax_cpu, "cpu", "CPU time (Python + PostgreSQL)"),
    ):
        for _prefix, key in STAGES:
            ys = [
                r["stages"][key]["wall_s"]
                if measure == "wall_s"
                else r["stages"][key]["cpu_s"] + r["stages"][key]["pg_cpu_s"]
                for r in runs
            ]
            ax.plot(xs, ys, marker="o", label=key)
        totals = [
            r["pipeline"]["wall_s"] if measure == "wall_s" else r["pipeline"]["cpu_s"]
            for r in runs
        ]
        ax.plot(xs, totals, marker="s", color="black", label="import+match+post")
        # Linear reference through the origin and the largest run.
        slope = totals[-1] / xs[-1]
        ax.plot([0, xs[-1]], [0, slope * xs[-1]], "k:", label="linear (largest run)")
        for run, total in zip(runs, totals, strict=True):
            if run["big_sale_day"]:
                ax.annotate("with a big-sale day", (run["lines"], total))
        ax.set_xlabel("ledger lines imported")
        ax.set_ylabel("seconds")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="JSON files of bench_pipeline.py")
    parser.add_argument(
        "--png", default=str(pathlib.Path(__file__).with_name("scale.png"))
    )
    args = parser.parse_args(argv)
    runs = load(args.runs)
    print(table(runs))
    plot(runs, args.png)
    print(f"plot: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
