"""Recording answers: the score is durable at the tap, the follow-up updates the same row.

A response is *incomplete* from the tap until the customer presses Done or Skip, or the idle
timeout fires; after a crash, incomplete rows older than the timeout are completed on start.
Suspect taps (faster than the minimum interval after the previous tap, part of a burst,
answered before the question could be read, or made while the store is closed) are kept and
flagged, never dropped. Each row carries the store's local date (``local_day``), by which the
per-day rollups count it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from core.ids import uuid7
from core.nps import Category, category
from core.survey_texts import LANGUAGES
from core.text import COMMENT_LIMIT, CONTACT_LIMIT, MAX_REASONS, REASON_KEY, clean_text
from kiosk.db import Database, utcnow
from kiosk.errors import InvalidScore, RecordingError, ResponseNotFound
from kiosk.localtime import is_open, to_local, zone
from kiosk.settings import Settings
from kiosk.storage import storage_full

if TYPE_CHECKING:
    from kiosk.models import ResponseRow

CONSENT_TEXT_LIMIT = 1000  # the opt-in's wording is at most 300 characters (kiosk.settings)


class ResponseStatus(StrEnum):
    INCOMPLETE = "incomplete"
    COMPLETE = "complete"


class Completion(StrEnum):
    DONE = "done"  # the customer pressed Done
    SKIP = "skip"  # the customer pressed Skip
    TIMEOUT = "timeout"  # the follow-up screen sat idle
    RECOVERED = "recovered"  # completed on start after a crash or power cut


class Channel(StrEnum):
    KIOSK = "kiosk"
    QR = "qr"


@dataclass(frozen=True)
class RecordedScore:
    """What the screen needs after a tap: the row is already committed."""

    id: str
    seq: int
    score: int
    category: Category
    suspect: bool
    suspect_reason: str | None


@dataclass(frozen=True)
class FollowUp:
    """What the customer said after the score."""

    reasons: tuple[str, ...] = ()
    comment: str = ""
    contact_consent: bool = False
    contact_name: str = ""
    contact_detail: str = ""
    # The opt-in's wording exactly as the customer saw it; stored with the consent (0007).
    consent_text: str = ""


@dataclass(frozen=True)
class Response:
    id: str
    seq: int
    score: int
    category: Category
    language: str
    channel: Channel
    reasons: tuple[str, ...]
    comment: str | None
    contact_consent: bool
    contact_name: str | None
    contact_detail: str | None
    device_time: datetime
    time_to_answer_ms: int | None
    status: ResponseStatus
    completion: Completion | None
    suspect: bool
    suspect_reason: str | None
    sync_state: str


def check_follow_up(follow_up: FollowUp) -> FollowUp:
    reasons = tuple(dict.fromkeys(follow_up.reasons))
    if len(reasons) > MAX_REASONS or not all(REASON_KEY.match(r) for r in reasons):
        raise RecordingError("Reasons must be up to 12 reason keys such as 'wait_time'.")
    consent = bool(follow_up.contact_consent)
    return FollowUp(
        reasons=reasons,
        comment=clean_text(follow_up.comment, limit=COMMENT_LIMIT),
        contact_consent=consent,
        # Contact details are kept only with explicit consent.
        contact_name=clean_text(follow_up.contact_name, limit=CONTACT_LIMIT, keep_newlines=False)
        if consent
        else "",
        contact_detail=clean_text(
            follow_up.contact_detail, limit=CONTACT_LIMIT, keep_newlines=False
        )
        if consent
        else "",
        consent_text=follow_up.consent_text[:CONSENT_TEXT_LIMIT] if consent else "",
    )


class Recorder:
    """Records kiosk answers into the database; every method commits before it returns."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def record_score(
        self,
        *,
        score: int,
        language: str,
        time_to_answer_ms: int | None,
        channel: Channel = Channel.KIOSK,
        settings: Settings | None = None,
    ) -> RecordedScore:
        """Commit a tapped score (fsynced) and return its id. Call before the screen moves on.

        ``settings``: those the customer's screen was made from (the survey controller keeps
        them for one customer), so that the question and survey versions recorded are the ones
        shown even if a profile from HQ changed the stored settings meanwhile."""
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
            raise InvalidScore(f"A score is a whole number from 0 to 10, not {score!r}.")
        if language not in LANGUAGES:
            raise RecordingError(f"Unknown language {language!r}.")
        settings = settings or self.db.settings()
        now = self.clock()
        local = to_local(now, zone(settings.time_zone))
        cat = category(score)
        response_id = str(uuid7(unix_ms=int(now.replace(tzinfo=UTC).timestamp() * 1000)))
        # The tap is the one write a customer waits on: plain DBAPI calls on the GUI thread's
        # sqlite3 connection (pragmas set by kiosk.db.connect_raw), no SQLAlchemy.
        with self.db.connection() as conn:
            return self._insert_score(
                conn,
                now=now,
                score=score,
                cat=cat,
                language=language,
                channel=channel,
                settings=settings,
                time_to_answer_ms=time_to_answer_ms,
                response_id=response_id,
                local=local,
            )

    def _insert_score(
        self,
        conn: sqlite3.Connection,
        *,
        now: datetime,
        score: int,
        cat: Category,
        language: str,
        channel: Channel,
        settings: Settings,
        time_to_answer_ms: int | None,
        response_id: str,
        local: datetime,
    ) -> RecordedScore:
        """The tap's one transaction: suspect checks, the next sequence number, the row."""
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            recent = [
                _as_datetime(r[0])
                for r in cur.execute(
                    "SELECT device_time FROM responses WHERE device_id = ? AND channel = ? "
                    "AND device_time >= ?",
                    (
                        settings.device_id,
                        channel.value,
                        _sql_time(now - timedelta(seconds=settings.burst_window_s)),
                    ),
                )
            ]
            reasons = suspect_reasons(
                now=now,
                recent=recent,
                time_to_answer_ms=time_to_answer_ms,
                min_interval_s=settings.min_tap_interval_s,
                burst_taps=settings.burst_taps,
                min_answer_ms=settings.min_answer_ms,
                closed=channel is Channel.KIOSK and not is_open(local, settings.opening_hours),
            )
            seq = (
                cur.execute(
                    "SELECT max(seq) FROM responses WHERE device_id = ?", (settings.device_id,)
                ).fetchone()[0]
                or 0
            ) + 1
            suspect_reason = ",".join(reasons) or None
            cur.execute(
                "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
                "question_version, score, category, reasons, contact_consent, device_time, "
                "local_day, time_to_answer_ms, status, suspect, suspect_reason, sync_state, "
                "survey_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', 0, ?, ?, ?, "
                "'incomplete', ?, ?, 'pending', ?)",
                (
                    response_id,
                    seq,
                    settings.store_id,
                    settings.device_id,
                    channel.value,
                    language,
                    settings.question_version,
                    score,
                    cat.value,
                    _sql_time(now),
                    local.date().isoformat(),
                    time_to_answer_ms,
                    int(bool(reasons)),
                    suspect_reason,
                    settings.survey_version,
                ),
            )
            cur.execute("COMMIT")
        except BaseException as exc:
            # On a full disk SQLite has already rolled back: a ROLLBACK would fail and hide
            # the cause, so only roll back what is still open, and say what went wrong.
            if conn.in_transaction:
                cur.execute("ROLLBACK")
            full = storage_full(self.db, exc)
            if full is not None:
                raise full from exc
            raise
        finally:
            cur.close()
        return RecordedScore(
            id=response_id,
            seq=seq,
            score=score,
            category=cat,
            suspect=bool(reasons),
            suspect_reason=suspect_reason,
        )

    def complete(
        self, response_id: str, *, how: Completion, follow_up: FollowUp | None = None
    ) -> None:
        """Store the follow-up on the tapped row and mark it complete, in one commit."""
        values: dict[str, object] = {
            "status": ResponseStatus.COMPLETE.value,
            "completion": how.value,
            "completed_at": _sql_time(self.clock()),
        }
        if follow_up is not None:
            f = check_follow_up(follow_up)
            values.update(
                reasons=json.dumps(list(f.reasons)),
                comment=f.comment or None,
                contact_consent=int(f.contact_consent),
                contact_name=f.contact_name or None,
                contact_detail=f.contact_detail or None,
                consent_text=f.consent_text or None,
            )
        columns = ", ".join(f"{name} = ?" for name in values)  # names from this method only
        with _write(self.db) as conn:
            done = conn.execute(
                f"UPDATE responses SET {columns} WHERE id = ? AND status = ?",  # noqa: S608
                (*values.values(), response_id, ResponseStatus.INCOMPLETE.value),
            )
            if done.rowcount == 0:
                exists = conn.execute(
                    "SELECT status FROM responses WHERE id = ?", (response_id,)
                ).fetchone()
                if exists is None:
                    raise ResponseNotFound(f"No response with id {response_id}.")
                # Already complete (e.g. the idle timeout raced Done): the first one wins.

    def recover_incomplete(self, *, older_than: timedelta) -> int:
        """Complete rows left incomplete by a crash; returns how many. Run on start."""
        now = self.clock()
        with _write(self.db) as conn:
            recovered = conn.execute(
                "UPDATE responses SET status = ?, completion = ?, completed_at = ? "
                "WHERE status = ? AND device_time <= ?",
                (
                    ResponseStatus.COMPLETE.value,
                    Completion.RECOVERED.value,
                    _sql_time(now),
                    ResponseStatus.INCOMPLETE.value,
                    _sql_time(now - older_than),
                ),
            ).rowcount
            if recovered:  # reported to HQ with the next batch (device health)
                conn.execute(
                    "UPDATE sync_status SET recoveries_since_sync = recoveries_since_sync + ? "
                    "WHERE id = 1",
                    (recovered,),
                )
            return int(recovered)

    def get(self, response_id: str) -> Response:
        from kiosk.models import ResponseRow

        with self.db.reading() as s:
            row = s.get(ResponseRow, response_id)
            if row is None:
                raise ResponseNotFound(f"No response with id {response_id}.")
            return to_response(row)

    def latest(self, limit: int = 20) -> list[Response]:
        from sqlalchemy import select

        from kiosk.models import ResponseRow

        with self.db.reading() as s:
            rows = s.scalars(select(ResponseRow).order_by(ResponseRow.seq.desc()).limit(limit))
            return [to_response(r) for r in rows]


