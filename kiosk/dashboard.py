"""The figures on the admin dashboard, computed from the per-day rollups (see kiosk.rollups).

Everything here reads a few thousand rollup rows at most, whatever the number of responses, so
the dashboard stays instant at a million answers. ``source=Source.RESPONSES`` computes the same
figures by scanning the responses table: the baseline of the benchmark and a check in the tests.
Days are the store's local days (the ``time_zone`` setting): "today" starts at the store's
midnight, whatever the machine's zone, and a week starts on its Monday.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from core.nps import Category, NpsResult, category, nps_from_counts
from kiosk.db import Database
from kiosk.localtime import local_today, zone


class Source(StrEnum):
    ROLLUPS = "rollups"
    RESPONSES = "responses"  # a full scan: the benchmark's baseline


_SCORES_FROM = {
    Source.ROLLUPS: "daily_rollups",
    Source.RESPONSES: "(SELECT coalesce(local_day, date(device_time)) AS day, channel, language, "
    "suspect, score, 1 AS n FROM responses)",
}
_DONE_FROM = {
    Source.ROLLUPS: "daily_completions",
    Source.RESPONSES: "(SELECT coalesce(local_day, date(device_time)) AS day, suspect, "
    "completion, 1 AS n FROM responses WHERE completion IS NOT NULL)",
}

PERIODS: tuple[tuple[str, str, int | None], ...] = (
    ("today", "Today", 1),
    ("7d", "Last 7 days", 7),
    ("30d", "Last 30 days", 30),
    ("all", "All time", None),
)


@dataclass(frozen=True)
class PeriodNps:
    key: str  # today | 7d | 30d | all
    label: str
    since: date | None  # first day counted (the store's local date); None for all time
    result: NpsResult


@dataclass(frozen=True)
class TrendPoint:
    start: date  # first day of the day or week
    result: NpsResult


@dataclass(frozen=True)
class SplitNps:
    name: str  # a channel (kiosk, qr) or a language code
    result: NpsResult


@dataclass(frozen=True)
class CompletionStats:
    """How follow-ups ended: done, skipped, timed out, or completed on start after a crash."""

    done: int
    skip: int
    timeout: int
    recovered: int

    @property
    def rate(self) -> float | None:
        """Share of follow-ups the customer finished (done / (done + skip + timeout))."""
        ended = self.done + self.skip + self.timeout
        return self.done / ended if ended else None


@dataclass(frozen=True)
class Dashboard:
    today: date  # the store's local date
    time_zone: str  # the store's zone the days are in
    include_suspect: bool
    window_days: int | None  # the window of the distribution, splits, trend and completion
    periods: tuple[PeriodNps, ...]
    window: NpsResult  # the NPS of the window itself
    distribution: tuple[int, ...]  # responses per score 0..10 in the window
    trend_unit: str  # day | week
    trend: tuple[TrendPoint, ...]
    by_channel: tuple[SplitNps, ...]
    by_language: tuple[SplitNps, ...]
    completion: CompletionStats
    suspect_in_window: int  # suspect responses in the window (left out unless included)
    responses_total: int  # every response, suspect or not, all time


def _result(counts: dict[Category, int]) -> NpsResult:
    return nps_from_counts(
        promoters=counts[Category.PROMOTER],
        passives=counts[Category.PASSIVE],
        detractors=counts[Category.DETRACTOR],
    )


def _zero() -> dict[Category, int]:
    return {Category.PROMOTER: 0, Category.PASSIVE: 0, Category.DETRACTOR: 0}


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def dashboard(
    db: Database,
    *,
    include_suspect: bool = False,
    window_days: int | None = 30,
    today: date | None = None,
    source: Source = Source.ROLLUPS,
) -> Dashboard:
    """The dashboard's figures. ``window_days`` None means all time; ``today`` defaults to the
    store's local date now."""
    time_zone = db.settings().time_zone
    today = today or local_today(zone(time_zone))
    window_since = today - timedelta(days=window_days - 1) if window_days else None
    since_text = window_since.isoformat() if window_since else "0000-00-00"
    today_text = today.isoformat()
    scores_from, done_from = _SCORES_FROM[source], _DONE_FROM[source]
    period_since = {key: (today - timedelta(days=d - 1) if d else None) for key, _, d in PERIODS}
    dated = {key: since for key, since in period_since.items() if since is not None}
    counted = "suspect IN (0, 1)" if include_suspect else "suspect = 0"
    # The dated periods and the window read only their own days (a primary-key range); only
    # the all-time totals read every rollup row, with the cheapest GROUP BY there is.
    recent_since = min([*dated.values(), *([window_since] if window_since else [])])
    cols = [f"sum(CASE WHEN day >= ? AND {counted} THEN n ELSE 0 END)" for _ in dated]
    params = [since.isoformat() for since in dated.values()]
    if window_since is not None:
        cols += [
            f"sum(CASE WHEN day >= ? AND {counted} THEN n ELSE 0 END)",
            "sum(CASE WHEN day >= ? AND suspect = 1 THEN n ELSE 0 END)",
        ]
        params += [since_text, since_text]
    with db.reading() as s:
        conn = s.connection()
        recent = conn.exec_driver_sql(
            f"SELECT score, {', '.join(cols)} FROM {scores_from} "
            "WHERE day >= ? AND day <= ? GROUP BY score",
            (*params, recent_since.isoformat(), today_text),
        ).all()
        totals = conn.exec_driver_sql(
            f"SELECT score, suspect, sum(n) FROM {scores_from} WHERE day <= ? "
            "GROUP BY score, suspect",
            (today_text,),
        ).all()
        per_day = conn.exec_driver_sql(
            f"SELECT day, score, sum(n) FROM {scores_from} WHERE {counted} "
            "AND day >= ? AND day <= ? GROUP BY day, score",
            (since_text, today_text),
        ).all()
        splits = conn.exec_driver_sql(
            f"SELECT channel, language, score, sum(n) FROM {scores_from} "
            f"WHERE {counted} AND day >= ? AND day <= ? "
            "GROUP BY channel, language, score",
            (since_text, today_text),
        ).all()
        done = conn.exec_driver_sql(
            f"SELECT completion, sum(n) FROM {done_from} WHERE {counted} "
            "AND day >= ? AND day <= ? GROUP BY completion",
            (since_text, today_text),
        ).all()

    period_counts = {key: _zero() for key, _, _ in PERIODS}
    distribution = [0] * 11
    window_counts = _zero()
    suspect_in_window = responses_total = 0
    for row in recent:
        score, cat = row[0], category(row[0])
        for i, key in enumerate(dated):
            period_counts[key][cat] += row[1 + i]
        if window_since is not None:
            in_window, suspect = row[1 + len(dated) :]
            distribution[score] += in_window
            window_counts[cat] += in_window
            suspect_in_window += suspect
    for score, suspect, n in totals:
        cat = category(score)
        responses_total += n
        if include_suspect or not suspect:
            period_counts["all"][cat] += n
            if window_since is None:
                distribution[score] += n
                window_counts[cat] += n
        if suspect and window_since is None:
            suspect_in_window += n

    trend_unit = "day" if window_days is not None and window_days <= 31 else "week"
    trend_counts: dict[date, dict[Category, int]] = defaultdict(_zero)
    for day_text, score, n in per_day:
        day = date.fromisoformat(day_text)
        bucket = day if trend_unit == "day" else _week_start(day)
        trend_counts[bucket][category(score)] += n

    channels: dict[str, dict[Category, int]] = defaultdict(_zero)
    languages: dict[str, dict[Category, int]] = defaultdict(_zero)
    for channel, language, score, n in splits:
        channels[channel][category(score)] += n
        languages[language][category(score)] += n

    completion: dict[str, int] = {str(k): int(v) for k, v in done}
    return Dashboard(
        today=today,
        time_zone=time_zone,
        include_suspect=include_suspect,
        window_days=window_days,
        periods=tuple(
            PeriodNps(key, label, period_since[key], _result(period_counts[key]))
            for key, label, _ in PERIODS
        ),
        window=_result(window_counts),
        distribution=tuple(distribution),
        trend_unit=trend_unit,
        trend=tuple(
            TrendPoint(start, _result(trend_counts[start])) for start in sorted(trend_counts)
        ),
        by_channel=tuple(SplitNps(k, _result(v)) for k, v in sorted(channels.items())),
        by_language=tuple(SplitNps(k, _result(v)) for k, v in sorted(languages.items())),
        completion=CompletionStats(
            done=int(completion.get("done", 0)),
            skip=int(completion.get("skip", 0)),
            timeout=int(completion.get("timeout", 0)),
            recovered=int(completion.get("recovered", 0)),
        ),
        suspect_in_window=suspect_in_window,
        responses_total=responses_total,
    )
