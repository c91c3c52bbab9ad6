"""Shared fixtures: real SQLite files in tmp_path, Qt offscreen."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Qt must not look for a screen in tests; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kiosk.db"


@pytest.fixture
def db(db_path: Path):
    from kiosk.db import open_database

    database = open_database(db_path)
    yield database
    database.close()


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MB file system (tmpfs, mounted for the test; root needed). Skipped where it
    cannot be mounted, and a failure under CI=true."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        why = f"cannot mount a 3 MB tmpfs ({made.stderr.strip()}); run as root"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_disk(folder: Path) -> Path:
    """Another file takes every free byte of the file system ``folder`` is on."""
    filler = folder / "filler.bin"
    with filler.open("wb", buffering=0) as fh:
        for chunk in (65536, 512):  # then the last few bytes too
            try:
                while True:
                    fh.write(b"\0" * chunk)
            except OSError:
                pass
    return filler


@pytest.fixture
def fill() -> Callable[[Path], Path]:
    return fill_disk
