"""A full disk: the kiosk stops taking answers calmly, loses nothing, tells the manager why,
and takes answers again by itself once space is freed.

The disk is real: the database lives on a 3 MB tmpfs mounted for the test (``small_fs`` in
tests/conftest.py; root needed), filled by another file until the kernel says ENOSPC. Without
the mount the test is skipped, and under CI=true it fails instead."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from kiosk.recording import Recorder

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def db_path(small_fs: Path) -> Path:  # the conftest's db, survey_db and kiosk use this path
    return small_fs / "kiosk.db"


def answer(qtbot, w, score: int) -> None:  # noqa: ANN001
    qtbot.mouseClick(w.question.scores[score], LEFT)
    assert w.current_screen() is w.follow_up
    qtbot.mouseClick(w.follow_up.skip, LEFT)
    assert w.current_screen() is w.thanks
    w.thanks.dismissed.emit()
    assert w.current_screen() is w.question


def test_a_full_disk_pauses_answers_calmly_loses_nothing_and_resumes_by_itself(
    qtbot,  # noqa: ANN001
    kiosk,  # noqa: ANN001
    small_fs: Path,
    tmp_path: Path,
    fill,  # noqa: ANN001
) -> None:
    from ui.admin import AdminView

    w, controller, db = kiosk.window, kiosk.controller, kiosk.db
    for score in (9, 3, 10):
        answer(qtbot, w, score)
    before = [(r.id, r.score, r.status) for r in Recorder(db).latest()]
    assert len(before) == 3

    filler = fill(small_fs)
    qtbot.mouseClick(w.question.scores[7], LEFT)

    # The customer: a calm sentence, no score buttons, no thank-you, no raw SQLite message.
    assert w.current_screen() is w.paused
    assert w.paused.title.text() == "We can't take answers right now"
    assert w.paused.subtitle.text() == "Please ask a member of staff."
    assert not any(button.isVisible() for button in w.question.scores)
    assert not w.banner.isVisible()  # the notice banner with the raw error stays hidden
    assert w.current_screen() is not w.thanks
    w.grab().save(str(tmp_path / "full-disk-customer.png"))
    # Another tap (keys reach the window) changes nothing.
    qtbot.keyClick(w.paused, Qt.Key.Key_5)
    assert w.current_screen() is w.paused

    # Nothing stored is lost or damaged.
    assert [(r.id, r.score, r.status) for r in Recorder(db).latest()] == before
    check = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    try:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert check.execute("SELECT count(*) FROM responses").fetchone() == (3,)
    finally:
        check.close()

    # The manager sees why, with the free space.
    view = AdminView(db)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitExposed(view)
    text = view.storage_banner.text()
    assert view.storage_banner.isVisible()
    assert "Answers are paused: the disk is full" in text
    assert "database or disk is full" in text
    assert " MB free in " in text and str(small_fs) in text
    view.grab().save(str(tmp_path / "full-disk-admin.png"))
    view.shutdown()
    view.hide()

    # Still full: the retry timer keeps the pause.
    controller.storage_timer.setInterval(50)
    controller.storage_timer.start()
    qtbot.wait(200)
    assert w.current_screen() is w.paused

    # Space comes back: answers are taken again, without a restart.
    filler.unlink()
    qtbot.waitUntil(lambda: w.current_screen() is w.question, timeout=5000)
    assert all(button.isEnabled() for button in w.question.scores)
    answer(qtbot, w, 8)
    after = Recorder(db).latest()
    assert len(after) == 4 and after[0].score == 8
    assert [(r.id, r.score, r.status) for r in after[1:]] == before
    view = AdminView(db)
    qtbot.addWidget(view)
    assert not view.storage_banner.text().startswith("Answers are paused")
    view.shutdown()


def test_the_admin_view_warns_of_low_space_well_before_the_disk_is_full(
    qtbot,  # noqa: ANN001
    db,  # noqa: ANN001
    small_fs: Path,
    tmp_path: Path,
) -> None:
    from ui.admin import AdminView

    db.update_settings(low_space_mb=2)  # the 3 MB disk has more than 2 MB free: no warning
    view = AdminView(db)
    qtbot.addWidget(view)
    assert not view.storage_banner.isVisibleTo(view) and view.storage_banner.text() == ""

    with (small_fs / "photos.bin").open("wb") as fh:
        fh.write(b"\0" * (2 * 1024 * 1024))  # now about 1 MB is left
    view.refresh_storage()
    text = view.storage_banner.text()
    assert view.storage_banner.isVisibleTo(view)
    assert text.startswith("Low disk space: ") and "(warning below 2 MB)" in text
    view.resize(1280, 800)
    view.show()
    qtbot.waitExposed(view)
    view.grab().save(str(tmp_path / "low-space-admin.png"))
    view.shutdown()
