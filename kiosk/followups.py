"""Closing the loop: every detractor who agreed to be contacted is a follow-up case.

A case moves open -> contacted -> resolved (a resolved case can be reopened; an open one can be
resolved directly when the customer cannot be reached). Contact details are read only here.
``erase`` forgets a customer: the name, phone/email, comment and note are overwritten with
secure_delete on and the WAL is checkpointed and truncated, so the old bytes are gone from the
database files; the erasure is queued for HQ (kiosk.privacy).

Cases travel both ways with HQ (protocol v2, core.protocol.CaseUpdateV1). A manager's change here
is stamped "store manager (<device>)" and the time (UTC) and marked for HQ (``hq_pending``) until
a batch reply lists it as taken (:func:`pending`, :func:`mark_sent`, :func:`taken`). A change
pulled from HQ (:func:`apply_from_hq`) is kept only if it is later than the kiosk's copy (equal
times: the kiosk's stays); its state is applied as given (last writer wins, not the state
machine). Both are audited, the superseded one included. No HTTP here: sync/ calls these.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from core.said import Said
from kiosk import audit
from kiosk.db import Database, utcnow
from kiosk.errors import KioskError
from kiosk.privacy import erase as erase_responses
from kiosk.recording import Channel

OVERDUE_AFTER = timedelta(hours=48)
NOTE_LIMIT = 1000
BY_LIMIT = 120  # core.protocol.CASE_BY_LIMIT
MANAGER = "store manager"  # the kiosk has one PIN: its changes are the store manager's
RESEND_AFTER = timedelta(minutes=10)  # a case HQ does not take rides alone at most this often


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
    changed_by: str | None = None  # who last set the state or note (None: nobody yet)
    changed_at: datetime | None = None  # when (UTC)
    changed_from: str | None = None  # 'kiosk' (here) or 'hq' (pulled from HQ)
    hq_pending: bool = False  # a change made here that HQ has not taken yet

    @property
    def from_hq(self) -> bool:
        """The last change was made at HQ (not by a kiosk of the store, this one or another)."""
        return self.changed_from == "hq" and not (self.changed_by or "").startswith(MANAGER)

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
       c.updated_at, c.erased_at, c.changed_by, c.changed_at, c.changed_from,
       coalesce(c.hq_pending, 0)
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
        changed_by=_opt(row[13]),
        changed_at=_dt(_opt(row[14])),
        changed_from=_opt(row[15]),
        hq_pending=bool(row[16]),
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
    now = _sql_time(utcnow())
    resolved = now if state is CaseState.RESOLVED else None
    by = manager_name(db)
    with db.writing() as s:
        # resolved_at: when the case became resolved (kept across note edits), NULL otherwise.
        # hq_pending counts the changes here since HQ last took one (a reply that took an
        # earlier one does not clear a later one).
        s.connection().exec_driver_sql(
            "INSERT INTO followup_cases (response_id, state, note, updated_at, resolved_at, "
            "changed_by, changed_at, changed_from, hq_pending) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'kiosk', 1) ON CONFLICT (response_id) DO UPDATE SET "
            f"resolved_at = {_RESOLVED_AT}, "
            "state = excluded.state, note = excluded.note, updated_at = excluded.updated_at, "
            "changed_by = excluded.changed_by, changed_at = excluded.changed_at, "
            "changed_from = 'kiosk', hq_pending = followup_cases.hq_pending + 1, "
            "hq_superseded = NULL",
            (response_id, state.value, note, now, resolved, by, now),
        )
        audit.add(s, action, response_id=response_id, by=by, **detail)
    return get(db, response_id)


_RESOLVED_AT = (
    "CASE WHEN excluded.state != 'resolved' THEN NULL "
    "WHEN followup_cases.state = 'resolved' "
    "THEN coalesce(followup_cases.resolved_at, excluded.resolved_at) "
    "ELSE excluded.resolved_at END"
)


def _sql_time(value: datetime) -> str:
    """A UTC time as the kiosk's DateTime columns keep it (naive, microseconds)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"


def manager_name(db: Database) -> str:
    """Who a change made on this kiosk is by: 'store manager (<device id>)'."""
    device = db.settings().device_id
    return f"{MANAGER} ({device})"[:BY_LIMIT] if device else MANAGER


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


# -- cases with HQ (protocol v2; sync/ does the HTTP) ---------------------------------------------


