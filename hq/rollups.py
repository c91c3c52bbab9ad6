"""NPS rollups: what every aggregate read at HQ comes from (ARCHITECTURE.md, "HQ rollups").

Three tables, all kept in the transaction that stores the responses (batches, batch files and
the phone page all call :func:`add_responses`):

- ``nps_rollups``: counts per store x store-local day x channel x language x survey version
  (0 for a v1 answer) — for the reads that filter or group by channel or survey version;
- ``nps_day_rollups``: the same counts per store x store-local day only — what the chain,
  store, week, group and dashboard reads sum (a few rows per store and day instead of one per
  combination);
- ``nps_week_rollups``: the same counts per store x store-local ISO week (its Monday) — the
  whole weeks of a range come from here and only the days at its edges from the day table, so a
  90-day read sums ~13 rows per store whatever the number of responses.

Each holds promoters, passives and detractors, and the suspect responses apart
(``suspect_*``), so "include suspect" is a sum of six columns instead of three.

**The store-local day** is the response's corrected time (UTC; its device time shifted by the
device's clock offset as HQ measured it, hq.device_clock) in the store's time zone, the
``time_zone`` of its profile (hq.profiles), cached in ``stores.time_zone`` so that ingest reads
it with the store's row. :func:`refresh_time_zones` recomputes that column after anything
that may change a profile (a setting at any level, a group membership, a new store) and, for
each store whose zone changed, rebuilds its rollups from its raw rows **in the same
transaction as the change** — so no read ever sees a store's days in two zones. Ingest reads
the zone with ``FOR SHARE`` on PostgreSQL: a zone change (which updates that row first) waits
for a running ingest of the store to commit and then rebuilds with its rows, and an ingest
waits for a running zone change and then reads the new zone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Connection

from core.protocol import ResponseV1
from hq.models import COUNTS
from hq.service import Hq

# The six counts, in the order the tables and :data:`Counts` keep them (hq.models).
COUNT_COLUMNS = COUNTS
_SLOT = {"promoter": 0, "passive": 1, "detractor": 2}
FINE_KEY = ("store_id", "day", "channel", "language", "survey_version")
DAY_KEY = ("store_id", "day")
WEEK_KEY = ("store_id", "week")
ROLLUP_TABLES = ("nps_rollups", "nps_day_rollups", "nps_week_rollups")
GROUP_PRECEDENCE = ("franchisee", "format", "region", "other")  # = hq.profiles's


@dataclass(frozen=True)
class Answer:
    """What a rollup needs of one stored response."""

    store_id: str
    at: datetime  # the corrected time, UTC (aware, or naive UTC as HQ stores it)
    channel: str
    language: str
    survey_version: int | None
    category: str
    suspect: bool


def answer_of(r: ResponseV1, *, at: datetime | None = None) -> Answer:
    """``at``: the response's corrected time (hq.device_clock); None: its device time."""
    return Answer(
        r.store_id,
        r.device_time if at is None else at,
        r.channel,
        r.language,
        r.survey_version,
        r.category,
        r.suspect,
    )


@cache
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # hq.profiles refuses unknown zones; an old row falls back


def local_day(instant: datetime, tz: str) -> date:
    """The store-local date of a UTC instant (never the UTC date)."""
    aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return aware.astimezone(zone(tz)).date()


def monday(day: date) -> date:
    """The Monday of ``day``'s ISO week (the key of nps_week_rollups)."""
    return day - timedelta(days=day.weekday())


def local_now(tz: str, now: datetime) -> datetime:
    """``now`` (naive UTC) as the store's wall-clock time, aware."""
    return now.replace(tzinfo=UTC).astimezone(zone(tz))


Key = tuple[Any, ...]


def deltas(answers: Iterable[Answer], zones: dict[str, str]) -> tuple[dict[Key, list[int]], ...]:
    """(fine, day) count deltas of ``answers``: key -> the six counts."""
    fine: dict[Key, list[int]] = {}
    days: dict[Key, list[int]] = {}
    for a in answers:
        day = local_day(a.at, zones.get(a.store_id, "UTC"))
        slot = _SLOT[a.category] + (3 if a.suspect else 0)
        k = (a.store_id, day, a.channel, a.language, a.survey_version or 0)
        fine.setdefault(k, [0] * 6)[slot] += 1
        days.setdefault((a.store_id, day), [0] * 6)[slot] += 1
    return fine, days


