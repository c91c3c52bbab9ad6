"""A person's data at HQ: find it, export it, erase it; and the retention purge.

What HQ holds about a customer who asked to be called back: the response's ``contact_name``,
``contact_detail`` and ``comment``; the alert payloads made from it (``alerts.payload``,
``alerts.summary``) and the outbox messages that carry it (``deliveries.body``, digests
included, and the delivery log's ``delivery_attempts.detail``). docs/privacy.md is the
operator's account of all this.

- :func:`find` looks a person up by phone number or e-mail (exact match after normalising
  spaces and case; a phone number also loses ``- ( ) .``) across every store, or by response
  id, and lists what is held.
- :func:`erase` scrubs it: the response keeps its score, reasons, store, times and the *fact*
  that the customer agreed to be contacted (``contact_consent``: needed for follow-up rates and
  not personal once the details are gone); name, detail and comment become NULL; every alert
  payload and outbox message holding them has the values replaced by ``[erased]`` (rows kept,
  so the delivery log still adds up); a tombstone per response (:class:`hq.models.ErasureRow`:
  when, by whom, which store, which response; no personal data) is also the queue the store's
  kiosks pull (GET /api/v1/erasures). The response's content hash becomes
  :data:`SCRUBBED_HASH`: a kiosk resending the original answers ``duplicate`` and the scrub
  stays (no hash of the erased values is kept, which a guessed phone number could be checked
  against).
- :func:`purge` applies the chain's :class:`hq.service.RetentionPolicy` daily.
- After each, :func:`wipe` makes the old bytes leave the database files: SQLite runs with
  ``secure_delete`` (hq.db) and the WAL is checkpointed and truncated; PostgreSQL gets a
  ``VACUUM`` of the tables at once (dead row versions gone, free space reusable) and a
  ``VACUUM FULL`` (the tables rewritten: the bytes leave the table files) at the next daily
  purge run, or at once with ``compact=True``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hq.audit import record_in
from hq.cases import held_cases, resolved_before, scrub_notes
from hq.db import rows_by_ids, utcnow
from hq.errors import HqError, NotFound
from hq.models import (
    AlertRow,
    AuditRow,
    DeliveryAttemptRow,
    DeliveryRow,
    ErasureRow,
    ResponseRow,
    StoreRow,
    SurveyRow,
)
from hq.service import Hq, RetentionPolicy

log = logging.getLogger(__name__)

ERASED = "[erased]"
SCRUBBED_HASH = "scrubbed"  # never a SHA-256 hex digest, so never a real content's hash
EXPORT_FORMAT = "nps-hq-subject-export"
# The tables an erasure or purge writes personal data out of (in this order).
TABLES = ("responses", "alerts", "deliveries", "delivery_attempts")
PURGE_EVERY = timedelta(hours=23)  # the daily purge: due this long after the last one
_CHUNK = 500
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PHONE_PUNCT = re.compile(r"[\s\-().]")

Kind = Literal["phone", "email", "response"]


class PrivacyError(HqError):
    """A search that cannot be answered as asked (what to type instead); HTTP 400."""


# Finding a person -------------------------------------------------------------------------


def normalise(kind: Kind, value: str) -> str:
    """The form contact details are compared in: no spaces, lower case; a phone number also
    without ``- ( ) .``."""
    text = "".join(value.split()).lower()
    return _PHONE_PUNCT.sub("", text) if kind == "phone" else text


@dataclass(frozen=True)
class PersonQuery:
    """Who to look for: ``phone``, ``email`` (exact after :func:`normalise`) or ``response``
    (one response id)."""

    kind: Kind
    value: str

    @classmethod
    def parse(cls, kind: str, value: str) -> PersonQuery:
        value = (value or "").strip()
        if kind == "phone":
            digits = sum(c.isdigit() for c in value)
            norm = normalise("phone", value)
            if digits < 6 or not re.fullmatch(r"\+?\d+", norm):
                raise PrivacyError(
                    "A phone number has at least 6 digits (spaces, - ( ) . and a leading + "
                    "are allowed)."
                )
            return cls("phone", value)
        if kind == "email":
            if "@" not in value or len(value) > 320:
                raise PrivacyError("An e-mail address has an @ (e.g. asha@example.com).")
            return cls("email", value)
        if kind == "response":
            low = value.lower()
            if not _UUID.match(low):
                raise PrivacyError("A response id is a UUID, e.g. 01900000-0000-7000-8000-...")
            return cls("response", low)
        raise PrivacyError("Search by phone, email or response id.")

    @classmethod
    def from_fields(cls, *, phone: str = "", email: str = "", response: str = "") -> PersonQuery:
        given = [(k, v) for k, v in (("phone", phone), ("email", email), ("response", response))]
        given = [(k, v) for k, v in given if v and v.strip()]
        if len(given) != 1:
            raise PrivacyError("Give one of: a phone number, an e-mail address or a response id.")
        return cls.parse(*given[0])

    @property
    def label(self) -> str:
        """What the search was, for a page; never for the audit log."""
        return {"phone": "phone", "email": "e-mail", "response": "response"}[self.kind]


@dataclass(frozen=True)
class HeldResponse:
    id: str
    store_id: str
    store_name: str
    device_id: str
    channel: str
    device_time: datetime
    received_at: datetime
    score: int
    category: str
    reasons: list[str]
    comment: str | None
    contact_consent: bool
    contact_name: str | None
    contact_detail: str | None
    scrubbed_at: datetime | None
    erased: bool  # a tombstone exists
    language: str = "en"
    survey_version: int | None = None
    # The wording the customer agreed to (with contact_consent; :func:`agreed_to`), and where
    # it comes from: "kiosk" (the text the kiosk showed, sent with the answer), "survey" (the
    # published survey version's consent in the answer's language), "" (not recorded: an
    # answer from a kiosk before protocol v2 sent it).
    agreed_to: str | None = None
    agreed_to_source: str = ""


@dataclass(frozen=True)
class HeldAlert:
    id: str
    kind: str
    store_id: str | None
    response_id: str | None
    created_at: datetime
    summary: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class HeldDelivery:
    id: str
    alert_id: str | None
    kind: str
    channel: str
    target: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    body: dict[str, Any]
    attempts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Held:
    """What HQ holds about one person."""

    query: PersonQuery
    responses: list[HeldResponse]
    alerts: list[HeldAlert]
    deliveries: list[HeldDelivery]
    cases: list[dict[str, Any]] = field(default_factory=list)  # hq.cases.held_cases

    @property
    def response_ids(self) -> list[str]:
        return [r.id for r in self.responses]

    @property
    def personal(self) -> list[HeldResponse]:
        """The responses that still hold contact details or a comment."""
        return [r for r in self.responses if r.contact_name or r.contact_detail or r.comment]


def _matching_ids(s: Session, query: PersonQuery) -> list[str]:
    if query.kind == "response":
        return list(s.scalars(select(ResponseRow.id).where(ResponseRow.id == query.value)))
    want = normalise(query.kind, query.value)
    found: list[str] = []
    # Contact details are free text typed on the kiosk: read them and compare normalised (a
    # chain holds thousands, not millions: only detractors who asked to be called back).
    stmt = (
        select(ResponseRow.id, ResponseRow.contact_detail)
        .where(ResponseRow.contact_detail.is_not(None))
        .execution_options(yield_per=5000)
    )
    for rid, detail in s.execute(stmt):
        if detail and normalise(query.kind, detail) == want:
            found.append(rid)
    # A phone answer (channel qr) has no contact fields; a customer may have written their
    # number or address into the comment.
    raw = query.value.strip()
    for needle in {raw, want}:
        found.extend(
            s.scalars(
                select(ResponseRow.id).where(
                    ResponseRow.comment.is_not(None),
                    ResponseRow.comment.ilike(f"%{_like(needle)}%", escape="\\"),
                )
            )
        )
    return sorted(set(found))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {"unreadable": True}
    return value if isinstance(value, dict) else {"value": value}


def _held(s: Session, query: PersonQuery, ids: list[str]) -> Held:
    responses: list[HeldResponse] = []
    alerts: list[HeldAlert] = []
    deliveries: list[HeldDelivery] = []
    details = set()
    surveys: dict[int, dict[str, Any]] = {}  # survey version -> language -> consent
    for chunk in _chunks(ids):
        erased = set(
            s.scalars(select(ErasureRow.response_id).where(ErasureRow.response_id.in_(chunk)))
        )
        for r, name in s.execute(
            select(ResponseRow, StoreRow.name)
            .outerjoin(StoreRow, StoreRow.store_id == ResponseRow.store_id)
            .where(ResponseRow.id.in_(chunk))
        ):
            if r.contact_detail:
                details.add(r.contact_detail)
            wording, source = agreed_to(s, r, surveys)
            responses.append(
                HeldResponse(
                    id=r.id,
                    store_id=r.store_id,
                    store_name=name or r.store_id,
                    device_id=r.device_id,
                    channel=r.channel,
                    device_time=r.device_time,
                    received_at=r.received_at,
                    score=r.score,
                    category=r.category,
                    reasons=json.loads(r.reasons or "[]"),
                    comment=r.comment,
                    contact_consent=bool(r.contact_consent),
                    contact_name=r.contact_name,
                    contact_detail=r.contact_detail,
                    scrubbed_at=r.scrubbed_at,
                    erased=r.id in erased,
                    language=r.language,
                    survey_version=r.survey_version,
                    agreed_to=wording,
                    agreed_to_source=source,
                )
            )
    alert_ids, delivery_ids = _linked(s, ids, details)
    for chunk in _chunks(sorted(alert_ids)):
        for a in s.scalars(select(AlertRow).where(AlertRow.id.in_(chunk))):
            alerts.append(
                HeldAlert(
                    id=a.id,
                    kind=a.kind,
                    store_id=a.store_id,
                    response_id=a.response_id,
                    created_at=a.created_at,
                    summary=a.summary,
                    payload=_loads(a.payload),
                )
            )
    for chunk in _chunks(sorted(delivery_ids)):
        tries: dict[str, list[dict[str, Any]]] = {}
        for t in s.scalars(
            select(DeliveryAttemptRow)
            .where(DeliveryAttemptRow.delivery_id.in_(chunk))
            .order_by(DeliveryAttemptRow.id)
        ):
            tries.setdefault(t.delivery_id, []).append(
                {"at": _iso(t.at), "ok": t.ok, "detail": t.detail, "duration_ms": t.duration_ms}
            )
        for d in s.scalars(select(DeliveryRow).where(DeliveryRow.id.in_(chunk))):
            deliveries.append(
                HeldDelivery(
                    id=d.id,
                    alert_id=d.alert_id,
                    kind=d.kind,
                    channel=d.channel,
                    target=d.target,
                    status=d.status,
                    created_at=d.created_at,
                    sent_at=d.sent_at,
                    body=_loads(d.body),
                    attempts=tries.get(d.id, []),
                )
            )
    responses.sort(key=lambda r: (r.device_time, r.id))
    alerts.sort(key=lambda a: (a.created_at, a.id))
    deliveries.sort(key=lambda d: (d.created_at, d.id))
    return Held(
        query=query,
        responses=responses,
        alerts=alerts,
        deliveries=deliveries,
        cases=held_cases(s, ids),
    )


def agreed_to(
    s: Session, row: ResponseRow, surveys: dict[int, dict[str, Any]]
) -> tuple[str | None, str]:
    """The consent wording the customer of ``row`` agreed to, and where it comes from (see
    :class:`HeldResponse`): the text the kiosk showed when it sent one (protocol v2; also
    right for a kiosk not managed by HQ or a locally edited text), else the published survey
    version's consent in the answer's language (its first language if it lacks that one),
    else (None, "") — a v1 answer whose wording was not recorded. ``surveys`` caches the
    survey versions' texts by id. (None, "") without consent."""
    if not row.contact_consent:
        return None, ""
    if row.consent_text:
        return row.consent_text, "kiosk"
    if row.survey_version is None:
        return None, ""
    texts = surveys.get(row.survey_version)
    if texts is None:
        survey = s.get(SurveyRow, row.survey_version)
        texts = {}
        if survey is not None:
            by_language = _loads(survey.texts)
            languages = json.loads(survey.languages or "[]")
            texts = {
                lang: t.get("consent") for lang, t in by_language.items() if isinstance(t, dict)
            }
            if languages:
                texts["_first"] = texts.get(languages[0])
        surveys[row.survey_version] = texts
    consent = texts.get(row.language) or texts.get("_first")
    return (str(consent), "survey") if consent else (None, "")


