"""Migration 0002 upgrades a database made at revision 0001 and backfills the rollups."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from alembic import command

from core.nps import nps
from kiosk import rollups
from kiosk.dashboard import dashboard
from kiosk.db import _alembic_config, current_revision, head_revision, make_engine, open_database
from kiosk.questions import versions

ROWS = [
    # (id, seq, language, channel, score, suspect, completion, device_time)
    ("r1", 1, "en", "kiosk", 10, 0, "done", "2026-11-20 10:00:00.000000"),
    ("r2", 2, "hi", "kiosk", 9, 0, "skip", "2026-11-20 11:00:00.000000"),
    ("r3", 3, "en", "qr", 3, 0, "timeout", "2026-11-21 09:30:00.000000"),
    ("r4", 4, "en", "kiosk", 7, 0, None, "2026-11-22 12:00:00.000000"),
    ("r5", 5, "hi", "kiosk", 10, 1, "done", "2026-11-22 12:00:01.000000"),
]


def make_0001(path: Path) -> None:
    engine = make_engine(path)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0001")
        conn.commit()
    engine.dispose()
    con = sqlite3.connect(path)
    with con:
        con.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES ('question', ?, "
            "'2026-11-01 00:00:00'), ('question_version', '3', '2026-11-01 00:00:00')",
            (json.dumps({"en": "Would you recommend Shop 7?"}),),
        )
        for rid, seq, lang, channel, score, suspect, completion, at in ROWS:
            cat = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
            con.execute(
                "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
                "question_version, score, category, reasons, contact_consent, device_time, "
                "status, completion, suspect, sync_state) VALUES "
                "(?, ?, 's', 'd', ?, ?, 3, ?, ?, '[]', 0, ?, ?, ?, ?, 'pending')",
                (
                    rid,
                    seq,
                    channel,
                    lang,
                    score,
                    cat,
                    at,
                    "complete" if completion else "incomplete",
                    completion,
                    suspect,
                ),
            )
    con.close()


def test_upgrade_from_0001_backfills_rollups(db_path: Path) -> None:
    make_0001(db_path)
    assert current_revision(db_path) == "0001"

    db = open_database(db_path)
    try:
        assert current_revision(db_path) == head_revision()  # 0002, then later revisions
        assert db.backup is not None and db.backup.exists()  # copied aside before migrating
        assert (rollups.score_counts(db), rollups.completion_counts(db)) == rollups.recount(db)
        kiosk_en = [c for c in rollups.score_counts(db) if c.day == "2026-11-20"]
        assert [(c.language, c.key, c.n) for c in kiosk_en] == [("en", 10, 1), ("hi", 9, 1)]

        d = dashboard(db, today=date(2026, 11, 22), window_days=7)
        assert d.periods[-1].result == nps([10, 9, 3, 7])  # suspect r5 left out
        assert d.suspect_in_window == 1 and d.responses_total == 5
        assert (d.completion.done, d.completion.skip, d.completion.timeout) == (1, 1, 1)

        # The wording in use became its question version, under its own number.
        (v,) = versions(db)
        assert v.version == 3 and v.question == {"en": "Would you recommend Shop 7?"}

        con = sqlite3.connect(db_path)
        assert con.execute("SELECT count(*) FROM responses WHERE seeded = 0").fetchone() == (5,)
        con.close()
    finally:
        db.close()


def test_new_database_has_version_1_and_empty_rollups(db) -> None:
    assert [v.version for v in versions(db)] == [1]
    assert rollups.score_counts(db) == []
