"""Every control a customer or manager touches on the kiosk is at least 48 px each way (the
question, follow-up, thank-you and PIN screens, landscape 1280x800 and portrait 800x1280), and
Tab walks the question screen in reading order."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

MIN_PX = 48
TARGETS = (QPushButton, QCheckBox, QLineEdit, QPlainTextEdit)
SIZES = [(1280, 800), (800, 1280)]


def targets(screen: QWidget) -> list[QWidget]:
    return [
        w
        for w in screen.findChildren(QWidget)
        if isinstance(w, TARGETS) and w.isVisibleTo(screen.window())
    ]


def is_key(w: QWidget) -> bool:
    return w.property("kind") == "key"


def too_small(screen: QWidget, *, keys: bool = True) -> list[str]:
    found = [w for w in targets(screen) if keys or not is_key(w)]
    assert found, "nothing to measure"
    return [
        f"{type(w).__name__} {w.objectName() or w.text() if isinstance(w, QAbstractButton) else ''}"
        f" {w.width()}x{w.height()}"
        for w in found
        if w.width() < MIN_PX or w.height() < MIN_PX
    ]


def tap(qtbot, widget: QWidget) -> None:  # noqa: ANN001
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "hi"])
def test_every_touch_target_is_at_least_48_px(qtbot, make_kiosk, size, language) -> None:  # noqa: ANN001
    kiosk = make_kiosk(language=language, size=size)
    w = kiosk.window
    assert w.current_screen() is w.question
    small = too_small(w.question)
    tap(qtbot, w.findChild(QPushButton, "score_2"))  # a detractor: chips, comment, opt-in
    assert w.current_screen() is w.follow_up
    tap(qtbot, w.follow_up.opt_in)  # the name and phone fields too
    qtbot.wait(50)
    # The on-screen keyboard's keys: measured below (a known gap in portrait).
    small += too_small(w.follow_up, keys=False)
    with qtbot.waitSignal(kiosk.controller.response_completed, timeout=2000):
        tap(qtbot, w.follow_up.skip)
    assert w.current_screen() is w.thanks
    small += [s for s in too_small_or_none(w.thanks)]
    kiosk.controller.open_pin_gate()
    assert w.current_screen() is w.pin_gate
    small += too_small(w.pin_gate)
    assert small == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "hi", "mr", "ta", "bn", "te"])
def test_every_keyboard_key_is_at_least_48_px(qtbot, make_kiosk, size, language) -> None:  # noqa: ANN001
    w = make_kiosk(language=language, size=size).window
    tap(qtbot, w.findChild(QPushButton, "score_2"))
    keyboard = w.follow_up.keyboard
    small = []
    # The script's keys, with Shift, and the Latin layout it switches to (in landscape an
    # InScript keyboard spans the screen: 12-13 keys a row do not fit the right-hand column).
    for step in ("", "shift", "layout"):
        if step:
            if (key := keyboard.key(step)) is None:  # English: no other layout
                continue
            tap(qtbot, key)
        keys = [k for k in targets(w.follow_up) if is_key(k)]
        assert len(keys) > 30 or step == "shift"  # Tamil's Shift page has 30 letters
        small += [
            f"{step} {k.objectName()} {k.width()}x{k.height()}"
            for k in keys
            if min(k.width(), k.height()) < MIN_PX
        ]
    assert small == []


def too_small_or_none(screen: QWidget) -> list[str]:
    """The thank-you screen may have no control at all (a tap anywhere finishes)."""
    return too_small(screen) if targets(screen) else []


def reading_order(widgets: list[QWidget], window: QWidget) -> list[QWidget]:
    """Top to bottom by row (a row: tops within half a control's height), left to right."""

    def key(w: QWidget) -> tuple[int, int]:
        p = w.mapTo(window, QPoint(0, 0))
        return (p.y() + w.height() // 2) // max(1, w.height()), p.x()

    return sorted(widgets, key=key)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_tab_walks_the_question_screen_in_reading_order(qtbot, make_kiosk, size) -> None:  # noqa: ANN001
    w = make_kiosk(language="en", size=size).window
    controls = [c for c in targets(w.question) if c.focusPolicy() & Qt.FocusPolicy.TabFocus]
    assert len(controls) >= 13  # 2+ language pills and 11 scores
    want = reading_order(controls, w)
    # Tab follows Qt's focus chain, skipping what cannot take focus by Tab or is hidden.
    walked = [want[0]]
    step = want[0]
    while len(walked) < len(controls):
        step = step.nextInFocusChain()
        assert step is not want[0], "the focus chain misses some controls"
        if step in controls:
            walked.append(step)
    names = [c.objectName() for c in walked]
    assert names == [c.objectName() for c in want]
    assert [n for n in names if n.startswith("score_")] == [f"score_{i}" for i in range(11)]
