"""Server-rendered HTML: the phone survey, the sign-in page, the dashboard, the alert rules, the
delivery log, and the owner's users, API tokens and audit log. Each function gathers what its
template (hq/templates/) shows; the templates escape every value, so a comment is text, never
markup. The pages work without JavaScript; the dashboard's table sorting (hq/static/hq.js) is a
small extra. Every signed-in page gets :func:`chrome`: the links the user's role may open and
the session's CSRF token, which every form carries (``csrf_field``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import Markup

from core.i18n import translations
from core.nps import signed
from core.profile import ReasonChip, SurveyTexts, SurveyVersionV1
from hq import i18n
from hq.alerts import DEFAULT_PARAMS, RULE_KINDS, AlertLine, AlertRule
from hq.analytics import Dashboard, StoreLine, local_label
from hq.audit import AuditEntry
from hq.auth import Principal
from hq.cases import CaseFilter, CaseLine, age_text
from hq.delivery import DeliveryLine
from hq.fleet import DeviceHealth
from hq.groups import StoreGroup
from hq.i18n import N_
from hq.phone import PHONE_MESSAGES, PHONE_NOTICE_TITLES, PHONE_TEXTS
from hq.privacy import ErasureResult, Held
from hq.roles import Action, Role
from hq.service import ApiToken, RetentionPolicy, Store
from hq.templating import env, language_links, render
from hq.users import User
from hq.webhooks import Webhook

LANGUAGE_NAMES = {
    "en": "English",
    "hi": "हिन्दी",
    "ta": "தமிழ்",
    "bn": "বাংলা",
    "mr": "मराठी",
    "te": "తెలుగు",
}
# Every page of the top bar with the action its route requires (hq.auth): a link shows only
# to a user whose role may open it.
NAV = (
    ("/", N_("Dashboard"), Action.READ_SCOPED),
    ("/stores", N_("Stores"), Action.READ_SCOPED),
    ("/devices", N_("Devices"), Action.READ_SCOPED),
    ("/cases", N_("Cases"), Action.READ_SCOPED),
    ("/surveys", N_("Surveys"), Action.READ_ALL),
    ("/alerts", N_("Alert rules"), Action.READ_ALL),
    ("/deliveries", N_("Delivery log"), Action.READ_ALL),
    ("/users", N_("Users"), Action.MANAGE_USERS),
    ("/tokens", N_("API tokens"), Action.MANAGE_USERS),
    ("/audit", N_("Audit log"), Action.READ_AUDIT),
    ("/privacy", N_("Privacy"), Action.MANAGE_PRIVACY),
)
ROLE_TEXT = {
    Role.OWNER: N_("everything, including users and API tokens; sees contact details"),
    Role.ADMIN: N_("stores, devices, groups, alert rules and webhooks; reads everything"),
    Role.ANALYST: N_("reads everything; contact details only with the contact grant"),
    Role.VIEWER: N_("reads only the stores of their groups"),
}
ROLE_NAMES = {
    Role.OWNER: N_("owner"),
    Role.ADMIN: N_("admin"),
    Role.ANALYST: N_("analyst"),
    Role.VIEWER: N_("viewer"),
}

# The settings of a rule, as the form names them.
PARAM_NAMES = {
    "days": N_("days"),
    "min_n": N_("min. responses"),
    "z": "z",
    "hours": N_("hours"),
    "count": N_("suspect responses"),
    "minutes": N_("minutes"),
    "mb": N_("MB free"),
    "seconds": N_("seconds"),
}
# A setting named differently for one kind of rule.
KIND_PARAM_NAMES = {("recoveries_spike", "count"): N_("crash recoveries")}
GROUP_KINDS = {
    "region": N_("region"),
    "format": N_("format"),
    "franchisee": N_("franchisee"),
    "other": N_("other"),
}
DELIVERY_STATUSES = {
    "sent": N_("sent"),
    "pending": N_("pending"),
    "held": N_("held"),
    "failed": N_("failed"),
}


def _title(page: str | None) -> str:
    """A page's title in the request's language: "Alert rules · NPS HQ"."""
    return "NPS HQ" if page is None else f"{i18n.texts().gettext(page)} · NPS HQ"


def chrome(user: Principal, here: str) -> dict[str, Any]:
    """What the top bar of every signed-in page needs."""
    return {
        "nav": [(href, _t(label)) for href, label, action in NAV if user.may(action)],
        "here": here,
        "user": user.name,
        "role": _t(ROLE_NAMES[user.role]),
        "csrf": user.csrf_token,
    }


def _t(message: str) -> str:
    return i18n.texts().gettext(message)


def phone_form(
    *,
    store_id: str,
    token: str,
    lang: str,
    survey: SurveyVersionV1,
    error: str | None = None,
    preview: str | None = None,
) -> str:
    """The phone survey page asking ``survey`` in ``lang`` (one of its languages), its own
    texts (buttons, hints, errors) from the kiosk's catalog of ``lang``. With ``preview`` (a
    survey form's name), the same page read-only under a "Preview — draft" banner, its
    language links staying on the preview."""
    texts = survey_texts(survey, lang) or survey.texts[survey.languages[0]]
    tiles = [
        {
            "score": score,
            "category": cat,
            "css": {"detractor": "d", "passive": "p", "promoter": "g"}[cat],
        }
        for score in range(11)
        for cat in ["detractor" if score <= 6 else "passive" if score <= 8 else "promoter"]
    ]
    base = f"/surveys/{quote(preview)}/preview?" if preview else f"/m/{quote(store_id)}?"
    langs = [
        {
            "code": code,
            "name": LANGUAGE_NAMES.get(code, code),
            "href": base + urlencode({"lang": code} if preview else {"t": token, "lang": code}),
        }
        for code in survey.languages
    ]
    catalog = translations(lang)
    return render(
        "phone/form.html",
        title=texts.question,
        lang=lang,
        catalog=catalog,
        langs=langs if len(langs) > 1 else [],
        store_id=store_id,
        token=token,
        error=catalog.gettext(error) if error else None,
        question=texts.question,
        tiles=tiles,
        label_low=texts.label_low,
        label_high=texts.label_high,
        follow_up=list(texts.follow_up.items()),
        chips=[{"key": c.key, "text": c.label} for c in phone_chips(texts)],
        survey_version=survey.id,
        preview=preview,
    )


def survey_texts(survey: SurveyVersionV1, lang: str) -> SurveyTexts | None:
    """The survey's texts in ``lang``, None if it has none in it."""
    return next((t for code, t in survey.texts.items() if code == lang), None)