def _linked(s: Session, ids: list[str], details: Iterable[str]) -> tuple[set[str], set[str]]:
    """The alerts made from these responses, and the outbox rows that carry them: each alert's
    own messages, the digests those went into, and any message whose body quotes one of
    ``details`` (a phone number or address) outright."""
    alert_ids: set[str] = set()
    for chunk in _chunks(ids):
        alert_ids.update(s.scalars(select(AlertRow.id).where(AlertRow.response_id.in_(chunk))))
    delivery_ids: set[str] = set()
    digests: set[str] = set()
    for chunk in _chunks(sorted(alert_ids)):
        for did, digest in s.execute(
            select(DeliveryRow.id, DeliveryRow.digest_id).where(DeliveryRow.alert_id.in_(chunk))
        ):
            delivery_ids.add(did)
            if digest:
                digests.add(digest)
    delivery_ids.update(digests)
    for detail in {d for d in details if len(d.strip()) >= 5}:
        delivery_ids.update(
            s.scalars(
                select(DeliveryRow.id).where(
                    DeliveryRow.body.like(f"%{_like(detail)}%", escape="\\")
                )
            )
        )
    return alert_ids, delivery_ids


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def find(hq: Hq, query: PersonQuery, *, actor: str) -> Held:
    """What HQ holds about the person ``query`` names. Audited (how many, never who)."""
    with hq.db.writing() as s:
        held = _held(s, query, _matching_ids(s, query))
        record_in(
            s,
            actor=actor,
            action="privacy.find",
            target=query.kind,
            detail=_counts(held),
        )
    return held


