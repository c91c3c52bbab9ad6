"""The default survey texts, per language: what a kiosk and the phone page ask until a store
sets its own wording."""

from __future__ import annotations

LANGUAGES: dict[str, str] = {"en": "English", "hi": "हिन्दी"}

DEFAULT_QUESTION = {
    "en": "How likely are you to recommend us to a friend or colleague?",
    "hi": "आप हमें किसी मित्र या सहकर्मी को सुझाने की कितनी संभावना रखते हैं?",
}
DEFAULT_LABEL_LOW = {"en": "Not at all likely", "hi": "बिल्कुल संभावना नहीं"}
DEFAULT_LABEL_HIGH = {"en": "Extremely likely", "hi": "बहुत अधिक संभावना"}
DEFAULT_FOLLOW_UP = {
    "detractor": {"en": "What could we do better?", "hi": "हम क्या बेहतर कर सकते हैं?"},
    "passive": {"en": "What would make it a 10?", "hi": "इसे 10 बनाने के लिए क्या चाहिए?"},
    "promoter": {"en": "What did you like most?", "hi": "आपको सबसे अच्छा क्या लगा?"},
}
_REASON_TEXT = {
    "wait_time": {"en": "Wait time", "hi": "प्रतीक्षा समय"},
    "staff": {"en": "Staff", "hi": "स्टाफ़"},
    "price": {"en": "Price", "hi": "कीमत"},
    "product_range": {"en": "Product range", "hi": "उत्पादों की रेंज"},
    "cleanliness": {"en": "Cleanliness", "hi": "साफ़-सफ़ाई"},
    "checkout": {"en": "Checkout", "hi": "चेकआउट"},
}
DEFAULT_REASONS = {
    cat: [{"key": key, **text} for key, text in _REASON_TEXT.items()] for cat in DEFAULT_FOLLOW_UP
}
DEFAULT_CONSENT = {
    "en": "May we contact you about this?",
    "hi": "क्या हम इस बारे में आपसे संपर्क कर सकते हैं?",
}
DEFAULT_SURVEY_ID = 1  # the chain-wide id of the built-in survey version ("Default")
DEFAULT_SURVEY_NAME = "Default"


def default_survey_texts() -> dict[str, dict[str, object]]:
    """The built-in survey as core.profile.SurveyTexts data, per language (en, hi)."""
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