@dataclass(frozen=True)
class CaseChange:
    """A case as one side last set it: what travels as core.protocol.CaseUpdateV1."""

    response_id: str
    state: CaseState
    note: str | None
    changed_by: str
    changed_at: datetime  # UTC (aware or naive)


@dataclass(frozen=True)
class PendingCase:
    """A change made here that HQ has not taken; ``mark`` is its hq_pending count when read,
    handed back to :func:`taken` so that a change made since is not cleared."""

    change: CaseChange
    mark: int


@dataclass(frozen=True)
class PullResult:
    applied: tuple[str, ...]  # HQ's change was later: the kiosk now shows it
    kept: tuple[str, ...]  # the kiosk's copy was as late or later: HQ's change is superseded
    unknown: int  # not a case on this kiosk (another kiosk's customer): skipped


_PENDING = (
    "SELECT c.response_id, c.state, c.note, coalesce(c.changed_by, ?), "
    "coalesce(c.changed_at, c.updated_at), c.hq_pending, c.changed_from, c.hq_superseded "
    # CROSS JOIN: the cases drive the loop (a plain JOIN let SQLite scan every answer).
    "FROM followup_cases c CROSS JOIN responses r ON r.id = c.response_id "
    "WHERE c.hq_pending > 0 "
    # Demo answers and answers HQ refused never reach HQ: their cases would wait forever.
    "AND r.seeded = 0 AND r.sync_state NOT IN ('seeded', 'quarantined')"
)


def pending(
    db: Database, *, limit: int, alone: bool = False, now: datetime | None = None
) -> list[PendingCase]:
    """Up to ``limit`` changes HQ has not taken, the least recently sent first. ``alone`` (a
    batch with nothing else): only those not sent in the last 10 minutes, so that a case HQ
    does not take yet (its answer is not at HQ) does not make every cycle send."""
    sql = _PENDING
    params: list[object] = [manager_name(db)]
    if alone:
        sql += " AND (c.hq_sent_at IS NULL OR c.hq_sent_at <= ?)"
        params.append(_sql_time((now or utcnow()) - RESEND_AFTER))
    sql += " ORDER BY c.hq_sent_at IS NOT NULL, c.hq_sent_at, c.changed_at LIMIT ?"
    params.append(limit)
    with db.reading() as s:
        rows = s.connection().exec_driver_sql(sql, tuple(params)).all()
    out = []
    for r in rows:
        if r[6] == "hq":  # HQ's later change replaced this kiosk's: send the kiosk's for its audit
            change = _superseded(str(r[0]), _opt(r[7]))
            if change is None:
                continue
        else:
            at = _dt(str(r[4]))
            assert at is not None
            change = CaseChange(
                response_id=str(r[0]),
                state=CaseState(str(r[1])),
                note=_opt(r[2]),
                changed_by=str(r[3])[:BY_LIMIT],
                changed_at=at.replace(tzinfo=UTC),
            )
        out.append(PendingCase(change=change, mark=int(r[5])))
    return out


def _superseded(response_id: str, text: str | None) -> CaseChange | None:
    try:
        data = json.loads(text or "null")
        return CaseChange(
            response_id=response_id,
            state=CaseState(data["state"]),
            note=None,
            changed_by=str(data["by"])[:BY_LIMIT],
            changed_at=datetime.fromisoformat(data["at"]),
        )
    except (ValueError, TypeError, KeyError):
        return None


def pending_count(db: Database) -> int:
    with db.reading() as s:
        return int(
            s.connection()
            .exec_driver_sql(f"SELECT count(*) FROM ({_PENDING})", (MANAGER,))
            .scalar()
            or 0
        )


def mark_sent(db: Database, ids: Sequence[str], *, at: datetime) -> None:
    """The changes went out in a batch (before HQ's answer: a lost reply still counts)."""
    if not ids:
        return
    with db.write_connection() as conn:
        conn.exec_driver_sql(
            "UPDATE followup_cases SET hq_sent_at = ? WHERE response_id = ?",
            [(_sql_time(at), rid) for rid in ids],
        )


def taken(db: Database, sent: Iterable[tuple[str, int]]) -> int:
    """HQ's reply listed these ids in ``cases_taken``: each leaves the pending set unless it
    was changed again after the batch was read (its mark moved). Returns how many left."""
    rows = list(sent)
    if not rows:
        return 0
    gone = 0
    with db.write_connection() as conn:
        for rid, mark in rows:
            result = conn.exec_driver_sql(
                "UPDATE followup_cases SET hq_pending = 0, hq_superseded = NULL "
                "WHERE response_id = ? AND hq_pending = ?",
                (rid, mark),
            )
            gone += int(result.rowcount or 0)
    return gone


