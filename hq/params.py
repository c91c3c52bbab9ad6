"""Range-checked parameter types for HQ's routes: a number or time outside them is a 422 that
names the field, never an overflow deep in the database layer (a 500)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_ROW_ID = 2**31 - 1  # the INTEGER primary keys of SQLite and PostgreSQL alike


def bounded_utc(value: datetime) -> datetime:
    """``value`` in UTC (a time without an offset is read as UTC), within
    [:data:`EARLIEST`, :data:`LATEST`); ValueError (a 422) otherwise."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(
            "must be a time from 2000-01-01 up to 2100-01-01 UTC, e.g. 2026-01-31T00:00:00+05:30"
        )
    return utc


BoundedDatetime = Annotated[datetime, AfterValidator(bounded_utc)]
"""A query time within 2000-01-01 .. 2100-01-01 UTC, returned as an aware UTC datetime."""

FromQuery = Annotated[BoundedDatetime | None, Query(alias="from")]
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
