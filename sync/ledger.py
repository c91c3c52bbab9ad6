"""The kiosk side of sync, in the kiosk's own database: the outbox, the ledger, the sync state.

A complete response waits in the outbox (``sync_state`` pending, or exported to a batch file
and not yet acknowledged) until HQ answers for it; then, in one transaction with the ledger row,
it becomes synced (accepted or duplicate, with HQ's time) or quarantined (rejected, with HQ's
reason: never deleted, listed for the manager, sendable again). Phone answers pulled back from
HQ are stored as responses of channel ``qr`` that are already synced. No HTTP here: sync/ talks
to HQ and calls these functions with what it heard.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from core.protocol import RESPONSE_FIELDS
from core.said import from_stored, to_stored
from kiosk.db import Database, utcnow
from kiosk.localtime import local_day, to_utc, zone
from kiosk.models import UNSENT_WHERE

# The partial index's own condition, so that SQLite can use ix_responses_unsent.
UNSENT = f"responses INDEXED BY ix_responses_unsent WHERE {UNSENT_WHERE}"
PHONE_DEVICE = "hq-phone"  # device id of phone answers pulled back from HQ (their own seq)
# Every wire field is a column of the kiosk's responses table (survey_version since 0006,
# consent_text since 0007), so the outbox selects exactly the protocol's fields, in its order.
WIRE_COLUMNS = RESPONSE_FIELDS
WIRE_SELECT = ", ".join(WIRE_COLUMNS)
_SELECT_WIRE = WIRE_SELECT


class SyncState(StrEnum):
    """What the Sync tab says about the link to HQ."""

    NOT_ENROLLED = "not_enrolled"
    NEVER = "never"  # enrolled, nothing tried yet
    ONLINE = "online"  # the last attempt worked
    OFFLINE = "offline"  # the last attempt failed; the next one is due
    WAITING = "waiting"  # backing off until next_attempt_at
    REFUSED = "refused"  # HQ refused the device (401/403): enroll again


@dataclass(frozen=True)
class SyncStatus:
    hq_url: str | None
    public_url: str | None
    ca_bundle: str | None
    enrolled_at: datetime | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_attempt_at: datetime | None
    refused: bool
    clock_offset_s: float | None
    phone_cursor: str | None
    phone_pulled_at: datetime | None
    # Protocol v2: the last store profile HQ sent that the kiosk refused (bad signature...).
    profile_error: str | None = None
    profile_error_at: datetime | None = None
    recoveries_since_sync: int = 0
    # Revision 0007: where the pull of HQ's erasures stopped, and when it last scrubbed.
    erasure_cursor: str | None = None
    erasures_pulled_at: datetime | None = None
    case_cursor: str | None = None
    cases_pulled_at: datetime | None = None

    @property
    def link_url(self) -> str | None:
        """The address customers' phones reach HQ at (QR codes)."""
        return self.public_url or self.hq_url


@dataclass(frozen=True)
class BatchRecord:
    """One ledger row: a batch HQ answered, or a batch file written."""

    batch_id: str
    kind: str  # upload | file
    at: datetime
    size: int
    accepted: int
    duplicate: int
    rejected: int
    server_time: datetime | None
    file_name: str | None


@dataclass(frozen=True)
class QuarantinedResponse:
    id: str
    seq: int
    score: int
    device_time: datetime
    reason: str