def phone_chips(texts: SurveyTexts) -> list[ReasonChip]:
    """The reason chips the phone page offers: every category's, once each, detractors'
    first (the page shows one set for any score)."""
    seen: dict[str, ReasonChip] = {}
    for cat in ("detractor", "passive", "promoter"):
        for chip in texts.reasons.get(cat, []):
            seen.setdefault(chip.key, chip)
    return list(seen.values())


def phone_notice(*, kind: str, message: str, lang: str) -> str:
    """A notice in the customer's language: the reason, when the catalog has it (hq/phone.py
    marks HQ's own), else a plain next step (a token's technical message stays unshown)."""
    catalog = translations(lang)
    title = catalog.gettext(PHONE_NOTICE_TITLES.get(kind, PHONE_NOTICE_TITLES["invalid"]))
    if kind == "thanks":
        sub = catalog.gettext(PHONE_TEXTS["received"])
    elif message in PHONE_MESSAGES:
        sub = catalog.gettext(message)
    else:
        sub = catalog.gettext(PHONE_TEXTS["next_step"])
    return render(
        "phone/notice.html",
        title=title,
        lang=lang,
        catalog=catalog,
        kind=kind,
        icon={"thanks": "✓", "already": "✓", "limited": "✓"}.get(kind, "!"),
        sub=sub,
    )


