"""The store manager's admin view behind the PIN: dashboard, comments, follow-ups, settings,
records and audit. Self-contained: the main window shows it and listens to two signals.

- ``closed``: back to the survey (the Back button, or 2 minutes without input: the idle lock).
- ``exit_requested``: the manager confirmed "Exit kiosk"; the owner quits the app.

Every read that may touch many rows runs on a background pool (ui.admin.worker); the first
paint never waits for one. Call ``shutdown()`` before deleting the view (it waits for them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import audit
from kiosk.clock import ClockCheck, ClockProblem, clock_check
from kiosk.db import Database, utcnow
from kiosk.integrity import damage_found
from kiosk.storage import SpaceStatus, space_status
from ui.admin import style, texts
from ui.admin.audit_tab import AuditTab
from ui.admin.comments_tab import CommentsTab
from ui.admin.dashboard_tab import DashboardTab
from ui.admin.followups_tab import FollowUpsTab
from ui.admin.parts import label, local_time, set_prop
from ui.admin.records_tab import RecordsTab
from ui.admin.settings_tab import SettingsTab
from ui.admin.texts import _, ngettext
from ui.admin.worker import BackgroundOps

IDLE_LOCK_MS = 2 * 60 * 1000
SPACE_REFRESH_MS = 10_000
_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseMove,
        QEvent.Type.KeyPress,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.InputMethod,
    }
)


def clock_warning(check: ClockCheck, *, time_zone: str) -> str:
    """What the manager reads when the till's clock cannot be right ("" when it can)."""
    if check.problem is ClockProblem.OFF_PER_HQ and check.offset_s is not None:
        return _(
            "HQ says this till's clock is {offset}; set the date and time, or let the till get "
            "network time. HQ corrects the times of the answers it receives; answers are still "
            "being taken.",
            offset=offset_words(check.offset_s),
        )
    if check.ok or check.reference is None:
        return ""
    says = local_time(check.now, "%Y-%m-%d %H:%M", time_zone=time_zone)
    if check.problem is ClockProblem.BEFORE_RELEASE:
        released = local_time(check.reference, "%Y-%m-%d", time_zone=time_zone)
        why = _("before this version of NPS Kiosk was released ({date})", date=released)
    else:
        latest = local_time(check.reference, "%Y-%m-%d %H:%M", time_zone=time_zone)
        why = _("before the latest answer this till stored ({date})", date=latest)
    return _(
        "This till's clock says {says}, {why}; set the date and time (or connect it to the "
        "network) so that answers get the right dates. Answers are still being taken.",
        says=says,
        why=why,
    )


def offset_words(offset_s: float) -> str:
    """HQ's clock minus the till's as words: -10920 -> "3 h 02 min fast"."""
    minutes = round(abs(offset_s) / 60)
    hours, mins = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days >= 365:
        amount = _("about {years} years", years=f"{days / 365.25:.1f}")
    elif days:
        amount = ngettext("{n} day {hours} h", "{n} days {hours} h", days, hours=hours)
    elif hours:
        amount = _("{hours} h {minutes} min", hours=hours, minutes=f"{mins:02d}")
    else:
        amount = _("{minutes} min", minutes=mins)
    if offset_s > 0:
        return _("{amount} slow", amount=amount)
    return _("{amount} fast", amount=amount)


def storage_warning(status: SpaceStatus) -> str:
    """What the manager reads when the database's disk is full or getting full ("" if not)."""
    where = _("{mb} MB free in {folder}", mb=f"{status.free_mb:.1f}", folder=status.folder)
    if status.full:
        return _(
            "Answers are paused: the disk is full (“{cause}”); {where}. Free some space there "
            "(old backups, copied files): the kiosk takes answers again by itself within a "
            "minute. Nothing stored was lost.",
            cause=status.full_cause,
            where=where,
        )
    if status.low:
        return _(
            "Low disk space: {where} (warning below {mb} MB). Free some space there soon: when "
            "the disk is full the kiosk cannot take answers.",
            where=where,
            mb=status.low_space_mb,
        )
    return ""


