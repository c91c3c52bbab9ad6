"""Store profiles: what HQ decides for a store and pushes to its kiosks, signed.

A profile carries the store's display name, IANA time zone, opening hours, the published survey
version it asks (question, end labels, follow-up questions, reason chips and consent wording in
each of its languages, in order), the thank-you options, the follow-up timeout and the
anti-stuffing rules. HQ keeps one current profile per store; ``version`` grows by one with every
change, so a kiosk compares one number to know whether it is up to date.

Survey versions are published like ODK Central forms: a draft is edited, then published as an
immutable version with a chain-wide integer id; every response records the id it was asked with
(``ResponseV1.survey_version``).

The kiosk receives a :class:`SignedProfileV1`: the profile plus an HMAC-SHA256 over its
canonical JSON with the device secret from enrollment, so a proxy between the two cannot change
the question. :func:`sign_profile` and :func:`verify_profile` are the two ends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from core.errors import CoreError
from core.protocol import (
    MAX_INT32,
    CategoryName,
    Identifier,
    Language,
    ReasonKey,
    Text,
)
from core.protocol import (
    DeviceHealthV1 as DeviceHealthV1,  # defined with the batch it rides in
)

PROFILE_FORMAT: Literal[1] = 1
# Every language a survey may be asked in (the customer's path has these catalogs and fonts).
SurveyLanguage = Language
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ShortText = Annotated[Text, Field(min_length=1, max_length=300)]


class BadProfileSignature(CoreError):
    """A profile's signature does not match its content and this device's secret: it was
    changed on the way, or it is for another device. The kiosk keeps the profile it has."""


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReasonChip(_Doc):
    key: ReasonKey
    label: ShortText


class SurveyTexts(_Doc):
    """The survey in one language."""

    question: ShortText
    label_low: ShortText
    label_high: ShortText
    follow_up: dict[CategoryName, ShortText]
    reasons: dict[CategoryName, list[ReasonChip]] = Field(default_factory=dict)
    consent: ShortText

    @field_validator("follow_up")
    @classmethod
    def _every_category(cls, value: dict[str, str]) -> dict[str, str]:
        missing = {"detractor", "passive", "promoter"} - set(value)
        if missing:
            raise ValueError(f"follow_up needs a question for {', '.join(sorted(missing))}")
        return value

    @field_validator("reasons")
    @classmethod
    def _chips(cls, value: dict[str, list[ReasonChip]]) -> dict[str, list[ReasonChip]]:
        for cat, chips in value.items():
            if len(chips) > 12:
                raise ValueError(f"reasons for {cat}: at most 12 chips")
            keys = [c.key for c in chips]
            if len(set(keys)) != len(keys):
                raise ValueError(f"reasons for {cat} list a key twice")
        return value


class SurveyVersionV1(_Doc):
    """A published survey: immutable, with a chain-wide id."""

    id: StrictInt = Field(ge=1, le=MAX_INT32)
    name: StrictStr = Field(default="", max_length=120)
    languages: list[SurveyLanguage] = Field(min_length=1, max_length=6)
    texts: dict[SurveyLanguage, SurveyTexts]
    published_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _texts_for_every_language(self) -> SurveyVersionV1:
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("languages lists a language twice")
        missing = [lang for lang in self.languages if lang not in self.texts]
        if missing:
            raise ValueError(f"the survey has no texts in {', '.join(missing)}")
        return self


class OpeningPeriod(_Doc):
    opens: time
    closes: time  # a period that closes before it opens runs past midnight


class ThankYouOptions(_Doc):
    seconds: StrictInt = Field(default=5, ge=2, le=60)
    phone_qr: StrictBool = False
    review_url: StrictStr | None = Field(
        default=None, max_length=500, description="https link shown to promoters as a QR code"
    )

    @field_validator("review_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("review_url must start with https://")
        return value


class AntiStuffing(_Doc):
    min_tap_interval_s: float = Field(default=3.0, ge=0, le=600)
    burst_taps: StrictInt = Field(default=5, ge=2, le=1000)
    burst_window_s: StrictInt = Field(default=30, ge=1, le=3600)


RETENTION_MAX_DAYS = 3650
RetentionDays = Annotated[StrictInt, Field(ge=1, le=RETENTION_MAX_DAYS)]


class RetentionV1(_Doc):
    """How long the store's kiosks and HQ keep a customer's personal data: contact details
    ``contact_resolved_days`` after the follow-up case is resolved, or ``contact_days`` after
    the answer if it never is; comments ``comment_days`` after the answer (None: kept)."""

    contact_resolved_days: RetentionDays = 90
    contact_days: RetentionDays = 180
    comment_days: RetentionDays | None = None


class StoreProfileV1(_Doc):
    """Everything HQ manages for one store.

    ``retention`` is there only when HQ sets a retention key for the store (chain, group or
    store level) and the asking kiosk understands it (``GET /api/v1/profile?retention=1``);
    when absent it is left out of the JSON, so a profile without it has exactly the bytes (and
    signature, and HQ content hash) it had before the field existed, and a kiosk made before
    it (which refuses unknown fields) still verifies and applies the rest."""

    format: Literal[1] = PROFILE_FORMAT
    store_id: Identifier
    version: StrictInt = Field(ge=1, le=MAX_INT32)
    display_name: ShortText
    time_zone: StrictStr = Field(default="UTC", max_length=64)
    opening_hours: dict[Weekday, list[OpeningPeriod]] = Field(
        default_factory=dict, description="no entry for a weekday: open all day"
    )
    survey: SurveyVersionV1
    thank_you: ThankYouOptions = Field(default_factory=ThankYouOptions)
    follow_up_timeout_s: StrictInt = Field(default=20, ge=5, le=600)
    anti_stuffing: AntiStuffing = Field(default_factory=AntiStuffing)
    retention: RetentionV1 | None = Field(default=None, exclude_if=lambda v: v is None)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone; use a name such as Asia/Kolkata"
            ) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_open(self, at: datetime) -> bool:
        """Whether the store is open at the aware instant ``at`` (in its own zone). A period
        that closes before it opens runs past midnight into the next day."""
        local = at.astimezone(self.zone)
        day = local.weekday()
        now = local.time()
        periods = self.opening_hours.get(WEEKDAYS[day])
        yesterday = self.opening_hours.get(WEEKDAYS[(day - 1) % 7]) or []
        if any(p.opens > p.closes and now < p.closes for p in yesterday):
            return True  # the night of yesterday's late period
        if periods is None:
            return True
        for p in periods:
            if p.opens <= p.closes and p.opens <= now < p.closes:
                return True
            if p.opens > p.closes and now >= p.opens:
                return True
        return False


class SignedProfileV1(BaseModel):
    """``GET /api/v1/profile``: the store's current profile, signed for the asking device."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    profile: dict[str, Any]
    signature: StrictStr


def canonical(profile: StoreProfileV1 | dict[str, Any]) -> bytes:
    """The bytes a signature covers: the profile's JSON with sorted keys, no spaces, UTF-8."""
    data = profile.model_dump(mode="json") if isinstance(profile, StoreProfileV1) else profile
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _mac(secret: bytes, body: bytes) -> str:
    digest = hmac.new(secret, b"nps-profile.v1." + body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign_profile(secret: bytes, profile: StoreProfileV1) -> SignedProfileV1:
    data = profile.model_dump(mode="json")
    return SignedProfileV1(profile=data, signature=_mac(secret, canonical(data)))


def verify_profile(secret: bytes, signed: SignedProfileV1) -> StoreProfileV1:
    """The profile, if its signature is this device's over exactly its content; else
    :class:`BadProfileSignature` (and nothing is applied)."""
    want = _mac(secret, canonical(signed.profile))
    if not hmac.compare_digest(want, signed.signature):
        raise BadProfileSignature(
            "The profile HQ sent does not carry this device's signature (changed on the way, "
            "or meant for another device); the kiosk keeps the profile it has. If this "
            "repeats, check for a proxy rewriting traffic, or enroll the kiosk again."
        )
    return StoreProfileV1.model_validate(signed.profile)