# Analyst pages ----------------------------------------------------------------------------


def login_page(*, error: str | None = None) -> str:
    return render("pages/login.html", title=_title(N_("Sign in")), here="/login", error=error)


@dataclass(frozen=True)
class GridLine:
    y: float
    label: str
    dashed: bool


@dataclass(frozen=True)
class AxisLabel:
    x: float
    text: str
    anchor: str


@dataclass(frozen=True)
class TrendChart:
    """Where the template draws a store's weekly NPS (-100..100); a week without answers
    leaves a gap between segments."""

    store_id: str
    responses: int
    width: int
    height: int
    left: int
    right: int
    grid: tuple[GridLine, ...]
    x_labels: tuple[AxisLabel, ...]
    segments: tuple[tuple[tuple[float, float], ...], ...]


def trend_chart(line: StoreLine, *, width: int = 340, height: int = 120) -> TrendChart:
    return _chart(line.store_id, line.trend, width, height)


@lru_cache(maxsize=4096)
def trend_svg(chart: TrendChart, language: str) -> Markup:
    """A store's trend chart as the ``trend`` macro (pages/_macros.html) draws it, kept per
    chart and language: the dashboard shows one per store (500 in a chain), and a chart only
    changes when its store's weekly figures do, so most are drawn once."""
    macros: Any = env.get_template("pages/_macros.html").module
    return Markup(macros.trend(chart))


@lru_cache(maxsize=4096)
def _chart(
    store_id: str, trend: tuple[tuple[str, int | None, int], ...], width: int, height: int
) -> TrendChart:
    pad_l, pad_r, pad_t, pad_b = 30, 8, 8, 18
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(trend)

    def x(i: int) -> float:
        return pad_l + (w * i / max(1, n - 1))

    def y(v: int) -> float:
        return pad_t + h * (100 - v) / 200

    segments: list[tuple[tuple[float, float], ...]] = []
    segment: list[tuple[float, float]] = []
    for i, (_week, value, _n) in enumerate(trend):
        if value is None:
            if segment:
                segments.append(tuple(segment))
            segment = []
        else:
            segment.append((x(i), y(value)))
    if segment:
        segments.append(tuple(segment))
    return TrendChart(
        store_id=store_id,
        responses=sum(count for _w, _v, count in trend),
        width=width,
        height=height,
        left=pad_l,
        right=width - pad_r,
        grid=tuple(GridLine(y=y(v), label=signed(v), dashed=v == 0) for v in (100, 0, -100)),
        x_labels=tuple(
            AxisLabel(x=x(i), text=trend[i][0][5:], anchor="start" if i == 0 else "end")
            for i in (0, n - 1)
        ),
        segments=tuple(segments),
    )


def dashboard_page(d: Dashboard, *, user: Principal, now: datetime) -> str:
    return render(
        "pages/dashboard.html",
        title=_title(None),
        **chrome(user, "/"),
        scoped=user.store_ids is not None,
        now=now,
        d=d,
        c=d.chain,
        stale=[x.stale_note for x in d.devices if x.stale_note],
        active=sum(1 for x in d.devices if x.enrolled and not x.revoked),
        trends=[
            (s, chart, trend_svg(chart, i18n.current()))
            for s in d.stores
            for chart in [trend_chart(s)]
        ],
    )


# Alert rules and the delivery log ---------------------------------------------------------


def alert_rules_page(
    *,
    rules: list[AlertRule],
    hooks: list[Webhook],
    groups: list[StoreGroup],
    stores: list[Store],
    recent: list[AlertLine],
    user: Principal,
    allow_private_webhooks: bool = False,
    error: str | None = None,
    new_secret: str | None = None,
) -> str:
    """The rules kept at HQ, a form to add one, the webhook receivers, the latest alerts; the
    forms only for a role that may change them."""
    return render(
        "pages/alerts.html",
        title=_title(N_("Alert rules")),
        **chrome(user, "/alerts"),
        can_manage=user.may(Action.MANAGE_ALERTS),
        allow_private_webhooks=allow_private_webhooks,
        rules=rules,
        hooks=hooks,
        groups=groups,
        stores=stores,
        recent=recent,
        error=error,
        new_secret=new_secret,
        kinds=RULE_KINDS,
        settings=[
            (kind, key, value, KIND_PARAM_NAMES.get((kind, key)) or PARAM_NAMES.get(key, key))
            for kind, params in DEFAULT_PARAMS.items()
            for key, value in params.items()
        ],
    )


