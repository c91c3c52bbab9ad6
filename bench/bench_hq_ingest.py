"""HQ ingest throughput: 500-response batches over HTTP on loopback (a real uvicorn process)
against a raw DBAPI write of the same rows into the same table, in the same run (SQLite: an
executemany; PostgreSQL: a binary COPY, as HQ writes them, one transaction per 500).

Beside it, in the same server and run, the same workload as protocol v2 batches that each carry
the device's health report (``DeviceHealthV1``): v1 and v2 batches alternate, so both see the
same table size and machine state, and the v2 row's baseline is the v1 rate (target >= 0.95x).

SQLite always; PostgreSQL when NPS_TEST_PG_URL (default postgresql+psycopg://nps:nps@127.0.0.1:
5432/nps_test) answers: the bench creates its own database beside it (a random name; the role
needs CREATEDB) and drops it afterwards, so it never touches the named database. Otherwise a row
with met=None and a note. NPS_BENCH_HQ_BATCHES sets the measured batches per protocol (40).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BATCH = 500
BATCHES = int(os.environ.get("NPS_BENCH_HQ_BATCHES") or 40)  # 40: 20 000 responses per protocol
WARMUP = 3
HEALTH_TARGET = 0.95  # v2 with health, as a share of v1 without
PG_DEFAULT = "postgresql+psycopg://nps:nps@127.0.0.1:5432/nps_test"
# Why a run can fall short (measured with py-spy and per-process CPU time on the 2-core bench
# machine): the client sends one batch at a time, so everything below is in series.
SHORT_BECAUSE = {
    "PostgreSQL": "per batch ~12 ms of server Python (pydantic validation of 500 responses "
    "~4.5 ms, hashing ~1.4 ms, rows + binary COPY ~2 ms, HTTP + token check ~2.5 ms), ~5.5 ms "
    "of PostgreSQL CPU (id look-up, COPY into 5 indexes, commit) and ~1.6 ms of client, with "
    "little overlap on 2 shared cores",
    "SQLite": "per batch ~13 ms of server Python and SQLite (validation ~4.5 ms, insert ~4 ms) "
    "plus the commit's fsync and ~1.6 ms of client, on 2 shared cores",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _responses(device: str, store: str, start: int, n: int) -> list[dict[str, Any]]:
    from core.ids import uuid7
    from core.nps import category

    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    out = []
    for seq in range(start, start + n):
        score = seq % 11
        out.append(
            {
                "id": str(uuid7()),
                "seq": seq,
                "store_id": store,
                "device_id": device,
                "channel": "kiosk",
                "language": "en",
                "question_version": 1,
                "score": score,
                "category": category(score).value,
                "reasons": ["wait_time"] if score < 7 else [],
                "comment": "Queue was long at the till" if score < 4 else None,
                "contact_consent": False,
                "contact_name": None,
                "contact_detail": None,
                "device_time": (t0 + timedelta(seconds=seq)).isoformat(),
                "time_to_answer_ms": 1500 + seq % 900,
                "completion": "done",
                "suspect": False,
                "suspect_reason": None,
            }
        )
    return out


def _health(b: int) -> dict[str, Any]:
    """A kiosk's report as it sends one with every v2 batch (healthy; backlog and sizes move)."""
    return {
        "app_version": "7.1.0",
        "schema_revision": "0007",
        "db_bytes": 48 * 1024 * 1024 + b * 4096,
        "free_disk_bytes": 9000 * 1024 * 1024 - b * 4096,
        "backlog": max(0, 1000 - b),
        "oldest_pending_at": datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
        "clock_offset_s": 1.5,
        "started_at": datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
        "recoveries_since_sync": 0,
        "suspect_rate": 0.01,
        "profile_version": 1,
    }


def _bodies(
    device: str, store: str, count: int, first_seq: int, *, protocol: str = "v1"
) -> list[bytes]:
    """``count`` batches of BATCH answers; protocol v2 adds a health report to each."""
    from core.ids import uuid7

    bodies = []
    for b in range(count):
        rows = _responses(device, store, first_seq + b * BATCH, BATCH)
        batch: dict[str, Any] = {
            "protocol": protocol,
            "batch_id": str(uuid7()),
            "device_id": device,
            "sent_at": datetime.now(UTC).isoformat(),
            "responses": rows,
        }
        if protocol == "v2":
            batch["health"] = _health(b)
        bodies.append(json.dumps(batch).encode())
    return bodies


def _wait_for(url: str, proc: subprocess.Popen[bytes], deadline_s: float = 30) -> None:
    import requests

    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("the HQ server exited during start")
        try:
            requests.get(url + "/healthz", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)  # bench only: tests never sleep
    raise RuntimeError("the HQ server did not start within 30 s")


