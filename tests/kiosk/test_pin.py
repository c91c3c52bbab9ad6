"""The admin PIN: scrypt hash at rest, lockout after five wrong tries, doubling, persisted."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kiosk.db import Database, open_database
from kiosk.errors import PinError
from kiosk.models import AuditRow
from kiosk.pin import PinGuard, hash_pin, verify_pin


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0)

    def __call__(self) -> datetime:
        return self.now


def test_the_pin_is_kept_only_as_a_salted_hash(db: Database, db_path) -> None:
    PinGuard(db).set_pin("482916")
    stored = db.settings().admin_pin_hash
    assert stored.startswith("scrypt$") and "482916" not in stored
    assert b"482916" not in db_path.read_bytes()
    assert hash_pin("482916") != hash_pin("482916")  # salted
    assert verify_pin("482916", stored) and not verify_pin("482917", stored)


@pytest.mark.parametrize("bad", ["123", "123456789", "12a4", "", "１２３４"])
def test_malformed_pins_are_refused(bad: str) -> None:
    with pytest.raises(PinError, match="4 to 8 digits"):
        hash_pin(bad)


def test_five_wrong_tries_lock_for_five_minutes_then_doubling(db: Database) -> None:
    clock = Clock()
    guard = PinGuard(db, clock=clock)
    guard.set_pin("2468")
    tries = [guard.attempt("0000") for _ in range(5)]
    assert [t.tries_left for t in tries[:4]] == [4, 3, 2, 1]
    assert tries[4].locked_until == clock.now + timedelta(minutes=5)
    assert not guard.attempt("2468").ok  # even the right PIN waits out the lock

    clock.now += timedelta(minutes=5, seconds=1)
    for _ in range(5):
        last = guard.attempt("1111")
    assert last.locked_until == clock.now + timedelta(minutes=10)

    clock.now += timedelta(minutes=10, seconds=1)
    assert guard.attempt("2468").ok
    for _ in range(5):
        last = guard.attempt("1111")
    assert last.locked_until == clock.now + timedelta(minutes=5)  # success reset the doubling


def test_the_lock_survives_a_restart(db: Database, db_path) -> None:
    clock = Clock()
    guard = PinGuard(db, clock=clock)
    guard.set_pin("2468")
    for _ in range(5):
        guard.attempt("0000")
    db.close()
    again = open_database(db_path)
    try:
        status = PinGuard(again, clock=clock).status()
        assert status.locked_until == clock.now + timedelta(minutes=5)
    finally:
        again.close()


def test_tries_are_audited(db: Database) -> None:
    guard = PinGuard(db)
    guard.set_pin("2468")
    guard.attempt("0000")
    guard.attempt("2468")
    with db.reading() as s:
        actions = [a.action for a in s.query(AuditRow).order_by(AuditRow.id)]
    assert actions == ["pin_changed", "pin_failed", "pin_ok"]
