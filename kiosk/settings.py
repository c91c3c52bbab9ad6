"""Kiosk settings: stored in the database, with defaults, each value checked before it is kept."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from core.nps import Category
from core.said import Said
from core.survey_texts import (
    DEFAULT_FOLLOW_UP,
    DEFAULT_LABEL_HIGH,
    DEFAULT_LABEL_LOW,
    DEFAULT_QUESTION,
    DEFAULT_REASONS,
    LANGUAGES,
)
from kiosk.errors import SettingError
from kiosk.localtime import WEEKDAYS, is_zone_name, machine_zone

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CATEGORIES = tuple(c.value for c in Category)
# The languages of the manager's admin view (catalogs: core/locale/<lang>/LC_MESSAGES/admin.po).
ADMIN_LANGUAGES = ("en", "hi")


@dataclass(frozen=True)
class Settings:
    """Every kiosk setting with its default. Texts are keyed by language code."""

    store_id: str = "store-1"
    store_name: str = "Our Store"
    device_id: str = ""  # made once on first start (see kiosk.db.open_database)
    languages: tuple[str, ...] = ("en", "hi")
    default_language: str = "en"
    question: Mapping[str, str] | None = None
    question_version: int = 1
    label_low: Mapping[str, str] | None = None
    label_high: Mapping[str, str] | None = None
    follow_up_question: Mapping[str, Mapping[str, str]] | None = None
    reasons: Mapping[str, list[Mapping[str, str]]] | None = None
    follow_up_timeout_s: int = 20
    thank_you_s: int = 5
    min_tap_interval_s: float = 3.0
    burst_taps: int = 5
    burst_window_s: int = 30
    min_answer_ms: int = 300
    hide_pointer: bool = True
    admin_pin_hash: str = ""
    thank_you_qr: bool = False  # a small QR code (single-use phone link) on the thank-you screen
    # An https link ("review us") shown to promoters (9-10) on the thank-you screen as a QR
    # code; "" = none. From HQ's store profile (thank_you.review_url).
    review_url: str = ""
    screen: str = ""  # the screen the kiosk fills: a screen's name or index; "" = the primary
    # The store's IANA zone: its days, weeks and hours. A new kiosk stores the machine's zone
    # on first start (kiosk.db), so the days already kept do not move if the machine's does.
    time_zone: str = field(default_factory=machine_zone)
    # Local opening hours per weekday ("mon".."sun": [["09:00", "21:00"], ...]); empty: always
    # open. Answers outside them are kept and flagged suspect ("closed").
    opening_hours: Mapping[str, list[list[str]]] = field(default_factory=dict)
    low_space_mb: int = 50  # the admin view warns when the database's disk has less free
    # The contact opt-in's wording per language ({} or a missing language: the catalog's).
    consent: Mapping[str, str] = field(default_factory=dict)
    # From the store profile HQ sent (kiosk.profile): the published survey version the texts
    # are, recorded on each answer, and the profile's version. None: not managed by HQ.
    survey_version: int | None = None
    profile_version: int | None = None
    # Retention (kiosk.privacy.purge, daily): contact details N days after the case is resolved,
    # M days after the answer if it never is; comments K days after the answer (None: kept).
    retention_contact_resolved_days: int = 90
    retention_contact_days: int = 180
    retention_comment_days: int | None = None
    admin_language: str = "en"  # the manager's admin view: en or hi (ui/admin/texts.py)

    def __post_init__(self) -> None:
        # Mutable defaults cannot sit in the field list of a frozen dataclass.
        for name, default in (
            ("question", DEFAULT_QUESTION),
            ("label_low", DEFAULT_LABEL_LOW),
            ("label_high", DEFAULT_LABEL_HIGH),
            ("follow_up_question", DEFAULT_FOLLOW_UP),
            ("reasons", DEFAULT_REASONS),
        ):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)

    def text(self, name: str, language: str) -> str:
        """A per-language text, falling back to English when a translation is missing."""
        table: Mapping[str, str] = getattr(self, name)
        return table.get(language) or table["en"]

    def follow_up_text(self, cat: Category | str, language: str) -> str:
        assert self.follow_up_question is not None
        table = self.follow_up_question[str(cat)]
        return table.get(language) or table["en"]

    def consent_text(self, language: str) -> str | None:
        """The contact opt-in's wording from HQ's profile, or None for the catalog's."""
        return self.consent.get(language) or None

    def reason_chips(self, cat: Category | str, language: str) -> list[tuple[str, str]]:
        """(key, label) pairs of the reason chips offered for a category."""
        assert self.reasons is not None
        return [(r["key"], r.get(language) or r["en"]) for r in self.reasons[str(cat)]]


