"""The customer's path, driven like a customer: taps on the real widgets, rows in a real file."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit, QPushButton

from core.text import COMMENT_LIMIT
from kiosk.recording import Completion, ResponseStatus

LEFT = Qt.MouseButton.LeftButton


def tap(qtbot, widget) -> None:  # noqa: ANN001
    qtbot.mouseClick(widget, LEFT)


def type_on_screen(qtbot, follow_up, text: str) -> None:  # noqa: ANN001
    names = {" ": "space", ".": "dot", "@": "at"}
    for char in text:
        tap(qtbot, follow_up.keyboard.key(names.get(char, char)))


def test_tap_reasons_comment_done_writes_one_complete_row(qtbot, kiosk) -> None:  # noqa: ANN001
    w = kiosk.window
    tap(qtbot, w.question.scores[3])
    assert w.current_screen() is w.follow_up
    rows = kiosk.rows()
    assert [(r.score, r.status) for r in rows] == [(3, ResponseStatus.INCOMPLETE)]

    tap(qtbot, w.follow_up.chips["wait_time"])
    tap(qtbot, w.follow_up.chips["staff"])
    tap(qtbot, w.follow_up.chips["staff"])  # changed their mind
    tap(qtbot, w.follow_up.chips["checkout"])
    tap(qtbot, w.follow_up.comment)
    type_on_screen(qtbot, w.follow_up, "slow till")
    assert w.follow_up.comment.toPlainText() == "slow till"
    with qtbot.waitSignal(kiosk.controller.response_completed, timeout=2000):
        tap(qtbot, w.follow_up.done)

    assert w.current_screen() is w.thanks
    [row] = kiosk.rows()
    assert row.status is ResponseStatus.COMPLETE
    assert row.completion is Completion.DONE
    assert row.reasons == ("wait_time", "checkout")
    assert row.comment == "slow till"
    assert row.language == "en"
    assert row.contact_consent is False


def test_skip_completes_without_the_follow_up(qtbot, kiosk) -> None:  # noqa: ANN001
    w = kiosk.window
    tap(qtbot, w.question.scores[9])
    tap(qtbot, w.follow_up.chips["staff"])
    with qtbot.waitSignal(kiosk.controller.response_completed, timeout=2000):
        tap(qtbot, w.follow_up.skip)
    [row] = kiosk.rows()
    assert (row.score, row.status, row.completion) == (9, ResponseStatus.COMPLETE, Completion.SKIP)
    assert row.reasons == ()
    assert w.current_screen() is w.thanks


def test_idle_timeout_completes_with_what_was_entered(qtbot, kiosk) -> None:  # noqa: ANN001
    w, controller = kiosk.window, kiosk.controller
    tap(qtbot, w.question.scores[6])
    timer = controller.idle_timer
    assert timer.isActive() and timer.interval() == 5000  # follow_up_timeout_s
    tap(qtbot, w.follow_up.chips["price"])
    tap(qtbot, w.follow_up.comment)
    type_on_screen(qtbot, w.follow_up, "too dear")
    timer.setInterval(50)  # the test's patience, not the customer's
    with qtbot.waitSignal(controller.response_completed, timeout=3000) as done:
        tap(qtbot, w.follow_up.chips["staff"])  # any interaction restarts the countdown
    assert done.args[1] == Completion.TIMEOUT.value
    [row] = kiosk.rows()
    assert row.status is ResponseStatus.COMPLETE and row.completion is Completion.TIMEOUT
    assert row.reasons == ("staff", "price")  # in the order the chips are offered
    assert row.comment == "too dear"
    assert w.current_screen() is w.thanks


def test_back_to_the_question_after_thank_you_reset(qtbot, kiosk) -> None:  # noqa: ANN001
    w = kiosk.window
    tap(qtbot, w.question.header.pill("hi"))
    tap(qtbot, w.question.scores[2])
    tap(qtbot, w.follow_up.chips["price"])
    w.follow_up.comment.setPlainText("कुछ")
    tap(qtbot, w.follow_up.done)
    assert w.current_screen() is w.thanks
    assert kiosk.controller.thanks_timer.interval() == 1000  # thank_you_s
    with qtbot.waitSignal(kiosk.controller.question_shown, timeout=3000):
        pass  # the thank-you screen times out by itself
    assert w.current_screen() is w.question
    assert w.question.taps_enabled
    # The next customer starts in the default language with empty fields.
    assert w.question.question.text() == kiosk.db.settings().text("question", "en")
    tap(qtbot, w.question.scores[4])
    assert w.follow_up.comment.toPlainText() == ""
    assert not any(chip.isChecked() for chip in w.follow_up.chips.values())
    assert len(kiosk.rows()) == 2


def test_a_double_tap_gives_one_row(qtbot, kiosk) -> None:  # noqa: ANN001
    q = kiosk.window.question
    tap(qtbot, q.scores[7])
    tap(qtbot, q.scores[7])
    tap(qtbot, q.scores[8])
    qtbot.keyClick(q, Qt.Key.Key_5)
    rows = kiosk.rows()
    assert [r.score for r in rows] == [7]
    assert not q.taps_enabled


def test_fast_successive_taps_are_flagged_suspect(qtbot, kiosk) -> None:  # noqa: ANN001
    kiosk.db.update_settings(min_tap_interval_s=30)
    w = kiosk.window
    tap(qtbot, w.question.scores[10])
    tap(qtbot, w.follow_up.skip)
    qtbot.keyClick(w.thanks, Qt.Key.Key_Space)  # the next "customer" at once
    assert w.current_screen() is w.question
    tap(qtbot, w.question.scores[10])
    second, first = kiosk.rows()
    assert first.suspect is False
    assert second.suspect is True
    assert "within_min_interval" in (second.suspect_reason or "")


def test_time_to_answer_runs_from_question_shown_to_tap(qtbot, make_kiosk) -> None:  # noqa: ANN001
    now = [100.0]
    k = make_kiosk(monotonic=lambda: now[0])
    now[0] = 102.5
    tap(qtbot, k.window.question.scores[8])
    [row] = k.rows()
    assert row.time_to_answer_ms == 2500


def test_hindi_switch_shows_hindi_text(qtbot, kiosk) -> None:  # noqa: ANN001
    w, settings = kiosk.window, kiosk.db.settings()
    assert w.question.question.text() == settings.text("question", "en")
    tap(qtbot, w.question.header.pill("hi"))
    assert w.question.question.text() == settings.text("question", "hi")
    assert w.question.label_low.text() == settings.text("label_low", "hi")
    assert w.question.header.pill("hi").isChecked()
    tap(qtbot, w.question.scores[1])
    assert w.follow_up.question.text() == settings.follow_up_text("detractor", "hi")
    assert w.follow_up.chips["staff"].text() == "स्टाफ़"
    assert w.follow_up.done.text() == "हो गया"
    assert w.follow_up.keyboard.layout_name == "devanagari"
    tap(qtbot, w.follow_up.comment)
    tap(qtbot, w.follow_up.keyboard.key("क"))
    tap(qtbot, w.follow_up.keyboard.key("ा"))
    tap(qtbot, w.follow_up.done)
    assert w.thanks.title.text() == "धन्यवाद!"
    [row] = kiosk.rows()
    assert row.language == "hi"
    assert row.comment == "का"


def test_the_whole_flow_with_the_keyboard_only(qtbot, kiosk) -> None:  # noqa: ANN001
    w, controller = kiosk.window, kiosk.controller
    qtbot.keyClick(w.question, Qt.Key.Key_4)
    assert w.current_screen() is w.follow_up
    qtbot.keyClicks(w.follow_up.comment, "ok")
    with qtbot.waitSignal(controller.response_completed, timeout=2000) as done:
        qtbot.keyClick(w.follow_up.comment, Qt.Key.Key_Return)  # Enter = Done
    assert done.args[1] == "done"
    qtbot.keyClick(w.thanks, Qt.Key.Key_A)  # any key ends the thank-you early
    assert w.current_screen() is w.question

    qtbot.keyClick(w.question, Qt.Key.Key_T)  # T taps 10
    with qtbot.waitSignal(controller.response_completed, timeout=2000) as done:
        qtbot.keyClick(w.follow_up, Qt.Key.Key_Escape)  # Esc = Skip
    assert done.args[1] == "skip"
    qtbot.keyClick(w.thanks, Qt.Key.Key_Return)
    qtbot.keyClick(w.question, Qt.Key.Key_Plus)  # so does +
    qtbot.keyClick(
        w.follow_up.comment, Qt.Key.Key_Return, modifier=Qt.KeyboardModifier.ShiftModifier
    )  # a line break, not Done
    assert w.current_screen() is w.follow_up
    qtbot.keyClick(w.follow_up, Qt.Key.Key_Enter)
    rows = kiosk.rows()
    assert [(r.score, r.completion) for r in rows] == [
        (10, Completion.DONE),
        (10, Completion.SKIP),
        (4, Completion.DONE),
    ]
    assert rows[2].comment == "ok"


def test_contact_details_are_stored_only_with_consent(qtbot, kiosk) -> None:  # noqa: ANN001
    w = kiosk.window
    tap(qtbot, w.question.scores[0])
    f = w.follow_up
    assert f.contact_box.isVisible() and not f.contact_name.isVisible()
    tap(qtbot, f.opt_in)
    assert f.contact_name.isVisible() and f.contact_detail.isVisible()
    type_on_screen(qtbot, f, "ann")
    tap(qtbot, f.contact_detail)
    type_on_screen(qtbot, f, "a@b.in")
    assert f.contact_name.text() == "ann" and f.contact_detail.text() == "a@b.in"
    tap(qtbot, f.opt_in)  # changed their mind: the typed details must not be kept
    assert not f.contact_name.isVisible()
    tap(qtbot, f.done)
    qtbot.keyClick(w.thanks, Qt.Key.Key_Space)

    tap(qtbot, w.question.scores[2])
    tap(qtbot, f.opt_in)
    type_on_screen(qtbot, f, "bo")
    tap(qtbot, f.contact_detail)
    type_on_screen(qtbot, f, "98450")
    tap(qtbot, f.done)
    qtbot.keyClick(w.thanks, Qt.Key.Key_Space)

    tap(qtbot, w.question.scores[9])
    assert not f.contact_box.isVisible()  # only detractors are asked
    tap(qtbot, f.done)

    promoter, consented, declined = kiosk.rows()
    assert (declined.contact_consent, declined.contact_name, declined.contact_detail) == (
        False,
        None,
        None,
    )
    assert (consented.contact_consent, consented.contact_name, consented.contact_detail) == (
        True,
        "bo",
        "98450",
    )
    assert (promoter.contact_consent, promoter.contact_name) == (False, None)
    # The opt-in's wording is stored exactly as shown, with the consent only.
    with kiosk.db.reading() as session:
        shown = dict(
            session.connection().exec_driver_sql("SELECT id, consent_text FROM responses").all()
        )
    assert shown[consented.id] == "May we contact you about this?"
    assert shown[declined.id] is None and shown[promoter.id] is None


def test_the_comment_box_holds_at_most_the_limit(qtbot, kiosk) -> None:  # noqa: ANN001
    w = kiosk.window
    tap(qtbot, w.question.scores[5])
    comment = w.follow_up.comment
    comment.setPlainText("x" * (COMMENT_LIMIT + 300))  # a paste
    assert len(comment.toPlainText()) == COMMENT_LIMIT
    tap(qtbot, comment)
    comment.moveCursor(comment.textCursor().MoveOperation.End)
    tap(qtbot, w.follow_up.keyboard.key("a"))
    qtbot.keyClicks(comment, "zz")
    assert comment.toPlainText() == "x" * COMMENT_LIMIT
    assert w.follow_up.chars.text() == "0 characters left"
    tap(qtbot, w.follow_up.keyboard.key("backspace"))
    tap(qtbot, w.follow_up.keyboard.key("a"))
    assert comment.toPlainText() == "x" * (COMMENT_LIMIT - 1) + "a"
    tap(qtbot, w.follow_up.done)
    [row] = kiosk.rows()
    assert row.comment is not None and len(row.comment) == COMMENT_LIMIT


def test_portrait_puts_the_tiles_on_two_rows(qtbot, make_kiosk) -> None:  # noqa: ANN001
    wide = make_kiosk(size=(1280, 800)).window.question.scores
    assert len({b.geometry().y() for b in wide}) == 1
    assert wide[0].geometry().x() < wide[10].geometry().x()
    tall = make_kiosk(size=(800, 1280))
    qtbot.waitUntil(lambda: tall.window.width() == 800)
    scores = tall.window.question.scores
    assert scores[6].geometry().y() > scores[5].geometry().y()
    assert scores[0].geometry().y() == scores[5].geometry().y()
    assert scores[6].geometry().y() == scores[10].geometry().y()
    assert tall.window.question.label_high.text().startswith("10 = ")


def test_idle_question_screen_checkpoints_the_wal(qtbot, kiosk) -> None:  # noqa: ANN001
    w, controller = kiosk.window, kiosk.controller
    tap(qtbot, w.question.scores[8])
    tap(qtbot, w.follow_up.done)
    qtbot.keyClick(w.thanks, Qt.Key.Key_Space)
    wal = kiosk.db.path.with_name(kiosk.db.path.name + "-wal")
    assert wal.stat().st_size > 0
    assert controller.checkpoint_timer.isActive()
    controller.checkpoint_timer.setInterval(10)
    qtbot.waitUntil(lambda: wal.stat().st_size == 0, timeout=3000)


def test_every_interactive_widget_is_found_by_object_name(qtbot, kiosk) -> None:  # noqa: ANN001
    """Tests find widgets by objectName; the accessible name is for people (see test_a11y)."""
    w = kiosk.window
    for score in range(11):
        button = w.findChild(QPushButton, f"score_{score}")
        assert button is not None and button.text() == str(score)
    for code in ("en", "hi"):
        assert w.findChild(QPushButton, f"lang_{code}") is not None, code
    tap(qtbot, w.findChild(QPushButton, "score_3"))
    assert w.current_screen() is w.follow_up
    for kind, name in (
        (QPlainTextEdit, "comment"),
        (QCheckBox, "contact_opt_in"),
        (QLineEdit, "contact_name"),
        (QLineEdit, "contact_detail"),
        (QPushButton, "done"),
        (QPushButton, "skip"),
        (QPushButton, "reason_wait_time"),
    ):
        assert w.findChild(kind, name) is not None, name
