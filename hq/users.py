"""HQ's dashboard users: roles, the contact grant, viewer scopes, passwords, removal.

Every change that lowers or ends someone's access (password change or reset, role change,
removal) deletes that user's sessions in the same transaction, so an open browser is signed out
at once. Each change is written to the audit log with its actor.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.said import Said
from hq.audit import SYSTEM, record_in
from hq.db import utcnow
from hq.errors import AlreadyExists, ConfigError, NotFound
from hq.models import (
    AnalystRow,
    LoginSessionRow,
    StoreGroupMemberRow,
    StoreGroupRow,
    UserGroupRow,
)
from hq.roles import Role
from hq.security import hash_password
from hq.service import Hq
from hq.service import _check_id as check_id


@dataclass(frozen=True)
class User:
    """A user as the rest of HQ sees it. ``store_ids`` is None for "every store" and the
    stores of ``groups`` for a viewer."""

    username: str
    role: Role
    contact: bool
    groups: tuple[str, ...]
    store_ids: frozenset[str] | None
    created_at: datetime
    password_changed_at: datetime | None
    removed: bool


def _user(s: Session, row: AnalystRow) -> User:
    groups = tuple(
        s.scalars(
            select(UserGroupRow.group_id)
            .where(UserGroupRow.username == row.username)
            .order_by(UserGroupRow.group_id)
        )
    )
    role = Role(row.role)
    scope: frozenset[str] | None = None
    if role is Role.VIEWER:
        scope = frozenset(
            s.scalars(
                select(StoreGroupMemberRow.store_id).where(StoreGroupMemberRow.group_id.in_(groups))
            )
        )
    return User(
        username=row.username,
        role=role,
        contact=bool(row.contact),
        groups=groups,
        store_ids=scope,
        created_at=row.created_at,
        password_changed_at=row.password_changed_at,
        removed=row.disabled_at is not None,
    )


def end_sessions_in(s: Session, username: str) -> int:
    """Delete every session of ``username`` inside the caller's transaction."""
    done = s.execute(delete(LoginSessionRow).where(LoginSessionRow.username == username))
    return int(done.rowcount or 0)  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult


def _active(s: Session, username: str) -> AnalystRow:
    row = s.get(AnalystRow, username)
    if row is None or row.disabled_at is not None:
        raise NotFound(Said("There is no user {user}; see nps-hq users list.", user=repr(username)))
    return row


def _set_groups(s: Session, username: str, groups: Iterable[str]) -> None:
    wanted = list(dict.fromkeys(g for g in groups if g))
    for g in wanted:
        if s.get(StoreGroupRow, g) is None:
            raise NotFound(
                Said(
                    "There is no group {group}; add it with: nps-hq add-group {name}",
                    group=repr(g),
                    name=g,
                )
            )
    s.execute(delete(UserGroupRow).where(UserGroupRow.username == username))
    s.flush()
    for g in wanted:
        s.add(UserGroupRow(username=username, group_id=g))


def add_user(
    hq: Hq,
    username: str,
    *,
    password: str,
    role: Role,
    contact: bool = False,
    groups: Iterable[str] = (),
    actor: str = SYSTEM,
) -> User:
    """A new user (or a removed one brought back). A viewer needs at least one group."""
    check_id(username, "user name")
    groups = list(groups)
    if role is Role.VIEWER and not groups:
        raise ConfigError(
            Said("A viewer reads only the stores of their groups; name one with --group GROUP.")
        )
    hashed = hash_password(password)
    now = utcnow()
    with hq.db.writing() as s:
        row = s.get(AnalystRow, username)
        if row is not None and row.disabled_at is None:
            raise AlreadyExists(
                Said(
                    "User {user} exists already; change it with nps-hq users role or users "
                    "reset-password.",
                    user=repr(username),
                )
            )
        if row is None:
            row = AnalystRow(username=username, password_hash=hashed, created_at=now)
            s.add(row)
        row.password_hash = hashed
        row.role = role.value
        row.contact = contact
        row.disabled_at = None
        row.password_changed_at = now
        s.flush()
        _set_groups(s, username, groups)
        s.flush()
        detail = f"role={role.value} contact={contact} groups={','.join(groups)}"
        record_in(s, actor=actor, action="user.add", target=username, detail=detail)
        return _user(s, row)


def set_role(
    hq: Hq,
    username: str,
    role: Role,
    *,
    contact: bool | None = None,
    groups: Iterable[str] | None = None,
    actor: str = SYSTEM,
) -> User:
    """Change a user's role (and, if given, contact grant and groups); signs them out."""
    with hq.db.writing() as s:
        row = _active(s, username)
        before = row.role
        row.role = role.value
        if contact is not None:
            row.contact = contact
        if groups is not None:
            _set_groups(s, username, groups)
        s.flush()
        user = _user(s, row)
        if user.role is Role.VIEWER and not user.groups:
            raise ConfigError(
                Said("A viewer reads only the stores of their groups; name one with --group GROUP.")
            )
        end_sessions_in(s, username)
        record_in(
            s,
            actor=actor,
            action="user.role",
            target=username,
            detail=f"{before} -> {role.value} contact={user.contact} "
            f"groups={','.join(user.groups)}",
        )
        return user


def set_password(hq: Hq, username: str, password: str, *, actor: str = SYSTEM) -> None:
    """A new password for ``username``; every session of theirs ends."""
    hashed = hash_password(password)
    with hq.db.writing() as s:
        row = _active(s, username)
        row.password_hash = hashed
        row.password_changed_at = utcnow()
        end_sessions_in(s, username)
        record_in(s, actor=actor, action="user.password", target=username)


def reset_password(hq: Hq, username: str, *, actor: str = SYSTEM) -> str:
    """A new random password (returned once, to hand to the user); their sessions end."""
    password = secrets.token_urlsafe(12)
    hashed = hash_password(password)
    with hq.db.writing() as s:
        row = _active(s, username)
        row.password_hash = hashed
        row.password_changed_at = utcnow()
        end_sessions_in(s, username)
        record_in(s, actor=actor, action="user.reset_password", target=username)
    return password


def remove_user(hq: Hq, username: str, *, actor: str = SYSTEM) -> None:
    """Remove a user: they cannot sign in and their sessions end. The row stays (disabled) so
    the audit log still names them."""
    with hq.db.writing() as s:
        row = _active(s, username)
        row.disabled_at = utcnow()
        row.password_hash = "removed"  # no password matches it
        end_sessions_in(s, username)
        record_in(s, actor=actor, action="user.remove", target=username)


def get_user(hq: Hq, username: str) -> User | None:
    """The active user ``username``, or None (unknown or removed)."""
    with hq.db.reading() as s:
        row = s.get(AnalystRow, username)
        if row is None or row.disabled_at is not None:
            return None
        return _user(s, row)


def users(hq: Hq, *, include_removed: bool = False) -> list[User]:
    with hq.db.reading() as s:
        stmt = select(AnalystRow).order_by(AnalystRow.username)
        if not include_removed:
            stmt = stmt.where(AnalystRow.disabled_at.is_(None))
        return [_user(s, r) for r in s.scalars(stmt)]
