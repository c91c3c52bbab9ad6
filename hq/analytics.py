"""What analysts read: responses by cursor, NPS by day/week/store/channel (computed with
core.nps, so HQ and the kiosk give the same numbers), exports, and the dashboard's figures."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVarTuple

from sqlalchemy import Select, func, select

from core.nps import NpsResult, format_nps, nps_from_counts
from core.protocol import RESPONSE_FIELDS
from core.text import spreadsheet_safe
from hq import i18n
from hq.db import utcnow
from hq.models import DeviceRow, ResponseRow, StoreGroupMemberRow, StoreRow
from hq.service import Hq

Ts = TypeVarTuple("Ts")

GroupBy = Literal["day", "week", "store", "channel", "group"]
EXPORT_FIELDS = (*RESPONSE_FIELDS, "received_at")
CONTACT_FIELDS = ("contact_name", "contact_detail")  # only for callers who may read contacts
NO_CONTACT_FIELDS = tuple(f for f in EXPORT_FIELDS if f not in CONTACT_FIELDS)


@dataclass(frozen=True)
class ResponseFilter:
    store_id: str | None = None
    since: datetime | None = None  # device time, naive UTC, inclusive
    until: datetime | None = None  # exclusive
    channel: str | None = None
    include_suspect: bool = True
    group_id: str | None = None  # only the stores of this group
    store_ids: frozenset[str] | None = None  # only these stores (a viewer's scope); None: all

    def apply(self, stmt: Select[*Ts]) -> Select[*Ts]:
        if self.store_ids is not None:
            stmt = stmt.where(ResponseRow.store_id.in_(sorted(self.store_ids)))
        if self.store_id:
            stmt = stmt.where(ResponseRow.store_id == self.store_id)
        if self.group_id:
            members = select(StoreGroupMemberRow.store_id).where(
                StoreGroupMemberRow.group_id == self.group_id
            )
            stmt = stmt.where(ResponseRow.store_id.in_(members))
        if self.since:
            stmt = stmt.where(ResponseRow.device_time >= self.since)
        if self.until:
            stmt = stmt.where(ResponseRow.device_time < self.until)
        if self.channel:
            stmt = stmt.where(ResponseRow.channel == self.channel)
        if not self.include_suspect:
            stmt = stmt.where(ResponseRow.suspect.is_(False))
        return stmt


def row_dict(row: ResponseRow) -> dict[str, Any]:
    out = {name: getattr(row, name) for name in EXPORT_FIELDS}
    out["reasons"] = json.loads(row.reasons or "[]")
    for key in ("device_time", "received_at"):
        out[key] = out[key].isoformat(timespec="microseconds") + "Z"
    return out


def encode_cursor(pk: int) -> str:
    return f"c{pk}"


def decode_cursor(cursor: str | None) -> int:
    """0 for none; ValueError for a cursor HQ did not make."""
    if not cursor:
        return 0
    if not cursor.startswith("c") or not cursor[1:].isdigit() or len(cursor) > 20:
        raise ValueError("after is a cursor from a previous page ('c123'), or empty")
    return int(cursor[1:])


def page_responses(
    hq: Hq, flt: ResponseFilter, *, after: str | None, limit: int
) -> tuple[list[dict[str, Any]], str, bool]:
    """One page in receive order, the cursor for the next page, and whether there is more."""
    start = decode_cursor(after)
    stmt = flt.apply(select(ResponseRow).where(ResponseRow.pk > start))
    with hq.db.reading() as s:
        rows = list(s.scalars(stmt.order_by(ResponseRow.pk).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].pk) if rows else (after or encode_cursor(0))
    return [row_dict(r) for r in rows], cursor, more


def iter_responses(hq: Hq, flt: ResponseFilter, *, chunk: int = 2000) -> Iterator[dict[str, Any]]:
    """Every matching response in receive order, read a chunk at a time (for exports)."""
    after = 0
    while True:
        stmt = flt.apply(select(ResponseRow).where(ResponseRow.pk > after))
        with hq.db.reading() as s:
            rows = list(s.scalars(stmt.order_by(ResponseRow.pk).limit(chunk)))
        if not rows:
            return
        yield from (row_dict(r) for r in rows)
        after = rows[-1].pk


def csv_line(values: list[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(values)
    return buf.getvalue()


def csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, str):
        return spreadsheet_safe(value)  # a comment must not run as a formula in a spreadsheet
    return "" if value is None else value


def without_contact(row: dict[str, Any]) -> dict[str, Any]:
    """The row without the customer's contact details (for callers without the grant)."""
    return {k: v for k, v in row.items() if k not in CONTACT_FIELDS}


def iter_csv(
    rows: Iterator[dict[str, Any]], fields: tuple[str, ...] = EXPORT_FIELDS
) -> Iterator[str]:
    yield csv_line(list(fields))
    for row in rows:
        yield csv_line([csv_cell(row[k]) for k in fields])


