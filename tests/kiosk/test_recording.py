"""Recording answers: durable at the tap, follow-up on the same row, suspects kept and flagged."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.text import COMMENT_LIMIT
from kiosk.db import Database, open_database, utcnow
from kiosk.errors import InvalidScore, ResponseNotFound
from kiosk.recording import Completion, FollowUp, Recorder, ResponseStatus


class Clock:
    """A settable clock: the recorder takes the time from here (test double for time)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 10, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def recorder(db: Database, clock: Clock) -> Recorder:
    return Recorder(db, clock=clock)


def rows(db_path: Path) -> list[sqlite3.Row]:
    """Read the file with plain sqlite3, as a second process would."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM responses ORDER BY seq").fetchall()
    finally:
        conn.close()


def test_a_tapped_score_is_in_the_file_before_record_returns(
    recorder: Recorder, db_path: Path
) -> None:
    tapped = recorder.record_score(score=4, language="en", time_to_answer_ms=2500)
    [row] = rows(db_path)
    assert row["id"] == tapped.id and row["score"] == 4 and row["category"] == "detractor"
    assert row["status"] == "incomplete" and row["seq"] == 1
    assert row["time_to_answer_ms"] == 2500 and row["sync_state"] == "pending"


def test_follow_up_updates_the_same_row_and_completes_it(recorder: Recorder, db_path: Path) -> None:
    tapped = recorder.record_score(score=3, language="hi", time_to_answer_ms=4000)
    recorder.complete(
        tapped.id,
        how=Completion.DONE,
        follow_up=FollowUp(
            reasons=("wait_time", "staff"),
            comment="  लंबी कतार थी  ",
            contact_consent=True,
            contact_name="Asha",
            contact_detail="+91 98765 43210",
        ),
    )
    [row] = rows(db_path)
    assert row["status"] == "complete" and row["completion"] == "done"
    assert json.loads(row["reasons"]) == ["wait_time", "staff"]
    assert row["comment"] == "लंबी कतार थी" and row["language"] == "hi"
    assert (row["contact_name"], row["contact_detail"]) == ("Asha", "+91 98765 43210")


def test_contact_details_are_dropped_without_consent(recorder: Recorder, db_path: Path) -> None:
    tapped = recorder.record_score(score=2, language="en", time_to_answer_ms=4000)
    recorder.complete(
        tapped.id,
        how=Completion.DONE,
        follow_up=FollowUp(
            contact_consent=False, contact_name="Asha", contact_detail="asha@example.com"
        ),
    )
    [row] = rows(db_path)
    assert row["contact_name"] is None and row["contact_detail"] is None
    assert b"asha@example.com" not in db_path.read_bytes()


def test_comment_is_cleaned_and_limited(recorder: Recorder) -> None:
    tapped = recorder.record_score(score=8, language="en", time_to_answer_ms=4000)
    dirty = "\x00\x1b[31m ok\tthen\r\n" + "x" * 2000
    recorder.complete(tapped.id, how=Completion.DONE, follow_up=FollowUp(comment=dirty))
    comment = recorder.get(tapped.id).comment
    assert comment is not None and len(comment) == COMMENT_LIMIT
    assert comment.startswith("[31m ok then\n") and "\x00" not in comment and "\x1b" not in comment


def test_skip_completes_without_follow_up(recorder: Recorder) -> None:
    tapped = recorder.record_score(score=10, language="en", time_to_answer_ms=4000)
    recorder.complete(tapped.id, how=Completion.SKIP)
    answer = recorder.get(tapped.id)
    assert answer.status is ResponseStatus.COMPLETE and answer.completion is Completion.SKIP
    assert answer.reasons == () and answer.comment is None


def test_the_first_completion_wins(recorder: Recorder) -> None:
    tapped = recorder.record_score(score=6, language="en", time_to_answer_ms=4000)
    recorder.complete(tapped.id, how=Completion.TIMEOUT, follow_up=FollowUp(comment="first"))
    recorder.complete(tapped.id, how=Completion.DONE, follow_up=FollowUp(comment="second"))
    answer = recorder.get(tapped.id)
    assert answer.completion is Completion.TIMEOUT and answer.comment == "first"


def test_unknown_ids_and_bad_scores_are_refused(recorder: Recorder) -> None:
    with pytest.raises(ResponseNotFound):
        recorder.complete("no-such-id", how=Completion.DONE)
    for bad in (-1, 11, 7.5, True):
        with pytest.raises(InvalidScore):
            recorder.record_score(score=bad, language="en", time_to_answer_ms=1)  # type: ignore


def test_sequence_numbers_count_up_per_device(recorder: Recorder) -> None:
    seqs = [
        recorder.record_score(score=s, language="en", time_to_answer_ms=5000).seq for s in (1, 5, 9)
    ]
    assert seqs == [1, 2, 3]


def test_ids_are_time_ordered_uuid7(recorder: Recorder, clock: Clock) -> None:
    import uuid

    first = recorder.record_score(score=9, language="en", time_to_answer_ms=5000)
    clock.advance(10)
    second = recorder.record_score(score=9, language="en", time_to_answer_ms=5000)
    assert uuid.UUID(first.id).version == 7 and first.id < second.id


def test_taps_within_the_minimum_interval_are_flagged_not_dropped(
    recorder: Recorder, clock: Clock, db_path: Path
) -> None:
    first = recorder.record_score(score=10, language="en", time_to_answer_ms=4000)
    clock.advance(1.0)  # the default minimum interval is 3 s
    second = recorder.record_score(score=10, language="en", time_to_answer_ms=4000)
    clock.advance(10)
    third = recorder.record_score(score=10, language="en", time_to_answer_ms=4000)
    assert not first.suspect and not third.suspect
    assert second.suspect and second.suspect_reason == "within_min_interval"
    assert len(rows(db_path)) == 3


def test_a_burst_is_flagged(recorder: Recorder, clock: Clock) -> None:
    flags = []
    for _ in range(7):  # 7 taps 4 s apart: more than 5 in 30 s from the 6th on
        flags.append(recorder.record_score(score=10, language="en", time_to_answer_ms=4000))
        clock.advance(4)
    assert [f.suspect for f in flags] == [False] * 5 + [True] * 2
    assert flags[5].suspect_reason == "burst"


def test_an_answer_faster_than_reading_is_flagged(recorder: Recorder) -> None:
    tapped = recorder.record_score(score=0, language="en", time_to_answer_ms=120)
    assert tapped.suspect and tapped.suspect_reason == "answered_too_fast"


def test_incomplete_rows_past_the_timeout_are_completed_on_start(
    recorder: Recorder, clock: Clock
) -> None:
    old = recorder.record_score(score=5, language="en", time_to_answer_ms=4000)
    clock.advance(60)
    fresh = recorder.record_score(score=5, language="en", time_to_answer_ms=4000)
    assert recorder.recover_incomplete(older_than=timedelta(seconds=20)) == 1
    assert recorder.get(old.id).completion is Completion.RECOVERED
    assert recorder.get(fresh.id).status is ResponseStatus.INCOMPLETE


def test_a_killed_process_loses_no_tapped_score(db_path: Path) -> None:
    """A real crash: a child process records a score and is killed with SIGKILL at once."""
    script = textwrap.dedent(f"""
        import os, signal
        from kiosk.db import open_database
        from kiosk.recording import Recorder
        db = open_database({str(db_path)!r})
        tapped = Recorder(db).record_score(score=2, language="en", time_to_answer_ms=3000)
        print(tapped.id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert proc.returncode == -9, proc.stderr
    tapped_id = proc.stdout.strip()
    db = open_database(db_path)  # start again, as the kiosk would
    try:
        recorder = Recorder(db, clock=lambda: utcnow() + timedelta(hours=1))  # stored times are UTC
        assert recorder.recover_incomplete(older_than=timedelta(seconds=20)) == 1
        answer = recorder.get(tapped_id)
        assert answer.score == 2 and answer.completion is Completion.RECOVERED
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        db.close()


def test_a_second_process_sees_the_answer_while_the_kiosk_runs(
    db: Database, recorder: Recorder, db_path: Path
) -> None:
    recorder.record_score(score=9, language="en", time_to_answer_ms=4000)
    other = open_database(db_path)
    try:
        assert [r.score for r in Recorder(other).latest()] == [9]
    finally:
        other.close()
