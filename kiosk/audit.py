"""The audit log behind the PIN: PIN successes and failures, settings changes, exports, erasures.

Entries never hold contact details. ``kiosk.pin`` writes its own pin_* entries in the same
transaction as the lockout state; everything else writes through :func:`record` or :func:`add`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import Database, utcnow
from kiosk.models import AuditRow

DESCRIPTIONS = {
    "pin_ok": "PIN accepted",
    "pin_failed": "Wrong PIN",
    "pin_locked": "PIN gate locked",
    "pin_changed": "PIN changed",
    "settings_changed": "Settings changed",
    "question_changed": "Question wording changed",
    "export": "Responses exported",
    "export_cases": "Follow-up contacts exported",
    "case_state": "Follow-up case updated",
    "case_note": "Follow-up note edited",
    "erasure": "Customer contact details erased",
    "kiosk_exit": "Kiosk closed from the admin view",
    "admin_idle_lock": "Admin view locked after 2 minutes idle",
    "profile_applied": "Store profile from HQ applied",
    "profile_refused": "Store profile from HQ refused",
    "case_from_hq": "Follow-up case updated at HQ",
    "case_from_hq_superseded": "Older follow-up change from HQ not applied",
    "retention_purge": "Old contact details and comments purged (retention)",
    "erasures_exported": "Erasures written to a USB batch file",
    "erasure_from_hq": "Customer contact details erased (asked at HQ)",
}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime  # UTC
    action: str
    detail: Mapping[str, object]

    @property
    def title(self) -> str:
        return DESCRIPTIONS.get(self.action, self.action.replace("_", " ").capitalize())

    @property
    def summary(self) -> str:
        """The detail as short text, e.g. 'keys: store_name, languages'."""
        parts = []
        for key, value in self.detail.items():
            if isinstance(value, list | tuple):
                value = ", ".join(str(v).replace("_", " ") for v in value)
            parts.append(f"{key.replace('_', ' ')}: {value}")
        return " · ".join(parts)


def add(session: Session, action: str, **detail: object) -> None:
    """Add an entry inside the caller's write transaction."""
    session.add(
        AuditRow(
            at=utcnow(), action=action, detail=json.dumps(detail, ensure_ascii=False, default=str)
        )
    )


def record(db: Database, action: str, **detail: object) -> None:
    """Write one entry in its own transaction."""
    with db.writing() as s:
        add(s, action, **detail)


def entries(
    db: Database, *, limit: int = 500, actions: Sequence[str] | None = None
) -> list[AuditEntry]:
    """The newest entries first."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if actions:
        query = query.where(AuditRow.action.in_(list(actions)))
    with db.reading() as s:
        rows = s.scalars(query).all()
        out = []
        for r in rows:
            try:
                detail = json.loads(r.detail or "{}")
            except ValueError:
                detail = {"raw": r.detail}
            out.append(
                AuditEntry(
                    id=r.id,
                    at=r.at,
                    action=r.action,
                    detail=detail if isinstance(detail, dict) else {},
                )
            )
        return out
