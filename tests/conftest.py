"""Shared fixtures: real SQLite files in tmp_path, Qt offscreen."""

from __future__ import annotations

import os
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
