"""Per-day rollups of the responses table, from which the dashboard is computed.

``daily_rollups`` counts scores per (UTC day, channel, language, suspect, score) and
``daily_completions`` counts how complete responses ended. SQLite triggers on ``responses``
(created by migration 0002, SQL below) keep both in step with every insert, update and delete,
inside the writer's own transaction, so a rollup can never disagree with the rows it counts,
whoever writes them (the survey, a sync pull, the seeder). ``rebuild`` recounts from scratch:
used by the migration's backfill and by bulk loads that drop the triggers for speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.models import DailyCompletionRow, DailyRollupRow

_SCORE_KEY = "date(device_time), channel, language, suspect, score"
_DONE_KEY = "date(device_time), channel, language, suspect, completion"

# One statement per entry: executed in order by create_triggers / drop_triggers.
TRIGGERS: tuple[str, ...] = (
    """CREATE TRIGGER IF NOT EXISTS trg_rollup_insert AFTER INSERT ON responses BEGIN
  INSERT INTO daily_rollups (day, channel, language, suspect, score, n)
  VALUES (date(NEW.device_time), NEW.channel, NEW.language, NEW.suspect, NEW.score, 1)
  ON CONFLICT (day, channel, language, suspect, score) DO UPDATE SET n = n + 1;
  INSERT INTO daily_completions (day, channel, language, suspect, completion, n)
  SELECT date(NEW.device_time), NEW.channel, NEW.language, NEW.suspect, NEW.completion, 1
  WHERE NEW.completion IS NOT NULL
  ON CONFLICT (day, channel, language, suspect, completion) DO UPDATE SET n = n + 1;
END""",
    """CREATE TRIGGER IF NOT EXISTS trg_rollup_delete AFTER DELETE ON responses BEGIN
  UPDATE daily_rollups SET n = n - 1
  WHERE day = date(OLD.device_time) AND channel = OLD.channel AND language = OLD.language
    AND suspect = OLD.suspect AND score = OLD.score;
  UPDATE daily_completions SET n = n - 1
  WHERE OLD.completion IS NOT NULL AND day = date(OLD.device_time) AND channel = OLD.channel
    AND language = OLD.language AND suspect = OLD.suspect AND completion = OLD.completion;
END""",
    """CREATE TRIGGER IF NOT EXISTS trg_rollup_update_score
AFTER UPDATE OF device_time, channel, language, suspect, score ON responses
WHEN date(OLD.device_time) IS NOT date(NEW.device_time) OR OLD.channel IS NOT NEW.channel
  OR OLD.language IS NOT NEW.language OR OLD.suspect IS NOT NEW.suspect
  OR OLD.score IS NOT NEW.score
BEGIN
  UPDATE daily_rollups SET n = n - 1
  WHERE day = date(OLD.device_time) AND channel = OLD.channel AND language = OLD.language
    AND suspect = OLD.suspect AND score = OLD.score;
  INSERT INTO daily_rollups (day, channel, language, suspect, score, n)
  VALUES (date(NEW.device_time), NEW.channel, NEW.language, NEW.suspect, NEW.score, 1)
  ON CONFLICT (day, channel, language, suspect, score) DO UPDATE SET n = n + 1;
END""",
    """CREATE TRIGGER IF NOT EXISTS trg_rollup_update_completion
AFTER UPDATE OF device_time, channel, language, suspect, completion ON responses
WHEN date(OLD.device_time) IS NOT date(NEW.device_time) OR OLD.channel IS NOT NEW.channel
  OR OLD.language IS NOT NEW.language OR OLD.suspect IS NOT NEW.suspect
  OR OLD.completion IS NOT NEW.completion
BEGIN
  UPDATE daily_completions SET n = n - 1
  WHERE OLD.completion IS NOT NULL AND day = date(OLD.device_time) AND channel = OLD.channel
    AND language = OLD.language AND suspect = OLD.suspect AND completion = OLD.completion;
  INSERT INTO daily_completions (day, channel, language, suspect, completion, n)
  SELECT date(NEW.device_time), NEW.channel, NEW.language, NEW.suspect, NEW.completion, 1
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
