"""An invisible corner hot-spot: holding it for a few seconds says so (opens the PIN gate)."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget

HOLD_MS = 3000


class CornerHotspot(QWidget):
    long_pressed = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, size: int = 80, hold_ms: int = HOLD_MS
    ) -> None:
        super().__init__(parent)
        self.setObjectName("corner_hotspot")
        self.setAccessibleName("Manager access")
        self.setFixedSize(size, size)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(hold_ms)
        self.timer.timeout.connect(self.long_pressed)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.timer.start()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.timer.stop()
        event.accept()
