"""Migration 0006 upgrades a database made at revision 0005 (the release stores run): the
answers keep every field and get a NULL survey version, the sync status keeps its row (with no
recoveries to report and no profile error), the rollups and their triggers still count, and
the kiosk records and sends as before until a profile from HQ is applied."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from kiosk.db import _alembic_config, current_revision, make_engine, open_database
from kiosk.migrations import HEAD
from kiosk.recording import Completion, Recorder
from sync.ledger import SyncStore


def make_0005(path: Path) -> None:
    engine = make_engine(path)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0005")
        conn.commit()
    engine.dispose()
    con = sqlite3.connect(path)
    with con:
        for i in range(20):
            con.execute(
                "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
                "question_version, score, category, reasons, contact_consent, device_time, "
                "local_day, status, completion, suspect, sync_state) VALUES (?, ?, 's', 'd', "
                "'kiosk', 'hi', 1, ?, ?, '[]', 0, '2026-11-20 10:00:00.000000', '2026-11-20', "
                "'complete', 'done', 0, ?)",
                (
                    f"r{i}",
                    i + 1,
                    i % 11,
                    "promoter" if i % 11 >= 9 else "passive" if i % 11 >= 7 else "detractor",
                    "synced" if i < 15 else "pending",
                ),
            )
        con.execute(  # the row 0003 made, as an enrolled kiosk has it
            "UPDATE sync_status SET hq_url = 'https://hq.example.com', clock_offset_s = 1.5 "
            "WHERE id = 1"
        )
    con.close()


def test_0006_upgrades_a_0005_database(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    make_0005(path)
    db = open_database(path)
    try:
        assert current_revision(path) == HEAD  # 0006 and every revision after it
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT count(*), count(survey_version), sum(score) FROM responses"
            ).one()
            assert tuple(rows) == (20, 0, sum(i % 11 for i in range(20)))
            rollup = conn.exec_driver_sql("SELECT sum(n) FROM daily_rollups").scalar()
            assert rollup == 20
            assert conn.exec_driver_sql("SELECT count(*) FROM store_profile").scalar() == 0
        status = SyncStore(db).status()
        assert status.hq_url == "https://hq.example.com" and status.clock_offset_s == 1.5
        assert status.recoveries_since_sync == 0 and status.profile_error is None
        assert SyncStore(db).pending_count() == 5
        settings = db.settings()
        assert settings.survey_version is None and settings.profile_version is None
        assert settings.consent == {}
        # The tap path works on the upgraded file and records no survey version.
        recorder = Recorder(db)
        answer = recorder.record_score(score=10, language="en", time_to_answer_ms=900)
        recorder.complete(answer.id, how=Completion.DONE)
        [wire] = [r for r in SyncStore(db).next_batch(10) if r["id"] == answer.id]
        assert wire["survey_version"] is None
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT sum(n) FROM daily_rollups").scalar() == 21
    finally:
        db.close()
