"""The default survey texts, per language: what a kiosk and the phone page ask until a store
sets its own wording. The English source texts are marked here and translated in the catalogs
(core/locale); the languages and the script each is written in are listed here too."""

from __future__ import annotations

from core.i18n import translations

# Each language named in itself: that is how a customer finds theirs in the header.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "hi": "हिन्दी",
    "ta": "தமிழ்",
    "bn": "বাংলা",
    "mr": "मराठी",
    "te": "తెలుగు",
}
# The script of each language: it picks the on-screen keyboard and the font.
SCRIPTS: dict[str, str] = {
    "en": "latin",
    "hi": "devanagari",
    "mr": "devanagari",
    "ta": "tamil",
    "bn": "bengali",
    "te": "telugu",
}


def N_(message: str) -> str:
    """Marks a source text for `pybabel extract`; it is translated per language below."""
    return message


QUESTION = N_("How likely are you to recommend us to a friend or colleague?")
LABEL_LOW = N_("Not at all likely")
LABEL_HIGH = N_("Extremely likely")
FOLLOW_UP = {
    "detractor": N_("What could we do better?"),
    "passive": N_("What would make it a 10?"),
    "promoter": N_("What did you like most?"),
}
REASONS = {
    "wait_time": N_("Wait time"),
    "staff": N_("Staff"),
    "price": N_("Price"),
    "product_range": N_("Product range"),
    "cleanliness": N_("Cleanliness"),
    "checkout": N_("Checkout"),
}


def _per_language(message: str) -> dict[str, str]:
    return {lang: translations(lang).gettext(message) for lang in LANGUAGES}


DEFAULT_QUESTION = _per_language(QUESTION)
DEFAULT_LABEL_LOW = _per_language(LABEL_LOW)
DEFAULT_LABEL_HIGH = _per_language(LABEL_HIGH)
DEFAULT_FOLLOW_UP = {cat: _per_language(text) for cat, text in FOLLOW_UP.items()}
DEFAULT_REASONS = {
    cat: [{"key": key, **_per_language(text)} for key, text in REASONS.items()]
    for cat in DEFAULT_FOLLOW_UP
}
CONSENT = N_("May we contact you about this?")
# The contact opt-in's wording: the same catalog text the kiosk's follow-up screen shows.
DEFAULT_CONSENT = _per_language(CONSENT)
DEFAULT_SURVEY_ID = 1  # the chain-wide id of the built-in survey version ("Default")
DEFAULT_SURVEY_NAME = "Default"
# The languages the built-in survey version (HQ's id 1) offers until a store picks: the kiosk's
# default. Its texts exist in every language of LANGUAGES, so a store may offer any of them.
DEFAULT_SURVEY_LANGUAGES: tuple[str, ...] = ("en", "hi")


def default_survey_texts() -> dict[str, dict[str, object]]:
    """The built-in survey as core.profile.SurveyTexts data, in every language."""
    return {
        lang: {
            "question": DEFAULT_QUESTION[lang],
            "label_low": DEFAULT_LABEL_LOW[lang],
            "label_high": DEFAULT_LABEL_HIGH[lang],
            "follow_up": {cat: q[lang] for cat, q in DEFAULT_FOLLOW_UP.items()},
            "reasons": {
                cat: [{"key": r["key"], "label": r[lang]} for r in chips]
                for cat, chips in DEFAULT_REASONS.items()
            },
            "consent": DEFAULT_CONSENT[lang],
        }
        for lang in LANGUAGES
    }
