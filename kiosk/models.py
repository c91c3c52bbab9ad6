"""The kiosk's tables (SQLAlchemy 2 declarative). Changed only through Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# A naming convention so that Alembic's batch mode on SQLite can find and alter constraints.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SettingRow(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ResponseRow(Base):
    """One customer's answer: the score from the tap, then the follow-up on the same row."""

    __tablename__ = "responses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUIDv7 made on the device
    seq: Mapped[int] = mapped_column(Integer)  # per-device sequence number, from 1
    store_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), default="kiosk")  # kiosk | qr
    language: Mapped[str] = mapped_column(String(8))
    question_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of reason keys
    comment: Mapped[str | None] = mapped_column(Text)
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_detail: Mapped[str | None] = mapped_column(Text)  # phone or email
    device_time: Mapped[datetime] = mapped_column(DateTime)  # UTC, naive
    # The store's local date at device_time (YYYY-MM-DD, in the time_zone setting), written
    # with the row: the rollup triggers key by it (revision 0005).
    local_day: Mapped[str | None] = mapped_column(String(10))
    time_to_answer_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="incomplete")
    completion: Mapped[str | None] = mapped_column(String(16))  # done|skip|timeout|recovered
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    suspect: Mapped[bool] = mapped_column(Boolean, default=False)
    suspect_reason: Mapped[str | None] = mapped_column(String(120))
    # The published survey version (HQ's chain-wide id) the answer was asked with, from the
    # store profile applied when it was recorded; NULL without one (revision 0006).
    survey_version: Mapped[int | None] = mapped_column(Integer)
    # The exact contact opt-in wording the customer ticked; NULL without consent (0007).
    consent_text: Mapped[str | None] = mapped_column(Text)
    # Sync state, used by the outbox: pending -> synced | quarantined (| exported).
    sync_state: Mapped[str] = mapped_column(String(16), default="pending")
    synced_at: Mapped[datetime | None] = mapped_column(DateTime)
    sync_error: Mapped[str | None] = mapped_column(Text)
    # Fake demo data made by `nps-kiosk seed` (revision 0002); such rows are never uploaded.
    seeded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        UniqueConstraint("device_id", "seq", name="uq_responses_device_seq"),
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
        CheckConstraint("status IN ('incomplete', 'complete')", name="status_known"),
        CheckConstraint("category IN ('detractor', 'passive', 'promoter')", name="category_known"),
        Index("ix_responses_device_time", "device_time"),
        Index("ix_responses_outbox", "sync_state", "status", "seq"),
        # Follow-up cases: detractors who agreed to be contacted (revision 0002).
        Index("ix_responses_contact", "device_time", sqlite_where=text("contact_consent = 1")),
    )


class PinStateRow(Base):
    """The admin PIN gate's lockout state (one row), kept so that a restart does not reset it."""

    __tablename__ = "pin_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # wrong tries since the last lock
    lockouts: Mapped[int] = mapped_column(Integer, default=0)  # locks since the last success
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)  # for display only
    # The lock is counted on the monotonic clock, which moving the wall clock does not move:
    # seconds of lock left, as counted at the monotonic reading lock_mono_s.
    lock_left_s: Mapped[float | None] = mapped_column(Float)
    lock_mono_s: Mapped[float | None] = mapped_column(Float)