def delivery_log_page(lines: list[DeliveryLine], *, user: Principal, now: datetime) -> str:
    """Each alert message with every attempt to send it."""
    return render(
        "pages/deliveries.html",
        title=_title(N_("Delivery log")),
        **chrome(user, "/deliveries"),
        now=now,
        lines=lines,
        statuses=DELIVERY_STATUSES,
        sent=sum(1 for d in lines if d.status == "sent"),
        waiting=sum(1 for d in lines if d.status in ("pending", "held")),
        failed=sum(1 for d in lines if d.status == "failed"),
    )


# Users, API tokens, the audit log, one's own password ------------------------------------


def users_page(
    *,
    users: list[User],
    groups: list[StoreGroup],
    user: Principal,
    error: str | None = None,
    notice: str | None = None,
    new_password: tuple[str, str] | None = None,
) -> str:
    """Every user with their role, contact grant and groups; forms to add, change, reset and
    remove (the owner's own row cannot be changed here, so HQ keeps an owner)."""
    return render(
        "pages/users.html",
        title=_title(N_("Users")),
        **chrome(user, "/users"),
        users=users,
        groups=groups,
        roles=[(r.value, _t(ROLE_NAMES[r]), _t(ROLE_TEXT[r])) for r in Role],
        role_names={r.value: _t(ROLE_NAMES[r]) for r in Role},
        error=error,
        notice=notice,
        new_password=new_password,
    )


def tokens_page(
    *,
    tokens: list[ApiToken],
    user: Principal,
    groups: list[Any] | None = None,
    error: str | None = None,
    new_token: tuple[str, str] | None = None,
) -> str:
    """The API tokens (newest first), a form to make one (shown once; every store or some
    groups' stores, contact details or not), revoke buttons."""
    return render(
        "pages/tokens.html",
        title=_title(N_("API tokens")),
        **chrome(user, "/tokens"),
        tokens=sorted(tokens, key=lambda t: t.id, reverse=True),
        groups=groups or [],
        error=error,
        new_token=new_token,
    )


def audit_page(
    *,
    entries: list[AuditEntry],
    user: Principal,
    limit: int,
    where: dict[str, str] | None = None,
    older: str | None = None,
    newest: str | None = None,
    csv_href: str = "/audit.csv",
) -> str:
    """A page of audit entries, newest first, its filters, links to older entries and to all
    of the filtered ones as CSV."""
    return render(
        "pages/audit.html",
        title=_title(N_("Audit log")),
        **chrome(user, "/audit"),
        entries=entries,
        limit=limit,
        where=where or {},
        older=older,
        newest=newest,
        csv_href=csv_href,
    )


def password_page(*, user: Principal, error: str | None = None, changed: bool = False) -> str:
    return render(
        "pages/password.html",
        title=_title(N_("Change password")),
        **chrome(user, "/account/password"),
        error=error,
        changed=changed,
    )


# Fleet pages: stores, profiles, surveys -------------------------------------------------------


def stores_page(*, rows: list[dict[str, Any]], groups: list[StoreGroup], user: Principal) -> str:
    return render(
        "pages/stores.html",
        title=_title(N_("Stores")),
        **chrome(user, "/stores"),
        rows=rows,
        groups=groups,
        group_kinds=GROUP_KINDS,
        can_manage=user.may(Action.MANAGE_FLEET),
    )


