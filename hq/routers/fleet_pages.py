"""The fleet pages: Stores (each store's time zone, languages, survey and profile version),
Devices (each kiosk's last health report, hq.fleet), a store's or a group's profile with its
editor, and Surveys (published versions, drafts with their editor, the draft's preview as the
real phone page and as a sketch of the kiosk's screens, publish). Everyone reads the stores
in their scope; surveys and group profiles are read by owners, admins and analysts; owners and
admins change them (hq.auth.fleet_form: CSRF-checked, audited with the signed-in user)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from core.profile import RetentionV1, StoreProfileV1, SurveyVersionV1
from hq import auth, fleet, groups, i18n, profiles
from hq.auth import HqDep, Principal
from hq.errors import ConfigError, Forbidden, HqError, NotFound
from hq.models import DeviceRow, StoreProfileVersionRow, StoreRow
from hq.pages import (
    LANGUAGE_NAMES,
    devices_page,
    kiosk_preview_page,
    phone_form,
    profile_page,
    stores_page,
    surveys_page,
)
from hq.service import Hq
from hq.templating import when

stores_read = APIRouter(dependencies=[Depends(auth.read_page)], include_in_schema=False)
fleet_read = APIRouter(dependencies=[Depends(auth.read_all_page)], include_in_schema=False)
fleet_write = APIRouter(dependencies=[Depends(auth.fleet_form)], include_in_schema=False)

ScopedDep = Annotated[Principal, Depends(auth.read_page)]
ReaderDep = Annotated[Principal, Depends(auth.read_all_page)]
ManagerDep = Annotated[Principal, Depends(auth.fleet_form)]
Name = Annotated[str, Path(max_length=64)]
TEXT_FIELDS = ("question", "label_low", "label_high", "consent")
CATEGORIES = ("detractor", "passive", "promoter")


def _local(value: Any, zone: Any) -> str:
    """A stored naive-UTC time as the store's people read it: in the store's time zone."""
    if value is None:
        return ""
    from datetime import UTC

    local = value.replace(tzinfo=UTC).astimezone(zone)
    return f"{when(local, '%d %b %Y %H:%M')} {local.strftime('%Z')}"  # the month translated


# -- stores -----------------------------------------------------------------------------------


def _stores_rows(hq: Hq, user: Principal) -> list[dict[str, Any]]:
    with hq.db.reading() as s:
        changed = {r.store_id: r.changed_at for r in s.scalars(select(StoreProfileVersionRow))}
    rows = []
    for p in profiles.all_profiles(hq):
        if not user.sees_store(p.store_id):
            continue
        rows.append(
            {
                "store_id": p.store_id,
                "name": p.display_name,
                "time_zone": p.time_zone,
                "languages": ", ".join(
                    LANGUAGE_NAMES.get(lang, lang) for lang in p.survey.languages
                ),
                "survey": f"{p.survey.id} · {p.survey.name}",
                "version": p.version,
                "changed_at": _local(changed.get(p.store_id), p.zone),
            }
        )
    return rows


@stores_read.get("/stores", response_class=HTMLResponse)
def stores(hq: HqDep, user: ScopedDep) -> HTMLResponse:
    return HTMLResponse(
        stores_page(rows=_stores_rows(hq, user), groups=groups.groups(hq), user=user)
    )


@stores_read.get("/devices", response_class=HTMLResponse)
def devices(hq: HqDep, user: ScopedDep) -> HTMLResponse:
    """Every kiosk's health; a viewer sees the devices of their stores."""
    return HTMLResponse(
        devices_page(devices=fleet.device_health(hq, store_ids=user.store_ids), user=user)
    )


def _built_in(profile: StoreProfileV1, *, chain: bool = False) -> dict[str, str]:
    """What a store gets for each setting nobody sets (the placeholders of its editor), in
    the page's language."""
    t = i18n.texts()
    data = profile.model_dump(mode="json")
    out = {
        "display_name": t.gettext("the store's name") if chain else profile.display_name,
        "time_zone": profile.time_zone,
        "opening_hours": t.gettext("open all day"),
        "languages": ",".join(profile.survey.languages),
        "survey": t.gettext("default (version {version})", version=profile.survey.id),
        "follow_up_timeout_s": str(profile.follow_up_timeout_s),
    }
    for group in ("thank_you", "anti_stuffing"):
        for key, value in data[group].items():
            out[f"{group}.{key}"] = profiles.format_setting(key, value) or t.gettext("none")
    retention = (profile.retention or RetentionV1()).model_dump(mode="json")
    for key, value in retention.items():
        out[f"retention.{key}"] = profiles.format_setting(key, value) or profiles.KEEP
    return out


