"""Screen readers hear sentences in the customer's language, not test ids: every widget a
customer can reach on the question and follow-up screens, in English and in Hindi, and after
switching language. (Tests find widgets by objectName instead.)"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QPlainTextEdit, QPushButton, QWidget

IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+")  # score_3, lang_hi, corner_hotspot
REACHABLE = (QAbstractButton, QLineEdit, QPlainTextEdit)
SCORE_NAME = {"en": "{n} out of 10", "hi": "10 में से {n}"}
ENDS = {"en": ("Not at all likely", "Extremely likely")}


def tap(qtbot, widget: QWidget) -> None:  # noqa: ANN001
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def check_names(screen: QWidget, *extra: QWidget) -> int:
    """Every reachable widget shown on ``screen`` has a human accessible name; returns how many."""
    seen = 0
    for widget in [*screen.findChildren(QWidget), *extra]:
        if not isinstance(widget, REACHABLE) and widget not in extra:
            continue
        if not widget.isVisibleTo(screen.window()):
            continue
        name = widget.accessibleName()
        where = f"{type(widget).__name__} {widget.objectName()!r}"
        assert name.strip(), f"{where} has no accessible name"
        assert not IDENTIFIER.fullmatch(name), f"{where} is named with an identifier: {name!r}"
        assert name != widget.objectName() or len(name) == 1, f"{where}: {name!r}"
        seen += 1
    return seen


def check_scores(window, language: str) -> None:  # noqa: ANN001
    for n in range(11):
        button = window.findChild(QPushButton, f"score_{n}")
        assert button.accessibleName() == SCORE_NAME[language].format(n=n)
    if language in ENDS:
        low, high = ENDS[language]
        assert window.findChild(QPushButton, "score_0").accessibleDescription() == low
        assert window.findChild(QPushButton, "score_10").accessibleDescription() == high


def test_question_and_follow_up_speak_the_customers_language(qtbot, make_kiosk) -> None:  # noqa: ANN001
    kiosk = make_kiosk(language="en")
    w = kiosk.window
    hotspot = w.findChild(QWidget, "corner_hotspot")

    assert check_names(w.question, hotspot) >= 13  # 11 scores, 2 language pills, the hotspot
    check_scores(w, "en")
    assert w.findChild(QPushButton, "lang_hi").accessibleName() == "हिन्दी"
    assert w.findChild(QPushButton, "lang_en").accessibleName() == "English"
    assert hotspot.accessibleName() == "Manager access"

    tap(qtbot, w.findChild(QPushButton, "score_2"))  # a detractor: the contact opt-in shows
    assert w.current_screen() is w.follow_up
    assert check_names(w.follow_up) > 20  # chips, comment, opt-in, Done, Skip, the keyboard
    assert w.follow_up.comment.accessibleName() == "Your comment"
    assert w.follow_up.done.accessibleName() == "Done"
    assert w.follow_up.skip.accessibleName() == "Skip"
    assert w.follow_up.opt_in.accessibleName() == "May we contact you about this?"
    chip = w.findChild(QPushButton, "reason_wait_time")
    assert chip.accessibleName() == chip.text()
    tap(qtbot, w.follow_up.opt_in)
    assert check_names(w.follow_up) > 22  # the name and phone fields too

    with qtbot.waitSignal(kiosk.controller.response_completed, timeout=2000):
        tap(qtbot, w.follow_up.skip)
    kiosk.controller.back_to_question()

    tap(qtbot, w.findChild(QPushButton, "lang_hi"))  # the customer switches to Hindi
    check_scores(w, "hi")
    check_names(w.question, hotspot)
    assert hotspot.accessibleName() == "प्रबंधक पहुँच"
    tap(qtbot, w.findChild(QPushButton, "score_2"))
    assert check_names(w.follow_up) > 20
    assert w.follow_up.comment.accessibleName() == "आपकी टिप्पणी"
    assert w.follow_up.done.accessibleName() == w.follow_up.done.text() != "Done"


def test_a_kiosk_that_starts_in_hindi_names_the_scores_in_hindi(make_kiosk) -> None:  # noqa: ANN001
    w = make_kiosk(language="hi").window
    check_scores(w, "hi")
    check_names(w.question, w.findChild(QWidget, "corner_hotspot"))


def test_pin_keys_are_named_for_people(make_kiosk) -> None:  # noqa: ANN001
    kiosk = make_kiosk(language="en")
    w = kiosk.window
    kiosk.controller.open_pin_gate()
    assert w.current_screen() is w.pin_gate
    assert w.findChild(QPushButton, "pin_4").accessibleName() == "Digit 4"
    assert w.findChild(QPushButton, "pin_cancel").accessibleName() == "Cancel"
    assert w.findChild(QPushButton, "pin_ok").accessibleName() == "OK"
    check_names(w.pin_gate)
