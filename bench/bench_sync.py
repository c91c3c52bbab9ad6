"""Issue 6 benches: draining a 100k-response backlog to HQ, and the GUI stall meanwhile.

HQ runs as its own process (``nps-hq serve``, SQLite) on 127.0.0.1, as in a store. Baseline,
measured in the same run: the raw HTTP POST of the very same 200 batch bodies (pre-serialized,
no kiosk bookkeeping) from a fresh device, with its own response ids, so the ratio is the
kiosk's own cost on top of HTTP + HQ's ingest. The stall is the longest gap of a 5 ms QTimer
probe on the GUI thread (in one QEventLoop, as in the app) while the sync worker drains another
100k on its QThread, minus the probe interval.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

N = int(os.environ.get("NPS_BENCH_SYNC_N", "100000"))
PROBE_MS = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _build_kiosk(path: Path, n: int) -> None:
    from core.ids import uuid7
    from core.nps import category
    from kiosk.db import open_database

    db = open_database(path)
    s = db.settings()
    start = datetime(2026, 6, 1, 9, 0)
    rows = []
    for i in range(n):
        score = (i * 7) % 11
        at = start + timedelta(seconds=60 * i)
        rows.append(
            (
                str(uuid7(unix_ms=int(at.timestamp() * 1000))),
                i + 1,
                s.store_id,
                s.device_id,
                "hi" if i % 3 == 0 else "en",
                score,
                category(score).value,
                json.dumps(["wait_time"] if score < 7 else []),
                "Quick and friendly" if i % 5 == 0 else None,
                at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                1500 + i % 4000,
            )
        )
    with db.write_connection() as conn:
        conn.exec_driver_sql(
            "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
            "question_version, score, category, reasons, comment, contact_consent, device_time, "
            "time_to_answer_ms, status, completion, suspect, sync_state) VALUES "
            "(?, ?, ?, ?, 'kiosk', ?, 1, ?, ?, ?, ?, 0, ?, ?, 'complete', 'done', 0, 'pending')",
            rows,
        )
    db.checkpoint()
    db.close()


class _HqProcess:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hq.cli",
                "serve",
                "--data-dir",
                str(data),
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import requests

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("nps-hq serve did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def _code(data: Path) -> str:
    import uuid

    from hq.service import Hq, HqConfig

    hq = Hq.open(HqConfig(data_dir=data))
    try:
        store = f"bench-{uuid.uuid4().hex[:8]}"
        hq.add_store(store, name="Bench store")
        return str(hq.enroll_device(store_id=store).code)
    finally:
        hq.close()


def _rekey(db: Any) -> None:
    """Fresh response ids for a copy of the template: every device in the run uploads its own
    responses (HQ would otherwise answer the second device's whole backlog as conflicts, a
    cheaper path than a real ingest, which made the baseline and the stall runs dishonest)."""
    from core.ids import uuid7

    with db.write_connection() as conn:
        rows = conn.exec_driver_sql("SELECT rowid, device_time FROM responses").all()
        conn.exec_driver_sql(
            "UPDATE responses SET id = ? WHERE rowid = ?",
            [
                (str(uuid7(unix_ms=int(datetime.fromisoformat(str(t)).timestamp() * 1000))), q)
                for q, t in rows
            ],
        )
    db.checkpoint()


def _ids_by_seq(db: Any) -> dict[int, str]:
    with db.reading() as s:
        return dict(s.connection().exec_driver_sql("SELECT seq, id FROM responses").all())


def _enrolled_copy(template: Path, path: Path, hq: _HqProcess) -> Any:
    from kiosk.db import open_database
    from sync.client import new_session
    from sync.outbox import enroll_kiosk

    shutil.copyfile(template, path)
    db = open_database(path)
    _rekey(db)
    with new_session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=_code(hq.data), session=s)
    return db


def _drain(db: Any) -> tuple[float, list[bytes]]:
    """Time the outbox drain; also return the batch bodies it sent (for the baseline)."""
    from sync.client import new_session
    from sync.outbox import outbox_for

    bodies: list[bytes] = []
    with new_session() as s:
        outbox = outbox_for(db, session=s)
        post = outbox.client.post_batch

        def recording(body: bytes) -> Any:
            bodies.append(body)
            return post(body)

        outbox.client.post_batch = recording  # type: ignore[method-assign]
        t0 = time.perf_counter()
        report = outbox.drain(max_failures=3)
        elapsed = time.perf_counter() - t0
    assert report.synced == N, (report.synced, report.last)
    return elapsed, bodies


def _raw_posts(hq: _HqProcess, bodies: list[bytes], token: str, renames: dict[str, str]) -> float:
    """POST the drain's very bodies as the other device (its store, its ids, new batch ids):
    HQ does the same work as for the drain, the kiosk none of its bookkeeping."""
    import re

    import requests

    from core.ids import uuid7

    def swap(m: re.Match[bytes]) -> bytes:
        if m.group(1) == b"batch_id":
            return b'"batch_id":"' + str(uuid7()).encode() + b'"'
        return m.group(0).replace(m.group(2), renames[m.group(2).decode()].encode())

    pattern = re.compile(rb'"(id|batch_id|device_id|store_id)":"([^"]+)"')
    fixed = [pattern.sub(swap, body) for body in bodies]
    with requests.Session() as s:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        t0 = time.perf_counter()
        for body in fixed:
            r = s.post(hq.base + "/api/v1/batches", data=body, headers=headers, timeout=60)
            r.raise_for_status()
            assert b'"accepted"' in r.content and b'"rejected"' not in r.content, r.content[:300]
        return time.perf_counter() - t0


def _stall(db: Any, *, freeze: bool) -> tuple[float, float, int]:
    """The longest gap of the probe minus its interval, the 99th percentile of the same, and
    how many gaps passed 16 ms."""
    import gc

    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.sync_worker import SyncController

    app = QApplication.instance() or QApplication([])
    assert app is not None  # held for the whole drain
    controller = SyncController(db, interval_ms=3_600_000)
    gaps: list[float] = []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setInterval(PROBE_MS)
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        gaps.append(now - last[0])
        last[0] = now

    probe.timeout.connect(tick)
    # One event loop for the whole drain, as the app's own: PySide6 6.12 on Python 3.11 drops
    # a reference to None on every processEvents() (and QTimer.start()) call from Python, and
    # the earlier processEvents() loop here freed None at exit ("Fatal Python error:
    # none_dealloc"); its sleep/processEvents hand-offs of the GIL also added to the gaps.
    loop = QEventLoop()
    done = [False]

    def seen(overview: Any) -> None:
        if overview.pending == 0 and overview.batches and not done[0]:
            done[0] = True
            loop.quit()

    controller.overview.connect(seen)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    if freeze:
        # What the app does once started (ui/app.py): move the long-lived objects out of the
        # collector's view, so that a full collection, which stops every thread, no longer
        # walks the whole heap.
        gc.collect()
        gc.freeze()
    clock.start()
    probe.start()
    deadline.start(300_000)
    controller.start()
    loop.exec()
    probe.stop()
    deadline.stop()
    controller.shutdown()  # quit() and wait() the sync thread before anything is torn down
    controller.overview.disconnect(seen)
    if freeze:
        gc.unfreeze()
    if not done[0]:
        raise RuntimeError("the worker did not drain the backlog in 300 s")
    late = gaps[5:]
    over = sorted(max(0.0, g - PROBE_MS) for g in late)
    return over[-1], over[int(len(over) * 0.99)], sum(1 for g in over if g > 16)


def run() -> list[dict[str, Any]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk import credentials

    work = Path(tempfile.mkdtemp(prefix="nps-bench-sync-"))
    hq = _HqProcess(work / "hq")
    try:
        template = work / "template.db"
        _build_kiosk(template, N)
        db = _enrolled_copy(template, work / "drain.db", hq)
        drain_s, bodies = _drain(db)
        first = credentials.load(db.path)
        first_ids = _ids_by_seq(db)
        db.close()

        other = _enrolled_copy(template, work / "raw.db", hq)
        creds = credentials.load(other.path)
        other_ids = _ids_by_seq(other)
        renames = {first_ids[q]: other_ids[q] for q in first_ids}
        renames.update({first.device_id: creds.device_id, first.store_id: creds.store_id})
        raw_s = _raw_posts(hq, bodies, creds.device_token, renames)
        other.close()

        gui = _enrolled_copy(template, work / "gui.db", hq)
        stall_plain_ms, _, _ = _stall(gui, freeze=False)
        gui.close()
        gui = _enrolled_copy(template, work / "gui2.db", hq)
        stall_ms, p99_ms, over = _stall(gui, freeze=True)
        gui.close()
    finally:
        hq.stop()
        shutil.rmtree(work, ignore_errors=True)
    return [
        {
            "issue": 6,
            "name": f"Drain {N // 1000}k backlog to HQ (SQLite, loopback)",
            "value": round(drain_s, 2),
            "unit": "s",
            "baseline": round(raw_s, 2),
            "baseline_name": "raw POST of the same batches",
            "ratio": round(drain_s / raw_s, 2),
            "target": "<=10 s",
            "met": drain_s <= 10,
            "note": "HQ as its own process (nps-hq serve); 500 a batch; every device uploads its "
            "own ids (the baseline used to re-send the drain's ids, which HQ answered as "
            "conflicts without storing anything); the ratio is the kiosk's own cost "
            "(select, validate, serialize, apply results), mostly hidden by reading the "
            "next batch while HQ works on the current one",
        },
        {
            "issue": 6,
            "name": f"Longest GUI stall while the worker drains {N // 1000}k",
            "value": round(stall_ms, 1),
            "unit": "ms",
            "baseline": round(stall_plain_ms, 1),
            "baseline_name": "same, without gc.freeze()",
            "ratio": round(stall_ms / stall_plain_ms, 2) if stall_plain_ms else None,
            "target": "<=16 ms",
            "met": stall_ms <= 16,
            "note": f"a {PROBE_MS} ms QTimer on the GUI thread in one QEventLoop; longest gap "
            f"minus the interval (99th percentile {p99_ms:.1f} ms, {over} gaps over 16 ms); with "
            "gc.freeze() after start-up (the stalls without it are full garbage "
            "collections, which stop every thread) and the worker's 1 ms GIL switch "
            "interval; HQ runs on the same two cores, so the figure moves with the "
            "machine's load"
            + ("" if stall_ms <= 16 else f": {stall_ms - 16:.1f} ms over the target in this run"),
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