def profile_page(
    *,
    scope: str,
    scope_id: str,
    profile: Any | None,
    fields: list[dict[str, str]],
    devices: list[dict[str, Any]],
    members: list[str],
    changed_at: str,
    user: Principal,
    error: str | None = None,
    notice: str | None = None,
) -> str:
    return render(
        "pages/profile.html",
        title=(
            i18n.texts().gettext("Store {name}", name=scope_id)
            if scope == "store"
            else i18n.texts().gettext("Group {name}", name=scope_id)
            if scope == "group"
            else i18n.texts().gettext("Chain defaults")
        )
        + " · NPS HQ",
        **chrome(user, "/stores"),
        # The language links come back to this page, not to Stores.
        languages=language_links(
            "/chain"
            if scope == "chain"
            else f"/{'stores' if scope == 'store' else 'groups'}/{quote(scope_id)}"
        ),
        scope=scope,
        scope_id=scope_id,
        profile=profile,
        fields=fields,
        devices=devices,
        members=members,
        changed_at=changed_at,
        can_manage=user.may(Action.MANAGE_FLEET),
        error=error,
        notice=notice,
    )


def surveys_page(
    *,
    published: list[dict[str, Any]],
    drafts: list[dict[str, Any]],
    user: Principal,
    error: str | None = None,
    notice: str | None = None,
) -> str:
    return render(
        "pages/surveys.html",
        title=_title(N_("Surveys")),
        **chrome(user, "/surveys"),
        published=published,
        drafts=drafts,
        language_names=LANGUAGE_NAMES,
        can_manage=user.may(Action.MANAGE_FLEET),
        error=error,
        notice=notice,
    )


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    return f"{n / 1024**2:.0f} MB"


