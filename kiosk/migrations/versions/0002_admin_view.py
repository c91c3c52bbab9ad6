"""Admin view: per-day rollups kept by triggers, question versions, follow-up cases, seeded flag.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The trigger and backfill SQL is copied here on purpose (not imported from kiosk.rollups) so that
this revision keeps meaning what it meant when it was written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SCORE_KEY = "date(device_time), channel, language, suspect, score"
_DONE_KEY = "date(device_time), channel, language, suspect, completion"

TRIGGERS = (
    """CREATE TRIGGER trg_rollup_insert AFTER INSERT ON responses BEGIN
  INSERT INTO daily_rollups (day, channel, language, suspect, score, n)
  VALUES (date(NEW.device_time), NEW.channel, NEW.language, NEW.suspect, NEW.score, 1)
  ON CONFLICT (day, channel, language, suspect, score) DO UPDATE SET n = n + 1;
  INSERT INTO daily_completions (day, channel, language, suspect, completion, n)
  SELECT date(NEW.device_time), NEW.channel, NEW.language, NEW.suspect, NEW.completion, 1
  WHERE NEW.completion IS NOT NULL
  ON CONFLICT (day, channel, language, suspect, completion) DO UPDATE SET n = n + 1;
END""",
    """CREATE TRIGGER trg_rollup_delete AFTER DELETE ON responses BEGIN
  UPDATE daily_rollups SET n = n - 1
  WHERE day = date(OLD.device_time) AND channel = OLD.channel AND language = OLD.language
    AND suspect = OLD.suspect AND score = OLD.score;
  UPDATE daily_completions SET n = n - 1
  WHERE OLD.completion IS NOT NULL AND day = date(OLD.device_time) AND channel = OLD.channel
    AND language = OLD.language AND suspect = OLD.suspect AND completion = OLD.completion;
END""",
    """CREATE TRIGGER trg_rollup_update_score
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
    """CREATE TRIGGER trg_rollup_update_completion
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

DEFAULT_TEXTS = {
    "question": {
        "en": "How likely are you to recommend us to a friend or colleague?",
        "hi": "आप हमें किसी मित्र या सहकर्मी को सुझाने की कितनी संभावना रखते हैं?",
    },
    "label_low": {"en": "Not at all likely", "hi": "बिल्कुल संभावना नहीं"},
    "label_high": {"en": "Extremely likely", "hi": "बहुत अधिक संभावना"},
}


def upgrade() -> None:
    # Tolerant of a schema that already has some of this (a file stamped at 0001 by hand after
    # a newer version ran): each step checks first, and the rollups are recounted from scratch.
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    columns = {c["name"] for c in inspector.get_columns("responses")}
    indexes = {i["name"] for i in inspector.get_indexes("responses")}
    if "seeded" not in columns:
        op.add_column(
            "responses",
            sa.Column("seeded", sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    if "ix_responses_contact" not in indexes:
        op.create_index(
            "ix_responses_contact",
            "responses",
            ["device_time"],
            sqlite_where=sa.text("contact_consent = 1"),
        )
    if "daily_rollups" not in tables:
        _create_daily_rollups()
    if "daily_completions" not in tables:
        _create_daily_completions()
    if "question_versions" not in tables:
        _create_question_versions()
    if "followup_cases" not in tables:
        _create_followup_cases()
    for name in TRIGGER_NAMES:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    conn.exec_driver_sql("DELETE FROM daily_rollups")
    conn.exec_driver_sql("DELETE FROM daily_completions")
    _backfill(conn)


def _create_daily_rollups() -> None:
    op.create_table(
        "daily_rollups",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("suspect", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "channel", "language", "suspect", "score", name=op.f("pk_daily_rollups")
        ),
        sqlite_with_rowid=False,
    )


def _create_daily_completions() -> None:
    op.create_table(
        "daily_completions",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("suspect", sa.Boolean(), nullable=False),
        sa.Column("completion", sa.String(16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "channel", "language", "suspect", "completion", name=op.f("pk_daily_completions")
        ),
        sqlite_with_rowid=False,
    )


def _create_question_versions() -> None:
    op.create_table(
        "question_versions",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("texts", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_question_versions")),
    )


def _create_followup_cases() -> None:
    op.create_table(
        "followup_cases",
        sa.Column("response_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'contacted', 'resolved')", name=op.f("ck_followup_cases_state_known")
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_followup_cases")),
    )


def _backfill(conn: sa.Connection) -> None:
    # Backfill the rollups from the rows already there, then let the triggers keep them.
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
    # The wording in use now becomes its question version (1 on a new kiosk).
    stored = dict(conn.exec_driver_sql("SELECT key, value FROM settings").all())
    texts = {}
    for key, default in DEFAULT_TEXTS.items():
        try:
            texts[key] = json.loads(stored[key]) if key in stored else default
        except ValueError:
            texts[key] = default
    try:
        version = int(json.loads(stored.get("question_version", "1")))
    except ValueError:
        version = 1
    conn.execute(
        sa.text(
            "INSERT OR IGNORE INTO question_versions (version, texts, created_at) "
            "VALUES (:v, :t, :at)"
        ),
        {
            "v": version,
            "t": json.dumps(texts, ensure_ascii=False, sort_keys=True),
            "at": datetime.now(UTC).replace(tzinfo=None),
        },
    )


def downgrade() -> None:
    conn = op.get_bind()
    for name in TRIGGER_NAMES:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("followup_cases")
    op.drop_table("question_versions")
    op.drop_table("daily_completions")
    op.drop_table("daily_rollups")
    op.drop_index("ix_responses_contact", table_name="responses")
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("seeded")
