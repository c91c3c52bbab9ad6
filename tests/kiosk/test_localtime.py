"""The store's days are its own: a response at 23:30 local lands on that local day in the
dashboard, `nps-kiosk stats` and the export, across DST changes and whatever the machine's zone."""

from __future__ import annotations

import csv
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk import rollups
from kiosk.dashboard import Source, dashboard
from kiosk.db import open_database
from kiosk.errors import SettingError
from kiosk.export import export_responses
from kiosk.localtime import day_start, format_local, is_open, machine_zone, to_utc
from kiosk.recording import Channel, Completion, Recorder
from kiosk.stats import store_nps

# (zone, a local wall-clock time): late evening and just after midnight, on DST days too.
CASES = [
    ("America/New_York", datetime(2027, 3, 14, 23, 30)),  # spring-forward day, 23 hours
    ("America/New_York", datetime(2027, 11, 7, 23, 30)),  # fall-back day, 25 hours
    ("America/New_York", datetime(2027, 11, 7, 0, 30)),
    ("Australia/Sydney", datetime(2027, 10, 3, 23, 30)),  # Sydney's spring-forward day
    ("Australia/Sydney", datetime(2027, 1, 11, 0, 30)),  # 13:30 UTC the day before
    ("Asia/Kolkata", datetime(2027, 1, 15, 23, 30)),  # +05:30
    ("Asia/Kolkata", datetime(2027, 1, 16, 0, 15)),  # 18:45 UTC the day before
]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def machine_in_utc(monkeypatch: pytest.MonkeyPatch):
    """The till's own clock runs on UTC, whatever zone the tests were started in."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_dst_days_have_23_and_25_hours() -> None:
    ny = ZoneInfo("America/New_York")

    def hours(day: date) -> float:
        return (day_start(day + timedelta(days=1), ny) - day_start(day, ny)).total_seconds() / 3600

    assert hours(date(2027, 3, 14)) == 23
    assert hours(date(2027, 11, 7)) == 25
    assert hours(date(2027, 11, 8)) == 24
    # Sydney's "today" starts at 13:00 UTC the day before in its summer (UTC+11).
    assert day_start(date(2027, 1, 11), ZoneInfo("Australia/Sydney")) == datetime(2027, 1, 10, 13)
    assert day_start(date(2027, 1, 16), ZoneInfo("Asia/Kolkata")) == datetime(2027, 1, 15, 18, 30)


@pytest.mark.parametrize(("zone", "local"), CASES)
def test_an_answer_lands_on_its_local_day_everywhere(
    db, tmp_path: Path, machine_in_utc: None, zone: str, local: datetime
) -> None:
    db.update_settings(time_zone=zone)
    at = to_utc(local, ZoneInfo(zone))
    rec = Recorder(db, clock=Clock(at))
    rid = rec.record_score(score=10, language="en", time_to_answer_ms=4000).id
    rec.complete(rid, how=Completion.DONE)
    day = local.date()

    board = dashboard(db, today=day)
    assert [(p.key, p.result.n) for p in board.periods] == [
        ("today", 1),
        ("7d", 1),
        ("30d", 1),
        ("all", 1),
    ]
    assert [(p.start, p.result.n) for p in board.trend] == [(day, 1)]
    assert board == dashboard(db, today=day, source=Source.RESPONSES)
    assert dashboard(db, today=day - timedelta(days=1)).periods[0].result.n == 0
    assert dashboard(db, today=day + timedelta(days=1)).periods[0].result.n == 0

    assert store_nps(db, since=day).n == 1
    assert store_nps(db, since=day + timedelta(days=1)).n == 0

    usb = tmp_path / "usb"
    usb.mkdir()
    exported = export_responses(db, folder=usb, since=day, until=day)
    assert exported.rows == 1
    assert (
        export_responses(
            db, folder=usb, since=day + timedelta(days=1), until=day + timedelta(days=1)
        ).rows
        == 0
    )
    assert (
        export_responses(
            db, folder=usb, since=day - timedelta(days=1), until=day - timedelta(days=1)
        ).rows
        == 0
    )
    with exported.files[0].open(encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["local_time"].startswith(local.isoformat())  # 2027-03-14T23:30:00-04:00


def test_every_hour_of_the_dst_days_is_counted_on_its_day(db) -> None:
    db.update_settings(time_zone="America/New_York")
    ny = ZoneInfo("America/New_York")
    clock = Clock(day_start(date(2027, 3, 13), ny))
    rec = Recorder(db, clock=clock)
    end = day_start(date(2027, 3, 16), ny)
    while clock.now < end:  # an answer every real hour, on the half hour
        clock.now += timedelta(minutes=30)
        rec.record_score(score=9, language="en", time_to_answer_ms=4000)
        clock.now += timedelta(minutes=30)
    clock.now = day_start(date(2027, 11, 6), ny)
    end = day_start(date(2027, 11, 9), ny)
    while clock.now < end:
        clock.now += timedelta(minutes=30)
        rec.record_score(score=9, language="en", time_to_answer_ms=4000)
        clock.now += timedelta(minutes=30)
    march = dashboard(db, today=date(2027, 3, 15), window_days=30)
    assert [(p.start.day, p.result.n) for p in march.trend] == [(13, 24), (14, 23), (15, 24)]
    november = dashboard(db, today=date(2027, 11, 8), window_days=7)
    assert [(p.start.day, p.result.n) for p in november.trend] == [(6, 24), (7, 25), (8, 24)]
    assert rollups.score_counts(db) == rollups.recount(db)[0]


def test_a_utc_machine_keeps_the_stores_zone(db_path: Path, machine_in_utc: None) -> None:
    assert machine_zone() == "UTC"
    db = open_database(db_path)
    try:
        db.update_settings(time_zone="Australia/Sydney")
        # 13:30 UTC on the 10th is 00:30 on the 11th in Sydney (UTC+11 in January).
        Recorder(db, clock=Clock(datetime(2027, 1, 10, 13, 30))).record_score(
            score=0, language="en", time_to_answer_ms=4000
        )
        assert dashboard(db, today=date(2027, 1, 11)).periods[0].result.detractors == 1
        assert dashboard(db, today=date(2027, 1, 10)).periods[0].result.n == 0
        assert (
            format_local(datetime(2027, 1, 10, 13, 30), ZoneInfo("Australia/Sydney"), "%H:%M")
            == "00:30 AEDT"
        )
    finally:
        db.close()


def test_a_new_kiosk_keeps_the_zone_it_started_in(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    db = open_database(db_path)
    db.close()
    monkeypatch.setenv("TZ", "America/New_York")  # the machine's zone changes later
    db = open_database(db_path)
    try:
        assert db.settings().time_zone == "Asia/Kolkata"
        with pytest.raises(SettingError, match="IANA"):
            db.update_settings(time_zone="Mars/Olympus")
    finally:
        db.close()


def test_changing_the_zone_moves_the_stored_days(db) -> None:
    db.update_settings(time_zone="America/New_York")
    # 20:00 UTC on the 15th: 15:00 in New York, 01:30 on the 16th in Kolkata.
    Recorder(db, clock=Clock(datetime(2027, 1, 15, 20, 0))).record_score(
        score=10, language="en", time_to_answer_ms=4000
    )
    assert dashboard(db, today=date(2027, 1, 15)).periods[0].result.n == 1
    db.update_settings(time_zone="Asia/Kolkata")
    assert dashboard(db, today=date(2027, 1, 15)).periods[0].result.n == 0
    assert dashboard(db, today=date(2027, 1, 16)).periods[0].result.n == 1
    assert rollups.score_counts(db) == rollups.recount(db)[0]


def test_answers_outside_opening_hours_are_kept_and_flagged_closed(db) -> None:
    db.update_settings(
        time_zone="Asia/Kolkata",
        opening_hours={
            day: [["09:00", "21:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")
        },
    )
    kolkata = ZoneInfo("Asia/Kolkata")
    clock = Clock(to_utc(datetime(2027, 1, 15, 10, 0), kolkata))  # a Friday, open
    rec = Recorder(db, clock=clock)
    open_tap = rec.record_score(score=9, language="en", time_to_answer_ms=4000)
    clock.now = to_utc(datetime(2027, 1, 15, 22, 30), kolkata)  # after closing
    late = rec.record_score(score=0, language="en", time_to_answer_ms=4000)
    clock.now = to_utc(datetime(2027, 1, 17, 12, 0), kolkata)  # Sunday: closed all day
    sunday = rec.record_score(score=10, language="en", time_to_answer_ms=4000)
    assert not open_tap.suspect
    assert (late.suspect, late.suspect_reason) == (True, "closed")
    assert sunday.suspect_reason == "closed"
    assert rec.get(late.id).score == 0  # kept
    board = dashboard(db, today=date(2027, 1, 17), window_days=7)
    assert board.periods[1].result.n == 1 and board.suspect_in_window == 2
    # Phone answers come from home at any hour: never "closed".
    qr = rec.record_score(score=10, language="en", time_to_answer_ms=4000, channel=Channel.QR)
    assert not qr.suspect


def test_opening_hours_past_midnight_and_their_checks() -> None:
    late_bar = {"fri": [["18:00", "02:00"]]}
    assert is_open(datetime(2027, 1, 15, 23, 0), late_bar)  # Friday 23:00
    assert is_open(datetime(2027, 1, 16, 1, 59), late_bar)  # Saturday 01:59, Friday's night
    assert not is_open(datetime(2027, 1, 16, 2, 0), late_bar)
    assert not is_open(datetime(2027, 1, 15, 17, 59), late_bar)
    assert is_open(datetime(2027, 1, 15, 3, 0), {})  # no hours: always open
    from kiosk.settings import validate

    assert validate("opening_hours", {"sun": [], "mon": [["09:00", "24:00"]]}) == {
        "mon": [["09:00", "24:00"]],
        "sun": [],
    }
    for bad in ({"monday": []}, {"mon": [["9", "17"]]}, {"mon": [["09:00", "09:00"]]}, {"mon": []}):
        with pytest.raises(SettingError, match="opening_hours"):
            validate("opening_hours", bad)


def test_seeded_and_phone_answers_carry_their_local_day(db) -> None:
    from kiosk.seed import seed
    from sync.ledger import SyncStore

    db.update_settings(time_zone="Australia/Sydney")
    seed(db, n=600, days=14, now=datetime(2027, 1, 20, 3, 0))
    SyncStore(db).store_phone_answers(
        [
            {
                "id": "0190f0f0-0000-7000-8000-000000000001",
                "store_id": db.settings().store_id,
                "language": "en",
                "question_version": 1,
                "score": 3,
                "category": "detractor",
                "reasons": [],
                "comment": None,
                "device_time": datetime(2027, 1, 10, 13, 30),  # 00:30 on the 11th in Sydney
                "time_to_answer_ms": 5000,
                "completion": "done",
                "suspect": False,
                "suspect_reason": None,
            }
        ],
        cursor="c1",
        at=datetime(2027, 1, 20, 3, 0),
    )
    sydney = ZoneInfo("Australia/Sydney")
    with db.reading() as s:
        rows = s.connection().exec_driver_sql("SELECT device_time, local_day FROM responses").all()
    assert len(rows) == 601
    for at, day in rows:
        assert (
            day
            == datetime.fromisoformat(at).replace(tzinfo=UTC).astimezone(sydney).date().isoformat()
        )
    assert rollups.score_counts(db) == rollups.recount(db)[0]
    assert dashboard(db, today=date(2027, 1, 11), window_days=1).by_channel[-1].result.n >= 1
