"""`make bench`: run every bench/bench_*.py, print one table, write bench/results.json.

Each module exposes ``run() -> list[dict]``; a row has issue, name, value, unit, baseline,
baseline_name, ratio, target, met (True, False, or None when it could not be measured) and an
optional note. Times are never asserted in tests: this table is where they live.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def fmt(value: object, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def table(rows: list[dict]) -> str:
    head = ["issue", "benchmark", "value", "baseline", "ratio", "target", "met"]
    body = []
    for r in rows:
        met = {True: "yes", False: "NO", None: "n/a"}[r.get("met")]
        base = (
            (
                f"{fmt(r.get('baseline'), r.get('baseline_unit', r.get('unit', '')))} "
                f"({r.get('baseline_name', '')})"
            )
            if r.get("baseline") is not None
            else "—"
        )
        ratio = f"{r['ratio']:.2f}×" if isinstance(r.get("ratio"), int | float) else "—"
        body.append(
            [
                str(r.get("issue", "")),
                r["name"],
                fmt(r.get("value"), r.get("unit", "")),
                base,
                ratio,
                r.get("target", ""),
                met,
            ]
        )
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=False)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(b) for b in body]
    notes = [f"- {r['name']}: {r['note']}" for r in rows if r.get("note")]
    return "\n".join(out + ([""] + notes if notes else []))


def run_module(stem: str) -> list[dict]:
    """Run one bench module in a fresh interpreter: each measures from a clean start, and a
    crash (Qt at interpreter exit, say) costs that module's rows, never the table."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        proc = subprocess.run(
            [sys.executable, "-m", "bench.run", "--module", stem, "--rows-to", str(out)],
            cwd=HERE.parent,
            check=False,
        )
        rows: list[dict] = json.loads(out.read_text()) if out.exists() else []
    if proc.returncode != 0:
        if rows:
            for row in rows:
                row["note"] = (
                    row.get("note", "") + f" (the bench process then exited with "
                    f"{proc.returncode}; its figures were already written)"
                ).strip()
        else:
            rows = [
                {
                    "name": stem,
                    "value": None,
                    "met": None,
                    "note": f"the benchmark failed (exit {proc.returncode}); see above",
                }
            ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only bench modules whose name contains this (repeatable)",
    )
    parser.add_argument("--module", help=argparse.SUPPRESS)
    parser.add_argument("--rows-to", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.module:  # the child: one module, rows to a file
        module = importlib.import_module(f"bench.{args.module}")
        rows = module.run()
        Path(args.rows_to).write_text(json.dumps(rows, ensure_ascii=False))
        return 0
    rows: list[dict] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and not any(o in path.stem for o in args.only):
            continue
        started = time.perf_counter()
        print(f"running {path.stem} ...", file=sys.stderr, flush=True)
        rows.extend(run_module(path.stem))
        print(f"  {path.stem}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    rows.sort(key=lambda r: (r.get("issue", 0), r["name"]))
    print(table(rows))
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "rows": rows,
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
