"""Sync protocol v1: the one schema that the kiosk and HQ both speak (pydantic models).

- ``POST /api/v1/batches`` takes a :class:`BatchV1` and answers a :class:`BatchReplyV1` that
  gives each response id as accepted, duplicate (same id, same content) or rejected (a reason).
- ``POST /api/v1/enroll`` exchanges a one-time code for a device token and a device secret.
- ``GET /api/v1/stores/{store}/responses?after=CURSOR`` gives a store's phone answers back.
- A batch file (carried on a USB stick) is ``{"format": "nps-batch", "version": 1,
  "batch": {...}, "signature": "..."}``, the signature being base64url(HMAC-SHA256(device
  secret, canonical batch bytes)); :func:`write_batch_file` and :func:`read_batch_file`.

"Same content" means the same :func:`content_hash`: SHA-256 over the JSON of every response
field in the model's order, with the device time in UTC (the v2 fields ``survey_version`` and
``consent_text`` left out when None, so a v1 response keeps the hash it had).

Protocol v2 (same endpoints, ``"protocol": "v2"`` in the batch) adds ``survey_version`` and
``consent_text`` (the opt-in wording as the customer saw it) to a response, ``health``
(core.profile.DeviceHealthV1) to a batch, ``profile_version`` to the batch reply and
``GET /api/v1/profile`` (core.profile.SignedProfileV1, 204 when ``?have=`` is current).
A v1 kiosk's batches and replies are unchanged.

Erasure (protocol v2, optional both ways): a batch may carry ``erasures`` (response ids the
kiosk's manager erased with "Forget this customer"; HQ scrubs them and answers their ids in the
reply's ``erased``), and ``GET /api/v1/erasures?after=CURSOR`` (:class:`ErasuresV1`) gives the
device's store the responses erased at HQ, for the kiosk to scrub in its own file.

Follow-up cases (protocol v2, optional both ways): a batch may carry ``cases``
(:class:`CaseUpdateV1`: the state and note of a detractor's follow-up case as the kiosk's
manager last set them, who and when); HQ keeps the newer of its copy and the update (last
writer wins by ``changed_at``, both changes audited) and lists the ids it has taken in the
reply's ``cases_taken``. ``GET /api/v1/cases?after=CURSOR`` (:class:`CasesV1`) gives the
device's store the case changes made at HQ (or by another kiosk of the store) after the cursor;
the kiosk applies each one that is newer than its own copy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from core.errors import BadBatchSignature, BatchFileError
from core.nps import category
from core.text import (
    COMMENT_LIMIT,
    CONTACT_LIMIT,
    ID_PATTERN,
    MAX_REASONS,
    REASON_PATTERN,
)

PROTOCOL = "v1"
MAX_BATCH = 500
BATCH_FILE_FORMAT = "nps-batch"
BATCH_FILE_VERSION = 1

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _storable(value: str) -> str:
    """Text every database can keep: no NUL (PostgreSQL refuses it) and valid Unicode."""
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (it holds a lone surrogate)") from None
    return value


def printable(value: str) -> str:
    """``value`` made safe to echo back in a reply or a message (lone surrogates escaped)."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


Text = Annotated[StrictStr, AfterValidator(_storable)]
ResponseId = Annotated[StrictStr, Field(pattern=UUID_PATTERN, description="UUIDv7, lower case")]
Identifier = Annotated[StrictStr, Field(pattern=ID_PATTERN, description="store or device id")]
ReasonKey = Annotated[StrictStr, Field(pattern=REASON_PATTERN)]
Channel = Literal["kiosk", "qr"]
Language = Literal["en", "hi", "ta", "bn", "mr", "te"]  # core.survey_texts.LANGUAGES
CategoryName = Literal["detractor", "passive", "promoter"]
CompletionName = Literal["done", "skip", "timeout", "recovered"]
CaseStateName = Literal["open", "contacted", "resolved"]
CASE_NOTE_LIMIT = 1000  # kiosk.followups.NOTE_LIMIT
CASE_BY_LIMIT = 120
CONSENT_TEXT_LIMIT = 1000  # kiosk.recording.CONSENT_TEXT_LIMIT: the opt-in wording as shown
ResultStatus = Literal["accepted", "duplicate", "rejected"]


