"""A dismissable banner across the top of the window for what happened on start (e.g. the
database was moved aside). It never blocks the survey."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class NoticeBanner(QWidget):
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice_banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(self)
        row.setContentsMargins(20, 10, 20, 10)
        self.text = QLabel(self)
        self.text.setObjectName("notice_text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.dismiss = QPushButton("Dismiss", self)
        self.dismiss.setObjectName("notice_dismiss")
        self.dismiss.clicked.connect(self._dismiss)
        row.addWidget(self.text, 1)
        row.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_notices(self, notices: list[str], *, dismiss_label: str = "Dismiss") -> None:
        if not notices:
            return
        self.text.setText("\n".join(notices))
        self.dismiss.setText(dismiss_label)
        self.dismiss.setAccessibleName(dismiss_label)
        self.show()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