@dataclass(frozen=True)
class SyncOverview:
    """Everything the Sync tab shows, read in one go off the GUI thread."""

    status: SyncStatus
    pending: int
    oldest_pending_at: datetime | None
    exported: int
    quarantined_count: int
    quarantined: tuple[QuarantinedResponse, ...]
    batches: tuple[BatchRecord, ...]
    at: datetime
    time_zone: str = "UTC"  # the store's (settings.time_zone): the tab's times are its wall clock

    @property
    def state(self) -> SyncState:
        s = self.status
        if s.hq_url is None:
            return SyncState.NOT_ENROLLED
        if s.refused:
            return SyncState.REFUSED
        if s.failures > 0:
            if s.next_attempt_at is not None and s.next_attempt_at > self.at:
                return SyncState.WAITING
            return SyncState.OFFLINE
        if s.last_success_at is None:
            return SyncState.NEVER
        return SyncState.ONLINE


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _sql_time(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"


def _local_day(value: datetime, tz: ZoneInfo) -> str:
    """The store's date of a (naive UTC, or aware) device time: the row's rollup day."""
    return local_day(to_utc(value, tz) if value.tzinfo else value, tz).isoformat()


class SyncStore:
    """The outbox and ledger in one kiosk database. Every write is one short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reading ---------------------------------------------------------------------------
    def next_batch(
        self, limit: int, *, not_exported: bool = False, after_seq: int | None = None
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` complete, unacknowledged responses in seq order (only those not yet
        in a batch file with ``not_exported``; only those after ``after_seq`` if given), as
        plain dicts with the protocol's field names (device_time naive UTC text, reasons a
        list)."""
        sql = f"SELECT {_SELECT_WIRE} FROM {UNSENT}"
        if not_exported:
            sql += " AND sync_state = 'pending'"
        params: tuple[int, ...] = (limit,)
        if after_seq is not None:
            sql += " AND seq > ?"
            params = (after_seq, limit)
        # A plain DBAPI read (as the tap path does): the drain reads 500 rows a batch, and
        # SQLAlchemy's per-row processing cost more than the query. One SELECT is atomic.
        conn = self.db.engine.raw_connection()
        try:
            cur = conn.cursor()
            try:
                rows = cur.execute(sql + " ORDER BY seq LIMIT ?", params).fetchall()
            finally:
                cur.close()
        finally:
            conn.close()
        reasons_of: dict[str | None, list[str]] = {}
        out = []
        for r in rows:
            d = dict(zip(WIRE_COLUMNS, r, strict=True))
            text = d["reasons"]
            reasons = reasons_of.get(text)
            if reasons is None:
                reasons = reasons_of[text] = json.loads(text or "[]")
            d["reasons"] = list(reasons)
            d["contact_consent"] = bool(d["contact_consent"])
            d["suspect"] = bool(d["suspect"])
            out.append(d)
        return out

    def pending_count(self) -> int:
        with self.db.reading() as s:
            return int(
                s.connection().exec_driver_sql(f"SELECT count(*) FROM {UNSENT}").scalar() or 0
            )

    def status(self) -> SyncStatus:
        with self.db.reading() as s:
            return self._status(s.connection())

    def _status(self, conn: Connection) -> SyncStatus:
        row = conn.exec_driver_sql(
            "SELECT hq_url, public_url, ca_bundle, enrolled_at, last_attempt_at, "
            "last_success_at, last_error, last_error_at, failures, next_attempt_at, refused, "
            "clock_offset_s, phone_cursor, phone_pulled_at, profile_error, profile_error_at, "
            "recoveries_since_sync, erasure_cursor, erasures_pulled_at, case_cursor, "
            "cases_pulled_at FROM sync_status WHERE id = 1"
        ).first()
        if row is None:
            return SyncStatus(
                None, None, None, None, None, None, None, None, 0, None, False, None, None, None
            )
        return SyncStatus(
            hq_url=row[0],
            public_url=row[1],
            ca_bundle=row[2],
            enrolled_at=_dt(row[3]),
            last_attempt_at=_dt(row[4]),
            last_success_at=_dt(row[5]),
            last_error=from_stored(row[6]),
            last_error_at=_dt(row[7]),
            failures=int(row[8] or 0),
            next_attempt_at=_dt(row[9]),
            refused=bool(row[10]),
            clock_offset_s=row[11],
            phone_cursor=row[12],
            phone_pulled_at=_dt(row[13]),
            profile_error=from_stored(row[14]),
            profile_error_at=_dt(row[15]),
            recoveries_since_sync=int(row[16] or 0),
            erasure_cursor=row[17],
            erasures_pulled_at=_dt(row[18]),
            case_cursor=row[19],
            cases_pulled_at=_dt(row[20]),
        )

    def overview(
        self, *, quarantine_limit: int = 50, batch_limit: int = 20, now: datetime | None = None
    ) -> SyncOverview:
        with self.db.reading() as s:
            conn = s.connection()
            pending, oldest = conn.exec_driver_sql(
                f"SELECT count(*), min(device_time) FROM {UNSENT}"
            ).one()
            exported = conn.exec_driver_sql(
                f"SELECT count(*) FROM {UNSENT} AND sync_state = 'exported'"
            ).scalar()
            qcount = conn.exec_driver_sql(
                "SELECT count(*) FROM responses WHERE sync_state = 'quarantined'"
            ).scalar()
            quarantined = tuple(
                QuarantinedResponse(
                    id=r[0],
                    seq=r[1],
                    score=r[2],
                    device_time=_dt(r[3]) or utcnow(),
                    reason=r[4] or "",
                )
                for r in conn.exec_driver_sql(
                    "SELECT id, seq, score, device_time, sync_error FROM responses "
                    "WHERE sync_state = 'quarantined' ORDER BY seq LIMIT ?",
                    (quarantine_limit,),
                )
            )
            batches = tuple(self._batches(conn, batch_limit))
            status = self._status(conn)
        return SyncOverview(
            status=status,
            pending=int(pending or 0),
            oldest_pending_at=_dt(oldest),
            exported=int(exported or 0),
            quarantined_count=int(qcount or 0),
            quarantined=quarantined,
            batches=batches,
            at=now or utcnow(),
            time_zone=self.db.settings().time_zone,
        )

    def recent_batches(self, limit: int = 20) -> list[BatchRecord]:
        with self.db.reading() as s:
            return self._batches(s.connection(), limit)

    def _batches(self, conn: Connection, limit: int) -> list[BatchRecord]:
        return [
            BatchRecord(
                batch_id=r[0],
                kind=r[1],
                at=_dt(r[2]) or utcnow(),
                size=r[3],
                accepted=r[4],
                duplicate=r[5],
                rejected=r[6],
                server_time=_dt(r[7]),
                file_name=r[8],
            )
            for r in conn.exec_driver_sql(
                "SELECT batch_id, kind, at, size, accepted, duplicate, rejected, server_time, "
                "file_name FROM sync_batches ORDER BY at DESC, rowid DESC LIMIT ?",
                (limit,),
            )
        ]

    # -- writing ---------------------------------------------------------------------------
    def apply_results(
        self,
        *,
        batch_id: str,
        results: Sequence[tuple[str, str, str | None]],
        server_time: datetime,
        at: datetime,
        clock_offset_s: float | None,
        recoveries_reported: int = 0,
    ) -> BatchRecord:
        """HQ's answer for a batch, in one transaction: accepted and duplicate become synced
        (at HQ's time), rejected become quarantined with the reason; the ledger row and the
        sync state are written with them. Only rows still unacknowledged change, so applying
        an old answer twice is harmless."""
        synced_at = _sql_time(server_time)
        synced = [
            (synced_at, rid) for rid, status, _ in results if status in ("accepted", "duplicate")
        ]
        rejected = [
            (reason or "rejected by HQ", rid)
            for rid, status, reason in results
            if status == "rejected"
        ]
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        for _, status, _ in results:
            if status in counts:
                counts[status] += 1
        record = BatchRecord(
            batch_id=batch_id,
            kind="upload",
            at=at,
            size=len(results),
            accepted=counts["accepted"],
            duplicate=counts["duplicate"],
            rejected=counts["rejected"],
            server_time=server_time,
            file_name=None,
        )
        with self.db.write_connection() as conn:
            if synced:
                conn.exec_driver_sql(
                    "UPDATE responses SET sync_state = 'synced', synced_at = ?, sync_error = NULL "
                    "WHERE id = ? AND sync_state IN ('pending', 'exported')",
                    synced,
                )
            if rejected:
                conn.exec_driver_sql(
                    "UPDATE responses SET sync_state = 'quarantined', sync_error = ? "
                    "WHERE id = ? AND sync_state IN ('pending', 'exported')",
                    rejected,
                )
            self._ledger(conn, record)
            conn.exec_driver_sql(
                "UPDATE sync_status SET last_attempt_at = ?, last_success_at = ?, failures = 0, "
                "next_attempt_at = NULL, refused = 0, "
                "clock_offset_s = coalesce(?, clock_offset_s), "
                "recoveries_since_sync = max(0, recoveries_since_sync - ?) WHERE id = 1",
                (_sql_time(at), _sql_time(at), clock_offset_s, recoveries_reported),
            )
        return record

    def _ledger(self, conn: Connection, r: BatchRecord) -> None:
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO sync_batches (batch_id, kind, at, size, accepted, duplicate, "
            "rejected, server_time, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                r.batch_id,
                r.kind,
                _sql_time(r.at),
                r.size,
                r.accepted,
                r.duplicate,
                r.rejected,
                _sql_time(r.server_time) if r.server_time else None,
                r.file_name,
            ),
        )

    def quarantine(self, reasons: Iterable[tuple[str, str]]) -> int:
        """Quarantine responses that cannot be sent at all (they fail the protocol's checks on
        this kiosk): (id, reason) pairs. Kept and listed, never deleted."""
        pairs = [(reason, rid) for rid, reason in reasons]
        if not pairs:
            return 0
        with self.db.write_connection() as conn:
            conn.exec_driver_sql(
                "UPDATE responses SET sync_state = 'quarantined', sync_error = ? "
                "WHERE id = ? AND sync_state IN ('pending', 'exported')",
                pairs,
            )
        return len(pairs)

    def resend_quarantined(self, ids: Sequence[str] | None = None) -> int:
        """Put quarantined responses (all, or these ids) back in the outbox; returns how many."""
        with self.db.write_connection() as conn:
            if ids is None:
                done = conn.exec_driver_sql(
                    "UPDATE responses SET sync_state = 'pending' WHERE sync_state = 'quarantined'"
                )
                return int(done.rowcount)
            n = 0
            for rid in ids:
                done = conn.exec_driver_sql(
                    "UPDATE responses SET sync_state = 'pending' "
                    "WHERE id = ? AND sync_state = 'quarantined'",
                    (rid,),
                )
                n += int(done.rowcount)
            return n

    def mark_exported(
        self, *, batch_id: str, ids: Sequence[str], file_name: str, at: datetime
    ) -> BatchRecord:
        """Responses written to a batch file: exported, not yet acknowledged (the outbox still
        sends them; HQ answers duplicate for what the file already delivered)."""
        record = BatchRecord(
            batch_id=batch_id,
            kind="file",
            at=at,
            size=len(ids),
            accepted=0,
            duplicate=0,
            rejected=0,
            server_time=None,
            file_name=file_name,
        )
        with self.db.write_connection() as conn:
            conn.exec_driver_sql(
                "UPDATE responses SET sync_state = 'exported' "
                "WHERE id = ? AND sync_state = 'pending'",
                [(rid,) for rid in ids],
            )
            self._ledger(conn, record)
        return record

    def record_failure(
        self, *, message: str, at: datetime, next_attempt_at: datetime | None, refused: bool = False
    ) -> None:
        with self.db.write_connection() as conn:
            conn.exec_driver_sql(
                "UPDATE sync_status SET last_attempt_at = ?, last_error = ?, last_error_at = ?, "
                "failures = failures + 1, next_attempt_at = ?, refused = ? WHERE id = 1",
                (
                    _sql_time(at),
                    to_stored(message)[:2000],
                    _sql_time(at),
                    _sql_time(next_attempt_at) if next_attempt_at else None,
                    int(refused),
                ),
            )

    def record_clock_offset(self, offset_s: float) -> None:
        with self.db.write_connection() as conn:
            conn.exec_driver_sql(
                "UPDATE sync_status SET clock_offset_s = ? WHERE id = 1", (offset_s,)
            )

    def record_enrollment(
        self,
        *,
        hq_url: str,
        public_url: str | None,
        ca_bundle: str | None,
        store_id: str,
        device_id: str,
        at: datetime,
    ) -> int:
        """After HQ enrolled this kiosk: set store_id and device_id, and give the responses that
        never reached HQ the enrolled identity (they were recorded under a provisional one).
        Returns how many responses were adopted."""
        before = self.db.settings()
        self.db.update_settings(store_id=store_id, device_id=device_id)
        adopted = 0
        with self.db.write_connection() as conn:
            olds = [
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT DISTINCT device_id FROM responses WHERE device_id != ? AND seeded = 0 "
                    "AND device_id != ? AND sync_state IN ('pending', 'exported', 'quarantined')",
                    (device_id, PHONE_DEVICE),
                )
            ]
            for old in olds:
                top = (
                    conn.exec_driver_sql(
                        "SELECT coalesce(max(seq), 0) FROM responses WHERE device_id = ?",
                        (device_id,),
                    ).scalar()
                    or 0
                )
                done = conn.exec_driver_sql(
                    "UPDATE responses SET device_id = ?, store_id = ?, seq = seq + ? "
                    "WHERE device_id = ? AND seeded = 0 "
                    "AND sync_state IN ('pending', 'exported', 'quarantined')",
                    (device_id, store_id, int(top), old),
                )
                adopted += int(done.rowcount)
            conn.exec_driver_sql(
                "UPDATE responses SET store_id = ? WHERE device_id = ? AND seeded = 0 "
                "AND sync_state IN ('pending', 'exported', 'quarantined')",
                (store_id, device_id),
            )
            conn.exec_driver_sql(
                "UPDATE sync_status SET hq_url = ?, public_url = ?, ca_bundle = ?, enrolled_at = ?,"
                " refused = 0, failures = 0, next_attempt_at = NULL, last_error = NULL, "
                "last_error_at = NULL, phone_cursor = CASE WHEN ? THEN phone_cursor ELSE NULL END "
                "WHERE id = 1",
                (hq_url, public_url, ca_bundle, _sql_time(at), int(before.store_id == store_id)),
            )
        return adopted

    def set_public_url(self, url: str | None) -> None:
        with self.db.write_connection() as conn:
            conn.exec_driver_sql("UPDATE sync_status SET public_url = ? WHERE id = 1", (url,))

    def store_phone_answers(
        self, answers: Sequence[dict[str, Any]], *, cursor: str, at: datetime
    ) -> int:
        """Phone (QR) answers from HQ, stored once each (by id) as synced channel-qr responses
        so that the local NPS covers both channels; the cursor moves in the same transaction."""
        inserted = 0
        tz = zone(self.db.settings().time_zone)
        with self.db.write_connection() as conn:
            top = int(
                conn.exec_driver_sql(
                    "SELECT coalesce(max(seq), 0) FROM responses WHERE device_id = ?",
                    (PHONE_DEVICE,),
                ).scalar()
                or 0
            )
            for a in answers:
                done = conn.exec_driver_sql(
                    "INSERT OR IGNORE INTO responses (id, seq, store_id, device_id, channel, "
                    "language, question_version, score, category, reasons, comment, "
                    "contact_consent, device_time, local_day, time_to_answer_ms, status, "
                    "completion, completed_at, suspect, suspect_reason, sync_state, synced_at, "
                    "seeded) "
                    "VALUES (?, ?, ?, ?, 'qr', ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 'complete', ?, ?, ?, "
                    "?, 'synced', ?, 0)",
                    (
                        a["id"],
                        top + 1,
                        a["store_id"],
                        PHONE_DEVICE,
                        a["language"],
                        a["question_version"],
                        a["score"],
                        a["category"],
                        json.dumps(list(a.get("reasons") or [])),
                        a.get("comment"),
                        _sql_time(a["device_time"]),
                        _local_day(a["device_time"], tz),
                        a.get("time_to_answer_ms"),
                        a["completion"],
                        _sql_time(a["device_time"]),
                        int(bool(a.get("suspect"))),
                        a.get("suspect_reason"),
                        _sql_time(at),
                    ),
                )
                if done.rowcount:
                    top += 1
                    inserted += 1
            conn.exec_driver_sql(
                "UPDATE sync_status SET phone_cursor = ?, phone_pulled_at = ? WHERE id = 1",
                (cursor, _sql_time(at)),
            )
        return inserted
