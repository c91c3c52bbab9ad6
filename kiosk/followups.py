"""Closing the loop: every detractor who agreed to be contacted is a follow-up case.

A case moves open -> contacted -> resolved (a resolved case can be reopened; an open one can be
resolved directly when the customer cannot be reached). Contact details are read only here.
``erase`` forgets a customer: the name, phone/email, comment and note are overwritten with
secure_delete on and the WAL is checkpointed and truncated, so the old bytes are gone from the
database files; the erasure is queued for HQ (kiosk.privacy).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.said import Said
from kiosk import audit
from kiosk.db import Database, utcnow
from kiosk.errors import KioskError
from kiosk.privacy import erase as erase_responses
from kiosk.recording import Channel

OVERDUE_AFTER = timedelta(hours=48)
NOTE_LIMIT = 1000


class CaseState(StrEnum):
    OPEN = "open"
    CONTACTED = "contacted"
    RESOLVED = "resolved"


ALLOWED: dict[CaseState, frozenset[CaseState]] = {
    CaseState.OPEN: frozenset({CaseState.CONTACTED, CaseState.RESOLVED}),
    CaseState.CONTACTED: frozenset({CaseState.RESOLVED, CaseState.OPEN}),
    CaseState.RESOLVED: frozenset({CaseState.OPEN}),
}


class CaseError(KioskError):
    """A follow-up case cannot do that (unknown case, or a move the state machine forbids)."""


@dataclass(frozen=True)
class FollowUpCase:
    response_id: str
    opened_at: datetime  # when the customer finished the survey (UTC)
    score: int
    language: str
    channel: Channel
    reasons: tuple[str, ...]
    comment: str | None
    contact_name: str | None  # None once erased
    contact_detail: str | None
    state: CaseState
    note: str | None
    updated_at: datetime | None
    erased_at: datetime | None

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    def overdue(self, now: datetime) -> bool:
        """Not resolved more than 48 hours after the customer asked to be contacted."""
        return self.state is not CaseState.RESOLVED and now - self.opened_at > OVERDUE_AFTER


@dataclass(frozen=True)
class ErasureResult:
    response_id: str
    wal_truncated: bool  # False if a reader kept the WAL busy; the bytes go at the next one


_CASES = """
SELECT r.id, coalesce(r.completed_at, r.device_time), r.score, r.language, r.channel, r.reasons,
       r.comment, r.contact_name, r.contact_detail, coalesce(c.state, 'open'), c.note,
       c.updated_at, c.erased_at
FROM responses r LEFT JOIN followup_cases c ON c.response_id = r.id
WHERE r.contact_consent = 1 AND r.category = 'detractor' AND r.status = 'complete'
"""


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _case(row: tuple[object, ...]) -> FollowUpCase:
    opened = _dt(str(row[1]))
    assert opened is not None
    return FollowUpCase(
        response_id=str(row[0]),
        opened_at=opened,
        score=int(str(row[2])),
        language=str(row[3]),
        channel=Channel(str(row[4])),
        reasons=tuple(json.loads(str(row[5] or "[]"))),
        comment=_opt(row[6]),
        contact_name=_opt(row[7]),
        contact_detail=_opt(row[8]),
        state=CaseState(str(row[9])),
        note=_opt(row[10]),
        updated_at=_dt(_opt(row[11])),
        erased_at=_dt(_opt(row[12])),
    )


def cases(
    db: Database, *, states: frozenset[CaseState] | None = None, limit: int = 500
) -> list[FollowUpCase]:
    """Cases newest first, optionally only those in ``states``."""
    sql = _CASES
    params: list[object] = []
    if states:
        sql += f" AND coalesce(c.state, 'open') IN ({', '.join('?' for _ in states)})"
        params.extend(sorted(s.value for s in states))
    sql += " ORDER BY r.device_time DESC LIMIT ?"
    params.append(limit)
    with db.reading() as s:
        rows = s.connection().exec_driver_sql(sql, tuple(params)).all()
    return [_case(tuple(r)) for r in rows]


def get(db: Database, response_id: str) -> FollowUpCase:
    with db.reading() as s:
        row = s.connection().exec_driver_sql(_CASES + " AND r.id = ?", (response_id,)).first()
    if row is None:
        raise CaseError(
            Said(
                "There is no follow-up case for response {response}: only detractors who agreed "
                "to be contacted have one.",
                response=response_id,
            )
        )
    return _case(tuple(row))


def _upsert(
    db: Database,
    response_id: str,
    *,
    state: CaseState,
    note: str | None,
    action: str,
    **detail: object,
) -> FollowUpCase:
    now = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    resolved = now if state is CaseState.RESOLVED else None
    with db.writing() as s:
        # resolved_at: when the case became resolved (kept across note edits), NULL otherwise.
        s.connection().exec_driver_sql(
            "INSERT INTO followup_cases (response_id, state, note, updated_at, resolved_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (response_id) DO UPDATE SET "
            "resolved_at = CASE WHEN excluded.state != 'resolved' THEN NULL "
            "WHEN followup_cases.state = 'resolved' "
            "THEN coalesce(followup_cases.resolved_at, excluded.resolved_at) "
            "ELSE excluded.resolved_at END, "
            "state = excluded.state, note = excluded.note, updated_at = excluded.updated_at",
            (response_id, state.value, note, now, resolved),
        )
        audit.add(s, action, response_id=response_id, **detail)
    return get(db, response_id)


def move(db: Database, response_id: str, to: CaseState) -> FollowUpCase:
    """Move a case to another state; raises CaseError if the state machine forbids it."""
    case = get(db, response_id)
    if to not in ALLOWED[case.state]:
        allowed = ", ".join(sorted(ALLOWED[case.state]))
        raise CaseError(
            Said(
                "A case that is {state} can move to {allowed}, not to {to}.",
                state=str(case.state),
                allowed=allowed,
                to=str(to),
            )
        )
    return _upsert(
        db,
        response_id,
        state=to,
        note=case.note,
        action="case_state",
        **{"from": case.state.value, "to": to.value},
    )


def set_note(db: Database, response_id: str, note: str) -> FollowUpCase:
    case = get(db, response_id)
    cleaned = note.strip()[:NOTE_LIMIT] or None
    return _upsert(db, response_id, state=case.state, note=cleaned, action="case_note")


def erase(db: Database, response_id: str) -> ErasureResult:
    """Forget this customer: contact details, the comment (people write their details into it)
    and the case note leave the database files; the id is queued for HQ (kiosk.privacy)."""
    get(db, response_id)
    done = erase_responses(db, [response_id], source="kiosk")
    return ErasureResult(response_id=response_id, wal_truncated=done.wal_truncated)