SECONDS = Said("seconds")
DAYS = Said("days")


def _unknown_language(code: object) -> Said:
    return Said(
        "unknown language {code}; allowed: {allowed}", code=repr(code), allowed=", ".join(LANGUAGES)
    )


def _one_of(allowed: Iterable[str], value: object) -> Said:
    return Said(
        "must be one of {allowed}, not {value}", allowed=", ".join(allowed), value=repr(value)
    )


def _text(key: str, value: Any, *, limit: int = 120) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingError(key, Said("must be a non-empty text"))
    if len(value) > limit:
        raise SettingError(
            key,
            Said(
                "must be at most {limit} characters, not {length}", limit=limit, length=len(value)
            ),
        )
    return value.strip()


def _int_range(low: int, high: int, unit: Said | None = None) -> Callable[[str, Any], int]:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            if unit is None:
                problem = Said(
                    "must be a whole number from {low} to {high}, not {value}",
                    low=low,
                    high=high,
                    value=repr(value),
                )
            else:
                problem = Said(
                    "must be a whole number from {low} to {high} {unit}, not {value}",
                    low=low,
                    high=high,
                    unit=unit,
                    value=repr(value),
                )
            raise SettingError(key, problem)
        return value

    return check


def _float_range(low: float, high: float, unit: Said) -> Callable[[str, Any], float]:
    def check(key: str, value: Any) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (low <= value <= high)
        ):
            raise SettingError(
                key,
                Said(
                    "must be a number from {low} to {high} {unit}, not {value}",
                    low=format(low, "g"),
                    high=format(high, "g"),
                    unit=unit,
                    value=repr(value),
                ),
            )
        return float(value)

    return check


def _identifier(key: str, value: Any) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise SettingError(
            key,
            Said(
                "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, "
                "not {value}",
                value=repr(value),
            ),
        )
    return value


