"""Migration 0005 upgrades a database made at revision 0004 (the release stores run): every
answer gets the store's local day, and the rollups, kept by UTC date until then, are re-keyed
so that they equal a raw recount of the rows by their local date in the store's zone."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command

from kiosk import rollups
from kiosk.dashboard import dashboard
from kiosk.db import _alembic_config, current_revision, head_revision, make_engine, open_database
from kiosk.recording import Recorder

# Around both 2027 DST changes in New York and at local late evening: a row every 50 minutes.
TIMES = [
    start + timedelta(minutes=50 * i)
    for start in (datetime(2027, 3, 13, 0, 10), datetime(2027, 11, 6, 0, 10))
    for i in range(100)
]


def make_0004(path: Path, *, stored_zone: str | None = None) -> None:
    engine = make_engine(path)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0004")
        conn.commit()
    engine.dispose()
    con = sqlite3.connect(path)
    with con:
        for i, at in enumerate(TIMES):
            con.execute(
                "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
                "question_version, score, category, reasons, contact_consent, device_time, "
                "status, completion, suspect, sync_state) VALUES (?, ?, 's', 'd', ?, 'en', 1, ?, "
                "?, '[]', 0, ?, 'complete', ?, ?, 'synced')",
                (
                    f"r{i}",
                    i + 1,
                    "qr" if i % 7 == 0 else "kiosk",
                    i % 11,
                    "promoter" if i % 11 >= 9 else "passive" if i % 11 >= 7 else "detractor",
                    at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    ("done", "skip", "timeout")[i % 3],
                    int(i % 13 == 0),
                ),
            )
        if stored_zone:  # e.g. pushed by HQ or set by hand before the upgrade
            con.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES ('time_zone', ?, "
                "'2027-01-01 00:00:00')",
                (f'"{stored_zone}"',),
            )
    con.close()


def raw_recount(zone: str) -> list[rollups.RollupCount]:
    """What the score rollups must hold: the rows counted by their local date, in Python."""
    tz = ZoneInfo(zone)
    counts: Counter[tuple[str, str, bool, int]] = Counter()
    for i, at in enumerate(TIMES):
        day = at.replace(tzinfo=UTC).astimezone(tz).date().isoformat()
        counts[(day, "qr" if i % 7 == 0 else "kiosk", i % 13 == 0, i % 11)] += 1
    return sorted(
        rollups.RollupCount(day, ch, "en", sus, score, n)
        for (day, ch, sus, score), n in counts.items()
    )


@pytest.mark.parametrize(
    ("machine", "stored", "zone"),
    [
        ("America/New_York", None, "America/New_York"),  # no setting yet: the machine's zone
        ("UTC", "America/New_York", "America/New_York"),  # a stored setting wins
        ("Asia/Kolkata", None, "Asia/Kolkata"),
    ],
)
def test_upgrade_rekeys_the_rollups_by_local_day(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, machine: str, stored: str | None, zone: str
) -> None:
    make_0004(db_path, stored_zone=stored)
    assert current_revision(db_path) == "0004"
    monkeypatch.setenv("TZ", machine)
    db = open_database(db_path)
    try:
        assert current_revision(db_path) == head_revision()
        assert db.backup is not None and db.backup.exists()
        assert db.settings().time_zone == zone
        want = raw_recount(zone)
        assert rollups.score_counts(db) == want
        assert sum(c.n for c in rollups.completion_counts(db)) == len(TIMES)
        assert (rollups.score_counts(db), rollups.completion_counts(db)) == rollups.recount(db)
        # A new answer after the upgrade is counted on its local day by the new triggers.
        at = datetime(
            2027, 11, 7, 4, 30
        )  # 23:30 on the 6th in New York, 10:00 on the 7th in Kolkata
        Recorder(db, clock=lambda: at).record_score(score=10, language="hi", time_to_answer_ms=4000)
        local = at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()
        board = dashboard(db, today=local, include_suspect=True)
        assert {s.name: s.result.n for s in board.by_language}["hi"] == 1
        assert rollups.score_counts(db) == rollups.recount(db)[0]
    finally:
        db.close()


def test_the_fall_back_day_has_25_hours_of_answers_after_the_upgrade(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_0004(db_path)
    monkeypatch.setenv("TZ", "America/New_York")
    db = open_database(db_path)
    try:
        per_day = Counter[str]()
        for c in rollups.score_counts(db):
            per_day[c.day] += c.n
        # 100 rows, 50 minutes apart, from 00:10 UTC: the 25-hour 7 November holds 30 of them.
        assert per_day["2027-11-07"] == 30
        assert per_day["2027-03-14"] == 28  # the 23-hour day
    finally:
        db.close()