class AuditRow(Base):
    """Who did what behind the PIN: PIN successes and failures, settings, exports, erasures."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON, never contact details


class DailyRollupRow(Base):
    """Score counts per store-local day (UTC until 0005), channel, language and suspect flag
    (revision 0002).

    Kept by SQLite triggers on ``responses`` (see migration 0002), so every write that touches a
    response updates its rollup in the same transaction, whoever makes it.
    """

    __tablename__ = "daily_rollups"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, local
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    suspect: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    score: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)

    __table_args__ = {"sqlite_with_rowid": False}


class DailyCompletionRow(Base):
    """How complete responses ended (done, skip, timeout, recovered) per local day (0002)."""

    __tablename__ = "daily_completions"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    suspect: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    completion: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)

    __table_args__ = {"sqlite_with_rowid": False}


class QuestionVersionRow(Base):
    """The wording of each question version; a response keeps the version it was asked (0002)."""

    __tablename__ = "question_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    texts: Mapped[str] = mapped_column(Text)  # JSON {question, label_low, label_high} by language
    created_at: Mapped[datetime] = mapped_column(DateTime)


class FollowUpCaseRow(Base):
    """The manager's handling of a detractor who asked to be contacted (revision 0002).

    A case exists for every complete detractor response with contact consent; this row appears
    the first time the manager changes its state or writes a note (until then it is "open").
    """

    __tablename__ = "followup_cases"

    response_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the case was last resolved; NULL while it is not (revision 0007): the retention
    # clock of its contact details.
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Revision 0008: who last set the state or note and when (UTC; last writer wins by it),
    # where ('kiosk' or 'hq'), and whether HQ still has to take this kiosk's change (0: taken
    # or nothing to send; else bumped by every change here) and when it last went out.
    changed_by: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    changed_from: Mapped[str | None] = mapped_column(String(8))
    hq_pending: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hq_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # This kiosk's change that a later one from HQ replaced before HQ took it (JSON state, by,
    # at; no note): still sent, so that HQ audits it too.
    hq_superseded: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("state IN ('open', 'contacted', 'resolved')", name="state_known"),
    )


# -- Sync (revision 0003) -------------------------------------------------------------------------

# The outbox reads "complete, not yet acknowledged by HQ, not demo data" in seq order; this
# partial index holds exactly those rows, so neither the next batch nor the pending count
# scans the synced history. The WHERE text must match sync.ledger.UNSENT word for word.
UNSENT_WHERE = "status = 'complete' AND sync_state IN ('pending', 'exported') AND seeded = 0"
Index("ix_responses_unsent", ResponseRow.seq, sqlite_where=text(UNSENT_WHERE))


class SyncBatchRow(Base):
    """The ledger: one row per batch HQ answered (or per batch file written), for the manager."""

    __tablename__ = "sync_batches"

    batch_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # upload | file
    at: Mapped[datetime] = mapped_column(DateTime, index=True)  # kiosk clock, UTC
    size: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    server_time: Mapped[datetime | None] = mapped_column(DateTime)  # HQ's clock, UTC
    file_name: Mapped[str | None] = mapped_column(Text)  # for kind "file"

    __table_args__ = (CheckConstraint("kind IN ('upload', 'file')", name="kind_known"),)


class SyncStatusRow(Base):
    """The outbox's state (one row, id 1), kept so that a restart shows the same picture.

    The device token and secret are not here: they live in a file readable by the kiosk's user
    only (kiosk.credentials)."""

    __tablename__ = "sync_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hq_url: Mapped[str | None] = mapped_column(Text)
    public_url: Mapped[str | None] = mapped_column(Text)  # for QR links; default hq_url
    ca_bundle: Mapped[str | None] = mapped_column(Text)
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row, since the last success
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)  # HQ answered 401/403
    clock_offset_s: Mapped[float | None] = mapped_column(Float)  # HQ clock minus kiosk clock
    phone_cursor: Mapped[str | None] = mapped_column(String(64))
    phone_pulled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Revision 0006: crash recoveries not yet reported to HQ (health), the last profile refused.
    recoveries_since_sync: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    profile_error: Mapped[str | None] = mapped_column(Text)
    profile_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Revision 0007: where the pull of HQ's erasures (GET /api/v1/erasures) stopped.
    erasure_cursor: Mapped[str | None] = mapped_column(String(64))
    erasures_pulled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Revision 0008: where the pull of HQ's case changes (GET /api/v1/cases) stopped.
    case_cursor: Mapped[str | None] = mapped_column(String(64))
    cases_pulled_at: Mapped[datetime | None] = mapped_column(DateTime)


class StoreProfileRow(Base):
    """The store profile HQ sent (one row, id 1), kept signed exactly as received, so that it
    can be checked again; ``applied_at`` is when its settings were written (revision 0006)."""

    __tablename__ = "store_profile"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    store_id: Mapped[str] = mapped_column(String(64))
    signed: Mapped[str] = mapped_column(Text)  # core.profile.SignedProfileV1 JSON
    received_at: Mapped[datetime] = mapped_column(DateTime)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)


class ErasureQueueRow(Base):
    """A response erased on this kiosk that HQ has not confirmed erasing yet (revision 0007):
    sent in the next protocol v2 batch's ``erasures``, deleted when a reply lists it in
    ``erased``. Only the id: no personal data."""

    __tablename__ = "erasure_queue"

    response_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
