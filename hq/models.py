"""HQ's tables (SQLAlchemy 2). Times are naive UTC. Changed only through hq/migrations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# An auto-incrementing 64-bit key on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class StoreRow(Base):
    __tablename__ = "stores"

    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Poster codes issued before this are refused as replaced (nps-hq revoke-posters).
    posters_not_before: Mapped[datetime | None] = mapped_column(DateTime)
    # The profile's IANA time zone, cached for ingest and reads (hq.rollups keeps it current
    # and rebuilds the store's rollups when it changes).
    time_zone: Mapped[str] = mapped_column(String(64), server_default="UTC")


class DeviceRow(Base):
    """An enrolled kiosk. Its secret is derived from the server key and ``secret_salt``, so the
    database alone never holds a usable secret; only the token's SHA-256 is kept."""

    __tablename__ = "devices"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.store_id"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    secret_salt: Mapped[str | None] = mapped_column(String(64))
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_backlog: Mapped[int | None] = mapped_column(Integer)
    last_device_time: Mapped[datetime | None] = mapped_column(DateTime)  # its clock at last sync
    # Protocol v2: the last core.protocol.DeviceHealthV1 the kiosk sent (JSON), when HQ got
    # it, and the profile version the kiosk said it applied.
    health: Mapped[str | None] = mapped_column(Text)
    health_at: Mapped[datetime | None] = mapped_column(DateTime)
    profile_version: Mapped[int | None] = mapped_column(Integer)
    # Its clock as HQ measured it at the last upload (hq.device_clock): the batch's sent_at as
    # the device said it (never clamped), HQ's receive time minus that in seconds (positive:
    # the device is behind), and the newest corrected time of its answers HQ has.
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    clock_offset_s: Mapped[float | None] = mapped_column(Float)
    newest_answer_at: Mapped[datetime | None] = mapped_column(DateTime)


class EnrollmentCodeRow(Base):
    __tablename__ = "enrollment_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class ApiTokenRow(Base):
    """An API token: reads the analyst API, never ingests. Every store's data as an analyst
    does, or (``groups``, a JSON list; revision 0011) only the stores of those groups as a
    viewer does; contact details only with ``contact``."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    contact: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    groups: Mapped[str | None] = mapped_column(Text)


class AnalystRow(Base):
    """A dashboard user (the table keeps its first name). ``role`` is a hq.roles.Role value;
    a removed user keeps the row (for the audit log) with ``disabled_at`` set."""

    __tablename__ = "analysts"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # scrypt$...
    created_at: Mapped[datetime] = mapped_column(DateTime)
    role: Mapped[str] = mapped_column(String(16), server_default="owner")
    contact: Mapped[bool] = mapped_column(Boolean, server_default=false())
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("role IN ('owner', 'admin', 'analyst', 'viewer')", name="role_known"),
    )


class UserGroupRow(Base):
    """A viewer's scope: the store groups whose stores they may read (many to many)."""

    __tablename__ = "user_groups"

    username: Mapped[str] = mapped_column(ForeignKey("analysts.username"), primary_key=True)
    group_id: Mapped[str] = mapped_column(
        ForeignKey("store_groups.group_id"), primary_key=True, index=True
    )