def damage_warning(damage: str | None) -> str:
    """What the manager reads when the background check found damage in the database."""
    if damage is None:
        return ""
    return _(
        "A check of the database found damage ({damage}). Answers are still being taken. "
        "Restart the kiosk soon (Exit kiosk, or restart the till): it moves the damaged file "
        "aside, untouched, for support, and starts on a fresh one.",
        damage=damage,
    )


class AdminView(QWidget):
    closed = Signal()
    exit_requested = Signal()

    def __init__(
        self,
        db: Database,
        parent: QWidget | None = None,
        *,
        idle_lock_ms: int = IDLE_LOCK_MS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(parent)
        self.db = db
        texts.use(db.settings().admin_language)  # before any text is made
        self.setObjectName("AdminView")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(style.SHEET)
        self.ops = BackgroundOps(self)
        self._shut = False

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        header = QWidget()
        header.setObjectName("header")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        bar = QHBoxLayout(header)
        bar.setContentsMargins(20, 10, 16, 10)
        mark = QWidget()
        mark.setFixedSize(28, 28)
        mark.setStyleSheet(f"background: {style.ACCENT}; border-radius: 8px;")
        bar.addWidget(mark)
        bar.addSpacing(6)
        self.title = label(self.db.settings().store_name, "h1")
        bar.addWidget(self.title)
        bar.addWidget(label(_("· Manager"), "muted"))
        bar.addStretch()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: moves while a background read runs
        self.busy.setFixedWidth(120)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.busy_label = label(_("Loading…"), "small")
        self.busy_label.hide()
        bar.addWidget(self.busy_label)
        bar.addWidget(self.busy)
        bar.addSpacing(12)
        self.back_button = QPushButton(_("Back to survey"))
        self.back_button.setProperty("kind", "primary")
        self.back_button.clicked.connect(self.lock)
        self.exit_button = QPushButton(_("Exit kiosk"))
        self.exit_button.setProperty("kind", "danger")
        self.exit_button.clicked.connect(self._exit_clicked)
        bar.addWidget(self.back_button)
        bar.addWidget(self.exit_button)
        root.addWidget(header)
        # A dead clock battery boots the till in the past: say so where the manager looks.
        self.clock_banner = label(
            clock_warning(clock_check(db, clock()), time_zone=db.settings().time_zone),
            "warning",
            wrap=True,
        )
        self.clock_banner.setObjectName("clock_banner")
        self.clock_banner.setVisible(bool(self.clock_banner.text()))
        root.addWidget(self.clock_banner)
        # A full (or filling) disk stops answers: say so, with the free space, and keep it fresh.
        self.storage_banner = label("", "warning", wrap=True)
        self.storage_banner.setObjectName("storage_banner")
        root.addWidget(self.storage_banner)
        self.damage_banner = label("", "warning", wrap=True)
        self.damage_banner.setObjectName("damage_banner")
        root.addWidget(self.damage_banner)
        self.refresh_storage()
        self.space_timer = QTimer(self)
        self.space_timer.setInterval(SPACE_REFRESH_MS)
        self.space_timer.timeout.connect(self.refresh_storage)
        self.space_timer.start()
        self.ops.busy_changed.connect(self._set_busy)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.dashboard = DashboardTab(db, self.ops)
        self.comments = CommentsTab(db, self.ops)
        self.followups = FollowUpsTab(db, self.ops)
        self.settings_tab = SettingsTab(db, self.ops)
        self.records = RecordsTab(db, self.ops)
        self.audit = AuditTab(db, self.ops)
        for widget, name in (
            (self.dashboard, _("Dashboard")),
            (self.comments, _("Comments")),
            (self.followups, _("Follow-ups")),
            (self.settings_tab, _("Settings")),
            (self.records, _("Records")),
            (self.audit, _("Audit log")),
        ):
            self.tabs.addTab(widget, name)
        self.settings_tab.saved.connect(lambda s: self.title.setText(s.store_name))
        self._loaded: set[int] = set()
        self.tabs.currentChanged.connect(self._tab_shown)
        root.addWidget(self.tabs, 1)

        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(idle_lock_ms)
        self.idle.timeout.connect(self._idle_timeout)
        self._exit_armed = QTimer(self)
        self._exit_armed.setSingleShot(True)
        self._exit_armed.setInterval(5000)
        self._exit_armed.timeout.connect(self._disarm_exit)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.idle.start()
        # Data is asked for after the first paint, never before it.
        QTimer.singleShot(0, lambda: self._tab_shown(self.tabs.currentIndex()))

    # -- loading -----------------------------------------------------------------------------
    def _tab_shown(self, index: int) -> None:
        if self._shut:
            return
        widget = self.tabs.widget(index)
        refresh = getattr(widget, "refresh", None)
        if refresh is not None and (index not in self._loaded or widget is self.audit):
            self._loaded.add(index)
            refresh()

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add another tab (e.g. Sync, QR code). Its ``refresh()``, if it has one, is called
        the first time the tab is shown; it may use ``view.ops`` for its background reads."""
        return self.tabs.addTab(widget, _(title))  # a title marked in ui/admin/texts.py

    def refresh_storage(self) -> None:
        try:
            text = storage_warning(space_status(self.db))
        except OSError as exc:  # the folder vanished (an unplugged disk): say that instead
            text = _(
                "Cannot read the free space of {folder} ({error}).",
                folder=self.db.path.parent,
                error=exc.strerror,
            )
        self.storage_banner.setText(text)
        self.storage_banner.setVisible(bool(text))
        damage = damage_warning(damage_found(self.db.path))
        self.damage_banner.setText(damage)
        self.damage_banner.setVisible(bool(damage))

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.busy_label.setVisible(busy)

    # -- idle lock and leaving ---------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() in _INPUT_EVENTS and isinstance(watched, QWidget) and self._owns(watched):
            self.idle.start()  # restart the 2-minute countdown
        return False

    def _owns(self, widget: QWidget) -> bool:
        # Walk parents across window boundaries too, so combo-box popups count as the view.
        w: QWidget | None = widget
        while w is not None:
            if w is self:
                return True
            w = w.parentWidget()
        return False

    def _idle_timeout(self) -> None:
        audit.record(self.db, "admin_idle_lock")
        self.lock()

    def lock(self) -> None:
        """Leave the admin view for the survey (the manager must enter the PIN again)."""
        self.idle.stop()
        self.closed.emit()

    def _exit_clicked(self) -> None:
        if self.exit_button.property("armed") == "true":
            self._exit_armed.stop()
            audit.record(self.db, "kiosk_exit")
            self.idle.stop()
            self.exit_requested.emit()
            return
        self.exit_button.setText(_("Tap again to exit"))
        set_prop(self.exit_button, "armed", "true")
        self._exit_armed.start()

    def _disarm_exit(self) -> None:
        self.exit_button.setText(_("Exit kiosk"))
        set_prop(self.exit_button, "armed", "false")

    def shutdown(self) -> None:
        """Stop the timers and the event filter, and wait for background reads to finish."""
        if self._shut:
            return
        self._shut = True
        self.idle.stop()
        self._exit_armed.stop()
        self.space_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.ops.shutdown()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        # Shown again after a lock (if the owner keeps the view): count idle time afresh and
        # bring the tab on screen up to date.
        if not self._shut:
            self.idle.start()
            if self._loaded:
                self._loaded.discard(self.tabs.currentIndex())
                QTimer.singleShot(0, lambda: self._tab_shown(self.tabs.currentIndex()))
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt API)
        self.idle.stop()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.shutdown()
        super().closeEvent(event)
