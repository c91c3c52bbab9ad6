"""Per-day rollups of the responses table, from which the dashboard is computed.

``daily_rollups`` counts scores per (store-local day, channel, language, suspect, score) and
``daily_completions`` counts how complete responses ended. SQLite triggers on ``responses``
(created by migration 0002, keyed by the local day since 0005; SQL below) keep both in step
with every insert, update and delete, inside the writer's own transaction, so a rollup can
never disagree with the rows it counts, whoever writes them (the survey, a sync pull, the
seeder). ``rebuild`` recounts from scratch: used by the migration's backfill and by bulk
loads that drop the triggers for speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.localtime import local_day_sql, zone
from kiosk.models import DailyCompletionRow, DailyRollupRow

_SCORE_KEY = "date(device_time), channel, language, suspect, score"
_DONE_KEY = "date(device_time), channel, language, suspect, completion"

# A row's day is the store's local date, written on the row by whoever records it (the
# recorder, the seeder, the phone-answer pull) because a trigger cannot call zoneinfo. A row
# written without one (a support script) still counts, on its UTC date.
_DAY = "coalesce({r}local_day, date({r}device_time))"
_ROW_DAY = _DAY.format(r="")
_NEW_DAY, _OLD_DAY = _DAY.format(r="NEW."), _DAY.format(r="OLD.")
_SCORE_KEY = f"{_ROW_DAY}, channel, language, suspect, score"
_DONE_KEY = f"{_ROW_DAY}, channel, language, suspect, completion"

# One statement per entry: executed in order by create_triggers / drop_triggers.
TRIGGERS: tuple[str, ...] = (
    f"""CREATE TRIGGER IF NOT EXISTS trg_rollup_insert AFTER INSERT ON responses BEGIN
  INSERT INTO daily_rollups (day, channel, language, suspect, score, n)
  VALUES ({_NEW_DAY}, NEW.channel, NEW.language, NEW.suspect, NEW.score, 1)
  ON CONFLICT (day, channel, language, suspect, score) DO UPDATE SET n = n + 1;
  INSERT INTO daily_completions (day, channel, language, suspect, completion, n)
  SELECT {_NEW_DAY}, NEW.channel, NEW.language, NEW.suspect, NEW.completion, 1
  WHERE NEW.completion IS NOT NULL
  ON CONFLICT (day, channel, language, suspect, completion) DO UPDATE SET n = n + 1;
END""",
    f"""CREATE TRIGGER IF NOT EXISTS trg_rollup_delete AFTER DELETE ON responses BEGIN
  UPDATE daily_rollups SET n = n - 1
  WHERE day = {_OLD_DAY} AND channel = OLD.channel AND language = OLD.language
    AND suspect = OLD.suspect AND score = OLD.score;
  UPDATE daily_completions SET n = n - 1
  WHERE OLD.completion IS NOT NULL AND day = {_OLD_DAY} AND channel = OLD.channel
    AND language = OLD.language AND suspect = OLD.suspect AND completion = OLD.completion;
END""",
    f"""CREATE TRIGGER IF NOT EXISTS trg_rollup_update_score
AFTER UPDATE OF device_time, local_day, channel, language, suspect, score ON responses
WHEN {_OLD_DAY} IS NOT {_NEW_DAY} OR OLD.channel IS NOT NEW.channel
  OR OLD.language IS NOT NEW.language OR OLD.suspect IS NOT NEW.suspect
  OR OLD.score IS NOT NEW.score
BEGIN
  UPDATE daily_rollups SET n = n - 1
  WHERE day = {_OLD_DAY} AND channel = OLD.channel AND language = OLD.language
    AND suspect = OLD.suspect AND score = OLD.score;
  INSERT INTO daily_rollups (day, channel, language, suspect, score, n)
  VALUES ({_NEW_DAY}, NEW.channel, NEW.language, NEW.suspect, NEW.score, 1)
  ON CONFLICT (day, channel, language, suspect, score) DO UPDATE SET n = n + 1;
END""",
    f"""CREATE TRIGGER IF NOT EXISTS trg_rollup_update_completion
AFTER UPDATE OF device_time, local_day, channel, language, suspect, completion ON responses
WHEN {_OLD_DAY} IS NOT {_NEW_DAY} OR OLD.channel IS NOT NEW.channel
  OR OLD.language IS NOT NEW.language OR OLD.suspect IS NOT NEW.suspect
  OR OLD.completion IS NOT NEW.completion
