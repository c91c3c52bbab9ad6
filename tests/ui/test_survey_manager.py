"""The manager's way out: the hidden gesture, the PIN gate, the lockdown, the start-up banner."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel

from kiosk.db import open_database
from kiosk.pin import PinGuard
from ui.pin_gate import GateMode

LEFT = Qt.MouseButton.LeftButton
CHORD = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.ShiftModifier
)


def enter_pin(qtbot, gate, pin: str) -> None:  # noqa: ANN001
    for digit in pin:
        qtbot.mouseClick(gate.keys[f"pin_{digit}"], LEFT)
    qtbot.mouseClick(gate.keys["pin_ok"], LEFT)


def open_gate_by_chord(qtbot, window) -> None:  # noqa: ANN001
    qtbot.keyClick(window.question, Qt.Key.Key_M, modifier=CHORD)
    assert window.current_screen() is window.pin_gate


def test_first_use_creates_a_pin_then_opens_the_admin_view(qtbot, kiosk) -> None:  # noqa: ANN001
    w = kiosk.window
    open_gate_by_chord(qtbot, w)
    gate = w.pin_gate
    assert gate.title.text() == "Create a manager PIN"
    enter_pin(qtbot, gate, "12")
    assert gate.message.text() == "A PIN is 4 to 8 digits."
    enter_pin(qtbot, gate, "2580")
    assert gate.title.text() == "Enter the new PIN again"
    enter_pin(qtbot, gate, "2581")
    assert "did not match" in gate.message.text()
    enter_pin(qtbot, gate, "2580")
    enter_pin(qtbot, gate, "2580")
    assert w.current_screen() is w.admin_view
    guard = PinGuard(kiosk.db)
    assert guard.pin_is_set and guard.attempt("2580").ok
    with qtbot.waitSignal(w.admin_closed, timeout=2000):
        qtbot.mouseClick(w.admin_view.back_button, LEFT)
    assert w.current_screen() is w.question and w.admin_view is None


def test_wrong_pin_shows_tries_left_then_locks_with_a_countdown(qtbot, kiosk) -> None:  # noqa: ANN001
    PinGuard(kiosk.db).set_pin("2468")
    w = kiosk.window
    w.hotspot.timer.setInterval(20)  # the 3 s hold, shortened for the test
    with qtbot.waitSignal(w.pin_gate_requested, timeout=2000):
        qtbot.mousePress(w.hotspot, LEFT, pos=QPoint(10, 10))
    qtbot.mouseRelease(w.hotspot, LEFT, pos=QPoint(10, 10))
    gate = w.pin_gate
    assert w.current_screen() is gate and gate.title.text() == "Manager PIN"
    enter_pin(qtbot, gate, "1111")
    assert gate.message.text() == "Wrong PIN. 4 tries left before the keypad locks."
    for _ in range(4):
        enter_pin(qtbot, gate, "1111")
    assert re.fullmatch(r"Too many wrong tries\. Try again in [45]:\d\d\.", gate.message.text())
    assert not gate.keys["pin_ok"].isEnabled() and not gate.keys["pin_5"].isEnabled()
    controller = kiosk.controller._gate_controller
    assert controller.mode is GateMode.LOCKED and controller.countdown.isActive()
    # Cancel and come back: still locked (the lock is in the database, not the widget).
    qtbot.mouseClick(gate.cancel, LEFT)
    assert w.current_screen() is w.question
    open_gate_by_chord(qtbot, w)
    assert gate.message.text().startswith("Too many wrong tries")
    # Setting the clock 6 minutes ahead ends the countdown but not the lock: the keypad
    # stays off (the guard counts the lock on the monotonic clock).
    ahead = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=6)
    controller.clock = lambda: ahead
    controller._tick()
    assert controller.mode is GateMode.LOCKED and not gate.keys["pin_ok"].isEnabled()
    assert gate.message.text().startswith("Too many wrong tries")


def test_correct_pin_opens_the_admin_view_and_exit_leaves_kiosk_mode(qtbot, make_kiosk) -> None:  # noqa: ANN001
    k = make_kiosk(kiosk_mode=True)
    PinGuard(k.db).set_pin("13579")
    w = k.window
    qtbot.mouseClick(w.question.header.pill("hi"), LEFT)
    open_gate_by_chord(qtbot, w)
    assert w.pin_gate.title.text() == "मैनेजर पिन"  # in the customer's current language
    enter_pin(qtbot, w.pin_gate, "13579")
    assert w.current_screen() is w.admin_view
    qtbot.mouseClick(w.admin_view.exit_button, LEFT)  # the first tap only arms it
    assert w.isVisible() and w.admin_view.exit_button.text() == "Tap again to exit"
    with qtbot.waitSignal(w.exit_requested, timeout=1000):
        qtbot.mouseClick(w.admin_view.exit_button, LEFT)
    assert not w.isVisible()


def test_opening_the_gate_mid_follow_up_keeps_the_answer(qtbot, kiosk) -> None:  # noqa: ANN001
    w = kiosk.window
    qtbot.mouseClick(w.question.scores[4], LEFT)
    qtbot.mouseClick(w.follow_up.chips["staff"], LEFT)
    qtbot.keyClick(w.follow_up, Qt.Key.Key_M, modifier=CHORD)
    assert w.current_screen() is w.pin_gate
    [row] = kiosk.rows()
    assert row.completion is not None and row.completion.value == "timeout"
    assert row.reasons == ("staff",)


def test_close_is_ignored_in_kiosk_mode(qtbot, make_kiosk) -> None:  # noqa: ANN001
    locked = make_kiosk(kiosk_mode=True).window
    flags = locked.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    assert locked.close() is False  # the window manager's close, Alt+F4
    assert locked.isVisible()
    qtbot.keyClick(locked, Qt.Key.Key_F4, modifier=Qt.KeyboardModifier.AltModifier)
    assert locked.isVisible()

    windowed = make_kiosk(kiosk_mode=False).window
    assert not windowed.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert windowed.close() is True


def test_database_notices_are_shown_in_a_dismissable_banner(qtbot, fonts, tmp_path: Path) -> None:  # noqa: ANN001
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    db = open_database(broken)
    try:
        assert db.notices  # moved aside, started fresh
        from ui.main_window import MainWindow
        from ui.survey import SurveyController

        window = MainWindow(kiosk_mode=False)
        qtbot.addWidget(window)
        controller = SurveyController(window=window, db=db)
        window.resize(1280, 800)
        window.show()
        controller.start()
        try:
            assert window.banner.isVisible()
            assert "moved aside" in window.banner.text.text()
            assert window.current_screen() is window.question  # the survey still runs
            qtbot.mouseClick(window.banner.dismiss, LEFT)
            assert not window.banner.isVisible()
        finally:
            controller.stop()
            window.shutdown()
    finally:
        db.close()


def test_smoke_run_prints_the_first_frame_time(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("nps-kiosk")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ui.cli"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [*command, "--smoke", "--db", str(tmp_path / "smoke.db")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    frame = [line for line in lines if line.startswith("first_frame_ms=")]
    assert len(frame) == 1 and float(frame[0].split("=")[1]) > 0
    assert any(re.fullmatch(r"peak_rss_kb=\d+", line) for line in lines)
    assert (tmp_path / "smoke.db").exists()  # the database was really opened


def test_an_idle_admin_view_locks_itself_back_to_the_survey(qtbot, kiosk) -> None:  # noqa: ANN001
    PinGuard(kiosk.db).set_pin("8642")
    w = kiosk.window
    open_gate_by_chord(qtbot, w)
    enter_pin(qtbot, w.pin_gate, "8642")
    assert w.current_screen() is w.admin_view
    assert w.admin_view.idle.interval() == 120_000  # two minutes
    w.admin_view.idle.setInterval(30)  # shortened for the test; the real timer path runs
    with qtbot.waitSignal(w.admin_closed, timeout=3000):
        w.admin_view.idle.start()
    assert w.current_screen() is w.question and w.admin_view is None
    open_gate_by_chord(qtbot, w)  # the PIN is asked for again
    assert w.pin_gate.title.text() == "Manager PIN"


def test_the_admin_view_of_the_running_kiosk_has_sync_and_qr_tabs(qtbot, kiosk) -> None:  # noqa: ANN001
    from ui.app import attach_sync

    sync = attach_sync(window=kiosk.window, controller=kiosk.controller, db=kiosk.db)
    try:
        PinGuard(kiosk.db).set_pin("8642")
        w = kiosk.window
        open_gate_by_chord(qtbot, w)
        enter_pin(qtbot, w.pin_gate, "8642")
        tabs = w.admin_view.tabs
        titles = [tabs.tabText(i) for i in range(tabs.count())]
        assert titles[-2:] == ["Sync", "QR code"]
        tabs.setCurrentIndex(titles.index("Sync"))
        # Not enrolled yet: the Sync tab says so in plain words (the worker answered).
        sync_tab = tabs.currentWidget()

        def says_not_enrolled() -> bool:
            return "enrol" in " ".join(x.text().lower() for x in sync_tab.findChildren(QLabel))

        qtbot.waitUntil(says_not_enrolled, timeout=5000)
    finally:
        sync.shutdown()


def test_an_admin_view_opened_before_the_worker_loads_gets_sync_and_qr_tabs(
    qtbot,
    kiosk,  # noqa: ANN001
) -> None:
    """The sync worker loads after taps are accepted; a manager quick enough to open the admin
    view before that still finds the Sync and QR tabs once it is there."""
    from ui.app import attach_sync

    PinGuard(kiosk.db).set_pin("8642")
    w = kiosk.window
    open_gate_by_chord(qtbot, w)
    enter_pin(qtbot, w.pin_gate, "8642")
    tabs = w.admin_view.tabs
    assert "Sync" not in [tabs.tabText(i) for i in range(tabs.count())]
    sync = attach_sync(window=w, controller=kiosk.controller, db=kiosk.db)
    try:
        titles = [tabs.tabText(i) for i in range(tabs.count())]
        assert titles[-2:] == ["Sync", "QR code"]
    finally:
        sync.shutdown()
