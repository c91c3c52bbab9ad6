"""Which screen the kiosk fills, and keeping it filled: with or without a window manager, when
the screen turns or changes size, and when a screen is unplugged or comes back.

Asking for the full-screen state is not enough: on a bare X server (``xinit``, no window
manager) nobody grants it, and the window would sit at its default size in a corner. So the
kiosk also gives itself the screen's whole geometry; under a window manager or compositor that
does grant full screen, both agree.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QObject, QRect, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)


def screen_label(screen: QScreen) -> str:
    """How a person tells screens apart: its name and size, e.g. "HDMI-1 — 1280×800"."""
    size = screen.geometry().size()
    return f"{screen.name()} — {size.width()}×{size.height()}"


def choose_screen(
    screens: Sequence[QScreen], wanted: str, primary: QScreen | None
) -> QScreen | None:
    """The screen named (or numbered, from 0) by ``wanted`` among ``screens``; when it is not
    there (unplugged) or ``wanted`` is empty, the primary screen, else the first one left."""
    if not screens:
        return None
    wanted = wanted.strip()
    if wanted:
        for screen in screens:
            if screen.name() == wanted:
                return screen
        for screen in screens:
            if screen.name().casefold() == wanted.casefold():
                return screen
        if wanted.isdigit() and int(wanted) < len(screens):
            return screens[int(wanted)]
    if primary is not None and primary in screens:
        return primary
    return screens[0]


class ScreenPlacement(QObject):
    """Keeps a kiosk window full-screen on its chosen screen.

    It follows the screen's size and orientation (a tablet turned to portrait), moves to the
    screen that remains when the chosen one is unplugged, and goes back when it returns."""

    moved = Signal(object)  # the QScreen the window now fills

    def __init__(self, window: QWidget, *, wanted: str = "") -> None:
        super().__init__(window)
        self.window = window
        self.wanted = wanted
        self.screen: QScreen | None = None
        self._pending = False
        app = QGuiApplication.instance()
        assert isinstance(app, QGuiApplication)
        app.screenAdded.connect(self._screens_changed)
        app.screenRemoved.connect(self._screen_removed)
        app.primaryScreenChanged.connect(self._screens_changed)

    def set_wanted(self, wanted: str) -> None:
        """Another screen was chosen (the admin Settings tab): go there now."""
        if wanted != self.wanted:
            self.wanted = wanted
            self.place()

    def place(self, screens: Sequence[QScreen] | None = None) -> QScreen | None:
        """Fill the chosen screen among ``screens`` (default: every screen there is now)."""
        self._pending = False
        if screens is None:
            screens = QGuiApplication.screens()
        screen = choose_screen(list(screens), self.wanted, QGuiApplication.primaryScreen())
        if screen is None:
            return None
        changed = screen is not self.screen
        if changed:
            self._follow(screen)
            log.info("Kiosk on screen %s", screen_label(screen))
        geometry = QRect(screen.geometry())
        window = self.window
        if changed and window.isFullScreen():
            # A window manager keeps a full-screen window where it is: leave the state, move,
            # and ask again, so it is granted on the new screen.
            window.showNormal()
        window.setScreen(screen)
        window.setGeometry(geometry)
        if not window.isFullScreen():
            window.showFullScreen()
        if window.geometry() != geometry:  # a full-screen window is not moved by Qt alone
            window.setGeometry(geometry)
        if changed:
            self.moved.emit(screen)
        return screen

    def _follow(self, screen: QScreen) -> None:
        if self.screen is not None:
            self.screen.geometryChanged.disconnect(self._soon)
            self.screen.orientationChanged.disconnect(self._soon)
        self.screen = screen
        screen.geometryChanged.connect(self._soon)
        screen.orientationChanged.connect(self._soon)

    def _soon(self, *_: object) -> None:
        # Several signals arrive for one change (size, then orientation): place once.
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self.place)

    def _screens_changed(self, *_: object) -> None:
        self._soon()

    def _screen_removed(self, removed: QScreen) -> None:
        # Emitted while the screen still exists: move now, to one of the others.
        if removed is self.screen:
            removed.geometryChanged.disconnect(self._soon)
            removed.orientationChanged.disconnect(self._soon)
            self.screen = None
        remaining = [s for s in QGuiApplication.screens() if s is not removed]
        if remaining:
            self.place(remaining)