def _counts(held: Held) -> str:
    stores = sorted({r.store_id for r in held.responses})
    return (
        f"{len(held.responses)} responses"
        + (f" at {', '.join(stores)}" if stores else "")
        + f"; {len(held.alerts)} alerts, {len(held.deliveries)} outbox messages"
    )


# The data-subject export ------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def export(hq: Hq, query: PersonQuery, *, actor: str) -> dict[str, Any]:
    """Everything HQ holds about one person, as one JSON document (audited as
    ``privacy.export``). Purged or erased values are not in it: they are no longer held."""
    if query.kind == "response":
        raise PrivacyError("An export is for a person: search by phone or e-mail.")
    with hq.db.writing() as s:
        held = _held(s, query, _matching_ids(s, query))
        record_in(s, actor=actor, action="privacy.export", target=query.kind, detail=_counts(held))
    return {**export_document(held), "made_by": actor}


def export_document(held: Held) -> dict[str, Any]:
    """``held`` as the export's JSON document."""
    query = held.query
    return {
        "format": EXPORT_FORMAT,
        "version": 1,
        "made_at": _iso(utcnow()),
        "query": {"kind": query.kind, "value": query.value},
        "controller_note": "Everything NPS HQ holds about this contact, across every store. "
        "Kiosks keep their own copy until they sync an erasure; see docs/privacy.md.",
        "responses": [
            {
                **{k: v for k, v in asdict(r).items() if k not in ("device_time", "received_at")},
                "device_time": _iso(r.device_time),
                "received_at": _iso(r.received_at),
                "scrubbed_at": _iso(r.scrubbed_at),
            }
            for r in held.responses
        ],
        "cases": held.cases,
        "alerts": [{**asdict(a), "created_at": _iso(a.created_at)} for a in held.alerts],
        "deliveries": [
            {**asdict(d), "created_at": _iso(d.created_at), "sent_at": _iso(d.sent_at)}
            for d in held.deliveries
        ],
    }


