"""Sign-in throttling: lockouts per account and per client, and a cap on password hashes.

- Failures are counted per account ("user:NAME", unknown names too) and per client address
  ("ip:ADDR") in the database, so every HQ process shares them. From the threshold on
  (HqConfig.login_account_failures / login_client_failures) each failure locks the key for
  login_lock_s, doubling per further failure, capped at login_lock_max_s. A key forgets its
  failures a day after the last one; a good sign-in clears its account's count.
- scrypt takes 16 MB and ~50 ms per hash: at most ``login_hash_slots`` run at once, at most
  ``login_hash_queue`` more wait, and the rest are answered 429 at once (memory stays flat).
- Unknown users cost one hash of a dummy password, like a wrong one, and get the same answer.

For the routers: ``attempt_login(hq, username, password, client=ip)`` returns the username or
raises Unauthorized (401, wrong name or password) or TooManyAttempts (429, ``retry_after``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from hq import i18n
from hq.db import utcnow
from hq.errors import TooManyAttempts, Unauthorized
from hq.i18n import N_
from hq.models import LoginFailureRow
from hq.service import Hq

T = TypeVar("T")
FORGET_AFTER = timedelta(days=1)
WRONG = N_("Wrong user name or password.")


class HashGate:
    """At most ``slots`` password hashes at once, on ``slots`` threads of their own, and at
    most ``queue`` more waiting. Own threads matter: glibc keeps a freed 16 MB scrypt buffer
    in the arena of the thread that used it, so hashing on any of 40 worker threads would
    keep up to 40 x 16 MB."""

    def __init__(self, *, slots: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="nps-hash")
        self._lock = threading.Lock()
        self._waiting = 0
        self._limit = slots + queue

    @property
    def waiting(self) -> int:
        """Sign-ins hashing or queued for a hash right now."""
        with self._lock:
            return self._waiting

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a hash thread, or TooManyAttempts at once if too many wait."""
        with self._lock:
            if self._waiting >= self._limit:
                raise TooManyAttempts(
                    i18n.texts().gettext(
                        "HQ is busy checking other sign-ins; wait a few seconds and try again."
                    ),
                    retry_after=2,
                )
            self._waiting += 1
        try:
            return self._pool.submit(fn, *args).result()
        finally:
            with self._lock:
                self._waiting -= 1


_gates: dict[int, HashGate] = {}
_gates_lock = threading.Lock()


def gate_for(hq: Hq) -> HashGate:
    """The hash gate of this HQ process (one per Hq object)."""
    with _gates_lock:
        gate = _gates.get(id(hq))
        if gate is None:
            gate = HashGate(slots=hq.config.login_hash_slots, queue=hq.config.login_hash_queue)
            _gates[id(hq)] = gate
        return gate


def _keys(username: str, client: str | None) -> list[str]:
    keys = [f"user:{username[:64].lower()}"]
    if client:
        keys.append(f"ip:{client[:100]}")
    return keys


def locked_for(hq: Hq, *, username: str, client: str | None) -> int:
    """Seconds until this account and client may try again (0: now)."""
    now = utcnow()
    with hq.db.reading() as s:
        until = s.scalars(
            select(LoginFailureRow.locked_until).where(
                LoginFailureRow.key.in_(_keys(username, client))
            )
        ).all()
    latest = max((u for u in until if u is not None and u > now), default=None)
    return 0 if latest is None else max(1, math.ceil((latest - now).total_seconds()))


def record_failure(hq: Hq, *, username: str, client: str | None) -> None:
    """Count a failed sign-in for the account and the client; lock them past the threshold."""
    cfg = hq.config
    now = utcnow()
    dialect: Any = postgresql if hq.db.dialect == "postgresql" else sqlite
    with hq.db.writing() as s:
        for key in _keys(username, client):
            s.execute(
                dialect.insert(LoginFailureRow)
                .values(key=key, failures=0, last_failure_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            row = s.execute(
                select(LoginFailureRow).where(LoginFailureRow.key == key).with_for_update()
            ).scalar_one()
            if now - row.last_failure_at > FORGET_AFTER:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            threshold = (
                cfg.login_account_failures if key.startswith("user:") else cfg.login_client_failures
            )
            if row.failures >= threshold:
                extra = min(row.failures - threshold, 20)
                lock = min(cfg.login_lock_s * 2**extra, cfg.login_lock_max_s)
                row.locked_until = now + timedelta(seconds=lock)


def prune_failures(hq: Hq) -> int:
    """Delete failure counters that are forgotten anyway (no failure for FORGET_AFTER) and no
    longer lock anything, so a flood of sign-ins from many addresses does not leave a row per
    address for ever. Run hourly by the delivery worker; returns how many went."""
    now = utcnow()
    with hq.db.writing() as s:
        done = s.execute(
            delete(LoginFailureRow).where(
                LoginFailureRow.last_failure_at < now - FORGET_AFTER,
                or_(LoginFailureRow.locked_until.is_(None), LoginFailureRow.locked_until < now),
            )
        )
        return int(done.rowcount or 0)  # type: ignore[attr-defined]  # a DELETE gives a CursorResult


def clear_account(hq: Hq, username: str) -> None:
    """Forget an account's failures (after a good sign-in)."""
    with hq.db.writing() as s:
        s.execute(delete(LoginFailureRow).where(LoginFailureRow.key == _keys(username, None)[0]))


def attempt_login(hq: Hq, username: str, password: str, *, client: str | None) -> str:
    """Check a sign-in with throttling; the username, or Unauthorized / TooManyAttempts."""
    wait = locked_for(hq, username=username, client=client)
    if wait:
        raise TooManyAttempts(_locked_message(wait), retry_after=wait)
    # check_analyst hashes a dummy password for unknown users: same time, same answer.
    ok = gate_for(hq).run(hq.check_analyst, username, password)
    if not ok:
        record_failure(hq, username=username, client=client)
        raise Unauthorized(i18n.texts().gettext(WRONG))
    clear_account(hq, username)
    return username


def _locked_message(seconds: int) -> str:
    t = i18n.texts()  # the language of the sign-in page that asked
    if seconds > 90:
        n = math.ceil(seconds / 60)
        when = t.ngettext("{n} minute", "{n} minutes", n)
    else:
        when = t.ngettext("{n} second", "{n} seconds", seconds)
    return t.gettext(
        "Too many failed sign-ins for this account or from this address; try again in {when}. "
        "An owner can reset the password with: nps-hq users reset-password NAME",
        when=when,
    )
