"""The sync worker: drains the outbox to HQ on its own QThread, never on the GUI thread.

It wakes every 60 s, a few seconds after a response is completed, and at once on "Sync now";
between failures it waits out the outbox's backoff on a timer (so a tap never waits on it); it
stops trying after HQ refuses the device until the kiosk is enrolled again. It reports by
signals, which arrive on the GUI thread:

- ``overview(SyncOverview)``  what the Sync tab shows (after each change, at most once a second
  during a long drain)
- ``busy(bool)``              a drain is running
- ``enrolled(Enrollment)`` / ``enroll_failed(str)``
- ``phone_answers(int)``      new phone answers were pulled back from HQ
- ``profile_applied(int)``    a newer store profile from HQ was verified and written to the
  settings (protocol v2); the survey shows it from the next question screen on
- ``erased(int)``             responses erased at HQ were scrubbed here, or the daily retention
  purge removed contact details or comments (how many responses): lists showing them are stale
- ``cases_changed(int)``      follow-up case changes pulled from HQ were applied here (how many
  cases now show HQ's state or note): the Follow-ups tab re-reads its list

The worker also runs the daily retention purge (kiosk.privacy.purge_if_due: checked hourly on its
timer, enrolled or not), so the scrub and its WAL truncate never run on the GUI thread.

Usage (main window)::

    self.sync = SyncController(db)
    self.sync.start()
    ...
    self.sync.response_completed()   # after Recorder.complete(...)
    ...
    self.sync.shutdown()             # in closeEvent: quit() and wait() the thread

Once the app has started, call ``gc.collect(); gc.freeze()``: a full garbage collection stops
every thread, and without the freeze it walks the whole heap (Qt wrappers, SQLAlchemy, pydantic)
while the worker allocates, which stalls the GUI by 50-100 ms (bench/bench_sync.py).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import requests
from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from kiosk import privacy
from kiosk.credentials import CredentialsError
from kiosk.db import Database, utcnow
from kiosk.profile import ProfileRefused
from sync.client import new_session
from sync.errors import HqRequestError, InsecureHqAddress, SyncError
from sync.ledger import SyncState, SyncStore
from sync.outbox import Outbox, StepKind, enroll_kiosk, outbox_for, pull_phone_answers

log = logging.getLogger(__name__)
INTERVAL_MS = 60_000
WAKE_DELAY_MS = 2_000  # after a response: a short pause gathers a few into one batch
GUI_TIMEOUT = (5.0, 15.0)  # shorter read timeout than the CLI's: shutdown waits at most this
OVERVIEW_EVERY_S = 1.0
# While draining, the worker is busy in Python and the GUI thread waits for the GIL: CPython
# hands it over only every switch interval (5 ms by default), and a timer tick needs a few
# hand-offs, so a drain stalled the GUI by 15-25 ms. 1 ms keeps a tick under a frame (16 ms).
DRAIN_SWITCH_INTERVAL_S = 0.001
PURGE_CHECK_EVERY_S = 3600.0  # how often the worker asks whether the daily purge is due
# Sync threads that did not stop when asked: kept referenced until they finish, because Qt aborts
# the process if a QThread object is destroyed while its thread still runs.
_still_running: dict[QThread, QObject] = {}  # thread -> its worker


def threads_still_running() -> list[QThread]:
    """The sync threads that did not stop in time on shutdown and are still running."""
    return [t for t in _still_running if t.isRunning()]


class SyncWorker(QObject):
    """Lives on the sync thread; every slot runs there."""

    overview = Signal(object)
    busy = Signal(bool)
    enrolled = Signal(object)
    enroll_failed = Signal(str)
    phone_answers = Signal(int)
    profile_applied = Signal(int)
    erased = Signal(int)
    cases_changed = Signal(int)

    def __init__(
        self,
        db: Database,
        *,
        interval_ms: int = INTERVAL_MS,
        wake_delay_ms: int = WAKE_DELAY_MS,
        session_factory: Callable[[], requests.Session] = new_session,
        outbox_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.store = SyncStore(db)
        self.session_factory = session_factory
        self.outbox_options = {"timeout": GUI_TIMEOUT, **(outbox_options or {})}
        self.stopping = threading.Event()  # set by the GUI thread, read by this one
        self._session: requests.Session | None = None
        self._outbox: Outbox | None = None
        self._purge_checked_at: float | None = None  # time.monotonic() of the last check
        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(interval_ms)
        self.tick_timer.timeout.connect(self.tick)
        self.retry_timer = QTimer(self)  # the backoff wait
        self.retry_timer.setSingleShot(True)
        self.retry_timer.timeout.connect(self._retry)
        self.wake_timer = QTimer(self)
        self.wake_timer.setSingleShot(True)
        self.wake_timer.setInterval(wake_delay_ms)
        self.wake_timer.timeout.connect(self.tick)

    # -- slots (queued from the GUI thread) ----------------------------------------------------
    @Slot()
    def begin(self) -> None:
        self.tick_timer.start()
        self.tick()

    @Slot()
    def wake(self) -> None:
        """A response was completed: sync soon, unless backing off or refused."""
        if not self.wake_timer.isActive():
            self.wake_timer.start()

    @Slot()
    def tick(self) -> None:
        self.housekeep()
        if self.retry_timer.isActive():
            self.publish()  # backing off: the countdown decides
            return
        self.run(manual=False)

    @Slot()
    def sync_now(self) -> None:
        self.retry_timer.stop()
        self.run(manual=True)

    @Slot()
    def refresh(self) -> None:
        self.publish()

    @Slot(object)
    def resend(self, ids: list[str] | None) -> None:
        self.store.resend_quarantined(list(ids) if ids is not None else None)
        self.retry_timer.stop()
        self.run(manual=True)

    @Slot(object)
    def enroll(self, request: object) -> None:
        """``request``: dict with hq_url, code, and optional ca_bundle and public_url."""
        assert isinstance(request, dict)
        try:
            with self.session_factory() as session:
                done = enroll_kiosk(self.db, session=session, **request)
        except (SyncError, CredentialsError) as exc:
            from ui.admin import texts  # the admin view is open: Admin → Sync → Enroll

            self.enroll_failed.emit(texts.error(exc))  # in the manager's language
        except OSError as exc:
            self.enroll_failed.emit(f"Enrollment failed: {exc}")
        else:
            self._drop_outbox()
            self.enrolled.emit(done)
            self.retry_timer.stop()
            self.run(manual=True)
        self.publish()

    @Slot()
    def teardown(self) -> None:
        """Stop the timers, hand the object back to the GUI thread and end this thread's loop."""
        self.stopping.set()
        for timer in (self.tick_timer, self.retry_timer, self.wake_timer):
            timer.stop()
        self._drop_outbox()
        thread = QThread.currentThread()
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        thread.quit()

    # -- the work ------------------------------------------------------------------------------
    def housekeep(self) -> None:
        """The daily retention purge, if due (asked at most hourly)."""
        now = time.monotonic()
        if (
            self._purge_checked_at is not None
            and now - self._purge_checked_at < PURGE_CHECK_EVERY_S
        ):
            return
        self._purge_checked_at = now
        try:
            done = privacy.purge_if_due(self.db)
        except Exception:  # the next check tries again; the survey must not notice
            log.exception("The retention purge failed")
            return
        if done is not None and (done.contacts or done.comments):
            log.info("Retention purge: %d contacts, %d comments", done.contacts, done.comments)
            self.erased.emit(done.contacts + done.comments)

    def _retry(self) -> None:
        self.run(manual=False)

    def _drop_outbox(self) -> None:
        if self._session is not None:
            self._session.close()
        self._session = None
        self._outbox = None

    def _get_outbox(self) -> Outbox | None:
        if self._outbox is None:
            try:
                self._session = self.session_factory()
                self._outbox = outbox_for(self.db, session=self._session, **self.outbox_options)
            except CredentialsError:
                self._drop_outbox()
                return None
            except InsecureHqAddress as exc:  # never send the token in clear; say why
                self._drop_outbox()
                self.store.record_failure(
                    message=str(exc), at=utcnow(), next_attempt_at=None, refused=True
                )
                return None
        return self._outbox

    def publish(self) -> None:
        try:
            self.overview.emit(self.store.overview())
        except Exception:  # a read failing must not kill the worker; the next one may work
            log.exception("Reading the sync state failed")

    def run(self, *, manual: bool) -> None:
        """Drain until idle, a failure (then wait out the backoff) or a refusal."""
        if self.stopping.is_set():
            return
        state = self.store.overview(quarantine_limit=0, batch_limit=0).state
        if state is SyncState.REFUSED and not manual:
            self.publish()  # refused: only "Sync now" or a new enrollment tries again
            return
        outbox = self._get_outbox()
        if outbox is None:
            self.publish()
            return
        self.busy.emit(True)
        sent = 0
        reported: int | None = None  # the profile version a batch reply named
        last_publish = time.monotonic()
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval, DRAIN_SWITCH_INTERVAL_S))
        try:
            # Case changes made here go out after HQ's are pulled (one pull a cycle either way).
            cases_pulled = self._sync_cases(outbox, first=True)
            while not self.stopping.is_set():
                result = outbox.step()
                if result.kind is StepKind.SENT:
                    sent += 1
                    reported = outbox.reported_profile_version
                    if time.monotonic() - last_publish > OVERVIEW_EVERY_S:
                        self.publish()
                        last_publish = time.monotonic()
                    continue
                if result.kind is StepKind.BACKOFF:
                    self.retry_timer.start(int(result.delay_s * 1000))
                elif result.kind is StepKind.IDLE:
                    self._pull_phone(outbox)
                    self._sync_erasures(outbox)
                    if not cases_pulled:
                        self._sync_cases(outbox)
                    self._sync_profile(outbox, reported)
                break
        except Exception as exc:  # never let an unexpected error end the thread's event loop
            log.exception("The sync worker hit an unexpected error")
            self._record_unexpected(outbox, exc)
        finally:
            sys.setswitchinterval(switch_interval)
            outbox.discard_prefetched()  # a batch read ahead is only for this drain
            if sent >= 20:
                try:
                    self.db.checkpoint()  # a long drain grew the WAL: fold it back while idle
                except Exception:
                    log.exception("WAL checkpoint failed")
            self.busy.emit(False)
            self.publish()

    def _record_unexpected(self, outbox: Outbox, exc: Exception) -> None:
        """Put the failure in the ledger, so that the Sync tab shows it instead of the state
        before, and back off as for any failed attempt."""
        delay = outbox.backoff.next_delay()
        now = utcnow()
        message = (
            f"Sync stopped on an unexpected error ({type(exc).__name__}: {exc}). It tries "
            f"again by itself; if this keeps happening, send the kiosk's log to support."
        )
        try:
            self.store.record_failure(
                message=message[:500], at=now, next_attempt_at=now + timedelta(seconds=delay)
            )
        except Exception:  # the database itself may be what failed; the log has it
            log.exception("Could not record the sync failure in the ledger")
        self.retry_timer.start(int(delay * 1000))

    def _sync_profile(self, outbox: Outbox, reported: int | None) -> None:
        """The store profile, fetched and verified here (never on the GUI thread): at most one
        request a cycle; a refused or unreachable profile leaves the kiosk with the one it has."""
        try:
            profile = outbox.sync_profile(reported=reported)
        except ProfileRefused as exc:  # recorded in the sync status and the log already
            log.warning("Store profile refused: %s", exc)
            return
        except HqRequestError as exc:
            log.info("Store profile not checked: %s", exc)
            return
        if profile is not None:
            self.profile_applied.emit(profile.version)

    def _sync_erasures(self, outbox: Outbox) -> None:
        """Responses erased at HQ, scrubbed here (at most one request a cycle)."""
        try:
            done = outbox.sync_erasures()
        except HqRequestError as exc:
            log.info("Erasures not pulled: %s", exc)
            return
        if done is not None and done.response_ids:
            self.erased.emit(len(done.response_ids))

    def _sync_cases(self, outbox: Outbox, *, first: bool = False) -> bool:
        """Follow-up case changes made at HQ, applied here (at most one request a cycle:
        ``first``, before sending, only when a change made here is pending). Returns whether
        HQ was asked."""
        try:
            done = outbox.sync_cases_first() if first else outbox.sync_cases()
        except HqRequestError as exc:
            log.info("Follow-up cases not pulled: %s", exc)
            return True  # asked (and failed): not again this cycle
        if done is not None and done.applied:
            self.cases_changed.emit(len(done.applied))
        return done is not None

    def _pull_phone(self, outbox: Outbox) -> None:
        try:
            new = pull_phone_answers(self.db, outbox.client, store_id=self.db.settings().store_id)
        except HqRequestError as exc:
            log.info("Phone answers not pulled: %s", exc)
            return
        if new:
            self.phone_answers.emit(new)


