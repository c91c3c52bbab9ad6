"""Store profiles and survey versions: what HQ decides for each store and pushes to its kiosks.

**Profiles.** Settings are set at three levels, each a JSON object of flat keys
(:data:`SETTING_KEYS`, e.g. ``time_zone``, ``thank_you.seconds``): the chain (defaults for
every store), a group, a store. A store's profile takes each key from the nearest level that
sets it: the store itself, then its groups from the nearest kind to the widest —
**franchisee, format, region, other** (a store is in at most one group of each kind, so this
order is total) — then the chain, then the built-in defaults (display name = the store's name,
time zone UTC, open all day, the "default" survey in all its languages, core.profile's
thank-you, follow-up and anti-stuffing defaults).

**Versions.** ``store_profile_versions`` keeps each store's profile version and the hash of its
content. Every change (a setting at any level, a survey publish) recomputes the profiles of
the stores it can affect in the same transaction, and a store whose content changed gets
version + 1. A store never touched has version 1. Reads never write.

**Surveys** are versioned like ODK Central forms: a *form* (``default``, ``festive``...) has a
draft that is edited and previewed, and ``publish`` turns the draft into an immutable version
with the next chain-wide id. A store's ``survey`` setting names a form (it asks the newest
published version, so a publish updates its profile) or a version id (pinned). Version 1 is
the built-in "Default" (core.survey_texts), made by migration 0004.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.profile import (
    WEEKDAYS,
    StoreProfileV1,
    SurveyTexts,
    SurveyVersionV1,
)
from core.protocol import describe
from core.said import Said
from core.survey_texts import DEFAULT_SURVEY_ID
from hq.audit import record_in
from hq.db import utcnow
from hq.errors import ConfigError, NotFound
from hq.groups import GROUP_KINDS
from hq.i18n import N_
from hq.models import (
    ProfileSettingsRow,
    StoreGroupMemberRow,
    StoreGroupRow,
    StoreProfileVersionRow,
    StoreRow,
    SurveyDraftRow,
    SurveyRow,
)
from hq.rollups import refresh_time_zones
from hq.service import Hq, RetentionPolicy
from hq.service import _check_id as check_id

DEFAULT_FORM = "default"
# Nearest first: a franchisee's setting beats its format's, which beats the region's.
GROUP_PRECEDENCE: tuple[str, ...] = ("franchisee", "format", "region", "other")
assert set(GROUP_PRECEDENCE) == set(GROUP_KINDS)

# Each key with its help (translated where shown: N_ marks it for the hq catalog).
SETTING_KEYS: dict[str, str] = {
    "display_name": N_("the name customers see"),
    "time_zone": N_("IANA time zone, e.g. Asia/Kolkata"),
    "opening_hours": N_(
        "mon=09:00-21:00;sat,sun=10:00-18:00 (a day not listed: open all day; 'closed' for none)"
    ),
    "languages": N_("languages offered, in order, e.g. hi,en (only those the survey has)"),
    "survey": N_("a survey form (asks its newest version) or a version id (pinned)"),
    "thank_you.seconds": N_("seconds the thank-you shows (2-60)"),
    "thank_you.phone_qr": N_("true/false: show the phone-survey QR on the thank-you"),
    "thank_you.review_url": N_("https link shown to promoters as a QR code"),
    "follow_up_timeout_s": N_("seconds before an unanswered follow-up completes (5-600)"),
    "anti_stuffing.min_tap_interval_s": N_("seconds between two answers (0-600)"),
    "anti_stuffing.burst_taps": N_("answers in a burst window that mark the burst suspect"),
    "anti_stuffing.burst_window_s": N_("the burst window, seconds"),
    "retention.contact_resolved_days": N_(
        "days contact details are kept after the case is resolved (1-3650; default 90)"
    ),
    "retention.contact_days": N_(
        "days contact details are kept after the answer when the case is never resolved "
        "(1-3650; default 180)"
    ),
    "retention.comment_days": N_(
        "days comments are kept after the answer (1-3650), or 'never' to keep them (the default)"
    ),
}
RETENTION_KEYS = ("contact_resolved_days", "contact_days", "comment_days")
KEEP = "never"  # retention.comment_days: comments are kept (overrides a wider level's days)
SCOPES = ("chain", "group", "store")
_CHECK = "settings-check"  # the store a level's settings are tried on


# -- settings ---------------------------------------------------------------------------------


def _parse_hours(text: str) -> dict[str, list[dict[str, str]]]:
    hours: dict[str, list[dict[str, str]]] = {}
    for part in text.replace("\n", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        days, sep, spans = part.partition("=")
        if not sep:
            raise ConfigError(
                Said(
                    "Opening hours {part}: write DAY=HH:MM-HH:MM, e.g. mon=09:00-21:00",
                    part=repr(part),
                )
            )
        periods: list[dict[str, str]] = []
        if spans.strip().lower() != "closed":
            for span in spans.split(","):
                opens, dash, closes = span.strip().partition("-")
                if not dash:
                    raise ConfigError(
                        Said("Opening hours {span}: write HH:MM-HH:MM", span=repr(span))
                    )
                periods.append({"opens": opens.strip(), "closes": closes.strip()})
        for day in days.split(","):
            day = day.strip().lower()[:3]
            if day not in WEEKDAYS:
                raise ConfigError(
                    Said(
                        "{day} is not a weekday; use {weekdays}",
                        day=repr(day),
                        weekdays=", ".join(WEEKDAYS),
                    )
                )
            hours[day] = periods
    return hours


def parse_setting(key: str, value: str) -> Any:
    """A setting's value from its text form (the CLI's and the editor's); '' unsets it (None)."""
    if key not in SETTING_KEYS:
        raise ConfigError(
            Said(
                "{key} is not a profile setting; use one of {keys}",
                key=repr(key),
                keys=", ".join(SETTING_KEYS),
            )
        )
    value = value.strip()
    if value == "":
        return None
    if key == "languages":
        return [v.strip() for v in value.split(",") if v.strip()]
    if key == "opening_hours":
        return _parse_hours(value)
    if key == "survey":
        return int(value) if value.isdigit() else value
    if key == "thank_you.phone_qr":
        if value.lower() not in ("true", "false", "yes", "no", "1", "0", "on", "off"):
            raise ConfigError(
                Said("thank_you.phone_qr is true or false, not {value}", value=repr(value))
            )
        return value.lower() in ("true", "yes", "1", "on")
    if key == "retention.comment_days" and value.lower() in (KEEP, "off", "none", "keep"):
        return KEEP
    if (
        key in ("thank_you.seconds", "follow_up_timeout_s")
        or key.startswith("anti_stuffing.b")
        or key.startswith("retention.")
    ):
        try:
            return int(value)
        except ValueError:
            raise ConfigError(
                Said("{key} is a whole number, not {value}", key=key, value=repr(value))
            ) from None
    if key == "anti_stuffing.min_tap_interval_s":
        try:
            return float(value)
        except ValueError:
            raise ConfigError(
                Said("{key} is a number of seconds, not {value}", key=key, value=repr(value))
            ) from None
    return value


