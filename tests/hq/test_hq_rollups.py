"""HQ rollups (hq/rollups.py): kept by every insert path in the ingest transaction, equal to a
raw recount done here in Python with zoneinfo (random batches with duplicates, conflicts,
suspect and phone answers, stores in several zones across DST days), rebuilt when a store's
zone changes, by nps-hq rebuild-rollups and by migration 0005; group_by=day is each store's
local day at the DST edges."""

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
    return {k: v for k, v in out.items() if any(v)}


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
    assert _stored(hq_server, stores) == _recount(hq_server, stores)


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
