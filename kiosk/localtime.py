"""The store's local time: its zone, its days and its opening hours (stored times are UTC).

Every day, week and hour a person reads is the store's: a response's day is its local date
(kept on the row as ``local_day`` by whoever writes it, because the rollup triggers cannot call
zoneinfo), and a range of local dates becomes the UTC instants of their local midnights.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

OpeningHours = Mapping[str, Sequence[Sequence[str]]]


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The zone of an IANA name (validated by kiosk.settings); "" is UTC."""
    return ZoneInfo(name or "UTC")


def is_zone_name(name: str) -> bool:
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _name_from_path(path: str) -> str | None:
    marker = "zoneinfo/"
    if marker not in path:
        return None
    name = path.rsplit(marker, 1)[1]
    return name.removeprefix("posix/").removeprefix("right/")


def machine_zone() -> str:
    """The machine's own zone name, found the way tzlocal does it (TZ, /etc/timezone, the
    /etc/localtime link), or "UTC" when it cannot be told (e.g. Windows: set it in Settings)."""
    candidates: list[str | None] = []
    tz = os.environ.get("TZ", "").strip().removeprefix(":")
    if tz:
        candidates += [_name_from_path(tz) if "/zoneinfo/" in tz else tz]
    try:
        candidates.append(Path("/etc/timezone").read_text("utf-8").strip())
    except OSError:
        pass
    try:
        candidates.append(_name_from_path(os.path.realpath("/etc/localtime")))
    except OSError:
        pass
    for name in candidates:
        if name and is_zone_name(name):
            return "UTC" if name in ("Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu") else name
        if tz:  # a TZ the zone database does not know: libc runs on UTC, so do we
            break
    return "UTC"


def to_local(at: datetime, tz: ZoneInfo) -> datetime:
    """A stored (naive UTC) time as an aware time in the store's zone."""
    return at.replace(tzinfo=UTC).astimezone(tz)


def local_day(at: datetime, tz: ZoneInfo) -> date:
    """The store's date at a stored (naive UTC) time."""
    return to_local(at, tz).date()


def local_today(tz: ZoneInfo, now: datetime | None = None) -> date:
    return local_day(now or datetime.now(UTC).replace(tzinfo=None), tz)


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time in the store's zone as a naive UTC time. A repeated time
    (fall-back) is its first occurrence; a time skipped by a spring-forward is read with the
    offset before the jump (02:30 on a 02:00->03:00 night is 03:30), so a local midnight that
    does not exist starts the day at the moment the clocks jumped."""
    if local.tzinfo is not None:
        return local.astimezone(UTC).replace(tzinfo=None)
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC).replace(tzinfo=None)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant (naive) at which the store's ``day`` begins."""
    return to_utc(datetime.combine(day, time.min), tz)


def day_bounds(
    since: date | None, until: date | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """Local dates ``since`` to ``until`` (inclusive) as UTC instants [lo, hi)."""
    lo = day_start(since, tz) if since else None
    hi = day_start(until + timedelta(days=1), tz) if until else None
    return lo, hi


def zone_label(at: datetime, tz: ZoneInfo) -> str:
    """The zone's abbreviation at that time (IST, EDT, AEDT), or its UTC offset (+04)."""
    local = to_local(at, tz)
    abbr = local.tzname() or ""
    if abbr and abbr[0] in "+-":
        offset = local.utcoffset() or timedelta()
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "−"
        h, m = divmod(abs(minutes), 60)
        return f"UTC{sign}{h:02d}:{m:02d}"
    return abbr


def format_local(at: datetime, tz: ZoneInfo, fmt: str = "%d %b %Y, %H:%M") -> str:
    """A stored (naive UTC) time as the store's wall-clock time with its zone: '14:05 IST'."""
    return f"{to_local(at, tz).strftime(fmt)} {zone_label(at, tz)}"


def _minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def is_open(local: datetime, hours: OpeningHours) -> bool:
    """Whether a local wall-clock time is within the opening hours. No hours: always open.
    A weekday without hours is closed; a closing time before the opening time (18:00-02:00)
    runs past midnight into the next day."""
    if not hours:
        return True
    minute = local.hour * 60 + local.minute
    today = WEEKDAYS[local.weekday()]
    yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
    for start, end in hours.get(today, ()):
        lo, hi = _minutes(start), _minutes(end)
        if (lo < hi and lo <= minute < hi) or (hi <= lo and minute >= lo):
            return True
    for start, end in hours.get(yesterday, ()):
        lo, hi = _minutes(start), _minutes(end)
        if hi <= lo and minute < hi:
            return True
    return False


def offset_spans(tz: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[datetime | None, int]]:
    """The zone's UTC offsets between two naive UTC times: [(until, minutes)], each span
    holding until its ``until`` (naive UTC, exclusive); the last one's is None."""
    spans: list[tuple[datetime | None, int]] = []

    def offset(at: datetime) -> int:
        return int((to_local(at, tz).utcoffset() or timedelta()).total_seconds() // 60)

    step = timedelta(hours=1)
    at = lo.replace(minute=0, second=0, microsecond=0)
    current = offset(at)
    while at < hi:
        nxt = at + step
        if offset(nxt) != current:
            a, b = at, nxt  # offset(a) == current != offset(b): find the change to the second
            while b - a > timedelta(seconds=1):
                mid = a + (b - a) / 2
                mid = mid.replace(microsecond=0)
                if offset(mid) == current:
                    a = mid
                else:
                    b = mid
            spans.append((b, current))
            current = offset(b)
        at = nxt
    spans.append((None, current))
    return spans


def local_day_sql(tz: ZoneInfo, lo: datetime, hi: datetime, column: str = "device_time") -> str:
    """An SQL expression of the local date of ``column`` (naive UTC text), valid for times
    between ``lo`` and ``hi``: SQLite's date() with the offset of each DST span."""
    parts = []
    for until, minutes in offset_spans(tz, lo, hi):
        expr = f"date({column}, '{minutes:+d} minutes')"
        if until is None:
            parts.append(f"ELSE {expr}")
        else:
            parts.append(f"WHEN {column} < '{until:%Y-%m-%d %H:%M:%S}' THEN {expr}")
    if len(parts) == 1:
        return parts[0].removeprefix("ELSE ")
    return "CASE " + " ".join(parts) + " END"