def _offset(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    sign = "−" if seconds < 0 else "+"
    a = abs(seconds)
    if a < 120:
        return f"{sign}{a:.0f} s"
    if a < 7200:
        return f"{sign}{a / 60:.0f} min"
    return f"{sign}{a / 3600:.1f} h"


# The problems hq.fleet flags on a device, as the Devices page names them.
PROBLEM_NAMES = {
    "low disk": N_("low disk"),
    "clock skew": N_("clock skew"),
    "behind": N_("behind"),
    "profile not applied": N_("profile not applied"),
    "not syncing": N_("not syncing"),
}


def _local(at: datetime | None, time_zone: str) -> str:
    """A time in the store's zone with its abbreviation, the month in the page's language."""
    return "" if at is None else local_label(at, time_zone)


def devices_page(*, devices: list[DeviceHealth], user: Principal) -> str:
    """Each kiosk's last health report; problems (low disk, clock skew, an old app version, a
    profile not applied, no sync) highlighted. Times are in each store's zone."""
    rows = []
    for d in devices:
        rows.append(
            {
                "d": d,
                "db": _size(d.db_bytes),
                "free": _size(d.free_disk_bytes),
                "offset": _offset(d.clock_offset_s),
                "oldest": _local(d.oldest_pending_at, d.time_zone),
                "started": _local(d.started_at, d.time_zone) or "—",
                "last_sync": _local(d.last_sync_at, d.time_zone) or _t("never"),
                "suspect": "—" if d.suspect_rate is None else f"{100 * d.suspect_rate:.1f}%",
            }
        )
    counts: dict[str, int] = {}
    for d in devices:
        for p in d.problems:
            counts[p] = counts.get(p, 0) + 1
    return render(
        "pages/devices.html",
        title=_title(N_("Devices")),
        **chrome(user, "/devices"),
        rows=rows,
        counts=counts,
        problem_names=PROBLEM_NAMES,
        active=sum(1 for d in devices if d.state == "active"),
        newest=next((d.newest_version for d in devices if d.newest_version), None),
    )


def kiosk_preview_page(
    *, form: str, survey: SurveyVersionV1, store_name: str, user: Principal
) -> str:
    """A draft as the kiosk will show it, in each of its languages: the question screen and
    the follow-up screen of each category (an HTML mock of ui/screens; no Qt at HQ)."""
    from core.i18n import Texts

    screens = []
    for lang in survey.languages:
        texts = survey.texts[lang]
        tr = Texts(lang)  # the kiosk's own catalogs, for its chrome (Done, Skip)
        screens.append(
            {
                "lang": lang,
                "name": LANGUAGE_NAMES.get(lang, lang),
                "texts": texts,
                "done": tr("Done"),
                "skip": tr("Skip"),
                "pick_any": tr("Pick any that apply"),
                "follow_ups": [
                    {
                        "category": cat,
                        "question": texts.follow_up.get(cat, ""),
                        "chips": [c.label for c in texts.reasons.get(cat, [])],
                        "consent": texts.consent if cat == "detractor" else None,
                    }
                    for cat in ("detractor", "passive", "promoter")
                ],
            }
        )
    return render(
        "pages/kiosk_preview.html",
        title=i18n.texts().gettext("Kiosk preview: {name}", name=survey.name or form) + " · NPS HQ",
        **chrome(user, "/surveys"),
        languages=language_links(f"/surveys/{quote(form)}/kiosk"),
        form=form,
        survey=survey,
        store_name=store_name,
        pills=[(code, LANGUAGE_NAMES.get(code, code)) for code in survey.languages],
        screens=screens,
    )


# The Privacy page's answer when a search finds nothing, per kind of search.
NOTHING_HELD = {
    "phone": N_("Nothing: no response, alert or outbox message holds this phone."),
    "email": N_("Nothing: no response, alert or outbox message holds this e-mail."),
    "response": N_("Nothing: no response, alert or outbox message holds this response."),
}


def privacy_page(
    *,
    user: Principal,
    held: Held | None = None,
    fields: dict[str, str] | None = None,
    erased: ErasureResult | None = None,
    error: str | None = None,
    retention: RetentionPolicy | None = None,
) -> str:
    """Privacy: find a person by phone, e-mail or response id; what HQ holds about them; the
    export download and the erase form (a confirmation box, the ids shown, CSRF-checked)."""
    query = ""
    if held is not None and held.query.kind != "response":
        query = urlencode([(str(held.query.kind), held.query.value)])
    return render(
        "pages/privacy.html",
        title=_title(N_("Privacy")),
        **chrome(user, "/privacy"),
        query_labels=NOTHING_HELD,
        statuses=DELIVERY_STATUSES,
        held=held,
        fields=fields or {},
        erased=erased,
        error=error,
        retention=retention,
        export_query=query,
    )


CASE_STATES = {
    "open": N_("open"),
    "contacted": N_("contacted"),
    "resolved": N_("resolved"),
}


def cases_page(
    *,
    lines: list[CaseLine],
    f: CaseFilter,
    stores: list[Store],
    reasons: dict[str, str] | None = None,
    groups: list[StoreGroup],
    user: Principal,
    contact: bool,
    can_change: bool,
    error: str | None = None,
    query: str = "",
) -> str:
    """Follow-up cases: answered in the store's time with its zone, age, the answer, contact
    details (only with ``contact``), state, note and who changed it when; overdue ones (not
    resolved 48 hours after the answer) marked with a badge and a bar, not by colour alone."""
    rows = [
        {
            "c": c,
            "reasons": [(reasons or {}).get(key, key) for key in c.reasons],
            "answered": local_label(c.answered_at, c.time_zone),
            "age": age_text(c.age),
            "changed": "" if c.changed_at is None else local_label(c.changed_at, c.time_zone),
        }
        for c in lines
    ]
    return render(
        "pages/cases.html",
        title=_title(N_("Cases")),
        **chrome(user, "/cases"),
        rows=rows,
        f=f,
        stores=stores,
        groups=groups,
        contact=contact,
        can_change=can_change,
        error=error,
        query=query,
        states=CASE_STATES,
        overdue=sum(1 for c in lines if c.overdue),
        csv_href="/cases.csv" + (f"?{query}" if query else ""),
    )
