"""HQ's audit log: who enrolled, revoked, added or removed what, and when.

``record`` writes an entry in its own transaction; ``record_in`` writes it in the caller's,
so that the change and its entry commit together.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.text import spreadsheet_safe
from hq.db import utcnow
from hq.models import AuditRow

SYSTEM = "system"  # the actor when no person is known (e.g. an older caller)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


def record_in(
    s: Session,
    *,
    actor: str,
    action: str,
    target: str,
    detail: str = "",
    at: datetime | None = None,
) -> None:
    """Add an entry inside the caller's transaction (``at``: now, unless a caller runs on
    another clock, like the daily purge in a test)."""
    s.add(
        AuditRow(
            at=at or utcnow(),
            actor=(actor or SYSTEM)[:120],
            action=action[:64],
            target=target[:200],
            detail=detail,
        )
    )


def record(hq: Any, *, actor: str, action: str, target: str, detail: str = "") -> None:
    """Add an entry in a transaction of its own."""
    with hq.db.writing() as s:
        record_in(s, actor=actor, action=action, target=target, detail=detail)


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page and its CSV narrow to: an exact actor, an action or its prefix
    (``user.`` or ``user``: every user change), a target containing the text."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None

    def where(self, stmt: Any) -> Any:
        if self.actor:
            stmt = stmt.where(AuditRow.actor == self.actor)
        if self.action:
            prefix = self.action.rstrip(".")
            stmt = stmt.where(
                or_(
                    AuditRow.action == prefix,
                    AuditRow.action.startswith(prefix + ".", autoescape=True),
                )
            )
        if self.target:
            stmt = stmt.where(AuditRow.target.contains(self.target, autoescape=True))
        return stmt


def entries(
    hq: Any,
    *,
    since: datetime | None = None,
    limit: int | None = None,
    newest_first: bool = False,
    before_id: int | None = None,
    where: AuditFilter | None = None,
) -> list[AuditEntry]:
    """Entries oldest first (or newest first), from ``since`` (naive UTC) on; ``before_id``
    pages back (newest first: the entries older than that one)."""
    stmt = select(AuditRow).order_by(AuditRow.id.desc() if newest_first else AuditRow.id)
    if since is not None:
        stmt = stmt.where(AuditRow.at >= since)
    if before_id is not None:
        stmt = stmt.where(AuditRow.id < before_id)
    if where is not None:
        stmt = where.where(stmt)
    if limit is not None:
        stmt = stmt.limit(limit)
    with hq.db.reading() as s:
        return [
            AuditEntry(
                id=r.id, at=r.at, actor=r.actor, action=r.action, target=r.target, detail=r.detail
            )
            for r in s.scalars(stmt)
        ]


FIELDS = ("id", "at", "actor", "action", "target", "detail")


def export_lines(items: list[AuditEntry], *, fmt: str) -> Iterator[str]:
    """The entries as CSV (with a header) or JSON lines."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(FIELDS)
        for e in items:
            writer.writerow(
                [e.id, e.at.isoformat()]
                + [spreadsheet_safe(v) for v in (e.actor, e.action, e.target, e.detail)]
            )
        yield buf.getvalue()
        return
    for e in items:
        row = asdict(e)
        row["at"] = e.at.isoformat()
        yield json.dumps(row, ensure_ascii=False) + "\n"