def export_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


# Scrubbing --------------------------------------------------------------------------------


@dataclass
class ScrubCount:
    responses: int = 0
    alerts: int = 0
    deliveries: int = 0
    attempts: int = 0
    notes: int = 0  # follow-up case notes (hq.cases)

    def add(self, other: ScrubCount) -> None:
        self.notes += other.notes
        self.responses += other.responses
        self.alerts += other.alerts
        self.deliveries += other.deliveries
        self.attempts += other.attempts

    def __str__(self) -> str:
        return (
            f"{self.responses} responses, {self.alerts} alert payloads, "
            f"{self.deliveries} outbox messages, {self.attempts} delivery-log lines, "
            f"{self.notes} case notes"
        )


def _scrub_value(
    value: Any, *, ids: set[str], contact: bool, comment: bool, strings: set[str]
) -> Any:
    """``value`` (parsed JSON) with the contact details and/or comment of the responses
    ``ids`` replaced by ``[erased]``, and every text holding one of ``strings`` rewritten."""
    if isinstance(value, list):
        return [
            _scrub_value(v, ids=ids, contact=contact, comment=comment, strings=strings)
            for v in value
        ]
    if isinstance(value, str):
        for text in strings:
            value = value.replace(text, ERASED)
        return value
    if not isinstance(value, dict):
        return value
    out = {
        k: _scrub_value(v, ids=ids, contact=contact, comment=comment, strings=strings)
        for k, v in value.items()
    }
    if out.get("id") in ids and "score" in out:  # a response inside an alert
        if contact and isinstance(out.get("contact"), dict):
            out["contact"] = {"name": ERASED, "detail": ERASED}
        if comment and out.get("comment"):
            out["comment"] = ERASED
    inner = value.get("response")
    if comment and isinstance(inner, dict) and inner.get("id") in ids:
        said = inner.get("comment")
        if isinstance(said, str) and said and isinstance(out.get("summary"), str):
            out["summary"] = out["summary"].replace(said[:140], ERASED)
    return out


