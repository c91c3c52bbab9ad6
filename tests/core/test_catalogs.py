"""The catalogs (core/locale): the customer's texts (domain kiosk, six languages), HQ's pages
and e-mails (domain hq), the admin view (admin), the command lines (cli) and the service code's
error texts (errors), those four in English and Hindi. Complete in every language, placeholders
as in the English source, compiled .mo files that match their .po files, a .pot that matches the
code, and a loud error when a catalog is missing."""

from __future__ import annotations

import gettext
import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core import i18n
from core.errors import CatalogMissing
from core.i18n import Texts, catalog_path, locale_dir
from core.survey_texts import DEFAULT_QUESTION, LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
# Each domain: its extraction mapping and the languages it is translated into.
DOMAINS = {
    "kiosk": ("babel.cfg", TRANSLATED),
    "hq": ("babel-hq.cfg", ["hi"]),
    "admin": ("babel-admin.cfg", ["hi"]),
    "cli": ("babel-cli.cfg", ["hi"]),
    "errors": ("babel-errors.cfg", ["hi"]),
}
DEFAULT_KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}
# The errors domain is what the service code raises with core.said.Said (the Makefile's
# `pybabel extract --no-default-keywords -k Said`); the others use gettext's usual keywords.
KEYWORDS = {"errors": {"Said": None}}
CATALOGS = [(domain, lang) for domain, (_cfg, langs) in DOMAINS.items() for lang in langs]


def po(language: str, domain: str = "kiosk") -> Catalog:
    with (locale_dir() / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as fp:
        return read_po(fp, locale=language)


def pot(domain: str = "kiosk") -> Catalog:
    with (locale_dir() / f"{domain}.pot").open("rb") as fp:
        return read_po(fp)


def ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def fields(text: str) -> set[str]:
    """The named placeholders: ``{n}`` (Python's str.format) and ``%(n)s`` (HQ's templates)."""
    named = {f"%({m})" for m in re.findall(r"%\((\w+)\)[sd]", text)}
    if "%(" in text or "%%" in text:
        return named | {"%%"} if "%%" in text else named
    return named | {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def sources(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_language_has_a_catalog(domain: str) -> None:
    found = sorted(p.parent.parent.name for p in locale_dir().glob(f"*/LC_MESSAGES/{domain}.po"))
    assert found == sorted(DOMAINS[domain][1])


@pytest.mark.parametrize(("domain", "language"), CATALOGS)
def test_every_text_is_translated_and_none_is_fuzzy(domain: str, language: str) -> None:
    catalog = po(language, domain)
    assert ids(catalog) == ids(pot(domain)), "run `make messages` to merge the .pot into the .po"
    untranslated = [m.id for m in catalog if m.id and not all(f.strip() for f in forms(m))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"{language}: translate these"
    assert fuzzy == [], f"{language}: review these and drop the fuzzy flag"


@pytest.mark.parametrize(("domain", "language"), CATALOGS)
def test_translations_keep_the_placeholders_of_the_source(domain: str, language: str) -> None:
    wrong = []
    for message in po(language, domain):
        if not message.id:
            continue
        want = set().union(*(fields(s) for s in sources(message)))
        wrong += [(message.id, f) for f in forms(message) if fields(f) != want]
    assert wrong == []


@pytest.mark.parametrize(("domain", "language"), CATALOGS)
def test_the_shipped_mo_file_is_the_compiled_po_file(domain: str, language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, po(language, domain))  # raises if the catalog cannot be compiled
    compiled.seek(0)
    fresh = gettext.GNUTranslations(compiled)
    with catalog_path(language, domain).open("rb") as fp:
        shipped = gettext.GNUTranslations(fp)
    assert shipped._catalog == fresh._catalog, "run `make messages` to compile the .po files"  # type: ignore[attr-defined]


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_template_has_every_text_the_code_marks(domain: str) -> None:
    with (ROOT / DOMAINS[domain][0]).open() as fp:
        method_map, options_map = parse_mapping_cfg(fp)
    keywords = KEYWORDS.get(domain, DEFAULT_KEYWORDS)
    found = {
        msgid if isinstance(msgid, str) else msgid[0]
        for _, _, msgid, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    assert found == ids(pot(domain)), "run `make messages` to extract the texts again"


def test_counts_take_the_plural_form_of_each_language() -> None:
    singular, plural = (
        "Wrong PIN. {n} try left before the keypad locks.",
        "Wrong PIN. {n} tries left before the keypad locks.",
    )
    en = Texts("en")
    assert en.ngettext(singular, plural, 1) == "Wrong PIN. 1 try left before the keypad locks."
    assert en.ngettext(singular, plural, 4) == "Wrong PIN. 4 tries left before the keypad locks."
    hi = Texts("hi")
    assert hi.ngettext(singular, plural, 1).endswith("1 कोशिश बाकी है।")
    assert hi.ngettext(singular, plural, 4).endswith("4 कोशिशें बाकी हैं।")
    ta = Texts("ta")
    assert "1 முயற்சி உள்ளது" in ta.ngettext(singular, plural, 1)
    assert "3 முயற்சிகள் உள்ளன" in ta.ngettext(singular, plural, 3)


def test_each_language_has_its_own_default_question() -> None:
    assert len(set(DEFAULT_QUESTION.values())) == len(LANGUAGES)
    assert DEFAULT_QUESTION["ta"].startswith("எங்களை")


@pytest.fixture
def empty_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(i18n, "locale_dir", lambda: tmp_path)
    i18n.translations.cache_clear()
    yield tmp_path
    i18n.translations.cache_clear()


def test_a_missing_catalog_is_a_loud_error_naming_the_file(empty_locale: Path) -> None:
    with pytest.raises(CatalogMissing) as err:
        Texts("ta")
    message = str(err.value)
    assert str(empty_locale / "ta" / "LC_MESSAGES" / "kiosk.mo") in message
    assert "make messages" in message
    assert Texts("en").gettext("Done") == "Done"  # English is the source: no file needed


def test_a_damaged_catalog_is_a_loud_error_too(empty_locale: Path) -> None:
    path = empty_locale / "bn" / "LC_MESSAGES" / "kiosk.mo"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a catalog")
    with pytest.raises(CatalogMissing, match="cannot be read"):
        Texts("bn")
