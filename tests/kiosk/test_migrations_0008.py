"""Migration 0008_case_sync upgrades a database made at revision 0007 (the release before): the
cases keep their state and note, a case the manager changed is attributed to the store manager at
its last update and is pending for HQ, an untouched or only-erased case is not, the case cursor
is NULL, and cases work on the file afterwards."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command

from kiosk import followups
from kiosk.db import _alembic_config, current_revision, make_engine, open_database
from kiosk.followups import CaseState
from kiosk.migrations import HEAD
from sync.ledger import SyncStore


def make_0007(path: Path) -> None:
    engine = make_engine(path)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0007")
        conn.commit()
    engine.dispose()
    con = sqlite3.connect(path)
    with con:
        for i in range(4):
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
            "INSERT INTO followup_cases (response_id, state, note, updated_at, resolved_at, "
            "erased_at) VALUES "
            "('r0', 'resolved', 'done', '2026-11-21 08:00:00.000000', "
            "'2026-11-21 08:00:00.000000', NULL), "
            "('r1', 'open', 'left a message', '2026-11-21 09:00:00.000000', NULL, NULL), "
            "('r2', 'open', NULL, '2026-11-22 09:00:00.000000', NULL, "
            "'2026-11-22 09:00:00.000000')"
        )
        con.execute(
            "UPDATE sync_status SET hq_url = 'https://hq.example.com', erasure_cursor = 'e9' "
            "WHERE id = 1"
        )
    con.close()


def test_0008_upgrades_a_0007_database(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    make_0007(path)
    db = open_database(path)
    try:
        assert current_revision(path) == HEAD  # 0008_case_sync and every revision after it
        by_id = {c.response_id: c for c in followups.cases(db)}
        assert (by_id["r0"].state, by_id["r0"].note) == (CaseState.RESOLVED, "done")
        assert by_id["r0"].changed_by == "store manager" and by_id["r0"].hq_pending
        assert by_id["r0"].changed_at == datetime(2026, 11, 21, 8)
        assert by_id["r1"].note == "left a message" and by_id["r1"].hq_pending
        for untouched in ("r2", "r3"):  # erased only, or never changed: nothing for HQ
            assert by_id[untouched].changed_at is None and not by_id[untouched].hq_pending
        assert by_id["r2"].erased and by_id["r3"].contact_name == "Name 3"
        pending = followups.pending(db, limit=10)
        assert {p.change.response_id for p in pending} == {"r0", "r1"}
        status = SyncStore(db).status()
        assert status.case_cursor is None and status.erasure_cursor == "e9"
        assert status.hq_url == "https://hq.example.com"
        case = followups.move(db, "r3", CaseState.CONTACTED)
        assert case.changed_by == followups.manager_name(db) and case.hq_pending
    finally:
        db.close()