MAX_INT32 = 2**31 - 1  # an INTEGER column on SQLite and PostgreSQL alike
LATEST_DEVICE_TIME = datetime(2100, 1, 1, tzinfo=UTC)


def _utc(value: datetime, *, what: str = "the time") -> datetime:
    """``value`` in UTC; ValueError (not OverflowError) when UTC has no such time, as with
    0001-01-01T00:00:00+14:00 or 9999-12-31T23:59:59-14:00."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{what} is out of range in UTC; send a real time") from None


class _Message(BaseModel):
    """Requests refuse unknown fields (a typo is an error, not silently dropped)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Reply(BaseModel):
    """Replies ignore unknown fields, so that HQ can add one without breaking older kiosks."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ResponseV1(_Message):
    """One complete customer answer, as the kiosk recorded it (never its sync state)."""

    id: ResponseId
    seq: StrictInt = Field(ge=0, le=2**62, description="per-device sequence; 0 for phone answers")
    store_id: Identifier
    device_id: Identifier
    channel: Channel
    language: Language
    question_version: StrictInt = Field(ge=1, le=1_000_000)
    score: StrictInt = Field(ge=0, le=10)
    category: CategoryName
    reasons: list[ReasonKey] = Field(default_factory=list, max_length=MAX_REASONS)
    comment: Text | None = Field(default=None, max_length=COMMENT_LIMIT)
    contact_consent: StrictBool = False
    contact_name: Text | None = Field(default=None, max_length=CONTACT_LIMIT)
    contact_detail: Text | None = Field(default=None, max_length=CONTACT_LIMIT)
    device_time: AwareDatetime = Field(description="when the score was tapped, with a UTC offset")
    time_to_answer_ms: StrictInt | None = Field(default=None, ge=0, le=86_400_000)
    completion: CompletionName
    suspect: StrictBool = False
    suspect_reason: Text | None = Field(default=None, max_length=120)
    survey_version: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_INT32,
        description="protocol v2: the chain-wide id of the published survey version the "
        "answer was asked with (core.profile.SurveyVersionV1.id); absent from v1 responses",
    )
    consent_text: Text | None = Field(
        default=None,
        max_length=CONSENT_TEXT_LIMIT,
        description="protocol v2: the contact opt-in's wording exactly as the customer saw it "
        "(only with contact_consent); absent from v1 responses",
    )

    @field_validator("device_time")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        if value.year < 2000:
            raise ValueError("device_time is before 2000: the device clock is not set")
        utc = _utc(value, what="device_time")
        if utc >= LATEST_DEVICE_TIME:
            raise ValueError("device_time is after 2100: the device clock is wrong")
        return utc

    @model_validator(mode="after")
    def _consistent(self) -> ResponseV1:
        if category(self.score).value != self.category:
            raise ValueError(
                f"category {self.category!r} does not match score {self.score} "
                f"(it is {category(self.score).value!r})"
            )
        if not self.contact_consent and (self.contact_name or self.contact_detail):
            raise ValueError("contact_name and contact_detail are sent only with contact_consent")
        if not self.contact_consent and self.consent_text is not None:
            raise ValueError("consent_text is sent only with contact_consent")
        if len(set(self.reasons)) != len(self.reasons):
            raise ValueError("reasons lists a reason key twice")
        return self


# The wire fields of a response, in order: HQ's insert, its exports and the kiosk's outbox read
# (sync.ledger.WIRE_COLUMNS is this tuple: every wire field is a column of the kiosk's table).
RESPONSE_FIELDS: tuple[str, ...] = tuple(ResponseV1.model_fields)


class DeviceHealthV1(_Message):
    """What a kiosk says about itself with each batch (protocol v2; also exported by
    core.profile)."""

    app_version: StrictStr = Field(max_length=40)
    schema_revision: StrictStr | None = Field(default=None, max_length=64)
    db_bytes: StrictInt | None = Field(default=None, ge=0, le=2**53)
    free_disk_bytes: StrictInt | None = Field(default=None, ge=0, le=2**53)
    backlog: StrictInt | None = Field(default=None, ge=0, le=MAX_INT32)
    oldest_pending_at: AwareDatetime | None = None
    clock_offset_s: float | None = Field(default=None, ge=-(10**10), le=10**10)
    started_at: AwareDatetime | None = None
    recoveries_since_sync: StrictInt | None = Field(default=None, ge=0, le=MAX_INT32)
    suspect_rate: float | None = Field(default=None, ge=0, le=1)
    profile_version: StrictInt | None = Field(
        default=None, ge=1, le=MAX_INT32, description="the profile version the kiosk applied"
    )


ProtocolName = Literal["v1", "v2"]


class CaseUpdateV1(_Message):
    """A follow-up case as one side last set it (protocol v2). A case belongs to one response:
    a complete detractor answer whose customer agreed to be contacted. The side that receives
    it keeps whichever of its copy and this update has the later ``changed_at`` (equal times:
    the received one is ignored), and audits both."""

    response_id: ResponseId
    state: CaseStateName
    note: Text | None = Field(default=None, max_length=CASE_NOTE_LIMIT)
    changed_by: Text = Field(
        min_length=1,
        max_length=CASE_BY_LIMIT,
        description="who set it: an HQ user's name or e-mail, or 'store manager (<device>)'",
    )
    changed_at: AwareDatetime

    @field_validator("changed_at")
    @classmethod
    def _changed_in_utc(cls, value: datetime) -> datetime:
        return _utc(value, what="changed_at")


def _health_only_in_v2(
    protocol: str, health: object, erasures: object = None, cases: object = None
) -> None:
    if health is not None and protocol != "v2":
        raise ValueError("health is sent only with protocol v2")
    if erasures is not None and protocol != "v2":
        raise ValueError("erasures are sent only with protocol v2")
    if cases is not None and protocol != "v2":
        raise ValueError("cases are sent only with protocol v2")


class BatchV1(_Message):
    """What a kiosk uploads: up to 500 complete responses. Protocol v2 adds ``health`` (what
    the kiosk says about itself) and ``survey_version`` on responses; a v1 batch is unchanged."""

    protocol: ProtocolName = "v1"
    batch_id: ResponseId
    device_id: Identifier
    sent_at: AwareDatetime
    responses: list[ResponseV1] = Field(max_length=MAX_BATCH)
    pending: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_INT32,
        description="complete responses still waiting on the device after "
        "this batch (shown at HQ as the device's backlog)",
    )
    health: DeviceHealthV1 | None = Field(default=None, description="protocol v2 only")
    erasures: list[ResponseId] | None = Field(
        default=None,
        max_length=MAX_BATCH,
        description="protocol v2 only: ids of responses erased on the kiosk (Forget this "
        "customer); HQ scrubs their contact details and comment",
    )
    cases: list[CaseUpdateV1] | None = Field(
        default=None,
        max_length=MAX_BATCH,
        description="protocol v2 only: follow-up cases changed on the kiosk since HQ last "
        "took them (state, note, who, when); HQ keeps the later change",
    )

    @field_validator("sent_at")
    @classmethod
    def _sent_in_utc(cls, value: datetime) -> datetime:
        return _utc(value, what="sent_at")

    @model_validator(mode="after")
    def _v2_fields(self) -> BatchV1:
        _health_only_in_v2(self.protocol, self.health, self.erasures, self.cases)
        return self

    def _v1_exclude(self) -> dict[str, Any]:
        """The v2 fields left unset, so that a batch without them is exactly v1's JSON (an HQ
        before v2 refuses unknown fields)."""
        exclude: dict[str, Any] = {}
        if self.health is None:
            exclude["health"] = True
        if self.erasures is None:
            exclude["erasures"] = True
        if self.cases is None:
            exclude["cases"] = True
        unused = {
            name
            for name in V2_RESPONSE_FIELDS
            if all(getattr(r, name) is None for r in self.responses)
        }
        if unused:
            exclude["responses"] = {"__all__": unused}
        return exclude

    def wire_json(self) -> bytes:
        """The upload's body: the batch's JSON without v2 fields it does not use."""
        return self.model_dump_json(exclude=self._v1_exclude()).encode("utf-8")

    def wire_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude=self._v1_exclude())


class BatchEnvelope(_Message):
    """A batch whose responses are checked one by one (HQ rejects single responses, not the
    whole batch, when one of them is invalid)."""

    protocol: ProtocolName
    batch_id: ResponseId
    device_id: Identifier
    sent_at: AwareDatetime
    responses: list[dict[str, Any]] = Field(max_length=MAX_BATCH)
    pending: StrictInt | None = Field(default=None, ge=0, le=MAX_INT32)
    health: DeviceHealthV1 | None = None
    erasures: list[ResponseId] | None = Field(default=None, max_length=MAX_BATCH)
    cases: list[CaseUpdateV1] | None = Field(default=None, max_length=MAX_BATCH)

    @field_validator("sent_at")
    @classmethod
    def _sent_in_utc(cls, value: datetime) -> datetime:
        return _utc(value, what="sent_at")

    @model_validator(mode="after")
    def _v2_fields(self) -> BatchEnvelope:
        _health_only_in_v2(self.protocol, self.health, self.erasures, self.cases)
        return self


class ResultV1(_Reply):
    id: str
    status: ResultStatus
    reason: str | None = None


class BatchReplyV1(_Reply):
    batch_id: str
    server_time: AwareDatetime
    results: list[ResultV1]
    profile_version: int | None = Field(
        default=None,
        description="the current version of the store's profile (GET /api/v1/profile when it "
        "is not the one the kiosk has); v1 kiosks ignore it",
    )
    erased: list[str] | None = Field(
        default=None,
        description="protocol v2: the ids of the batch's ``erasures`` HQ has scrubbed (or "
        "keeps a tombstone for); absent when the batch sent none",
    )
    clock_offset_s: float | None = Field(
        default=None,
        description="protocol v2 uploads: the device's clock offset as HQ measured it (HQ's "
        "receive time minus the batch's sent_at, seconds; positive: the device is behind). "
        "HQ corrects the device's answer times by it (hq.device_clock); v1 kiosks ignore it",
    )
    cases_taken: list[str] | None = Field(
        default=None,
        description="protocol v2: the response ids of the batch's ``cases`` HQ has taken "
        "(stored, or older than HQ's copy and so settled); absent when the batch sent none. "
        "A case the batch sent but not listed here (its response is not at HQ yet) is sent "
        "again with a later batch",
    )


class EnrollRequestV1(_Message):
    code: StrictStr = Field(min_length=4, max_length=64)


class EnrollReplyV1(_Reply):
    device_id: str
    store_id: str
    device_token: str = Field(description="send as 'Authorization: Bearer <token>'")
    device_secret: str = Field(description="base64url; signs QR tokens and batch files")
    hq_time: AwareDatetime


class PhoneResponsesV1(_Reply):
    """A page of a store's phone (QR) answers; pass ``cursor`` as ``after`` next time."""

    responses: list[ResponseV1]
    cursor: str
    has_more: bool