def format_setting(key: str, value: Any) -> str:
    """The text form of a stored setting (what :func:`parse_setting` reads back)."""
    if value is None:
        return ""
    if key == "languages":
        return ",".join(value)
    if key == "opening_hours":
        parts = []
        for day in WEEKDAYS:
            if day in value:
                spans = ",".join(f"{p['opens'][:5]}-{p['closes'][:5]}" for p in value[day])
                parts.append(f"{day}={spans or 'closed'}")
        return ";".join(parts)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- resolving --------------------------------------------------------------------------------


@dataclass
class _World:
    """Everything a profile is made of, read once (so that refreshing every store's version
    after a chain-wide change costs a few queries, not a few per store)."""

    stores: dict[str, str]
    chain: dict[str, Any]
    groups: dict[str, dict[str, Any]]
    store_settings: dict[str, dict[str, Any]]
    members: dict[str, list[tuple[str, str]]]  # store -> [(kind, group)]
    surveys: dict[int, SurveyRow]
    newest: dict[str, int] = field(default_factory=dict)  # form -> newest id

    @classmethod
    def load(cls, s: Session) -> _World:
        settings: dict[tuple[str, str], dict[str, Any]] = {
            (r.scope, r.scope_id): json.loads(r.settings)
            for r in s.scalars(select(ProfileSettingsRow))
        }
        members: dict[str, list[tuple[str, str]]] = {}
        for sid, gid, kind in s.execute(
            select(StoreGroupMemberRow.store_id, StoreGroupRow.group_id, StoreGroupRow.kind).join(
                StoreGroupRow, StoreGroupRow.group_id == StoreGroupMemberRow.group_id
            )
        ):
            members.setdefault(sid, []).append((kind, gid))
        surveys = {r.id: r for r in s.scalars(select(SurveyRow))}
        newest: dict[str, int] = {}
        for r in surveys.values():
            newest[r.form] = max(newest.get(r.form, 0), r.id)
        return cls(
            stores={r[0]: r[1] for r in s.execute(select(StoreRow.store_id, StoreRow.name))},
            chain=settings.get(("chain", ""), {}),
            groups={k[1]: v for k, v in settings.items() if k[0] == "group"},
            store_settings={k[1]: v for k, v in settings.items() if k[0] == "store"},
            members=members,
            surveys=surveys,
            newest=newest,
        )

    def layers(self, store_id: str) -> list[tuple[str, dict[str, Any]]]:
        """The levels of a store, nearest first: (label, settings)."""
        out = [(f"store {store_id}", self.store_settings.get(store_id, {}))]
        rank = {k: i for i, k in enumerate(GROUP_PRECEDENCE)}
        for _kind, gid in sorted(self.members.get(store_id, []), key=lambda m: rank.get(m[0], 99)):
            out.append((f"group {gid}", self.groups.get(gid, {})))
        out.append(("chain", self.chain))
        return out

    def effective(self, store_id: str) -> dict[str, tuple[Any, str]]:
        """key -> (value, where it was set), for the keys some level sets."""
        found: dict[str, tuple[Any, str]] = {}
        for label, settings in self.layers(store_id):
            for key, value in settings.items():
                if key not in found and value is not None:
                    found[key] = (value, label)
        return found

    def survey(self, ref: Any) -> SurveyVersionV1:
        if isinstance(ref, int):
            row = self.surveys.get(ref)
            if row is None:
                raise ConfigError(
                    Said(
                        "There is no published survey version {version}; see nps-hq survey list.",
                        version=ref,
                    )
                )
        else:
            sid = self.newest.get(str(ref))
            if sid is None:
                raise ConfigError(
                    Said(
                        "Survey {survey} has no published version; publish it with nps-hq "
                        "survey publish {form}",
                        survey=repr(ref),
                        form=ref,
                    )
                )
            row = self.surveys[sid]
        return survey_from_row(row)


