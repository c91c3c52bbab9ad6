"""HQ's tables (SQLAlchemy 2). Times are naive UTC. Changed only through hq/migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
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


class EnrollmentCodeRow(Base):
    __tablename__ = "enrollment_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class ApiTokenRow(Base):
    """An analyst's API token (read access to every store's data; never ingest)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class AnalystRow(Base):
    __tablename__ = "analysts"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # scrypt$...
    created_at: Mapped[datetime] = mapped_column(DateTime)


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
    device_time: Mapped[datetime] = mapped_column(DateTime)
    time_to_answer_ms: Mapped[int | None] = mapped_column(Integer)
    completion: Mapped[str] = mapped_column(String(16))
    suspect: Mapped[bool] = mapped_column(Boolean)
    suspect_reason: Mapped[str | None] = mapped_column(String(120))
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    batch_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
        CheckConstraint("channel IN ('kiosk', 'qr')", name="channel_known"),
        Index("ix_responses_store_time", "store_id", "device_time"),
        Index("ix_responses_device_time", "device_time"),
        Index("ix_responses_store_channel_pk", "store_id", "channel", "pk"),
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