def iter_jsonl(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class NpsGroup:
    key: str
    result: NpsResult

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, **self.result.as_dict(), "formatted": format_nps(self.result)}


def _counts(
    hq: Hq, flt: ResponseFilter, key: Any | None, *, join: tuple[Any, Any] | None = None
) -> dict[str, dict[str, int]]:
    """Counts per category for each value of ``key`` (or for everything under "all")."""
    stmt: Select[*tuple[Any, ...]]
    if key is None:
        stmt = flt.apply(select(ResponseRow.category, func.count()).group_by(ResponseRow.category))
    else:
        base = select(key.label("k"), ResponseRow.category, func.count()).select_from(ResponseRow)
        if join is not None:
            base = base.join(*join)
        stmt = flt.apply(base.group_by(key, ResponseRow.category))
    out: dict[str, dict[str, int]] = {}
    with hq.db.reading() as s:
        for row in s.execute(stmt):
            k, cat, n = ("all", *row) if key is None else row
            out.setdefault(str(k), _zero())[cat] += n
    return out


def _result(c: dict[str, int]) -> NpsResult:
    return nps_from_counts(
        promoters=c["promoter"], passives=c["passive"], detractors=c["detractor"]
    )


def nps_groups(hq: Hq, flt: ResponseFilter, *, group_by: GroupBy | None) -> list[NpsGroup]:
    """NPS per group (or one "all" group), suspect responses left out unless asked for."""
    if group_by is None:
        counts = _counts(hq, flt, None)
        return [NpsGroup("all", _result(counts.get("all", _zero())))]
    if group_by == "group":
        # A store counts once in each of its groups (a region and a format overlap).
        counts = _counts(
            hq,
            flt,
            StoreGroupMemberRow.group_id,
            join=(StoreGroupMemberRow, StoreGroupMemberRow.store_id == ResponseRow.store_id),
        )
        return [NpsGroup(k, _result(c)) for k, c in sorted(counts.items())]
    if group_by in ("store", "channel"):
        col = ResponseRow.store_id if group_by == "store" else ResponseRow.channel
        counts = _counts(hq, flt, col)
        return [NpsGroup(k, _result(c)) for k, c in sorted(counts.items())]
    days = _counts(hq, flt, func.date(ResponseRow.device_time))
    if group_by == "day":
        return [NpsGroup(k, _result(c)) for k, c in sorted(days.items())]
    weeks: dict[str, dict[str, int]] = {}
    for day, c in days.items():
        d = date.fromisoformat(day[:10])
        monday = (d - timedelta(days=d.weekday())).isoformat()
        w = weeks.setdefault(monday, _zero())
        for cat in c:
            w[cat] += c[cat]
    return [NpsGroup(k, _result(c)) for k, c in sorted(weeks.items())]


def _zero() -> dict[str, int]:
    return {"promoter": 0, "passive": 0, "detractor": 0}


# The dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreLine:
    store_id: str
    name: str
    result: NpsResult
    trend: tuple[tuple[str, int | None, int], ...]  # (week, nps, n)


@dataclass(frozen=True)
class DeviceLine:
    device_id: str
    store_id: str
    enrolled: bool
    revoked: bool
    last_sync_at: datetime | None
    backlog: int | None
    stale_note: str | None


@dataclass(frozen=True)
class Comment:
    store_id: str
    score: int
    comment: str
    device_time: datetime
    channel: str


@dataclass(frozen=True)
class Dashboard:
    since: datetime
    chain: NpsResult
    stores: tuple[StoreLine, ...]
    devices: tuple[DeviceLine, ...]
    comments: tuple[Comment, ...]
    total_responses: int
    group_id: str | None = None  # the group the figures are limited to
    groups: tuple[NpsGroup, ...] = ()  # NPS of every group over the same days


