"""Server-side login sessions: revocable at once, with an idle and an absolute timeout.

The browser holds a random 256-bit cookie value; HQ keeps only its SHA-256 (the row's id), the
user, when it began, when it was last used, and the session's CSRF token. Deleting the row signs
the browser out on its next request: logout, a password change or reset, a role change and a
user's removal all do (hq.users deletes a user's rows in the same transaction as the change).

For the routers: ``read_session(hq, request.cookies.get(COOKIE))`` gives the LoginSession (a
principal with ``.role``/``.contact``/``.store_ids`` for hq.roles) or None;
``start_session`` after a good password, then ``response.set_cookie(COOKIE, new.cookie,
**cookie_options(hq))``; ``end_session`` and ``response.delete_cookie(COOKIE)`` on logout.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_

from hq.db import utcnow
from hq.models import AnalystRow, LoginSessionRow
from hq.roles import Role
from hq.security import token_hash
from hq.service import Hq
from hq.users import _user, end_sessions_in

COOKIE = "nps_hq_session"
TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most this often per session


@dataclass(frozen=True)
class LoginSession:
    """A signed-in user on one browser. ``store_ids`` is None for every store."""

    session_id: str  # the SHA-256 of the cookie value
    username: str
    role: Role
    contact: bool
    store_ids: frozenset[str] | None
    csrf_token: str
    created_at: datetime


@dataclass(frozen=True)
class NewSession:
    cookie: str  # the value for the browser: shown once, never stored
    session: LoginSession


def start_session(hq: Hq, username: str) -> NewSession:
    """A new session for the active user ``username`` (after their password was checked)."""
    cookie = secrets.token_urlsafe(32)
    now = utcnow()
    with hq.db.writing() as s:
        user_row = s.get(AnalystRow, username)
        if user_row is None or user_row.disabled_at is not None:
            raise LookupError(f"No active user {username!r}")
        row = LoginSessionRow(
            id=token_hash(cookie),
            username=username,
            created_at=now,
            last_seen_at=now,
            csrf_token=secrets.token_urlsafe(32),
        )
        s.add(row)
        s.flush()
        user = _user(s, user_row)
    return NewSession(cookie=cookie, session=_session(row, user))


def _session(row: LoginSessionRow, user: Any) -> LoginSession:
    return LoginSession(
        session_id=row.id,
        username=user.username,
        role=user.role,
        contact=user.contact,
        store_ids=user.store_ids,
        csrf_token=row.csrf_token,
        created_at=row.created_at,
    )


def read_session(hq: Hq, cookie: str | None) -> LoginSession | None:
    """The live session of this cookie value, or None (unknown, ended, idle or too old, or
    its user removed). An expired row is deleted."""
    if not cookie or len(cookie) > 200:
        return None
    sid = token_hash(cookie)
    now = utcnow()
    with hq.db.reading() as s:
        row = s.get(LoginSessionRow, sid)
        if row is None:
            return None
        user_row = s.get(AnalystRow, row.username)
        expired = (
            user_row is None
            or user_row.disabled_at is not None
            or now - row.last_seen_at > timedelta(seconds=hq.config.session_idle_s)
            or now - row.created_at > timedelta(seconds=hq.config.session_max_s)
        )
        session = None if expired or user_row is None else _session(row, _user(s, user_row))
        stale = now - row.last_seen_at > TOUCH_EVERY
    if session is None:
        with hq.db.writing() as s:
            s.execute(delete(LoginSessionRow).where(LoginSessionRow.id == sid))
        return None
    if stale:
        with hq.db.writing() as s:
            row2 = s.get(LoginSessionRow, sid)
            if row2 is not None:
                row2.last_seen_at = now
    return session


def end_session(hq: Hq, cookie: str | None) -> None:
    """Sign this browser out (nothing happens for an unknown cookie)."""
    if cookie:
        with hq.db.writing() as s:
            s.execute(delete(LoginSessionRow).where(LoginSessionRow.id == token_hash(cookie)))


def end_user_sessions(hq: Hq, username: str) -> int:
    """Sign ``username`` out everywhere; returns how many sessions ended."""
    with hq.db.writing() as s:
        return end_sessions_in(s, username)


def prune_sessions(hq: Hq) -> int:
    """Delete sessions past their idle or absolute timeout (reading them does it too)."""
    now = utcnow()
    with hq.db.writing() as s:
        done = s.execute(
            delete(LoginSessionRow).where(
                or_(
                    LoginSessionRow.last_seen_at
                    < now - timedelta(seconds=hq.config.session_idle_s),
                    LoginSessionRow.created_at < now - timedelta(seconds=hq.config.session_max_s),
                )
            )
        )
        return int(done.rowcount or 0)  # type: ignore[attr-defined]  # a DELETE gives a CursorResult


def cookie_options(hq: Hq) -> dict[str, Any]:
    """``set_cookie`` keywords: HttpOnly, SameSite=Strict, Secure when HQ's public URL is
    https, and a lifetime no longer than the absolute timeout."""
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": hq.config.secure_cookies,
        "max_age": hq.config.session_max_s,
        "path": "/",
    }
