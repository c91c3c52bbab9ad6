"""Error texts that the service code raises, translated where a person reads them.

The service layer (kiosk/, sync/, hq/, core/) stays free of languages: it raises its errors with
a :class:`Said` — a ``str`` that is the English text (what ``str(exc)``, the logs and HQ's JSON
``detail`` show, unchanged) and that also carries its message id and named parameters. Where a
person reads the error — the admin view, a CLI, an HQ page — :func:`explain_in` looks the id up
in the gettext domain ``errors`` (English and Hindi; core/locale/<lang>/LC_MESSAGES/errors.po,
extracted with babel-errors.cfg, keyword ``Said``) and fills the parameters in; a parameter
that is itself a :class:`Said` is translated too. A message id is always a format string (a
literal brace is written ``{{}}``), with or without parameters. An error raised with a plain
string shows as it is (English): that is a text nobody has marked yet, not a failure."""

from __future__ import annotations

from core.i18n import Texts

DOMAIN = "errors"
LANGUAGES = ("en", "hi")


class Said(str):
    """The English text of ``msgid`` with ``params`` filled in, remembering both."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, /, **params: object) -> Said:
        self = super().__new__(cls, msgid.format(**params))
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self) -> tuple[object, ...]:  # survives pickling (multiprocessing, copy)
        return (_said, (self.msgid, self.params))


def _said(msgid: str, params: dict[str, object]) -> Said:
    return Said(msgid, **params)


def said_of(error: BaseException | str) -> str:
    """The text an error was raised with (a :class:`Said` when it was marked)."""
    if isinstance(error, str):
        return error
    for arg in error.args:
        if isinstance(arg, Said):
            return arg
    return str(error)


def translate(text: str, texts: Texts) -> str:
    if not isinstance(text, Said):
        return str(text)
    params = {k: translate(v, texts) if isinstance(v, Said) else v for k, v in text.params.items()}
    return texts.gettext(text.msgid).format(**params)


def explain_in(error: BaseException | str, language: str) -> str:
    """``error``'s text in ``language`` (English for a language the errors are not in)."""
    return translate(said_of(error), Texts(language if language in LANGUAGES else "en", DOMAIN))


# Kept in a database column (the kiosk's sync_status.last_error, profile_error): a Said is
# stored as its id and parameters, so the Sync tab can show a stored error in the manager's
# language later; a plain text stays as it is (older rows too).
_STORED = "said:"


def _jsonable(value: object) -> object:
    if isinstance(value, Said):
        return {"said": value.msgid, "params": {k: _jsonable(v) for k, v in value.params.items()}}
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)


def _unjson(value: object) -> object:
    if isinstance(value, dict) and set(value) == {"said", "params"}:
        params = value["params"] if isinstance(value["params"], dict) else {}
        return Said(str(value["said"]), **{str(k): _unjson(v) for k, v in params.items()})
    return value


def to_stored(text: str) -> str:
    """What to keep in a text column for ``text`` (a :class:`Said` keeps its id and params)."""
    if not isinstance(text, Said):
        return str(text)
    import json

    return _STORED + json.dumps(_jsonable(text), ensure_ascii=False)


def from_stored(text: str | None) -> str | None:
    """The text :func:`to_stored` kept: a :class:`Said` again, or the plain text (also for a
    value that only looks like a stored one)."""
    if text is None or not text.startswith(_STORED):
        return text
    import json

    try:
        value = _unjson(json.loads(text[len(_STORED) :]))
        return value if isinstance(value, Said) else text
    except (ValueError, KeyError, IndexError):
        return text
