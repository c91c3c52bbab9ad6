"""What analysts read: responses by cursor, NPS by day/week/store/channel (computed with
core.nps, so HQ and the kiosk give the same numbers), exports, and the dashboard's figures."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, TypeVarTuple, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Select, String, Table, and_, func, or_, select, true, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.nps import NpsResult, format_nps, nps_from_counts
from core.protocol import RESPONSE_FIELDS
from core.text import spreadsheet_safe
from hq import i18n
from hq.db import utcnow
from hq.models import (
    DayRollupRow,
    DeviceRow,
    ResponseRow,
    RollupRow,
    StoreGroupMemberRow,
    StoreRow,
    WeekRollupRow,
)
from hq.rollups import COUNT_COLUMNS, day_span, local_day, monday, zone
from hq.service import Hq

Ts = TypeVarTuple("Ts")

GroupBy = Literal["day", "week", "store", "channel", "group", "survey_version"]
# device_time is the till's clock as sent; corrected_time what every figure uses
# (hq.device_clock), clock_corrected whether the two differ (the clock was off by > 5 min).
EXPORT_FIELDS = (*RESPONSE_FIELDS, "corrected_time", "clock_corrected", "received_at")
CONTACT_FIELDS = ("contact_name", "contact_detail")  # only for callers who may read contacts
NO_CONTACT_FIELDS = tuple(f for f in EXPORT_FIELDS if f not in CONTACT_FIELDS)


@dataclass(frozen=True)
class ResponseFilter:
    store_id: str | None = None
    since: datetime | None = None  # corrected time (hq.device_clock), naive UTC, inclusive
    until: datetime | None = None  # exclusive
    channel: str | None = None
    include_suspect: bool = True
    group_id: str | None = None  # only the stores of this group
    store_ids: frozenset[str] | None = None  # only these stores (a viewer's scope); None: all
    survey_version: int | None = None  # only answers asked with this published survey version

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
            stmt = stmt.where(ResponseRow.corrected_time >= self.since)
        if self.until:
            stmt = stmt.where(ResponseRow.corrected_time < self.until)
        if self.channel:
            stmt = stmt.where(ResponseRow.channel == self.channel)
        if not self.include_suspect:
            stmt = stmt.where(ResponseRow.suspect.is_(False))
        if self.survey_version is not None:
            stmt = stmt.where(ResponseRow.survey_version == self.survey_version)
        return stmt


def row_dict(row: ResponseRow) -> dict[str, Any]:
    out = {name: getattr(row, name) for name in EXPORT_FIELDS}
    out["reasons"] = json.loads(row.reasons or "[]")
    for key in ("device_time", "corrected_time", "received_at"):
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


CountsKey = Literal["store", "channel", "survey_version", "group", "day", "week"]
DaySpans = Callable[[str], tuple[date | None, date | None]]  # zone -> first, last local day


def _fine(flt: ResponseFilter, key: CountsKey | None) -> bool:
    """Whether a read needs nps_rollups (channel/survey version) or nps_day_rollups will do."""
    return bool(flt.channel or flt.survey_version is not None) or key in (
        "channel",
        "survey_version",
    )


def _zones(s: Session) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for store_id, tz in s.execute(select(StoreRow.store_id, StoreRow.time_zone)):
        out.setdefault(tz or "UTC", []).append(store_id)
    return out


def _instant_spans(flt: ResponseFilter) -> DaySpans | None:
    """``from``/``to`` are instants; each store reads the whole local days [from, to) touches
    in its own zone: from the local date of ``from`` through the local date of the last instant
    before ``to`` (hq.rollups.day_span)."""
    if flt.since is None and flt.until is None:
        return None
    return lambda tz: day_span(flt.since, flt.until, tz)


def local_day_spans(now: datetime, *, back: int, length: int) -> DaySpans:
    """``length`` local days ending ``back`` days before each store's local today."""

    def spans(tz: str) -> tuple[date | None, date | None]:
        today = local_day(now, tz)
        last = today - timedelta(days=back)
        return last - timedelta(days=length - 1), last

    return spans


