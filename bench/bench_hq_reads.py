"""HQ analyst reads at chain scale: /api/v1/nps (chain 90 days, group_by=store, week, group, all
over 90 days) and the dashboard, at 100k responses and again at N, each against its own time
at 100k in the same run (issue "Chain scale").

HQ is seeded directly, never through the API: responses over 2 years and 500 stores in five
time zones and 10 regions, inserted with the ingest's own driver path (executemany on
SQLite, binary COPY on PostgreSQL) and counted into the rollups with hq.rollups' functions.
N comes from NPS_BENCH_HQ_READS_N (default 10 000 000, what the issue asks; set it smaller
on a shared machine). SQLite always; PostgreSQL in a fresh database when NPS_TEST_PG_URL (or
the default nps_test server) answers.
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BASE_N = 100_000
STORES = 500
ZONES = ("UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Sydney")
REGIONS = 10
CHUNK = 50_000
REPEAT = 7
PG_DEFAULT = "postgresql+psycopg://nps:nps@127.0.0.1:5432/nps_test"
READS = ("chain 90 days", "group_by=store", "group_by=week", "group_by=group", "dashboard")
TARGET_MS = {"dashboard": 200.0}


def _n() -> int:
    return int(os.environ.get("NPS_BENCH_HQ_READS_N") or 10_000_000)


def _setup(hq: Any) -> None:
    from hq.groups import add_group, set_group
    from hq.models import DeviceRow
    from hq.profiles import set_settings

    for i in range(STORES):
        hq.add_store(_store(i))
    for r in range(REGIONS):
        add_group(hq, f"region-{r}")
        # Each region's stores in one zone (the zone set on the region).
        tz = ZONES[r % len(ZONES)]
        if tz != "UTC":
            set_settings(hq, "group", f"region-{r}", {"time_zone": tz}, actor="bench")
    with hq.db.writing() as s:
        for i in range(STORES):
            s.add(DeviceRow(device_id=f"k-{i:03d}", store_id=_store(i)))
    for i in range(STORES):
        set_group(hq, store_id=_store(i), group_id=f"region-{i % REGIONS}")


def _store(i: int) -> str:
    return f"store-{i:03d}"


def _seed(hq: Any, count: int, id_base: int, end: datetime) -> None:
    """``count`` responses spread evenly over the 2 years before ``end`` (ids from
    ``id_base``), rows in ingest's column order, inserted as ingest inserts them."""
    from hq.ingest import _sqlite_time, insert_rows
    from hq.rollups import Answer, deltas, store_zones, write

    rnd = random.Random(id_base)
    span = timedelta(days=730).total_seconds()
    first = end - timedelta(days=730)
    sqlite = hq.db.is_sqlite
    received = end.replace(tzinfo=None)
    at: Any = _sqlite_time(received) if sqlite else received
    with hq.db.reading() as s:
        zones = store_zones(s.connection(), [_store(i) for i in range(STORES)])
    for lo in range(0, count, CHUNK):
        hi = min(count, lo + CHUNK)
        rows, answers = [], []
        for k in range(lo, hi):
            store_i = rnd.randrange(STORES)
            store = _store(store_i)
            when = first + timedelta(seconds=span * k / count + rnd.random() * 60)
            naive = when.replace(tzinfo=None)
            score = rnd.choices(range(11), weights=(2, 1, 1, 1, 2, 3, 4, 8, 10, 14, 14))[0]
            cat = "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
            channel = "qr" if rnd.random() < 0.15 else "kiosk"
            language = "hi" if rnd.random() < 0.3 else "en"
            version = rnd.choice((None, 1, 2))
            suspect = rnd.random() < 0.02
            comment = "Queue was long at the till" if score < 4 and rnd.random() < 0.5 else None
            rows.append(
                (
                    str(uuid.UUID(int=((id_base + k) << 64) | rnd.getrandbits(64))),
                    id_base + k,
                    store,
                    f"k-{store_i:03d}",
                    channel,
                    language,
                    1,
                    score,
                    cat,
                    "[]",
                    comment,
                    False,
                    None,
                    None,
                    _sqlite_time(naive) if sqlite else naive,
                    1800,
                    "done",
                    suspect,
                    "burst" if suspect else None,
                    version,
                    "0" * 64,
                    at,
                    None,
                    _sqlite_time(naive) if sqlite else naive,  # corrected_time
                    False,  # clock_corrected
                )
            )
            answers.append(Answer(store, naive, channel, language, version, cat, suspect))
        with hq.db.writing() as s:
            insert_rows(s, rows)
            write(s.connection(), *deltas(answers, zones))


