"""The manager's menu behind the PIN: back to the survey, or exit the kiosk.
(A full admin view replaces it in a later issue; see MainWindow.open_admin.)"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ui.i18n import Catalog
from ui.theme import metric


class ManagerMenu(QWidget):
    back_pressed = Signal()
    exit_pressed = Signal()

    def __init__(self, parent: QWidget | None = None, *, language: str = "en") -> None:
        super().__init__(parent)
        self.setObjectName("ManagerMenu")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        tr = Catalog(language)
        self.card = QWidget(self)
        self.card.setObjectName("manager_card")
        self.card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.card.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        title = QLabel(tr("manager_title"), self.card)
        title.setObjectName("manager_title")
        subtitle = QLabel(tr("manager_subtitle"), self.card)
        subtitle.setObjectName("manager_subtitle")
        subtitle.setWordWrap(True)
        self.back = QPushButton(tr("back_to_survey"), self.card)
        self.back.setObjectName("manager_back")
        self.back.setAccessibleName("manager_back")
        self.back.setProperty("kind", "primary")
        self.back.clicked.connect(self.back_pressed)
        self.exit = QPushButton(tr("exit_kiosk"), self.card)
        self.exit.setObjectName("manager_exit")
        self.exit.setAccessibleName("manager_exit")
        self.exit.setProperty("kind", "danger")
        self.exit.clicked.connect(self.exit_pressed)
        self._layout = QVBoxLayout(self.card)
        for widget in (title, subtitle, self.back, self.exit):
            self._layout.addWidget(widget)
        outer = QVBoxLayout(self)
        outer.addWidget(self.card, 0, Qt.AlignmentFlag.AlignCenter)
        self.apply_metrics(1.0)

    def apply_metrics(self, unit: float) -> None:
        side = metric(40, unit)
        self._layout.setContentsMargins(side, side, side, side)
        self._layout.setSpacing(metric(16, unit))
        self.card.setMinimumWidth(metric(440, unit))
