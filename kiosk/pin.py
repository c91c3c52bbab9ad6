"""The admin PIN: 4-8 digits, kept only as a salted scrypt hash, with a lockout that survives
restarts and is not shortened by setting the clock. Five wrong tries lock the gate for
5 minutes; each further lock doubles the time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from core.said import Said
from kiosk.db import Database, utcnow
from kiosk.errors import PinError

if TYPE_CHECKING:  # imported when the gate is used: the survey makes a PinGuard at start
    from kiosk.models import PinStateRow

_N, _R, _P = 2**14, 8, 1
TRIES_BEFORE_LOCK = 5
FIRST_LOCK = timedelta(minutes=5)


def check_format(pin: str) -> str:
    if not (isinstance(pin, str) and pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise PinError(Said("A PIN is 4 to 8 digits (0-9)."))
    return pin


def hash_pin(pin: str) -> str:
    check_format(pin)
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            pin.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@dataclass(frozen=True)
class PinAttempt:
    """The gate's answer to one try."""

    ok: bool
    locked_until: datetime | None = None  # UTC; set while the gate is locked
    tries_left: int = TRIES_BEFORE_LOCK


def audit(db: Database, action: str, **detail: object) -> None:
    """Write one audit-log entry (never put contact details in ``detail``)."""
    from kiosk.models import AuditRow

    with db.writing() as s:
        s.add(AuditRow(at=utcnow(), action=action, detail=json.dumps(detail, ensure_ascii=False)))


class PinGuard:
    """Checks the admin PIN against the stored hash and keeps the lockout in the database.

    The lockout is served on ``monotonic`` (time.monotonic: counts from boot, never moved by
    setting the clock), not on the wall clock: setting the clock forward does not end it and
    setting it back does not stretch it. The database keeps the seconds left and the
    monotonic reading they were counted at, so a restart keeps the lock; after a reboot the
    monotonic clock starts again near zero, so a new run can only count less time as served,
    never more. ``locked_until`` in the answer is "now + time left", for showing only.
    """

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.clock = clock
        self.monotonic = monotonic

    @property
    def pin_is_set(self) -> bool:
        return bool(self.db.settings().admin_pin_hash)

    def set_pin(self, pin: str) -> None:
        self.db.update_settings(admin_pin_hash=hash_pin(pin))
        audit(self.db, "pin_changed")

    def _left(self, state: PinStateRow, now: datetime, mono: float) -> float:
        """Seconds of lock still to serve, bringing the row up to date (0: not locked)."""
        if state.lock_left_s is None:
            if state.locked_until is None:
                return 0.0
            # A lock from before revision 0004 (a wall-clock end): at most that lock's length.
            longest = FIRST_LOCK.total_seconds() * float(2 ** max(state.lockouts - 1, 0))
            left = min(max((state.locked_until - now).total_seconds(), 0.0), longest)
        else:
            served = mono - (state.lock_mono_s if state.lock_mono_s is not None else mono)
            # Negative: the monotonic clock restarted (a reboot); count nothing, go on from here.
            left = state.lock_left_s - max(served, 0.0)
        self._stamp(state, left, now, mono)
        return max(left, 0.0)

    @staticmethod
    def _stamp(state: PinStateRow, left: float, now: datetime, mono: float) -> None:
        if left <= 0:
            state.locked_until, state.lock_left_s, state.lock_mono_s = None, None, None
        else:
            state.locked_until = now + timedelta(seconds=left)
            state.lock_left_s, state.lock_mono_s = left, mono

    def status(self) -> PinAttempt:
        """Whether the gate is locked now, without trying a PIN."""
        from kiosk.models import PinStateRow

        now, mono = self.clock(), self.monotonic()
        with self.db.writing() as s:
            state = s.get(PinStateRow, 1)
            if state is None:
                return PinAttempt(ok=False)
            if self._left(state, now, mono) > 0:
                return PinAttempt(ok=False, locked_until=state.locked_until, tries_left=0)
            return PinAttempt(ok=False, tries_left=TRIES_BEFORE_LOCK - state.failures)

    def attempt(self, pin: str) -> PinAttempt:
        from kiosk.models import AuditRow, PinStateRow

        stored = self.db.settings().admin_pin_hash
        now, mono = self.clock(), self.monotonic()
        with self.db.writing() as s:
            state = s.get(PinStateRow, 1)
            if state is None:
                state = PinStateRow(id=1, failures=0, lockouts=0, locked_until=None)
                s.add(state)
            if self._left(state, now, mono) > 0:
                return PinAttempt(ok=False, locked_until=state.locked_until, tries_left=0)
            if stored and verify_pin(pin, stored):
                state.failures, state.lockouts = 0, 0
                s.add(AuditRow(at=now, action="pin_ok", detail="{}"))
                return PinAttempt(ok=True)
            state.failures += 1
            s.add(
                AuditRow(
                    at=now, action="pin_failed", detail=json.dumps({"failures": state.failures})
                )
            )
            if state.failures >= TRIES_BEFORE_LOCK:
                lock = FIRST_LOCK * (2**state.lockouts)
                self._stamp(state, lock.total_seconds(), now, mono)
                state.lockouts += 1
                state.failures = 0
                s.add(
                    AuditRow(
                        at=now,
                        action="pin_locked",
                        detail=json.dumps(
                            {
                                "until": (now + lock).isoformat(),
                                "seconds": int(lock.total_seconds()),
                                "lockouts": state.lockouts,
                            }
                        ),
                    )
                )
                return PinAttempt(ok=False, locked_until=now + lock, tries_left=0)
            return PinAttempt(ok=False, tries_left=TRIES_BEFORE_LOCK - state.failures)
