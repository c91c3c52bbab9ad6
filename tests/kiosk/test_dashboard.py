"""Dashboard figures: from the rollups, equal to the NPS module's figures on the same rows."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.nps import nps
from kiosk.dashboard import Source, dashboard
from kiosk.recording import Channel, Completion, Recorder
from kiosk.seed import seed

TODAY = date(2026, 11, 25)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_hand_computed_case(db) -> None:
    clock = Clock(datetime(2026, 11, 25, 9, 0))
    rec = Recorder(db, clock=clock)
    for score in (10, 10, 9, 8, 7, 6, 0, 3, 10, 9):
        rid = rec.record_score(score=score, language="en", time_to_answer_ms=5000).id
        rec.complete(rid, how=Completion.DONE if score > 5 else Completion.SKIP)
        clock.now += timedelta(minutes=2)
    d = dashboard(db, today=TODAY)
    today = d.periods[0].result
    # 5 promoters, 2 passives, 3 detractors: 50% - 30% = 20. Adjusted Wald: n' = 13,
    # p' = 5.75/13, d' = 3.75/13, centre 0.1538, se = sqrt((p'+d'-centre^2)/13) = 0.2332,
    # 0.1538 -+ 1.96 * 0.2332 = -0.303 .. 0.611 -> -30 to 61.
    assert (today.nps, today.ci_low, today.ci_high, today.n) == (20, -30, 61, 10)
    assert today.low_sample
    assert d.distribution == (1, 0, 0, 1, 0, 0, 1, 1, 1, 2, 3)
    assert (d.completion.done, d.completion.skip, d.completion.rate) == (8, 2, 0.8)
    assert [p.result for p in d.periods] == [today] * 4


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    from kiosk.db import open_database

    db = open_database(tmp_path_factory.mktemp("seeded") / "kiosk.db")
    seed(db, n=4000, days=60, now=datetime(2026, 11, 25, 16, 0))
    yield db
    db.close()


def scores(db, *, since: date | None, include_suspect: bool, **where: str) -> list[int]:
    """The scores of the store's local days since..TODAY, each row's day worked out here from
    its UTC time with zoneinfo (not from the stored local_day)."""
    tz = ZoneInfo(db.settings().time_zone)
    sql = "SELECT device_time, score FROM responses WHERE 1"
    params: list[object] = []
    if not include_suspect:
        sql += " AND suspect = 0"
    for column, value in where.items():
        sql += f" AND {column} = ?"
        params.append(value)
    con = sqlite3.connect(db.path)
    try:
        rows = con.execute(sql, params).fetchall()
    finally:
        con.close()
    out = []
    for at, score in rows:
        day = datetime.fromisoformat(at).replace(tzinfo=UTC).astimezone(tz).date()
        if day <= TODAY and (since is None or day >= since):
            out.append(score)
    return out


@pytest.mark.parametrize("include_suspect", [False, True])
def test_seeded_figures_equal_the_nps_module(seeded, include_suspect: bool) -> None:
    d = dashboard(seeded, today=TODAY, include_suspect=include_suspect, window_days=30)
    for period in d.periods:
        expected = nps(scores(seeded, since=period.since, include_suspect=include_suspect))
        assert period.result == expected, period.key
    since = TODAY - timedelta(days=29)
    window = scores(seeded, since=since, include_suspect=include_suspect)
    assert d.window == nps(window)
    assert d.distribution == tuple(window.count(s) for s in range(11))
    for split in d.by_channel:
        assert split.result == nps(
            scores(seeded, since=since, include_suspect=include_suspect, channel=split.name)
        )
    assert {s.name for s in d.by_channel} == {c.value for c in Channel}
    for split in d.by_language:
        assert split.result == nps(
            scores(seeded, since=since, include_suspect=include_suspect, language=split.name)
        )
    assert sum(p.result.n for p in d.trend) == len(window) and d.trend_unit == "day"
    assert d == dashboard(
        seeded,
        today=TODAY,
        include_suspect=include_suspect,
        window_days=30,
        source=Source.RESPONSES,
    )


def test_suspects_are_counted_apart(seeded) -> None:
    off = dashboard(seeded, today=TODAY)
    on = dashboard(seeded, today=TODAY, include_suspect=True)
    assert off.suspect_in_window > 0
    assert on.window.n - off.window.n == off.suspect_in_window
    assert off.responses_total == 4000


def test_weekly_trend_for_long_windows(seeded) -> None:
    d = dashboard(seeded, today=TODAY, window_days=None)
    assert d.trend_unit == "week"
    assert all(p.start.weekday() == 0 for p in d.trend)
    assert sum(p.result.n for p in d.trend) == d.periods[-1].result.n


def test_empty_database_is_undefined_not_zero(db) -> None:
    d = dashboard(db, today=TODAY)
    assert all(p.result.nps is None for p in d.periods)
    assert d.completion.rate is None and d.trend == ()


@pytest.mark.parametrize("window_days", [1, 7, 90, None])
@pytest.mark.parametrize("include_suspect", [False, True])
def test_every_window_equals_a_full_scan(seeded, window_days, include_suspect) -> None:
    kw = {"today": TODAY, "include_suspect": include_suspect, "window_days": window_days}
    d = dashboard(seeded, **kw)
    assert d == dashboard(seeded, source=Source.RESPONSES, **kw)
    assert d.window.n == sum(d.distribution)
    if window_days is None:
        assert d.window == d.periods[-1].result
