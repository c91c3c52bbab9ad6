"""The kiosk's database holds customers' contact details and the PIN hash: the file, its -wal
and -shm, the copy made before a migration and `nps-kiosk backup` output are all 0600, however
permissive the umask, and a file an earlier release left 0644 is tightened when it is opened."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.backup import backup_database
from kiosk.db import open_database
from kiosk.recording import Recorder


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: new files come out 0644 unless we say otherwise
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sides(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def test_a_new_database_and_its_wal_are_readable_by_the_kiosk_user_only(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        Recorder(db).record_score(score=2, language="en", time_to_answer_ms=3000)
        for p in sides(db_path):
            assert p.exists(), p
            assert mode(p) == 0o600, f"{p.name} is {mode(p):o}"
    finally:
        db.close()


def test_an_existing_0644_database_is_tightened_on_open(db_path: Path) -> None:
    db = open_database(db_path)
    Recorder(db).record_score(score=9, language="en", time_to_answer_ms=3000)
    for p in sides(db_path):
        os.chmod(p, 0o644)  # as the previous release left it
    db2 = open_database(db_path)  # a second process while the first still runs: -wal exists
    try:
        for p in sides(db_path):
            assert mode(p) == 0o600, f"{p.name} is {mode(p):o}"
    finally:
        db2.close()
        db.close()


def test_the_copy_before_a_migration_and_nps_kiosk_backup_are_0600(
    db_path: Path, tmp_path: Path
) -> None:
    from tests.kiosk.test_migrations_0002 import make_0001  # a real revision-0001 file

    make_0001(db_path)
    os.chmod(db_path, 0o644)
    db = open_database(db_path)
    try:
        assert db.backup is not None
        assert mode(db.backup) == 0o600
        assert mode(db_path) == 0o600
        out = tmp_path / "usb" / "kiosk-backup.db"
        assert mode(backup_database(source=db_path, out=out).path) == 0o600
        out.write_bytes(b"")
        os.chmod(out, 0o644)  # an older backup replaced with --force comes out 0600 too
        assert mode(backup_database(source=db_path, out=out, overwrite=True).path) == 0o600
    finally:
        db.close()


def test_a_damaged_file_moved_aside_is_kept_private(db_path: Path) -> None:
    db_path.write_bytes(b"not a database, but maybe a customer's details")
    os.chmod(db_path, 0o644)
    db = open_database(db_path)
    try:
        assert db.moved_aside is not None and mode(db.moved_aside) == 0o600
        assert mode(db_path) == 0o600
    finally:
        db.close()
