"""The customer's texts in every language, from gettext catalogs (core/locale/<lang>/LC_MESSAGES/
kiosk.mo, compiled from the .po files by `make messages`).

Message ids are the English source text, as is the gettext norm: English needs no catalog, and
an id that a catalog lacks shows in English. Placeholders are named (``{n}``, ``{time}``) and
filled with ``str.format``; counts go through ``ngettext`` so that each language picks its own
plural form. A second domain, ``hq``, holds HQ's pages and alert e-mails (English and Hindi;
hq/i18n.py). Only the standard library is used at run time (Babel extracts and compiles)."""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from core.errors import CatalogMissing

DOMAIN = "kiosk"
SOURCE_LANGUAGE = "en"


def locale_dir() -> Path:
    """core/locale: beside this module in a checkout, an installed wheel and the bundle."""
    return Path(__file__).resolve().parent / "locale"


def catalog_path(language: str, domain: str = DOMAIN) -> Path:
    return locale_dir() / language / "LC_MESSAGES" / f"{domain}.mo"


@cache
def translations(language: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    """The compiled catalog of a language; English is the source text itself.

    A missing or unreadable catalog raises CatalogMissing (never an empty catalog: a kiosk that
    silently speaks English to a Tamil customer is a bug nobody sees)."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    path = catalog_path(language, domain)
    try:
        with path.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    except FileNotFoundError:
        raise CatalogMissing(
            f"The {language!r} catalog {path} is missing. Run `make messages` in a checkout (it "
            f"compiles core/locale/{language}/LC_MESSAGES/{domain}.po), or reinstall NPS Kiosk."
        ) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CatalogMissing(
            f"The {language!r} catalog {path} cannot be read ({exc}). Compile it again with "
            "`make messages`, or reinstall NPS Kiosk."
        ) from exc


class Texts:
    """One language's texts: ``gettext`` and ``ngettext`` with named placeholders."""

    def __init__(self, language: str, domain: str = DOMAIN) -> None:
        self.language = language
        self._catalog = translations(language, domain)

    def gettext(self, message: str, **values: object) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """The form for ``n`` (``{n}`` is filled in): "1 try left", "3 tries left"."""
        return self._catalog.ngettext(singular, plural, n).format(n=n, **values)

    __call__ = gettext
