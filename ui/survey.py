"""The survey controller: wires the dumb screens to kiosk.recording.Recorder.

One tap, one response: the tiles are switched off in the same call that records the score, and
the score is committed (fsynced) before the follow-up screen is shown. The follow-up completes
the same row on Done, Skip or the idle timeout. While the question screen sits idle, the WAL is
checkpointed so that it cannot grow without bound."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from core.i18n import Texts
from core.nps import Category, category
from core.survey_texts import LANGUAGES, SCRIPTS
from kiosk.db import Database
from kiosk.errors import StorageFull
from kiosk.recording import Completion, FollowUp, RecordedScore, Recorder
from kiosk.settings import Settings
from kiosk.storage import probe_write, storage_full
from ui.main_window import MainWindow
from ui.screens.question import QuestionView

if TYPE_CHECKING:  # the other screens are imported when first built: after taps are accepted
    from kiosk.pin import PinGuard
    from ui.pin_gate import PinGateController
    from ui.screens.follow_up import FollowUpView
    from ui.screens.paused import PausedView
    from ui.screens.thank_you import ThankYouView

log = logging.getLogger(__name__)

CHECKPOINT_IDLE_MS = 30_000
# A follow-up that could not be stored (database locked, disk I/O error) is kept in memory and
# tried again after 0.2 s, doubling up to 5 s: the thank-you waits until it is stored.
SAVE_RETRY_FIRST_MS = 200
SAVE_RETRY_CAP_MS = 5_000
# While the disk is full, a tiny write is tried this often; answers resume when it succeeds.
STORAGE_RETRY_MS = 15_000


@dataclass
class UnsavedCompletion:
    """A finished follow-up not yet stored: the score row is durable, this is what completes it."""

    response_id: str
    how: Completion
    follow_up: FollowUp | None
    thank: bool
    tries: int = 0
    score: int | None = None  # the customer's score: promoters see the review link


def question_view(settings: Settings, language: str) -> QuestionView:
    return QuestionView(
        store_name=settings.store_name,
        question=settings.text("question", language),
        label_low=settings.text("label_low", language),
        label_high=settings.text("label_high", language),
        languages=tuple((code, LANGUAGES[code]) for code in settings.languages),
        language=language,
        score_name=Texts(language).gettext("{n} out of 10"),
    )


def follow_up_view(settings: Settings, *, score: RecordedScore, language: str) -> FollowUpView:
    from ui.screens.follow_up import FollowUpView

    tr = Texts(language)
    return FollowUpView(
        store_name=settings.store_name,
        question=settings.follow_up_text(score.category, language),
        chips=tuple(settings.reason_chips(score.category, language)),
        ask_contact=score.category == "detractor",
        keyboard_script=SCRIPTS.get(language, "latin"),
        done=tr.gettext("Done"),
        skip=tr.gettext("Skip"),
        pick_any=tr.gettext("Pick any that apply"),
        comment_placeholder=tr.gettext("Tell us more (optional)"),
        comment_name=tr.gettext("Your comment"),
        chars_left=lambda n: tr.ngettext("{n} character left", "{n} characters left", n),
        consent=settings.consent_text(language) or tr.gettext("May we contact you about this?"),
        contact_name=tr.gettext("Name"),
        contact_detail=tr.gettext("Phone or email"),
        # TRANSLATORS: the on-screen keyboard's space bar
        kb_space=tr.gettext("space"),
        # TRANSLATORS: the on-screen keyboard's backspace key, for a screen reader
        kb_backspace=tr.gettext("Delete"),
        # TRANSLATORS: the on-screen keyboard's Shift key
        kb_shift=tr.gettext("Shift"),
    )


def paused_view(settings: Settings, language: str) -> PausedView:
    from ui.screens.paused import PausedView

    tr = Texts(language)
    return PausedView(
        store_name=settings.store_name,
        title=tr.gettext("We can't take answers right now"),
        subtitle=tr.gettext("Please ask a member of staff."),
    )


def thank_you_view(
    settings: Settings, language: str, *, qr_url: str | None = None, score: int | None = None
) -> ThankYouView:
    from ui.screens.thank_you import ThankYouView

    """The thank-you screen; ``score`` 9-10 (a promoter) adds the store's review link, if set."""
    tr = Texts(language)
    promoter = score is not None and category(score) is Category.PROMOTER
    review = settings.review_url if promoter else ""
    return ThankYouView(
        store_name=settings.store_name,
        title=tr.gettext("Thank you!"),
        subtitle=tr.gettext("Your feedback helps us do better."),
        hint=tr.gettext("Tap anywhere to finish"),
        qr_url=qr_url,
        qr_caption=tr.gettext("Tell us more on your phone") if qr_url else "",
        review_url=review or None,
        review_caption=tr.gettext("Enjoyed your visit? Scan to review us") if review else "",
    )


