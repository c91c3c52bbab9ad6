"""The kiosk app: start Qt, show the question screen, then open the database and take answers.

Start-up order, for a fast first frame: the question screen is built from settings peeked with
plain sqlite3 and shown; right after its first frame is painted the database is opened for real
(header and schema check, migrations only if the schema is not current, recovery of unfinished
answers) before any tap is handled: taps are accepted. Up to there nothing imports SQLAlchemy
(kiosk.db). Then the full integrity check starts in the background (ui.integrity_watch), and
SQLAlchemy, the sync worker's and the PIN gate's modules are imported on a background thread;
when they are loaded the sync worker starts (GUI thread, a few milliseconds)."""

from __future__ import annotations

import gc
import importlib
import logging
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from core.survey_texts import LANGUAGES, SCRIPTS
from kiosk.settings import Settings, peek_settings

if TYPE_CHECKING:
    from kiosk.db import Database
    from ui.admin import AdminView
    from ui.blanking import ScreenAwake
    from ui.integrity_watch import IntegrityWatch
    from ui.main_window import MainWindow
    from ui.survey import SurveyController
    from ui.sync_worker import SyncController

log = logging.getLogger(__name__)

# What the kiosk loads after taps are accepted, on a background thread, before it starts the
# sync worker: SQLAlchemy and the models, the sync worker (requests, sync/), the PIN gate.
AFTER_READY_MODULES = ("sqlalchemy.orm", "kiosk.models", "ui.sync_worker", "ui.pin_gate")

# Called with the survey controller at the moment taps are accepted, before anything off the
# customer's path is loaded (tools/e2e_driver taps then, to show such a tap is durable).
taps_accepted: list[Callable[[SurveyController], None]] = []
# Called once everything start-up makes is running (the sync worker included).
fully_started: list[Callable[[], None]] = []


class FirstFrame(QObject):
    """Calls back once, just after the first paint of any of the watched widgets."""

    def __init__(self, widgets: list[QObject], callback: Callable[[], None]) -> None:
        super().__init__()
        self._widgets = widgets
        self._callback = callback
        self._fired = False
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._fired:
            self._fired = True
            for widget in self._widgets:
                widget.removeEventFilter(self)
            # After this paint event is done and flushed, not before.
            QTimer.singleShot(0, self._callback)
        return False


class BackgroundImport(QObject):
    """Imports modules on a daemon thread, then calls ``then`` on the GUI thread (a queued
    signal). An import that fails is logged; ``then`` runs anyway and imports what it needs."""

    _done = Signal()

    def __init__(self, modules: tuple[str, ...], then: Callable[[], None]) -> None:
        super().__init__()
        self._then = then
        self._done.connect(self._finish)  # emitted on the thread: queued to the GUI thread
        self.worker = threading.Thread(
            target=self._work, args=(modules,), name="nps-after-ready", daemon=True
        )

    def start(self) -> None:
        self.worker.start()

    def _work(self, modules: tuple[str, ...]) -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:
                log.exception("Loading %s in the background failed", name)
        self._done.emit()

    @Slot()
    def _finish(self) -> None:
        self._then()


@dataclass
class _Started:
    """What start-up made after the first frame, for the shutdown after the event loop."""

    db: Database | None = None
    controller: SurveyController | None = None
    sync: SyncController | None = None
    integrity: IntegrityWatch | None = None
    loader: BackgroundImport | None = None
    awake: ScreenAwake | None = None


def peak_rss_kb() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss // 1024 if sys.platform == "darwin" else rss)  # bytes on macOS, kB on Linux


def _say(line: str, *, stream: TextIO | None = None) -> None:
    """A line of the smoke run's report. A reader that went away (``--smoke | head -1``) must
    not stop the run from ending: an exception in a Qt callback would skip its app.exit()."""
    try:
        print(line, file=stream or sys.stdout, flush=True)
    except OSError:  # BrokenPipeError and the like
        pass


def attach_sync(
    *, window: MainWindow, controller: SurveyController, db: Database
) -> SyncController:
    """Start the sync worker (its own thread) and give each admin view the Sync and QR tabs."""
    from ui.sync_worker import SyncController

    sync = SyncController(db)
    controller.response_completed.connect(lambda *_: sync.response_completed())
    sync.profile_applied.connect(controller.profile_arrived)
    window.admin_tab_hooks.append(lambda view: add_sync_tabs(view, db=db, sync=sync))
    if window.admin_view is not None:
        # The manager opened the admin view in the first moments, before the worker loaded
        # (after taps are accepted): it gets its Sync and QR tabs now, not at the next opening.
        add_sync_tabs(window.admin_view, db=db, sync=sync)
    sync.start()
    return sync


def add_sync_tabs(view: AdminView, *, db: Database, sync: SyncController) -> None:
    from ui.admin.qr_tab import QrTab
    from ui.admin.sync_tab import SyncTab

    sync_tab = SyncTab()
    sync_tab.bind(sync)
    qr_tab = QrTab(db)
    sync.phone_answers.connect(qr_tab.phone_answer_seen)
    sync.cases_changed.connect(view.followups.hq_changed)  # HQ's case changes: re-read the list
    view.add_tab(sync_tab, "Sync")
    view.add_tab(qr_tab, "QR code")