def survey_from_row(row: SurveyRow) -> SurveyVersionV1:
    return SurveyVersionV1(
        id=row.id,
        name=row.name,
        languages=json.loads(row.languages),
        texts=json.loads(row.texts),
        published_at=row.published_at.replace(tzinfo=UTC),
    )


def _resolve(
    world: _World, store_id: str, version: int, *, extra: Mapping[str, Any] = {}
) -> StoreProfileV1:
    eff = {k: v for k, (v, _) in world.effective(store_id).items()}
    eff.update({k: v for k, v in extra.items() if v is not None})
    survey = world.survey(eff.get("survey", DEFAULT_FORM))
    wanted = eff.get("languages")
    if wanted:
        languages = [lang for lang in wanted if lang in survey.texts] or list(survey.languages)
        survey = survey.model_copy(
            update={"languages": languages, "texts": {k: survey.texts[k] for k in languages}}
        )
    data: dict[str, Any] = {
        "store_id": store_id,
        "version": version,
        "display_name": eff.get("display_name") or world.stores.get(store_id) or store_id,
        "time_zone": eff.get("time_zone", "UTC"),
        "opening_hours": eff.get("opening_hours", {}),
        "survey": survey,
    }
    for key, value in eff.items():
        if "." in key:
            group, sub = key.split(".", 1)
            data.setdefault(group, {})[sub] = value
        elif key == "follow_up_timeout_s":
            data[key] = value
    if data.get("retention", {}).get("comment_days") == KEEP:
        data["retention"]["comment_days"] = None
    try:
        return StoreProfileV1.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            Said(
                "The profile of store {store} would be invalid: {reason}",
                store=repr(store_id),
                reason=describe(exc),
            )
        ) from exc