def _source(label: str) -> str:
    """'chain', 'group G' or 'store S' (hq.profiles) in the page's language."""
    t = i18n.texts()
    kind, _, name = label.partition(" ")
    if kind == "group":
        return t.gettext("group {name}", name=name)
    if kind == "store":
        return t.gettext("store {name}", name=name)
    return t.gettext("chain")


def _fields(
    hq: Hq,
    scope: str,
    scope_id: str,
    effective: dict[str, Any],
    built_in: dict[str, str] | None = None,
) -> list[dict[str, str]]:
    t = i18n.texts()
    own = profiles.settings_of(hq, scope, scope_id)
    out = []
    for key, what in profiles.SETTING_KEYS.items():
        inherited = effective.get(key)
        out.append(
            {
                "key": key,
                "help": t.gettext(what),
                "value": profiles.format_setting(key, own.get(key)),
                "inherited": (
                    t.gettext(
                        "{value} (from {source})",
                        value=profiles.format_setting(key, inherited[0]),
                        source=_source(inherited[1]),
                    )
                    if inherited and key not in own
                    else t.gettext("{value} (built-in)", value=(built_in or {}).get(key, ""))
                    if built_in
                    else ""
                ),
            }
        )
    return out


def _store_page(
    hq: Hq, user: Principal, store: str, *, error: str | None = None, notice: str | None = None
) -> str:
    if not user.sees_store(store):
        raise Forbidden(f"Store {store!r} is not in your groups; ask an owner.")
    profile = profiles.current_profile(hq, store)
    zone = profile.zone
    with hq.db.reading() as s:
        row = s.get(StoreProfileVersionRow, store)
        changed_at = _local(row.changed_at, zone) if row else ""
        devices = []
        for d in s.scalars(
            select(DeviceRow).where(DeviceRow.store_id == store).order_by(DeviceRow.device_id)
        ):
            health = json.loads(d.health) if d.health else {}
            devices.append(
                {
                    "device_id": d.device_id,
                    "state": "revoked" if d.revoked_at else "active",
                    "last_sync": _local(d.last_sync_at, zone),  # the page says "never"
                    "app_version": health.get("app_version", ""),
                    "profile_version": d.profile_version,
                    "backlog": d.last_backlog,
                    "health_at": _local(d.health_at, zone),
                }
            )
    return profile_page(
        scope="store",
        scope_id=store,
        profile=profile,
        fields=_fields(hq, "store", store, profiles.profile_sources(hq, store), _built_in(profile)),
        devices=devices,
        members=[],
        changed_at=changed_at,
        user=user,
        error=error,
        notice=notice,
    )


@stores_read.get("/stores/{store}", response_class=HTMLResponse)
def store_profile(hq: HqDep, user: ScopedDep, store: Name) -> HTMLResponse:
    return HTMLResponse(_store_page(hq, user, store))


def _group_page(
    hq: Hq, user: Principal, group: str, *, error: str | None = None, notice: str | None = None
) -> str:
    members = groups.group_stores(hq, group)
    chain = {k: (v, "chain") for k, v in profiles.settings_of(hq, "chain").items()}
    return profile_page(
        scope="group",
        scope_id=group,
        profile=None,
        fields=_fields(hq, "group", group, chain),
        devices=[],
        members=sorted(members),
        changed_at="",
        user=user,
        error=error,
        notice=notice,
    )


def _chain_page(
    hq: Hq, user: Principal, *, error: str | None = None, notice: str | None = None
) -> str:
    with hq.db.reading() as s:
        members = sorted(s.scalars(select(StoreRow.store_id)))
    return profile_page(
        scope="chain",
        scope_id="",
        profile=None,
        fields=_fields(hq, "chain", "", {}, _built_in(profiles.built_in_profile(hq), chain=True)),
        devices=[],
        members=members,
        changed_at="",
        user=user,
        error=error,
        notice=notice,
    )


@fleet_read.get("/chain", response_class=HTMLResponse)
def chain_profile(hq: HqDep, user: ReaderDep) -> HTMLResponse:
    """The chain's defaults: every store takes a setting from here unless a group it is in or
    the store itself sets it (until now only `nps-hq settings set --chain`)."""
    return HTMLResponse(_chain_page(hq, user))


