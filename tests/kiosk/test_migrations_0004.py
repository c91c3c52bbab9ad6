"""Migration 0004 upgrades a database made at revision 0003 (the release stores run) and keeps
a PIN lockout that was running, now counted on the monotonic clock."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command

from kiosk.db import _alembic_config, current_revision, head_revision, make_engine, open_database
from kiosk.pin import PinGuard, hash_pin

NOW = datetime(2026, 11, 27, 9, 0)


def make_0003(path: Path, *, locked_until: datetime, lockouts: int) -> None:
    engine = make_engine(path)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0003")
        conn.commit()
    engine.dispose()
    con = sqlite3.connect(path)
    with con:
        con.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES "
            "('admin_pin_hash', ?, '2026-11-01 00:00:00')",
            (f'"{hash_pin("2468")}"',),
        )
        con.execute(
            "INSERT INTO pin_state (id, failures, lockouts, locked_until) VALUES (1, 0, ?, ?)",
            (lockouts, locked_until.isoformat(sep=" ")),
        )
    con.close()


@pytest.mark.parametrize(
    ("locked_until", "lockouts", "left"),
    [
        (NOW + timedelta(minutes=3), 1, timedelta(minutes=3)),
        (NOW + timedelta(minutes=8), 2, timedelta(minutes=8)),
        # Locked while the clock was a year behind: bounded by the lock's own length.
        (NOW + timedelta(days=365), 1, timedelta(minutes=5)),
    ],
)
def test_a_running_lockout_survives_the_upgrade_and_a_clock_jump(
    db_path: Path, locked_until: datetime, lockouts: int, left: timedelta
) -> None:
    make_0003(db_path, locked_until=locked_until, lockouts=lockouts)
    assert current_revision(db_path) == "0003"
    db = open_database(db_path)
    try:
        assert current_revision(db_path) == head_revision()
        assert db.backup is not None and db.backup.exists()
        wall, mono = [NOW], [50.0]
        guard = PinGuard(db, clock=lambda: wall[0], monotonic=lambda: mono[0])
        assert guard.status().locked_until == NOW + left
        wall[0] += timedelta(minutes=10)  # the clock set forward after the upgrade
        assert guard.status().locked_until == wall[0] + left
        assert not guard.attempt("2468").ok
        wall[0] += left
        mono[0] += left.total_seconds()  # real time passes
        assert guard.attempt("2468").ok
    finally:
        db.close()


def test_an_expired_lockout_is_no_lockout_after_the_upgrade(db_path: Path) -> None:
    make_0003(db_path, locked_until=NOW - timedelta(minutes=1), lockouts=1)
    db = open_database(db_path)
    try:
        guard = PinGuard(db, clock=lambda: NOW, monotonic=lambda: 1.0)
        assert guard.status().locked_until is None
        assert guard.attempt("2468").ok
    finally:
        db.close()