def _analyze(hq: Any) -> None:
    """Fresh planner statistics after a bulk load (what autovacuum would soon do)."""
    with hq.db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def _time(fn: Any) -> float:
    fn()  # warm
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _measure(hq: Any, client: Any, token: str, end: datetime) -> dict[str, float]:
    from hq import analytics
    from hq.auth import Principal
    from hq.pages import dashboard_page
    from hq.roles import Role

    since = (end - timedelta(days=90)).isoformat().replace("+00:00", "Z")
    until = end.isoformat().replace("+00:00", "Z")
    headers = {"Authorization": f"Bearer {token}"}

    def nps(**params: str) -> Any:
        def call() -> None:
            r = client.get(
                "/api/v1/nps", params={"from": since, "to": until, **params}, headers=headers
            )
            r.raise_for_status()

        return call

    user = Principal(kind="user", name="bench", role=Role.OWNER, contact=True)

    def dashboard() -> None:
        board = analytics.dashboard(hq)
        dashboard_page(board, user=user, now=end.replace(tzinfo=None))

    return {
        "chain 90 days": _time(nps()),
        "group_by=store": _time(nps(group_by="store")),
        "group_by=week": _time(nps(group_by="week")),
        "group_by=group": _time(nps(group_by="group")),
        "dashboard": _time(dashboard),
    }


def _backend(label: str, db_url: str | None, n: int) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from hq.app import create_app
    from hq.service import Hq, HqConfig

    with tempfile.TemporaryDirectory(prefix="nps-hq-reads-") as tmp:
        hq = Hq.open(HqConfig(data_dir=Path(tmp), db_url=db_url))
        try:
            end = datetime.now(UTC)
            _setup(hq)
            token = str(hq.create_api_token("bench"))
            client = TestClient(create_app(hq))
            # 100k over the 2 years, measured; then the rest over the same 2 years.
            base_n = min(BASE_N, n)
            _seed(hq, base_n, 0, end)
            _analyze(hq)
            base = _measure(hq, client, token, end)
            t0 = time.perf_counter()
            if n != base_n:
                _seed(hq, n - base_n, base_n, end)
                _analyze(hq)
            seed_s = time.perf_counter() - t0
            big = _measure(hq, client, token, end) if n != base_n else base
        finally:
            hq.close()
    rows = []
    for name in READS:
        target = TARGET_MS.get(name, 50.0)
        ratio = big[name] / base[name] if base[name] else None
        rows.append(
            {
                "issue": "Chain scale",
                "name": f"HQ read {name} at {n:,} responses ({label})",
                "value": round(big[name], 2),
                "unit": "ms",
                "baseline": round(base[name], 2),
                "baseline_name": f"same read at {base_n:,}",
                "ratio": round(ratio, 2) if ratio else None,
                "target": f"≤ {target:g} ms and ≤ 1.5× its time at 100k",
                "met": big[name] <= target and (ratio or 0) <= 1.5,
                "note": f"seeded {n - base_n:,} more responses in {seed_s:.0f} s"
                if name == "chain 90 days"
                else "",
            }
        )
    return rows


def _pg_database() -> tuple[str, str] | None:
    """A fresh database on the test server: (its URL, its name), or None."""
    from sqlalchemy.engine import make_url

    admin = os.environ.get("NPS_TEST_PG_URL") or PG_DEFAULT
    try:
        import psycopg

        url = make_url(admin)
        conninfo = (
            f"host={url.host} port={url.port or 5432} user={url.username} "
            f"password={url.password} dbname={url.database}"
        )
        name = f"nps_hq_reads_{secrets.token_hex(4)}"
        with psycopg.connect(conninfo, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return url.set(database=name).render_as_string(hide_password=False), name
    except Exception:
        return None


def _drop(name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(os.environ.get("NPS_TEST_PG_URL") or PG_DEFAULT)
    conninfo = (
        f"host={url.host} port={url.port or 5432} user={url.username} "
        f"password={url.password} dbname={url.database}"
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run() -> list[dict[str, Any]]:
    n = _n()
    rows = _backend("SQLite", None, n)
    pg = _pg_database()
    if pg is None:
        rows.append(
            {
                "issue": "Chain scale",
                "name": "HQ reads (PostgreSQL)",
                "value": None,
                "met": None,
                "note": "no PostgreSQL server answered (set NPS_TEST_PG_URL)",
            }
        )
        return rows
    try:
        rows += _backend("PostgreSQL", pg[0], n)
    finally:
        _drop(pg[1])
    return rows


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