@fleet_read.get("/groups/{group}", response_class=HTMLResponse)
def group_profile(hq: HqDep, user: ReaderDep, group: Name) -> HTMLResponse:
    return HTMLResponse(_group_page(hq, user, group))


async def _save_settings(
    request: Request, hq: Hq, user: Principal, scope: str, scope_id: str
) -> tuple[str | None, str | None]:
    form = await request.form()
    own = await run_in_threadpool(profiles.settings_of, hq, scope, scope_id)
    try:
        changes: dict[str, Any] = {}
        for key in profiles.SETTING_KEYS:
            if key not in form:
                continue
            typed = str(form.get(key) or "")
            if typed.strip() != profiles.format_setting(key, own.get(key)):
                changes[key] = profiles.parse_setting(key, typed)
        if not changes:
            return None, i18n.texts().gettext("Nothing changed.")
        changed = await run_in_threadpool(
            lambda: profiles.set_settings(hq, scope, scope_id, changes, actor=user.name)
        )
    except (ConfigError, NotFound) as exc:
        return i18n.explain(exc), None
    t = i18n.texts()
    stores = ", ".join(changed) or t.gettext("none")
    return None, t.gettext("Saved. Stores with a new profile version: {stores}.", stores=stores)


@fleet_write.post("/stores/{store}", response_class=HTMLResponse)
async def save_store_profile(
    request: Request, hq: HqDep, user: ManagerDep, store: Name
) -> HTMLResponse:
    if not await run_in_threadpool(hq.store_exists, store):
        raise NotFound(f"There is no store {store!r}.")
    error, notice = await _save_settings(request, hq, user, "store", store)
    page = await run_in_threadpool(lambda: _store_page(hq, user, store, error=error, notice=notice))
    return HTMLResponse(page, status_code=422 if error else 200)


@fleet_write.post("/chain", response_class=HTMLResponse)
async def save_chain_profile(request: Request, hq: HqDep, user: ManagerDep) -> HTMLResponse:
    error, notice = await _save_settings(request, hq, user, "chain", "")
    page = await run_in_threadpool(lambda: _chain_page(hq, user, error=error, notice=notice))
    return HTMLResponse(page, status_code=422 if error else 200)


@fleet_write.post("/groups/{group}", response_class=HTMLResponse)
async def save_group_profile(
    request: Request, hq: HqDep, user: ManagerDep, group: Name
) -> HTMLResponse:
    await run_in_threadpool(groups.group_stores, hq, group)  # NotFound for an unknown group
    error, notice = await _save_settings(request, hq, user, "group", group)
    page = await run_in_threadpool(lambda: _group_page(hq, user, group, error=error, notice=notice))
    return HTMLResponse(page, status_code=422 if error else 200)


# -- surveys ----------------------------------------------------------------------------------


def _chips_text(texts: dict[str, Any]) -> str:
    seen: dict[str, str] = {}
    for cat in CATEGORIES:
        for chip in (texts.get("reasons") or {}).get(cat, []):
            seen.setdefault(chip["key"], chip["label"])
    return "\n".join(f"{k} = {v}" for k, v in seen.items())


def _surveys_page(
    hq: Hq, user: Principal, *, error: str | None = None, notice: str | None = None
) -> str:
    used = profiles.surveys_in_use(hq)
    published = [
        {
            "id": v.id,
            "form": form,
            "name": v.name,
            "languages": ", ".join(LANGUAGE_NAMES.get(lang, lang) for lang in v.languages),
            "published_at": f"{when(v.published_at, '%d %b %Y %H:%M')} UTC"
            if v.published_at
            else "",
            "stores": len(used.get(v.id, [])),
        }
        for form, v in profiles.published(hq)
    ]
    drafts = []
    for d in profiles.drafts(hq):
        drafts.append(
            {
                "form": d.form,
                "name": d.name,
                "languages": ",".join(d.languages),
                "updated": f"{when(d.updated_at, '%d %b %Y %H:%M')} UTC",
                "updated_by": d.updated_by,
                "texts": {
                    lang: {
                        **{f: d.texts.get(lang, {}).get(f, "") for f in TEXT_FIELDS},
                        **{
                            f"follow_up.{c}": d.texts.get(lang, {}).get("follow_up", {}).get(c, "")
                            for c in CATEGORIES
                        },
                        "chips": _chips_text(d.texts.get(lang, {})),
                        "present": lang in d.texts,
                    }
                    for lang in LANGUAGE_NAMES
                },
            }
        )
    return surveys_page(published=published, drafts=drafts, user=user, error=error, notice=notice)


