"""Sync test fixtures: one real HQ server (uvicorn, SQLite) per test module, kiosk databases
copied from a migrated template, and the ``soak`` marker (``make soak`` sets NPS_SOAK=1)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synckit import Hq, make_template, start_hq  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "soak: property tests whose example count grows with NPS_SOAK=1 (make soak)"
    )


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hq]:
    server = start_hq(tmp_path_factory.mktemp("hq"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("template") / "kiosk.db")
