"""Taking batches exactly once: each response accepted, duplicate or rejected, one transaction
per batch; and importing signed batch files carried from a store on a USB stick."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, NotRequired

from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typing_extensions import TypedDict

from core.errors import BatchFileError
from core.protocol import (
    MAX_BATCH,
    RESPONSE_FIELDS,
    BatchEnvelope,
    BatchReplyV1,
    ResponseV1,
    batch_file_device,
    content_hash,
    describe,
    printable,
    read_batch_file,
    verify_batch_file,
)
from hq.alerts import HEALTH_KINDS, RESPONSE_KINDS, alerts_for_health, alerts_for_responses
from hq.cases import take_from_device
from hq.db import naive_utc, rows_by_ids, utcnow
from hq.device_clock import SKEW, DeviceClock, corrected, measured_offset
from hq.errors import Forbidden, ImportFailed
from hq.models import DeviceRow, ResponseRow
from hq.privacy import SCRUBBED_HASH, erase_from_device, wipe
from hq.rollups import Answer, add_responses, answer_of
from hq.service import DeviceAuth, Hq

log = logging.getLogger(__name__)
_RETRIES = 3
# How far ahead of HQ's clock a batch's sent_at may be (clock skew) before HQ distrusts it.
CLOCK_ALLOWANCE = SKEW
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
    """The row HQ stores for a checked response whose time needs no correction (a phone
    answer: HQ's own clock)."""
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
        "survey_version": response.survey_version,
        "consent_text": response.consent_text,
        "content_hash": digest,
        "received_at": received_at,
        "batch_id": batch_id,
        "corrected_time": naive_utc(response.device_time),
        "clock_corrected": False,
    }


_COLUMNS = (
    *RESPONSE_FIELDS,
    "content_hash",
    "received_at",
    "batch_id",
    "corrected_time",
    "clock_corrected",
)


_to_json = ResponseV1.__pydantic_serializer__.to_json
_sha256 = hashlib.sha256


_V1_FIELDS = {"survey_version", "consent_text"}  # core.protocol.V2_RESPONSE_FIELDS
_NO_VERSION = {"survey_version"}
_NO_CONSENT_TEXT = {"consent_text"}


def _serialized_digest(response: ResponseV1) -> str:
    """:func:`core.protocol.content_hash` without model_dump_json's Python wrapper: the same
    serializer, so the same bytes (checked below), in 40% less time per response."""
    if response.consent_text is None:
        if response.survey_version is None:
            return _sha256(_to_json(response, exclude=_V1_FIELDS)).hexdigest()
        return _sha256(_to_json(response, exclude=_NO_CONSENT_TEXT)).hexdigest()
    if response.survey_version is None:
        return _sha256(_to_json(response, exclude=_NO_VERSION)).hexdigest()
    return _sha256(_to_json(response)).hexdigest()


_SAMPLE = ResponseV1(
    id="01900000-0000-7000-8000-000000000000",
    seq=1,
    store_id="s",
    device_id="d",
    channel="kiosk",
    language="en",
    question_version=1,
    score=3,
    category="detractor",
    reasons=["wait_time"],
    comment='caf\u00e9 "q" \\ </p>',
    device_time=datetime(2026, 1, 1, 5, 30, 0, 123456, tzinfo=UTC),
    completion="done",
)
_SAMPLE_V2 = _SAMPLE.model_copy(update={"survey_version": 7})
_SAMPLE_CONSENT = _SAMPLE.model_copy(
    update={"contact_consent": True, "consent_text": "May we call you?"}
)
_SAMPLE_BOTH = _SAMPLE_CONSENT.model_copy(update={"survey_version": 7})
# Should content_hash ever hash other bytes, use it as it is.
_digest = (
    _serialized_digest
    if all(
        _serialized_digest(sample) == content_hash(sample)
        for sample in (_SAMPLE, _SAMPLE_V2, _SAMPLE_CONSENT, _SAMPLE_BOTH)
    )
    else content_hash
)


def _reasons_text(reasons: list[str]) -> str:
    # json.dumps(reasons) without the encoder: reason keys are [a-z0-9_] (nothing to escape).
    return '["' + '", "'.join(reasons) + '"]' if reasons else "[]"


