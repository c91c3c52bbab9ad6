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
from typing import Any
from urllib.parse import quote, urlencode

from core.i18n import translations
from core.nps import signed
from core.survey_texts import (
    DEFAULT_FOLLOW_UP,
    DEFAULT_LABEL_HIGH,
    DEFAULT_LABEL_LOW,
    DEFAULT_QUESTION,
    DEFAULT_REASONS,
    LANGUAGES,
)
from hq import i18n
from hq.alerts import DEFAULT_PARAMS, RULE_KINDS, AlertLine, AlertRule
from hq.analytics import Dashboard, StoreLine
from hq.audit import AuditEntry
from hq.auth import Principal
from hq.delivery import DeliveryLine
from hq.groups import StoreGroup
from hq.i18n import N_
from hq.phone import PHONE_MESSAGES, PHONE_NOTICE_TITLES, PHONE_TEXTS
from hq.roles import Action, Role
from hq.service import ApiToken, Store
from hq.templating import render
from hq.users import User
from hq.webhooks import Webhook

# Every page of the top bar with the action its route requires (hq.auth): a link shows only
# to a user whose role may open it.
NAV = (
    ("/", N_("Dashboard"), Action.READ_SCOPED),
    ("/alerts", N_("Alert rules"), Action.READ_ALL),
    ("/deliveries", N_("Delivery log"), Action.READ_ALL),
    ("/users", N_("Users"), Action.MANAGE_USERS),
    ("/tokens", N_("API tokens"), Action.MANAGE_USERS),
    ("/audit", N_("Audit log"), Action.READ_AUDIT),
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


def phone_form(*, store_id: str, token: str, lang: str, error: str | None = None) -> str:
    tiles = [
        {
            "score": score,
            "category": cat,
            "css": {"detractor": "d", "passive": "p", "promoter": "g"}[cat],
        }
        for score in range(11)
        for cat in ["detractor" if score <= 6 else "passive" if score <= 8 else "promoter"]
    ]
    langs = [
        {
            "code": code,
            "name": name,
            "href": f"/m/{quote(store_id)}?{urlencode({'t': token, 'lang': code})}",
        }
        for code, name in LANGUAGES.items()
    ]
    catalog = translations(lang)
    return render(
        "phone/form.html",
        title=DEFAULT_QUESTION[lang],
        lang=lang,
        catalog=catalog,
        langs=langs,
        store_id=store_id,
        token=token,
        error=catalog.gettext(error) if error else None,
        question=DEFAULT_QUESTION[lang],
        tiles=tiles,
        label_low=DEFAULT_LABEL_LOW[lang],
        label_high=DEFAULT_LABEL_HIGH[lang],
        follow_up=[(cat, q.get(lang) or q["en"]) for cat, q in DEFAULT_FOLLOW_UP.items()],
        chips=[
            {"key": r["key"], "text": r.get(lang) or r["en"]} for r in DEFAULT_REASONS["detractor"]
        ],
    )


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
    pad_l, pad_r, pad_t, pad_b = 30, 8, 8, 18
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(line.trend)

    def x(i: int) -> float:
        return pad_l + (w * i / max(1, n - 1))

    def y(v: int) -> float:
        return pad_t + h * (100 - v) / 200

    segments: list[tuple[tuple[float, float], ...]] = []
    segment: list[tuple[float, float]] = []
    for i, (_week, value, _n) in enumerate(line.trend):
        if value is None:
            if segment:
                segments.append(tuple(segment))
            segment = []
        else:
            segment.append((x(i), y(value)))
    if segment:
        segments.append(tuple(segment))
    return TrendChart(
        store_id=line.store_id,
        responses=sum(count for _w, _v, count in line.trend),
        width=width,
        height=height,
        left=pad_l,
        right=width - pad_r,
        grid=tuple(GridLine(y=y(v), label=signed(v), dashed=v == 0) for v in (100, 0, -100)),
        x_labels=tuple(
            AxisLabel(x=x(i), text=line.trend[i][0][5:], anchor="start" if i == 0 else "end")
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
        trends=[(s, trend_chart(s)) for s in d.stores],
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
        param_names=PARAM_NAMES,
        settings=[
            (kind, key, value)
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
    error: str | None = None,
    new_token: tuple[str, str] | None = None,
) -> str:
    """The API tokens (newest first), a form to make one (shown once), revoke buttons."""
    return render(
        "pages/tokens.html",
        title=_title(N_("API tokens")),
        **chrome(user, "/tokens"),
        tokens=sorted(tokens, key=lambda t: t.id, reverse=True),
        error=error,
        new_token=new_token,
    )


def audit_page(*, entries: list[AuditEntry], user: Principal, limit: int) -> str:
    """The latest audit entries, newest first, and the link to all of them as CSV."""
    return render(
        "pages/audit.html",
        title=_title(N_("Audit log")),
        **chrome(user, "/audit"),
        entries=entries,
        limit=limit,
    )


def password_page(*, user: Principal, error: str | None = None, changed: bool = False) -> str:
    return render(
        "pages/password.html",
        title=_title(N_("Change password")),
        **chrome(user, "/account/password"),
        error=error,
        changed=changed,
    )