class ErasureV1(_Reply):
    """A response erased at HQ (or by another kiosk of the store): scrub its contact details
    and comment in the kiosk's file."""

    response_id: str
    erased_at: AwareDatetime


class ErasuresV1(_Reply):
    """``GET /api/v1/erasures?after=CURSOR`` (protocol v2): the erasures of the device's store
    after the cursor; pass ``cursor`` as ``after`` next time (it stays the same when there is
    nothing new)."""

    erasures: list[ErasureV1]
    cursor: str
    has_more: bool


class CasesV1(_Reply):
    """``GET /api/v1/cases?after=CURSOR`` (protocol v2): the follow-up case changes of the
    device's store made at HQ or by another of its kiosks after the cursor, oldest first; pass
    ``cursor`` as ``after`` next time (it stays the same when there is nothing new). A change
    the device itself sent is not listed back to it."""

    cases: list[CaseUpdateV1]
    cursor: str
    has_more: bool


class BatchFileV1(_Message):
    format: Literal["nps-batch"] = "nps-batch"
    version: Literal[1] = 1
    batch: dict[str, Any]
    signature: StrictStr


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes that hashes and signatures are taken over."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def content_hash(response: ResponseV1) -> str:
    """Hex SHA-256 of a response's content; equal hashes mean "the same response".

    Taken over the model's JSON (fields in the order of ResponseV1, times in UTC): the same
    bytes for the same content on every machine, and computed in pydantic's Rust core, which
    matters at 500 responses a batch.
    """
    exclude = {name for name in V2_RESPONSE_FIELDS if getattr(response, name) is None}
    return hashlib.sha256(
        response.model_dump_json(exclude=exclude or None).encode("utf-8")
    ).hexdigest()


