"""What the kiosk says about itself with each protocol v2 batch (core.protocol.DeviceHealthV1).

Cheap by construction, so that it can ride on every batch: one row of ``sync_status``, the
schema revision, the page count, a count over the partial outbox index (the unsent rows only),
the per-day rollups of the last 30 days (a few hundred rows at most) and a ``statvfs``. Nothing
scans the responses table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.protocol import DeviceHealthV1
from kiosk.db import Database, utcnow
from kiosk.storage import free_bytes
from sync.client import kiosk_version
from sync.ledger import UNSENT

SUSPECT_WINDOW_DAYS = 30


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def collect(db: Database, *, now: datetime | None = None) -> DeviceHealthV1:
    """The device's health now. ``started_at`` is when this process opened the database."""
    now = now or utcnow()
    since = (now - timedelta(days=SUSPECT_WINDOW_DAYS)).date().isoformat()
    with db.reading() as s:
        conn = s.connection()
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 0
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar() or 0
        backlog, oldest = conn.exec_driver_sql(
            f"SELECT count(*), min(device_time) FROM {UNSENT}"
        ).one()
        status = conn.exec_driver_sql(
            "SELECT clock_offset_s, recoveries_since_sync FROM sync_status WHERE id = 1"
        ).first()
        total, suspect = conn.exec_driver_sql(
            "SELECT coalesce(sum(n), 0), coalesce(sum(CASE WHEN suspect THEN n ELSE 0 END), 0) "
            "FROM daily_rollups WHERE day >= ? AND channel = 'kiosk'",
            (since,),
        ).one()
    try:
        free: int | None = free_bytes(db)
    except OSError:
        free = None
    return DeviceHealthV1(
        app_version=kiosk_version()[:40],
        schema_revision=str(revision) if revision else None,
        db_bytes=int(pages) * int(page_size),
        free_disk_bytes=free,
        backlog=int(backlog or 0),
        oldest_pending_at=_aware(oldest),
        clock_offset_s=float(status[0]) if status and status[0] is not None else None,
        started_at=_aware(db.opened_at),
        recoveries_since_sync=int(status[1] or 0) if status else 0,
        suspect_rate=(int(suspect) / int(total)) if total else None,
        profile_version=db.settings().profile_version,
    )