class LoginSessionRow(Base):
    """A signed-in browser. ``id`` is the SHA-256 of the cookie value, so the table alone
    cannot be replayed; deleting the row signs the browser out at once."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("analysts.username"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    csrf_token: Mapped[str] = mapped_column(String(64))


class LoginFailureRow(Base):
    """Failed sign-ins per account ("user:NAME") or client ("ip:ADDR"), with the lockout they
    earned; in the database so that every HQ process sees them."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class AuditRow(Base):
    """Who changed what at HQ, when (append-only)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)


class BatchRow(Base):
    """Each batch as first received (a resend finds its row and changes nothing)."""

    __tablename__ = "batches"

    batch_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))  # http | file
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    accepted: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)


class ResponseRow(Base):
    """One customer answer from any store, stored exactly once (``id`` is unique)."""

    __tablename__ = "responses"

    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)  # the cursor
    id: Mapped[str] = mapped_column(String(36), unique=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    store_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    question_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[str] = mapped_column(Text)  # JSON list
    comment: Mapped[str | None] = mapped_column(Text)
    contact_consent: Mapped[bool] = mapped_column(Boolean)
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_detail: Mapped[str | None] = mapped_column(Text)
    device_time: Mapped[datetime] = mapped_column(DateTime)  # the device's clock, as sent
    # The device time shifted by the device's clock offset as HQ measured it (hq.device_clock);
    # what every figure, filter and day uses. clock_corrected: it was off by more than 5 min.
    corrected_time: Mapped[datetime] = mapped_column(DateTime)
    clock_corrected: Mapped[bool] = mapped_column(Boolean, server_default=false())
    time_to_answer_ms: Mapped[int | None] = mapped_column(Integer)
    completion: Mapped[str] = mapped_column(String(16))
    suspect: Mapped[bool] = mapped_column(Boolean)
    suspect_reason: Mapped[str | None] = mapped_column(String(120))
    survey_version: Mapped[int | None] = mapped_column(Integer)  # None: a v1 answer
    # The contact opt-in's wording as the customer saw it (a v2 kiosk sends it with a consent;
    # migration 0009_consent). None: see the survey version's consent (hq.privacy.agreed_to).
    consent_text: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the wire content, or hq.privacy.SCRUBBED_HASH once erased or purged (any
    # resend of the id is then a duplicate: the scrub stays, and no hash of the erased values
    # is kept that a guess could be checked against).
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    batch_id: Mapped[str | None] = mapped_column(String(36))
    # When an erasure or the retention purge scrubbed contact details or the comment.
    scrubbed_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
        CheckConstraint("channel IN ('kiosk', 'qr')", name="channel_known"),
        Index("ix_responses_store_time", "store_id", "device_time"),
        Index("ix_responses_corrected_time", "corrected_time"),
        Index("ix_responses_store_channel_pk", "store_id", "channel", "pk"),
    )


class ErasureRow(Base):
    """A tombstone: one erased response (no personal data). ``id`` is the cursor kiosks of
    ``store_id`` pull erasures by (GET /api/v1/erasures); ``request_id`` groups the responses
    of one erasure; ``by`` is the user, "cli" or "device <id>"; ``source`` hq | device. A
    response HQ did not have yet (a kiosk erased it before sending it) also gets one, and
    arrives scrubbed."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    response_id: Mapped[str] = mapped_column(String(36), unique=True)
    store_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        CheckConstraint("source IN ('hq', 'device')", name="source_known"),
        Index("ix_erasures_store_cursor", "store_id", "id"),
    )


class UsedNonceRow(Base):
    """Nonces of single-use phone links already answered (the primary key refuses a reuse)."""

    __tablename__ = "used_nonces"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(DateTime)
    response_id: Mapped[str] = mapped_column(String(36))


class RateCounterRow(Base):
    """Poster-code answers per client per hour (in the database, so every worker sees them)."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


# Store groups and alerts (issue 8) ---------------------------------------------------------


class StoreGroupRow(Base):
    """A set of stores: a region, a format, a franchisee (``kind`` says which)."""

    __tablename__ = "store_groups"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class StoreGroupMemberRow(Base):
    """A store's membership of a group; a store is in at most one group of each kind."""

    __tablename__ = "store_group_members"

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.store_id"), primary_key=True)
    group_id: Mapped[str] = mapped_column(
        ForeignKey("store_groups.group_id"), primary_key=True, index=True
    )


class WebhookRow(Base):
    """A receiver of signed alert webhooks. Its secret is derived from the server key and
    ``secret_salt`` (like device secrets), so the database alone cannot sign."""

    __tablename__ = "webhooks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret_salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)


class AlertRuleRow(Base):
    """What to watch (``kind`` + JSON ``params``), where (a store, a group or the chain), and
    who hears about it (JSON ``recipients``), at once or in a daily digest."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    store_id: Mapped[str | None] = mapped_column(String(64))
    group_id: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[str] = mapped_column(Text)  # JSON object
    recipients: Mapped[str] = mapped_column(Text)  # JSON list of "email:ADDR[;contact]", ...
    mode: Mapped[str] = mapped_column(String(16))  # now | digest
    created_at: Mapped[datetime] = mapped_column(DateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (CheckConstraint("mode IN ('now', 'digest')", name="mode_known"),)


class AlertRow(Base):
    """One alert, made once (``dedupe_key`` is unique): a response's alert is written in the
    same transaction as the response."""

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rule_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    store_id: Mapped[str | None] = mapped_column(String(64), index=True)
    response_id: Mapped[str | None] = mapped_column(String(36), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    summary: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)  # JSON, with contact details if any
    created_at: Mapped[datetime] = mapped_column(DateTime)


class DeliveryRow(Base):
    """The outbox: one message to one recipient. ``body`` is fixed when the row is made, so
    every retry sends the same bytes. Digest items wait as ``held`` until their digest is made.
    """

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    alert_id: Mapped[str | None] = mapped_column(String(36), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    target: Mapped[str] = mapped_column(String(320))  # an address or a webhook name
    kind: Mapped[str] = mapped_column(String(16))  # alert | digest
    body: Mapped[str] = mapped_column(Text)  # JSON
    status: Mapped[str] = mapped_column(String(16))  # pending | held | digested | sent | failed
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    digest_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (Index("ix_deliveries_status_next", "status", "next_attempt_at"),)


class DeliveryAttemptRow(Base):
    """Each try at sending a delivery, for the delivery log."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(Text)  # "HTTP 200", "connection refused", "250 OK"
    duration_ms: Mapped[int] = mapped_column(Integer)


# Store profiles and survey versions (issue "HQ runs the fleet") -------------------------------


