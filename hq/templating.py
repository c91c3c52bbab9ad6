"""The Jinja2 environment of HQ's pages and e-mails (hq/templates/).

Autoescaping is on for every .html template: a value from a customer or the database is text,
never markup, unless a template says otherwise (none does). Text templates (.txt) are not
escaped.

Every text a person reads goes through gettext (``{{ _("...") }}``, ``ngettext`` for counts,
named ``%(placeholders)s``: jinja2.ext.i18n, new style). The catalog is the render's own
``catalog`` (the phone page passes the kiosk catalog of the customer's language, e-mails the
chain's), else the ``hq`` catalog of the request's language (hq.i18n).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from core.nps import NpsResult, signed
from hq import i18n
from hq.i18n import N_


def nps_text(r: NpsResult) -> str:
    return "—" if r.nps is None else signed(r.nps)


def interval(r: NpsResult) -> str:
    if r.nps is None:
        return "—"
    return i18n.texts().gettext("{low} to {high}", low=signed(r.ci_low), high=signed(r.ci_high))


def nps_class(r: NpsResult) -> str:
    if r.nps is None:
        return ""
    return "pos" if r.nps > 0 else "neg" if r.nps < 0 else ""


def ago(at: datetime | None, now: datetime) -> str:
    t = i18n.texts()
    if at is None:
        return t.gettext("never")
    secs = (now - at).total_seconds()
    if secs < 90:
        return t.gettext("just now")
    if secs < 5400:
        return t.gettext("{n} min ago", n=int(secs // 60))
    if secs < 2 * 86400:
        return t.gettext("{n} h ago", n=int(secs // 3600))
    n = int(secs // 86400)
    return t.ngettext("{n} day ago", "{n} days ago", n)


MONTHS = (
    N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"),
    N_("Jul"), N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec"),
)  # fmt: skip


def when(at: datetime, fmt: str, language: str | None = None) -> str:
    """``at.strftime(fmt)`` with the month's short name (``%b``) in ``language`` (else the
    request's)."""
    month = i18n.texts(language).gettext(MONTHS[at.month - 1])
    return at.strftime(fmt.replace("%b", month.replace("%", "%%")))


def urlquote(value: str) -> str:
    return quote(value)


def csrf_field(token: str) -> Markup:
    """The hidden field every form of a signed-in page carries (hq/csrf.py checks it)."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(token))


@pass_context
def _gettext(context: Context, message: str) -> str:
    return (context.get("catalog") or i18n.catalog()).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return (context.get("catalog") or i18n.catalog()).ngettext(singular, plural, n)


env = Environment(
    extensions=["jinja2.ext.i18n"],
    loader=PackageLoader("hq", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
env.filters.update(
    nps_text=nps_text,
    interval=interval,
    nps_class=nps_class,
    ago=ago,
    urlquote=urlquote,
    when=when,
)
env.globals.update(signed=signed, csrf_field=csrf_field)
env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
    _gettext, _ngettext, newstyle=True
)


def language_links(here: str) -> list[dict[str, str]]:
    """The links of HQ's language switch (hq.i18n): each in its own language, back to ``here``."""
    return [
        {"code": code, "name": name, "href": f"/lang?to={code}&next={quote(here)}"}
        for code, name in i18n.LANGUAGES.items()
    ]


def render(name: str, **context: Any) -> str:
    """The template ``name`` (under hq/templates/) filled with ``context``; ``lang`` is the
    request's language unless the caller names one (the phone page, e-mails)."""
    context.setdefault("lang", i18n.current())
    context.setdefault("languages", language_links(str(context.get("here") or "/")))
    return env.get_template(name).render(**context)