BEGIN
  UPDATE daily_completions SET n = n - 1
  WHERE OLD.completion IS NOT NULL AND day = {_OLD_DAY} AND channel = OLD.channel
    AND language = OLD.language AND suspect = OLD.suspect AND completion = OLD.completion;
  INSERT INTO daily_completions (day, channel, language, suspect, completion, n)
  SELECT {_NEW_DAY}, NEW.channel, NEW.language, NEW.suspect, NEW.completion, 1
  WHERE NEW.completion IS NOT NULL
  ON CONFLICT (day, channel, language, suspect, completion) DO UPDATE SET n = n + 1;
END""",
)
TRIGGER_NAMES = (
    "trg_rollup_insert",
    "trg_rollup_delete",
    "trg_rollup_update_score",
    "trg_rollup_update_completion",
)

REBUILD: tuple[str, ...] = (
    "DELETE FROM daily_rollups",
    "DELETE FROM daily_completions",
    f"INSERT INTO daily_rollups (day, channel, language, suspect, score, n) "
    f"SELECT {_SCORE_KEY}, count(*) FROM responses GROUP BY {_SCORE_KEY}",
    f"INSERT INTO daily_completions (day, channel, language, suspect, completion, n) "
    f"SELECT {_DONE_KEY}, count(*) FROM responses WHERE completion IS NOT NULL "
    f"GROUP BY {_DONE_KEY}",
)


def _run(conn: Any, statements: tuple[str, ...]) -> None:
    for sql in statements:
        conn.exec_driver_sql(sql)


def create_triggers(session: Session) -> None:
    _run(session.connection(), TRIGGERS)


def drop_triggers(session: Session) -> None:
    _run(session.connection(), tuple(f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGER_NAMES))


def rebuild(session: Session) -> None:
    """Recount both rollup tables from the responses table (inside the caller's transaction)."""
    _run(session.connection(), REBUILD)


def rekey(session: Session, time_zone: str) -> None:
    """Give every response the local date it has in ``time_zone`` and recount the rollups by
    it (the store's zone changed). Inside the caller's transaction; one UPDATE, no Python per
    row: SQLite's date() with the zone's offset for each DST span of the stored history."""
    conn = session.connection()
    lo, hi = conn.exec_driver_sql("SELECT min(device_time), max(device_time) FROM responses").one()
    if lo is None:
        return
    span = timedelta(days=2)
    expr = local_day_sql(
        zone(time_zone), datetime.fromisoformat(lo) - span, datetime.fromisoformat(hi) + span
    )
    drop_triggers(session)
    conn.exec_driver_sql(f"UPDATE responses SET local_day = {expr}")
    rebuild(session)
    create_triggers(session)


@dataclass(frozen=True, order=True)
class RollupCount:
    day: str
    channel: str
    language: str
    suspect: bool
    key: int | str  # the score (daily_rollups) or the completion (daily_completions)
    n: int


def score_counts(db: Database) -> list[RollupCount]:
    """Every non-zero score rollup (for checks and support; the dashboard aggregates in SQL)."""
    with db.reading() as s:
        rows = s.execute(select(DailyRollupRow).where(DailyRollupRow.n > 0)).scalars().all()
        return sorted(
            RollupCount(r.day, r.channel, r.language, bool(r.suspect), r.score, r.n) for r in rows
        )


def completion_counts(db: Database) -> list[RollupCount]:
    with db.reading() as s:
        rows = s.execute(select(DailyCompletionRow).where(DailyCompletionRow.n > 0)).scalars()
        return sorted(
            RollupCount(r.day, r.channel, r.language, bool(r.suspect), r.completion, r.n)
            for r in rows.all()
        )


def recount(db: Database) -> tuple[list[RollupCount], list[RollupCount]]:
    """What the rollups should hold, counted from the responses table (slow: full scan)."""
    with db.reading() as s:
        conn = s.connection()
        scores = conn.exec_driver_sql(
            f"SELECT {_SCORE_KEY}, count(*) FROM responses GROUP BY {_SCORE_KEY}"
        ).all()
        done = conn.exec_driver_sql(
            f"SELECT {_DONE_KEY}, count(*) FROM responses WHERE completion IS NOT NULL "
            f"GROUP BY {_DONE_KEY}"
        ).all()
    return (
        sorted(RollupCount(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in scores),
        sorted(RollupCount(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in done),
    )
