"""The kiosk's tables (SQLAlchemy 2 declarative). Changed only through Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
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
    time_to_answer_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="incomplete")
    completion: Mapped[str | None] = mapped_column(String(16))  # done|skip|timeout|recovered
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    suspect: Mapped[bool] = mapped_column(Boolean, default=False)
    suspect_reason: Mapped[str | None] = mapped_column(String(120))
    # Sync state, used by the outbox: pending -> synced | quarantined (| exported).
    sync_state: Mapped[str] = mapped_column(String(16), default="pending")
    synced_at: Mapped[datetime | None] = mapped_column(DateTime)
    sync_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("device_id", "seq", name="uq_responses_device_seq"),
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
        CheckConstraint("status IN ('incomplete', 'complete')", name="status_known"),
        CheckConstraint("category IN ('detractor', 'passive', 'promoter')", name="category_known"),
        Index("ix_responses_device_time", "device_time"),
        Index("ix_responses_outbox", "sync_state", "status", "seq"),
    )


class PinStateRow(Base):
    """The admin PIN gate's lockout state (one row), kept so that a restart does not reset it."""

    __tablename__ = "pin_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # wrong tries since the last lock
    lockouts: Mapped[int] = mapped_column(Integer, default=0)  # locks since the last success
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class AuditRow(Base):
    """Who did what behind the PIN: PIN successes and failures, settings, exports, erasures."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON, never contact details