def naive_device_time(r: ResponseV1) -> datetime:
    device_time = r.device_time  # in UTC (ResponseV1 converts it)
    return device_time.replace(tzinfo=None) if device_time.tzinfo is UTC else naive_utc(device_time)


def _row(
    response: ResponseV1,
    digest: str,
    received_at: Any,
    batch_id: str | None,
    *,
    sqlite: bool,
    device_time: datetime,
    corrected_time: datetime,
    clock_corrected: bool,
) -> tuple[Any, ...]:
    """The row of a checked response as a tuple in _COLUMNS order (times as SQLite text on
    SQLite); ``device_time`` is :func:`naive_device_time`, ``corrected_time`` from
    hq.device_clock."""
    r = response
    return (
        r.id,
        r.seq,
        r.store_id,
        r.device_id,
        r.channel,
        r.language,
        r.question_version,
        r.score,
        r.category,
        _reasons_text(r.reasons),
        r.comment,
        r.contact_consent,
        r.contact_name,
        r.contact_detail,
        _sqlite_time(device_time) if sqlite else device_time,
        r.time_to_answer_ms,
        r.completion,
        r.suspect,
        r.suspect_reason,
        r.survey_version,
        r.consent_text,
        digest,
        received_at,
        batch_id,
        _sqlite_time(corrected_time) if sqlite else corrected_time,
        clock_corrected,
    )


_NAMES = ", ".join(_COLUMNS)
_SQLITE_INSERT = f"INSERT INTO responses ({_NAMES}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_PG_COPY = f"COPY responses ({_NAMES}) FROM STDIN (FORMAT BINARY)"


def insert_rows(s: Session, rows: list[tuple[Any, ...]]) -> None:
    """Insert checked rows (tuples from :func:`_row`) with the driver itself: SQLAlchemy's
    per-row parameter processing cost more than the insert. SQLite: one executemany;
    PostgreSQL: COPY FROM STDIN, several times quicker than a (pipelined) executemany."""
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_SQLITE_INSERT, rows)
        return
    _copy_rows(conn, rows)


@cache
def _copy_types(dialect: Dialect) -> list[str]:
    """The PostgreSQL type of each of _COLUMNS, from the model ("varchar", "bigint", ...): a
    binary COPY must name them, and formats rows three times faster than a text one."""
    from hq.models import ResponseRow

    columns = ResponseRow.__table__.columns
    return [columns[c].type.compile(dialect=dialect).split("(")[0].lower() for c in _COLUMNS]


def _copy_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    import psycopg

    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cur, cur.copy(_PG_COPY) as copy:
            copy.set_types(_copy_types(conn.dialect))
            for row in rows:
                copy.write_row(row)
    except psycopg.IntegrityError as exc:
        # As the executemany would have said it (ingest retries on a race for an id).
        raise IntegrityError(_PG_COPY, None, exc) from exc


def known_hashes(s: Session, ids: list[str]) -> dict[str, str]:
    """The stored content hash of each id HQ already has."""
    sql = "SELECT id, content_hash FROM responses WHERE id IN {ids}"
    return {r[0]: r[1] for r in rows_by_ids(s.connection(), sql, ids)}


# Known ids with their hash, and tombstones (hash NULL) of ids HQ never had, in one round trip.
_KNOWN_OR_ERASED = (
    "SELECT id, content_hash FROM responses WHERE id IN {ids} UNION ALL "
    "SELECT response_id, NULL FROM erasures WHERE response_id IN {ids}"
)


def _known_or_erased(s: Session, ids: list[str]) -> tuple[dict[str, str], set[str]]:
    """:func:`known_hashes` of ``ids``, and which of them have a tombstone (a response a kiosk
    or HQ erased; a known one keeps its row, scrubbed)."""
    known: dict[str, str] = {}
    erased: set[str] = set()
    for rid, digest in rows_by_ids(s.connection(), _KNOWN_OR_ERASED, ids):
        if digest is None:
            erased.add(rid)
        else:
            known[rid] = digest
    return known, erased


def _sqlite_time(value: datetime) -> str:
    # The exact text SQLAlchemy's SQLite DateTime writes (and compares against in WHERE):
    # "%Y-%m-%d %H:%M:%S.%f" of a naive UTC time.
    return value.isoformat(" ", "microseconds")