# The v2 fields of a response. One left unset is left out of the hash (and of a batch's JSON
# when no response of the batch uses it), so a response without them hashes exactly as
# protocol v1 did: a v1 kiosk resending an answer HQ stored before v2 gets "duplicate", not a
# conflict, and a v2 answer without consent_text keeps the hash it had before that field.
V2_RESPONSE_FIELDS: tuple[str, ...] = ("survey_version", "consent_text")
_V1_HASH_EXCLUDE = frozenset(V2_RESPONSE_FIELDS)


def wire_json(response: ResponseV1) -> dict[str, Any]:
    """A response as JSON for a v1 reader: without the v2 fields (``survey_version``,
    ``consent_text``: a v1 kiosk's ResponseV1 refuses unknown fields)."""
    return response.model_dump(mode="json", exclude=set(_V1_HASH_EXCLUDE))


def describe(exc: ValidationError, *, limit: int = 3) -> str:
    """A short, readable summary of a validation error: 'score: must be <= 10; ...'."""
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def batch_signature(batch: dict[str, Any], *, secret: bytes) -> str:
    return _b64(hmac.new(secret, canonical_json(batch), hashlib.sha256).digest())


def make_batch_file(batch: BatchV1, *, secret: bytes) -> BatchFileV1:
    raw = batch.wire_dict()
    return BatchFileV1(batch=raw, signature=batch_signature(raw, secret=secret))