def run(
    *,
    db_path: Path,
    windowed: bool,
    language: str | None,
    smoke: bool,
    started: float,
    screen: str | None = None,
) -> int:
    """Run the kiosk until the manager exits it (or, with ``smoke``, until the first frame).

    ``screen`` (``--screen``) names the screen to fill; without it, the ``screen`` setting."""
    from ui import theme
    from ui.main_window import MainWindow
    from ui.placement import ScreenPlacement

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "nps-kiosk"])
    assert isinstance(app, QApplication)
    app.setApplicationName("NPS Kiosk")
    peeked = peek_settings(db_path) or Settings()
    # The fonts of the scripts the first frame shows (its languages' names); the rest after it.
    theme.load_fonts(app, scripts={SCRIPTS[code] for code in peeked.languages})
    start_language = language if language in LANGUAGES else peeked.default_language
    window = MainWindow(kiosk_mode=not windowed)
    from core.i18n import Texts
    from ui.screens.question import QuestionView

    window.question.show_view(
        QuestionView(
            store_name=peeked.store_name,
            question=peeked.text("question", start_language),
            label_low=peeked.text("label_low", start_language),
            label_high=peeked.text("label_high", start_language),
            languages=tuple((code, LANGUAGES[code]) for code in peeked.languages),
            language=start_language,
            score_name=Texts(start_language).gettext("{n} out of 10"),
        )
    )

    state = _Started()

    def first_frame() -> None:
        ms = (time.perf_counter() - started) * 1000
        if smoke:
            _say(f"first_frame_ms={ms:.1f}")
        theme.load_remaining_fonts()  # languages the first frame does not show
        if not smoke and not windowed:  # after the first frame: the first frame does not need it
            from ui.blanking import ScreenAwake

            state.awake = ScreenAwake(app.platformName())
            state.awake.hold()
        try:
            from kiosk.db import open_database
            from ui.survey import SurveyController

            db = open_database(db_path)
        except Exception as exc:
            log.exception("Cannot open the database %s", db_path)
            if smoke:
                _say(f"error: {exc}", stream=sys.stderr)
                QTimer.singleShot(0, lambda: app.exit(2))
                return
            # No settings to read the manager's language from: the machine's (its locale), as
            # the command line speaks it, with the error in the same language.
            from core.cli_i18n import CANNOT_SAVE, explain
            from core.cli_i18n import _ as machine_language

            window.show_fatal(machine_language(CANNOT_SAVE), explain(exc))
            return
        controller = SurveyController(window=window, db=db, language=language)
        state.db, state.controller = db, controller
        controller.start(prepare=False)
        # Taps are accepted: the question screen shows, its buttons are connected to the
        # recorder, and the database is open with its schema current.
        for hook in list(taps_accepted):
            hook(controller)
        if smoke:
            _say(f"ready_ms={(time.perf_counter() - started) * 1000:.1f}")
            _say(f"sqlalchemy_loaded={int('sqlalchemy' in sys.modules)}")

            def end_smoke() -> None:
                controller.prepare_screens()  # the customer's path, in the peak memory too
                _say(f"peak_rss_kb={peak_rss_kb()}")
                # exit(), not quit(): quit() asks the windows to close, and the kiosk refuses.
                app.exit(0)

            QTimer.singleShot(0, end_smoke)
            return
        # The follow-up and thank-you variants, right after (a tap before then builds its own).
        QTimer.singleShot(0, controller.prepare_screens)
        from ui.integrity_watch import IntegrityWatch

        # The full integrity check, off the GUI thread: after an unclean exit, and daily.
        state.integrity = IntegrityWatch(db.path)
        controller.reading_in_background = state.integrity.running
        state.integrity.start()

        def start_sync() -> None:
            state.sync = attach_sync(window=window, controller=controller, db=db)
            # What start-up made lives as long as the app: keep it out of the collector's
            # full passes, which stop every thread (the sync worker's stall, bench_sync).
            gc.collect()
            gc.freeze()
            for hook in list(fully_started):
                hook()

        state.loader = BackgroundImport(AFTER_READY_MODULES, start_sync)
        state.loader.start()

    watcher = FirstFrame([window, window.question], first_frame)
    window.exit_requested.connect(lambda: app.exit(0))
    if windowed:
        window.resize(1280, 800)
        window.show()
    else:
        if peeked.hide_pointer and not smoke:
            # App-wide: hidden over every window of the kiosk, on whichever screen it is.
            app.setOverrideCursor(Qt.CursorShape.BlankCursor)
        placement = ScreenPlacement(window, wanted=peeked.screen if screen is None else screen)
        window.placement = placement
        if screen is None:  # the flag wins over the setting for this run

            def follow_setting(view: AdminView) -> None:
                view.settings_tab.saved.connect(lambda s: placement.set_wanted(s.screen))

            window.admin_tab_hooks.append(follow_setting)
        placement.place()
    # systemctl stop sends SIGTERM: shut down as the manager's exit does (the screen saver
    # settings given back, the database closed). Python runs the handler only when it gets
    # control, so a timer wakes it while Qt waits.
    previous = signal.signal(signal.SIGTERM, lambda *_: app.exit(0))
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    code = app.exec()
    wake.stop()
    signal.signal(signal.SIGTERM, previous)
    if state.awake is not None:
        state.awake.release()
    del watcher
    if state.sync is not None:
        state.sync.shutdown()  # the thread is quit() and wait()ed
    if state.controller is not None:
        state.controller.stop()
    if state.integrity is not None:
        state.integrity.shutdown()  # a clean exit: no full check needed at the next start
    window.shutdown()
    if state.db is not None:
        state.db.close()
    if app.overrideCursor() is not None:
        app.restoreOverrideCursor()
    return int(code)