class _CheckedBatch(BatchEnvelope):
    """A batch whose every response is valid, checked in one pass over the JSON bytes (the
    common case). Any invalid response and :func:`read_batch` reads it as a BatchEnvelope,
    which checks them one by one."""

    responses: list[ResponseV1] = Field(max_length=MAX_BATCH)  # type: ignore[assignment]  # narrows the item type


def read_batch(body: bytes) -> BatchEnvelope:
    """The batch in an upload's body; ValidationError (a 422) if it is not a v1 batch. The
    same answer as ``BatchEnvelope.model_validate_json``, with responses often already
    checked (pydantic's JSON mode and Python mode agree on every field type of ResponseV1)."""
    try:
        return _CheckedBatch.model_validate_json(body)
    except ValidationError:
        return BatchEnvelope.model_validate_json(body)


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
        if isinstance(raw, ResponseV1):  # read_batch checked it already
            response: ResponseV1 | None = raw
            rid: Any = raw.id
            store: Any = raw.store_id
        else:
            response = None
            rid = raw.get("id")
            store = raw.get("store_id")
        if isinstance(store, str) and store != device.store_id:
            raise Forbidden(
                f"Device {device.device_id!r} belongs to store {device.store_id!r} "
                f"and cannot write responses of store {printable(store)!r}."
            )
        item = _Checked(id=printable(rid) if isinstance(rid, str) else "")
        if response is None:
            try:
                response = ResponseV1.model_validate(raw)
            except ValidationError as exc:
                item.reason = f"invalid: {describe(exc)}"
        if response is not None:
            if response.device_id != device.device_id:
                item.reason = (
                    f"invalid: device_id {response.device_id!r} is not the sending "
                    f"device {device.device_id!r}"
                )
            else:
                item.response = response
                item.digest = _digest(response)
        checked.append(item)
    return checked


class _Result(TypedDict):
    id: str
    status: str
    reason: str | None


class _Reply(TypedDict):
    """BatchReplyV1's fields in its order: its JSON, without making 500 ResultV1 models."""

    batch_id: str
    server_time: datetime
    results: list[_Result]
    profile_version: int | None
    erased: NotRequired[list[str]]  # only when the batch sent erasures (protocol v2)
    clock_offset_s: NotRequired[float]  # protocol v2 uploads: the device's clock offset
    cases_taken: NotRequired[list[str]]  # only when the batch sent cases (protocol v2)


_REPLY = TypeAdapter(_Reply)


def ingest(
    hq: Hq, envelope: BatchEnvelope, *, device: DeviceAuth, source: str = "http"
) -> BatchReplyV1:
    """Store a batch in one transaction; sending the same batch again changes nothing."""
    reply, _alerts = _ingest(hq, envelope, device=device, source=source)
    return BatchReplyV1.model_validate(reply)


def ingest_json(hq: Hq, envelope: BatchEnvelope, *, device: DeviceAuth) -> tuple[bytes, int]:
    """:func:`ingest` for an upload: the reply's JSON (the bytes of
    ``BatchReplyV1.model_dump_json()``) and how many alerts the batch made."""
    reply, alerts = _ingest(hq, envelope, device=device, source="http")
    return _REPLY.dump_json(reply), alerts