def write_batch_file(path: Path, batch: BatchV1, *, secret: bytes) -> Path:
    """Write a signed batch file atomically (temp file, fsync, rename); returns the path."""
    data = make_batch_file(batch, secret=secret).model_dump_json().encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    return path


def _no_constant(name: str) -> Any:
    raise ValueError(f"it holds {name}, which JSON does not allow")


def read_batch_file(path: Path) -> BatchFileV1:
    """Parse a batch file without checking its signature (see :func:`verify_batch_file`)."""
    try:
        data = json.loads(path.read_bytes(), parse_constant=_no_constant)
    except OSError as exc:
        raise BatchFileError(
            f"{path.name} cannot be read ({exc.strerror or exc}); copy it again from the kiosk."
        ) from exc
    except ValueError as exc:  # also UnicodeDecodeError and NaN/Infinity
        raise BatchFileError(
            f"{path.name} is not valid JSON ({exc}). Export it again with the kiosk."
        ) from exc
    try:
        return BatchFileV1.model_validate(data)
    except ValidationError as exc:
        raise BatchFileError(
            f"{path.name} is not an nps-batch file of version 1 "
            f"({describe(exc)}). Export it again with the kiosk."
        ) from exc


def batch_file_device(file: BatchFileV1) -> str:
    device = file.batch.get("device_id")
    if not isinstance(device, str):
        raise BatchFileError("The batch file names no device_id; export it again with the kiosk.")
    return device


def verify_batch_file(file: BatchFileV1, *, secret: bytes) -> None:
    """Raise BadBatchSignature unless the file was signed with ``secret``."""
    expected = batch_signature(file.batch, secret=secret)
    if not hmac.compare_digest(expected.encode("ascii"), file.signature.encode("ascii", "replace")):
        raise BadBatchSignature(
            f"The signature of batch {file.batch.get('batch_id')!r} does not match device "
            f"{file.batch.get('device_id')!r}'s secret: the file was changed or made by another "
            "device. Nothing from it was imported; export it again on the kiosk."
        )


def now_utc() -> datetime:
    return datetime.now(UTC)


def decode_secret(text: str) -> bytes:
    """The device secret from its base64url form in :class:`EnrollReplyV1`."""
    return _unb64(text)


def encode_secret(secret: bytes) -> str:
    return _b64(secret)
