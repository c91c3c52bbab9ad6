"""HQ rollups (hq/rollups.py): kept by every insert path in the ingest transaction, every table
(store x day x channel x language x version, store x day, store x ISO week) equal to a raw
recount done here in Python with zoneinfo (random batches with duplicates, conflicts, erasures,
suspect and phone answers, stores in several zones across DST days), rebuilt when a store's
zone changes, by nps-hq rebuild-rollups and by migrations 0005 and 0010; group_by=day is each
store's local day at the DST edges; the reads that take whole weeks from the week table and
the edge days from the day table give what the day table alone gives."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from hqkit import Device, Server, batch, enroll, post_batch, response, statuses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_phone import answer, link

ZONES = ("America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC")
# Days around the DST changes of 2027 in those zones (and a plain one).
DAYS = (
    date(2027, 3, 14),  # New York springs forward
    date(2027, 11, 7),  # New York falls back
    date(2027, 4, 4),  # Sydney falls back
    date(2027, 10, 3),  # Sydney springs forward
    date(2027, 6, 1),
)


def _analyst(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _set_zone(server: Server, store: str, tz: str) -> None:
    from hq.profiles import set_settings

    set_settings(server.hq, "store", store, {"time_zone": tz}, actor="test")


def _recount(server: Server, stores: list[str]) -> dict[tuple[Any, ...], list[int]]:
    """The fine rollups as they should be: raw rows, each store's profile zone, zoneinfo."""
    from hq.profiles import current_profile

    out: dict[tuple[Any, ...], list[int]] = {}
    with server.hq.db.engine.connect() as conn:
        for store in stores:
            tz = ZoneInfo(current_profile(server.hq, store).time_zone)
            rows = conn.exec_driver_sql(
                "SELECT device_time, channel, language, survey_version, category, suspect "
                "FROM responses WHERE store_id = " + ("?" if server.backend == "sqlite" else "%s"),
                (store,),
            ).all()
            for t, ch, lang, sv, cat, sus in rows:
                when = datetime.fromisoformat(t) if isinstance(t, str) else t
                day = when.replace(tzinfo=UTC).astimezone(tz).date()
                slot = {"promoter": 0, "passive": 1, "detractor": 2}[cat] + (3 if sus else 0)
                out.setdefault((store, day, ch, lang, sv or 0), [0] * 6)[slot] += 1
    return out


def _stored(server: Server, stores: list[str]) -> dict[tuple[Any, ...], list[int]]:
    out: dict[tuple[Any, ...], list[int]] = {}
    day_totals: dict[tuple[Any, ...], list[int]] = {}
    mark = "?" if server.backend == "sqlite" else "%s"
    with server.hq.db.engine.connect() as conn:
        for store in stores:
            for row in conn.exec_driver_sql(
                "SELECT store_id, day, channel, language, survey_version, promoters, passives, "
                "detractors, suspect_promoters, suspect_passives, suspect_detractors "
                f"FROM nps_rollups WHERE store_id = {mark}",
                (store,),
            ):
                day = date.fromisoformat(row[1]) if isinstance(row[1], str) else row[1]
                out[(row[0], day, *row[2:5])] = list(row[5:])
            for row in conn.exec_driver_sql(
                "SELECT store_id, day, promoters, passives, detractors, suspect_promoters, "
                "suspect_passives, suspect_detractors FROM nps_day_rollups "
                f"WHERE store_id = {mark}",
                (store,),
            ):
                day = date.fromisoformat(row[1]) if isinstance(row[1], str) else row[1]
                day_totals[(row[0], day)] = list(row[2:])
    # The day table is the fine table summed over channel, language and survey version.
    summed: dict[tuple[Any, ...], list[int]] = {}
    for k, v in out.items():
        acc = summed.setdefault(k[:2], [0] * 6)
        for i, n in enumerate(v):
            acc[i] += n
    assert {k: v for k, v in day_totals.items() if any(v)} == summed
    # The week table is the same summed over each ISO week (keyed by its Monday).
    by_week: dict[tuple[Any, ...], list[int]] = {}
    for (store, day), v in summed.items():
        acc = by_week.setdefault((store, day - timedelta(days=day.weekday())), [0] * 6)
        for i, n in enumerate(v):
            acc[i] += n
    assert {k: v for k, v in _weeks(server, stores).items() if any(v)} == by_week
    return {k: v for k, v in out.items() if any(v)}


