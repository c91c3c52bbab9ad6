"""A till whose clock is wrong (a dead battery at 2000-01-01, or hours fast): HQ stores a
corrected time beside the raw device time, from the clock offset it measures at each upload,
and every figure uses it (hq.device_clock). Real HQ on both databases, a real kiosk database
and outbox with the kiosk's clock injected."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from hqkit import Device, Server, batch, post_batch, response, statuses

from hq.analytics import ResponseFilter, dashboard, nps_groups, page_responses
from hq.device_clock import DeviceClock, corrected
from hq.profiles import set_settings
from hq.rollups import local_day
from kiosk.clock import ClockProblem, clock_check
from kiosk.db import Database, open_database, utcnow
from kiosk.recording import Completion, FollowUp, Recorder
from sync.client import new_session
from sync.ledger import SyncStore
from sync.outbox import enroll_kiosk, outbox_for

ZONE = "Asia/Kolkata"  # local days that are not UTC days for 5.5 hours of each day


@pytest.fixture(scope="module")
def kiosk_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kiosk-template") / "kiosk.db"
    open_database(path).close()
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    return path


@pytest.fixture
def kiosk(kiosk_template: Path, tmp_path: Path) -> Iterator[Database]:
    shutil.copyfile(kiosk_template, tmp_path / "kiosk.db")
    db = open_database(tmp_path / "kiosk.db")
    yield db
    db.close()


def _running_from(start: datetime) -> Callable[[], datetime]:
    """A till clock that reads ``start`` now and runs at the real rate."""
    origin = utcnow()
    return lambda: start + (utcnow() - origin)


def _enroll(kiosk: Database, server: Server, clock: Callable[[], datetime]) -> str:
    store = f"s-{utcnow():%H%M%S%f}"
    server.hq.add_store(store, name="Clock store")
    set_settings(server.hq, "store", store, {"time_zone": ZONE}, actor="test")
    code = server.hq.enroll_device(store_id=store).code
    with new_session() as s:
        enroll_kiosk(kiosk, hq_url=server.base, code=code, session=s, clock=clock)
    return store


def _answer(kiosk: Database, clock: Callable[[], datetime], score: int, comment: str) -> str:
    rec = Recorder(kiosk, clock=clock)
    r = rec.record_score(score=score, language="en", time_to_answer_ms=1900)
    rec.complete(r.id, how=Completion.DONE, follow_up=FollowUp(reasons=(), comment=comment))
    return r.id


def _sync(kiosk: Database, clock: Callable[[], datetime]) -> None:
    with new_session() as s:
        report = outbox_for(kiosk, session=s, clock=clock).drain(max_failures=1)
    assert report.rejected == 0


def _stored(server: Server, ids: list[str]) -> list[tuple[datetime, datetime, bool]]:
    """(device_time, corrected_time, clock_corrected) of each id, naive UTC."""
    from sqlalchemy import select

    from hq.models import ResponseRow

    with server.hq.db.reading() as s:
        rows = {
            r.id: (r.device_time, r.corrected_time, r.clock_corrected)
            for r in s.scalars(select(ResponseRow).where(ResponseRow.id.in_(ids)))
        }
    return [rows[i] for i in ids]


def _figures_put_them_today(
    server: Server, store: str, n: int, token: str, *, before: datetime
) -> None:
    after = utcnow()
    days = {local_day(before, ZONE).isoformat(), local_day(after, ZONE).isoformat()}
    by_day = nps_groups(server.hq, ResponseFilter(store_id=store), group_by="day")
    assert len(by_day) == 1 and by_day[0].key in days and by_day[0].result.n == n
    by_week = nps_groups(server.hq, ResponseFilter(store_id=store), group_by="week")
    assert [g.result.n for g in by_week] == [n]
    # The dashboard's "last 90 days", its store line and trend (without the answers the
    # kiosk marked suspect: quick answers in a row), and its newest comments.
    clean = ResponseFilter(store_id=store, include_suspect=False)
    counted = nps_groups(server.hq, clean, group_by=None)[0].result.n
    board = dashboard(server.hq)
    line = {x.store_id: x for x in board.stores}[store]
    assert line.result.n == counted >= 1 and sum(t[2] for t in line.trend) == counted
    mine = [c for c in board.comments if c.store_id == store]
    assert mine and all(before - timedelta(minutes=1) <= c.device_time <= after for c in mine)
    # since/until are instants of the corrected time.
    rows, _cursor, _more = page_responses(
        server.hq,
        ResponseFilter(store_id=store, since=before - timedelta(minutes=1), until=after),
        after=None,
        limit=50,
    )
    assert len(rows) == n
    # The export has both times.
    got = requests.get(
        server.url("/api/v1/export"),
        params={"store": store, "format": "csv"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert got.status_code == 200, got.text
    table = list(csv.DictReader(io.StringIO(got.text)))
    assert len(table) == n
    assert {"device_time", "corrected_time", "clock_corrected"} <= set(table[0])


def test_a_till_at_2000_01_01_gets_todays_days_at_hq(
    hq_server: Server, kiosk: Database, analyst_token: str
) -> None:
    dead = _running_from(datetime(2000, 1, 1, 0, 0))
    store = _enroll(kiosk, hq_server, dead)
    before = utcnow()
    ids = [_answer(kiosk, dead, s, f"Slow billing {s}") for s in (2, 9, 10)]
    _sync(kiosk, dead)
    for device_time, fixed, flagged in _stored(hq_server, ids):
        assert device_time.year == 2000  # the raw device time is kept
        assert before - timedelta(minutes=1) <= fixed <= utcnow()
        assert flagged
    _figures_put_them_today(hq_server, store, 3, analyst_token, before=before)
    # HQ's measure reached the till, which warns (it is before the release anyway).
    offset = SyncStore(kiosk).status().clock_offset_s
    assert offset is not None and offset > 26 * 365 * 86400
    assert clock_check(kiosk, dead()).problem is ClockProblem.BEFORE_RELEASE


def test_a_till_3_hours_fast_is_corrected_and_told(
    hq_server: Server, kiosk: Database, analyst_token: str
) -> None:
    fast = _running_from(utcnow() + timedelta(hours=3, minutes=2))
    store = _enroll(kiosk, hq_server, fast)
    before = utcnow()
    ids = [_answer(kiosk, fast, s, f"Queue {s}") for s in (3, 8)]
    _sync(kiosk, fast)
    for device_time, fixed, flagged in _stored(hq_server, ids):
        assert device_time - fixed == pytest.approx(
            timedelta(hours=3, minutes=2), abs=timedelta(seconds=60)
        )
        assert before - timedelta(minutes=1) <= fixed <= utcnow() and flagged
    _figures_put_them_today(hq_server, store, 2, analyst_token, before=before)
    check = clock_check(kiosk, fast())
    assert check.problem is ClockProblem.OFF_PER_HQ
    assert check.offset_s == pytest.approx(-(3 * 3600 + 120), abs=60)


def test_a_correct_till_is_left_as_it_is(
    hq_server: Server, kiosk: Database, analyst_token: str
) -> None:
    store = _enroll(kiosk, hq_server, utcnow)
    before = utcnow()
    ids = [_answer(kiosk, utcnow, s, f"Fine {s}") for s in (1, 10)]
    _sync(kiosk, utcnow)
    for device_time, fixed, flagged in _stored(hq_server, ids):
        assert fixed == device_time and not flagged
    _figures_put_them_today(hq_server, store, 2, analyst_token, before=before)
    assert clock_check(kiosk, utcnow()).ok


def test_a_dead_battery_after_a_good_sync_is_still_corrected(
    hq_server: Server, kiosk: Database
) -> None:
    """The clock jumps back to 2000 after a good upload: the answers' device times are before
    that upload's sent_at, but newer than HQ's newest answer from the till (rule 2's exception)."""
    _enroll(kiosk, hq_server, utcnow)
    good = [_answer(kiosk, utcnow, 9, "Before the reboot")]
    _sync(kiosk, utcnow)
    dead = _running_from(datetime(2000, 1, 1, 0, 0))
    before = utcnow()
    later = [_answer(kiosk, dead, 4, "After the reboot")]
    _sync(kiosk, dead)
    (first,) = _stored(hq_server, good)
    (second,) = _stored(hq_server, later)
    assert first[1] == first[0] and not first[2]
    assert second[0].year == 2000 and second[2]
    assert before - timedelta(minutes=1) <= second[1] <= utcnow()


def test_a_v1_batch_still_works_and_is_corrected(hq_server: Server, device: Device) -> None:
    sent = datetime(2000, 1, 1, 0, 10, tzinfo=UTC)
    answer = response(device, 1, device_time=datetime(2000, 1, 1, 0, 5, tzinfo=UTC).isoformat())
    before = utcnow()
    reply = post_batch(hq_server, device, batch(device, [answer], sent_at=sent.isoformat()))
    assert statuses(reply) == ["accepted"]
    assert "clock_offset_s" not in reply.json()  # v1 replies are as they were
    ((device_time, fixed, flagged),) = _stored(hq_server, [answer["id"]])
    assert device_time == datetime(2000, 1, 1, 0, 5) and flagged
    assert before - timedelta(minutes=6) <= fixed <= utcnow()
    # A v1 batch from a correct clock: nothing changes.
    plain = response(device, 2)
    assert statuses(post_batch(hq_server, device, batch(device, [plain]))) == ["accepted"]
    ((device_time, fixed, flagged),) = _stored(hq_server, [plain["id"]])
    assert fixed == device_time and not flagged


# The rule itself (hq.device_clock.corrected) --------------------------------------------------

T = datetime(2027, 3, 10, 12, 0)
DAY = 86400.0


@pytest.mark.parametrize(
    ("device_time", "offset_s", "before", "expected"),
    [
        # Never measured: the offset of now.
        (T, DAY, DeviceClock(), (T + timedelta(days=1), True)),
        # A few minutes off: left alone.
        (T, 240.0, DeviceClock(), (T, False)),
        # After the previous upload by the device's clock: the offset of now.
        (T, DAY, DeviceClock(T - timedelta(hours=1), 0.0, None), (T + timedelta(days=1), True)),
        # A backlog from before the previous upload keeps that upload's offset (the clock was
        # then a day behind; it is right now).
        (
            T - timedelta(days=2),
            0.0,
            DeviceClock(T - timedelta(days=1), DAY, T - timedelta(days=1, hours=1)),
            (T - timedelta(days=1), True),
        ),
        # ...unless that puts it before HQ's newest answer from the device: the clock jumped
        # backwards after the upload.
        (
            datetime(2000, 1, 1),
            (T - datetime(2000, 1, 1)).total_seconds(),
            DeviceClock(T - timedelta(hours=1), 0.0, T - timedelta(hours=2)),
            (T, True),
        ),
        # A batch file (nothing measured now): the device's last offset.
        (
            T,
            None,
            DeviceClock(T + timedelta(hours=1), -3 * 3600.0, None),
            (T - timedelta(hours=3), True),
        ),
        (T, None, DeviceClock(), (T, False)),
        # A sent_at from the far future measures nothing.
        (T, -1000 * 365 * DAY, DeviceClock(), (T, False)),
    ],
)
def test_the_rule(
    device_time: datetime, offset_s: float | None, before: DeviceClock, expected: Any
) -> None:
    assert corrected(device_time, offset_s=offset_s, before=before) == expected


def test_upgrading_a_0006_database_keeps_its_answers_and_days(tmp_path: Path) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from hq.db import _alembic_config, make_engine, sqlite_url
    from hq.service import Hq, HqConfig

    engine = make_engine(sqlite_url(tmp_path / "hq.db"))
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0006_privacy")
        conn.exec_driver_sql(
            "INSERT INTO stores (store_id, name, created_at) VALUES "
            "('s1', 's1', '2026-11-01 00:00:00.000000')"
        )
        conn.exec_driver_sql(
            "INSERT INTO devices (device_id, store_id, last_backlog) VALUES ('d1', 's1', 0)"
        )
        for i, when in enumerate(("2027-03-01 20:00:00.000000", "2027-03-02 01:00:00.000000")):
            conn.exec_driver_sql(
                "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
                "question_version, score, category, reasons, contact_consent, device_time, "
                "completion, suspect, content_hash, received_at) VALUES "
                f"('01900000-0000-7000-8000-00000000000{i}', {i + 1}, 's1', 'd1', 'kiosk', "
                f"'en', 1, 9, 'promoter', '[]', 0, '{when}', 'done', 0, 'h', "
                "'2027-03-02 02:00:00.000000')"
            )
        conn.exec_driver_sql(
            "INSERT INTO nps_day_rollups VALUES ('s1', '2027-03-01', 1, 0, 0, 0, 0, 0), "
            "('s1', '2027-03-02', 1, 0, 0, 0, 0, 0)"
        )
        conn.commit()
    engine.dispose()
    hq = Hq.open(HqConfig(data_dir=tmp_path))  # upgrades to head
    try:
        with hq.db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT device_time, corrected_time, clock_corrected FROM responses ORDER BY seq"
            ).all()
            assert [(r[0], r[2]) for r in rows] == [(r[1], 0) for r in rows]
            assert conn.exec_driver_sql(
                "SELECT last_sent_at, clock_offset_s, newest_answer_at FROM devices"
            ).one() == (None, None, None)
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        from alembic.script import ScriptDirectory

        assert version == ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
        days = nps_groups(hq, ResponseFilter(store_id="s1"), group_by="day")
        assert [(g.key, g.result.n) for g in days] == [("2027-03-01", 1), ("2027-03-02", 1)]
        # A rebuild from the corrected times gives the same days.
        from hq.rollups import rebuild_rollups

        assert rebuild_rollups(hq, store_id="s1") == 2
        again = nps_groups(hq, ResponseFilter(store_id="s1"), group_by="day")
        assert [(g.key, g.result.n) for g in again] == [("2027-03-01", 1), ("2027-03-02", 1)]
    finally:
        hq.close()
