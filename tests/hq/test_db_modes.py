"""HQ's SQLite file holds every store's answers and the device token hashes: it and its -wal
and -shm are 0600 whatever the umask, and a 0644 file from an earlier release is tightened."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hq.db import open_database, sqlite_url


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(path: Path) -> dict[str, int]:
    return {
        p.name: stat.S_IMODE(p.stat().st_mode)
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
    }


def test_hq_sqlite_files_are_private_and_tightened_on_open(tmp_path: Path) -> None:
    path = tmp_path / "data" / "hq.db"
    db = open_database(sqlite_url(path))
    try:
        with db.writing() as s:  # a write, so the -wal has content
            s.execute(text("CREATE TABLE probe (x INTEGER)"))
            s.execute(text("INSERT INTO probe VALUES (1)"))
        assert set(modes(path).values()) == {0o600}, modes(path)
        for name in modes(path):
            os.chmod(path.with_name(name), 0o644)  # as the previous release left them
        again = open_database(sqlite_url(path))
        again.close()
        assert set(modes(path).values()) == {0o600}, modes(path)
    finally:
        db.close()
