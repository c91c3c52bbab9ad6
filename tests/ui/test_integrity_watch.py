"""The full integrity check leaves the GUI thread: opening a big database reads only its header
and schema, and the check runs on a background thread after an unclean shutdown and daily.

Which thread ran ``PRAGMA integrity_check`` is seen with sqlite3's trace callback on every
connection made during the test (ours and SQLAlchemy's), never by timing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.db import open_database
from kiosk.integrity import LAST_CHECK, RUNNING, damage_found, last_check, side
from kiosk.recording import Recorder
from kiosk.seed import seed


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(thread name, SQL) of every statement any new sqlite3 connection runs."""
    seen: list[tuple[str, str]] = []
    real = sqlite3.connect

    def connect(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        conn = real(*args, **kwargs)
        conn.set_trace_callback(lambda sql: seen.append((threading.current_thread().name, sql)))
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    monkeypatch.setattr(sqlite3.dbapi2, "connect", connect)
    return seen


def full_checks(seen: list[tuple[str, str]], *, on_gui: bool) -> list[str]:
    gui = threading.main_thread().name
    return [
        sql
        for thread, sql in seen
        if "integrity_check" in sql.lower() and (thread == gui) == on_gui
    ]


def dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout)


def test_opening_a_big_database_never_checks_the_whole_file_on_the_gui_thread(
    qtbot,  # noqa: ANN001
    tmp_path: Path,
    traced: list[tuple[str, str]],
) -> None:
    from ui.integrity_watch import IntegrityWatch
    from ui.main_window import MainWindow
    from ui.survey import SurveyController

    path = tmp_path / "kiosk.db"
    db = open_database(path)
    seed(db, n=30_000, days=60)
    db.close()
    side(path, RUNNING).write_text(f"{dead_pid()} 2026-01-01T00:00:00+00:00\n")  # a crash
    traced.clear()

    # What ui.app does after the first frame: open, start the survey, start the watch.
    db = open_database(path)
    window = MainWindow(kiosk_mode=False)
    qtbot.addWidget(window)
    controller = SurveyController(window=window, db=db)
    controller.start()
    watch = IntegrityWatch(path)
    with qtbot.waitSignal(watch.finished, timeout=60_000) as done:
        watch.start()
        assert watch.last_reason == "unclean shutdown"
        assert window.question.taps_enabled  # answers are taken while it runs
    assert done.args[0].problem is None
    watch.shutdown()
    controller.stop()
    window.shutdown()
    db.close()

    assert full_checks(traced, on_gui=False), "the background check should have run"
    assert full_checks(traced, on_gui=True) == []
    assert not side(path, RUNNING).exists()  # a clean exit leaves no marker


def test_the_daily_check_runs_when_the_last_one_is_a_day_old(
    qtbot,  # noqa: ANN001
    db,  # noqa: ANN001
    traced: list[tuple[str, str]],
) -> None:
    from ui.integrity_watch import IntegrityWatch

    Recorder(db).record_score(score=9, language="en", time_to_answer_ms=2000)
    path = db.path
    old = datetime.now(UTC) - timedelta(hours=25)
    side(path, LAST_CHECK).write_text(json.dumps({"checked_at": old.isoformat()}))

    watch = IntegrityWatch(path)
    with qtbot.waitSignal(watch.finished, timeout=30_000):
        watch.start()
    assert watch.last_reason == "daily"
    checked = last_check(path)
    assert checked is not None and checked > old + timedelta(hours=24)

    # Checked just now, and the run is marked: the hourly tick starts nothing.
    qtbot.waitUntil(lambda: not watch.running())
    traced.clear()
    watch.check_if_due()
    assert not watch.running() and full_checks(traced, on_gui=False) == []
    watch.shutdown()


def test_damage_found_in_the_background_shows_the_manager_a_banner(
    qtbot,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    from ui.admin import AdminView
    from ui.integrity_watch import IntegrityWatch

    path = tmp_path / "kiosk.db"
    db = open_database(path)
    recorder = Recorder(db)
    for score in range(11):
        recorder.record_score(score=score, language="en", time_to_answer_ms=5000)
    db.checkpoint()
    db.close()
    raw = bytearray(path.read_bytes())
    raw[4096 * 2 : 4096 * 2 + 200] = b"\xff" * 200
    path.write_bytes(bytes(raw))
    side(path, RUNNING).write_text(f"{dead_pid()}\n")

    db = open_database(path)
    assert db.moved_aside is None  # not moved from under the running kiosk
    watch = IntegrityWatch(path)
    with qtbot.waitSignal(watch.finished, timeout=30_000) as done:
        watch.start()
    assert done.args[0].problem and damage_found(path)

    view = AdminView(db)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitExposed(view)
    assert view.damage_banner.isVisible()
    assert view.damage_banner.text().startswith("A check of the database found damage")
    assert "Restart the kiosk" in view.damage_banner.text()
    view.grab().save(str(tmp_path / "damage-banner.png"))
    view.shutdown()
    watch.shutdown()
    db.close()

    again = open_database(path)
    try:
        assert again.moved_aside is not None and again.moved_aside.read_bytes() == bytes(raw)
    finally:
        again.close()
