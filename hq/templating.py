"""The Jinja2 environment of HQ's pages and e-mails (hq/templates/).

Autoescaping is on for every .html template: a value from a customer or the database is text,
never markup, unless a template says otherwise (none does). Text templates (.txt) are not
escaped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from core.nps import NpsResult, signed


def nps_text(r: NpsResult) -> str:
    return "—" if r.nps is None else signed(r.nps)


def interval(r: NpsResult) -> str:
    if r.nps is None:
        return "—"
    return f"{signed(r.ci_low)} to {signed(r.ci_high)}"


def nps_class(r: NpsResult) -> str:
    if r.nps is None:
        return ""
    return "pos" if r.nps > 0 else "neg" if r.nps < 0 else ""


def ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    secs = (now - at).total_seconds()
    if secs < 90:
        return "just now"
    if secs < 5400:
        return f"{int(secs // 60)} min ago"
    if secs < 2 * 86400:
        return f"{int(secs // 3600)} h ago"
    return f"{int(secs // 86400)} days ago"


def urlquote(value: str) -> str:
    return quote(value)


def csrf_field(token: str) -> Markup:
    """The hidden field every form of a signed-in page carries (hq/csrf.py checks it)."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(token))


env = Environment(
    loader=PackageLoader("hq", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
env.filters.update(
    nps_text=nps_text, interval=interval, nps_class=nps_class, ago=ago, urlquote=urlquote
)
env.globals.update(signed=signed, csrf_field=csrf_field)


def render(name: str, **context: Any) -> str:
    """The template ``name`` (under hq/templates/) filled with ``context``."""
    return env.get_template(name).render(**context)
