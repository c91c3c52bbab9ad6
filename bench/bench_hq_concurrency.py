"""HQ on SQLite under many kiosks at once: per-batch latency with 10 devices posting together,
against one device alone on the same server in the same run.

A real HQ process (uvicorn, a SQLite file, 127.0.0.1). Ten enrolled devices (one per store)
each post batches of 50-500 responses in a loop from their own thread, with a short random
pause between batches as a kiosk draining a backlog would (the offered load stays well under
what HQ takes, so the figure is waiting on each other, not an overloaded server). The baseline is
one of those devices alone, first, on the same server. After the run the responses are counted
at HQ: every one sent must be stored exactly once (count per store == sent, and every reply
"accepted").

NPS_BENCH_HQ_CONC_BATCHES sets the batches per device (30); NPS_BENCH_HQ_CONC_DEVICES the
devices (10).
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.bench_hq_ingest import _responses, hq_process

ROOT = Path(__file__).resolve().parent.parent
DEVICES = int(os.environ.get("NPS_BENCH_HQ_CONC_DEVICES") or 10)
BATCHES = int(os.environ.get("NPS_BENCH_HQ_CONC_BATCHES") or 30)  # per device
BASELINE_BATCHES = 60
SIZES = (50, 500)
PAUSE_S = (0.05, 0.25)
P99_TARGET_MS = 250.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class _Device:
    def __init__(self, device_id: str, store: str, token: str, base: str, seed: int) -> None:
        import requests

        self.device_id = device_id
        self.store = store
        self.base = base
        self.rng = random.Random(seed)
        self.session = requests.Session()
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.seq = 1
        self.sent = 0
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def body(self) -> bytes:
        import json
        from datetime import UTC, datetime

        from core.ids import uuid7

        n = self.rng.randint(*SIZES)
        rows = _responses(self.device_id, self.store, self.seq, n)
        self.seq += n
        return json.dumps(
            {
                "protocol": "v1",
                "batch_id": str(uuid7()),
                "device_id": self.device_id,
                "sent_at": datetime.now(UTC).isoformat(),
                "responses": rows,
            }
        ).encode()

    def run(self, batches: int, start: threading.Barrier | None = None) -> None:
        bodies = [self.body() for _ in range(batches)]  # made before the clock starts
        counts = [b.count(b'"seq"') for b in bodies]
        if start is not None:
            start.wait()
        for body, n in zip(bodies, counts, strict=True):
            time.sleep(self.rng.uniform(*PAUSE_S))  # bench only: the kiosk's pause
            t0 = time.perf_counter()
            r = self.session.post(
                self.base + "/api/v1/batches", data=body, headers=self.headers, timeout=120
            )
            took = time.perf_counter() - t0
            if r.status_code != 200:
                self.errors.append(f"HTTP {r.status_code}: {r.text[:200]}")
                continue
            statuses = [x["status"] for x in r.json()["results"]]
            if len(statuses) != n or set(statuses) != {"accepted"}:
                self.errors.append(f"batch not all accepted: {sorted(set(statuses))}")
            self.sent += n
            self.latencies.append(took)


def measure() -> list[dict[str, Any]]:
    from sqlalchemy import func, select

    from hq.models import ResponseRow
    from hq.service import Hq, HqConfig

    with tempfile.TemporaryDirectory(prefix="nps-hq-conc-") as tmp:
        config = HqConfig(data_dir=Path(tmp), db_url=None)
        hq = Hq.open(config)
        enrolled = []
        for i in range(DEVICES + 1):  # the last one is the baseline's lone device
            store = f"conc-{i:02d}"
            hq.add_store(store)
            reply = hq.redeem_enrollment(hq.enroll_device(store_id=store).code)
            enrolled.append((reply.device_id, store, reply.device_token))
        hq.close()
        with hq_process(tmp, config.url) as base:
            lone = _Device(*enrolled[-1], base=base, seed=1000)
            lone.run(3)  # warm-up (imports, first connection)
            lone.latencies.clear()
            lone.run(BASELINE_BATCHES)
            devices = [_Device(*e, base=base, seed=i) for i, e in enumerate(enrolled[:-1])]
            barrier = threading.Barrier(len(devices))
            threads = [
                threading.Thread(target=d.run, args=(BATCHES, barrier), name=f"kiosk-{i}")
                for i, d in enumerate(devices)
            ]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
        hq = Hq.open(config)
        with hq.db.reading() as s:
            stored = dict(
                s.execute(
                    select(ResponseRow.store_id, func.count()).group_by(ResponseRow.store_id)
                ).all()
            )
        hq.close()
    errors = [e for d in [*devices, lone] for e in d.errors]
    lost = sum(abs(stored.get(d.store, 0) - d.sent) for d in [*devices, lone])
    all_lat = [x * 1000 for d in devices for x in d.latencies]
    base_lat = [x * 1000 for x in lone.latencies]
    p50, p99 = _pct(all_lat, 0.5), _pct(all_lat, 0.99)
    b50, b99 = _pct(base_lat, 0.5), _pct(base_lat, 0.99)
    sent = sum(d.sent for d in devices)
    exact = not errors and lost == 0
    note = (
        f"{DEVICES} devices x {BATCHES} batches of {SIZES[0]}-{SIZES[1]} responses, "
        f"{PAUSE_S[0] * 1000:.0f}-{PAUSE_S[1] * 1000:.0f} ms apart; {sent} responses in "
        f"{wall:.1f} s ({sent / wall:,.0f}/s); max {max(all_lat):.0f} ms; stored exactly once: "
        f"{'yes' if exact else f'NO ({lost} off, {len(errors)} bad replies: {errors[:2]})'}"
    )
    common = {"issue": 14, "unit": "ms", "baseline_name": "1 device alone, same server and run"}
    return [
        {
            **common,
            "name": f"HQ SQLite, {DEVICES} concurrent devices: batch latency p50",
            "value": round(p50, 1),
            "baseline": round(b50, 1),
            "ratio": round(p50 / b50, 2),
            "target": "(reported with p99)",
            "met": None if exact else False,
            "note": note,
        },
        {
            **common,
            "name": f"HQ SQLite, {DEVICES} concurrent devices: batch latency p99",
            "value": round(p99, 1),
            "baseline": round(b99, 1),
            "ratio": round(p99 / b99, 2),
            "target": f"<={P99_TARGET_MS:.0f} ms, nothing lost",
            "met": p99 <= P99_TARGET_MS and exact,
            "note": note,
        },
    ]


def run() -> list[dict[str, Any]]:
    return measure()


if __name__ == "__main__":
    for row in run():
        print(row)