def _content_hash(profile: StoreProfileV1) -> str:
    data = profile.model_dump(mode="json", exclude={"version"})
    data["survey"].pop("published_at", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def stored_profile_version(s: Session, store_id: str) -> int:
    """The store's current profile version (one primary-key read in plain driver SQL: ingest
    calls it for every batch)."""
    conn = s.connection()
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    version = conn.exec_driver_sql(
        f"SELECT version FROM store_profile_versions WHERE store_id = {mark}", (store_id,)
    ).scalar()
    return int(version) if version is not None else 1


def current_profile(hq: Hq, store_id: str) -> StoreProfileV1:
    """The store's profile as its kiosks get it; NotFound for an unknown store."""
    with hq.db.reading() as s:
        if s.get(StoreRow, store_id) is None:
            raise NotFound(
                Said("There is no store {store}; see nps-hq add-store.", store=repr(store_id))
            )
        world = _World.load(s)
        return _resolve(world, store_id, stored_profile_version(s, store_id))


def built_in_profile(hq: Hq) -> StoreProfileV1:
    """What a store with nothing set at any level would get (the chain page's placeholders)."""
    with hq.db.reading() as s:
        world = _World.load(s)
    bare = _World(
        stores={},
        chain={},
        groups={},
        store_settings={},
        members={},
        surveys=world.surveys,
        newest=world.newest,
    )
    return _resolve(bare, "chain", 1)


def profile_sources(hq: Hq, store_id: str) -> dict[str, tuple[Any, str]]:
    """For each setting some level sets: (value, 'store S' | 'group G' | 'chain')."""
    with hq.db.reading() as s:
        if s.get(StoreRow, store_id) is None:
            raise NotFound(
                Said("There is no store {store}; see nps-hq add-store.", store=repr(store_id))
            )
        return _World.load(s).effective(store_id)


def _refresh(s: Session, before: dict[str, str], now: datetime) -> list[str]:
    """Bump the version of each store whose profile content changed; returns them. A store
    whose time zone changed gets its rollups rebuilt here, in the same transaction."""
    s.flush()
    refresh_time_zones(s.connection())
    world = _World.load(s)
    changed = []
    for store_id in sorted(world.stores):
        row = s.get(StoreProfileVersionRow, store_id)
        after = _content_hash(_resolve(world, store_id, 1))
        if row is None:
            if before.get(store_id) == after:
                continue
            row = StoreProfileVersionRow(
                store_id=store_id, version=1, content_hash=before.get(store_id, ""), changed_at=now
            )
            s.add(row)
        if row.content_hash != after:
            row.version += 1
            row.content_hash = after
            row.changed_at = now
            changed.append(store_id)
    return changed


def _hashes(s: Session) -> dict[str, str]:
    world = _World.load(s)
    out = {}
    for store_id in world.stores:
        try:
            out[store_id] = _content_hash(_resolve(world, store_id, 1))
        except ConfigError:
            out[store_id] = ""
    return out


def settings_of(hq: Hq, scope: str, scope_id: str = "") -> dict[str, Any]:
    with hq.db.reading() as s:
        row = s.get(ProfileSettingsRow, (scope, scope_id))
        return json.loads(row.settings) if row else {}


def set_settings(
    hq: Hq, scope: str, scope_id: str, changes: Mapping[str, Any], *, actor: str
) -> list[str]:
    """Set (or, with None, unset) settings at one level; checks that every store's profile
    stays valid, bumps the versions of the stores it changes (returned), audits it."""
    if scope not in SCOPES:
        raise ConfigError(Said("A scope is one of {scopes}", scopes=", ".join(SCOPES)))
    for key in changes:
        if key not in SETTING_KEYS:
            raise ConfigError(
                Said(
                    "{key} is not a profile setting; use one of {keys}",
                    key=repr(key),
                    keys=", ".join(SETTING_KEYS),
                )
            )
    scope_id = "" if scope == "chain" else scope_id
    now = utcnow()
    with hq.db.writing() as s:
        if scope == "store" and s.get(StoreRow, scope_id) is None:
            raise NotFound(
                Said("There is no store {store}; see nps-hq add-store.", store=repr(scope_id))
            )
        if scope == "group" and s.get(StoreGroupRow, scope_id) is None:
            raise NotFound(
                Said("There is no group {group}; see nps-hq list-groups.", group=repr(scope_id))
            )
        before = _hashes(s)
        row = s.get(ProfileSettingsRow, (scope, scope_id))
        current = json.loads(row.settings) if row else {}
        for key, value in changes.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        _check_values(s, current)
        text = json.dumps(current, sort_keys=True, ensure_ascii=False)
        if row is None:
            s.add(
                ProfileSettingsRow(
                    scope=scope, scope_id=scope_id, settings=text, updated_at=now, updated_by=actor
                )
            )
        else:
            row.settings, row.updated_at, row.updated_by = text, now, actor
        changed = _refresh(s, before, now)
        target = "chain" if scope == "chain" else f"{scope}:{scope_id}"
        record_in(
            s,
            actor=actor,
            action="profile.set",
            target=target,
            detail=", ".join(f"{k}={format_setting(k, v)}" for k, v in changes.items())[:2000],
        )
    return changed


def _check_values(s: Session, settings: dict[str, Any]) -> None:
    """A level's settings, checked on a profile that uses them all (so a bad time zone or
    review link is refused when set, not when a kiosk asks)."""
    world = _World.load(s)
    world.stores.setdefault(_CHECK, "check")
    try:
        profile = _resolve(world, _CHECK, 1, extra=settings)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace(f"store {_CHECK!r}", "a store")) from None
    for lang in settings.get("languages") or []:
        if (
            lang not in profile.survey.texts
            and lang not in world.survey(settings.get("survey", DEFAULT_FORM)).texts
        ):
            raise ConfigError(
                Said(
                    "The survey has no texts in {language}; add them to the survey, or offer "
                    "one of {languages}",
                    language=repr(lang),
                    languages=", ".join(profile.survey.texts),
                )
            )


