"""Bits the routers share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hq.db import naive_utc

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No, wrong or revoked token"},
    403: {"description": "A token that may not do this"},
    413: {"description": "Body too large"},
    422: {"description": "Malformed request"},
}


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else naive_utc(value)
