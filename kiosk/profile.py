"""The store profile HQ sends (protocol v2), on the kiosk: checked, kept, and mapped onto the
settings.

:func:`receive` runs on the sync worker thread: it verifies the signature with the device
secret (core.profile.verify_profile), checks that the profile is for this store and newer than
the one kept, and in one transaction keeps it (``store_profile``, signed as received) and
writes the settings it manages (:func:`managed_settings`: store name, zone, hours, languages,
survey texts, thank-you (with the promoters' review link), follow-up timeout, anti-stuffing,
and the retention policy when HQ sets one for the store).
A profile that fails any of that is refused: nothing changes, the reason goes to the sync
status and the log.

The customer's screens read their settings once per customer (ui.survey re-reads them when the
next question screen is shown), so a profile written while a customer is on the follow-up or
thank-you screen shows from the next customer on. What HQ leaves to the store (PIN, screen,
pointer, low-space warning, minimum answer time) is never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from core.errors import CoreError
from core.profile import (
    WEEKDAYS,
    BadProfileSignature,
    SignedProfileV1,
    StoreProfileV1,
    verify_profile,
)
from core.protocol import describe
from core.said import to_stored
from kiosk import audit
from kiosk.db import Database, utcnow
from kiosk.errors import KioskError
from kiosk.models import StoreProfileRow, SyncStatusRow

log = logging.getLogger(__name__)

# The settings a profile decides; the Settings tab shows them read-only while one is applied.
MANAGED_KEYS: tuple[str, ...] = (
    "store_name",
    "time_zone",
    "opening_hours",
    "languages",
    "default_language",
    "question",
    "label_low",
    "label_high",
    "follow_up_question",
    "reasons",
    "consent",
    "thank_you_s",
    "thank_you_qr",
    "review_url",
    "follow_up_timeout_s",
    "min_tap_interval_s",
    "burst_taps",
    "burst_window_s",
    "survey_version",
    "profile_version",
    # Only when the profile carries ``retention`` (HQ sets a retention key for the store);
    # otherwise the kiosk's own retention settings stay.
    "retention_contact_resolved_days",
    "retention_contact_days",
    "retention_comment_days",
)


class ProfileRefused(KioskError):
    """A profile from HQ that the kiosk will not apply (bad signature, another store's, or
    settings the kiosk cannot take); the kiosk keeps the profile it has."""


@dataclass(frozen=True)
class StoredProfile:
    version: int
    store_id: str
    received_at: datetime
    applied_at: datetime | None


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _hhmm(t: Any) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def _hours(profile: StoreProfileV1) -> dict[str, list[list[str]]]:
    """core.profile's hours (no entry for a weekday: open all day) as the kiosk's setting (no
    entry: closed; {}: always open)."""
    if not profile.opening_hours:
        return {}
    out: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        periods = profile.opening_hours.get(day)
        if periods is None:
            out[day] = [["00:00", "24:00"]]
            continue
        spans = []
        for p in periods:
            opens = _hhmm(p.opens)
            closes = "24:00" if p.closes.hour == 0 and p.closes.minute == 0 else _hhmm(p.closes)
            if opens != closes and opens != "24:00":
                spans.append([opens, closes])
        out[day] = spans
    return out


def managed_settings(profile: StoreProfileV1) -> dict[str, Any]:
    """The kiosk settings a profile sets. Texts the kiosk keeps by language with English as the
    fallback; a survey without English gets its first language's texts as that fallback (never
    shown: English is not on offer then). Numbers outside the kiosk's ranges are clamped."""
    survey = profile.survey
    langs = list(survey.languages)
    texts: dict[str, Any] = {lang: survey.texts[lang] for lang in langs}
    fallback = texts[langs[0]]

    def per_lang(pick: Any) -> dict[str, str]:
        out: dict[str, str] = {lang: str(pick(t)) for lang, t in texts.items()}
        out.setdefault("en", str(pick(fallback)))
        return out

    categories = ("detractor", "passive", "promoter")
    follow_up = {cat: per_lang(lambda t, c=cat: t.follow_up[c]) for cat in categories}
    reasons: dict[str, list[dict[str, str]]] = {}
    for cat in categories:
        chips: dict[str, dict[str, str]] = {}
        for lang in [*langs, "en"]:
            source = texts.get(lang, fallback)
            for chip in source.reasons.get(cat, []):
                chips.setdefault(chip.key, {"key": chip.key}).setdefault(lang, chip.label)
        for chip_texts in chips.values():
            chip_texts.setdefault("en", next(v for k, v in chip_texts.items() if k != "key"))
        reasons[cat] = list(chips.values())
    anti = profile.anti_stuffing
    retention: dict[str, Any] = {}
    if profile.retention is not None:
        retention = {
            "retention_contact_resolved_days": profile.retention.contact_resolved_days,
            "retention_contact_days": profile.retention.contact_days,
            "retention_comment_days": profile.retention.comment_days,
        }
    return {
        "store_name": profile.display_name.strip()[:80],
        "time_zone": profile.time_zone,
        "opening_hours": _hours(profile),
        "languages": langs,
        "default_language": langs[0],
        "question": per_lang(lambda t: t.question),
        "label_low": per_lang(lambda t: t.label_low),
        "label_high": per_lang(lambda t: t.label_high),
        "follow_up_question": follow_up,
        "reasons": reasons,
        "consent": {lang: t.consent for lang, t in texts.items()},
        "thank_you_s": profile.thank_you.seconds,
        "thank_you_qr": profile.thank_you.phone_qr,
        "review_url": profile.thank_you.review_url or "",
        "follow_up_timeout_s": int(_clamp(profile.follow_up_timeout_s, 5, 300)),
        "min_tap_interval_s": float(_clamp(anti.min_tap_interval_s, 0, 60)),
        "burst_taps": int(_clamp(anti.burst_taps, 2, 100)),
        "burst_window_s": int(_clamp(anti.burst_window_s, 5, 600)),
        "survey_version": survey.id,
        "profile_version": profile.version,
        **retention,
    }