def _alert_json(body: dict[str, Any]) -> str:  # hq.alerts._canonical
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest_json(body: dict[str, Any]) -> str:  # hq.delivery.make_digests
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def scrub(
    s: Session,
    ids: list[str],
    *,
    contact: bool = True,
    comment: bool = True,
    now: datetime,
) -> ScrubCount:
    """Scrub responses ``ids`` in the caller's transaction: NULL their contact details
    (``contact``) and/or comment (``comment``), mark them scrubbed, and rewrite the alert
    payloads, outbox messages and delivery-log lines that hold those values."""
    count = ScrubCount()
    if not ids:
        return count
    details: set[str] = set()
    comments: set[str] = set()
    for chunk in _chunks(ids):
        for detail, said in s.execute(
            select(ResponseRow.contact_detail, ResponseRow.comment).where(ResponseRow.id.in_(chunk))
        ):
            if contact and detail:
                details.add(detail)
            if comment and said:
                comments.add(said)
        values: dict[str, Any] = {"content_hash": SCRUBBED_HASH, "scrubbed_at": now}
        if contact:
            values.update(contact_name=None, contact_detail=None)
        if comment:
            values["comment"] = None
        done = s.execute(update(ResponseRow).where(ResponseRow.id.in_(chunk)).values(**values))
        count.responses += int(done.rowcount)  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
        if contact:  # a follow-up case's note is about contacting the person
            count.notes += scrub_notes(s, chunk)
    # Distinctive strings (phone numbers, addresses) are replaced wherever they appear in the
    # rows found; names and comments only where the structure says they are the response's.
    strings = {d for d in details if len(d.strip()) >= 5}
    idset = set(ids)
    alert_ids, delivery_ids = _linked(s, ids, strings)
    for chunk in _chunks(sorted(alert_ids)):
        for a in s.scalars(select(AlertRow).where(AlertRow.id.in_(chunk))):
            payload = _scrub_value(
                _loads(a.payload), ids=idset, contact=contact, comment=comment, strings=strings
            )
            summary = a.summary
            for text in strings:
                summary = summary.replace(text, ERASED)
            if comment and a.response_id in idset:
                for said in comments:
                    summary = summary.replace(said[:140], ERASED)
            new_payload = _alert_json(payload)
            if new_payload != a.payload or summary != a.summary:
                a.payload, a.summary = new_payload, summary
                count.alerts += 1
    for chunk in _chunks(sorted(delivery_ids)):
        for d in s.scalars(select(DeliveryRow).where(DeliveryRow.id.in_(chunk))):
            body = _scrub_value(
                _loads(d.body), ids=idset, contact=contact, comment=comment, strings=strings
            )
            new_body = _digest_json(body) if d.kind == "digest" else _alert_json(body)
            if new_body != d.body:
                d.body = new_body
                count.deliveries += 1
        for t in s.scalars(
            select(DeliveryAttemptRow).where(DeliveryAttemptRow.delivery_id.in_(chunk))
        ):
            detail = t.detail
            for text in strings:
                detail = detail.replace(text, ERASED)
            if detail != t.detail:
                t.detail = detail
                count.attempts += 1
    s.flush()
    return count


# Erasure ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureResult:
    request_id: str
    response_ids: list[str]
    stores: list[str]
    scrubbed: ScrubCount
    wiped: str  # what wipe() did to the files


