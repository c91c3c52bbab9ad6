"""Chain-scale figures: opening a big database costs what opening an empty one does (no full
integrity check on open), and `nps-kiosk stats` does not grow with the history."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

RUNS = 5
BIG_OPEN = 300_000
BIG_STATS = 1_000_000
SMALL_STATS = 1_000


def _seeded(path: Path, n: int) -> Path:
    from kiosk.db import open_database
    from kiosk.seed import seed

    db = open_database(path)
    if n:
        seed(db, n=n)
    db.checkpoint()
    db.close()
    return path


def _ready_ms(db: Path) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-m", "ui.cli", "--smoke", "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return float(re.search(r"ready_ms=([\d.]+)", out).group(1))  # type: ignore[union-attr]


def _stats_ms(db: Path, *extra: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ui.cli", "stats", "--db", str(db), "--json", *extra],
        capture_output=True,
        check=True,
    )
    return (time.perf_counter() - t0) * 1000


def ready_time() -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="bench-open-"))
    empty = _seeded(work / "empty.db", 0)
    big = _seeded(work / "big.db", BIG_OPEN)
    _ready_ms(empty), _ready_ms(big)  # warm the file caches
    e_runs, b_runs = [], []
    for _ in range(RUNS):
        e_runs.append(_ready_ms(empty))
        b_runs.append(_ready_ms(big))
    e, b = statistics.median(e_runs), statistics.median(b_runs)
    return [
        {
            "issue": 8,
            "name": f"Ready time (--smoke), {BIG_OPEN // 1000}k responses",
            "value": b,
            "unit": "ms",
            "baseline": e,
            "baseline_name": "same, empty database",
            "ratio": b / e,
            "target": "<=1.2x",
            "met": b / e <= 1.2,
            "note": f"median of {RUNS} process starts each; file {big.stat().st_size >> 20} MB; "
            "the full integrity check runs in the background after an unclean exit and daily",
        }
    ]


def stats_time() -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    small = _seeded(work / "small.db", SMALL_STATS)
    big = _seeded(work / "big.db", BIG_STATS)
    since = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%d")
    rows = []
    for label, extra in (("", ()), (" --since (30 days)", ("--since", since))):
        _stats_ms(small, *extra), _stats_ms(big, *extra)
        s_runs, b_runs = [], []
        for _ in range(RUNS):
            s_runs.append(_stats_ms(small, *extra))
            b_runs.append(_stats_ms(big, *extra))
        s, b = statistics.median(s_runs), statistics.median(b_runs)
        rows.append(
            {
                "issue": 8,
                "name": f"nps-kiosk stats{label}, 1M responses",
                "value": b,
                "unit": "ms",
                "baseline": s,
                "baseline_name": f"same, {SMALL_STATS:,} responses",
                "ratio": b / s,
                "target": "<=1.2x",
                "met": b / s <= 1.2,
                "note": f"median of {RUNS} runs of the whole command (a fresh process each)",
            }
        )
    return rows


def run() -> list[dict]:
    return ready_time() + stats_time()


if __name__ == "__main__":
    from bench.run import table

    print(table(run()))