@fleet_read.get("/surveys", response_class=HTMLResponse)
def surveys(hq: HqDep, user: ReaderDep) -> HTMLResponse:
    return HTMLResponse(_surveys_page(hq, user))


@fleet_read.get("/surveys/{form}/preview", response_class=HTMLResponse)
def survey_preview(hq: HqDep, user: ReaderDep, form: Name, lang: str | None = None) -> HTMLResponse:
    """The draft on the real phone page, read-only, under a "Preview — draft" banner."""
    version: SurveyVersionV1 = profiles.preview(hq, form)
    language = lang if lang in version.languages else version.languages[0]
    return HTMLResponse(
        phone_form(store_id="preview", token="", lang=language, survey=version, preview=form)
    )


@fleet_read.get("/surveys/{form}/kiosk", response_class=HTMLResponse)
def survey_kiosk_preview(hq: HqDep, user: ReaderDep, form: Name) -> HTMLResponse:
    """The draft as the kiosk will show it: every language, the question and follow-ups."""
    version: SurveyVersionV1 = profiles.preview(hq, form)
    return HTMLResponse(
        kiosk_preview_page(
            form=form, survey=version, store_name=i18n.texts().gettext("Store name"), user=user
        )
    )


def _texts_from_form(form: Any) -> dict[str, Any]:
    texts: dict[str, Any] = {}
    for lang in LANGUAGE_NAMES:
        question = str(form.get(f"{lang}.question") or "").strip()
        if not question:
            continue
        chips = []
        for line in str(form.get(f"{lang}.chips") or "").splitlines():
            key, sep, label = line.partition("=")
            if line.strip() and not sep:
                raise ConfigError(f"Reason chip {line.strip()!r} ({lang}): write key = label")
            if sep:
                chips.append({"key": key.strip(), "label": label.strip()})
        texts[lang] = {
            **{f: str(form.get(f"{lang}.{f}") or "").strip() for f in TEXT_FIELDS},
            "follow_up": {
                c: str(form.get(f"{lang}.follow_up.{c}") or "").strip() for c in CATEGORIES
            },
            "reasons": {c: chips for c in CATEGORIES} if chips else {},
        }
    return texts


@fleet_write.post("/surveys/draft", response_class=HTMLResponse)
async def save_draft(request: Request, hq: HqDep, user: ManagerDep) -> Response:
    """Start a draft (from the form's newest version) or save the editor's changes."""
    form = await request.form()
    name_of_form = str(form.get("form") or "").strip()
    try:
        if form.get("start"):
            await run_in_threadpool(
                lambda: profiles.save_draft(hq, name_of_form, actor=user.name, create=True)
            )
        else:
            texts = _texts_from_form(form)
            languages = [
                v.strip() for v in str(form.get("languages") or "").split(",") if v.strip()
            ]
            await run_in_threadpool(
                lambda: profiles.save_draft(
                    hq,
                    name_of_form,
                    actor=user.name,
                    name=str(form.get("name") or ""),
                    languages=languages,
                    texts=texts,
                )
            )
    except HqError as exc:
        message = i18n.explain(exc)
        page = await run_in_threadpool(lambda: _surveys_page(hq, user, error=message))
        return HTMLResponse(page, status_code=422)
    return RedirectResponse(f"/surveys#draft-{name_of_form}", status_code=303)


@fleet_write.post("/surveys/{form}/publish", response_class=HTMLResponse)
async def publish(hq: HqDep, user: ManagerDep, form: Name) -> HTMLResponse:
    try:
        version = await run_in_threadpool(lambda: profiles.publish(hq, form, actor=user.name))
    except HqError as exc:
        message, status = i18n.explain(exc), 422 if isinstance(exc, ConfigError) else 404
        page = await run_in_threadpool(lambda: _surveys_page(hq, user, error=message))
        return HTMLResponse(page, status_code=status)
    notice = i18n.texts().gettext(
        "Published {form} as survey version {version}.", form=form, version=version.id
    )
    return HTMLResponse(await run_in_threadpool(lambda: _surveys_page(hq, user, notice=notice)))