def erase(
    hq: Hq,
    query: PersonQuery,
    *,
    actor: str,
    compact: bool = False,
    expect: Iterable[str] | None = None,
) -> ErasureResult:
    """Erase what HQ holds about the person ``query`` names (see the module's docstring).
    ``expect``: the response ids the person confirmed on the page; an erasure finding others
    (an answer arrived since) refuses, so nobody erases what they did not see."""
    from hq.alerts import new_id

    now = utcnow()
    request_id = new_id()
    with hq.db.writing() as s:
        ids = _matching_ids(s, query)
        if expect is not None and sorted(set(expect)) != ids:
            raise PrivacyError(
                "What HQ holds about this person changed since the page was shown; search "
                "again and confirm what is held now."
            )
        if not ids:
            raise NotFound(f"HQ holds nothing for this {query.label}: nothing was erased.")
        stores = sorted(
            {
                sid
                for chunk in _chunks(ids)
                for sid in s.scalars(
                    select(ResponseRow.store_id).where(ResponseRow.id.in_(chunk)).distinct()
                )
            }
        )
        count = scrub(s, ids, now=now)
        _tombstones(s, ids, request_id=request_id, by=actor, source="hq", now=now)
        record_in(
            s,
            actor=actor,
            action="privacy.erase",
            target=request_id,
            detail=f"by {query.kind}: {count}; stores {', '.join(stores)}; "
            f"responses {', '.join(ids)}",
        )
    wiped = wipe(hq, compact=compact)
    return ErasureResult(
        request_id=request_id, response_ids=ids, stores=stores, scrubbed=count, wiped=wiped
    )


def _tombstones(
    s: Session,
    ids: list[str],
    *,
    request_id: str,
    by: str,
    source: str,
    now: datetime,
    store_id: str | None = None,
) -> list[str]:
    """A tombstone per response without one; returns the ids that got one."""
    made: list[str] = []
    for chunk in _chunks(ids):
        have = set(
            s.scalars(select(ErasureRow.response_id).where(ErasureRow.response_id.in_(chunk)))
        )
        stores = dict(
            s.execute(
                select(ResponseRow.id, ResponseRow.store_id).where(ResponseRow.id.in_(chunk))
            ).all()
        )
        for rid in chunk:
            store = stores.get(rid, store_id)
            if rid in have or store is None:
                continue
            s.add(
                ErasureRow(
                    response_id=rid,
                    store_id=store,
                    request_id=request_id,
                    at=now,
                    by=by[:120],
                    source=source,
                )
            )
            made.append(rid)
    s.flush()
    return made


def erase_from_device(
    s: Session, ids: list[str], *, device_id: str, store_id: str, now: datetime
) -> list[str]:
    """A kiosk's erasures (protocol v2 batch ``erasures``), in the ingest transaction: scrub
    those of its own store's responses HQ has, keep a tombstone by "device <id>" (also for ids
    HQ has not received yet: they arrive scrubbed). Ids of another store's responses are left
    alone and not acknowledged. Returns the ids acknowledged."""
    from hq.alerts import new_id

    wanted = sorted(set(ids))
    if not wanted:
        return []
    stores: dict[str, str] = {}
    for chunk in _chunks(wanted):
        stores.update(
            s.execute(
                select(ResponseRow.id, ResponseRow.store_id).where(ResponseRow.id.in_(chunk))
            ).all()
        )
    own = [rid for rid in wanted if stores.get(rid, store_id) == store_id]
    known = [rid for rid in own if rid in stores]
    by = f"device {device_id}"
    count = scrub(s, known, now=now)
    request_id = new_id()
    made = _tombstones(
        s, own, request_id=request_id, by=by, source="device", now=now, store_id=store_id
    )
    if made:
        record_in(
            s,
            actor=by,
            action="privacy.erase",
            target=request_id,
            detail=f"from the kiosk: {count}; stores {store_id}; responses {', '.join(made)}",
        )
    return own


def tombstoned(s: Session, ids: list[str]) -> set[str]:
    """Which of ``ids`` have a tombstone (ingest: a response erased before HQ had it; plain
    driver SQL, as this runs for every batch with a comment in it)."""
    sql = "SELECT response_id FROM erasures WHERE response_id IN {ids}"
    return {r[0] for r in rows_by_ids(s.connection(), sql, ids)}


@dataclass(frozen=True)
class StoreErasure:
    response_id: str
    erased_at: datetime


def erasures_since(
    hq: Hq, store_id: str, *, after: int, limit: int
) -> tuple[list[StoreErasure], int, bool]:
    """A store's erasures after cursor ``after``: the page, the next cursor, whether more."""
    with hq.db.reading() as s:
        rows = s.execute(
            select(ErasureRow.id, ErasureRow.response_id, ErasureRow.at)
            .where(ErasureRow.store_id == store_id, ErasureRow.id > after)
            .order_by(ErasureRow.id)
            .limit(limit + 1)
        ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1][0] if rows else after
    return [StoreErasure(response_id=r[1], erased_at=r[2]) for r in rows], cursor, more


