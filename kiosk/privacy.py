"""Personal data on the kiosk: erasure (both ways with HQ) and retention.

Every removal here is a *scrub*: the contact name, the phone/e-mail and the comment (people write
their details into comments) become NULL, and so does the follow-up case's note; score, reasons,
times and the consent flag stay, so the NPS and the follow-up rate still add up. It runs with
``PRAGMA secure_delete=ON`` (freed space in the pages is zeroed) and ends with
``wal_checkpoint(TRUNCATE)``, so the old bytes leave ``kiosk.db`` and ``kiosk.db-wal``.

- :func:`erase` forgets customers: "Forget this customer" (``source="kiosk"``: the ids are queued
  for HQ, ``erasure_queue``, until a batch reply confirms them) and erasures pulled from HQ
  (``source="hq"``: the pull's cursor is stored in the same transaction).
- :func:`purge` applies the retention settings (``retention_contact_resolved_days``,
  ``retention_contact_days``, ``retention_comment_days``); :func:`purge_if_due` runs it once a
  day. A purge is not sent to HQ: HQ applies its own policy.

No Qt, no HTTP: sync/ calls these with what HQ said.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from kiosk.db import Database, utcnow
from kiosk.settings import Settings

T = TypeVar("T")
CHUNK = 400  # ids per IN (...) list: under SQLite's variable limit on old builds
PURGE_EVERY = timedelta(hours=23)  # "daily": a purge is due 23 hours after the last one
RESEND_AFTER = timedelta(minutes=10)  # an unconfirmed erasure rides alone at most this often
Source = Literal["kiosk", "hq"]


@dataclass(frozen=True)
class ScrubResult:
    response_ids: tuple[str, ...]  # the responses this kiosk has among those asked
    wal_truncated: bool  # False if a reader kept the WAL busy; the bytes go at the next one


@dataclass(frozen=True)
class PurgeResult:
    at: datetime
    contacts: int  # responses whose contact details (and case note) were purged
    comments: int  # responses whose comment was purged
    wal_truncated: bool


def _sql_time(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _marks(items: Sequence[str]) -> str:
    return ", ".join("?" for _ in items)


def _in_files(db: Database, work: Callable[[sqlite3.Cursor], T]) -> tuple[T, bool]:
    """Run ``work`` in one BEGIN IMMEDIATE transaction with secure_delete on, then checkpoint
    and truncate the WAL. Returns what ``work`` returned and whether the WAL was truncated."""
    raw = db.engine.raw_connection()  # pragmas must sit outside the transaction
    try:
        driver = raw.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        cur = driver.cursor()
        cur.execute("PRAGMA secure_delete=ON")
        try:
            cur.execute("BEGIN IMMEDIATE")
            try:
                result = work(cur)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        finally:
            cur.execute("PRAGMA secure_delete=OFF")
        # The old values also sit in WAL frames: copy the new pages back and cut the WAL to 0.
        busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        cur.close()
    finally:
        raw.close()
    return result, not busy


def _scrub_rows(
    cur: sqlite3.Cursor, ids: Sequence[str], *, contact: bool, comment: bool, now: str
) -> None:
    """NULL the contact details (and the case note) and/or the comment of ``ids``; a case row is
    marked erased for each response that has a case (contact consent)."""
    sets = []
    if contact:
        sets += ["contact_name = NULL", "contact_detail = NULL"]
    if comment:
        sets.append("comment = NULL")
    for chunk in _chunks(ids):
        cur.execute(
            f"UPDATE responses SET {', '.join(sets)} WHERE id IN ({_marks(chunk)})", tuple(chunk)
        )
        if contact:
            cur.execute(
                "INSERT INTO followup_cases (response_id, state, note, updated_at, erased_at) "
                "SELECT id, 'open', NULL, ?, ? FROM responses "
                f"WHERE id IN ({_marks(chunk)}) AND contact_consent = 1 "
                "ON CONFLICT (response_id) DO UPDATE SET note = NULL, "
                "updated_at = excluded.updated_at, erased_at = excluded.erased_at",
                (now, now, *chunk),
            )


def _audit(cur: sqlite3.Cursor, action: str, now: str, **detail: object) -> None:
    cur.execute(
        "INSERT INTO audit_log (at, action, detail) VALUES (?, ?, ?)",
        (now, action, json.dumps(detail, ensure_ascii=False)),
    )


_HOLDING = (
    " AND (r.contact_name IS NOT NULL OR r.contact_detail IS NOT NULL OR r.comment IS NOT NULL"
    " OR c.note IS NOT NULL)"
)


def _present(cur: sqlite3.Cursor, ids: Sequence[str], *, holding: bool) -> list[str]:
    """Which of ``ids`` this kiosk has (only those still holding something with ``holding``)."""
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(
            r[0]
            for r in cur.execute(
                "SELECT r.id FROM responses r LEFT JOIN followup_cases c ON c.response_id = r.id "
                f"WHERE r.id IN ({_marks(chunk)})" + (_HOLDING if holding else ""),
                tuple(chunk),
            )
        )
    return [rid for rid in ids if rid in found]


def erase(
    db: Database,
    ids: Iterable[str],
    *,
    source: Source,
    at: datetime | None = None,
    cursor: str | None = None,
) -> ScrubResult:
    """Forget the customers of responses ``ids`` (those this kiosk has; others are skipped):
    contact details, comment and case note leave the database files.

    ``source="kiosk"``: the ids are queued for HQ (sent in the next v2 batch's ``erasures``),
    audited as ``erasure``. ``source="hq"``: erasures pulled from HQ, audited as
    ``erasure_from_hq``; ``cursor`` (the pull's) is stored in the same transaction."""
    wanted = list(dict.fromkeys(ids))
    now = _sql_time(at or utcnow())

    def work(cur: sqlite3.Cursor) -> list[str]:
        present = _present(cur, wanted, holding=source == "hq")
        if present:
            _scrub_rows(cur, present, contact=True, comment=True, now=now)
        if source == "kiosk":
            cur.executemany(
                "INSERT OR IGNORE INTO erasure_queue (response_id, queued_at, attempts) "
                "VALUES (?, ?, 0)",
                [(rid, now) for rid in present],
            )
            for rid in present:  # one entry per customer, as the Follow-ups tab shows them
                _audit(cur, "erasure", now, response_id=rid)
        else:
            if present:
                _audit(cur, "erasure_from_hq", now, count=len(present), response_ids=present)
            if cursor is not None:
                cur.execute(
                    "UPDATE sync_status SET erasure_cursor = ?, erasures_pulled_at = ? "
                    "WHERE id = 1",
                    (cursor, now),
                )
        return present

    if source == "hq" and wanted:
        # Nothing held here (not this kiosk's, or scrubbed already, e.g. its own erasure coming
        # back): no need to rewrite the files.
        with db.reading() as s:
            raw = s.connection().connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            probe = raw.cursor()
            try:
                wanted = _present(probe, wanted, holding=True)
            finally:
                probe.close()
    if not wanted:
        with db.write_connection() as conn:
            if source == "hq" and cursor is not None:
                conn.exec_driver_sql(
                    "UPDATE sync_status SET erasure_cursor = ?, erasures_pulled_at = ? "
                    "WHERE id = 1",
                    (cursor, now),
                )
        return ScrubResult(response_ids=(), wal_truncated=True)
    present, truncated = _in_files(db, work)
    return ScrubResult(response_ids=tuple(present), wal_truncated=truncated)


# -- the queue of erasures for HQ -----------------------------------------------------------------


def queued(
    db: Database, *, limit: int, alone: bool = False, now: datetime | None = None
) -> list[str]:
    """Up to ``limit`` queued erasures, the least recently sent first. ``alone`` (a batch with
    no responses): only those not sent in the last 10 minutes, so that an id HQ does not confirm
    (another store's response) does not make every cycle send."""
    sql = "SELECT response_id FROM erasure_queue"
    params: tuple[object, ...] = ()
    if alone:
        cutoff = (now or utcnow()) - RESEND_AFTER
        sql += " WHERE last_sent_at IS NULL OR last_sent_at <= ?"
        params = (_sql_time(cutoff),)
    sql += " ORDER BY last_sent_at IS NOT NULL, last_sent_at, queued_at LIMIT ?"
    with db.reading() as s:
        rows = s.connection().exec_driver_sql(sql, (*params, limit)).all()
    return [str(r[0]) for r in rows]


def queue_size(db: Database) -> int:
    with db.reading() as s:
        return int(
            s.connection().exec_driver_sql("SELECT count(*) FROM erasure_queue").scalar() or 0
        )


def mark_sent(db: Database, ids: Sequence[str], *, at: datetime) -> None:
    """Queued erasures went out in a batch (before HQ's answer: a lost reply still counts)."""
    if not ids:
        return
    with db.write_connection() as conn:
        conn.exec_driver_sql(
            "UPDATE erasure_queue SET last_sent_at = ?, attempts = attempts + 1 "
            "WHERE response_id = ?",
            [(_sql_time(at), rid) for rid in ids],
        )


def confirmed(db: Database, ids: Sequence[str]) -> int:
    """HQ's reply listed ``ids`` in ``erased``: they leave the queue. Returns how many did."""
    if not ids:
        return 0
    gone = 0
    with db.write_connection() as conn:
        for chunk in _chunks(list(ids)):
            result = conn.exec_driver_sql(
                f"DELETE FROM erasure_queue WHERE response_id IN ({_marks(chunk)})", tuple(chunk)
            )
            gone += int(result.rowcount or 0)
    return gone


# -- retention ------------------------------------------------------------------------------------

_CONTACTS_DUE = """
SELECT r.id FROM responses r LEFT JOIN followup_cases c ON c.response_id = r.id
WHERE (r.contact_name IS NOT NULL OR r.contact_detail IS NOT NULL OR c.note IS NOT NULL)
  AND ((c.state = 'resolved' AND coalesce(c.resolved_at, c.updated_at) <= ?)
    OR (coalesce(c.state, 'open') != 'resolved'
        AND coalesce(r.completed_at, r.device_time) <= ?))
"""
_COMMENTS_DUE = (
    "SELECT id FROM responses WHERE comment IS NOT NULL "
    "AND coalesce(completed_at, device_time) <= ?"
)


def purge(
    db: Database, *, now: datetime | None = None, settings: Settings | None = None
) -> PurgeResult:
    """Apply the retention settings at ``now`` (the kiosk's clock, UTC): contact details (and the
    case note) ``retention_contact_resolved_days`` after the case was resolved, or
    ``retention_contact_days`` after the answer if it is not resolved; comments
    ``retention_comment_days`` after the answer (off when None). Audited as
    ``retention_purge`` with the counts, also when nothing was due."""
    at = now or utcnow()
    s = settings or db.settings()
    stamp = _sql_time(at)
    resolved_cut = _sql_time(at - timedelta(days=s.retention_contact_resolved_days))
    answer_cut = _sql_time(at - timedelta(days=s.retention_contact_days))
    comment_days = s.retention_comment_days
    comment_cut = _sql_time(at - timedelta(days=comment_days)) if comment_days else None

    def work(cur: sqlite3.Cursor) -> tuple[int, int]:
        contacts = [r[0] for r in cur.execute(_CONTACTS_DUE, (resolved_cut, answer_cut))]
        comments = [r[0] for r in cur.execute(_COMMENTS_DUE, (comment_cut,))] if comment_cut else []
        if contacts:
            _scrub_rows(cur, contacts, contact=True, comment=False, now=stamp)
        if comments:
            _scrub_rows(cur, comments, contact=False, comment=True, now=stamp)
        _audit(
            cur,
            "retention_purge",
            stamp,
            contacts=len(contacts),
            comments=len(comments),
            contact_resolved_days=s.retention_contact_resolved_days,
            contact_days=s.retention_contact_days,
            comment_days=comment_days,
        )
        return len(contacts), len(comments)

    (contacts, comments), truncated = _in_files(db, work)
    return PurgeResult(at=at, contacts=contacts, comments=comments, wal_truncated=truncated)


def last_purge(db: Database) -> datetime | None:
    with db.reading() as s:
        value = (
            s.connection()
            .exec_driver_sql("SELECT max(at) FROM audit_log WHERE action = 'retention_purge'")
            .scalar()
        )
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def purge_due(db: Database, now: datetime) -> bool:
    """Due when no purge ran in the last 23 hours (or the last one is in the future by more than
    a day: the clock was wrong then, or is now; purging early is the safe side)."""
    last = last_purge(db)
    return last is None or now - last >= PURGE_EVERY or last - now > timedelta(days=1)


def purge_if_due(db: Database, *, now: datetime | None = None) -> PurgeResult | None:
    """The daily retention run (the sync worker's timer calls this, off the GUI thread)."""
    at = now or utcnow()
    if not purge_due(db, at):
        return None
    return purge(db, now=at)