def stored(db: Database) -> StoredProfile | None:
    """The profile kept (one primary-key read), or None."""
    with db.reading() as s:
        row = s.get(StoreProfileRow, 1)
        if row is None:
            return None
        return StoredProfile(row.version, row.store_id, row.received_at, row.applied_at)


def stored_version(db: Database) -> int | None:
    kept = stored(db)
    return kept.version if kept else None


def record_refusal(db: Database, message: str, *, at: datetime | None = None) -> None:
    """Put a refused profile's reason in the sync status (the Sync tab shows it)."""
    with db.writing() as s:
        row = s.get(SyncStatusRow, 1)
        if row is not None:
            row.profile_error = to_stored(message)[:2000]
            row.profile_error_at = at or utcnow()
        audit.add(s, "profile_refused", reason=message[:200])


def receive(
    db: Database, signed: SignedProfileV1, *, secret: bytes, at: datetime | None = None
) -> StoreProfileV1 | None:
    """Check, keep and write a profile from HQ; returns it when it was applied, None when it is
    not newer than the one kept. Raises :class:`ProfileRefused` (after recording why) when it
    must not be applied; the kiosk then keeps what it has."""
    now = at or utcnow()
    try:
        profile = verify_profile(secret, signed)
    except BadProfileSignature as exc:
        _refuse(db, str(exc), now)
    except ValidationError as exc:
        _refuse(db, f"HQ sent a store profile this kiosk cannot read ({describe(exc)}).", now)
    except CoreError as exc:  # pragma: no cover - verify_profile raises only the above
        _refuse(db, str(exc), now)
    settings = db.settings()
    if profile.store_id != settings.store_id:
        _refuse(
            db,
            f"HQ sent the profile of store {profile.store_id!r} to this kiosk of store "
            f"{settings.store_id!r}; it was not applied. Enroll the kiosk again if it moved.",
            now,
        )
    kept = stored(db)
    if kept is not None and kept.version >= profile.version:
        return None
    values = managed_settings(profile)
    from kiosk.questions import save_settings
    from kiosk.settings import to_stored

    try:
        for key, value in values.items():
            to_stored(key, value)
    except KioskError as exc:
        _refuse(db, f"Profile version {profile.version} cannot be applied here: {exc}", now)
    # The settings first (their own transaction: a new question version when the wording
    # changed, a re-key when the zone moved, audited), then the profile row; if the second
    # write fails, the next check fetches the profile again and writing it again is harmless.
    save_settings(db, **values)
    with db.writing() as s:
        row = s.get(StoreProfileRow, 1)
        if row is None:
            row = StoreProfileRow(id=1)
            s.add(row)
        row.version = profile.version
        row.store_id = profile.store_id
        row.signed = signed.model_dump_json()
        row.received_at = now
        row.applied_at = now
        status = s.get(SyncStatusRow, 1)
        if status is not None:
            status.profile_error = None
            status.profile_error_at = None
        audit.add(s, "profile_applied", version=profile.version, survey=profile.survey.id)
    log.info("Store profile version %d from HQ applied", profile.version)
    return profile


def _refuse(db: Database, message: str, at: datetime) -> Any:
    log.warning("Store profile refused: %s", message)
    record_refusal(db, message, at=at)
    raise ProfileRefused(message)


def managed_version(db: Database) -> int | None:
    """The profile version HQ manages the settings with, or None (the Settings tab's question:
    are the HQ-managed fields read-only?). Only while the kiosk is enrolled."""
    with db.reading() as s:
        enrolled = s.scalar(select(SyncStatusRow.hq_url).where(SyncStatusRow.id == 1))
        row = s.get(StoreProfileRow, 1)
        if not enrolled or row is None or row.applied_at is None:
            return None
        return int(row.version)