def _ingest(
    hq: Hq, envelope: BatchEnvelope, *, device: DeviceAuth, source: str
) -> tuple[_Reply, int]:
    checked = check_batch(envelope, device=device)

    def work(
        s: Session,
    ) -> tuple[list[_Result], int, float | None, list[str] | None, list[str] | None, int | None]:
        results, alerts, offset_s, profile_version = _store(
            s, envelope, checked, device=device, source=source
        )
        erased: list[str] | None = None
        taken: list[str] | None = None
        if envelope.erasures is not None:
            # After the responses: a batch carrying an answer and its erasure (the kiosk
            # forgot the customer before it synced) ends scrubbed.
            erased = erase_from_device(
                s,
                list(envelope.erasures),
                device_id=device.device_id,
                store_id=device.store_id,
                now=utcnow(),
            )
        if envelope.cases is not None:
            # After the responses and erasures: a case whose answer is in this batch is
            # taken, and an erased one keeps no note.
            taken = take_from_device(
                s,
                envelope.cases,
                device_id=device.device_id,
                store_id=device.store_id,
                now=utcnow(),
            )
        if _EXIT_AT:
            s.flush()
            _exit_here("before_commit")
        return results, alerts, offset_s, erased, taken, profile_version

    for attempt in range(_RETRIES):
        try:
            # One transaction for the batch's results, alerts and device row: on SQLite it may
            # be committed together with other devices' batches that queued meanwhile
            # (hq.db.GroupWriter), each in a savepoint of its own; the reply waits for the commit.
            results, alerts, offset_s, erased, taken, profile_version = hq.db.grouped(
                work, weight=len(checked) + 1
            )
            _exit_here("after_commit")
            break
        except IntegrityError:
            # Another batch stored one of these ids between our read and our insert: read again.
            if attempt == _RETRIES - 1:
                raise
            log.info("Batch %s raced another upload; retrying", envelope.batch_id)
    reply: _Reply = {
        "batch_id": envelope.batch_id,
        "server_time": datetime.now(UTC),
        "results": results,
        "profile_version": profile_version,
    }
    if offset_s is not None and envelope.protocol == "v2":
        reply["clock_offset_s"] = offset_s
    if taken is not None:
        reply["cases_taken"] = taken
    if erased is not None:
        reply["erased"] = erased
        wipe(hq)  # the scrubbed values leave the files (hq.privacy)
    return reply, alerts


_CONFLICT = "conflict: HQ has a different response with this id"
_RULES_WATCHING = (
    "SELECT 1 FROM alert_rules WHERE disabled_at IS NULL AND kind IN ("
    + ", ".join(f"'{k}'" for k in RESPONSE_KINDS)
    + ")"
)
_HEALTH_RULES = (
    "SELECT 1 FROM alert_rules WHERE disabled_at IS NULL AND kind IN ("
    + ", ".join(f"'{k}'" for k in HEALTH_KINDS)
    + ")"
)


def _first_read(
    conn: Connection, device_id: str, store_id: str, mark: str
) -> tuple[DeviceClock, int, bool, bool]:
    """What a batch reads before it writes, in one round trip: the device's clock as last
    measured, the store's profile version, and whether any response rule and any health rule
    is on (a statement each cost PostgreSQL a round trip per batch)."""
    row = conn.exec_driver_sql(
        "SELECT d.last_sent_at, d.clock_offset_s, d.newest_answer_at, "
        f"(SELECT version FROM store_profile_versions WHERE store_id = {mark}), "
        f"EXISTS ({_RULES_WATCHING}), EXISTS ({_HEALTH_RULES}) "
        f"FROM (SELECT 1 AS one) AS one LEFT JOIN devices AS d ON d.device_id = {mark}",
        (store_id, device_id),
    ).one()
    sent, newest = (
        datetime.fromisoformat(v) if isinstance(v, str) else v for v in (row[0], row[2])
    )
    offset = None if row[1] is None else float(row[1])
    clock = DeviceClock(last_sent_at=sent, offset_s=offset, newest_answer_at=newest)
    version = int(row[3]) if row[3] is not None else 1
    return clock, version, bool(row[4]), bool(row[5])


