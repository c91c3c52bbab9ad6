"""The store's NPS from the local database (the `nps-kiosk stats` command)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from core.nps import NpsResult, category, nps_from_counts
from kiosk.db import Database
from kiosk.models import DailyRollupRow, ResponseRow


def store_nps(
    db: Database,
    *,
    since: date | datetime | None = None,
    until: datetime | None = None,
    include_suspect: bool = False,
) -> NpsResult:
    """NPS of every answered score (the score counts from the tap, complete or not).

    Suspect responses are left out unless ``include_suspect``. ``since`` is either a ``date``,
    the store's local day to start from (whole days come from the per-day rollups: a few rows,
    whatever the size of the store's history), or a ``datetime``, an instant in naive UTC (see
    kiosk.localtime.to_utc), counted from the responses themselves like ``until`` (exclusive).
    """
    counts = {"promoter": 0, "passive": 0, "detractor": 0}
    with db.reading() as s:
        if until is None and not isinstance(since, datetime):
            r = DailyRollupRow
            query = select(r.score, func.sum(r.n)).group_by(r.score)
            if since is not None:
                query = query.where(r.day >= since.isoformat())
            if not include_suspect:
                query = query.where(r.suspect.is_(False))
            for score, n in s.execute(query).all():
                counts[category(int(score)).value] += int(n)
        else:
            t = ResponseRow
            rows = select(t.category, func.count()).group_by(t.category)
            if since is not None:
                rows = rows.where(t.device_time >= since)
            if until is not None:
                rows = rows.where(t.device_time < until)
            if not include_suspect:
                rows = rows.where(t.suspect.is_(False))
            for cat, n in s.execute(rows).all():
                counts[str(cat)] += int(n)
    return nps_from_counts(
        promoters=counts["promoter"], passives=counts["passive"], detractors=counts["detractor"]
    )
