"""Is the till's clock believable? A till with a dead clock battery boots in the past.

The clock is impossible when it is before this release was made (no answer can be older than
the software that takes it), or clearly behind the latest answer this till already stored (time
does not run backwards), or HQ measured it off by more than 5 minutes at the last sync (the
offset in ``sync_status.clock_offset_s``: HQ's own measure from a protocol v2 batch reply, else
the kiosk's from the reply's server_time; HQ corrects the answers' times by it). That last one
is as of the last sync: a clock set right since shows the warning until the next sync. Answers
are still taken either way: the check only tells the manager.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from kiosk.db import Database
from kiosk.models import ResponseRow, SyncStatusRow

# The day this version was released; move it forward with each release (tests/kiosk/test_clock.py
# checks it is not older than the newest migration). UTC, naive, like every stored time.
RELEASED = datetime(2026, 11, 29)
# NTP may step a slightly fast clock back a little; only a larger jump counts as wrong.
ALLOWANCE = timedelta(minutes=10)
# HQ flags and corrects the answers of a clock off by more than this (hq.device_clock.SKEW).
HQ_ALLOWANCE = timedelta(minutes=5)


class ClockProblem(enum.StrEnum):
    NONE = "none"
    BEFORE_RELEASE = "before_release"  # earlier than this version of the software
    BEHIND_ANSWERS = "behind_answers"  # earlier than an answer this till already stored
    OFF_PER_HQ = "off_per_hq"  # HQ measured it more than 5 minutes off at the last sync


@dataclass(frozen=True)
class ClockCheck:
    now: datetime  # what the till's clock says (UTC, naive)
    problem: ClockProblem
    reference: datetime | None  # the release day or the latest answer's time (UTC, naive)
    offset_s: float | None = None  # OFF_PER_HQ: HQ's clock minus this till's, in seconds

    @property
    def ok(self) -> bool:
        return self.problem is ClockProblem.NONE


def _naive_utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at


def latest_answer_time(db: Database) -> datetime | None:
    """When this till's newest own answer was taken (phone answers and demo rows left out)."""
    with db.reading() as s:
        return s.scalar(
            select(func.max(ResponseRow.device_time)).where(
                ResponseRow.channel == "kiosk", ResponseRow.seeded.is_(False)
            )
        )


def hq_clock_offset(db: Database) -> float | None:
    """HQ's clock minus this till's (seconds) as measured at the last sync; None if never."""
    with db.reading() as s:
        return s.scalar(select(SyncStatusRow.clock_offset_s).where(SyncStatusRow.id == 1))


def clock_check(db: Database, now: datetime) -> ClockCheck:
    """Whether ``now`` (the till's clock, UTC; naive means UTC) can be right."""
    now = _naive_utc(now)
    if now < RELEASED:
        return ClockCheck(now=now, problem=ClockProblem.BEFORE_RELEASE, reference=RELEASED)
    offset = hq_clock_offset(db)
    if offset is not None and abs(offset) > HQ_ALLOWANCE.total_seconds():
        return ClockCheck(now=now, problem=ClockProblem.OFF_PER_HQ, reference=None, offset_s=offset)
    latest = latest_answer_time(db)
    if latest is not None and now < latest - ALLOWANCE:
        return ClockCheck(now=now, problem=ClockProblem.BEHIND_ANSWERS, reference=latest)
    return ClockCheck(now=now, problem=ClockProblem.NONE, reference=None)