# -- surveys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyDraft:
    form: str
    name: str
    languages: list[str]
    texts: dict[str, dict[str, Any]]
    updated_at: datetime
    updated_by: str


def published(hq: Hq) -> list[tuple[str, SurveyVersionV1]]:
    """Every published version, newest first: (form, version)."""
    with hq.db.reading() as s:
        rows = s.scalars(select(SurveyRow).order_by(SurveyRow.id.desc())).all()
        return [(r.form, survey_from_row(r)) for r in rows]


def reason_labels(hq: Hq, language: str) -> dict[str, str]:
    """Reason key -> the label a customer tapped, in ``language`` where a survey has it (else
    the survey's first language), the newest published survey's label winning: what a page
    shows instead of keys such as ``wait_time``."""
    labels: dict[str, str] = {}
    for _form, version in published(hq):
        by_language: dict[str, SurveyTexts] = dict(version.texts.items())
        texts = by_language.get(language) or next(iter(by_language.values()), None)
        if texts is None:
            continue
        for chips in texts.reasons.values():
            for chip in chips:
                labels.setdefault(chip.key, chip.label)
    return labels


def survey_version(hq: Hq, survey_id: int) -> tuple[str, SurveyVersionV1]:
    with hq.db.reading() as s:
        row = s.get(SurveyRow, survey_id)
        if row is None:
            raise NotFound(
                Said("There is no published survey version {version}.", version=survey_id)
            )
        return row.form, survey_from_row(row)


