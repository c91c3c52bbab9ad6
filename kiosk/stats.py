"""The store's NPS from the local database (the `nps-kiosk stats` command and the screens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from kiosk.db import Database
from kiosk.models import ResponseRow
from kiosk.nps import NpsResult, nps_from_counts


def store_nps(db: Database, *, since: datetime | None = None, until: datetime | None = None,
              include_suspect: bool = False) -> NpsResult:
    """NPS of every answered score (the score counts from the tap, complete or not).

    Suspect responses are left out unless ``include_suspect``; ``since``/``until`` are UTC.
    """
    query = select(ResponseRow.category, func.count()).group_by(ResponseRow.category)
    if since is not None:
        query = query.where(ResponseRow.device_time >= since)
    if until is not None:
        query = query.where(ResponseRow.device_time < until)
    if not include_suspect:
        query = query.where(ResponseRow.suspect.is_(False))
    with db.reading() as s:
        counts = dict(s.execute(query).tuples().all())
    return nps_from_counts(promoters=counts.get("promoter", 0), passives=counts.get("passive", 0),
                           detractors=counts.get("detractor", 0))
