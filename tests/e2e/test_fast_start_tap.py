"""Taps accepted sooner (issue 14): the customer's path runs without SQLAlchemy.

The real kiosk starts (python -m tools.e2e_driver, Qt offscreen) on a database made by an
earlier run; the driver taps a score at the very moment taps are accepted. SQLAlchemy must not
have been imported by then, and the tapped score must be in the file even if the process is
killed right after (SIGKILL: no flush, no clean-up). A smoke run says the same, and a database
whose schema is not current is still migrated before taps are accepted."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic import command

from kiosk.db import _alembic_config, current_revision, make_engine, open_database
from kiosk.migrations import HEAD

ROOT = Path(__file__).resolve().parents[2]


def test_a_tap_when_taps_are_accepted_is_durable_without_sqlalchemy(
    tmp_path: Path,
    launch,  # noqa: ANN001
) -> None:
    db = tmp_path / "kiosk.db"
    open_database(db).close()  # an earlier run made and migrated it
    kiosk = launch(db, "--tap-when-ready", "--taps", "1000", "--seed", "3")

    assert kiosk.wait_for("accepting", timeout=60) == "accepting sqlalchemy=0"
    _, response_id, score = kiosk.wait_for("scored", timeout=30).split()
    kiosk.kill()  # the plug is pulled right after the tap

    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT score FROM responses WHERE id = ?", (response_id,)).fetchone()
    finally:
        conn.close()
    assert row == (int(score),), "the score tapped when taps were accepted was not stored"


def test_the_sync_worker_and_the_pin_gate_load_after_taps_are_accepted(
    tmp_path: Path,
    launch,  # noqa: ANN001
) -> None:
    """What is deferred still comes: SQLAlchemy and the sync worker arrive after the first tap,
    by themselves, while customers keep tapping."""
    db = tmp_path / "kiosk.db"
    open_database(db).close()
    kiosk = launch(db, "--tap-when-ready", "--taps", "300", "--seed", "5")
    assert kiosk.wait_for("accepting", timeout=60) == "accepting sqlalchemy=0"
    assert kiosk.wait_for("started", timeout=60) == "started sqlalchemy=1"
    kiosk.wait_for("finished", timeout=120)
    assert kiosk.proc.wait(timeout=60) == 0, kiosk.stderr()
    assert "Traceback" not in kiosk.stderr()


def _smoke(db: Path) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "ui.cli", "--smoke", "--db", str(db)],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def test_smoke_accepts_taps_without_sqlalchemy_once_the_schema_is_current(
    tmp_path: Path,
) -> None:
    db = tmp_path / "kiosk.db"
    first = _smoke(db)  # a new file: migrated (Alembic, SQLAlchemy) before taps, correctness first
    assert first["sqlalchemy_loaded"] == "1"
    again = _smoke(db)
    assert again["sqlalchemy_loaded"] == "0"
    assert float(again["ready_ms"]) >= float(again["first_frame_ms"])


def test_an_older_schema_is_migrated_before_taps_are_accepted(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    engine = make_engine(db)  # a file made by the release before (revision 0006)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0006")
        conn.commit()
    engine.dispose()
    out = _smoke(db)
    assert out["sqlalchemy_loaded"] == "1"  # Alembic ran, before taps were accepted
    assert current_revision(db) == HEAD
    assert list(tmp_path.glob("kiosk.db.pre-*.bak")), "no copy taken before the migration"