def _day_clause(s: Session, table: Table, spans: DaySpans) -> ColumnElement[bool]:
    def one(tz: str) -> ColumnElement[bool]:
        first, last = spans(tz)
        parts = []
        if first is not None:
            parts.append(table.c.day >= first)
        if last is not None:
            parts.append(table.c.day <= last)
        return and_(true(), *parts)

    zones = _zones(s)
    if len(zones) <= 1:  # one zone for the whole chain (the common case): a plain day range
        return one(next(iter(zones), "UTC"))
    # The widest range first (an index range on day), then each zone's own days.
    firsts = [spans(tz)[0] for tz in zones]
    lasts = [spans(tz)[1] for tz in zones]
    bound = []
    if all(f is not None for f in firsts):
        bound.append(table.c.day >= min(f for f in firsts if f is not None))
    if all(x is not None for x in lasts):
        bound.append(table.c.day <= max(x for x in lasts if x is not None))
    return and_(
        *bound,
        or_(
            *(
                and_(
                    table.c.store_id.in_(select(StoreRow.store_id).where(StoreRow.time_zone == tz)),
                    one(tz),
                )
                for tz in sorted(zones)
            )
        ),
    )


def _counts(
    hq: Hq,
    flt: ResponseFilter,
    key: CountsKey | None,
    *,
    spans: DaySpans | None = None,
    extra: CountsKey | None = None,
) -> dict[Any, dict[str, int]]:
    """Counts per category for each value of ``key`` (or for everything under "all"), summed
    from the rollups; ``spans`` (local days per zone) instead of the filter's instants;
    ``extra`` makes the key a (key, extra) pair. A read by channel, survey version or day sums
    nps_rollups or nps_day_rollups; every other one the whole weeks of its range from
    nps_week_rollups and only the days at its edges from nps_day_rollups (:func:`_coarse`)."""
    keys = [k for k in (key, extra) if k is not None]
    spans = spans or _instant_spans(flt)
    with hq.db.reading() as s:
        if _fine(flt, key) or "day" in keys:
            rows = _by_day(s, hq, flt, keys, spans)
        else:
            rows = _coarse(s, hq, flt, keys, spans)
        out: dict[Any, dict[str, int]] = {}
        n = len(keys)
        for row in rows:  # thousands of rows for the dashboard's trend: kept plain
            k: Any = (
                "all"
                if n == 0
                else _key_text(row[0])
                if n == 1
                else (_key_text(row[0]), _key_text(row[1]))
            )
            c = out.get(k)
            if c is None:
                c = out[k] = _zero()
            c["promoter"] += int(row[n] or 0)
            c["passive"] += int(row[n + 1] or 0)
            c["detractor"] += int(row[n + 2] or 0)
    return out


def _sums(table: Any, sus: bool) -> list[Any]:
    return [
        func.sum(table.c[c] + table.c["suspect_" + c]) if sus else func.sum(table.c[c])
        for c in ("promoters", "passives", "detractors")
    ]


