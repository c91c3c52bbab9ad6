"""Opening the database: pragmas, migrations, corrupt files moved aside with their bytes intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kiosk.db import alembic_head, head_revision, open_database
from kiosk.integrity import FullCheck, damage_found
from kiosk.migrations import HEAD
from kiosk.models import Base
from kiosk.recording import Recorder


def test_fresh_file_is_migrated_to_head_with_durable_pragmas(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert version == head_revision()
        assert db.notices == [] and db.moved_aside is None
    finally:
        db.close()


def test_the_head_constant_names_the_newest_migration() -> None:
    assert head_revision() == alembic_head(), (
        "a migration was added: move HEAD in kiosk/migrations/__init__.py to it"
    )


def test_migrations_from_an_empty_file_match_the_models(db_path: Path) -> None:
    db_path.touch()  # a zero-byte file, as a crash during first start could leave
    db = open_database(db_path)
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        db.close()


def test_first_start_gives_the_device_an_id_that_stays(db_path: Path) -> None:
    first = open_database(db_path)
    device = first.settings().device_id
    first.close()
    again = open_database(db_path)
    assert device.startswith("dev-") and again.settings().device_id == device
    again.close()


def test_a_file_that_is_not_sqlite_is_moved_aside_untouched(db_path: Path) -> None:
    junk = b"this is a spreadsheet someone saved over the kiosk database\n" * 50
    db_path.write_bytes(junk)
    db = open_database(db_path)
    try:
        assert db.moved_aside is not None and db.moved_aside.exists()
        assert db.moved_aside.read_bytes() == junk  # never overwritten
        assert "moved aside" in db.notices[0] and db.moved_aside.name in db.notices[0]
        Recorder(db).record_score(score=9, language="en", time_to_answer_ms=2000)
        assert db.moved_aside.read_bytes() == junk
    finally:
        db.close()


def damage_a_page(db_path: Path) -> bytes:
    """Eleven answers, then a b-tree page scribbled over (the header and schema stay whole)."""
    db = open_database(db_path)
    recorder = Recorder(db)
    for score in range(11):
        recorder.record_score(score=score, language="en", time_to_answer_ms=5000)
    db.checkpoint()
    db.close()
    raw = bytearray(db_path.read_bytes())
    page = 4096
    raw[page * 2 : page * 2 + 200] = b"\xff" * 200  # scribble over a b-tree page
    db_path.write_bytes(bytes(raw))
    return bytes(raw)


def test_a_damaged_header_is_moved_aside_at_open(db_path: Path) -> None:
    open_database(db_path).close()
    raw = bytearray(db_path.read_bytes())
    raw[16:18] = (3000).to_bytes(2, "big")  # a page size SQLite cannot have
    db_path.write_bytes(bytes(raw))

    reopened = open_database(db_path)
    try:
        assert reopened.moved_aside is not None
        assert reopened.moved_aside.read_bytes() == bytes(raw)
        why = reopened.moved_aside.with_name(reopened.moved_aside.name + ".why.txt")
        assert "header is damaged" in why.read_text() or "cannot read" in why.read_text()
    finally:
        reopened.close()


def test_page_damage_found_by_the_full_check_is_moved_aside_at_the_next_start(
    db_path: Path,
) -> None:
    raw = damage_a_page(db_path)
    # Opening reads the header and schema only: the file is not moved from under the kiosk.
    running = open_database(db_path)
    assert running.moved_aside is None
    result = FullCheck(db_path).run()  # what the background check does
    assert result.problem and ("integrity_check" in result.problem or "malformed" in result.problem)
    assert damage_found(db_path) == result.problem
    assert db_path.read_bytes()[:100] == raw[:100]  # still in place while the kiosk runs
    running.close()

    reopened = open_database(db_path)
    try:
        assert reopened.moved_aside is not None
        assert reopened.moved_aside.read_bytes() == raw
        why = reopened.moved_aside.with_name(reopened.moved_aside.name + ".why.txt")
        assert "background integrity check found damage" in why.read_text()
        assert "moved aside" in reopened.notices[0]
        assert damage_found(db_path) is None  # the record went aside with the file
        assert Recorder(reopened).latest() == []  # a fresh, empty database
    finally:
        reopened.close()


def test_moving_aside_twice_keeps_both_files(db_path: Path) -> None:
    kept = []
    for n in range(2):
        db_path.write_bytes(f"garbage {n}".encode())
        db = open_database(db_path)
        assert db.moved_aside is not None
        kept.append(db.moved_aside)
        db.close()
        db_path.unlink()
        for side in ("-wal", "-shm"):
            Path(str(db_path) + side).unlink(missing_ok=True)
    assert kept[0] != kept[1]
    assert {p.read_bytes() for p in kept} == {b"garbage 0", b"garbage 1"}


def test_an_older_schema_is_copied_aside_before_it_is_upgraded(db_path: Path) -> None:
    from tests.kiosk.test_migrations_0002 import make_0001  # a real revision-0001 file

    make_0001(db_path)
    before = db_path.read_bytes()
    db = open_database(db_path)
    try:
        assert db.backup is not None and db.backup.name.startswith(f"kiosk.db.pre-{HEAD}-")
        copy = sqlite3.connect(db.backup)
        try:  # the copy is the old file as it was: revision 0001, every response
            assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
            assert copy.execute("SELECT count(*) FROM responses").fetchone() == (5,)
        finally:
            copy.close()
        assert any("upgraded" in n and db.backup.name in n for n in db.notices)
        assert len(Recorder(db).latest()) == 5 and len(before) > 0
    finally:
        db.close()


def test_unwritable_location_says_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    from kiosk.errors import DatabaseLocationError

    with pytest.raises(DatabaseLocationError, match="--db"):
        open_database(blocker / "sub" / "kiosk.db")
