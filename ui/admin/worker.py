"""Background reads for the admin view: a QThreadPool of runnables that report on the GUI thread.

The Anki pattern: a tab asks ``ops.run(fn, on_done)``; ``fn`` (a kiosk service call) runs on a
pool thread; its result or error comes back through a queued signal to the GUI thread. Each
call returns a ticket, so a tab can ignore an answer that a newer request has overtaken.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ui.admin import texts

log = logging.getLogger(__name__)


class _Signals(QObject):
    done = Signal(int, object)
    failed = Signal(int, str)


class _Job(QRunnable):
    def __init__(self, ticket: int, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.ticket = ticket
        self.fn = fn
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # reported to the screen, never lost
            log.error("Admin background job failed:\n%s", traceback.format_exc())
            # In the manager's language where the service code marked the text (core/said.py).
            self.signals.failed.emit(self.ticket, texts.error(exc) or type(exc).__name__)
        else:
            self.signals.done.emit(self.ticket, result)


class BackgroundOps(QObject):
    """Runs kiosk service calls off the GUI thread; ``busy_changed`` drives the indicator."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, threads: int = 1) -> None:
        # One thread: reads queue up in order (the cheap one a tab asks for first lands first),
        # and a heavy read never runs beside another while the GUI thread lays out an answer;
        # with two, the GUI thread stalled ~100 ms under the contention on a 2-core kiosk.
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._signals = _Signals(self)  # lives on the GUI thread: its slots run there
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._pending: dict[int, tuple[Callable[[Any], None], Callable[[str], None] | None]] = {}
        self._next = 0
        self._closed = False

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[str], None] | None = None,
    ) -> int:
        """Start ``fn`` in the pool; returns its ticket."""
        if self._closed:
            return -1
        self._next += 1
        ticket = self._next
        was_busy = self.busy
        self._pending[ticket] = (on_done, on_error)
        self.pool.start(_Job(ticket, fn, self._signals))
        if not was_busy:
            self.busy_changed.emit(True)
        return ticket

    def _finish(self, ticket: int) -> tuple[Callable[[Any], None], Callable[[str], None] | None]:
        callbacks = self._pending.pop(ticket, (lambda _r: None, None))
        if not self._pending:
            self.busy_changed.emit(False)
        return callbacks

    def _on_done(self, ticket: int, result: object) -> None:
        if self._closed:
            return
        on_done, _ = self._finish(ticket)
        on_done(result)

    def _on_failed(self, ticket: int, message: str) -> None:
        if self._closed:
            return
        _, on_error = self._finish(ticket)
        if on_error is not None:
            on_error(message)

    def shutdown(self) -> None:
        """Wait for running jobs and drop their answers (call before the view goes away)."""
        self._closed = True
        self.pool.clear()
        self.pool.waitForDone()
        self._pending.clear()