def _store_filters(table: Any, flt: ResponseFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if flt.store_ids is not None:
        out.append(table.c.store_id.in_(sorted(flt.store_ids)))
    if flt.store_id:
        out.append(table.c.store_id == flt.store_id)
    if flt.group_id:
        out.append(
            table.c.store_id.in_(
                select(StoreGroupMemberRow.store_id).where(
                    StoreGroupMemberRow.group_id == flt.group_id
                )
            )
        )
    return out


def _by_day(
    s: Session, hq: Hq, flt: ResponseFilter, keys: list[CountsKey], spans: DaySpans | None
) -> Any:
    table = cast(
        Table, (RollupRow if _fine(flt, keys[0] if keys else None) else DayRollupRow).__table__
    )
    exprs = [_key_expr(table, k, dialect=hq.db.dialect) for k in keys]
    stmt = select(*exprs, *_sums(table, flt.include_suspect)).select_from(table)
    if "group" in keys:
        stmt = stmt.join(StoreGroupMemberRow, StoreGroupMemberRow.store_id == table.c.store_id)
    if exprs:
        stmt = stmt.group_by(*exprs)
    stmt = stmt.where(*_store_filters(table, flt))
    if flt.channel:
        stmt = stmt.where(table.c.channel == flt.channel)
    if flt.survey_version is not None:
        stmt = stmt.where(table.c.survey_version == flt.survey_version)
    if spans is not None:
        stmt = stmt.where(_day_clause(s, table, spans))
    return s.execute(stmt)


Range = tuple[date | None, date | None]  # inclusive; None: open
# Untyped on purpose: mypy 2.4 crashes expanding union_all's generic signature.
_union_all: Callable[..., Any] = union_all


def week_split(first: date | None, last: date | None) -> tuple[Range | None, list[Range]]:
    """The whole ISO weeks (first Monday, last Monday) inside the local days [first, last] and
    the days left at its edges: a read sums the weeks from nps_week_rollups, the days from
    nps_day_rollups."""
    week_lo = None if first is None else first + timedelta(days=(7 - first.weekday()) % 7)
    # The Monday after the last whole week (one past ``last`` when it is a Sunday).
    week_end = None if last is None else monday(last + timedelta(days=1))
    if week_lo is not None and week_end is not None and week_lo >= week_end:
        return None, [(first, last)]
    edges: list[Range] = []
    if first is not None and week_lo is not None and first < week_lo:
        edges.append((first, week_lo - timedelta(days=1)))
    if last is not None and week_end is not None and week_end <= last:
        edges.append((week_end, last))
    weeks = (week_lo, None if week_end is None else week_end - timedelta(days=7))
    return weeks, edges


def _range(column: Any, r: Range) -> ColumnElement[bool]:
    parts = []
    if r[0] is not None:
        parts.append(column >= r[0])
    if r[1] is not None:
        parts.append(column <= r[1])
    return and_(true(), *parts)


def _zoned_ranges(column: Any, ranges: dict[str, list[Range]]) -> list[ColumnElement[bool]]:
    """One condition per distinct range: ``column`` within it, for the stores of the zones
    whose range it is (no store condition when every zone has it). Each is read as one index
    range (a UNION ALL part each), not one span from the first range to the last."""
    zones_of: dict[Range, list[str]] = {}
    for tz, rs in ranges.items():
        for r in rs:
            zones_of.setdefault(r, []).append(tz)
    store_col = column.table.c.store_id
    out = []
    for r, tzs in sorted(zones_of.items(), key=lambda kv: (str(kv[0]), kv[1])):
        if len(tzs) == len(ranges):
            out.append(_range(column, r))
        else:
            stores = select(StoreRow.store_id).where(StoreRow.time_zone.in_(sorted(tzs)))
            out.append(and_(_range(column, r), store_col.in_(stores)))
    return out


def _coarse(
    s: Session, hq: Hq, flt: ResponseFilter, keys: list[CountsKey], spans: DaySpans | None
) -> Any:
    """Whole weeks from nps_week_rollups plus the edge days from nps_day_rollups, as one UNION
    ALL summed by ``keys`` (store, week, group: a store's rows summed before its groups are
    joined, so PostgreSQL joins 500 sums instead of every row)."""
    week_t = cast(Table, WeekRollupRow.__table__)
    day_t = cast(Table, DayRollupRow.__table__)
    counts = list(COUNT_COLUMNS if flt.include_suspect else COUNT_COLUMNS[:3])
    want_week = "week" in keys
    parts: list[Any] = []
    if spans is None:  # every week there is
        week_clauses: list[ColumnElement[bool]] = [true()]
        day_clauses: list[ColumnElement[bool]] = []
    else:
        split = {tz: week_split(*spans(tz)) for tz in _zones(s) or {"UTC": []}}
        week_clauses = _zoned_ranges(
            week_t.c.week, {tz: [w] if w is not None else [] for tz, (w, _e) in split.items()}
        )
        day_clauses = _zoned_ranges(day_t.c.day, {tz: e for tz, (_w, e) in split.items()})
    for clause in week_clauses:
        parts.append(
            select(
                week_t.c.store_id.label("store_id"),
                *([week_t.c.week.label("week")] if want_week else []),
                *(week_t.c[c].label(c) for c in counts),
            ).where(clause, *_store_filters(week_t, flt))
        )
    week_of_day = _key_expr(day_t, "week", dialect=hq.db.dialect)
    for clause in day_clauses:
        parts.append(
            select(
                day_t.c.store_id.label("store_id"),
                *([week_of_day.label("week")] if want_week else []),
                *(day_t.c[c].label(c) for c in counts),
            ).where(clause, *_store_filters(day_t, flt))
        )
    if not parts:
        return []
    src = (parts[0] if len(parts) == 1 else _union_all(*parts)).subquery("src")
    sus = flt.include_suspect

    def total(t: Any, c: str) -> Any:
        return func.sum(t.c[c] + t.c["suspect_" + c]) if sus else func.sum(t.c[c])

    names = ("promoters", "passives", "detractors")
    if "group" in keys:
        per_store = (
            select(src.c.store_id, *(total(src, c).label(c) for c in names))
            .group_by(src.c.store_id)
            .subquery("per_store")
        )
        m = StoreGroupMemberRow
        stmt = (
            select(m.group_id, *(func.sum(per_store.c[c]) for c in names))
            .select_from(per_store)
            .join(m, m.store_id == per_store.c.store_id)
            .group_by(m.group_id)
        )
        return s.execute(stmt)
    # The week as its text ("2027-03-08"): no date object made and formatted back per row.
    week_text = func.cast(src.c.week, String) if "week" in keys else None
    exprs: list[Any] = [src.c.store_id if k == "store" else week_text for k in keys]
    stmt2 = select(*exprs, *(total(src, c) for c in names)).select_from(src)
    if exprs:
        stmt2 = stmt2.group_by(*exprs)
    return s.execute(stmt2)


def _key_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _key_expr(table: Table, key: CountsKey, *, dialect: str) -> Any:
    if key == "group":
        return StoreGroupMemberRow.group_id
    if key == "store":
        return table.c.store_id
    if key in ("channel", "survey_version", "day"):
        return table.c[key]
    # week: the Monday of each store's local day
    if dialect == "sqlite":
        return func.date(table.c.day, "-6 days", "weekday 1")
    return func.cast(func.date_trunc("week", table.c.day), Date)


def _result(c: dict[str, int]) -> NpsResult:
    return _nps_of(c["promoter"], c["passive"], c["detractor"])


@lru_cache(maxsize=65536)
def _nps_of(promoters: int, passives: int, detractors: int) -> NpsResult:
    # The dashboard's trend asks for thousands of small cells, most of them alike.
    return nps_from_counts(promoters=promoters, passives=passives, detractors=detractors)


def nps_groups(hq: Hq, flt: ResponseFilter, *, group_by: GroupBy | None) -> list[NpsGroup]:
    """NPS per group (or one "all" group), suspect responses left out unless asked for; from
    the rollups. ``day`` and ``week`` are each store's local days and weeks (a chain day is the
    union of its stores' local days)."""
    if group_by is None:
        counts = _counts(hq, flt, None)
        return [NpsGroup("all", _result(counts.get("all", _zero())))]
    counts = _counts(hq, flt, group_by)
    if group_by == "survey_version":
        # v1 answers (before protocol v2) have no survey version: their group is "unknown".
        ordered = sorted(counts.items(), key=lambda kv: int(kv[0]))
        return [NpsGroup(k if k != "0" else "unknown", _result(c)) for k, c in ordered]
    # A store counts once in each of its groups (a region and a format overlap).
    return [NpsGroup(k, _result(c)) for k, c in sorted(counts.items())]


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
    device_time: datetime  # the corrected time (hq.device_clock)
    channel: str
    local_time: str = ""  # in the store's zone, with its abbreviation: "14 Mar 2027 23:30 EDT"
    clock_corrected: bool = False  # the till's clock was off: device_time is corrected


def local_label(at: datetime, tz: str, language: str | None = None) -> str:
    """A stored (naive UTC) time as the store's local time with the zone's abbreviation, the
    month named in ``language`` (else the request's; hq.i18n)."""
    from hq.templating import when

    local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone(tz))
    return f"{when(local, '%d %b %Y %H:%M', language)} {local.tzname()}"


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
    by_store = _counts(hq, flt, "store")
    # The trend: each store's local weeks, from the Monday `weeks` weeks back.
    trend_since = (now - timedelta(weeks=weeks)).date()
    trend_since -= timedelta(days=trend_since.weekday())
    trend_counts = cast(
        dict[tuple[str, str], dict[str, int]],
        _counts(
            hq,
            ResponseFilter(include_suspect=False, group_id=group_id, store_ids=scope),
            "store",
            extra="week",
            spans=lambda _tz: (trend_since, None),
        ),
    )
    every = ResponseFilter(group_id=group_id, store_ids=scope)  # suspect ones too
    total = _counts(hq, every, None).get("all", _zero())
    with hq.db.reading() as s:
        store_stmt = select(StoreRow.store_id, StoreRow.name, StoreRow.time_zone)
        # The columns only: 500 ORM objects cost ~30 ms of a dashboard.
        device_stmt = select(
            DeviceRow.device_id,
            DeviceRow.store_id,
            DeviceRow.enrolled_at,
            DeviceRow.revoked_at,
            DeviceRow.last_sync_at,
            DeviceRow.last_backlog,
        ).order_by(DeviceRow.store_id, DeviceRow.device_id)
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
        zones = {r[0]: r[1] for r in s.execute(select(StoreRow.store_id, StoreRow.time_zone))}
        stores = [(r[0], r[1]) for r in s.execute(store_stmt)]
        devices = s.execute(device_stmt).all()
        # Row-level: the newest detractor comments, on ix_responses_corrected_time read
        # backwards.
        comments = s.execute(
            ResponseFilter(group_id=group_id, store_ids=scope)
            .apply(
                select(
                    ResponseRow.store_id,
                    ResponseRow.score,
                    ResponseRow.comment,
                    ResponseRow.corrected_time,
                    ResponseRow.channel,
                    ResponseRow.clock_corrected,
                )
            )
            .where(
                ResponseRow.category == "detractor",
                ResponseRow.comment.is_not(None),
                ResponseRow.comment != "",
            )
            .order_by(ResponseRow.corrected_time.desc())
            .limit(10)
        ).all()
    # Up to the newest local week of any store shown: east of UTC a new week starts hours
    # before it does in UTC (Monday 00:00 in Kolkata is Sunday 18:30 UTC).
    local_todays = [
        now.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()
        for tz in {zones.get(store_id) or "UTC" for store_id, _name in stores} or {"UTC"}
    ]
    last_monday = max(d - timedelta(days=d.weekday()) for d in local_todays)
    week_keys = []
    week = trend_since
    while week <= last_monday:
        week_keys.append(week.isoformat())
        week += timedelta(weeks=1)
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
            Comment(
                store_id=c[0],
                score=c[1],
                comment=c[2] or "",
                device_time=c[3],
                channel=c[4],
                local_time=local_label(c[3], zones.get(c[0], "UTC")),
                clock_corrected=bool(c[5]),
            )
            for c in comments
        ),
        total_responses=sum(total.values()),
        group_id=group_id,
        groups=tuple(
            g
            for g in nps_groups(
                hq, ResponseFilter(since=since, include_suspect=False), group_by="group"
            )
            if scope is None or group_members.get(g.key, set()) <= scope
        ),
    )
