"""Survey links for the QR codes: ``<HQ public url>/m/<store>?t=<token>``, signed offline with
the device secret from enrollment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from core.mobile_token import make_token, read_claims
from kiosk import credentials
from kiosk.db import Database, utcnow
from sync.ledger import SyncStore


@dataclass(frozen=True)
class SurveyLink:
    """A phone survey link: ``<HQ public url>/m/<store>?t=<token>``, made offline."""

    url: str
    token: str
    kind: str  # single | poster
    store_id: str
    issued_at: datetime  # naive UTC
    expires_at: datetime  # naive UTC


def survey_link(
    db: Database, *, kind: str = "single", now: datetime | None = None, ttl_s: int | None = None
) -> SurveyLink:
    """A fresh signed link for this kiosk's store from the stored device secret (no network):
    ``single`` for the QR tab and the thank-you screen (one answer, 15 minutes), ``poster``
    for a printed poster (long-lived, multi-use, rate-limited at HQ). NotEnrolled before
    enrollment."""
    creds = credentials.load(db.path)
    status = SyncStore(db).status()
    base = (status.link_url or creds.hq_url).rstrip("/")
    issued = now or utcnow()
    token = make_token(
        secret=creds.device_secret,
        store_id=creds.store_id,
        device_id=creds.device_id,
        issued_at=issued,
        kind="poster" if kind == "poster" else "single",
        ttl=ttl_s,
    )
    claims = read_claims(token)
    issued_at = issued.replace(microsecond=0)
    return SurveyLink(
        url=f"{base}/m/{quote(creds.store_id)}?t={token}",
        token=token,
        kind=claims.kind,
        store_id=creds.store_id,
        issued_at=issued_at,
        expires_at=issued_at + timedelta(seconds=claims.ttl_s),
    )