class SyncController(QObject):
    """Owns the sync thread and its worker; lives on the GUI thread. Calls here never block
    (they post to the worker), except ``shutdown``."""

    overview = Signal(object)
    busy = Signal(bool)
    enrolled = Signal(object)
    enroll_failed = Signal(str)
    phone_answers = Signal(int)
    profile_applied = Signal(int)
    erased = Signal(int)
    cases_changed = Signal(int)

    _begin = Signal()
    _wake = Signal()
    _sync_now = Signal()
    _refresh = Signal()
    _resend = Signal(object)
    _enroll = Signal(object)

    def __init__(self, db: Database, parent: QObject | None = None, **worker_options: Any) -> None:
        super().__init__(parent)
        self.db = db
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("sync")
        self.worker = SyncWorker(db, **worker_options)
        self.worker.moveToThread(self.worker_thread)
        self.latest: Any = None
        for name in (
            "overview",
            "busy",
            "enrolled",
            "enroll_failed",
            "phone_answers",
            "profile_applied",
            "erased",
            "cases_changed",
        ):
            getattr(self.worker, name).connect(getattr(self, name))
        self.overview.connect(self._keep)
        self._begin.connect(self.worker.begin)
        self._wake.connect(self.worker.wake)
        self._sync_now.connect(self.worker.sync_now)
        self._refresh.connect(self.worker.refresh)
        self._resend.connect(self.worker.resend)
        self._enroll.connect(self.worker.enroll)
        self._running = False

    def _keep(self, overview: object) -> None:
        self.latest = overview

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        self.worker_thread.start()
        self._begin.emit()

    def response_completed(self) -> None:
        self._wake.emit()

    def sync_now(self) -> None:
        self._sync_now.emit()

    def refresh(self) -> None:
        self._refresh.emit()

    def resend_quarantined(self, ids: list[str] | None = None) -> None:
        self._resend.emit(ids)

    def enroll(
        self, *, hq_url: str, code: str, ca_bundle: str | None = None, public_url: str | None = None
    ) -> None:
        self._enroll.emit(
            {
                "hq_url": hq_url,
                "code": code,
                "ca_bundle": ca_bundle or None,
                "public_url": public_url or None,
            }
        )

    def shutdown(self, timeout_ms: int = 20_000) -> bool:
        """Stop the worker (it finishes the request in flight) and quit and wait the thread.

        Returns False, and logs it, if the thread is still running after ``timeout_ms``; the
        thread is then kept referenced (``threads_still_running``) until it finishes."""
        if not self._running:
            return not self.worker_thread.isRunning()
        self._running = False
        self.worker.stopping.set()  # a drain stops after the request in flight
        from PySide6.QtCore import QMetaObject, Qt

        # Queued, not blocking: a worker stuck past the timeout must not hang the GUI thread.
        # teardown quits the thread's loop itself, so it always runs before the loop ends.
        QMetaObject.invokeMethod(self.worker, "teardown", Qt.ConnectionType.QueuedConnection)
        if self.worker_thread.wait(timeout_ms):
            return True
        log.error(
            "The sync thread did not stop within %.1f s; it is left to finish on its own. "
            "Nothing is lost (the outbox resends what was not confirmed), but if the kiosk "
            "does not exit, restart it.",
            timeout_ms / 1000,
        )
        thread = self.worker_thread
        _still_running[thread] = self.worker
        thread.finished.connect(lambda: _still_running.pop(thread, None))
        return False