def _upsert_sql(table: str, key: tuple[str, ...], *, sqlite: bool) -> str:
    mark = "?" if sqlite else "%s"
    cols = (*key, *COUNT_COLUMNS)
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNT_COLUMNS)
    return (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    )


def weeks_of(days: dict[Key, list[int]]) -> dict[Key, list[int]]:
    """The (store, Monday) counts of (store, day) counts."""
    out: dict[Key, list[int]] = {}
    for (store_id, day), counts in days.items():
        acc = out.get((store_id, monday(day)))
        if acc is None:
            out[(store_id, monday(day))] = list(counts)
        else:
            for i, n in enumerate(counts):
                acc[i] += n
    return out


# A day row's upsert with its week's (a data-modifying WITH): parameters the day row twice.
_DAY_AND_WEEK_PG = (
    "WITH week AS ("
    + _upsert_sql("nps_week_rollups", WEEK_KEY, sqlite=False).replace(
        "VALUES (%s, %s,", "VALUES (%s, CAST(date_trunc('week', CAST(%s AS date)) AS date),", 1
    )
    + ") "
    + _upsert_sql("nps_day_rollups", DAY_KEY, sqlite=False)
)


def _params(rows: dict[Key, list[int]], *, sqlite: bool) -> list[tuple[Any, ...]]:
    out = []
    for k in sorted(rows):  # one order for every writer: no deadlock between two batches
        day = k[1].isoformat() if sqlite else k[1]
        out.append((k[0], day, *k[2:], *rows[k]))
    return out


def store_zones(conn: Connection, stores: Iterable[str], *, lock: bool = False) -> dict[str, str]:
    """The cached profile time zone of each store (``lock``: FOR SHARE on PostgreSQL)."""
    wanted = sorted(set(stores))
    if not wanted:
        return {}
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = (
        f"SELECT store_id, time_zone FROM stores WHERE store_id IN "
        f"({', '.join([mark] * len(wanted))})"
    )
    if lock and not sqlite:
        sql += " FOR SHARE"
    return {r[0]: r[1] or "UTC" for r in conn.exec_driver_sql(sql, tuple(wanted))}


def add_responses(conn: Connection, answers: list[Answer]) -> None:
    """Count newly stored responses into every rollup table (call it in the transaction
    that inserts them: every insert path does)."""
    if not answers:
        return
    zones = store_zones(conn, (a.store_id for a in answers), lock=True)
    write(conn, *deltas(answers, zones))


def write(
    conn: Connection,
    fine: dict[Key, list[int]],
    days: dict[Key, list[int]],
    *,
    weeks: bool = True,
) -> None:
    """Add count deltas: ``fine`` to nps_rollups, ``days`` to nps_day_rollups and, summed per
    week, to nps_week_rollups (a batch of one device's answers touches one or two weeks: one
    more upserted row or two per batch). Tables and keys in one order for every writer.
    ``weeks=False``: not the week table (migration 0005 runs before it exists)."""
    sqlite = conn.dialect.name == "sqlite"
    if fine:
        conn.exec_driver_sql(
            _upsert_sql("nps_rollups", FINE_KEY, sqlite=sqlite), _params(fine, sqlite=sqlite)
        )
    if not days:
        return
    day_sql = _upsert_sql("nps_day_rollups", DAY_KEY, sqlite=sqlite)
    if not weeks:
        conn.exec_driver_sql(day_sql, _params(days, sqlite=sqlite))
    elif sqlite:  # in-process: one more executemany costs ~0.05 ms
        conn.exec_driver_sql(day_sql, _params(days, sqlite=True))
        conn.exec_driver_sql(
            _upsert_sql("nps_week_rollups", WEEK_KEY, sqlite=True),
            _params(weeks_of(days), sqlite=True),
        )
    else:  # PostgreSQL: each day row's statement upserts its week too, no extra round trip
        conn.exec_driver_sql(_DAY_AND_WEEK_PG, [p + p for p in _params(days, sqlite=False)])


# -- time zones and rebuilding -----------------------------------------------------------------


