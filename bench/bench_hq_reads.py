"""HQ analyst reads at chain scale: /api/v1/nps (chain 90 days, group_by=store, week, group, all
over 90 days) and the dashboard, at N responses against the same read at 100k in the same run
(issue "Chain scale"): two databases per backend, one with 100k and one with N, the reads timed
in turn on both (so that both see the same load on a shared machine), medians of 7.

HQ is seeded directly, never through the API: responses over 2 years and 500 stores in five
time zones and 10 regions, in time order, inserted in bulk (executemany on SQLite with
``synchronous=OFF`` for the seed, binary COPY on PostgreSQL; the responses' secondary indexes
dropped and made again after) and their rollups written with hq.rollups.write, then checked
against a recount of a sample of stores (:func:`_check_rollups`). N comes from
NPS_BENCH_HQ_READS_N (default 10 000 000, what the issue asks; set it smaller on a shared
machine); NPS_BENCH_HQ_READS_BACKEND=sqlite or postgresql runs one backend. SQLite always;
PostgreSQL in a fresh database when NPS_TEST_PG_URL (or the default nps_test server) answers.
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BASE_N = 100_000
STORES = 500
ZONES = ("UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Sydney")
REGIONS = 10
CHUNK = 100_000
TXN = 1_000_000  # rows per seed transaction
REPEAT = 7
PG_DEFAULT = "postgresql+psycopg://nps:nps@127.0.0.1:5432/nps_test"
READS = ("chain 90 days", "group_by=store", "group_by=week", "group_by=group", "dashboard")
TARGET_MS = {"dashboard": 200.0}


def log(text: str) -> None:
    print(f"[bench_hq_reads {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


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


SCORE_CUM = (2, 3, 4, 5, 7, 10, 14, 22, 32, 46, 60)  # weights 2 1 1 1 2 3 4 8 10 14 14
SLOT_S = 900  # every zone here changes offset on a quarter hour: a local day per slot


def _columns() -> tuple[str, ...]:
    from hq.ingest import _COLUMNS

    return _COLUMNS


def _seed(hq: Any, count: int, id_base: int, end: datetime) -> None:
    """``count`` responses spread evenly over the 2 years before ``end`` (ids from
    ``id_base``), in time order, straight into the tables: SQLite one executemany per chunk in
    transactions of TXN rows with ``synchronous=OFF`` (for the seed only),
    PostgreSQL binary COPY (ingest's own). Each chunk's rollup deltas are counted here
    (a local day per store zone and quarter hour) and written with hq.rollups.write, the ingest
    transaction's own upserts; :func:`_check_rollups` then compares a sample of stores with a
    recount of their raw rows by hq.rollups.deltas."""
    from hq.ingest import _copy_rows
    from hq.rollups import local_day, store_zones, write

    rnd = random.Random(id_base)
    cols = _columns()
    sqlite = hq.db.is_sqlite
    received = end.replace(tzinfo=None)
    first_ts = int((end - timedelta(days=730)).timestamp())
    span_s = 730 * 86400
    with hq.db.reading() as s:
        zones = store_zones(s.connection(), [_store(i) for i in range(STORES)])
    store_names = [_store(i) for i in range(STORES)]
    device_names = [f"k-{i:03d}" for i in range(STORES)]
    store_tz = [zones.get(name, "UTC") for name in store_names]
    day_of: dict[tuple[str, int], Any] = {}
    epoch = datetime(1970, 1, 1)
    cat_of = ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2
    slot_of = {"promoter": 0, "passive": 1, "detractor": 2}
    minute_of: dict[int, str] = {}  # SQLite's text of a time: its minute, then the seconds
    if sqlite:
        sql = f"INSERT INTO responses ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        at: Any = received.isoformat(" ", "microseconds")
    else:
        at = received
    with hq.db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        if sqlite:
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute("PRAGMA cache_size=-2000000")  # 2 GB of pages while seeding
        else:
            conn.exec_driver_sql("SET synchronous_commit = off")
            conn.exec_driver_sql("SET maintenance_work_mem = '1GB'")
        indexes = _drop_indexes(conn)
        done_in_txn = 0
        for lo in range(0, count, CHUNK):
            n = min(count, lo + CHUNK) - lo
            store_i = rnd.choices(range(STORES), k=n)
            scores = rnd.choices(range(11), cum_weights=SCORE_CUM, k=n)
            channels = rnd.choices(("qr", "kiosk"), cum_weights=(15, 100), k=n)
            languages = rnd.choices(("hi", "en"), cum_weights=(30, 100), k=n)
            versions = rnd.choices((None, 1, 2), k=n)
            suspects = rnd.choices((True, False), cum_weights=(2, 100), k=n)
            jitter = rnd.choices(range(60), k=n)
            rows = []
            fine: dict[tuple[Any, ...], list[int]] = {}
            days: dict[tuple[Any, ...], list[int]] = {}
            for j in range(n):
                k = lo + j
                si = store_i[j]
                score = scores[j]
                cat = cat_of[score]
                suspect = suspects[j]
                version = versions[j]
                t = first_ts + span_s * k // count + jitter[j]
                tz = store_tz[si]
                day = day_of.get((tz, t // SLOT_S))
                if day is None:
                    day = day_of[(tz, t // SLOT_S)] = local_day(
                        epoch + timedelta(seconds=t - t % SLOT_S), tz
                    )
                if sqlite:
                    minute = minute_of.get(t // 60)
                    if minute is None:
                        minute = minute_of[t // 60] = (
                            epoch + timedelta(seconds=t - t % 60)
                        ).isoformat(" ")[:17]
                    when: Any = f"{minute}{t % 60:02d}.000000"
                else:
                    when = epoch + timedelta(seconds=t)
                g = id_base + k
                rows.append(
                    (
                        f"{g:08x}-0000-4000-8000-{g * 2654435761 % (1 << 48):012x}",
                        g,
                        store_names[si],
                        device_names[si],
                        channels[j],
                        languages[j],
                        1,
                        score,
                        cat,
                        "[]",
                        "Queue was long at the till" if score < 4 and k & 1 else None,
                        False,
                        None,
                        None,
                        when,
                        1800,
                        "done",
                        suspect,
                        "burst" if suspect else None,
                        version,
                        "0" * 64,
                        at,
                        None,
                        when,  # corrected_time
                        False,  # clock_corrected
                    )
                )
                slot = slot_of[cat] + (3 if suspect else 0)
                key = (store_names[si], day)
                fine.setdefault((*key, channels[j], languages[j], version or 0), [0] * 6)[slot] += 1
                days.setdefault(key, [0] * 6)[slot] += 1
            if sqlite:
                conn.exec_driver_sql(sql, rows)
            else:
                _copy_rows(conn, rows)
            write(conn, fine, days)
            done_in_txn += n
            if done_in_txn >= TXN:
                conn.commit()
                done_in_txn = 0
        conn.commit()
        for ddl in indexes:  # one sort each instead of 10M random index inserts
            conn.exec_driver_sql(ddl)
        conn.commit()
        if sqlite:
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute("PRAGMA cache_size=-2000")
        else:
            conn.exec_driver_sql("RESET synchronous_commit")
            conn.exec_driver_sql("RESET maintenance_work_mem")
            conn.commit()


def _drop_indexes(conn: Any) -> list[str]:
    """Drop the responses table's secondary indexes (for a bulk load); returns their DDL to
    create them again, exactly as they were."""
    if conn.dialect.name == "sqlite":
        found = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses' "
            "AND substr(name, 1, 3) = 'ix_' AND sql IS NOT NULL"
        ).all()
    else:
        found = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'responses' "
            "AND left(indexname, 3) = 'ix_'"
        ).all()
    for name, _ddl in found:
        conn.exec_driver_sql(f"DROP INDEX {name}")
    conn.commit()
    return [ddl for _name, ddl in found]


def _check_rollups(hq: Any, sample: int = 5) -> None:
    """The seeded rollups of a sample of stores (all three tables) equal what ingest would
    have written: their raw rows recounted by hq.rollups.deltas (ingest's function) with their
    zones."""
    from hq.rollups import _raw_answers, deltas, store_zones, weeks_of

    stores = [_store(i) for i in random.Random(7).sample(range(STORES), sample)]
    with hq.db.engine.connect() as conn:
        sqlite = hq.db.is_sqlite
        mark = "?" if sqlite else "%s"
        for sid in stores:
            zones = store_zones(conn, [sid])
            fine, days = deltas(_raw_answers(conn, sid), zones)
            got = {}
            for row in conn.exec_driver_sql(
                "SELECT store_id, day, promoters, passives, detractors, suspect_promoters, "
                "suspect_passives, suspect_detractors FROM nps_day_rollups "
                f"WHERE store_id = {mark}",
                (sid,),
            ):
                d = row[1] if not isinstance(row[1], str) else datetime.fromisoformat(row[1]).date()
                got[(row[0], d)] = list(row[2:])
            assert got == days, f"seeded day rollups of {sid} differ from a recount"
            got_fine = {}
            for row in conn.exec_driver_sql(
                "SELECT store_id, day, channel, language, survey_version, promoters, passives, "
                "detractors, suspect_promoters, suspect_passives, suspect_detractors "
                f"FROM nps_rollups WHERE store_id = {mark}",
                (sid,),
            ):
                d = row[1] if not isinstance(row[1], str) else datetime.fromisoformat(row[1]).date()
                got_fine[(row[0], d, *row[2:5])] = list(row[5:])
            assert got_fine == fine, f"seeded rollups of {sid} differ from a recount"
            got_weeks = {}
            for row in conn.exec_driver_sql(
                "SELECT store_id, week, promoters, passives, detractors, suspect_promoters, "
                "suspect_passives, suspect_detractors FROM nps_week_rollups "
                f"WHERE store_id = {mark}",
                (sid,),
            ):
                w = row[1] if not isinstance(row[1], str) else datetime.fromisoformat(row[1]).date()
                got_weeks[(row[0], w)] = list(row[2:])
            assert got_weeks == weeks_of(days), f"seeded week rollups of {sid} differ"


def _analyze(hq: Any) -> None:
    """Fresh planner statistics after a bulk load (what autovacuum would soon do; on
    PostgreSQL a VACUUM too, so the rollups' covering indexes can be read alone)."""
    with hq.db.engine.connect() as conn:
        if hq.db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            return
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        auto.exec_driver_sql("VACUUM ANALYZE")


def _interleaved(small: dict[str, Any], big: dict[str, Any]) -> tuple[dict[str, float], ...]:
    """Median ms of each read on both databases, timed in turn (small, big, small, ...) so
    that both see the same load on a shared machine."""
    out_small, out_big = {}, {}
    for name in READS:
        small[name]()  # warm
        big[name]()
        times: tuple[list[float], list[float]] = ([], [])
        for _ in range(REPEAT):
            for fn, acc in ((small[name], times[0]), (big[name], times[1])):
                t0 = time.perf_counter()
                fn()
                acc.append(time.perf_counter() - t0)
        out_small[name] = statistics.median(times[0]) * 1000
        out_big[name] = statistics.median(times[1]) * 1000
    return out_small, out_big


def _reads(hq: Any, end: datetime) -> dict[str, Any]:
    """Each measured read as a call: /api/v1/nps through the app (TestClient), the dashboard
    as its route builds it (figures, then the page)."""
    from fastapi.testclient import TestClient

    from hq import analytics
    from hq.app import create_app
    from hq.auth import Principal
    from hq.pages import dashboard_page
    from hq.roles import Role

    client = TestClient(create_app(hq))
    since = (end - timedelta(days=90)).isoformat().replace("+00:00", "Z")
    until = end.isoformat().replace("+00:00", "Z")
    headers = {"Authorization": f"Bearer {hq.create_api_token('bench')}"}

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
        "chain 90 days": nps(),
        "group_by=store": nps(group_by="store"),
        "group_by=week": nps(group_by="week"),
        "group_by=group": nps(group_by="group"),
        "dashboard": dashboard,
    }


def _backend(label: str, db_urls: tuple[str | None, str | None], n: int) -> list[dict[str, Any]]:
    """Two databases of one backend: 100k responses in one, N in the other (the same first
    100k, then the rest over the same 2 years); the reads timed in turn on both."""
    from hq.service import Hq, HqConfig

    base_n = min(BASE_N, n)
    with tempfile.TemporaryDirectory(prefix="nps-hq-reads-") as tmp:
        small = Hq.open(HqConfig(data_dir=Path(tmp) / "small", db_url=db_urls[0]))
        big = Hq.open(HqConfig(data_dir=Path(tmp) / "big", db_url=db_urls[1]))
        try:
            end = datetime.now(UTC)
            for hq in (small, big):
                _setup(hq)
                t0 = time.perf_counter()
                _seed(hq, base_n, 0, end)
                _analyze(hq)
                log(f"{label}: seeded {base_n:,} in {time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()
            if n != base_n:
                _seed(big, n - base_n, base_n, end)
                _analyze(big)
            seed_s = time.perf_counter() - t0
            log(f"{label}: seeded {n - base_n:,} more in {seed_s:.1f} s")
            _check_rollups(small)
            _check_rollups(big)
            base, at_n = _interleaved(_reads(small, end), _reads(big, end))
            log(f"{label}: at {base_n:,}: {base}")
            log(f"{label}: at {n:,}: {at_n}")
        finally:
            small.close()
            big.close()
    big_ms = at_n
    rows = []
    for name in READS:
        target = TARGET_MS.get(name, 50.0)
        ratio = big_ms[name] / base[name] if base[name] else None
        rows.append(
            {
                "issue": "Chain scale",
                "name": f"HQ read {name} at {n:,} responses ({label})",
                "value": round(big_ms[name], 2),
                "unit": "ms",
                "baseline": round(base[name], 2),
                "baseline_name": f"same read at {base_n:,}",
                "ratio": round(ratio, 2) if ratio else None,
                "target": f"≤ {target:g} ms and ≤ 1.5× its time at 100k",
                "met": big_ms[name] <= target and (ratio or 0) <= 1.5,
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
    """Both backends; NPS_BENCH_HQ_READS_BACKEND=sqlite or postgresql runs one (two processes
    can then seed at once)."""
    n = _n()
    only = os.environ.get("NPS_BENCH_HQ_READS_BACKEND", "")
    rows = _backend("SQLite", (None, None), n) if only in ("", "sqlite") else []
    if only == "sqlite":
        return rows
    pg = [_pg_database(), _pg_database()]
    try:
        if pg[0] is None or pg[1] is None:
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
        rows += _backend("PostgreSQL", (pg[0][0], pg[1][0]), n)
    finally:
        for db in pg:
            if db is not None:
                _drop(db[1])
    return rows


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
