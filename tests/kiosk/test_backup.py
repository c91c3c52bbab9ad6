"""`nps-kiosk backup`: a whole, checked copy of the live database; restoring it gives the answers
back; it never touches the source."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.backup import backup_database
from kiosk.cli import main
from kiosk.db import Database, open_database
from kiosk.errors import DatabaseError
from kiosk.recording import Recorder


def record(db: Database, n: int) -> list[str]:
    recorder = Recorder(db)
    return [
        recorder.record_score(score=i % 11, language="en", time_to_answer_ms=3000).id
        for i in range(n)
    ]


def test_backup_of_a_live_database_has_every_committed_answer(db: Database, tmp_path: Path) -> None:
    ids = record(db, 25)
    # The kiosk is still running: its answers are in the WAL, not yet in the main file.
    assert (db.path.with_name(db.path.name + "-wal")).stat().st_size > 0
    out = tmp_path / "usb" / "kiosk-backup.db"
    done = backup_database(source=db.path, out=out)
    assert (done.path, done.responses) == (out, 25)
    assert not out.with_name(out.name + "-wal").exists()  # one file to carry away
    conn = sqlite3.connect(out)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert {r[0] for r in conn.execute("SELECT id FROM responses")} == set(ids)
    finally:
        conn.close()
    record(db, 1)  # the kiosk carries on writing; the backup is a snapshot, apart from it
    conn = sqlite3.connect(out)
    try:
        assert conn.execute("SELECT count(*) FROM responses").fetchone() == (25,)
    finally:
        conn.close()


def test_restored_backup_opens_with_the_answers(db: Database, tmp_path: Path) -> None:
    ids = record(db, 5)
    out = tmp_path / "backup.db"
    backup_database(source=db.path, out=out)
    restored = tmp_path / "restored" / "kiosk.db"
    restored.parent.mkdir()
    restored.write_bytes(out.read_bytes())
    again = open_database(restored)
    try:
        assert {r.id for r in Recorder(again).latest(limit=100)} == set(ids)
        assert again.notices == []  # nothing moved aside, nothing to migrate
    finally:
        again.close()


def test_existing_file_is_not_replaced_without_force(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "backup.db"
    out.write_text("last week's stick")
    with pytest.raises(DatabaseError, match="already exists"):
        backup_database(source=db.path, out=out)
    assert out.read_text() == "last week's stick"
    backup_database(source=db.path, out=out, overwrite=True)
    assert out.read_bytes().startswith(b"SQLite format 3\x00")


def test_missing_source_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no database"):
        backup_database(source=tmp_path / "none.db", out=tmp_path / "b.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_cli_backup_does_not_migrate_or_create_the_source(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old)
    conn.executescript(
        "CREATE TABLE alembic_version (version_num TEXT); "
        "INSERT INTO alembic_version VALUES ('0001');"
    )
    conn.close()
    before = old.read_bytes()
    assert main(["backup", "--db", str(old), "--out", str(tmp_path / "copy.db")]) == 0
    assert "schema 0001" in capsys.readouterr().out
    assert old.read_bytes() == before  # no migration, no backup-before-migration file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "old.db"]
    assert main(["backup", "--db", str(tmp_path / "gone.db"), "--out", str(tmp_path / "x.db")]) == 2
    assert not (tmp_path / "gone.db").exists()
