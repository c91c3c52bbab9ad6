"""The kiosk window: a stack of screens, the notice banner, the hidden manager gesture, and the
lockdown (frameless, full-screen, on top, close ignored unless the manager exits)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QApplication, QLabel, QStackedWidget, QVBoxLayout, QWidget

from ui import theme
from ui.screens.question import QuestionScreen
from ui.widgets.banner import NoticeBanner
from ui.widgets.hotspot import CornerHotspot

if TYPE_CHECKING:
    from kiosk.db import Database
    from ui.admin import AdminView
    from ui.pin_gate import PinGate
    from ui.placement import ScreenPlacement
    from ui.screens.follow_up import FollowUpScreen
    from ui.screens.paused import PausedScreen
    from ui.screens.thank_you import ThankYouScreen

MANAGER_CHORD = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.ShiftModifier
)


def is_compact(width: int, height: int) -> bool:
    """Narrow or portrait: two rows of score tiles, one column on the follow-up."""
    return width < 800 or height > width


class MainWindow(QWidget):
    pin_gate_requested = Signal()  # the corner long-press or Ctrl+Alt+Shift+M
    admin_closed = Signal()  # the manager went back to the survey
    exit_requested = Signal()  # the manager chose to exit the kiosk

    def __init__(self, *, kiosk_mode: bool) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle("NPS Kiosk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # An explicit minimum, so that the layout of the screen shown before the first resize
        # (wide tiles) cannot force a portrait window wider; the screens adapt instead.
        self.setMinimumSize(480, 480)
        self.kiosk_mode = kiosk_mode
        self._exit_allowed = False
        self._unit: float | None = None
        self._compact: bool | None = None

        self.banner = NoticeBanner(self)
        self.pages = QStackedWidget(self)
        self.pages.setObjectName("pages")
        self.question = QuestionScreen(self.pages)
        self.pages.addWidget(self.question)
        self._follow_up: FollowUpScreen | None = None
        self._thanks: ThankYouScreen | None = None
        self._paused: PausedScreen | None = None
        self._pin_gate: PinGate | None = None
        self.admin_view: AdminView | None = None
        self._fatal: QLabel | None = None
        # Callables that add tabs to each new admin view (e.g. the Sync and QR code tabs).
        self.admin_tab_hooks: list[Callable[[AdminView], None]] = []
        # Keeps the kiosk full-screen on its screen (set by ui.app.run in kiosk mode).
        self.placement: ScreenPlacement | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.pages, 1)

        self.hotspot = CornerHotspot(self)
        self.hotspot.move(0, 0)
        self.hotspot.long_pressed.connect(self.pin_gate_requested)
        self.hotspot.raise_()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        if kiosk_mode:
            self.setWindowFlags(
                Qt.WindowType.Window
                | Qt.WindowType.FramelessWindowHint
                | Qt.WindowType.WindowStaysOnTopHint
            )

    # -- screens (built on first use, so that the first frame is only the question) ----------
    @property
    def follow_up(self) -> FollowUpScreen:
        if self._follow_up is None:
            from ui.screens.follow_up import FollowUpScreen

            self._follow_up = FollowUpScreen(self.pages)
            self._add_page(self._follow_up)
        return self._follow_up

    @property
    def thanks(self) -> ThankYouScreen:
        if self._thanks is None:
            from ui.screens.thank_you import ThankYouScreen

            self._thanks = ThankYouScreen(self.pages)
            self._add_page(self._thanks)
        return self._thanks

    @property
    def paused(self) -> PausedScreen:
        """Shown instead of the question while answers cannot be stored (a full disk)."""
        if self._paused is None:
            from ui.screens.paused import PausedScreen

            self._paused = PausedScreen(self.pages)
            self._add_page(self._paused)
        return self._paused

    @property
    def pin_gate(self) -> PinGate:
        if self._pin_gate is None:
            from ui.pin_gate import PinGate

            self._pin_gate = PinGate(self.pages)
            self._add_page(self._pin_gate)
        return self._pin_gate

    def _add_page(self, page: QWidget) -> None:
        self.pages.addWidget(page)
        if self._unit is not None:
            self._apply_layout(page)

    def show_screen(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(page)
        self.hotspot.raise_()
        page.setFocus(Qt.FocusReason.OtherFocusReason)

    def current_screen(self) -> QWidget | None:
        return self.pages.currentWidget()

    def show_notices(self, notices: list[str], *, dismiss_label: str = "Dismiss") -> None:
        self.banner.show_notices(notices, dismiss_label=dismiss_label)

    def show_fatal(self, title: str, text: str) -> None:
        """The kiosk cannot take answers (e.g. the database cannot be opened): say so."""
        page = QWidget(self.pages)
        page.setObjectName("FatalScreen")
        page.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        box = QVBoxLayout(page)
        heading = QLabel(title, page)
        heading.setObjectName("fatal_title")
        body = QLabel(text, page)
        body.setObjectName("fatal_text")
        body.setWordWrap(True)
        box.addStretch(1)
        for label in (heading, body):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.addWidget(label)
        box.addStretch(1)
        self._add_page(page)
        self.show_screen(page)

    def open_admin(self, *, db: Database) -> None:
        """The store manager's admin view, behind the PIN (imported here: QtCharts and the
        admin tabs cost nothing until a manager comes)."""
        from ui.admin import AdminView

        self.close_admin()
        view = AdminView(db, self.pages)
        view.closed.connect(self._admin_view_closed)  # Back to survey, or 2 minutes idle
        view.exit_requested.connect(self.exit_kiosk)  # "Exit kiosk", tapped twice
        for hook in self.admin_tab_hooks:
            hook(view)
        self.admin_view = view
        self._add_page(view)
        self.show_screen(view)

    def _admin_view_closed(self) -> None:
        self.close_admin()
        self.admin_closed.emit()

    def close_admin(self) -> None:
        """Drop the admin view: its timers, event filter and background reads stop first."""
        view, self.admin_view = self.admin_view, None
        if view is not None:
            view.shutdown()
            self.pages.removeWidget(view)
            view.deleteLater()

    # -- lockdown ----------------------------------------------------------------------------
    def exit_kiosk(self) -> None:
        """Leave the kiosk for good (only reachable behind the PIN)."""
        self._exit_allowed = True
        self.exit_requested.emit()
        self.close()

    def shutdown(self) -> None:
        """Stop listening to the application and close (tests, and the end of run())."""
        self.close_admin()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.hotspot.timer.stop()
        self._exit_allowed = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.kiosk_mode and not self._exit_allowed:
            event.ignore()  # close button, Alt+F4, the window manager: only the PIN lets out
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (
            self.kiosk_mode
            and event.key() == Qt.Key.Key_F4
            and (event.modifiers() & Qt.KeyboardModifier.AltModifier)
        ):
            event.accept()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The manager chord works whichever widget has the focus, so it is caught app-wide.
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if (
                event.key() == Qt.Key.Key_M
                and (event.modifiers() & MANAGER_CHORD) == MANAGER_CHORD
                and isinstance(watched, QWidget)
                and (watched is self or self.isAncestorOf(watched))
            ):
                self.pin_gate_requested.emit()
                return True
        return super().eventFilter(watched, event)

    # -- sizes relative to the window --------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        size = event.size()
        unit = theme.scale_for(size.width(), size.height())
        compact = is_compact(size.width(), size.height())
        if unit != self._unit or compact != self._compact:
            self._unit, self._compact = unit, compact
            self.setStyleSheet(theme.stylesheet(unit))
            for index in range(self.pages.count()):
                page = self.pages.widget(index)
                if page is not None:
                    self._apply_layout(page)
        self.hotspot.setFixedSize(
            theme.metric(80, max(unit, 1.0)), theme.metric(80, max(unit, 1.0))
        )
        self.hotspot.raise_()

    def _apply_layout(self, page: QWidget) -> None:
        assert self._unit is not None
        apply_metrics = getattr(page, "apply_metrics", None)
        if apply_metrics is not None:
            apply_metrics(self._unit)
        set_compact = getattr(page, "set_compact", None)
        if set_compact is not None:
            set_compact(bool(self._compact))