def phone_link(db: Database, settings: Settings) -> str | None:
    """A fresh single-use phone link for the thank-you screen, if the setting asks for one and
    the kiosk is enrolled (made offline from the device secret)."""
    if not settings.thank_you_qr:
        return None
    from kiosk.credentials import CredentialsError
    from sync.survey_link import survey_link

    try:
        return survey_link(db).url
    except CredentialsError:  # not enrolled yet, or the credentials file is unreadable
        return None


def home_language(settings: Settings, requested: str | None) -> str:
    """The language each customer starts in: --lang if given, else the default setting."""
    if requested in LANGUAGES:
        return str(requested)
    return settings.default_language


class SurveyController(QObject):
    score_recorded = Signal(object)  # RecordedScore, after it is committed
    response_completed = Signal(str, str)  # response id, Completion value
    question_shown = Signal()

    def __init__(
        self,
        *,
        window: MainWindow,
        db: Database,
        language: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.db = db
        self.recorder = Recorder(db)
        self._guard: PinGuard | None = None
        self.monotonic = monotonic
        self.settings = db.settings()
        self.requested_language = language
        self.language = home_language(self.settings, language)
        self.pending: RecordedScore | None = None
        self._shown_at = monotonic()
        self._gate_controller: PinGateController | None = None

        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.timeout.connect(self._idle_timeout)
        self.thanks_timer = QTimer(self)
        self.thanks_timer.setSingleShot(True)
        self.thanks_timer.timeout.connect(self.back_to_question)
        self.checkpoint_timer = QTimer(self)
        self.checkpoint_timer.setSingleShot(True)
        self.checkpoint_timer.setInterval(CHECKPOINT_IDLE_MS)
        self.checkpoint_timer.timeout.connect(self.checkpoint)
        self.unsaved: list[UnsavedCompletion] = []
        self.save_timer = QTimer(self)
        self.save_timer.setSingleShot(True)
        self.save_timer.timeout.connect(self._save_unsaved)
        # A full disk pauses answers (the customer sees "please ask a member of staff", no
        # score buttons) until a probe write succeeds; the admin view says why.
        self.storage_paused = False
        # True while another connection reads the whole file (the background integrity check):
        # a TRUNCATE checkpoint would wait on it, on the GUI thread.
        self.reading_in_background: Callable[[], bool] = lambda: False
        self.storage_timer = QTimer(self)
        self.storage_timer.setInterval(STORAGE_RETRY_MS)
        self.storage_timer.timeout.connect(self.retry_storage)

        window.question.score_tapped.connect(self.on_score)
        window.question.language_chosen.connect(self.on_language)
        window.pin_gate_requested.connect(self.open_pin_gate)
        window.admin_closed.connect(self.back_to_question)
        # The follow-up and thank-you screens are built (and connected) by prepare_screens,
        # or by the first tap if it comes sooner: taps are accepted before they exist.
        self._screens_wired = False

    def _wire_screens(self) -> None:
        """Build and connect the follow-up and thank-you screens, once."""
        if self._screens_wired:
            return
        self._screens_wired = True
        follow_up = self.window.follow_up
        follow_up.done_pressed.connect(lambda: self.finish(Completion.DONE))
        follow_up.skip_pressed.connect(lambda: self.finish(Completion.SKIP))
        follow_up.activity.connect(self._restart_idle)
        self.window.thanks.dismissed.connect(self.back_to_question)

    @property
    def guard(self) -> PinGuard:
        """The PIN check (kiosk.pin), made when the manager first opens the gate."""
        if self._guard is None:
            from kiosk.pin import PinGuard

            self._guard = PinGuard(self.db)
        return self._guard

    # -- start and stop ----------------------------------------------------------------------
    def start(self, *, prepare: bool = True) -> None:
        """Recover unfinished answers and show the question: taps are accepted when it
        returns. ``prepare=False`` leaves prepare_screens to the caller (ui.app runs it right
        after, so that taps are accepted before the follow-up variants are built)."""
        recovered = self.recorder.recover_incomplete(
            older_than=timedelta(seconds=self.settings.follow_up_timeout_s)
        )
        if recovered:
            log.info("Completed %d response(s) left incomplete by the last run", recovered)
        if self.db.notices:
            self.window.show_notices(
                list(self.db.notices), dismiss_label=Texts(self.language).gettext("Dismiss")
            )
        if prepare:
            self.prepare_screens()
        self.show_question()

    def prepare_screens(self) -> None:
        """Build the follow-up and thank-you screens for every language and category at start,
        before any tap is handled: the first tap of each kind does not pay for it, and memory
        reaches its steady state at start instead of growing over the day. Each tap renders
        the follow-up afresh, so what is left on the hidden screen here does not matter."""
        self._wire_screens()
        follow_up = self.window.follow_up
        self.window.thanks  # noqa: B018 (built on first access)
        for language in self.settings.languages:
            for score in (0, 7, 10):  # one per category
                probe = RecordedScore(
                    id="",
                    seq=0,
                    score=score,
                    category=category(score),
                    suspect=False,
                    suspect_reason=None,
                )
                follow_up.show_view(follow_up_view(self.settings, score=probe, language=language))

    def stop(self) -> None:
        """Stop every timer (end of run, tests' teardown)."""
        for timer in (
            self.idle_timer,
            self.thanks_timer,
            self.checkpoint_timer,
            self.save_timer,
            self.storage_timer,
        ):
            timer.stop()
        if self.unsaved:  # one last try; what still fails is recovered (score only) on start
            self._save_unsaved(retry=False)
        if self._gate_controller is not None:
            self._gate_controller.stop()

    # -- question ----------------------------------------------------------------------------
    def show_question(self) -> None:
        if self.storage_paused:
            self.show_paused()
            return
        self.window.question.show_view(question_view(self.settings, self.language))
        self.window.hotspot.setAccessibleName(Texts(self.language).gettext("Manager access"))
        self.window.question.set_taps_enabled(True)
        self.window.show_screen(self.window.question)
        self._shown_at = self.monotonic()
        self.checkpoint_timer.start()
        self.question_shown.emit()

    def on_language(self, code: str) -> None:
        if code in self.settings.languages:
            self.language = code
            self.window.question.show_view(question_view(self.settings, code))
            self.window.hotspot.setAccessibleName(Texts(code).gettext("Manager access"))

    def on_score(self, score: int) -> None:
        question = self.window.question
        if (
            self.pending is not None
            or not question.taps_enabled
            or self.window.current_screen() is not question
        ):
            return
        question.set_taps_enabled(False)  # before the write: a second tap finds them off
        self.checkpoint_timer.stop()
        answered_ms = int((self.monotonic() - self._shown_at) * 1000)
        try:
            recorded = self.recorder.record_score(
                score=score,
                language=self.language,
                time_to_answer_ms=answered_ms,
                settings=self.settings,  # the versions of the texts this customer saw
            )
        except StorageFull as exc:
            log.error("Answers paused: %s", exc)
            self.pause_for_storage()
            return
        except Exception as exc:  # never crash the kiosk on a write; say it and carry on
            log.exception("Could not record a score")
            self.window.show_notices([f"The last answer could not be saved ({exc})."])
            question.set_taps_enabled(True)
            return
        self.pending = recorded
        self.score_recorded.emit(recorded)
        self._wire_screens()  # (a tap before prepare_screens ran builds them now)
        follow_up = self.window.follow_up
        follow_up.show_view(follow_up_view(self.settings, score=recorded, language=self.language))
        self.window.show_screen(follow_up)
        self.idle_timer.setInterval(self.settings.follow_up_timeout_s * 1000)
        self.idle_timer.start()

    # -- follow-up ---------------------------------------------------------------------------
    def _restart_idle(self) -> None:
        if self.pending is not None:
            self.idle_timer.start()

    def _idle_timeout(self) -> None:
        self.finish(Completion.TIMEOUT)

    def finish(self, how: Completion, *, thank: bool = True) -> None:
        """Complete the pending response (Skip drops the follow-up), then thank the customer.

        If the follow-up cannot be stored now, it is kept and tried again on a timer; until it
        is stored the customer sees "One moment, saving your answer" and not the thank-you."""
        pending, self.pending = self.pending, None
        self.idle_timer.stop()
        if pending is None:
            return
        follow_up: FollowUp | None = None
        if how is not Completion.SKIP:
            follow_up = self.window.follow_up.follow_up()
        self.unsaved.append(
            UnsavedCompletion(
                response_id=pending.id,
                how=how,
                follow_up=follow_up,
                thank=thank,
                score=pending.score,
            )
        )
        self._save_unsaved()

    def _save_unsaved(self, *, retry: bool = True) -> None:
        """Store the kept follow-ups, oldest first; on a failure keep the rest for the timer."""
        self.save_timer.stop()
        while self.unsaved:
            item = self.unsaved[0]
            try:
                self.recorder.complete(item.response_id, how=item.how, follow_up=item.follow_up)
            except Exception as exc:  # locked, I/O error, full: the score row is stored; retry
                if storage_full(self.db, exc) is not None:
                    self.pause_for_storage(show=False)  # the next customer sees the pause
                item.tries += 1
                log.exception(
                    "Could not store the follow-up of response %s (try %d); trying again",
                    item.response_id,
                    item.tries,
                )
                if item.thank and self.window.current_screen() is self.window.follow_up:
                    self.window.follow_up.show_saving(
                        Texts(self.language).gettext("One moment, saving your answer…")
                    )
                if retry:
                    delay = SAVE_RETRY_FIRST_MS * 2 ** min(item.tries - 1, 8)
                    self.save_timer.start(min(delay, SAVE_RETRY_CAP_MS))
                return
            self.unsaved.pop(0)
            self._completed(item)

    def _completed(self, item: UnsavedCompletion) -> None:
        self.response_completed.emit(item.response_id, item.how.value)
        if not item.thank or (
            item.tries and self.window.current_screen() is not self.window.follow_up
        ):
            return  # the manager took over while it was being saved: no thank-you over that
        thanks = self.window.thanks
        thanks.show_view(
            thank_you_view(
                self.settings,
                self.language,
                qr_url=phone_link(self.db, self.settings),
                score=item.score,
            )
        )
        self.window.show_screen(thanks)
        self.thanks_timer.setInterval(self.settings.thank_you_s * 1000)
        self.thanks_timer.start()

    def profile_arrived(self, version: int = 0) -> None:
        """A store profile from HQ was written to the settings (by the sync worker). Shown at
        once if the question screen waits untouched for a customer; otherwise (a customer on
        the follow-up or thank-you screen, or one who chose another language) at the next
        question screen, which re-reads the settings anyway. Cheap: one settings read and one
        question render (bench/bench_profile.py)."""
        window = self.window
        if (
            self.pending is not None
            or self.storage_paused
            or window.current_screen() is not window.question
            or self.language != home_language(self.settings, self.requested_language)
        ):
            log.info("Store profile %s from HQ: shown from the next customer on", version)
            return
        self.settings = self.db.settings()
        self.language = home_language(self.settings, self.requested_language)
        self.show_question()

    def back_to_question(self) -> None:
        """Ready for the next customer: fresh settings, the home language, empty fields."""
        self.thanks_timer.stop()
        if self._gate_controller is not None:
            self._gate_controller.stop()
        self.settings = self.db.settings()
        self.language = home_language(self.settings, self.requested_language)
        self.show_question()

    # -- a full disk -----------------------------------------------------------------------
    def pause_for_storage(self, *, show: bool = True) -> None:
        """Stop taking answers until the disk takes a write again (tried on a timer)."""
        self.storage_paused = True
        self.window.question.set_taps_enabled(False)
        self.checkpoint_timer.stop()
        if not self.storage_timer.isActive():
            self.storage_timer.start()
        if show:
            self.show_paused()

    def show_paused(self) -> None:
        paused = self.window.paused
        paused.show_view(paused_view(self.settings, self.language))
        self.window.show_screen(paused)

    def retry_storage(self) -> None:
        """The timer's try: once a tiny write is stored, take answers again (no restart)."""
        try:
            ok = probe_write(self.db)
        except Exception:
            log.exception("The storage probe failed (will try again)")
            ok = False
        if not ok:
            return
        log.info("The database takes writes again: answers resume")
        self.storage_paused = False
        self.storage_timer.stop()
        if self.window.current_screen() is self.window.paused:
            self.back_to_question()

    # -- housekeeping ------------------------------------------------------------------------
    def checkpoint(self) -> None:
        if (
            self.pending is None
            and self.window.current_screen() is self.window.question
            and not self.reading_in_background()
        ):
            try:
                self.db.checkpoint()
            except Exception:
                log.exception("WAL checkpoint failed (will try again when idle)")

    # -- manager -----------------------------------------------------------------------------
    def open_pin_gate(self) -> None:
        from ui.pin_gate import PinGateController

        window = self.window
        if window.current_screen() in (window.pin_gate, window.admin_view):
            return
        if self.pending is not None:  # the customer has gone; keep what they entered
            self.finish(Completion.TIMEOUT, thank=False)
        for timer in (self.thanks_timer, self.checkpoint_timer):
            timer.stop()
        if self._gate_controller is None:
            self._gate_controller = PinGateController(
                gate=window.pin_gate, guard=self.guard, language=self.language
            )
            self._gate_controller.unlocked.connect(self._unlocked)
            self._gate_controller.cancelled.connect(self.back_to_question)
        self._gate_controller.texts = Texts(self.language)
        window.show_screen(window.pin_gate)
        self._gate_controller.open()

    def _unlocked(self) -> None:
        if self._gate_controller is not None:
            self._gate_controller.stop()
        self.window.open_admin(db=self.db)