def _languages(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise SettingError(
            key,
            Said("must be a list of language codes from {allowed}", allowed=", ".join(LANGUAGES)),
        )
    unknown = [v for v in value if v not in LANGUAGES]
    if unknown:
        raise SettingError(key, _unknown_language(unknown[0]))
    return tuple(dict.fromkeys(value))


def _language(key: str, value: Any) -> str:
    if value not in LANGUAGES:
        raise SettingError(key, _one_of(LANGUAGES, value))
    return str(value)


def _per_language(limit: int) -> Callable[[str, Any], dict[str, str]]:
    def check(key: str, value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping) or "en" not in value:
            raise SettingError(
                key, Said("must give a text per language, with English ('en') at least")
            )
        out = {}
        for lang, text in value.items():
            if lang not in LANGUAGES:
                raise SettingError(key, _unknown_language(lang))
            out[lang] = _text(f"{key}.{lang}", text, limit=limit)
        return out

    return check


def _follow_up(key: str, value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, Mapping) or set(value) != set(CATEGORIES):
        raise SettingError(
            key,
            Said("must give a question for each of {categories}", categories=", ".join(CATEGORIES)),
        )
    return {cat: _per_language(160)(f"{key}.{cat}", value[cat]) for cat in CATEGORIES}


def _reasons(key: str, value: Any) -> dict[str, list[dict[str, str]]]:
    if not isinstance(value, Mapping) or set(value) != set(CATEGORIES):
        raise SettingError(
            key,
            Said(
                "must give a list of reason chips for each of {categories}",
                categories=", ".join(CATEGORIES),
            ),
        )
    out: dict[str, list[dict[str, str]]] = {}
    for cat in CATEGORIES:
        chips = value[cat]
        where = f"{key}.{cat}"
        if not isinstance(chips, list) or len(chips) > 12:
            raise SettingError(where, Said("must be a list of at most 12 reason chips"))
        seen: set[str] = set()
        out[cat] = []
        for chip in chips:
            if not isinstance(chip, Mapping) or not _KEY_RE.match(str(chip.get("key", ""))):
                raise SettingError(
                    where,
                    Said(
                        "each chip needs a 'key' of lower-case letters, digits and '_' (e.g. "
                        "wait_time) and a text per language"
                    ),
                )
            if chip["key"] in seen:
                raise SettingError(
                    where, Said("the key {key} is used twice", key=repr(chip["key"]))
                )
            seen.add(chip["key"])
            texts = _per_language(40)(
                f"{where}.{chip['key']}", {k: v for k, v in chip.items() if k != "key"}
            )
            out[cat].append({"key": chip["key"], **texts})
    return out


def _optional_version(key: str, value: Any) -> int | None:
    if value is None:
        return None
    return _int_range(1, 2**31 - 1)(key, value)


REVIEW_URL_LIMIT = 500


def _review_url(key: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SettingError(
            key, Said("must be a web address starting with https://, or empty for none")
        )
    url = value.strip()
    if not url:
        return ""
    if len(url) > REVIEW_URL_LIMIT:
        raise SettingError(
            key,
            Said(
                "must be at most {limit} characters, not {length}",
                limit=REVIEW_URL_LIMIT,
                length=len(url),
            ),
        )
    if not url.lower().startswith("https://") or len(url) == len("https://"):
        raise SettingError(
            key,
            Said(
                "must be a secure web address starting with https:// (customers' phones open "
                "it), not {value}; leave it empty for none",
                value=repr(url[:60]),
            ),
        )
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise SettingError(key, Said("must be one web address without spaces"))
    return url


def _optional_days(key: str, value: Any) -> int | None:
    if value is None:
        return None
    return _int_range(1, 3650, DAYS)(key, value)


def _consent(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise SettingError(
            key, Said("must give a text per language (or {{}} for the built-in one)")
        )
    out = {}
    for lang, text in value.items():
        if lang not in LANGUAGES:
            raise SettingError(key, _unknown_language(lang))
        out[lang] = _text(f"{key}.{lang}", text, limit=300)
    return out


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingError(key, Said("must be true or false, not {value}", value=repr(value)))
    return value


def _pin_hash(key: str, value: Any) -> str:
    if not isinstance(value, str) or (value and not value.startswith("scrypt$")):
        raise SettingError(
            key,
            Said("must be a hash made by kiosk.pin.hash_pin; set the PIN with 'nps-kiosk set-pin'"),
        )
    return value


def _admin_language(key: str, value: Any) -> str:
    if value not in ADMIN_LANGUAGES:
        raise SettingError(key, _one_of(ADMIN_LANGUAGES, value))
    return str(value)


def _screen(key: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64 or not value.isprintable():
        raise SettingError(
            key,
            Said(
                "must be a screen's name (e.g. HDMI-1) or its number (0, 1, ...), at most 64 "
                "characters, or empty for the primary screen, not {value}",
                value=repr(value),
            ),
        )
    return value.strip()


def _time_zone(key: str, value: Any) -> str:
    if not isinstance(value, str) or not is_zone_name(value.strip()):
        raise SettingError(
            key,
            Said(
                "must be a time zone name from the IANA database, such as Asia/Kolkata, "
                "America/New_York or UTC, not {value}",
                value=repr(value),
            ),
        )
    return value.strip()


_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


def _opening_hours(key: str, value: Any) -> dict[str, list[list[str]]]:
    example = '{"mon": [["09:00", "21:00"]], "sun": []}'
    if not isinstance(value, Mapping):
        raise SettingError(
            key,
            Said(
                "must map weekdays to lists of [open, close] times, e.g. {example}",
                example=example,
            ),
        )
    out: dict[str, list[list[str]]] = {}
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise SettingError(
                key,
                Said(
                    "unknown weekday {day}; use {weekdays}",
                    day=repr(day),
                    weekdays=", ".join(WEEKDAYS),
                ),
            )
        if not isinstance(spans, list | tuple) or len(spans) > 6:
            raise SettingError(
                f"{key}.{day}",
                Said("must be a list of at most 6 [open, close], e.g. {example}", example=example),
            )
        out[day] = []
        for span in spans:
            if (
                not isinstance(span, list | tuple)
                or len(span) != 2
                or not all(isinstance(t, str) and _HHMM.match(t) for t in span)
                or span[0] == span[1]
                or span[0] == "24:00"
            ):
                raise SettingError(
                    f"{key}.{day}",
                    Said(
                        "each span is [open, close] as HH:MM local times that differ (close may "
                        "be 24:00, or before open to run past midnight), not {value}",
                        value=repr(span),
                    ),
                )
            out[day].append([span[0], span[1]])
    if out and not any(out.values()):
        raise SettingError(
            key, Said("closes the store every day; give some hours, or {{}} for always open")
        )
    return {day: out[day] for day in WEEKDAYS if day in out}


VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "store_id": _identifier,
    "store_name": lambda k, v: _text(k, v, limit=80),
    "device_id": _identifier,
    "languages": _languages,
    "default_language": _language,
    "question": _per_language(200),
    "question_version": _int_range(1, 1_000_000),
    "label_low": _per_language(40),
    "label_high": _per_language(40),
    "follow_up_question": _follow_up,
    "reasons": _reasons,
    "follow_up_timeout_s": _int_range(5, 300, SECONDS),
    "thank_you_s": _int_range(1, 60, SECONDS),
    "min_tap_interval_s": _float_range(0, 60, SECONDS),
    "burst_taps": _int_range(2, 100, Said("taps")),
    "burst_window_s": _int_range(5, 600, SECONDS),
    "min_answer_ms": _int_range(0, 5000, Said("ms")),
    "hide_pointer": _bool,
    "admin_pin_hash": _pin_hash,
    "thank_you_qr": _bool,
    "review_url": _review_url,
    "screen": _screen,
    "time_zone": _time_zone,
    "opening_hours": _opening_hours,
    "low_space_mb": _int_range(1, 100_000, Said("MB")),
    "consent": _consent,
    "survey_version": _optional_version,
    "profile_version": _optional_version,
    "retention_contact_resolved_days": _int_range(1, 3650, DAYS),
    "retention_contact_days": _int_range(1, 3650, DAYS),
    "retention_comment_days": _optional_days,
    "admin_language": _admin_language,
}
assert set(VALIDATORS) == {f.name for f in fields(Settings)}


def validate(key: str, value: Any) -> Any:
    """The cleaned value of one setting, or SettingError naming it and what is allowed."""
    if key not in VALIDATORS:
        raise SettingError(
            key,
            Said("there is no such setting; known: {known}", known=", ".join(sorted(VALIDATORS))),
        )
    return VALIDATORS[key](key, value)


def from_stored(stored: Mapping[str, str]) -> Settings:
    """Settings from the stored JSON values; a stored value that no longer validates (an older
    version's, or one edited by hand) falls back to its default instead of breaking the kiosk."""
    values: dict[str, Any] = {}
    for key, raw in stored.items():
        if key not in VALIDATORS:
            continue
        try:
            values[key] = validate(key, json.loads(raw))
        except (SettingError, ValueError):
            continue
    settings = Settings(**values)
    if settings.default_language not in settings.languages:
        settings = replace(settings, default_language=settings.languages[0])
    return settings


def to_stored(key: str, value: Any) -> str:
    cleaned = validate(key, value)
    return json.dumps(
        list(cleaned) if isinstance(cleaned, tuple) else cleaned, ensure_ascii=False, sort_keys=True
    )


def peek_settings(path: str | os.PathLike[str]) -> Settings | None:
    """The settings stored in a database file, read with the standard sqlite3 module (no
    SQLAlchemy import, a few milliseconds), or None if the file is missing or unreadable.

    For the kiosk's first frame only: it lets the question screen appear while the real
    ``kiosk.db.open_database`` (checks, migrations) runs right after."""
    import sqlite3
    from pathlib import Path

    file = Path(path).expanduser()
    if not file.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT key, value FROM settings").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return from_stored({str(k): str(v) for k, v in rows})
