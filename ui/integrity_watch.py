"""Runs the database's full integrity check in the background (kiosk.integrity): at start after
an unclean shutdown, and once a day. A plain thread with its own read-only connection, so taps
never wait for it; the result comes back to the GUI thread through a queued signal."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.integrity import CheckResult, FullCheck, full_check_due, mark_running, mark_stopped

log = logging.getLogger(__name__)

DUE_CHECK_MS = 60 * 60 * 1000  # is the daily check due? asked every hour


class IntegrityWatch(QObject):
    finished = Signal(object)  # CheckResult, delivered on the GUI thread

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.last_reason: str | None = None
        self._check: FullCheck | None = None
        self._thread: threading.Thread | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(DUE_CHECK_MS)
        self.timer.timeout.connect(self.check_if_due)

    def start(self) -> None:
        """Ask whether a check is due (before this run's marker exists), mark the run, go."""
        due = full_check_due(self.path)
        mark_running(self.path)
        if due:
            self.run_check(due)
        self.timer.start()

    def check_if_due(self) -> None:
        if not self.running():
            due = full_check_due(self.path, at_start=False)
            if due:
                self.run_check(due)

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_check(self, reason: str) -> None:
        if self.running():
            return
        log.info("Full integrity check of %s (%s), in the background", self.path, reason)
        self.last_reason = reason
        check = self._check = FullCheck(self.path)
        self._thread = threading.Thread(
            target=self._work, args=(check,), name="integrity-check", daemon=True
        )
        self._thread.start()

    def _work(self, check: FullCheck) -> None:
        result: CheckResult = check.run()
        if not result.cancelled:
            self.finished.emit(result)

    def shutdown(self) -> None:
        """A clean exit: stop the timer, interrupt a running check, remove the run marker."""
        self.timer.stop()
        if self._check is not None:
            self._check.cancel()
        if self._thread is not None:
            self._thread.join(timeout=5)
        mark_stopped(self.path)
