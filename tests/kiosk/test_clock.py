"""The till's clock check: a dead clock battery (2000-01-01) or a clock behind stored answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.clock import RELEASED, ClockProblem, clock_check
from kiosk.db import Database
from kiosk.recording import Recorder

BOOTED_IN_THE_PAST = datetime(2000, 1, 1, 9, 0)


def test_a_clock_before_the_release_is_impossible(db: Database) -> None:
    check = clock_check(db, BOOTED_IN_THE_PAST)
    assert not check.ok
    assert check.problem is ClockProblem.BEFORE_RELEASE
    assert check.reference == RELEASED and check.now == BOOTED_IN_THE_PAST


def test_a_clock_after_the_release_with_no_answers_is_fine(db: Database) -> None:
    assert clock_check(db, RELEASED + timedelta(days=3)).ok
    # An aware time is read as the instant it is.
    assert clock_check(db, datetime.now(UTC)).ok


def test_a_clock_behind_the_latest_answer_is_wrong_beyond_a_small_allowance(db: Database) -> None:
    taken = RELEASED + timedelta(days=40, hours=10)
    Recorder(db, clock=lambda: taken).record_score(score=9, language="en", time_to_answer_ms=900)
    check = clock_check(db, taken - timedelta(days=30))
    assert check.problem is ClockProblem.BEHIND_ANSWERS and check.reference == taken
    # NTP stepping a fast clock back a few minutes is not a wrong clock.
    assert clock_check(db, taken - timedelta(minutes=3)).ok
    assert clock_check(db, taken + timedelta(hours=1)).ok


def test_answers_are_still_taken_while_the_clock_is_wrong(db: Database) -> None:
    recorder = Recorder(db, clock=lambda: BOOTED_IN_THE_PAST)
    tapped = recorder.record_score(score=3, language="en", time_to_answer_ms=1200)
    assert [r.id for r in recorder.latest(limit=5)] == [tapped.id]
    assert clock_check(db, BOOTED_IN_THE_PAST).problem is ClockProblem.BEFORE_RELEASE


def test_the_release_date_is_not_older_than_the_newest_migration() -> None:
    versions = Path(__file__).resolve().parents[2] / "kiosk" / "migrations" / "versions"
    dates = [
        datetime.fromisoformat(m.group(1))
        for f in versions.glob("*.py")
        if (m := re.search(r"^Create Date: (\d{4}-\d{2}-\d{2})", f.read_text(), re.M))
    ]
    assert dates and RELEASED >= max(dates), "move kiosk.clock.RELEASED to this release's date"
