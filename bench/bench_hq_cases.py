"""Follow-up cases at HQ (hq/cases.py) on a temporary SQLite HQ, in process: a v2 batch of 500
case changes against a batch of 500 responses (the baseline, same run), the Cases page's read
(500 newest of N cases), the CSV of all of them, a page of the kiosks' pull, and a
``case_overdue`` evaluation with nothing new to say. NPS_BENCH_HQ_CASES sets N (20 000)."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BATCH = 500
CASES = int(os.environ.get("NPS_BENCH_HQ_CASES") or 20_000)


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def run() -> list[dict[str, Any]]:
    from core.ids import uuid7
    from core.protocol import BatchEnvelope
    from hq import alerts, cases
    from hq.ingest import ingest
    from hq.service import DeviceAuth, Hq, HqConfig

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="nps-bench-cases-") as tmp:
        hq = Hq.open(HqConfig(data_dir=Path(tmp)))
        try:
            hq.add_store("s1", name="S1")
            code = hq.enroll_device(store_id="s1", device_id="k1")
            device = hq.redeem_enrollment(code.code).device_id
            auth = DeviceAuth(device_id=device, store_id="s1")

            def envelope(responses: list[Any], changes: list[Any] | None) -> BatchEnvelope:
                return BatchEnvelope.model_validate(
                    {
                        "protocol": "v2",
                        "batch_id": str(uuid7()),
                        "device_id": device,
                        "sent_at": now.isoformat(),
                        "responses": responses,
                        "cases": changes,
                    }
                )

            ids: list[str] = []
            answer_ms: list[float] = []
            for b in range(CASES // BATCH):
                rows = []
                for i in range(BATCH):
                    seq = b * BATCH + i + 1
                    ids.append(str(uuid7()))
                    rows.append(
                        {
                            "id": ids[-1],
                            "seq": seq,
                            "store_id": "s1",
                            "device_id": device,
                            "channel": "kiosk",
                            "language": "en",
                            "question_version": 1,
                            "score": 2,
                            "category": "detractor",
                            "contact_consent": True,
                            "contact_name": "A",
                            "contact_detail": f"+91 98100 {seq % 100000:05d}",
                            "device_time": (now - timedelta(hours=seq % 200)).isoformat(),
                            "completion": "done",
                        }
                    )
                t0 = time.perf_counter()
                ingest(hq, envelope(rows, None), device=auth)
                answer_ms.append(_ms(t0))
            case_ms: list[float] = []
            for b in range(CASES // BATCH):
                changes = [
                    {
                        "response_id": rid,
                        "state": "contacted",
                        "note": "called",
                        "changed_by": "store manager (k1)",
                        "changed_at": (now - timedelta(minutes=5)).isoformat(),
                    }
                    for rid in ids[b * BATCH : (b + 1) * BATCH]
                ]
                t0 = time.perf_counter()
                ingest(hq, envelope([], changes), device=auth)
                case_ms.append(_ms(t0))
            t0 = time.perf_counter()
            cases.list_cases(hq, cases.CaseFilter(), store_ids=None)
            page_ms = _ms(t0)
            t0 = time.perf_counter()
            every = cases.list_cases(hq, cases.CaseFilter(), store_ids=None, limit=cases.CSV_LIMIT)
            csv_bytes = len("".join(cases.csv_lines(every, contact=True)))
            csv_ms = _ms(t0)
            t0 = time.perf_counter()
            cases.changes_since(hq, "s1", after=CASES // 2, limit=BATCH, device_id="k2")
            pull_ms = _ms(t0)
            alerts.add_rule(
                hq,
                name="bench",
                kind="case_overdue",
                store_id="s1",
                recipients=["email:bench@example.com"],
                params={"hours": 150},
            )
            naive_now = now.replace(tzinfo=None)
            while alerts.evaluate(hq, now=naive_now):  # 1000 a run, until all are told
                pass
            t0 = time.perf_counter()
            alerts.evaluate(hq, now=naive_now)
            quiet_ms = _ms(t0)
        finally:
            hq.close()
    median = sorted(case_ms)[len(case_ms) // 2]
    baseline = sorted(answer_ms)[len(answer_ms) // 2]
    note = f"SQLite, {CASES} cases"
    return [
        {
            "issue": 15,
            "name": "HQ: v2 batch of 500 case changes (median)",
            "value": round(median, 1),
            "unit": "ms",
            "baseline": round(baseline, 1),
            "baseline_name": "a batch of 500 detractor answers",
            "ratio": round(median / baseline, 2),
            "target": "≤ 5× the answers' batch",
            "met": median <= 5 * baseline,
            "note": note,
        },
        {
            "issue": 15,
            "name": f"HQ: Cases page read (500 newest of {CASES})",
            "value": round(page_ms, 1),
            "unit": "ms",
            "target": "< 200 ms",
            "met": page_ms < 200,
            "note": note,
        },
        {
            "issue": 15,
            "name": f"HQ: cases CSV, all {CASES}",
            "value": round(csv_ms, 1),
            "unit": "ms",
            "target": "< 5 s",
            "met": csv_ms < 5000,
            "note": f"{note}, {csv_bytes} bytes",
        },
        {
            "issue": 15,
            "name": "HQ: GET /api/v1/cases page of 500 (service call)",
            "value": round(pull_ms, 1),
            "unit": "ms",
            "target": "< 50 ms",
            "met": pull_ms < 50,
            "note": note,
        },
        {
            "issue": 15,
            "name": "HQ: case_overdue evaluation with nothing new",
            "value": round(quiet_ms, 1),
            "unit": "ms",
            "target": "< 500 ms",
            "met": quiet_ms < 500,
            "note": note,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
