"""A follow-up that cannot be stored at once (the database is locked by another process) is
kept and stored by a retry; the thank-you shows only once it is stored. The lock is real: a
second connection holds an EXCLUSIVE transaction on the kiosk's SQLite file, and the kiosk's
busy timeout is cut to 50 ms so that each failed try returns quickly."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from kiosk.recording import Completion, ResponseStatus

LEFT = Qt.MouseButton.LeftButton


def short_busy_timeout(db) -> None:  # noqa: ANN001
    # The tap path's own sqlite3 connection (this, the GUI, thread's: kiosk.db.Database.raw).
    db.raw().execute("PRAGMA busy_timeout=50")


def test_a_locked_database_delays_the_thank_you_until_the_follow_up_is_stored(
    qtbot,  # noqa: ANN001
    kiosk,  # noqa: ANN001
) -> None:
    w, controller = kiosk.window, kiosk.controller
    qtbot.mouseClick(w.question.scores[2], LEFT)
    qtbot.mouseClick(w.follow_up.chips["wait_time"], LEFT)
    w.follow_up.comment.setPlainText("Nobody at the till")
    w.follow_up.opt_in.setChecked(True)
    w.follow_up.contact_name.setText("Ravi")
    w.follow_up.contact_detail.setText("ravi@example.net")

    short_busy_timeout(kiosk.db)
    other = sqlite3.connect(kiosk.db.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        qtbot.mouseClick(w.follow_up.done, LEFT)
        assert w.current_screen() is w.follow_up, "thanked for a follow-up that is not stored"
        # It keeps trying while the lock is held, and the customer is never thanked meanwhile.
        qtbot.waitUntil(lambda: controller.unsaved and controller.unsaved[0].tries >= 3)
        assert w.current_screen() is w.follow_up
        assert w.follow_up.saving.isVisible()
        assert w.follow_up.saving.text() == "One moment, saving your answer…"
        assert not w.follow_up.done.isEnabled()
        [row] = kiosk.rows()
        assert row.status is ResponseStatus.INCOMPLETE and row.score == 2  # the score is stored
    finally:
        with qtbot.waitSignal(controller.response_completed, timeout=10_000):
            other.execute("ROLLBACK")  # the lock goes; the next retry stores the follow-up
        other.close()

    qtbot.waitUntil(lambda: w.current_screen() is w.thanks)
    assert not controller.unsaved
    [row] = kiosk.rows()
    assert row.status is ResponseStatus.COMPLETE and row.completion is Completion.DONE
    assert row.comment == "Nobody at the till"
    assert row.reasons == ("wait_time",)
    assert row.contact_consent and row.contact_detail == "ravi@example.net"
