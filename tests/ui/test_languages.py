"""Every customer language on the kiosk: each script's font draws every character of its texts
and keyboard, the header offers all six languages at every screen size, and a customer who taps
a language goes through the question, follow-up and thank-you in it."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QRawFont

from core.i18n import locale_dir
from core.survey_texts import LANGUAGES, SCRIPTS
from kiosk.db import Database
from tests.ui.conftest import Kiosk
from tests.ui.test_survey_flow import tap

ALL = list(LANGUAGES)
INDIC = [lang for lang in ALL if SCRIPTS[lang] != "latin"]
FONT_FILES = {
    "latin": "NotoSans",
    "devanagari": "NotoSansDevanagari",
    "tamil": "NotoSansTamil",
    "bengali": "NotoSansBengali",
    "telugu": "NotoSansTelugu",
}


def catalog_texts(language: str) -> Iterator[str]:
    from babel.messages.pofile import read_po

    with (locale_dir() / language / "LC_MESSAGES" / "kiosk.po").open("rb") as fp:
        for message in read_po(fp, locale=language):
            if message.id:
                yield from (
                    message.string if isinstance(message.string, tuple) else (message.string,)
                )
    yield LANGUAGES[language]


@pytest.fixture(autouse=True)
def _app(qapp) -> None:  # noqa: ANN001 - QRawFont needs a QGuiApplication
    return None


def missing_glyphs(texts: Iterator[str] | list[str], script: str) -> set[str]:
    """Characters that neither the script's font nor Noto Sans (Latin, digits, punctuation)
    draws, in Regular and Bold: on a till they would show as boxes."""
    from core.assets import assets_dir

    fonts = assets_dir() / "fonts"
    missing: set[str] = set()
    for weight in ("Regular", "Bold"):
        own = QRawFont(str(fonts / f"{FONT_FILES[script]}-{weight}.ttf"), 20)
        latin = QRawFont(str(fonts / f"NotoSans-{weight}.ttf"), 20)
        assert own.isValid() and latin.isValid()
        for text in texts if isinstance(texts, list) else list(texts):
            for char in text:
                if unicodedata.category(char) == "Cf":  # ZWNJ, ZWJ: shaping marks, not drawn
                    continue
                if not (own.supportsCharacter(ord(char)) or latin.supportsCharacter(ord(char))):
                    missing.add(f"{char} U+{ord(char):04X} in {text!r} ({weight})")
    return missing


@pytest.mark.parametrize("language", INDIC)
def test_every_text_of_the_language_has_glyphs_in_the_shipped_fonts(language: str) -> None:
    texts = list(catalog_texts(language))
    assert texts
    assert missing_glyphs(texts, SCRIPTS[language]) == set()


@pytest.mark.parametrize("script", sorted({SCRIPTS[lang] for lang in INDIC}))
def test_every_keyboard_key_has_glyphs_in_the_shipped_fonts(script: str) -> None:
    from ui.widgets.keyboard import INSCRIPT, SWITCH_LABELS

    keys = [key for layer in INSCRIPT[script] for row in layer for key in row]
    assert missing_glyphs([*keys, SWITCH_LABELS[script]], script) == set()


def test_a_missing_glyph_is_noticed() -> None:
    assert missing_glyphs(["క"], "tamil")  # Telugu ka is not in the Tamil or Latin font


def test_the_devanagari_keyboard_is_inscript() -> None:
    from ui.widgets.keyboard import INSCRIPT

    base, shifted = INSCRIPT["devanagari"]
    # The Q row of a PC keyboard: q=ौ w=ै e=ा r=ी t=ू y=ब u=ह i=ग o=द p=ज
    assert base[1][:10] == ("ौ", "ै", "ा", "ी", "ू", "ब", "ह", "ग", "द", "ज")
    assert base[2][:5] == ("ो", "े", "्", "ि", "ु")  # a s d f g: the vowel signs under the left hand
    assert shifted[2][:5] == ("ओ", "ए", "अ", "इ", "उ")  # with Shift, the vowels themselves
    tamil, _ = INSCRIPT["tamil"]
    assert tamil[2] == ("ோ", "ே", "்", "ி", "ு", "ப", "ர", "க", "த", "ச", "ட")


@pytest.fixture
def six(survey_db: Database) -> Database:
    survey_db.update_settings(store_name="Greenleaf Market · Koramangala", languages=ALL)
    return survey_db


def pill_rects(kiosk: Kiosk) -> list[QRect]:
    header = kiosk.window.question.header
    window = kiosk.window
    rects = []
    for code in ALL:
        pill = header.pill(code)
        assert pill is not None and pill.isVisible(), code
        rects.append(QRect(pill.mapTo(window, pill.rect().topLeft()), pill.size()))
    return rects


@pytest.mark.parametrize("size", [(1280, 800), (800, 1280), (1024, 600)])
def test_six_languages_fit_the_header_with_the_whole_store_name(
    qtbot, make_kiosk: Callable[..., Kiosk], six: Database, size: tuple[int, int]
) -> None:  # noqa: ANN001
    k = make_kiosk(size=size)
    header = k.window.question.header
    qtbot.waitUntil(lambda: header.width() > 0)
    rects = pill_rects(k)
    window = k.window.rect()
    assert all(window.contains(r) for r in rects), (size, rects)
    assert all(not a.intersects(b) for a, b in zip(rects, rects[1:], strict=False))
    name = header.store_name
    assert name.width() >= name.sizeHint().width(), "the store's name is cut"
    assert [header.pill(code).text() for code in ALL] == [  # type: ignore[union-attr]
        "English", "हिन्दी", "தமிழ்", "বাংলা", "मराठी", "తెలుగు"
    ]  # fmt: skip
    # Side by side on a landscape screen; on their own line on the portrait tablet.
    assert header.pills_wrapped == (size[0] < size[1])


@pytest.mark.parametrize(
    ("language", "script", "chip", "done", "thanks", "letters"),
    [
        ("ta", "tamil", "ஊழியர்கள்", "முடிந்தது", "நன்றி!", ("க", "ா")),
        ("bn", "bengali", "কর্মী", "হয়ে গেছে", "ধন্যবাদ!", ("ক", "া")),
        ("mr", "devanagari", "कर्मचारी", "झाले", "धन्यवाद!", ("क", "ा")),
        ("te", "telugu", "సిబ్బంది", "పూర్తయింది", "ధన్యవాదాలు!", ("క", "ా")),
    ],
)
def test_a_customer_answers_in_their_own_language(
    qtbot,
    make_kiosk: Callable[..., Kiosk],
    six: Database,
    language: str,
    script: str,
    chip: str,
    done: str,
    thanks: str,
    letters: tuple[str, str],
) -> None:  # noqa: ANN001
    k = make_kiosk()
    w, settings = k.window, six.settings()
    tap(qtbot, w.question.header.pill(language))
    assert w.question.header.pill(language).isChecked()
    assert w.question.question.text() == settings.text("question", language)
    assert w.question.question.text() != settings.text("question", "en")
    tap(qtbot, w.question.scores[2])
    assert w.follow_up.question.text() == settings.follow_up_text("detractor", language)
    assert w.follow_up.chips["staff"].text() == chip
    assert w.follow_up.done.text() == done
    assert w.follow_up.opt_in.text() != "May we contact you about this?"
    keyboard = w.follow_up.keyboard
    assert keyboard.layout_name == script
    tap(qtbot, w.follow_up.comment)
    for letter in letters:
        tap(qtbot, keyboard.key(letter))
    tap(qtbot, keyboard.key("layout"))  # Latin is one tap away
    assert keyboard.layout_name == "latin"
    tap(qtbot, keyboard.key("o"))
    tap(qtbot, keyboard.key("k"))
    tap(qtbot, w.follow_up.done)
    assert w.thanks.title.text() == thanks
    [row] = k.rows()
    assert row.language == language
    assert row.comment == "".join(letters) + "ok"


def test_shift_on_an_inscript_keyboard_shows_the_vowels(
    qtbot, make_kiosk: Callable[..., Kiosk], six: Database
) -> None:  # noqa: ANN001
    k = make_kiosk(language="hi")
    tap(qtbot, k.window.question.scores[9])
    keyboard = k.window.follow_up.keyboard
    assert "ा" in keyboard.keys() and "आ" not in keyboard.keys()
    tap(qtbot, k.window.follow_up.comment)
    tap(qtbot, keyboard.key("shift"))
    assert "आ" in keyboard.keys()
    tap(qtbot, keyboard.key("आ"))
    assert "ा" in keyboard.keys(), "Shift is for one letter"
    tap(qtbot, keyboard.key("म"))
    assert k.window.follow_up.comment.toPlainText() == "आम"


def test_the_characters_left_count_takes_the_plural_form(
    qtbot, make_kiosk: Callable[..., Kiosk], six: Database
) -> None:  # noqa: ANN001
    k = make_kiosk(language="te")
    tap(qtbot, k.window.question.scores[9])
    follow = k.window.follow_up
    follow.comment.setPlainText("x" * (follow.comment.limit - 1))
    assert follow.chars.text() == "1 అక్షరం మిగిలి ఉంది"
    follow.comment.setPlainText("x" * (follow.comment.limit - 3))
    assert follow.chars.text() == "3 అక్షరాలు మిగిలి ఉన్నాయి"
