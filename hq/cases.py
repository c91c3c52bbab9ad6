"""Follow-up cases at HQ: a detractor who agreed to be contacted is a case, ``open`` until a
store manager (on the kiosk) or a regional manager (at HQ) marks it ``contacted`` or
``resolved`` (reopening allowed), with a note.

Every complete detractor answer with contact consent is a case; a :class:`hq.models.CaseRow`
exists once someone changed it. Both ends keep a copy and sync it (protocol v2, core.protocol
``CaseUpdateV1``): a kiosk sends its changes in a batch's ``cases`` (:func:`take_from_device`,
in the batch's transaction), HQ's changes (:func:`set_case`) and other kiosks' go to a store's
kiosks through ``GET /api/v1/cases`` (:func:`changes_since`). The later ``changed_at`` wins
(equal: the copy already held); both the kept and the superseded change are audited (state,
who and when, the note's length: never the note, which may hold personal data and the audit
log is append-only). An erasure or the retention purge scrubs the note (hq.privacy).

A case is *overdue* when it is not resolved more than 48 hours after the answer (as on the
kiosk, kiosk.followups.OVERDUE_AFTER); ``case_overdue`` alert rules (hq.alerts) use their own
number of hours.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.protocol import CASE_BY_LIMIT, CASE_NOTE_LIMIT, CaseUpdateV1
from core.text import spreadsheet_safe
from hq.audit import record_in
from hq.db import naive_utc, utcnow
from hq.errors import Forbidden, HqError, NotFound
from hq.models import CaseRow, ErasureRow, ResponseRow, StoreGroupMemberRow, StoreRow
from hq.service import Hq

STATES = ("open", "contacted", "resolved")
OVERDUE_AFTER = timedelta(hours=48)  # kiosk.followups.OVERDUE_AFTER
PAGE_LIMIT = 500  # rows on the page
CSV_LIMIT = 50_000
_CHUNK = 500
_RETRIES = 3


class CaseError(HqError):
    """A change that cannot be made as asked (what to do instead); HTTP 400."""


def is_case() -> Any:
    """The responses that are cases: complete detractor answers with contact consent."""
    return and_(ResponseRow.category == "detractor", ResponseRow.contact_consent.is_(True))


# pg_advisory_xact_lock key of case writers ("CASE" in ASCII).
_PG_LOCK = 0x43415345


def _lock_cases(s: Session) -> None:
    """Serialise the writers of cases until this transaction ends, before they read what they
    compare with: SQLite has one writer already (BEGIN IMMEDIATE); PostgreSQL takes a
    transaction-level advisory lock. So a change is compared with the copy last committed (no
    lost update), and change ids are taken and committed in order (a cursor never passes a
    change committed later with a smaller id). The unique index on change_id stays as a
    guard."""
    if s.connection().dialect.name == "postgresql":
        s.execute(select(func.pg_advisory_xact_lock(_PG_LOCK)))


def _next_change_id(s: Session) -> int:
    # MAX + 1 under _lock_cases.
    return int(s.scalar(select(func.coalesce(func.max(CaseRow.change_id), 0))) or 0) + 1


def _describe(state: str, by: str, at: datetime, note: str | None) -> str:
    size = len(note) if note else 0
    return f"{state} by {by} at {at.isoformat(timespec='seconds')}Z (note: {size} characters)"


def _erased(s: Session, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.update(
            s.scalars(select(ErasureRow.response_id).where(ErasureRow.response_id.in_(chunk)))
        )
    return found


def _apply(
    s: Session,
    current: CaseRow | None,
    *,
    response_id: str,
    store_id: str,
    state: str,
    note: str | None,
    by: str,
    at: datetime,
    device_id: str | None,
    now: datetime,
    change_id: int | None = None,
) -> CaseRow:
    """Write the change (the caller decided it wins) with ``change_id`` (default: the next
    one, and flushed); a caller writing several takes the next id once and counts up."""
    row = current or CaseRow(response_id=response_id, store_id=store_id)
    if current is not None and current.state == "resolved" and state != "resolved":
        row.reopened_at = at  # a new episode (hq.alerts case_overdue)
        row.episode = (current.episode or 0) + 1
    elif current is None:
        row.episode = 0
    row.state = state
    row.note = note
    row.changed_by = by[:CASE_BY_LIMIT]
    row.changed_at = at
    row.device_id = device_id
    row.change_id = _next_change_id(s) if change_id is None else change_id
    row.received_at = now
    row.resolved_at = at if state == "resolved" else None
    if current is None:
        s.add(row)
    if change_id is None:
        s.flush()
    return row


def take_from_device(
    s: Session, updates: Iterable[CaseUpdateV1], *, device_id: str, store_id: str, now: datetime
) -> list[str]:
    """A kiosk's case changes (a v2 batch's ``cases``), in the ingest transaction: each one
    whose response HQ has, of the device's store and a case, is taken: stored if it is later
    than HQ's copy, else settled as older (audited either way; a resend of the kept change
    changes nothing). Returns the ids taken (the reply's ``cases_taken``); the others are
    left for the kiosk to send again (its response may not be at HQ yet)."""
    wanted: dict[str, CaseUpdateV1] = {}
    for u in updates:  # a batch naming a case twice: its latest change
        have = wanted.get(u.response_id)
        if have is None or u.changed_at > have.changed_at:
            wanted[u.response_id] = u
    if not wanted:
        return []
    _lock_cases(s)
    ids = sorted(wanted)
    responses: dict[str, tuple[str, bool]] = {}
    held: dict[str, CaseRow] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for rid, store, yes in s.execute(
            select(ResponseRow.id, ResponseRow.store_id, is_case()).where(ResponseRow.id.in_(chunk))
        ):
            responses[rid] = (store, bool(yes))
        held.update(
            (c.response_id, c)
            for c in s.scalars(select(CaseRow).where(CaseRow.response_id.in_(chunk)))
        )
    erased = _erased(s, ids)
    actor = f"device {device_id}"
    taken: list[str] = []
    next_id = _next_change_id(s)  # then counted up: the batch's changes are written together
    for rid in ids:
        u = wanted[rid]
        store, case = responses.get(rid, ("", False))
        if store != store_id or not case:
            continue
        at = naive_utc(u.changed_at)
        note = None if rid in erased else (u.note or None)
        theirs = _describe(u.state, u.changed_by, at, note)
        current = held.get(rid)
        if current is not None and (
            current.state,
            current.note,
            current.changed_by,
            current.changed_at,
        ) == (u.state, note, u.changed_by[:CASE_BY_LIMIT], at):
            taken.append(rid)  # a resend of the change HQ keeps
            continue
        if current is None or at > current.changed_at:
            before = (
                "open (never changed)"
                if current is None
                else _describe(current.state, current.changed_by, current.changed_at, current.note)
            )
            _apply(
                s,
                current,
                response_id=rid,
                store_id=store_id,
                state=u.state,
                note=note,
                by=u.changed_by,
                at=at,
                device_id=device_id,
                now=now,
                change_id=next_id,
            )
            next_id += 1
            record_in(
                s,
                actor=actor,
                action="case.change",
                target=rid,
                detail=f"kept: {theirs}; superseded: {before}",
                at=now,
            )
        else:
            kept = _describe(current.state, current.changed_by, current.changed_at, current.note)
            record_in(
                s,
                actor=actor,
                action="case.superseded",
                target=rid,
                detail=f"kept: {kept}; superseded (older, from the kiosk): {theirs}",
                at=now,
            )
        taken.append(rid)
    s.flush()
    return taken


@dataclass(frozen=True)
class CaseChange:
    response_id: str
    state: str
    note: str | None
    changed_by: str
    changed_at: datetime  # naive UTC

    def wire(self) -> CaseUpdateV1:
        return CaseUpdateV1(
            response_id=self.response_id,
            state=self.state,  # type: ignore[arg-type]  # one of STATES (the table's check)
            note=self.note,
            changed_by=self.changed_by,
            changed_at=self.changed_at.replace(tzinfo=UTC),
        )


def changes_since(
    hq: Hq, store_id: str, *, after: int, limit: int, device_id: str | None = None
) -> tuple[list[CaseChange], int, bool]:
    """A store's case changes after cursor ``after``, oldest first, leaving out those made by
    ``device_id`` itself: the page, the next cursor (past the left-out ones too), whether
    more."""
    with hq.db.reading() as s:
        rows = s.execute(
            select(
                CaseRow.change_id,
                CaseRow.response_id,
                CaseRow.state,
                CaseRow.note,
                CaseRow.changed_by,
                CaseRow.changed_at,
                CaseRow.device_id,
            )
            .where(CaseRow.store_id == store_id, CaseRow.change_id > after)
            .order_by(CaseRow.change_id)
            .limit(limit + 1)
        ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1][0] if rows else after
    out = [
        CaseChange(response_id=r[1], state=r[2], note=r[3], changed_by=r[4], changed_at=r[5])
        for r in rows
        if device_id is None or r[6] != device_id
    ]
    return out, cursor, more


def set_case(
    hq: Hq,
    response_id: str,
    *,
    state: str,
    note: str | None,
    by: str,
    store_ids: frozenset[str] | None,
    now: datetime | None = None,
) -> CaseRow:
    """A change made at HQ (the Cases page): stamped ``by`` and now, audited, and listed to
    the store's kiosks by their next pull. ``store_ids``: the stores the user may change
    (None: all); another store's case is refused (Forbidden)."""
    if state not in STATES:
        raise CaseError(f"A case is {', '.join(STATES)}, not {state!r}.")
    cleaned = (note or "").strip()
    if len(cleaned) > CASE_NOTE_LIMIT:
        raise CaseError(f"A note is at most {CASE_NOTE_LIMIT} characters.")
    if "\x00" in cleaned:
        raise CaseError("A note may not contain NUL characters.")
    for attempt in range(_RETRIES):
        at = now or utcnow()
        try:
            with hq.db.writing() as s:
                _lock_cases(s)
                found = s.execute(
                    select(ResponseRow.store_id, is_case()).where(ResponseRow.id == response_id)
                ).first()
                if found is None or not found[1]:
                    raise NotFound(f"No follow-up case {response_id!r} at HQ.")
                store = found[0]
                if store_ids is not None and store not in store_ids:
                    raise Forbidden(f"Store {store!r} is not in your groups; ask an owner.")
                current = s.get(CaseRow, response_id)
                # HQ's change is the latest: a kiosk's change stamped after now would still
                # win, so never go back in time behind the copy held.
                if current is not None and current.changed_at >= at:
                    at = current.changed_at + timedelta(microseconds=1)
                kept_note = None if _erased(s, [response_id]) else (cleaned or None)
                before = (
                    "open (never changed)"
                    if current is None
                    else _describe(
                        current.state, current.changed_by, current.changed_at, current.note
                    )
                )
                row = _apply(
                    s,
                    current,
                    response_id=response_id,
                    store_id=store,
                    state=state,
                    note=kept_note,
                    by=by,
                    at=at,
                    device_id=None,
                    now=at,
                )
                record_in(
                    s,
                    actor=by,
                    action="case.change",
                    target=response_id,
                    detail=f"kept: {_describe(state, by, at, kept_note)}; superseded: {before}",
                    at=at,
                )
                s.expunge(row)
                return row
        except IntegrityError:
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def scrub_notes(s: Session, ids: list[str]) -> int:
    """NULL the notes of cases ``ids`` (in the caller's transaction: an erasure or purge)."""
    from sqlalchemy import update

    done = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        result = s.execute(
            update(CaseRow)
            .where(CaseRow.response_id.in_(chunk), CaseRow.note.is_not(None))
            .values(note=None)
        )
        done += int(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
    return done


def resolved_before(cutoff: datetime) -> Any:
    """A condition on ResponseRow: its case was resolved before ``cutoff``."""
    return ResponseRow.id.in_(
        select(CaseRow.response_id).where(CaseRow.state == "resolved", CaseRow.resolved_at < cutoff)
    )


# The Cases page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilter:
    store_id: str | None = None
    group_id: str | None = None
    state: str | None = None  # open | contacted | resolved
    overdue: bool = False
    days: int | None = None  # answered in the last N days


@dataclass(frozen=True)
class CaseLine:
    response_id: str
    store_id: str
    store_name: str
    time_zone: str
    answered_at: datetime  # the corrected time, naive UTC
    score: int
    reasons: list[str]
    comment: str | None
    contact_name: str | None
    contact_detail: str | None
    state: str
    note: str | None
    changed_by: str | None
    changed_at: datetime | None
    overdue: bool
    age: timedelta


def age_text(age: timedelta) -> str:
    """ "3 d 4 h", "5 h", "12 min", in the request's language (hq.i18n)."""
    from hq.i18n import texts

    t = texts()
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 60:
        return t.gettext("{n} min", n=minutes)
    hours = minutes // 60
    if hours < 48:
        return t.gettext("{n} h", n=hours)
    return t.gettext("{d} d {h} h", d=hours // 24, h=hours % 24)


def list_cases(
    hq: Hq,
    f: CaseFilter,
    *,
    store_ids: frozenset[str] | None,
    now: datetime | None = None,
    limit: int = PAGE_LIMIT,
) -> list[CaseLine]:
    """The cases ``f`` asks for among the stores ``store_ids`` (None: all), newest answer
    first; overdue ones are those not resolved 48 hours after the answer."""
    now = now or utcnow()
    if store_ids is not None and f.store_id is not None and f.store_id not in store_ids:
        raise Forbidden(f"Store {f.store_id!r} is not in your groups; ask an owner.")
    state = func.coalesce(CaseRow.state, "open")
    # Columns, not entities: loading ORM objects cost four times the query on 20 000 cases.
    stmt = (
        select(
            ResponseRow.id,
            ResponseRow.store_id,
            StoreRow.name,
            StoreRow.time_zone,
            ResponseRow.corrected_time,
            ResponseRow.score,
            ResponseRow.reasons,
            ResponseRow.comment,
            ResponseRow.contact_name,
            ResponseRow.contact_detail,
            CaseRow.state,
            CaseRow.note,
            CaseRow.changed_by,
            CaseRow.changed_at,
        )
        .outerjoin(CaseRow, CaseRow.response_id == ResponseRow.id)
        .outerjoin(StoreRow, StoreRow.store_id == ResponseRow.store_id)
        .where(is_case())
    )
    if store_ids is not None:
        stmt = stmt.where(ResponseRow.store_id.in_(sorted(store_ids)))
    if f.store_id:
        stmt = stmt.where(ResponseRow.store_id == f.store_id)
    if f.group_id:
        stmt = stmt.where(
            ResponseRow.store_id.in_(
                select(StoreGroupMemberRow.store_id).where(
                    StoreGroupMemberRow.group_id == f.group_id
                )
            )
        )
    if f.state:
        stmt = stmt.where(state == f.state)
    if f.overdue:
        stmt = stmt.where(state != "resolved", ResponseRow.corrected_time < now - OVERDUE_AFTER)
    if f.days:
        stmt = stmt.where(ResponseRow.corrected_time >= now - timedelta(days=f.days))
    stmt = stmt.order_by(ResponseRow.corrected_time.desc(), ResponseRow.id).limit(limit)
    out = []
    with hq.db.reading() as s:
        for (
            rid,
            store_id,
            name,
            tz,
            answered,
            score,
            reasons,
            comment,
            contact_name,
            contact_detail,
            state_,
            note,
            changed_by,
            changed_at,
        ) in s.execute(stmt):
            st = state_ or "open"
            age = now - answered
            out.append(
                CaseLine(
                    response_id=rid,
                    store_id=store_id,
                    store_name=name or store_id,
                    time_zone=tz or "UTC",
                    answered_at=answered,
                    score=score,
                    reasons=json.loads(reasons or "[]"),
                    comment=comment,
                    contact_name=contact_name,
                    contact_detail=contact_detail,
                    state=st,
                    note=note,
                    changed_by=changed_by,
                    changed_at=changed_at,
                    overdue=st != "resolved" and age > OVERDUE_AFTER,
                    age=age,
                )
            )
    return out


def csv_lines(lines: list[CaseLine], *, contact: bool) -> Iterator[str]:
    """The cases as CSV with a header; contact columns only with ``contact``. Times in UTC
    (ISO 8601, Z) and in the store's zone."""
    from hq.analytics import local_label

    header = ["response_id", "store_id", "store", "answered_at", "answered_local", "age_hours"]
    header += ["score", "reasons", "comment"]
    if contact:
        header += ["contact_name", "contact_detail"]
    header += ["state", "overdue", "note", "changed_by", "changed_at"]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    yield buf.getvalue()
    for c in lines:
        buf = io.StringIO()
        writer = csv.writer(buf)
        row: list[Any] = [
            c.response_id,
            spreadsheet_safe(c.store_id),
            spreadsheet_safe(c.store_name),
            c.answered_at.isoformat(timespec="seconds") + "Z",
            local_label(c.answered_at, c.time_zone, "en"),
            f"{c.age.total_seconds() / 3600:.1f}",
            c.score,
            " ".join(c.reasons),
            spreadsheet_safe(c.comment or ""),
        ]
        if contact:
            row += [
                spreadsheet_safe(c.contact_name or ""),
                spreadsheet_safe(c.contact_detail or ""),
            ]
        row += [
            c.state,
            "yes" if c.overdue else "no",
            spreadsheet_safe(c.note or ""),
            spreadsheet_safe(c.changed_by or ""),
            "" if c.changed_at is None else c.changed_at.isoformat(timespec="seconds") + "Z",
        ]
        writer.writerow(row)
        yield buf.getvalue()


def held_cases(s: Session, ids: list[str]) -> list[dict[str, Any]]:
    """The cases of responses ``ids`` as the data-subject export lists them."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for c in s.scalars(select(CaseRow).where(CaseRow.response_id.in_(chunk))):
            out.append(
                {
                    "response_id": c.response_id,
                    "store_id": c.store_id,
                    "state": c.state,
                    "note": c.note,
                    "changed_by": c.changed_by,
                    "changed_at": c.changed_at.isoformat(timespec="seconds") + "Z",
                    "resolved_at": None
                    if c.resolved_at is None
                    else c.resolved_at.isoformat(timespec="seconds") + "Z",
                }
            )
    out.sort(key=lambda c: (c["changed_at"], c["response_id"]))
    return out


def overdue_cases(
    s: Session,
    *,
    store_ids: list[str],
    older_than: datetime,
    rule_id: int,
    columns: tuple[str, ...],
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Cases of ``store_ids`` not resolved whose answer (and last reopening, if any) is older
    than ``older_than`` and that alert rule ``rule_id`` has not alerted on in this episode
    (its dedupe key ``r{rule}:case:{response}:{episode}``), oldest first: the response's
    ``columns`` plus ``state``, ``changed_by``, ``changed_at``, ``reopened_at``, ``episode``
    (None when never changed). At most
    ``limit``: the next evaluation takes the rest."""
    from sqlalchemy import String, cast, literal

    from hq.models import AlertRow

    # The alert's dedupe key (hq.alerts._case_alerts), looked up on its unique index: one
    # probe per case whatever the planner thinks of the alerts table's size.
    key = (
        literal(f"r{rule_id}:case:")
        + ResponseRow.id
        + literal(":")
        + cast(func.coalesce(CaseRow.episode, 0), String)
    )
    alerted = select(AlertRow.id).where(AlertRow.dedupe_key == key).exists()
    stmt = (
        select(
            *(getattr(ResponseRow, c) for c in columns),
            CaseRow.state,
            CaseRow.changed_by,
            CaseRow.changed_at,
            CaseRow.reopened_at,
            CaseRow.episode,
        )
        .outerjoin(CaseRow, CaseRow.response_id == ResponseRow.id)
        .where(
            is_case(),
            ResponseRow.store_id.in_(store_ids),
            or_(CaseRow.state.is_(None), CaseRow.state != "resolved"),
            ResponseRow.corrected_time < older_than,
            or_(CaseRow.reopened_at.is_(None), CaseRow.reopened_at < older_than),
            ~alerted,
        )
        .order_by(ResponseRow.corrected_time)
        .limit(limit)
    )
    names = (*columns, "state", "changed_by", "changed_at", "reopened_at", "episode")
    return [dict(zip(names, row, strict=True)) for row in s.execute(stmt)]