def _weeks(server: Server, stores: list[str]) -> dict[tuple[Any, ...], list[int]]:
    out: dict[tuple[Any, ...], list[int]] = {}
    mark = "?" if server.backend == "sqlite" else "%s"
    with server.hq.db.engine.connect() as conn:
        for store in stores:
            for row in conn.exec_driver_sql(
                "SELECT store_id, week, promoters, passives, detractors, suspect_promoters, "
                "suspect_passives, suspect_detractors FROM nps_week_rollups "
                f"WHERE store_id = {mark}",
                (store,),
            ):
                week = date.fromisoformat(row[1]) if isinstance(row[1], str) else row[1]
                out[(row[0], week)] = list(row[2:])
    return out


def _local(day: date, hh: int, mm: int, tz: str) -> str:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo(tz)).isoformat()


# -- the property ---------------------------------------------------------------------------


@st.composite
def _plans(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Batches for 3 devices: each answer a day/time near a DST change, a score, channel,
    language, survey version, suspect flag; some resent as they were, some changed (conflict)."""
    n = draw(st.integers(min_value=1, max_value=4))
    out = []
    for _ in range(n):
        answers = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "dev": st.integers(0, 2),
                        "day": st.sampled_from(DAYS),
                        "minute": st.integers(0, 24 * 60 - 1),
                        "score": st.integers(0, 10),
                        "channel": st.sampled_from(("kiosk", "qr")),
                        "language": st.sampled_from(("en", "hi")),
                        "survey_version": st.sampled_from((None, 1, 2)),
                        "suspect": st.booleans(),
                    }
                ),
                min_size=1,
                max_size=12,
            )
        )
        out.append(
            {
                "answers": answers,
                "resend": draw(st.booleans()),
                "conflict": draw(st.booleans()),
                "phone": draw(st.integers(0, 1)),
                "erase": draw(st.booleans()),
            }
        )
    return out


@pytest.fixture(scope="module")
def zoned(hq_server: Server) -> list[Device]:
    devices = [enroll(hq_server) for _ in range(3)]
    for dev, tz in zip(devices, ZONES, strict=False):
        _set_zone(hq_server, dev.store_id, tz)
    return devices


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=_plans())
def test_rollups_equal_a_raw_recount(
    hq_server: Server, zoned: list[Device], plans: list[dict[str, Any]]
) -> None:
    stores = [d.store_id for d in zoned]
    for plan in plans:
        by_dev: dict[int, list[dict[str, Any]]] = {}
        for a in plan["answers"]:
            dev = zoned[a["dev"]]
            when = datetime(a["day"].year, a["day"].month, a["day"].day, tzinfo=UTC)
            when += timedelta(minutes=a["minute"])
            extra: dict[str, Any] = {}
            if a["survey_version"] is not None:
                extra["survey_version"] = a["survey_version"]
            if a["suspect"]:
                extra.update(suspect=True, suspect_reason="burst")
            body = response(
                dev,
                len(by_dev.get(a["dev"], [])) + 1,
                score=a["score"],
                device_time=when.isoformat(),
                channel=a["channel"],
                language=a["language"],
                **extra,
            )
            by_dev.setdefault(a["dev"], []).append(body)
        for i, rows in by_dev.items():
            dev = zoned[i]
            proto = "v2" if any("survey_version" in r for r in rows) else "v1"
            first = batch(dev, rows, protocol=proto)
            assert set(statuses(post_batch(hq_server, dev, first))) == {"accepted"}
            if plan["resend"]:  # a resend: every answer a duplicate
                again = {**first, "batch_id": str(uuid.uuid4())}
                assert set(statuses(post_batch(hq_server, dev, again))) == {"duplicate"}
            if plan["conflict"]:  # same id, other content: rejected, counted nowhere
                changed = [{**rows[0], "score": (rows[0]["score"] + 1) % 11}]
                changed[0]["category"] = _category(changed[0]["score"])
                assert statuses(
                    post_batch(hq_server, dev, batch(dev, changed, protocol=proto))
                ) == ["rejected"]
        for _ in range(plan["phone"]):  # the phone page's insert path
            dev = zoned[0]
            _url, token = link(hq_server, dev)
            assert answer(hq_server, dev, token, score="9").status_code in (200, 303)
        if plan["erase"]:  # an erasure scrubs the answer's text; it still counts
            from hq.privacy import PersonQuery, erase

            first_rows = next(iter(by_dev.values()))
            erase(hq_server.hq, PersonQuery("response", first_rows[0]["id"]), actor="test")
    assert _stored(hq_server, stores) == _recount(hq_server, stores)
    _check_reads(hq_server, stores)


# Instant ranges around the DAYS: open, within a week, across whole weeks, from/to mid-day.
RANGES = (
    (None, None),
    (datetime(2027, 3, 13, 7), datetime(2027, 3, 15, 13)),
    (datetime(2027, 3, 1, 19), datetime(2027, 4, 20, 3)),
    (datetime(2027, 3, 15), datetime(2027, 3, 22)),
    (datetime(2027, 9, 28, 22), None),
    (None, datetime(2027, 6, 2, 5)),
)


def _check_reads(server: Server, stores: list[str]) -> None:
    """The reads that sum whole weeks of nps_week_rollups and the edge days of nps_day_rollups
    give what summing nps_day_rollups alone gives, for every range, key and scope."""
    from hq.analytics import CountsKey, ResponseFilter, _by_day, _counts, _instant_spans

    def norm(rows: Any) -> list[tuple[Any, ...]]:
        out = []
        for *ks, p, pa, d in rows:
            if p or pa or d:
                out.append((*(str(k) for k in ks), int(p or 0), int(pa or 0), int(d or 0)))
        return sorted(out)

    cases: list[list[CountsKey]] = [[], ["store"], ["week"], ["store", "week"], ["group"]]
    for since, until in RANGES:
        for scope in (frozenset(stores), None):
            for keys in cases:
                flt = ResponseFilter(
                    since=since, until=until, include_suspect=since is None, store_ids=scope
                )
                got = _counts(
                    server.hq, flt, keys[0] if keys else None, extra=(keys[1:] or [None])[0]
                )
                coarse = []
                for k, c in got.items():
                    ks = () if k == "all" else (k if isinstance(k, tuple) else (k,))
                    coarse.append((*ks, c["promoter"], c["passive"], c["detractor"]))
                with server.hq.db.reading() as s:
                    by_day = list(_by_day(s, server.hq, flt, keys, _instant_spans(flt)))
                assert norm(coarse) == norm(by_day), (since, until, keys, scope)


def _category(score: int) -> str:
    from core.nps import category

    return category(score).value


# -- zone changes, rebuild ------------------------------------------------------------------


def test_a_zone_change_rebuilds_the_stores_rollups(hq_server: Server) -> None:
    from hq.groups import add_group, set_group
    from hq.profiles import set_settings
    from hq.rollups import rebuild_rollups

    dev = enroll(hq_server)
    rows = [
        response(dev, i, score=i % 11, device_time=_local(date(2027, 3, 14), 23, 30, "UTC"))
        for i in range(1, 6)
    ]
    statuses(post_batch(hq_server, dev, batch(dev, rows)))
    stores = [dev.store_id]
    assert {k[1] for k in _stored(hq_server, stores)} == {date(2027, 3, 14)}
    _set_zone(hq_server, dev.store_id, "Asia/Kolkata")  # 23:30 UTC is 05:00 the next day
    assert {k[1] for k in _stored(hq_server, stores)} == {date(2027, 3, 15)}
    assert _stored(hq_server, stores) == _recount(hq_server, stores)
    # Through a group: the store's own setting unset, its region's zone applies.
    region = f"r-{uuid.uuid4().hex[:6]}"
    add_group(hq_server.hq, region)
    set_settings(hq_server.hq, "group", region, {"time_zone": "America/New_York"}, actor="t")
    set_settings(hq_server.hq, "store", dev.store_id, {"time_zone": None}, actor="t")
    set_group(hq_server.hq, store_id=dev.store_id, group_id=region)
    assert {k[1] for k in _stored(hq_server, stores)} == {date(2027, 3, 14)}
    assert _stored(hq_server, stores) == _recount(hq_server, stores)
    # nps-hq rebuild-rollups after someone broke a row by hand
    with hq_server.hq.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE nps_day_rollups SET promoters = promoters + 7")
    assert rebuild_rollups(hq_server.hq, store_id=dev.store_id) == 5
    assert _stored(hq_server, stores) == _recount(hq_server, stores)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the CLI opens the data folder
def test_rebuild_rollups_cli(hq_server: Server, device: Device, tmp_path: Path) -> None:
    import io
    from contextlib import redirect_stdout

    from hq.cli import main

    statuses(post_batch(hq_server, device, batch(device, [response(device, 1)])))
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            [
                "rebuild-rollups",
                "--data-dir",
                str(hq_server.hq.config.data_dir),
                "--store",
                device.store_id,
            ]
        )
    assert code == 0 and "recomputed from 1 response." in out.getvalue()


# -- local days at the DST edges ------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day"),
    [
        ("America/New_York", date(2027, 3, 14)),
        ("America/New_York", date(2027, 11, 7)),
        ("Asia/Kolkata", date(2027, 3, 14)),
        ("Australia/Sydney", date(2027, 4, 4)),
        ("Australia/Sydney", date(2027, 10, 3)),
    ],
)
def test_2330_local_lands_on_that_local_day(
    hq_server: Server, analyst_token: str, tz: str, day: date
) -> None:
    dev = enroll(hq_server)
    _set_zone(hq_server, dev.store_id, tz)
    rows = [
        response(dev, 1, score=10, device_time=_local(day, 23, 30, tz)),
        response(dev, 2, score=0, device_time=_local(day, 0, 30, tz)),
        response(dev, 3, score=8, device_time=_local(day + timedelta(days=1), 0, 30, tz)),
    ]
    assert statuses(post_batch(hq_server, dev, batch(dev, rows))) == ["accepted"] * 3
    url = hq_server.url("/api/v1/nps")
    got = requests.get(
        url,
        params={"store": dev.store_id, "group_by": "day"},
        headers=_analyst(analyst_token),
        timeout=10,
    ).json()["groups"]
    assert [(g["key"], g["promoters"], g["detractors"], g["passives"]) for g in got] == [
        (day.isoformat(), 1, 1, 0),
        ((day + timedelta(days=1)).isoformat(), 0, 0, 1),
    ]
    # from/to are instants: a store reads the local days they touch in its zone.
    start = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(tz))
    one_day = requests.get(
        url,
        params={
            "store": dev.store_id,
            "from": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "to": (start + timedelta(hours=1)).astimezone(UTC).isoformat().replace("+00:00", "Z"),
        },
        headers=_analyst(analyst_token),
        timeout=10,
    ).json()["groups"]
    assert one_day[0]["n"] == 2
    week = requests.get(
        url,
        params={"store": dev.store_id, "group_by": "week"},
        headers=_analyst(analyst_token),
        timeout=10,
    ).json()["groups"]
    mondays = {(d - timedelta(days=d.weekday())).isoformat() for d in (day, day + timedelta(1))}
    assert {g["key"] for g in week} == mondays
    assert sum(g["n"] for g in week) == 3


def test_a_chain_day_is_the_union_of_local_days(hq_server: Server, analyst_token: str) -> None:
    """Two stores, 23:30 local on the same date in two zones: one chain day with both."""
    group = f"g-{uuid.uuid4().hex[:6]}"
    from hq.groups import add_group, set_group

    add_group(hq_server.hq, group)
    day = date(2027, 11, 7)
    for tz in ("America/New_York", "Asia/Kolkata"):
        dev = enroll(hq_server)
        _set_zone(hq_server, dev.store_id, tz)
        set_group(hq_server.hq, store_id=dev.store_id, group_id=group)
        rows = [response(dev, 1, score=9, device_time=_local(day, 23, 30, tz))]
        statuses(post_batch(hq_server, dev, batch(dev, rows)))
    got = requests.get(
        hq_server.url("/api/v1/nps"),
        params={"group": group, "group_by": "day"},
        headers=_analyst(analyst_token),
        timeout=10,
    ).json()["groups"]
    assert [(g["key"], g["n"]) for g in got] == [(day.isoformat(), 2)]


# -- migration 0005 -------------------------------------------------------------------------


def test_migration_0005_counts_a_0004_databases_rows(tmp_path: Path) -> None:
    from alembic import command

    from hq.db import _alembic_config, make_engine, sqlite_url
    from hq.service import Hq, HqConfig

    url = sqlite_url(tmp_path / "hq.db")
    engine = make_engine(url)
    expected: Counter[tuple[str, str, str]] = Counter()
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0004")
        for sid in ("s1", "s2"):
            conn.exec_driver_sql(
                "INSERT INTO stores (store_id, name, created_at) VALUES "
                f"('{sid}', '{sid}', '2026-11-01 00:00:00.000000')"
            )
        conn.exec_driver_sql(
            "INSERT INTO profile_settings (scope, scope_id, settings, updated_at, updated_by) "
            "VALUES ('store', 's1', ?, '2026-11-01 00:00:00', 't')",
            (json.dumps({"time_zone": "Asia/Kolkata"}),),
        )
        for i in range(40):
            sid = "s1" if i % 2 else "s2"
            when = datetime(2027, 3, 13, 12) + timedelta(hours=i)  # naive UTC
            score = i % 11
            cat = _category(score)
            suspect = i % 7 == 0
            conn.exec_driver_sql(
                "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
                "question_version, score, category, reasons, contact_consent, device_time, "
                "completion, suspect, content_hash, received_at) VALUES "
                "(?, ?, ?, 'd', 'kiosk', 'en', 1, ?, ?, '[]', 0, ?, 'done', ?, 'h', "
                "'2027-03-20 00:00:00.000000')",
                (
                    str(uuid.uuid4()),
                    i,
                    sid,
                    score,
                    cat,
                    when.isoformat(" ", "microseconds"),
                    suspect,
                ),
            )
            tz = ZoneInfo("Asia/Kolkata" if sid == "s1" else "UTC")
            day = when.replace(tzinfo=UTC).astimezone(tz).date().isoformat()
            expected[(sid, day, ("suspect_" if suspect else "") + cat + "s")] += 1
        conn.commit()
    engine.dispose()
    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        got: Counter[tuple[str, str, str]] = Counter()
        with hq.db.engine.connect() as conn:
            assert dict(conn.exec_driver_sql("SELECT store_id, time_zone FROM stores").all()) == {
                "s1": "Asia/Kolkata",
                "s2": "UTC",
            }
            names = ("promoters", "passives", "detractors")
            cols = [*names, *("suspect_" + n for n in names)]
            for table in ("nps_rollups", "nps_day_rollups"):
                got.clear()
                for row in conn.exec_driver_sql(
                    f"SELECT store_id, day, {', '.join(cols)} FROM {table}"
                ):
                    for col, n in zip(cols, row[2:], strict=True):
                        if n:
                            got[(row[0], str(row[1]), col)] += n
                assert got == expected, table
    finally:
        hq.close()


# -- migration 0010 -------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A fresh, empty database of each backend: (its URL or None for SQLite in tmp_path)."""
    if request.param == "sqlite":
        yield None
        return
    import secrets

    import psycopg
    from hqkit import pg_admin_url
    from hqkit import pg_conninfo as _pg_conninfo
    from sqlalchemy.engine import make_url

    admin = pg_admin_url()
    try:
        conn = psycopg.connect(_pg_conninfo(admin), connect_timeout=3, autocommit=True)
    except psycopg.Error as exc:
        pytest.skip(f"no PostgreSQL server ({exc})")
    name = f"nps_hq_test_{secrets.token_hex(4)}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_pg_conninfo(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migration_0010_fills_the_week_table_of_a_0007_database(
    tmp_path: Path, empty_db: str | None
) -> None:
    """A 0007 database (responses and their day rollups, two stores in two zones, answers
    around a week's edges) upgraded: the week table is the day table summed per local ISO
    week, the reads give the same NPS per week as before, and ingest adds to it."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from hq.analytics import ResponseFilter, nps_groups
    from hq.db import _alembic_config, make_engine, sqlite_url
    from hq.rollups import rebuild, refresh_time_zones
    from hq.service import Hq, HqConfig

    url = empty_db or sqlite_url(tmp_path / "hq.db")
    engine = make_engine(url)
    mark = "?" if empty_db is None else "%s"
    expected: Counter[tuple[str, str]] = Counter()
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0007_corrected_time")
        for sid in ("s1", "s2"):
            conn.exec_driver_sql(
                f"INSERT INTO stores (store_id, name, created_at) VALUES ({mark}, {mark}, {mark})",
                (sid, sid, datetime(2026, 11, 1)),
            )
        conn.exec_driver_sql(
            "INSERT INTO profile_settings (scope, scope_id, settings, updated_at, updated_by) "
            f"VALUES ('store', 's1', {mark}, {mark}, 't')",
            (json.dumps({"time_zone": "Asia/Kolkata"}), datetime(2026, 11, 1)),
        )
        for i in range(60):
            sid = "s1" if i % 2 else "s2"
            when = datetime(2027, 3, 12, 12) + timedelta(hours=5 * i)  # naive UTC, over 12 days
            score = i % 11
            conn.exec_driver_sql(
                "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
                "question_version, score, category, reasons, contact_consent, device_time, "
                "completion, suspect, content_hash, received_at, corrected_time) VALUES "
                f"({mark}, {mark}, {mark}, 'd', 'kiosk', 'en', 1, {mark}, {mark}, '[]', "
                f"{mark}, {mark}, 'done', {mark}, 'h', {mark}, {mark})",
                (
                    str(uuid.uuid4()),
                    i,
                    sid,
                    score,
                    _category(score),
                    False,
                    when,
                    i % 7 == 0,
                    datetime(2027, 3, 30),
                    when,
                ),
            )
            day = when.replace(tzinfo=UTC).astimezone(
                ZoneInfo("Asia/Kolkata" if sid == "s1" else "UTC")
            )
            monday = (day.date() - timedelta(days=day.weekday())).isoformat()
            expected[(sid, monday)] += 1
        refresh_time_zones(conn, rebuild_changed=False)
        rebuild(conn, weeks=False)  # the day rollups as the 0007 release kept them
        conn.commit()
    engine.dispose()
    hq = Hq.open(HqConfig(data_dir=tmp_path, db_url=empty_db))  # upgrades to head
    try:
        with hq.db.engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            head = ScriptDirectory.from_config(_alembic_config(conn)).get_current_head()
            got: Counter[tuple[str, str]] = Counter()
            for sid, week, *counts in conn.exec_driver_sql(
                "SELECT store_id, week, promoters, passives, detractors, suspect_promoters, "
                "suspect_passives, suspect_detractors FROM nps_week_rollups"
            ):
                got[(sid, str(week))] += sum(counts)
        assert version == head
        assert got == expected
        for sid in ("s1", "s2"):
            weeks = nps_groups(hq, ResponseFilter(store_id=sid), group_by="week")
            assert {g.key: g.result.n for g in weeks} == {
                w: n for (s, w), n in expected.items() if s == sid
            }
        # Counted since: a rebuild from raw rows gives the same weeks.
        with hq.db.writing() as s:
            assert rebuild(s.connection()) == 60
        with hq.db.engine.connect() as conn:
            again: Counter[tuple[str, str]] = Counter()
            for sid, week, *counts in conn.exec_driver_sql(
                "SELECT store_id, week, promoters, passives, detractors, suspect_promoters, "
                "suspect_passives, suspect_detractors FROM nps_week_rollups"
            ):
                again[(sid, str(week))] += sum(counts)
        assert again == expected
    finally:
        hq.close()