def _store(
    s: Session, envelope: BatchEnvelope, checked: list[_Checked], *, device: DeviceAuth, source: str
) -> tuple[list[_Result], int, float | None, int]:
    """Store the batch; returns the results, the alerts made, the device's clock offset as
    measured by this upload (None for a batch file: its receive time measures nothing) and the
    store's profile version."""
    conn = s.connection()
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    now = utcnow()
    at: Any = _sqlite_time(now) if sqlite else now  # times go to the driver as they are stored
    raw_sent = naive_utc(envelope.sent_at)
    offset_s = measured_offset(raw_sent, now) if source == "http" else None
    before, profile_version, watching, health_rules = _first_read(
        conn, device.device_id, device.store_id, mark
    )
    newest: datetime | None = None
    ids = [c.id for c in checked if c.response is not None]
    known, tombstones = _known_or_erased(s, ids)
    rows: list[tuple[Any, ...]] = []
    answers: list[Answer] = []
    results: list[_Result] = []
    accepted = duplicates = rejected = 0
    batch_id = envelope.batch_id
    for c in checked:
        if c.response is None:
            results.append({"id": c.id, "status": "rejected", "reason": c.reason})
            rejected += 1
        elif c.id in known:
            # An erased or purged response keeps no hash of its old content: any resend of
            # its id is a duplicate, and the scrub stays.
            if known[c.id] == c.digest or known[c.id] == SCRUBBED_HASH:
                results.append({"id": c.id, "status": "duplicate", "reason": None})
                duplicates += 1
            else:
                results.append({"id": c.id, "status": "rejected", "reason": _CONFLICT})
                rejected += 1
        else:
            known[c.id] = c.digest
            device_time = naive_device_time(c.response)
            fixed, flagged = corrected(device_time, offset_s=offset_s, before=before)
            rows.append(
                _row(
                    c.response,
                    c.digest,
                    at,
                    batch_id,
                    sqlite=sqlite,
                    device_time=device_time,
                    corrected_time=fixed,
                    clock_corrected=flagged,
                )
            )
            answers.append(answer_of(c.response, at=fixed))
            newest = fixed if newest is None or fixed > newest else newest
            results.append({"id": c.id, "status": "accepted", "reason": None})
            accepted += 1
    alerts = 0
    if rows:
        rows, erased = _honour_tombstones(rows, tombstones)
        insert_rows(s, rows)
        if erased:
            s.execute(update(ResponseRow).where(ResponseRow.id.in_(erased)).values(scrubbed_at=now))
        add_responses(conn, answers)  # the rollups, in this transaction
        # In this transaction: the responses and their alerts are committed together. The
        # alerts helper reads the rules itself; this cheaper look first skips it (and the
        # rows as dicts) when no rule watches responses.
        if watching:
            alerts = alerts_for_responses(
                s, [dict(zip(_COLUMNS, r, strict=True)) for r in rows], now=now
            )
    sent = sent_time(envelope, device=device, now=now)
    sent_at: Any = _sqlite_time(sent) if sqlite else sent
    # A resend finds the batch's row and leaves it as first received. (Written with the
    # device's UPDATE below: on PostgreSQL in the same statement, one round trip.)
    batch_sql = (
        "INSERT INTO batches (batch_id, device_id, source, sent_at, received_at, accepted, "
        f"duplicates, rejected) VALUES ({', '.join([mark] * 8)}) "
        "ON CONFLICT (batch_id) DO NOTHING"
    )
    batch_params = (batch_id, device.device_id, source, sent_at, at, accepted, duplicates, rejected)
    # "Last sync" is when HQ received something from the device (HQ's clock, so a device
    # clock far ahead cannot freeze it). A file carried on a USB stick may be older than the
    # last upload: its device time and backlog apply only if they are the newer state.
    newer = f"(last_device_time IS NULL OR last_device_time <= {mark})"
    sets = f"last_sync_at = {mark}, last_device_time = CASE WHEN {newer} THEN {mark} "
    sets += "ELSE last_device_time END"
    params: tuple[Any, ...] = (at, sent_at, sent_at)
    if envelope.pending is not None:
        sets += f", last_backlog = CASE WHEN {newer} THEN {mark} ELSE last_backlog END"
        params += (sent_at, envelope.pending)
    previous: tuple[Any, ...] | None = None
    if envelope.health is not None and health_rules:
        # A health rule is on: the report this one replaces, to alert on a change (hq.alerts).
        previous = tuple(
            s.execute(
                select(DeviceRow.health, DeviceRow.last_device_time).where(
                    DeviceRow.device_id == device.device_id
                )
            ).one()
        )
    if envelope.health is not None:
        # Protocol v2: the device's health, in the same statement (no extra round trip). A
        # batch file older than the last upload does not replace a newer report.
        health = envelope.health.model_dump_json(exclude_none=True)
        sets += (
            f", health = CASE WHEN {newer} THEN {mark} ELSE health END"
            f", health_at = CASE WHEN {newer} THEN {mark} ELSE health_at END"
            f", profile_version = CASE WHEN {newer} THEN {mark} ELSE profile_version END"
        )
        params += (sent_at, health, sent_at, at, sent_at, envelope.health.profile_version)
    if offset_s is not None:  # the clock as this upload measured it (hq.device_clock)
        sets += f", last_sent_at = {mark}, clock_offset_s = {mark}"
        params += (_sqlite_time(raw_sent) if sqlite else raw_sent, offset_s)
    if newest is not None:
        newest_at: Any = _sqlite_time(newest) if sqlite else newest
        sets += (
            f", newest_answer_at = CASE WHEN newest_answer_at IS NULL OR newest_answer_at < "
            f"{mark} THEN {mark} ELSE newest_answer_at END"
        )
        params += (newest_at, newest_at)
    update_sql = f"UPDATE devices SET {sets} WHERE device_id = {mark}"
    if sqlite:
        conn.exec_driver_sql(batch_sql, batch_params)
        conn.exec_driver_sql(update_sql, (*params, device.device_id))
    else:
        conn.exec_driver_sql(
            f"WITH batch AS ({batch_sql}) {update_sql}",
            (*batch_params, *params, device.device_id),
        )
    if previous is not None and envelope.health is not None:
        before, before_time = previous
        if before_time is None or before_time <= sent:  # this report is now the device's
            alerts += alerts_for_health(
                s,
                device_id=device.device_id,
                store_id=device.store_id,
                health=json.loads(health),
                previous=json.loads(before) if before else None,
                reported_at=sent,
                now=now,
            )
    return results, alerts, offset_s, profile_version