def _ago(delta: timedelta) -> str:
    t = i18n.texts()
    if delta >= timedelta(days=2):
        return t.ngettext("{n} day", "{n} days", delta.days)
    if delta >= timedelta(hours=2):
        return t.ngettext("{n} hour", "{n} hours", int(delta.total_seconds() // 3600))
    return t.ngettext("{n} minute", "{n} minutes", max(1, int(delta.total_seconds() // 60)))


def dashboard(
    hq: Hq,
    *,
    days: int = 90,
    weeks: int = 12,
    group_id: str | None = None,
    store_ids: frozenset[str] | None = None,
) -> Dashboard:
    """The dashboard's figures, for the whole chain or only the stores of ``group_id``; with
    ``store_ids`` (a viewer's scope) only those stores, and only groups wholly inside them."""
    now = utcnow()
    since = now - timedelta(days=days)
    scope = store_ids
    flt = ResponseFilter(since=since, include_suspect=False, group_id=group_id, store_ids=scope)
    chain = nps_groups(hq, flt, group_by=None)[0].result
    by_store = _counts(hq, flt, ResponseRow.store_id)
    trend_since = (now - timedelta(weeks=weeks)).replace(hour=0, minute=0, second=0, microsecond=0)
    trend_since -= timedelta(days=trend_since.weekday())
    week_key = func.date(ResponseRow.device_time)
    stmt = ResponseFilter(
        since=trend_since, include_suspect=False, group_id=group_id, store_ids=scope
    ).apply(
        select(ResponseRow.store_id, week_key, ResponseRow.category, func.count()).group_by(
            ResponseRow.store_id, week_key, ResponseRow.category
        )
    )
    trend_counts: dict[tuple[str, str], dict[str, int]] = {}
    with hq.db.reading() as s:
        for store, day, cat, n in s.execute(stmt):
            d = date.fromisoformat(str(day)[:10])
            monday = (d - timedelta(days=d.weekday())).isoformat()
            trend_counts.setdefault((store, monday), _zero())[cat] += n
        store_stmt = select(StoreRow.store_id, StoreRow.name)
        device_stmt = select(DeviceRow).order_by(DeviceRow.store_id, DeviceRow.device_id)
        if group_id:
            members = select(StoreGroupMemberRow.store_id).where(
                StoreGroupMemberRow.group_id == group_id
            )
            store_stmt = store_stmt.where(StoreRow.store_id.in_(members))
            device_stmt = device_stmt.where(DeviceRow.store_id.in_(members))
        if scope is not None:
            store_stmt = store_stmt.where(StoreRow.store_id.in_(sorted(scope)))
            device_stmt = device_stmt.where(DeviceRow.store_id.in_(sorted(scope)))
        group_members: dict[str, set[str]] = {}
        for g, member in s.execute(
            select(StoreGroupMemberRow.group_id, StoreGroupMemberRow.store_id)
        ):
            group_members.setdefault(g, set()).add(member)
        stores = s.execute(store_stmt).all()
        devices = s.execute(device_stmt).scalars().all()
        comments = s.execute(
            ResponseFilter(group_id=group_id, store_ids=scope)
            .apply(
                select(
                    ResponseRow.store_id,
                    ResponseRow.score,
                    ResponseRow.comment,
                    ResponseRow.device_time,
                    ResponseRow.channel,
                )
            )
            .where(
                ResponseRow.category == "detractor",
                ResponseRow.comment.is_not(None),
                ResponseRow.comment != "",
            )
            .order_by(ResponseRow.device_time.desc())
            .limit(10)
        ).all()
        total = (
            s.scalar(
                ResponseFilter(group_id=group_id, store_ids=scope).apply(
                    select(func.count()).select_from(ResponseRow)
                )
            )
            or 0
        )
    week_keys = [(trend_since + timedelta(weeks=i)).date().isoformat() for i in range(weeks + 1)]
    lines = []
    for store_id, name in stores:
        trend = []
        for wk in week_keys:
            r = _result(trend_counts.get((store_id, wk), _zero()))
            trend.append((wk, r.nps, r.n))
        lines.append(
            StoreLine(
                store_id=store_id,
                name=name,
                result=_result(by_store.get(store_id, _zero())),
                trend=tuple(trend),
            )
        )
    device_lines = []
    for dev in devices:
        note = None
        if dev.revoked_at is None and dev.enrolled_at is not None:
            if dev.last_sync_at is None:
                note = i18n.texts().gettext(
                    "Store {store}: {device} has never synced",
                    store=dev.store_id,
                    device=dev.device_id,
                )
            elif now - dev.last_sync_at > hq.config.stale_after:
                note = i18n.texts().gettext(
                    "Store {store} has not synced for {time} ({device})",
                    store=dev.store_id,
                    time=_ago(now - dev.last_sync_at),
                    device=dev.device_id,
                )
        device_lines.append(
            DeviceLine(
                device_id=dev.device_id,
                store_id=dev.store_id,
                enrolled=dev.enrolled_at is not None,
                revoked=dev.revoked_at is not None,
                last_sync_at=dev.last_sync_at,
                backlog=dev.last_backlog,
                stale_note=note,
            )
        )
    return Dashboard(
        since=since,
        chain=chain,
        stores=tuple(lines),
        devices=tuple(device_lines),
        comments=tuple(
            Comment(store_id=c[0], score=c[1], comment=c[2] or "", device_time=c[3], channel=c[4])
            for c in comments
        ),
        total_responses=total,
        group_id=group_id,
        groups=tuple(
            g
            for g in nps_groups(
                hq, ResponseFilter(since=since, include_suspect=False), group_by="group"
            )
            if scope is None or group_members.get(g.key, set()) <= scope
        ),
    )
