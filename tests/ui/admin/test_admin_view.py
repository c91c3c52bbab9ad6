"""The admin view: real database, Qt offscreen, background reads waited for with signals."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from kiosk import audit, followups
from kiosk.dashboard import dashboard
from kiosk.db import open_database
from kiosk.followups import CaseState
from kiosk.pin import PinGuard, verify_pin
from kiosk.recording import Completion, FollowUp, Recorder
from kiosk.seed import seed
from ui.admin import AdminView
from ui.admin.parts import nps_text
from ui.admin.worker import BackgroundOps

NAME, PHONE = "Kavita Joshi", "+91 98111 22233"


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(tmp_path / "kiosk.db")
    seed(database, n=800, days=40)
    rec = Recorder(database)
    rid = rec.record_score(score=2, language="en", time_to_answer_ms=4000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            comment="Nobody at the counter",
            contact_consent=True,
            contact_name=NAME,
            contact_detail=PHONE,
        ),
    )
    PinGuard(database).set_pin("1357")
    yield database
    database.close()


@pytest.fixture
def make_view(qtbot, db):
    views: list[AdminView] = []

    def make(**kw) -> AdminView:
        view = AdminView(db, **kw)
        qtbot.addWidget(view)
        view.resize(1280, 800)
        views.append(view)
        return view

    yield make
    for view in views:
        view.shutdown()


def test_dashboard_shows_the_service_figures(qtbot, make_view, db) -> None:
    view = make_view()
    with qtbot.waitSignal(view.dashboard.loaded, timeout=10_000) as blocker:
        view.show()
    shown = blocker.args[0]
    expected = dashboard(db, window_days=30)
    assert shown == expected
    cards = view.dashboard.period_cards
    assert [c.value.text() for c in cards] == [nps_text(p.result) for p in expected.periods]
    assert cards[3].n.text() == f"{expected.periods[3].result.n:,} responses"
    with qtbot.waitSignal(view.dashboard.loaded, timeout=10_000) as blocker:
        view.dashboard.suspect.setChecked(True)
    assert blocker.args[0].include_suspect
    assert blocker.args[0].window.n == expected.window.n + expected.suspect_in_window


def test_first_paint_does_not_wait_for_the_figures(qtbot, make_view, monkeypatch) -> None:
    release = threading.Event()
    import ui.admin.dashboard_tab as tab

    real = tab.dashboard

    def slow(*args, **kw):
        release.wait(10)
        return real(*args, **kw)

    monkeypatch.setattr(tab, "dashboard", slow)
    view = make_view()
    view.show()
    qtbot.waitExposed(view)  # painted while the read is still blocked
    qtbot.waitUntil(lambda: view.busy.isVisible())
    assert view.dashboard.data is None
    with qtbot.waitSignal(view.dashboard.loaded, timeout=10_000):
        release.set()
    qtbot.waitUntil(lambda: not view.busy.isVisible())


def test_background_ops_run_off_the_gui_thread(qtbot) -> None:
    ops = BackgroundOps()
    results: list[int] = []
    ops.run(threading.get_ident, results.append)
    qtbot.waitUntil(lambda: bool(results))
    assert results[0] != threading.get_ident()
    errors: list[str] = []
    ops.run(lambda: 1 / 0, results.append, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert "division" in errors[0]
    ops.shutdown()


def test_idle_lock_returns_to_the_survey(qtbot, make_view, db) -> None:
    view = make_view(idle_lock_ms=50)
    with qtbot.waitSignal(view.closed, timeout=5000):
        view.show()
    assert audit.entries(db, actions=["admin_idle_lock"])
    view.hide()  # the owner may keep the view and show it again after the PIN
    assert not view.idle.isActive()
    view.show()
    assert view.idle.isActive()


def test_input_in_the_view_restarts_the_idle_countdown(qtbot, make_view) -> None:
    view = make_view(idle_lock_ms=60_000)
    view.show()
    view.idle.stop()
    qtbot.keyClick(view.comments.text, Qt.Key.Key_A)
    assert view.idle.isActive()


def test_back_and_two_step_exit(qtbot, make_view, db) -> None:
    view = make_view()
    view.show()
    with qtbot.waitSignal(view.closed, timeout=1000):
        qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    with qtbot.assertNotEmitted(view.exit_requested):
        qtbot.mouseClick(view.exit_button, Qt.MouseButton.LeftButton)
    assert view.exit_button.text() == "Tap again to exit"
    with qtbot.waitSignal(view.exit_requested, timeout=1000):
        qtbot.mouseClick(view.exit_button, Qt.MouseButton.LeftButton)
    assert audit.entries(db, actions=["kiosk_exit"])


def test_comment_filters(qtbot, make_view) -> None:
    view = make_view()
    view.show()
    view.tabs.setCurrentWidget(view.comments)
    tab = view.comments
    tab.since.setDate(tab.since.date().addDays(-60))
    tab.text.setText("counter")
    for cat, box in tab.category_boxes.items():
        box.setChecked(cat.value == "detractor")
    with qtbot.waitSignal(tab.loaded, timeout=10_000) as blocker:
        qtbot.mouseClick(tab.apply, Qt.MouseButton.LeftButton)
    page = blocker.args[0]
    assert page.items
    assert all("counter" in c.comment.lower() and c.score <= 6 for c in page.items)
    assert page.items[0].comment == "Nobody at the counter"  # newest first


def test_follow_up_case_moves_and_is_forgotten(qtbot, make_view, db) -> None:
    view = make_view()
    view.show()
    tab = view.followups
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        view.tabs.setCurrentWidget(tab)
    assert tab.current is not None and tab.current.contact_name == NAME  # newest first
    assert NAME in tab.case_contact.text()
    rid = tab.current.response_id
    with qtbot.waitSignal(tab.changed, timeout=10_000):
        qtbot.mouseClick(tab.contacted, Qt.MouseButton.LeftButton)
    assert followups.get(db, rid).state is CaseState.CONTACTED
    qtbot.mouseClick(tab.forget, Qt.MouseButton.LeftButton)  # first tap only arms it
    assert followups.get(db, rid).contact_name == NAME
    with qtbot.waitSignal(tab.changed, timeout=10_000):
        qtbot.mouseClick(tab.forget, Qt.MouseButton.LeftButton)
    assert followups.get(db, rid).erased
    qtbot.waitUntil(lambda: tab.current is not None and tab.current.erased)
    assert tab.case_contact.text() == "Contact details erased"


def test_settings_save_and_change_pin(qtbot, make_view, db) -> None:
    view = make_view()
    view.show()
    tab = view.settings_tab
    view.tabs.setCurrentWidget(tab)
    tab.store_name.setText("FreshMart · Andheri")
    tab.question["hi"].setText("क्या आप हमें सुझाएँगे?")
    with qtbot.waitSignal(tab.saved, timeout=1000):
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert view.title.text() == "FreshMart · Andheri"
    assert db.settings().question_version == 2
    tab.store_name.setText("")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert "store_name" in tab.message.text() and db.settings().store_name
    for edit, text in ((tab.old_pin, "9999"), (tab.new_pin, "2468"), (tab.new_pin2, "2468")):
        edit.setText(text)
    with qtbot.waitSignal(tab.pin_result, timeout=10_000) as blocker:
        qtbot.mouseClick(tab.pin_button, Qt.MouseButton.LeftButton)
    assert "wrong" in blocker.args[0] and "4 tries left" in blocker.args[0]
    tab.old_pin.setText("1357")
    with qtbot.waitSignal(tab.pin_result, timeout=10_000) as blocker:
        qtbot.mouseClick(tab.pin_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "PIN changed."
    assert verify_pin("2468", db.settings().admin_pin_hash)
    actions = {e.action for e in audit.entries(db)}
    assert {
        "settings_changed",
        "question_changed",
        "pin_failed",
        "pin_ok",
        "pin_changed",
    } <= actions


def test_records_export_and_audit_tab(qtbot, make_view, db, tmp_path) -> None:
    view = make_view()
    view.show()
    tab = view.records
    view.tabs.setCurrentWidget(tab)
    tab.folder.setText(str(tmp_path))
    tab.since.setDate(tab.since.date().addDays(-60))
    with qtbot.waitSignal(tab.exported, timeout=10_000) as blocker:
        qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    with result.files[0].open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == result.rows > 0
    with qtbot.waitSignal(view.audit.loaded, timeout=10_000) as blocker:
        view.tabs.setCurrentWidget(view.audit)
    titles = [e.title for e in blocker.args[0]]
    assert "Responses exported" in titles and "PIN changed" in titles
    assert view.audit.table.rowCount() == len(titles)


def test_comments_page_on_to_older_ones(qtbot, make_view) -> None:
    view = make_view()
    view.show()
    tab = view.comments
    tab.since.setDate(tab.since.date().addDays(-60))
    with qtbot.waitSignal(tab.loaded, timeout=10_000) as blocker:
        view.tabs.setCurrentWidget(tab)
        qtbot.mouseClick(tab.apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.page is not None and len(tab.shown) == len(tab.page.items))
    first = list(tab.shown)
    assert blocker.args[0].more and tab.more_button.isVisible()
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        qtbot.mouseClick(tab.more_button, Qt.MouseButton.LeftButton)
    assert len(tab.shown) > len(first) and tab.shown[: len(first)] == first
    assert all(a.at >= b.at for a, b in zip(tab.shown, tab.shown[1:], strict=False))
    assert tab.shown[-1].comment in tab.view.toPlainText()


def test_change_pin_counts_towards_the_lockout(qtbot, make_view, db) -> None:
    view = make_view()
    tab = view.settings_tab
    tab.new_pin.setText("2468")
    tab.new_pin2.setText("2468")
    tab.old_pin.setText("0000")
    answers = []
    for _ in range(5):
        with qtbot.waitSignal(tab.pin_result, timeout=10_000) as blocker:
            qtbot.mouseClick(tab.pin_button, Qt.MouseButton.LeftButton)
        answers.append(blocker.args[0])
    assert "locked" in answers[-1].lower() and "1 try left" in answers[-2]
    assert PinGuard(db).status().locked_until is not None
    assert verify_pin("1357", db.settings().admin_pin_hash)  # unchanged


def test_demo_renders_every_tab(qtbot, db, tmp_path) -> None:
    from PySide6.QtGui import QImage

    from tools.admin_demo import TAB_FILES, main

    db.close()  # the demo opens the file itself
    assert main(["--db", str(db.path), "--activity", "--shot", str(tmp_path / "shots")]) == 0
    for name in TAB_FILES:
        image = QImage(str(tmp_path / "shots" / name))
        assert (image.width(), image.height()) == (1280, 800), name


def test_another_tab_is_refreshed_when_first_shown(qtbot, make_view) -> None:
    from PySide6.QtWidgets import QWidget

    class Extra(QWidget):
        refreshed = 0

        def refresh(self) -> None:
            self.refreshed += 1

    view = make_view()
    view.show()
    extra = Extra()
    index = view.add_tab(extra, "Sync")
    assert view.tabs.tabText(index) == "Sync" and extra.refreshed == 0
    view.tabs.setCurrentIndex(index)
    view.tabs.setCurrentIndex(0)
    view.tabs.setCurrentIndex(index)
    assert extra.refreshed == 1


def test_a_till_booted_in_the_past_says_so_on_the_admin_view(qtbot, make_view, db) -> None:
    from datetime import datetime

    from ui.admin.parts import local_time

    dead_battery = datetime(2000, 1, 1, 9, 0)
    view = make_view(clock=lambda: dead_battery)
    view.show()
    qtbot.waitExposed(view)
    banner = view.clock_banner
    assert banner.isVisible()
    says = local_time(dead_battery, "%Y-%m-%d %H:%M", time_zone=db.settings().time_zone)
    assert f"This till's clock says {says}, before this version of NPS Kiosk" in banner.text()
    assert "set the date and time (or connect it to the network)" in banner.text()
    view.grab().save(str(Path(db.path).parent / "clock-banner.png"))
    # With the right time there is nothing to say.
    right = make_view()
    right.show()
    qtbot.waitExposed(right)
    assert not right.clock_banner.isVisible()


def test_hq_saying_the_clock_is_off_shows_on_the_admin_view(qtbot, make_view, db) -> None:
    """HQ measured this till's clock 3 h 02 min fast at the last sync (protocol v2 reply): the
    admin view says so. NPS_SHOT_DIR saves the screenshot (docs/admin-clock-banner.png)."""
    import os

    from sync.ledger import SyncStore
    from ui.admin.view import offset_words

    SyncStore(db).record_clock_offset(-(3 * 3600 + 2 * 60))
    view = make_view()
    view.show()
    qtbot.waitExposed(view)
    assert view.clock_banner.isVisible()
    assert view.clock_banner.text().startswith(
        "HQ says this till's clock is 3 h 02 min fast; set the date and time, or let the till "
        "get network time."
    )
    shots = os.environ.get("NPS_SHOT_DIR")
    view.grab().save(str(Path(shots or Path(db.path).parent) / "admin-clock-banner.png"))
    assert offset_words(240) == "4 min slow" and offset_words(-27 * 365.25 * 86400).endswith(
        "years fast"
    )
    # Within 5 minutes HQ leaves the clock alone, and so does the banner.
    SyncStore(db).record_clock_offset(-200)
    quiet = make_view()
    quiet.show()
    qtbot.waitExposed(quiet)
    assert not quiet.clock_banner.isVisible()


def test_the_settings_tab_lists_the_screens_and_saves_the_choice(qtbot, make_view, db) -> None:
    from PySide6.QtGui import QGuiApplication

    view = make_view()
    view.show()
    tab = view.settings_tab
    view.tabs.setCurrentWidget(tab)
    combo = tab.screen_choice
    names = [combo.itemText(i) for i in range(combo.count())]
    [screen] = QGuiApplication.screens()
    size = screen.geometry().size()
    assert names == ["The primary screen", f"{screen.name()} — {size.width()}×{size.height()}"]
    combo.setCurrentIndex(1)
    with qtbot.waitSignal(tab.saved, timeout=1000) as saved:
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert saved.args[0].screen == screen.name() == db.settings().screen
    # A chosen screen that is unplugged now stays chosen when other settings are saved.
    db.update_settings(screen="customer")
    tab.refresh()
    assert combo.currentText() == "customer (not connected)"
    assert tab.changes()["screen"] == "customer"
