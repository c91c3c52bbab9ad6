"""Migration 0007 upgrades a database made at revision 0006 (the release before): the answers
and cases keep every field, a resolved case gets its resolved time from its last update, the
erasure queue starts empty, the erasure cursor is NULL, and Forget / purge work on the file."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from alembic import command

from kiosk import followups, privacy
from kiosk.db import _alembic_config, current_revision, make_engine, open_database
from kiosk.migrations import HEAD
from sync.ledger import SyncStore


def make_0006(path: Path) -> None:
    engine = make_engine(path)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0006")
        conn.commit()
    engine.dispose()
    con = sqlite3.connect(path)
    with con:
        for i in range(3):
            con.execute(
                "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
                "question_version, score, category, reasons, comment, contact_consent, "
                "contact_name, contact_detail, device_time, completed_at, local_day, status, "
                "completion, suspect, sync_state, survey_version) VALUES (?, ?, 's', 'd', "
                "'kiosk', 'hi', 1, 2, 'detractor', '[]', 'slow', 1, ?, ?, "
                "'2026-11-20 10:00:00.000000', '2026-11-20 10:00:20.000000', '2026-11-20', "
                "'complete', 'done', 0, 'synced', 7)",
                (f"r{i}", i + 1, f"Name {i}", f"+91 90000 0000{i}"),
            )
        con.execute(
            "INSERT INTO followup_cases (response_id, state, note, updated_at) VALUES "
            "('r0', 'resolved', 'done', '2026-11-21 08:00:00.000000'), "
            "('r1', 'contacted', NULL, '2026-11-21 09:00:00.000000')"
        )
        con.execute("UPDATE sync_status SET hq_url = 'https://hq.example.com' WHERE id = 1")
    con.close()


def test_0007_upgrades_a_0006_database(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    make_0006(path)
    db = open_database(path)
    try:
        assert current_revision(path) == HEAD  # 0007 and every revision after it
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, contact_name, comment, survey_version, consent_text FROM responses "
                "ORDER BY id"
            ).all()
            assert [tuple(r) for r in rows] == [
                (f"r{i}", f"Name {i}", "slow", 7, None) for i in range(3)
            ]
            resolved = dict(
                conn.exec_driver_sql("SELECT response_id, resolved_at FROM followup_cases").all()
            )
            assert conn.exec_driver_sql("SELECT count(*) FROM erasure_queue").scalar() == 0
        assert datetime.fromisoformat(str(resolved["r0"])) == datetime(2026, 11, 21, 8)
        assert resolved["r1"] is None
        status = SyncStore(db).status()
        assert status.hq_url == "https://hq.example.com" and status.erasure_cursor is None
        # Forget queues for HQ; the purge uses the migrated resolved time.
        followups.erase(db, "r2")
        assert privacy.queued(db, limit=5) == ["r2"]
        done = privacy.purge(db, now=datetime(2026, 11, 21, 8) + timedelta(days=91))
        assert done.contacts == 1  # r0: resolved 91 days before; r1 is answered 92 days ago
        assert followups.get(db, "r0").contact_name is None
        assert followups.get(db, "r1").contact_name == "Name 1"
    finally:
        db.close()