def suspect_reasons(
    *,
    now: datetime,
    recent: Sequence[datetime],
    time_to_answer_ms: int | None,
    min_interval_s: float,
    burst_taps: int,
    min_answer_ms: int,
    closed: bool = False,
) -> list[str]:
    """Why a tap looks like gaming the terminal; ``recent`` is the burst window's earlier taps,
    ``closed`` that it came outside the store's opening hours (nobody should be at the till)."""
    reasons = []
    if recent and (now - max(recent)).total_seconds() < min_interval_s:
        reasons.append("within_min_interval")
    if len(recent) + 1 > burst_taps:
        reasons.append("burst")
    if time_to_answer_ms is not None and time_to_answer_ms < min_answer_ms:
        reasons.append("answered_too_fast")
    if closed:
        reasons.append("closed")
    return reasons


def to_response(row: ResponseRow) -> Response:
    return Response(
        id=row.id,
        seq=row.seq,
        score=row.score,
        category=Category(row.category),
        language=row.language,
        channel=Channel(row.channel),
        reasons=tuple(json.loads(row.reasons or "[]")),
        comment=row.comment,
        contact_consent=row.contact_consent,
        contact_name=row.contact_name,
        contact_detail=row.contact_detail,
        device_time=row.device_time,
        time_to_answer_ms=row.time_to_answer_ms,
        status=ResponseStatus(row.status),
        completion=Completion(row.completion) if row.completion else None,
        suspect=row.suspect,
        suspect_reason=row.suspect_reason,
        sync_state=row.sync_state,
    )


@contextmanager
def _write(db: Database) -> Iterator[sqlite3.Connection]:
    """A write transaction on this thread's sqlite3 connection: BEGIN IMMEDIATE, COMMIT (on
    disk when it returns: synchronous=FULL) at the end of the block, ROLLBACK on an error
    (only if SQLite has not already rolled back, as it does on a full disk)."""
    with db.connection() as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _sql_time(value: datetime) -> str:
    """A naive UTC datetime in the text form SQLAlchemy's SQLite DateTime type stores."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _as_datetime(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