@contextmanager
def hq_process(data_dir: str, db_url: str) -> Iterator[str]:
    """A real HQ server (uvicorn, its own process) on 127.0.0.1 over ``db_url``: its base URL,
    once /healthz answers; stopped on leaving."""
    port = _free_port()
    env = {**os.environ, "NPS_HQ_DATA_DIR": data_dir, "NPS_HQ_DB": db_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "hq.app:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _raw_write(db_url: str, device: str, store: str, batches: int) -> float:
    """Responses per second of a bare write of the same rows, one commit per 500."""
    from core.protocol import RESPONSE_FIELDS, ResponseV1, content_hash
    from hq.db import naive_utc

    cols = (
        *RESPONSE_FIELDS,
        "content_hash",
        "received_at",
        "batch_id",
        "corrected_time",
        "clock_corrected",
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    chunks = []
    for b in range(batches):
        rows = []
        for r in _responses(device, store, 10_000_000 + b * BATCH, BATCH):
            digest = content_hash(ResponseV1.model_validate(r))  # prepared outside the timing
            when = naive_utc(datetime.fromisoformat(r["device_time"]))
            stored: dict[str, Any] = {
                **{f: None for f in RESPONSE_FIELDS},  # v2 fields of a v1 answer: None
                "id": r["id"],
                "seq": r["seq"],
                "store_id": store,
                "device_id": device,
                "channel": "kiosk",
                "language": "en",
                "question_version": 1,
                "score": r["score"],
                "category": r["category"],
                "reasons": json.dumps(r["reasons"]),
                "comment": r["comment"],
                "contact_consent": False,
                "device_time": when,
                "time_to_answer_ms": r["time_to_answer_ms"],
                "completion": "done",
                "suspect": False,
                "content_hash": digest,
                "received_at": now,
                "batch_id": None,
                "corrected_time": when,
                "clock_corrected": False,
            }
            rows.append(tuple(stored[c] for c in cols))
        chunks.append(rows)
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        sql = f"INSERT INTO responses ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        t0 = time.perf_counter()
        for rows in chunks:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, rows)
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - t0
        conn.close()
    else:
        # PostgreSQL: a raw binary COPY of the rows, one transaction per 500, as HQ itself
        # writes them (hq.ingest), so the baseline is the database's own cost of these rows.
        import psycopg
        from sqlalchemy.dialects import postgresql

        from hq.ingest import _copy_types

        types = _copy_types(postgresql.dialect())  # type: ignore[no-untyped-call]  # SQLAlchemy's dialect class is untyped
        pg = psycopg.connect(**_conninfo(db_url))
        sql = f"COPY responses ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)"
        t0 = time.perf_counter()
        for rows in chunks:
            with pg.cursor() as cur, cur.copy(sql) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            pg.commit()
        elapsed = time.perf_counter() - t0
        pg.close()
    return batches * BATCH / elapsed


def _rate_row(
    label: str, latencies: list[float], elapsed: float, target: float
) -> tuple[float, float, float, str]:
    rate = BATCHES * BATCH / elapsed
    latencies = sorted(latencies)
    p99 = latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))] * 1000
    p50 = latencies[len(latencies) // 2] * 1000
    note = (
        f"{BATCHES} batches of {BATCH} over HTTP, one uvicorn worker; batch latency "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    if rate < target:
        note += f"; {1 - rate / target:.0%} short of the target: {SHORT_BECAUSE[label]}"
    return rate, p50, p99, note


def measure(db_url: str | None, label: str, target: float) -> list[dict[str, Any]]:
    """Two rows: v1 batches against a raw executemany, and v2 batches with health against
    the v1 batches, posted alternately to the same server (each rate over its own requests)."""
    import requests

    from hq.service import Hq, HqConfig

    with tempfile.TemporaryDirectory(prefix="nps-hq-bench-") as tmp:
        config = HqConfig(data_dir=Path(tmp), db_url=db_url)
        hq = Hq.open(config)
        store = f"bench-{os.getpid()}-{int(time.time())}"
        hq.add_store(store)
        reply = hq.redeem_enrollment(hq.enroll_device(store_id=store).code)
        url_for_raw = config.url
        hq.close()
        with hq_process(tmp, config.url) as base:
            v1 = _bodies(reply.device_id, store, WARMUP + BATCHES, 1)
            v2 = _bodies(
                reply.device_id,
                store,
                WARMUP + BATCHES,
                1 + (WARMUP + BATCHES) * BATCH,
                protocol="v2",
            )
            session = requests.Session()
            headers = {
                "Authorization": f"Bearer {reply.device_token}",
                "Content-Type": "application/json",
            }

            def post(body: bytes) -> float:
                s0 = time.perf_counter()
                r = session.post(base + "/api/v1/batches", data=body, headers=headers, timeout=60)
                took = time.perf_counter() - s0
                r.raise_for_status()
                if r.json()["results"][0]["status"] != "accepted":
                    raise RuntimeError(f"bench batch not accepted: {r.text[:200]}")
                return took

            for i in range(WARMUP):
                post(v1[i])
                post(v2[i])
            lat1: list[float] = []
            lat2: list[float] = []
            for i in range(WARMUP, WARMUP + BATCHES):
                # Alternate which goes first, so neither always follows the other's commit.
                if i % 2:
                    lat1.append(post(v1[i]))
                    lat2.append(post(v2[i]))
                else:
                    lat2.append(post(v2[i]))
                    lat1.append(post(v1[i]))
        raw = _raw_write(url_for_raw, reply.device_id, store, BATCHES)
    rate, p50, p99, note = _rate_row(label, lat1, sum(lat1), target)
    rate2, p50_2, p99_2, _ = _rate_row(label, lat2, sum(lat2), 0)
    ratio2 = rate2 / rate
    note2 = (
        f"{BATCHES} v2 batches of {BATCH}, each with a health report (no health rule on), "
        f"alternating with the v1 batches on the same server; batch latency p50 {p50_2:.1f} ms, "
        f"p99 {p99_2:.1f} ms (v1: p50 {p50:.1f} ms)"
    )
    if ratio2 < HEALTH_TARGET:
        note2 += f"; {HEALTH_TARGET - ratio2:.1%} below the target"
    return [
        {
            "issue": 5,
            "name": f"HQ ingest, {label}",
            "value": round(rate, 1),
            "unit": "responses/s",
            "baseline": round(raw, 1),
            "baseline_name": "raw executemany" if label == "SQLite" else "raw binary COPY",
            "ratio": round(rate / raw, 3),
            "target": f">={target:,.0f} responses/s",
            "met": rate >= target,
            "p50_ms": round(p50, 1),
            "p99_ms": round(p99, 1),
            "note": note + " (time summed over its own requests)",
        },
        {
            "issue": 5,
            "name": f"HQ ingest with device health in every batch (protocol v2), {label}",
            "value": round(rate2, 1),
            "unit": "responses/s",
            "baseline": round(rate, 1),
            "baseline_name": "protocol v1 batches, same run",
            "ratio": round(ratio2, 3),
            "target": f">={HEALTH_TARGET:.2f}× protocol v1",
            "met": ratio2 >= HEALTH_TARGET,
            "p50_ms": round(p50_2, 1),
            "p99_ms": round(p99_2, 1),
            "note": note2,
        },
    ]


def _conninfo(url: str, **extra: Any) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return {
        "host": u.host or "127.0.0.1",
        "port": u.port or 5432,
        "user": u.username,
        "password": u.password,
        "dbname": u.database,
        **extra,
    }


@contextmanager
def _own_database(admin_url: str) -> Iterator[str]:
    """A fresh database beside ``admin_url``'s (random name), dropped afterwards: the bench
    never migrates or writes the shared one."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"nps_bench_{secrets.token_hex(4)}"
    with psycopg.connect(**_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**_conninfo(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_url() -> str | None:
    url = os.environ.get("NPS_TEST_PG_URL") or PG_DEFAULT
    try:
        import psycopg

        psycopg.connect(**_conninfo(url, connect_timeout=3)).close()
    except Exception:  # noqa: BLE001 - any failure means "no server to measure"
        return None
    return url


def run() -> list[dict[str, Any]]:
    rows = measure(None, "SQLite", 20_000)
    pg = _pg_url()
    if pg:
        with _own_database(pg) as url:
            rows += measure(url, "PostgreSQL", 30_000)
    else:
        rows.append(
            {
                "issue": 5,
                "name": "HQ ingest, PostgreSQL",
                "value": None,
                "unit": "responses/s",
                "baseline": None,
                "baseline_name": "raw binary COPY",
                "ratio": None,
                "target": ">=30,000 responses/s",
                "met": None,
                "note": "no PostgreSQL server: set NPS_TEST_PG_URL to measure",
            }
        )
        rows.append(
            {
                "issue": 5,
                "name": "HQ ingest with device health in every batch (protocol v2), PostgreSQL",
                "value": None,
                "unit": "responses/s",
                "baseline": None,
                "baseline_name": "protocol v1 batches, same run",
                "ratio": None,
                "target": f">={HEALTH_TARGET:.2f}× protocol v1",
                "met": None,
                "note": "no PostgreSQL server: set NPS_TEST_PG_URL to measure",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
