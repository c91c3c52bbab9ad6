"""A tap on a full disk (a real 3 MB tmpfs filled by another file, see tests/conftest.py):
the caller gets StorageFull with SQLite's own cause, not "cannot rollback", and the database
takes the next answer once the filler is gone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.errors import StorageFull
from kiosk.recording import Recorder
from kiosk.storage import probe_write, space_status


@pytest.fixture
def db_path(small_fs: Path) -> Path:
    return small_fs / "kiosk.db"


def test_a_full_disk_raises_storage_full_with_the_real_cause_and_recovers(
    db,
    small_fs: Path,
    fill,  # noqa: ANN001
) -> None:
    recorder = Recorder(db)
    kept = recorder.record_score(score=9, language="en", time_to_answer_ms=2000)
    filler = fill(small_fs)

    with pytest.raises(StorageFull) as caught:
        recorder.record_score(score=4, language="en", time_to_answer_ms=2000)
    assert caught.value.cause == "database or disk is full"
    assert "cannot rollback" not in str(caught.value)
    assert "Free some space" in str(caught.value)
    assert space_status(db).full and space_status(db).free_bytes < 64 * 1024
    assert probe_write(db) is False

    assert [r.id for r in recorder.latest()] == [kept.id]
    raw = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    raw.close()

    filler.unlink()
    assert probe_write(db) is True and not space_status(db).full
    again = recorder.record_score(score=4, language="en", time_to_answer_ms=2000)
    assert [r.id for r in recorder.latest()] == [again.id, kept.id]