def resolve_time_zones(conn: Connection) -> dict[str, str]:
    """Each store's profile time zone, resolved as hq.profiles resolves it (the store's own
    setting, then its groups nearest kind first, then the chain, then UTC), from the tables
    alone (so migration 0005 can use it too)."""
    settings: dict[tuple[str, str], dict[str, Any]] = {}
    for scope, scope_id, text in conn.exec_driver_sql(
        "SELECT scope, scope_id, settings FROM profile_settings"
    ):
        settings[(scope, scope_id)] = json.loads(text or "{}")
    rank = {k: i for i, k in enumerate(GROUP_PRECEDENCE)}
    members: dict[str, list[tuple[int, str]]] = {}
    for store_id, group_id, kind in conn.exec_driver_sql(
        "SELECT m.store_id, g.group_id, g.kind FROM store_group_members m "
        "JOIN store_groups g ON g.group_id = m.group_id"
    ):
        members.setdefault(store_id, []).append((rank.get(kind, 99), group_id))
    chain = settings.get(("chain", ""), {}).get("time_zone")
    out = {}
    for (store_id,) in conn.exec_driver_sql("SELECT store_id FROM stores"):
        tz = settings.get(("store", store_id), {}).get("time_zone")
        for _rank, gid in sorted(members.get(store_id, [])):
            tz = tz or settings.get(("group", gid), {}).get("time_zone")
        out[store_id] = tz or chain or "UTC"
    return out


def refresh_time_zones(conn: Connection, *, rebuild_changed: bool = True) -> list[str]:
    """Bring ``stores.time_zone`` up to date with the profiles and rebuild the rollups of each
    store whose zone changed, in the caller's transaction; returns those stores."""
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    cached = {r[0]: r[1] for r in conn.exec_driver_sql("SELECT store_id, time_zone FROM stores")}
    wanted = resolve_time_zones(conn)
    changed = sorted(sid for sid, tz in wanted.items() if cached.get(sid) != tz)
    if not changed:
        return []
    for sid in changed:
        # The row first: from here a concurrent ingest of this store waits (FOR SHARE).
        conn.exec_driver_sql(
            f"UPDATE stores SET time_zone = {mark} WHERE store_id = {mark}", (wanted[sid], sid)
        )
    if rebuild_changed:
        rebuild(conn, changed)
    return changed


def _raw_answers(
    conn: Connection, store_id: str, time_column: str = "corrected_time"
) -> Iterator[Answer]:
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    assert time_column in ("corrected_time", "device_time")
    result = conn.exec_driver_sql(
        f"SELECT {time_column}, channel, language, survey_version, category, suspect "
        f"FROM responses WHERE store_id = {mark}",
        (store_id,),
    )
    for t, ch, lang, sv, cat, sus in result:
        if isinstance(t, str):  # SQLite's text
            t = datetime.fromisoformat(t)
        yield Answer(store_id, t, ch, lang, sv, cat, bool(sus))


def rebuild(
    conn: Connection,
    stores: list[str] | None = None,
    *,
    time_column: str = "corrected_time",
    weeks: bool = True,
) -> int:
    """Recompute the rollups of ``stores`` (None: every store) from raw rows (by their
    corrected time; migration 0005 predates it and passes ``device_time``, and ``weeks=False``:
    the week table comes with 0010), in the caller's transaction; returns the responses
    counted."""
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    if stores is None:
        stores = [r[0] for r in conn.exec_driver_sql("SELECT store_id FROM stores")]
        stores += [
            r[0]
            for r in conn.exec_driver_sql("SELECT DISTINCT store_id FROM nps_day_rollups")
            if r[0] not in set(stores)
        ]
    counted = 0
    for sid in sorted(set(stores)):
        for table in ROLLUP_TABLES if weeks else ROLLUP_TABLES[:2]:
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE store_id = {mark}", (sid,))
        zones = store_zones(conn, [sid])
        answers = list(_raw_answers(conn, sid, time_column))
        counted += len(answers)
        write(conn, *deltas(answers, zones), weeks=weeks)
    return counted


# -- reading ---------------------------------------------------------------------------------


def day_span(
    since: datetime | None, until: datetime | None, tz: str
) -> tuple[date | None, date | None]:
    """The store-local days an instant range [since, until) touches, in zone ``tz``: from the
    local date of ``since`` through the local date of the last instant before ``until``
    (inclusive; whole local days — a rollup has no finer grain)."""
    first = local_day(since, tz) if since is not None else None
    last = local_day(until - timedelta(microseconds=1), tz) if until is not None else None
    return first, last


def rebuild_rollups(hq: Hq, *, store_id: str | None = None) -> int:
    """``nps-hq rebuild-rollups``: zones refreshed, then the rollups of one store (or all)
    recomputed from raw rows in one transaction; returns the responses counted."""
    with hq.db.writing() as s:
        conn = s.connection()
        refresh_time_zones(conn, rebuild_changed=False)
        return rebuild(conn, [store_id] if store_id else None)
