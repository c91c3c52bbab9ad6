"""The command lines' texts (``nps-kiosk``'s tools and ``nps-hq``): the gettext domain ``cli``
(core/locale/<lang>/LC_MESSAGES/cli.po; extracted with babel-cli.cfg by `make messages`).

Why a domain of its own: a person at a terminal is neither the customer (domain ``kiosk``, the
store's languages), the manager in the admin view (``admin``, the ``admin_language`` setting) nor
an HQ page's reader (``hq``, a cookie or the browser's language). A terminal says its language
the standard way, in the environment, and both commands share most of their words (stores,
devices, batch files, responses), so one catalog serves ``nps-kiosk`` and ``nps-hq``.

The language is chosen as gettext chooses it: the first of LANGUAGE, LC_ALL, LC_MESSAGES and
LANG that is set (LANGUAGE may list several, ``hi:en``), ``hi_IN.UTF-8`` meaning ``hi``; ``C``,
``POSIX`` and a language the CLI does not have mean English. Texts have named placeholders
(``{store}``) and counts go through :func:`ngettext`. argparse's own words ("usage:", "the
following arguments are required") come from the same catalog (:func:`install_for_argparse`).
Error texts raised by the service code are translated from the ``errors`` domain
(:func:`explain`, core/said.py)."""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping

from core.i18n import Texts, locale_dir
from core.said import explain_in

DOMAIN = "cli"
LANGUAGES: dict[str, str] = {"en": "English", "hi": "हिन्दी"}  # each in its own language
DEFAULT = "en"
ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def environment_language(environ: Mapping[str, str] | None = None) -> str:
    """The CLI's language for this environment: ``hi`` for LANGUAGE=hi or LANG=hi_IN.UTF-8."""
    env = os.environ if environ is None else environ
    for name in ENVIRONMENT:
        value = env.get(name, "").strip()
        if not value:
            continue
        for item in value.split(":"):
            code = item.split(".")[0].split("@")[0].strip()
            if code in ("C", "POSIX"):
                return DEFAULT
            base = code.split("_")[0].split("-")[0].lower()
            if base in LANGUAGES:
                return base
        return DEFAULT  # the first variable set decides, as in gettext
    return DEFAULT


def texts() -> Texts:
    return Texts(environment_language(), DOMAIN)


def _(message: str, /, **values: object) -> str:
    """``message`` in the terminal's language, named placeholders filled in."""
    return texts().gettext(message, **values)


def ngettext(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The form for ``n`` (``{n}`` is filled in) in the terminal's language."""
    return texts().ngettext(singular, plural, n, **values)


def N_(message: str) -> str:
    """Marks a text for extraction; it is translated where it is shown."""
    return message


# The kiosk's screen when its database cannot be opened (ui/app.py): no settings to read the
# manager's language from, so the machine's, as the command line speaks it.
CANNOT_SAVE = N_("The kiosk cannot save answers right now")


def explain(error: BaseException | str) -> str:
    """An error's text (a service-code exception or a message) in the terminal's language."""
    return explain_in(error, environment_language())


# argparse's own words, as Python 3.11-3.13 spell them: argparse looks them up with
# gettext.gettext, so install_for_argparse points the process's default domain at this catalog.
ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("the following arguments are required: %s"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
)


def install_for_argparse() -> None:
    """argparse's usage line, headings and errors in the terminal's language too (the process's
    default gettext domain becomes ``cli``; only the command-line entry points call this)."""
    gettext.bindtextdomain(DOMAIN, str(locale_dir()))
    gettext.textdomain(DOMAIN)