def _iso(value: object) -> str | None:
    at = _dt(_opt(value))
    return None if at is None else at.replace(tzinfo=UTC).isoformat()


def apply_from_hq(
    db: Database,
    changes: Sequence[CaseChange],
    *,
    cursor: str | None = None,
    at: datetime | None = None,
) -> PullResult:
    """Apply case changes pulled from HQ, oldest first, in one transaction with the pull's
    ``cursor``. Each is kept only if its ``changed_at`` is later than the kiosk's copy's (equal:
    the kiosk's stays); its state is taken as given. Audited per case: ``case_from_hq`` (with the
    kiosk's change it superseded, if any) or ``case_from_hq_superseded`` (HQ's change lost to
    the kiosk's). Notes stay out of the audit (people write contact details into them); an
    erased customer's case takes the state but not a note."""
    now = _sql_time(at or utcnow())
    applied: list[str] = []
    kept: list[str] = []
    unknown = 0
    with db.writing() as s:
        conn = s.connection()
        for change in changes:
            row = conn.exec_driver_sql(
                "SELECT coalesce(c.state, 'open'), c.changed_by, c.changed_at, c.erased_at, "
                "c.response_id IS NOT NULL, c.note, coalesce(c.hq_pending, 0), c.changed_from, "
                "c.hq_superseded FROM responses r "
                "LEFT JOIN followup_cases c ON c.response_id = r.id "
                "WHERE r.id = ? AND r.contact_consent = 1 AND r.category = 'detractor' "
                "AND r.status = 'complete'",
                (change.response_id,),
            ).first()
            if row is None:
                unknown += 1
                continue
            state, by, when, erased_at, has_row, note, marks, source, superseded = row
            incoming = _sql_time(change.changed_at)
            mine = _dt(_opt(when))
            theirs = _dt(incoming)
            assert theirs is not None
            local = None
            if mine is not None:
                local = {"state": str(state), "by": _opt(by), "at": _iso(when)}
            if mine is not None and theirs <= mine:
                kept.append(change.response_id)
                audit.add(
                    s,
                    "case_from_hq_superseded",
                    response_id=change.response_id,
                    state=change.state.value,
                    by=change.changed_by,
                    at=theirs.replace(tzinfo=UTC).isoformat(),
                    kept=local,
                )
                continue
            new_note = None if erased_at is not None else change.note
            resolved = incoming if change.state is CaseState.RESOLVED else None
            # A change made here that HQ has not taken yet still goes to HQ (without its note),
            # so that HQ's audit has it next to the change that replaced it.
            keep: str | None = None
            if marks and source == "kiosk" and local is not None:
                keep = json.dumps(local)
            elif marks and source == "hq":
                keep = _opt(superseded)
            conn.exec_driver_sql(
                "INSERT INTO followup_cases (response_id, state, note, updated_at, resolved_at, "
                "changed_by, changed_at, changed_from, hq_pending) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'hq', 0) ON CONFLICT (response_id) DO UPDATE SET "
                f"resolved_at = {_RESOLVED_AT}, "
                "state = excluded.state, note = excluded.note, updated_at = excluded.updated_at, "
                "changed_by = excluded.changed_by, changed_at = excluded.changed_at, "
                "changed_from = 'hq', hq_superseded = ?, "
                "hq_pending = CASE WHEN ? IS NULL THEN 0 ELSE followup_cases.hq_pending END",
                (
                    change.response_id,
                    change.state.value,
                    new_note,
                    now,
                    resolved,
                    change.changed_by[:BY_LIMIT],
                    incoming,
                    keep,
                    keep,
                ),
            )
            applied.append(change.response_id)
            detail: dict[str, object] = {
                "from": str(state),
                "to": change.state.value,
                "by": change.changed_by,
                "at": theirs.replace(tzinfo=UTC).isoformat(),
                "note_changed": (_opt(note) if has_row else None) != new_note,
            }
            if local is not None:
                detail["superseded"] = local
            audit.add(s, "case_from_hq", response_id=change.response_id, **detail)
        if cursor is not None:
            conn.exec_driver_sql(
                "UPDATE sync_status SET case_cursor = ?, cases_pulled_at = ? WHERE id = 1",
                (cursor, now),
            )
    return PullResult(applied=tuple(applied), kept=tuple(kept), unknown=unknown)
