"""Taking batches exactly once: each response accepted, duplicate or rejected, one transaction
per batch; and importing signed batch files carried from a store on a USB stick."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hq.alerts import alerts_for_responses
from hq.db import naive_utc, utcnow
from hq.errors import Forbidden, ImportFailed
from hq.models import BatchRow, DeviceRow
from hq.service import DeviceAuth, Hq
from sync.errors import BatchFileError
from sync.protocol import (
    BatchEnvelope,
    BatchReplyV1,
    ResponseV1,
    ResultV1,
    batch_file_device,
    content_hash,
    describe,
    read_batch_file,
    verify_batch_file,
)

log = logging.getLogger(__name__)
_ACCEPTED = ResultV1.model_construct  # our own values: no need to validate 500 of them
_RETRIES = 3
# Test-only: "before_commit" or "after_commit" makes the process exit at that point of ingest,
# so a test can kill HQ between writing responses + alerts and committing them.
_EXIT_AT = os.environ.get("NPS_HQ_TEST_EXIT_AT", "")


def _exit_here(point: str) -> None:
    if _EXIT_AT == point:
        logging.shutdown()
        os._exit(70)


def response_values(
    response: ResponseV1, *, digest: str, received_at: datetime, batch_id: str | None
) -> dict[str, Any]:
    """The row HQ stores for a checked response."""
    return {
        "id": response.id,
        "seq": response.seq,
        "store_id": response.store_id,
        "device_id": response.device_id,
        "channel": response.channel,
        "language": response.language,
        "question_version": response.question_version,
        "score": response.score,
        "category": response.category,
        "reasons": json.dumps(response.reasons) if response.reasons else "[]",
        "comment": response.comment,
        "contact_consent": response.contact_consent,
        "contact_name": response.contact_name,
        "contact_detail": response.contact_detail,
        "device_time": naive_utc(response.device_time),
        "time_to_answer_ms": response.time_to_answer_ms,
        "completion": response.completion,
        "suspect": response.suspect,
        "suspect_reason": response.suspect_reason,
        "content_hash": digest,
        "received_at": received_at,
        "batch_id": batch_id,
    }


_COLUMNS = (
    "id",
    "seq",
    "store_id",
    "device_id",
    "channel",
    "language",
    "question_version",
    "score",
    "category",
    "reasons",
    "comment",
    "contact_consent",
    "contact_name",
    "contact_detail",
    "device_time",
    "time_to_answer_ms",
    "completion",
    "suspect",
    "suspect_reason",
    "content_hash",
    "received_at",
    "batch_id",
)


def insert_rows(s: Session, rows: list[dict[str, Any]]) -> None:
    """Insert checked rows with the driver's own executemany: SQLAlchemy's per-row parameter
    processing cost more than the insert itself."""
    conn = s.connection()
    names = ", ".join(_COLUMNS)
    if conn.dialect.name == "sqlite":
        sql = f"INSERT INTO responses ({names}) VALUES ({', '.join('?' * len(_COLUMNS))})"
        received = _sqlite_time(rows[0]["received_at"])
        for r in rows:
            r["device_time"] = _sqlite_time(r["device_time"])
            r["received_at"] = received
        params = [tuple(map(r.__getitem__, _COLUMNS)) for r in rows]
        conn.exec_driver_sql(sql, params)
        return
    # psycopg 3 pipelines executemany: far quicker than one INSERT with 11 000 parameters.
    sql = f"INSERT INTO responses ({names}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    conn.exec_driver_sql(sql, [tuple(map(r.__getitem__, _COLUMNS)) for r in rows])


def known_hashes(s: Session, ids: list[str]) -> dict[str, str]:
    """The stored content hash of each id HQ already has (plain driver SQL: this runs for
    every batch, and SQLAlchemy's expanding IN cost more than the lookup)."""
    conn = s.connection()
    known: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        if conn.dialect.name == "postgresql":
            result = conn.exec_driver_sql(
                "SELECT id, content_hash FROM responses WHERE id = ANY(%s)", (chunk,)
            )
        else:
            marks = ", ".join("?" * len(chunk))
            result = conn.exec_driver_sql(
                f"SELECT id, content_hash FROM responses WHERE id IN ({marks})", tuple(chunk)
            )
        known.update((r[0], r[1]) for r in result)
    return known


def _sqlite_time(value: datetime) -> str:
    # The exact text SQLAlchemy's SQLite DateTime writes (and compares against in WHERE).
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"


@dataclass
class _Checked:
    id: str
    response: ResponseV1 | None = None
    digest: str = ""
    reason: str | None = None


def check_batch(envelope: BatchEnvelope, *, device: DeviceAuth) -> list[_Checked]:
    """Field checks that need no database; Forbidden if the batch is not the device's own."""
    if envelope.device_id != device.device_id:
        raise Forbidden(
            f"This token belongs to device {device.device_id!r}, not "
            f"{envelope.device_id!r}; each device uploads its own batches."
        )
    checked = []
    for raw in envelope.responses:
        rid = raw.get("id")
        store = raw.get("store_id")
        if isinstance(store, str) and store != device.store_id:
            raise Forbidden(
                f"Device {device.device_id!r} belongs to store {device.store_id!r} "
                f"and cannot write responses of store {store!r}."
            )
        item = _Checked(id=rid if isinstance(rid, str) else "")
        try:
            response = ResponseV1.model_validate(raw)
        except ValidationError as exc:
            item.reason = f"invalid: {describe(exc)}"
        else:
            if response.device_id != device.device_id:
                item.reason = (
                    f"invalid: device_id {response.device_id!r} is not the sending "
                    f"device {device.device_id!r}"
                )
            else:
                item.response = response
                item.digest = content_hash(response)
        checked.append(item)
    return checked


def ingest(
    hq: Hq, envelope: BatchEnvelope, *, device: DeviceAuth, source: str = "http"
) -> BatchReplyV1:
    """Store a batch in one transaction; sending the same batch again changes nothing."""
    checked = check_batch(envelope, device=device)
    for attempt in range(_RETRIES):
        try:
            with hq.db.writing() as s:
                results = _store(s, envelope, checked, device=device, source=source)
                if _EXIT_AT:
                    s.flush()
                    _exit_here("before_commit")
            _exit_here("after_commit")
            break
        except IntegrityError:
            # Another batch stored one of these ids between our read and our insert: read again.
            if attempt == _RETRIES - 1:
                raise
            log.info("Batch %s raced another upload; retrying", envelope.batch_id)
    return BatchReplyV1(batch_id=envelope.batch_id, server_time=datetime.now(UTC), results=results)


def _store(
    s: Session, envelope: BatchEnvelope, checked: list[_Checked], *, device: DeviceAuth, source: str
) -> list[ResultV1]:
    now = utcnow()
    ids = [c.id for c in checked if c.response is not None]
    known = known_hashes(s, ids)
    rows: list[dict[str, Any]] = []
    results: list[ResultV1] = []
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for c in checked:
        if c.response is None:
            result = ResultV1(id=c.id, status="rejected", reason=c.reason)
        elif c.id in known:
            if known[c.id] == c.digest:
                result = _ACCEPTED(id=c.id, status="duplicate")
            else:
                result = ResultV1(
                    id=c.id,
                    status="rejected",
                    reason="conflict: HQ has a different response with this id",
                )
        else:
            known[c.id] = c.digest
            rows.append(
                response_values(
                    c.response, digest=c.digest, received_at=now, batch_id=envelope.batch_id
                )
            )
            result = _ACCEPTED(id=c.id, status="accepted")
        counts[result.status] += 1
        results.append(result)
    if rows:
        insert_rows(s, rows)
        # In this transaction: the responses and their alerts are committed together.
        alerts_for_responses(s, rows, now=now)
    if s.get(BatchRow, envelope.batch_id) is None:
        s.add(
            BatchRow(
                batch_id=envelope.batch_id,
                device_id=device.device_id,
                source=source,
                sent_at=naive_utc(envelope.sent_at),
                received_at=now,
                accepted=counts["accepted"],
                duplicates=counts["duplicate"],
                rejected=counts["rejected"],
            )
        )
    values: dict[str, Any] = {"last_sync_at": now, "last_device_time": naive_utc(envelope.sent_at)}
    if envelope.pending is not None:
        values["last_backlog"] = envelope.pending
    # A file carried on a USB stick may be older than the last upload: keep the newer state.
    s.execute(
        update(DeviceRow)
        .where(
            DeviceRow.device_id == device.device_id,
            (DeviceRow.last_device_time.is_(None))
            | (DeviceRow.last_device_time <= values["last_device_time"]),
        )
        .values(**values)
    )
    return results


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    batch_id: str | None
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportReport:
    files: tuple[FileOutcome, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.error]

    def total(self, what: str) -> int:
        return sum(getattr(f, what) for f in self.files)


def import_file(hq: Hq, path: Path) -> FileOutcome:
    """Verify one batch file's signature, then ingest it like an upload. A bad file imports
    nothing and says why."""
    try:
        file = read_batch_file(path)
        device_id = batch_file_device(file)
        secret = hq.secret_for_device(device_id)
        store = hq.device_store(device_id)
        if secret is None or store is None:
            raise ImportFailed(
                f"Device {device_id!r} is not enrolled here (or was revoked); "
                "nothing was imported from this file."
            )
        verify_batch_file(file, secret=secret)
        envelope = BatchEnvelope.model_validate(file.batch)
        reply = ingest(
            hq, envelope, device=DeviceAuth(device_id=device_id, store_id=store), source="file"
        )
    except (BatchFileError, ImportFailed, Forbidden) as exc:
        return FileOutcome(path=path, batch_id=None, error=str(exc))
    except ValidationError as exc:
        return FileOutcome(
            path=path,
            batch_id=None,
            error=f"The batch inside is not protocol v1 ({describe(exc)}).",
        )
    by = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for r in reply.results:
        by[r.status] += 1
    return FileOutcome(
        path=path,
        batch_id=reply.batch_id,
        accepted=by["accepted"],
        duplicates=by["duplicate"],
        rejected=by["rejected"],
        reasons=tuple(f"{r.id}: {r.reason}" for r in reply.results if r.status == "rejected"),
    )


def import_dir(hq: Hq, folder: Path) -> ImportReport:
    """Import every ``*.json`` batch file under ``folder`` (sorted; importing twice is safe)."""
    if not folder.is_dir():
        raise ImportFailed(f"{folder} is not a folder; pass the folder the kiosk exported to.")
    files = sorted(p for p in folder.rglob("*.json") if p.is_file())
    return ImportReport(files=tuple(import_file(hq, p) for p in files))
