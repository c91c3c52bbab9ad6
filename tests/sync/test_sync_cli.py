"""`nps-kiosk enroll` and `nps-kiosk sync` from the command line, against a real HQ."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from synckit import Hq, add_responses, free_port, fresh_db

from kiosk import credentials
from kiosk.cli import COMMANDS
from kiosk.db import open_database
from ui.cli import main as kiosk_main  # the nps-kiosk entry point


def test_enroll_and_sync_from_the_command_line(
    hq: Hq, template_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert {"enroll", "sync", "export-batches", "stats", "export"} <= set(COMMANDS)
    path = tmp_path / "kiosk.db"
    db = fresh_db(template_db, path)
    add_responses(db, 7)
    db.close()
    store = hq.new_store("Shop 7")
    code = hq.code(store)
    assert kiosk_main(["enroll", "--db", str(path), "--hq", hq.base + "/", "--code", code]) == 0
    out = capsys.readouterr().out
    assert f"of store {store}" in out and "7 responses recorded before enrollment" in out
    assert stat.S_IMODE(credentials.credentials_path(path).stat().st_mode) == 0o600

    assert kiosk_main(["sync", "--db", str(path), "--once"]) == 0
    out = capsys.readouterr().out
    assert "7 accepted" in out and "Synced 7; 0 still waiting; 0 quarantined" in out
    assert len(hq.rows(credentials.load(path).device_id)) == 7

    # The same code cannot enroll twice; the message says how to get a new one.
    assert kiosk_main(["enroll", "--db", str(path), "--hq", hq.base, "--code", code]) == 2
    assert "nps-hq enroll-device" in capsys.readouterr().err


def test_sync_once_with_hq_unreachable_keeps_everything_and_says_so(
    hq: Hq, template_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kiosk.db"
    fresh_db(template_db, path).close()
    assert kiosk_main(["enroll", "--db", str(path), "--hq", hq.base, "--code", hq.code()]) == 0
    db = open_database(path)
    add_responses(db, 3)
    with db.write_connection() as conn:  # HQ moved away
        conn.exec_driver_sql(
            "UPDATE sync_status SET hq_url = ?", (f"http://127.0.0.1:{free_port()}",)
        )
    db.close()
    capsys.readouterr()
    assert kiosk_main(["sync", "--db", str(path), "--once"]) == 1
    out = capsys.readouterr().out
    assert "Synced 0; 3 still waiting" in out and "Cannot reach HQ" in out


def test_sync_before_enrollment_says_how_to_enroll(
    template_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kiosk.db"
    fresh_db(template_db, path).close()
    assert kiosk_main(["sync", "--db", str(path)]) == 2
    assert "not enrolled" in capsys.readouterr().err