class ProfileSettingsRow(Base):
    """Profile settings set at one level: the chain (``scope_id`` ''), a group or a store.
    ``settings`` is a JSON object of the keys set there (hq.profiles.SETTING_KEYS); a store's
    profile is the chain's defaults, overridden by its groups, overridden by its own."""

    __tablename__ = "profile_settings"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)  # chain | group | store
    scope_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    settings: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(120))

    __table_args__ = (CheckConstraint("scope IN ('chain', 'group', 'store')", name="scope_known"),)


class StoreProfileVersionRow(Base):
    """The current version of each store's resolved profile, and the hash of its content:
    the version grows by one whenever a change (of the store, a group, the chain or a survey it
    uses) changes that content. No row: version 1."""

    __tablename__ = "store_profile_versions"

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.store_id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(DateTime)


class SurveyRow(Base):
    """A published survey version: immutable, ``id`` chain-wide (1 is the built-in
    "Default"). ``form`` names the survey it is a version of; a store asking a form asks its
    newest version."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    form: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(120))
    languages: Mapped[str] = mapped_column(Text)  # JSON list, in order
    texts: Mapped[str] = mapped_column(Text)  # JSON {lang: core.profile.SurveyTexts}
    published_at: Mapped[datetime] = mapped_column(DateTime)
    published_by: Mapped[str] = mapped_column(String(120))


class SurveyDraftRow(Base):
    """The draft of a survey form, edited and previewed until it is published."""

    __tablename__ = "survey_drafts"

    form: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    languages: Mapped[str] = mapped_column(Text)
    texts: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(120))


# Rollups (issue "Chain scale"; hq/rollups.py) -------------------------------------------------


# The six counts every rollup table keeps (hq.rollups), after its key columns.
COUNTS = (
    "promoters",
    "passives",
    "detractors",
    "suspect_promoters",
    "suspect_passives",
    "suspect_detractors",
)


class _Counts:
    promoters: Mapped[int] = mapped_column(Integer, sort_order=10)
    passives: Mapped[int] = mapped_column(Integer, sort_order=10)
    detractors: Mapped[int] = mapped_column(Integer, sort_order=10)
    suspect_promoters: Mapped[int] = mapped_column(Integer, sort_order=10)
    suspect_passives: Mapped[int] = mapped_column(Integer, sort_order=10)
    suspect_detractors: Mapped[int] = mapped_column(Integer, sort_order=10)


class RollupRow(_Counts, Base):
    """Counts per store x store-local day x channel x language x survey version (0: a v1
    answer), suspect responses apart; kept in the ingest transaction."""

    __tablename__ = "nps_rollups"

    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    survey_version: Mapped[int] = mapped_column(Integer, primary_key=True)

    __table_args__ = (Index("ix_nps_rollups_day", "day"),)


class DayRollupRow(_Counts, Base):
    """The same counts per store x store-local day only (what most reads sum)."""

    __tablename__ = "nps_day_rollups"

    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)

    # Covering: a range of days over every store is read from the index alone.
    __table_args__ = (
        Index(
            "ix_nps_day_rollups_day",
            "day",
            "store_id",
            *COUNTS,
        ),
    )


class WeekRollupRow(_Counts, Base):
    """The same counts per store x store-local ISO week (``week``: its Monday): the whole
    weeks of a read's range (migration 0010_coarse_rollups)."""

    __tablename__ = "nps_week_rollups"

    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)

    __table_args__ = (
        Index(
            "ix_nps_week_rollups_week",
            "week",
            "store_id",
            *COUNTS,
        ),
    )


# Follow-up cases (issue 15; hq/cases.py) ------------------------------------------------------


class CaseRow(Base):
    """The current state of a follow-up case, once someone changed it (a complete detractor
    answer with contact consent is an ``open`` case until then). ``change_id`` is the cursor
    kiosks of ``store_id`` pull changes by (GET /api/v1/cases): every change takes the next
    value (unique, so two writers on PostgreSQL cannot take the same one and commit out of
    order). ``device_id``: the kiosk whose change this is (None: made at HQ), which is not sent
    its own change back. ``resolved_at``: when it was resolved (None unless resolved), for the
    retention purge; ``reopened_at``: when it was last reopened. ``note`` may hold personal
    data: erasure and the purge scrub it."""

    __tablename__ = "cases"

    response_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    device_id: Mapped[str | None] = mapped_column(String(64))
    change_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When it was last reopened (resolved, then open or contacted again): a new episode for
    # the case_overdue alert rule, whose hours then count from here.
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime)
    episode: Mapped[int] = mapped_column(Integer, server_default="0")  # reopenings so far

    __table_args__ = (
        CheckConstraint("state IN ('open', 'contacted', 'resolved')", name="state_known"),
        Index("ix_cases_store_change", "store_id", "change_id"),
        Index("ix_cases_resolved_at", "resolved_at"),
    )