# Retention --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeResult:
    contacts: int
    comments: int
    scrubbed: ScrubCount
    wiped: str


def _older(cutoff: datetime) -> Any:
    # The answer's age by the earlier of its corrected time (hq.device_clock: a till that
    # booted in 2000 does not make a fresh comment look 27 years old) and HQ's receive time
    # (a clock running ahead cannot delay it).
    return or_(ResponseRow.corrected_time < cutoff, ResponseRow.received_at < cutoff)


def purge(
    hq: Hq,
    *,
    now: datetime | None = None,
    policy: RetentionPolicy | None = None,
    policies: Mapping[str, RetentionPolicy] | None = None,
    actor: str = "system",
    compact: bool = False,
) -> PurgeResult:
    """Apply the retention policy once, each store's own: contact details of answers older
    than its ``contact_days`` or whose follow-up case was resolved more than its
    ``contact_resolved_days`` ago, comments older than its ``comment_days`` (if set).
    ``policy`` applies one policy to every store; otherwise ``policies`` (store id -> policy;
    by default :func:`hq.profiles.retention_policies`: the store profile's retention, else
    HQ's configured one), and answers of a store it does not name get ``hq.config.retention``.
    Audited as one ``privacy.purge`` per run, naming each policy applied and its stores (also
    when nothing was due: that entry is when the last purge ran)."""
    now = now or utcnow()
    runs: list[tuple[RetentionPolicy, list[str] | None]]  # None: every store not named
    if policy is not None:
        runs = [(policy, None)]
    else:
        if policies is None:
            from hq.profiles import retention_policies

            policies = retention_policies(hq)
        by_policy: dict[RetentionPolicy, list[str]] = {}
        for store_id, store_policy in sorted(policies.items()):
            by_policy.setdefault(store_policy, []).append(store_id)
        runs = [(p, ids) for p, ids in by_policy.items()]
        runs.append((hq.config.retention, None))
    named = sorted(policies) if policy is None and policies else []
    total = ScrubCount()
    contacts = comments = 0
    lines: list[str] = []
    with hq.db.writing() as s:
        for run_policy, stores in runs:
            c_ids, k_ids, count = _purge_stores(s, run_policy, stores, named, now)
            total.add(count)
            contacts += len(c_ids)
            comments += len(k_ids)
            if stores is None and policy is None and not c_ids and not k_ids:
                continue  # no answer of an unnamed store was due: nothing to say
            which = (
                "every store"
                if stores is None and policy is not None
                else "other stores"
                if stores is None
                else "stores " + ", ".join(stores)
            )
            lines.append(
                f"{which}: contact details after {run_policy.contact_days or 'never'} days, or "
                f"{run_policy.contact_resolved_days or 'never'} days after the case was "
                f"resolved: {len(c_ids)}; comments after {run_policy.comment_days or 'never'} "
                f"days: {len(k_ids)}"
            )
        record_in(
            s,
            actor=actor,
            action="privacy.purge",
            target="retention",
            detail=("; ".join(lines) + f"; {total}")[:4000],
            at=now,
        )
    wiped = wipe(hq, compact=compact or _compaction_due(hq))
    return PurgeResult(contacts=contacts, comments=comments, scrubbed=total, wiped=wiped)


