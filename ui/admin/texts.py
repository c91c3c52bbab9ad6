"""The admin view's texts in the manager's language (the setting ``admin_language``: English or
Hindi), from the gettext domain ``admin`` (core/locale/<lang>/LC_MESSAGES/admin.po; extracted
with babel-admin.cfg by `make messages`).

The view is built anew each time the PIN opens it, and :func:`use` is called first: a change of
language shows the next time the manager opens the view. ``_`` fills named placeholders
(``{n}``) with ``str.format``; ``ngettext`` picks the plural form for ``n``."""

from __future__ import annotations

from core.i18n import Texts
from core.said import explain_in
from kiosk.settings import ADMIN_LANGUAGES

DOMAIN = "admin"
NAMES = {"en": "English", "hi": "हिन्दी"}  # each in its own language
assert set(NAMES) == set(ADMIN_LANGUAGES)

_texts = Texts("en", DOMAIN)


def use(language: str) -> None:
    """Speak ``language`` from now on (English for one the admin view does not have)."""
    global _texts
    _texts = Texts(language if language in ADMIN_LANGUAGES else "en", DOMAIN)


def language() -> str:
    return _texts.language


def _(message: str, /, **values: object) -> str:
    return _texts.gettext(message, **values)


def ngettext(singular: str, plural: str, n: int, /, **values: object) -> str:
    return _texts.ngettext(singular, plural, n, **values)


def error(exc: BaseException | str) -> str:
    """An error's text from the service code (kiosk.errors, sync.errors, ...) in the manager's
    language: the ``errors`` domain (core/said.py), English for a text not marked yet."""
    return explain_in(exc, _texts.language)


def N_(message: str) -> str:
    """Marks a text for extraction; translate it with ``_`` where it is shown."""
    return message


# The titles of the tabs ui/app.py adds (AdminView.add_tab translates them).
EXTRA_TABS = (N_("Sync"), N_("QR code"))
