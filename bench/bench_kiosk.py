"""Issue 3 figures: time to first frame, tap -> durable, and peak memory of the smoke run."""

from __future__ import annotations

import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = 7
TAPS = 2000


def _launch(cmd: list[str]) -> tuple[float, float, int]:
    """(wall ms from spawn to the first-frame line, the program's own first_frame_ms, peak RSS
    kB of the whole run). Both programs are started the same way: a fresh interpreter, Qt
    offscreen, stdout read line by line."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert proc.stdout is not None
    wall = None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if wall is None and line.startswith("first_frame_ms="):
            wall = (time.perf_counter() - t0) * 1000
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = "".join(lines)
    if proc.returncode != 0 or wall is None:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {out}")
    own = float(re.search(r"first_frame_ms=([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return wall, own, int(usage.ru_maxrss)


def start_up() -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="bench-smoke-"))
    db = work / "kiosk.db"
    kiosk = [sys.executable, "-m", "ui.cli", "--smoke", "--db", str(db)]
    bare = [sys.executable, str(HERE / "bare_window.py")]
    _launch(kiosk)  # first run makes and migrates the database; warm both file caches
    _launch(bare)
    k_runs, b_runs = [], []
    for _ in range(RUNS):  # interleaved, so that machine noise hits both alike
        k_runs.append(_launch(kiosk))
        b_runs.append(_launch(bare))
    k_wall = statistics.median(r[0] for r in k_runs)
    b_wall = statistics.median(r[0] for r in b_runs)
    k_rss = statistics.median(r[2] for r in k_runs) / 1024
    b_rss = statistics.median(r[2] for r in b_runs) / 1024
    return [
        {
            "issue": 3,
            "name": "Time to first frame (nps-kiosk --smoke)",
            "value": k_wall,
            "unit": "ms",
            "baseline": b_wall,
            "baseline_name": "bare PySide6 window, 11 buttons",
            "ratio": k_wall / b_wall,
            "target": "<=1.5x",
            "met": k_wall / b_wall <= 1.5,
            "note": f"median of {RUNS} process starts each, offscreen, spawn to first paint; "
            f"in-process times {statistics.median(r[1] for r in k_runs):.0f} ms vs "
            f"{statistics.median(r[1] for r in b_runs):.0f} ms",
        },
        {
            "issue": 3,
            "name": "Peak memory of the smoke run",
            "value": k_rss,
            "unit": "MB",
            "baseline": b_rss,
            "baseline_name": "bare PySide6 window",
            "ratio": k_rss / b_rss,
            "target": "<=1.5x",
            "met": k_rss / b_rss <= 1.5,
        },
    ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def tap_to_durable() -> list[dict]:
    from kiosk.db import open_database
    from kiosk.recording import Recorder

    work = Path(tempfile.mkdtemp(prefix="bench-tap-"))
    # Baselines: the least a durable tap can cost, with raw sqlite3 (WAL, synchronous=FULL):
    # (a) the same row into the same table (made by our migrations, with its indexes), which
    # is the unavoidable cost of storing a response; (b) a bare 4-column table, for reference.
    open_database(work / "raw.db").close()
    same_ms = _raw_inserts(
        work / "raw.db",
        """INSERT INTO responses (id, seq, store_id,
        device_id, channel, language, question_version, score, category, reasons,
        contact_consent, device_time, time_to_answer_ms, status, suspect, sync_state)
        VALUES (?, ?, 'store-1', 'dev-1', 'kiosk', 'en', 1, ?, 'passive', '[]', 0, ?, 3000,
        'incomplete', 0, 'pending')""",
    )
    bare_ms = _raw_inserts(
        work / "bare.db",
        "INSERT INTO r VALUES (?, ?, ?, ?)",
        create="CREATE TABLE r (id TEXT PRIMARY KEY, seq INTEGER, score INTEGER, t TEXT)",
    )
    db = open_database(work / "kiosk.db")
    clock = [datetime(2026, 1, 1)]

    def tick() -> datetime:  # taps 10 s apart, so the suspect checks see a realistic history
        clock[0] += timedelta(seconds=10)
        return clock[0]

    recorder = Recorder(db, clock=tick)
    ours = []
    for i in range(TAPS):
        t0 = time.perf_counter()
        recorder.record_score(score=i % 11, language="en", time_to_answer_ms=3000)
        ours.append((time.perf_counter() - t0) * 1000)
    db.close()
    p50, p99 = statistics.median(ours), _percentile(ours, 0.99)
    b50, b99 = statistics.median(same_ms), _percentile(same_ms, 0.99)
    bare50 = statistics.median(bare_ms)
    name = "raw sqlite3 insert+commit of the same row"
    return [
        {
            "issue": 3,
            "name": "Tap -> durable, p50",
            "value": p50,
            "unit": "ms",
            "baseline": b50,
            "baseline_name": name,
            "ratio": p50 / b50,
            "target": "<=3x",
            "met": p50 / b50 <= 3,
            "note": f"{TAPS} recorded scores (suspect checks, sequence, rollups included); against "
            f"a bare 4-column table the raw insert takes {bare50:.3f} ms "
            f"({p50 / bare50:.1f}x): the difference is the indexes the outbox and the "
            "dashboard need",
        },
        {
            "issue": 3,
            "name": "Tap -> durable, p99",
            "value": p99,
            "unit": "ms",
            "baseline": b99,
            "baseline_name": name,
            "ratio": p99 / b99,
            "target": "<=16 ms",
            "met": p99 <= 16,
        },
    ]


def _raw_inserts(path: Path, sql: str, *, create: str | None = None) -> list[float]:
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    if create:
        raw.execute(create)
    start = datetime(2026, 1, 1)
    out = []
    for i in range(TAPS):
        t0 = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute(sql, (str(uuid.uuid4()), i + 1, i % 11, str(start + timedelta(seconds=10 * i))))
        raw.execute("COMMIT")
        out.append((time.perf_counter() - t0) * 1000)
    raw.close()
    return out


def run() -> list[dict]:
    return tap_to_durable() + start_up()


if __name__ == "__main__":
    from bench.run import table

    print(table(run()))