def _purge_stores(
    s: Session,
    policy: RetentionPolicy,
    stores: list[str] | None,
    named: list[str],
    now: datetime,
) -> tuple[list[str], list[str], ScrubCount]:
    """One policy on the answers of ``stores`` (None: of every store not in ``named``), in the
    caller's transaction: the ids whose contact details and whose comments it scrubbed."""

    def due(*conditions: Any) -> list[str]:
        found: list[str] = []
        if stores is None:
            stmt = select(ResponseRow.id).where(*conditions)
            if named:
                stmt = stmt.where(ResponseRow.store_id.not_in(named))
            return list(s.scalars(stmt))
        for chunk in _chunks(stores):
            found.extend(
                s.scalars(
                    select(ResponseRow.id).where(*conditions, ResponseRow.store_id.in_(chunk))
                )
            )
        return found

    count = ScrubCount()
    contact_ids: list[str] = []
    comment_ids: list[str] = []
    if policy.contact_days is not None:
        cutoff = now - timedelta(days=policy.contact_days)
        contact_ids = due(
            or_(ResponseRow.contact_name.is_not(None), ResponseRow.contact_detail.is_not(None)),
            _older(cutoff),
        )
        count.add(scrub(s, contact_ids, contact=True, comment=False, now=now))
    if policy.contact_resolved_days is not None:
        # N days after the follow-up case was resolved (hq.cases: HQ's copy, as the kiosk or
        # HQ last set it); a reopened case is not resolved, so it waits again.
        cutoff = now - timedelta(days=policy.contact_resolved_days)
        resolved = due(
            or_(ResponseRow.contact_name.is_not(None), ResponseRow.contact_detail.is_not(None)),
            resolved_before(cutoff),
        )
        count.add(scrub(s, resolved, contact=True, comment=False, now=now))
        contact_ids += resolved
    if policy.comment_days is not None:
        cutoff = now - timedelta(days=policy.comment_days)
        comment_ids = due(ResponseRow.comment.is_not(None), _older(cutoff))
        count.add(scrub(s, comment_ids, contact=False, comment=True, now=now))
    return contact_ids, comment_ids, count


def purge_due(hq: Hq, now: datetime) -> bool:
    """Whether the daily purge is due: no ``privacy.purge`` in the audit log for 23 hours."""
    with hq.db.reading() as s:
        last = s.scalar(
            select(AuditRow.at)
            .where(AuditRow.action == "privacy.purge")
            .order_by(AuditRow.id.desc())
            .limit(1)
        )
    return last is None or now - last >= PURGE_EVERY or last > now + timedelta(days=1)


def daily(hq: Hq, now: datetime) -> PurgeResult | None:
    """The delivery worker's daily job: purge (and compact) if due."""
    if not purge_due(hq, now):
        return None
    return purge(hq, now=now, actor="system")


# Making the bytes leave the files ---------------------------------------------------------


def _compaction_due(hq: Hq) -> bool:
    """PostgreSQL: whether an erasure or purge scrubbed rows since the last VACUUM FULL."""
    if hq.db.is_sqlite:
        return False
    with hq.db.reading() as s:
        last_compact = s.scalar(
            select(AuditRow.id)
            .where(AuditRow.action == "privacy.compact")
            .order_by(AuditRow.id.desc())
            .limit(1)
        )
        stmt = select(AuditRow.id).where(AuditRow.action.in_(("privacy.erase", "privacy.purge")))
        if last_compact is not None:
            stmt = stmt.where(AuditRow.id > last_compact)
        return s.scalar(stmt.limit(1)) is not None


def wipe(hq: Hq, *, compact: bool = False) -> str:
    """Make scrubbed values leave the database files (see the module's docstring); says what
    it did. Never raises: the scrub is committed either way, and a busy database gets the
    next chance (the daily purge)."""
    try:
        if hq.db.is_sqlite:
            return _wipe_sqlite(hq)
        return _wipe_postgres(hq, full=compact)
    except Exception as exc:  # the erasure stands; say what is left
        log.exception("Wiping freed space after an erasure failed")
        return f"the files are cleaned at the next daily purge ({type(exc).__name__})"


def _wipe_sqlite(hq: Hq) -> str:
    # secure_delete (hq.db) zeroed the freed bytes in the pages; the old pages also sit in
    # WAL frames: copy the new pages back and cut the WAL to nothing (as kiosk.followups).
    raw = hq.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for _ in range(20):
            busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return "SQLite: freed bytes zeroed (secure_delete), WAL checkpointed and truncated"
            import time

            time.sleep(0.05)
        return "SQLite: freed bytes zeroed; a reader kept the WAL busy, truncated at the next one"
    finally:
        raw.close()


def _wipe_postgres(hq: Hq, *, full: bool) -> str:
    verb = "VACUUM (FULL, ANALYZE)" if full else "VACUUM"
    with hq.db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM runs outside one
        for table in TABLES:
            conn.exec_driver_sql(f"{verb} {table}")
    if full:
        with hq.db.writing() as s:
            record_in(s, actor="system", action="privacy.compact", target=", ".join(TABLES))
        return "PostgreSQL: tables rewritten (VACUUM FULL): the old values left the table files"
    return (
        "PostgreSQL: dead row versions vacuumed; the tables are rewritten (VACUUM FULL) at the "
        "next daily purge, within 24 hours"
    )
