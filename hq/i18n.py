"""HQ's own texts in English and Hindi: the gettext domain ``hq`` (core/locale/<lang>/LC_MESSAGES/
hq.po and .mo), and the language of each request.

How HQ picks a page's language: the ``lang`` cookie (set by the language links on every page,
``/lang?to=hi``), else the browser's Accept-Language (its best-weighted language HQ has), else
English. E-mails and the stored alert summaries go to people HQ knows only by address, so they
use the chain's language: NPS_HQ_LANGUAGE (``en`` or ``hi``), English when unset.

The phone page is the customer's, not HQ's: it speaks the six survey languages from the kiosk's
catalog (domain ``kiosk``), chosen by its own ``lang`` link."""

from __future__ import annotations

import gettext
import os
from contextvars import ContextVar
from typing import Any

from core.i18n import Texts, translations
from core.said import explain_in

DOMAIN = "hq"
LANGUAGES: dict[str, str] = {"en": "English", "hi": "हिन्दी"}
DEFAULT = "en"
COOKIE = "lang"
COOKIE_MAX_AGE_S = 365 * 86400

_current: ContextVar[str] = ContextVar("hq_language", default=DEFAULT)


def N_(message: str) -> str:
    """Marks a text for `pybabel extract`; it is translated where it is shown."""
    return message


def pick(cookie: str | None, accept_language: str | None) -> str:
    """The page language: the cookie if HQ has it, else the best Accept-Language match."""
    if cookie in LANGUAGES:
        return cookie
    best, best_q = DEFAULT, 0.0
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        code = tag.strip().lower().split("-")[0]
        # Earlier entries win ties (the header's own order).
        if code in LANGUAGES and q > best_q + (1e-9 if i else 0):
            best, best_q = code, q
    return best


def current() -> str:
    """The language of the request being answered (English outside a request)."""
    return _current.get()


def chain_language() -> str:
    """The chain's language for e-mails and alert summaries: NPS_HQ_LANGUAGE, else English."""
    value = os.environ.get("NPS_HQ_LANGUAGE", "").strip().lower()
    return value if value in LANGUAGES else DEFAULT


def texts(language: str | None = None) -> Texts:
    return Texts(language or current(), DOMAIN)


def explain(error: BaseException | str, language: str | None = None) -> str:
    """An error's text for a page, in the page's language: the ``errors`` domain for the texts
    the service code marked (core/said.py). HQ's JSON API keeps ``str(exc)``, English, as
    machines read its ``detail``."""
    return explain_in(error, language or current())


def catalog(language: str | None = None) -> gettext.NullTranslations:
    return translations(language or current(), DOMAIN)


class RequestLanguage:
    """Pure ASGI middleware: sets the request's language (cookie, then Accept-Language) for the
    pages rendered while answering it, and says that the answer varies by both."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        cookie = None
        for item in headers.get(b"cookie", b"").decode("latin-1").split(";"):
            name, _, value = item.strip().partition("=")
            if name == COOKIE:
                cookie = value.strip()
        language = pick(cookie, headers.get(b"accept-language", b"").decode("latin-1"))
        token = _current.set(language)

        async def send_with_vary(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"vary", b"Accept-Language, Cookie")]
            await send(message)

        try:
            await self.app(scope, receive, send_with_vary)
        finally:
            _current.reset(token)
