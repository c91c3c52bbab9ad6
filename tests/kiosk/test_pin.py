"""The admin PIN: scrypt hash at rest, lockout after five wrong tries, doubling, persisted."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kiosk.db import Database, open_database
from kiosk.errors import PinError
from kiosk.models import AuditRow
from kiosk.pin import PinGuard, hash_pin, verify_pin


class Clock:
    """The wall clock (``now``, which anyone can set) and the monotonic clock (``mono``,
    which only real time moves). ``wait`` is real time passing: both move."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0)
        self.mono = 1000.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def wait(self, delta: timedelta) -> None:
        self.now += delta
        self.mono += delta.total_seconds()

    def guard(self, db: Database) -> PinGuard:
        return PinGuard(db, clock=self, monotonic=self.monotonic)


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
    guard = clock.guard(db)
    guard.set_pin("2468")
    tries = [guard.attempt("0000") for _ in range(5)]
    assert [t.tries_left for t in tries[:4]] == [4, 3, 2, 1]
    assert tries[4].locked_until == clock.now + timedelta(minutes=5)
    assert not guard.attempt("2468").ok  # even the right PIN waits out the lock

    clock.wait(timedelta(minutes=5, seconds=1))
    for _ in range(5):
        last = guard.attempt("1111")
    assert last.locked_until == clock.now + timedelta(minutes=10)

    clock.wait(timedelta(minutes=10, seconds=1))
    assert guard.attempt("2468").ok
    for _ in range(5):
        last = guard.attempt("1111")
    assert last.locked_until == clock.now + timedelta(minutes=5)  # success reset the doubling


def test_the_lock_survives_a_restart(db: Database, db_path) -> None:
    clock = Clock()
    guard = clock.guard(db)
    guard.set_pin("2468")
    for _ in range(5):
        guard.attempt("0000")
    db.close()
    again = open_database(db_path)
    try:
        status = clock.guard(again).status()
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


def lock(guard: PinGuard) -> None:
    guard.set_pin("2468")
    for _ in range(5):
        guard.attempt("0000")
    assert guard.status().locked_until is not None


def test_setting_the_clock_forward_does_not_end_a_lockout(db: Database, db_path) -> None:
    clock = Clock()
    guard = clock.guard(db)
    lock(guard)
    clock.now += timedelta(minutes=6)  # the wall clock only: no real time has passed
    assert guard.status().locked_until == clock.now + timedelta(minutes=5)
    assert not guard.attempt("2468").ok

    clock.wait(timedelta(minutes=2))  # real time is served...
    db.close()
    again = open_database(db_path)  # ...and a restart keeps what is left
    try:
        clock.now += timedelta(days=3)  # a forward jump across the restart does not help
        restarted = clock.guard(again)
        assert restarted.status().locked_until == clock.now + timedelta(minutes=3)
        assert not restarted.attempt("2468").ok
        clock.wait(timedelta(minutes=3, seconds=1))  # the rest really passes
        assert restarted.status().locked_until is None
        assert restarted.attempt("2468").ok
    finally:
        again.close()


def test_setting_the_clock_back_does_not_lock_the_manager_out_for_longer(db: Database) -> None:
    clock = Clock()
    guard = clock.guard(db)
    lock(guard)
    clock.now -= timedelta(days=365)
    assert guard.status().locked_until == clock.now + timedelta(minutes=5)
    clock.wait(timedelta(minutes=5, seconds=1))
    assert guard.attempt("2468").ok


def test_a_reboot_counts_no_time_it_cannot_prove(db: Database) -> None:
    clock = Clock()
    guard = clock.guard(db)
    lock(guard)
    clock.wait(timedelta(minutes=1))
    assert guard.status().locked_until == clock.now + timedelta(minutes=4)
    clock.mono = 30.0  # rebooted: the monotonic clock starts again near zero
    clock.now += timedelta(hours=2)
    assert guard.status().locked_until == clock.now + timedelta(minutes=4)
    clock.wait(timedelta(minutes=4, seconds=1))
    assert guard.attempt("2468").ok
