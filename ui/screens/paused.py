"""The screen shown while the kiosk cannot store answers (e.g. the disk is full): a calm
sentence for the customer, no score buttons. The cause is for the manager (the admin view)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.theme import metric
from ui.widgets.header import Header


@dataclass(frozen=True)
class PausedView:
    store_name: str
    title: str
    subtitle: str


class PausedScreen(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PausedScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.header = Header(self, with_languages=False)
        self.title = QLabel(self)
        self.title.setObjectName("paused_title")
        self.subtitle = QLabel(self)
        self.subtitle.setObjectName("paused_sub")
        for label in (self.title, self.subtitle):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        self._outer = QVBoxLayout(self)
        self._outer.addWidget(self.header)
        self._outer.addStretch(3)
        self._outer.addWidget(self.title)
        self._outer.addWidget(self.subtitle)
        self._outer.addStretch(4)
        self.apply_metrics(1.0)

    def show_view(self, view: PausedView) -> None:
        self.header.show_store(store_name=view.store_name, languages=(), language="")
        self.title.setText(view.title)
        self.title.setAccessibleName(view.title)
        self.subtitle.setText(view.subtitle)

    def apply_metrics(self, unit: float) -> None:
        margin = metric(40, unit)
        self._outer.setContentsMargins(margin, metric(24, unit), margin, metric(24, unit))
        self._outer.setSpacing(metric(18, unit))