def _draft_of(row: SurveyDraftRow) -> SurveyDraft:
    return SurveyDraft(
        form=row.form,
        name=row.name,
        languages=json.loads(row.languages),
        texts=json.loads(row.texts),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def drafts(hq: Hq) -> list[SurveyDraft]:
    with hq.db.reading() as s:
        return [
            _draft_of(r) for r in s.scalars(select(SurveyDraftRow).order_by(SurveyDraftRow.form))
        ]


def get_draft(hq: Hq, form: str) -> SurveyDraft:
    with hq.db.reading() as s:
        row = s.get(SurveyDraftRow, form)
        if row is None:
            raise NotFound(
                Said(
                    "Survey {survey} has no draft; start one with nps-hq survey draft {form}",
                    survey=repr(form),
                    form=form,
                )
            )
        return _draft_of(row)


def check_survey(
    name: str, languages: Iterable[str], texts: Mapping[str, Any], *, survey_id: int = 1
) -> SurveyVersionV1:
    """The draft as a survey version, or ConfigError saying what is wrong."""
    data = {"id": survey_id, "name": name, "languages": list(languages), "texts": dict(texts)}
    try:
        return SurveyVersionV1.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(Said("The survey is not valid: {reason}", reason=describe(exc))) from exc


def save_draft(
    hq: Hq,
    form: str,
    *,
    actor: str,
    name: str | None = None,
    languages: list[str] | None = None,
    texts: Mapping[str, Any] | None = None,
    create: bool = False,
) -> SurveyDraft:
    """Start (``create``: from the form's newest version, or the default survey) or edit a
    draft. The texts are checked against core.profile.SurveyTexts."""
    check_id(form, "survey form")
    now = utcnow()
    with hq.db.writing() as s:
        row = s.get(SurveyDraftRow, form)
        if row is None:
            if not create:
                raise NotFound(
                    Said(
                        "Survey {survey} has no draft; start one with nps-hq survey draft {form}",
                        survey=repr(form),
                        form=form,
                    )
                )
            newest = s.scalar(select(func.max(SurveyRow.id)).where(SurveyRow.form == form))
            base = s.get(SurveyRow, newest or DEFAULT_SURVEY_ID)
            assert base is not None
            row = SurveyDraftRow(
                form=form,
                name=base.name if newest else form,
                languages=base.languages,
                texts=base.texts,
                updated_at=now,
                updated_by=actor,
            )
            s.add(row)
        if name is not None:
            row.name = name.strip()[:120] or form
        if texts is not None:
            row.texts = json.dumps(dict(texts), ensure_ascii=False, sort_keys=True)
        if languages is not None:
            row.languages = json.dumps(languages)
        elif texts is not None:
            row.languages = json.dumps(
                [lang for lang in json.loads(row.languages) if lang in texts] or list(texts)
            )
        check_survey(row.name, json.loads(row.languages), json.loads(row.texts))
        row.updated_at, row.updated_by = now, actor
        record_in(s, actor=actor, action="survey.draft", target=f"survey:{form}")
        s.flush()
        return _draft_of(row)


def draft_from_file(path: Path) -> dict[str, Any]:
    """A draft file: JSON ``{"name": ..., "languages": [...], "texts": {lang:
    {question, label_low, label_high, follow_up, reasons, consent}}}``."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            Said(
                "{file} cannot be read ({reason})", file=path.name, reason=exc.strerror or str(exc)
            )
        ) from exc
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(
            Said("{file} is not valid JSON ({reason})", file=path.name, reason=str(exc))
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("texts"), dict):
        raise ConfigError(
            Said("{file} needs a 'texts' object: {{language: {{question, ...}}}}", file=path.name)
        )
    for lang, texts in data["texts"].items():
        try:
            SurveyTexts.model_validate(texts)
        except ValidationError as exc:
            raise ConfigError(
                Said(
                    "{file}, texts in {language}: {reason}",
                    file=path.name,
                    language=lang,
                    reason=describe(exc),
                )
            ) from exc
    return data


def preview(hq: Hq, form: str) -> SurveyVersionV1:
    """The draft as the survey version it would publish (id: the next free one)."""
    draft = get_draft(hq, form)
    with hq.db.reading() as s:
        next_id = int(s.scalar(select(func.max(SurveyRow.id))) or 0) + 1
    return check_survey(draft.name, draft.languages, draft.texts, survey_id=next_id)


def publish(hq: Hq, form: str, *, actor: str) -> SurveyVersionV1:
    """Publish the form's draft as a new immutable version (the next chain-wide id); the
    draft is gone, and every store asking the form gets a new profile version."""
    now = utcnow()
    with hq.db.writing() as s:
        draft = s.get(SurveyDraftRow, form)
        if draft is None:
            raise NotFound(
                Said(
                    "Survey {survey} has no draft to publish; see nps-hq survey draft.",
                    survey=repr(form),
                )
            )
        before = _hashes(s)
        new_id = int(s.scalar(select(func.max(SurveyRow.id))) or 0) + 1
        version = check_survey(
            draft.name, json.loads(draft.languages), json.loads(draft.texts), survey_id=new_id
        )
        s.add(
            SurveyRow(
                id=new_id,
                form=form,
                name=version.name,
                languages=json.dumps(version.languages),
                texts=json.dumps(
                    {k: v.model_dump(mode="json") for k, v in version.texts.items()},
                    ensure_ascii=False,
                    sort_keys=True,
                ),
                published_at=now,
                published_by=actor,
            )
        )
        s.delete(draft)
        _refresh(s, before, now)
        record_in(
            s,
            actor=actor,
            action="survey.publish",
            target=f"survey:{form}",
            detail=f"version {new_id}",
        )
    return version.model_copy(update={"published_at": now.replace(tzinfo=UTC)})


def surveys_in_use(hq: Hq) -> dict[int, list[str]]:
    """survey version id -> the stores asking it now."""
    with hq.db.reading() as s:
        world = _World.load(s)
    out: dict[int, list[str]] = {}
    for store_id in sorted(world.stores):
        try:
            out.setdefault(_resolve(world, store_id, 1).survey.id, []).append(store_id)
        except ConfigError:
            continue
    return out


def all_profiles(hq: Hq) -> list[StoreProfileV1]:
    """Every store's current profile (the Stores page)."""
    with hq.db.reading() as s:
        world = _World.load(s)
        versions = {
            r[0]: r[1]
            for r in s.execute(
                select(StoreProfileVersionRow.store_id, StoreProfileVersionRow.version)
            )
        }
    return [_resolve(world, sid, versions.get(sid, 1)) for sid in sorted(world.stores)]


def retention_policies(hq: Hq) -> dict[str, RetentionPolicy]:
    """store id -> the retention policy HQ's purge applies to its answers: the store profile's
    ``retention`` when a chain, group or store setting sets a retention key (unset keys take
    the built-in 90 / 180 / kept), else HQ's configured policy (``hq.config.retention``,
    NPS_HQ_CONTACT_DAYS...). A few queries for the whole chain."""
    with hq.db.reading() as s:
        world = _World.load(s)
    out: dict[str, RetentionPolicy] = {}
    for store_id in world.stores:
        try:
            retention = _resolve(world, store_id, 1).retention
        except ConfigError:  # a profile made invalid by a since-deleted survey: HQ's policy
            retention = None
        out[store_id] = (
            hq.config.retention
            if retention is None
            else RetentionPolicy(
                contact_resolved_days=retention.contact_resolved_days,
                contact_days=retention.contact_days,
                comment_days=retention.comment_days,
            )
        )
    return out