_I_ID, _I_COMMENT, _I_NAME, _I_DETAIL, _I_HASH = (
    _COLUMNS.index(c) for c in ("id", "comment", "contact_name", "contact_detail", "content_hash")
)


def _honour_tombstones(
    rows: list[tuple[Any, ...]], tombstones: set[str]
) -> tuple[list[tuple[Any, ...]], list[str]]:
    """New rows that a kiosk or HQ erased before HQ had them (``tombstones``) arrive scrubbed:
    those with a comment or contact details."""
    if not tombstones:
        return rows, []
    erased = {
        r[_I_ID]
        for r in rows
        if r[_I_ID] in tombstones and (r[_I_COMMENT] or r[_I_NAME] or r[_I_DETAIL])
    }
    if not erased:
        return rows, []
    out = []
    for r in rows:
        if r[_I_ID] in erased:
            cells = list(r)
            cells[_I_COMMENT] = cells[_I_NAME] = cells[_I_DETAIL] = None
            cells[_I_HASH] = SCRUBBED_HASH
            r = tuple(cells)
        out.append(r)
    return out, sorted(erased)


def sent_time(envelope: BatchEnvelope, *, device: DeviceAuth, now: datetime) -> datetime:
    """The batch's ``sent_at`` (naive UTC) as HQ stores it: a time more than
    :data:`CLOCK_ALLOWANCE` after HQ's own clock is a device clock that is wrong, so HQ keeps
    its receive time instead and logs the claimed one."""
    sent = naive_utc(envelope.sent_at)
    if sent > now + CLOCK_ALLOWANCE:
        log.warning(
            "Batch %s from device %s says it was sent at %s, ahead of HQ's clock (%s): "
            "stored with HQ's receive time; set the device's clock.",
            envelope.batch_id,
            device.device_id,
            sent.isoformat(),
            now.isoformat(),
        )
        return now
    return sent


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    batch_id: str | None
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str | None = None
    reasons: tuple[str, ...] = ()
    erased: int = 0  # the file's erasures HQ applied (protocol v2 files)


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
            error=f"The batch inside is not protocol v1 or v2 ({describe(exc)}).",
        )
    except (ValueError, OSError) as exc:
        return FileOutcome(
            path=path,
            batch_id=None,
            error=f"The file cannot be read as a batch ({exc}); export it again on the kiosk.",
        )
    except Exception:  # one odd file must not stop the others; the log has the trace
        log.exception("Importing %s failed unexpectedly", path)
        return FileOutcome(
            path=path,
            batch_id=None,
            error="HQ hit an unexpected error on this file (see HQ's log); the other files "
            "were still imported. Export it again on the kiosk, then import it again.",
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
        erased=len(reply.erased or ()),
    )


def import_dir(hq: Hq, folder: Path) -> ImportReport:
    """Import every ``*.json`` batch file under ``folder`` (sorted; importing twice is safe)."""
    if not folder.is_dir():
        raise ImportFailed(f"{folder} is not a folder; pass the folder the kiosk exported to.")
    files = sorted(p for p in folder.rglob("*.json") if p.is_file())
    return ImportReport(files=tuple(import_file(hq, p) for p in files))
