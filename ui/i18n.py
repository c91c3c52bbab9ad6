"""The fixed texts of the customer's path (buttons, keyboard, PIN gate), per language.

Texts the store can change (the question, labels, reason chips) live in the settings instead;
these are the few strings that are the same in every store, kept in assets/i18n/<lang>.json.
"""

from __future__ import annotations

import json
from functools import cache

from core.assets import assets_dir

FALLBACK = "en"


@cache
def _table(language: str) -> dict[str, str]:
    path = assets_dir() / "i18n" / f"{language}.json"
    try:
        return dict(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError):
        return {}


class Catalog:
    """Looks a key up in one language, falling back to English, then to the key itself."""

    def __init__(self, language: str) -> None:
        self.language = language

    def t(self, key: str, **values: object) -> str:
        text = _table(self.language).get(key) or _table(FALLBACK).get(key) or key
        return text.format(**values) if values else text

    __call__ = t


def catalog(language: str) -> Catalog:
    return Catalog(language)
