"""The store's local day on each response, and the rollups keyed by it instead of the UTC date.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

The zone is the ``time_zone`` setting if one is stored and valid, else the machine's zone; it
is stored as the setting here, so that the days written now do not move if the machine's zone
does later. Existing rows are backfilled in one UPDATE (SQLite's date() with the zone's offset
for each DST span of the stored history) and the rollups recounted. The trigger SQL is copied
here on purpose (not imported from kiosk.rollups), so that this revision keeps meaning what it
meant when it was written; the zone arithmetic is kiosk.localtime's, which only reads zoneinfo.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from kiosk.localtime import is_zone_name, local_day_sql, machine_zone, zone

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_DAY = "coalesce({r}local_day, date({r}device_time))"
_ROW_DAY = _DAY.format(r="")
_NEW_DAY, _OLD_DAY = _DAY.format(r="NEW."), _DAY.format(r="OLD.")
_SCORE_KEY = f"{_ROW_DAY}, channel, language, suspect, score"
_DONE_KEY = f"{_ROW_DAY}, channel, language, suspect, completion"

TRIGGER_NAMES = (
    "trg_rollup_insert",
    "trg_rollup_delete",
    "trg_rollup_update_score",
    "trg_rollup_update_completion",
)
TRIGGERS = (
    f"""CREATE TRIGGER trg_rollup_insert AFTER INSERT ON responses BEGIN
  INSERT INTO daily_rollups (day, channel, language, suspect, score, n)
  VALUES ({_NEW_DAY}, NEW.channel, NEW.language, NEW.suspect, NEW.score, 1)
  ON CONFLICT (day, channel, language, suspect, score) DO UPDATE SET n = n + 1;
  INSERT INTO daily_completions (day, channel, language, suspect, completion, n)
  SELECT {_NEW_DAY}, NEW.channel, NEW.language, NEW.suspect, NEW.completion, 1
  WHERE NEW.completion IS NOT NULL
  ON CONFLICT (day, channel, language, suspect, completion) DO UPDATE SET n = n + 1;
END""",
    f"""CREATE TRIGGER trg_rollup_delete AFTER DELETE ON responses BEGIN
  UPDATE daily_rollups SET n = n - 1
  WHERE day = {_OLD_DAY} AND channel = OLD.channel AND language = OLD.language
    AND suspect = OLD.suspect AND score = OLD.score;
  UPDATE daily_completions SET n = n - 1
  WHERE OLD.completion IS NOT NULL AND day = {_OLD_DAY} AND channel = OLD.channel
    AND language = OLD.language AND suspect = OLD.suspect AND completion = OLD.completion;
END""",
    f"""CREATE TRIGGER trg_rollup_update_score
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
    f"""CREATE TRIGGER trg_rollup_update_completion
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


def _store_zone(conn: sa.Connection) -> str:
    raw = conn.exec_driver_sql("SELECT value FROM settings WHERE key = 'time_zone'").scalar()
    try:
        name = json.loads(raw) if raw is not None else None
    except ValueError:
        name = None
    if isinstance(name, str) and is_zone_name(name.strip()):
        return name.strip()
    name = machine_zone()
    conn.execute(
        sa.text(
            "INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES ('time_zone', :v, :at)"
        ),
        {"v": json.dumps(name), "at": datetime.now(UTC).replace(tzinfo=None)},
    )
    return name


def upgrade() -> None:
    conn = op.get_bind()
    columns = {c["name"] for c in sa.inspect(conn).get_columns("responses")}
    if "local_day" not in columns:
        op.add_column("responses", sa.Column("local_day", sa.String(10), nullable=True))
    name = _store_zone(conn)
    for trigger in TRIGGER_NAMES:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    lo, hi = conn.exec_driver_sql("SELECT min(device_time), max(device_time) FROM responses").one()
    if lo is not None:
        pad = timedelta(days=2)
        expr = local_day_sql(
            zone(name), datetime.fromisoformat(lo) - pad, datetime.fromisoformat(hi) + pad
        )
        conn.exec_driver_sql(f"UPDATE responses SET local_day = {expr}")
    conn.exec_driver_sql("DELETE FROM daily_rollups")
    conn.exec_driver_sql("DELETE FROM daily_completions")
    conn.exec_driver_sql(
        f"INSERT INTO daily_rollups (day, channel, language, suspect, score, n) "
        f"SELECT {_SCORE_KEY}, count(*) FROM responses GROUP BY {_SCORE_KEY}"
    )
    conn.exec_driver_sql(
        f"INSERT INTO daily_completions (day, channel, language, suspect, completion, n) "
        f"SELECT {_DONE_KEY}, count(*) FROM responses WHERE completion IS NOT NULL "
        f"GROUP BY {_DONE_KEY}"
    )
    for sql in TRIGGERS:
        conn.exec_driver_sql(sql)


def downgrade() -> None:
    # Back to UTC days: 0002's triggers and a recount by date(device_time).
    conn = op.get_bind()
    for trigger in TRIGGER_NAMES:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("local_day")
    utc = "date(device_time), channel, language, suspect"
    conn.exec_driver_sql("DELETE FROM daily_rollups")
    conn.exec_driver_sql("DELETE FROM daily_completions")
    conn.exec_driver_sql(
        f"INSERT INTO daily_rollups (day, channel, language, suspect, score, n) "
        f"SELECT {utc}, score, count(*) FROM responses GROUP BY {utc}, score"
    )
    conn.exec_driver_sql(
        f"INSERT INTO daily_completions (day, channel, language, suspect, completion, n) "
        f"SELECT {utc}, completion, count(*) FROM responses WHERE completion IS NOT NULL "
        f"GROUP BY {utc}, completion"
    )
    for sql in TRIGGERS:
        conn.exec_driver_sql(
            sql.replace(_NEW_DAY, "date(NEW.device_time)")
            .replace(_OLD_DAY, "date(OLD.device_time)")
            .replace("device_time, local_day,", "device_time,")
        )
