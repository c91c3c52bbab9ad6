"""Device health across the fleet: what each kiosk said about itself in its last protocol v2
batch (``devices.health``, core.protocol.DeviceHealthV1), set against the chain (the newest app
version any active kiosk runs) and its store (the store's current profile version, its time
zone). The Devices page, ``GET /api/v1/devices`` and the health alert rules (hq.alerts) all read
it from here. Nothing new is stored: it is the last report, as kept by ingest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from hq.db import utcnow
from hq.models import DeviceRow, StoreProfileVersionRow, StoreRow
from hq.service import Hq

MB = 1024 * 1024
# What the page highlights (the alert rules take their own thresholds).
LOW_DISK_MB = 200
CLOCK_SKEW_S = 300
NOT_SYNCING_HOURS = 24


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """A sort key for app versions: "0.10.0" after "0.9.2", "1.0.0" after "1.0.0rc1"; each
    dot-separated part by its leading number, then the rest (an empty rest sorts last, so a
    release comes after its pre-releases)."""
    out: list[tuple[int, str]] = []
    for part in re.split(r"[.+-]", version.strip().lstrip("vV")):
        m = re.match(r"(\d*)(.*)", part)
        assert m is not None  # the pattern matches any string
        number, rest = m.group(1), m.group(2)
        out.append((int(number) if number else -1, rest or "~"))
    return tuple(out)


def newest_version(versions: Iterable[str | None]) -> str | None:
    seen = [v for v in versions if v]
    return max(seen, key=version_key) if seen else None


def is_behind(version: str | None, newest: str | None) -> bool:
    return bool(version and newest and version_key(version) < version_key(newest))


@dataclass(frozen=True)
class DeviceHealth:
    """One kiosk's last report, ready to show (times in its store's zone) or to serve."""

    device_id: str
    store_id: str
    store_name: str
    time_zone: str
    state: str  # active | revoked | not enrolled
    app_version: str | None
    newest_version: str | None
    behind: bool
    schema_revision: str | None
    db_bytes: int | None
    free_disk_bytes: int | None
    backlog: int | None
    oldest_pending_at: datetime | None
    clock_offset_s: float | None
    started_at: datetime | None
    recoveries_since_sync: int | None
    suspect_rate: float | None
    profile_applied: int | None
    profile_current: int
    last_sync_at: datetime | None  # naive UTC, HQ's clock
    health_at: datetime | None  # naive UTC
    problems: tuple[str, ...]

    def local(self, when: datetime | None) -> str:
        """A time as the store's people read it, with the zone's abbreviation."""
        if when is None:
            return ""
        from hq.rollups import zone

        aware = when if when.tzinfo else when.replace(tzinfo=UTC)
        local = aware.astimezone(zone(self.time_zone))
        return f"{local.strftime('%d %b %Y %H:%M')} {local.tzname()}"

    def as_json(self) -> dict[str, Any]:
        def iso(when: datetime | None) -> str | None:
            if when is None:
                return None
            aware = when if when.tzinfo else when.replace(tzinfo=UTC)
            return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")

        return {
            "device_id": self.device_id,
            "store_id": self.store_id,
            "store_name": self.store_name,
            "time_zone": self.time_zone,
            "state": self.state,
            "app_version": self.app_version,
            "newest_version": self.newest_version,
            "behind": self.behind,
            "schema_revision": self.schema_revision,
            "db_bytes": self.db_bytes,
            "free_disk_bytes": self.free_disk_bytes,
            "backlog": self.backlog,
            "oldest_pending_at": iso(self.oldest_pending_at),
            "clock_offset_s": self.clock_offset_s,
            "started_at": iso(self.started_at),
            "recoveries_since_sync": self.recoveries_since_sync,
            "suspect_rate": self.suspect_rate,
            "profile_applied": self.profile_applied,
            "profile_current": self.profile_current,
            "last_sync_at": iso(self.last_sync_at),
            "last_sync_local": self.local(self.last_sync_at) or None,
            "health_at": iso(self.health_at),
            "problems": list(self.problems),
        }


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def problems_of(
    health: dict[str, Any],
    *,
    behind: bool,
    profile_current: int,
    last_sync_at: datetime | None,
    now: datetime,
) -> tuple[str, ...]:
    """What the page highlights for one active device."""
    out = []
    free = health.get("free_disk_bytes")
    if free is not None and free < LOW_DISK_MB * MB:
        out.append("low disk")
    offset = health.get("clock_offset_s")
    if offset is not None and abs(offset) > CLOCK_SKEW_S:
        out.append("clock skew")
    if behind:
        out.append("behind")
    applied = health.get("profile_version")
    if health and applied != profile_current:
        out.append("profile not applied")
    if last_sync_at is None or last_sync_at < now - timedelta(hours=NOT_SYNCING_HOURS):
        out.append("not syncing")
    return tuple(out)


def device_health(
    hq: Hq, *, store_ids: frozenset[str] | None = None, now: datetime | None = None
) -> list[DeviceHealth]:
    """Every enrolled device in ``store_ids`` (None: all), by store then device. The newest
    version is the chain's, whatever the caller may see."""
    now = now or utcnow()
    with hq.db.reading() as s:
        stores = {
            r.store_id: (r.name, r.time_zone or "UTC")
            for r in s.execute(select(StoreRow.store_id, StoreRow.name, StoreRow.time_zone))
        }
        current = dict(
            s.execute(select(StoreProfileVersionRow.store_id, StoreProfileVersionRow.version)).all()
        )
        rows = list(
            s.scalars(
                select(DeviceRow)
                .where(DeviceRow.enrolled_at.is_not(None))
                .order_by(DeviceRow.store_id, DeviceRow.device_id)
            )
        )
    reports = {r.device_id: json.loads(r.health) if r.health else {} for r in rows}
    newest = newest_version(
        reports[r.device_id].get("app_version") for r in rows if r.revoked_at is None
    )
    out = []
    for r in rows:
        if store_ids is not None and r.store_id not in store_ids:
            continue
        h = reports[r.device_id]
        name, tz = stores.get(r.store_id, (r.store_id, "UTC"))
        behind = is_behind(h.get("app_version"), newest)
        profile_current = int(current.get(r.store_id) or 1)
        revoked = r.revoked_at is not None
        out.append(
            DeviceHealth(
                device_id=r.device_id,
                store_id=r.store_id,
                store_name=name,
                time_zone=tz,
                state="revoked" if revoked else "active",
                app_version=h.get("app_version"),
                newest_version=newest,
                behind=behind,
                schema_revision=h.get("schema_revision"),
                db_bytes=h.get("db_bytes"),
                free_disk_bytes=h.get("free_disk_bytes"),
                backlog=h.get("backlog", r.last_backlog),
                oldest_pending_at=_time(h.get("oldest_pending_at")),
                clock_offset_s=h.get("clock_offset_s"),
                started_at=_time(h.get("started_at")),
                recoveries_since_sync=h.get("recoveries_since_sync"),
                suspect_rate=h.get("suspect_rate"),
                profile_applied=h.get("profile_version", r.profile_version),
                profile_current=profile_current,
                last_sync_at=r.last_sync_at,
                health_at=r.health_at,
                problems=()
                if revoked
                else problems_of(
                    h,
                    behind=behind,
                    profile_current=profile_current,
                    last_sync_at=r.last_sync_at,
                    now=now,
                ),
            )
        )
    return out
