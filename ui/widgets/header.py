"""The top bar of the customer's screens: the store's name, and the language pills.

Each language is named in its own script (English, हिन्दी, தமிழ், বাংলা, मराठी, తెలుగు). When the
store's name and every pill do not fit on one line (six languages on a portrait tablet), the
pills move to a line of their own under the name instead of squeezing the name."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class Header(QWidget):
    language_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, with_languages: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        self._rows = QVBoxLayout(self)
        self._rows.setContentsMargins(0, 0, 0, 0)
        self._rows.setSpacing(12)
        self._row = QHBoxLayout()
        self._row.setSpacing(12)
        self._rows.addLayout(self._row)
        self.mark = QWidget(self)
        self.mark.setObjectName("brand_mark")
        self.mark.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.store_name = QLabel(self)
        self.store_name.setObjectName("store_name")
        self._row.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignVCenter)
        self._row.addWidget(self.store_name, 1)
        self.languages = QWidget(self)
        self.languages.setObjectName("language_pills")
        self._pill_row = QHBoxLayout(self.languages)
        self._pill_row.setContentsMargins(0, 0, 0, 0)
        self._pill_row.setSpacing(12)
        self._row.addWidget(self.languages, 0, Qt.AlignmentFlag.AlignVCenter)
        self._wrapped = False
        self._with_languages = with_languages
        self._pills: dict[str, QPushButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.languages.setVisible(False)

    def show_store(
        self, *, store_name: str, languages: tuple[tuple[str, str], ...], language: str
    ) -> None:
        self.store_name.setText(store_name)
        if not self._with_languages:
            self._fit()
            return
        if tuple(self._pills) != tuple(code for code, _ in languages):
            for pill in self._pills.values():
                self._group.removeButton(pill)
                pill.deleteLater()
            self._pills = {}
            for code, name in languages:
                pill = QPushButton(name, self.languages)
                pill.setObjectName(f"lang_{code}")
                pill.setAccessibleName(name)  # in its own language: "हिन्दी"
                pill.setProperty("kind", "lang")
                pill.setCheckable(True)
                pill.setFocusPolicy(Qt.FocusPolicy.TabFocus)
                pill.clicked.connect(lambda _=False, c=code: self.language_chosen.emit(c))
                self._group.addButton(pill)
                self._pill_row.addWidget(pill)
                self._pills[code] = pill
            # One language only: nothing to choose.
            self.languages.setVisible(len(self._pills) > 1)
        for code, pill in self._pills.items():
            pill.setChecked(code == language)
        self._fit()

    def pill(self, code: str) -> QPushButton | None:
        return self._pills.get(code)

    @property
    def pills_wrapped(self) -> bool:
        """The pills are on their own line under the store's name."""
        return self._wrapped

    def set_spacing(self, gap: int) -> None:
        for layout in (self._rows, self._row, self._pill_row):
            layout.setSpacing(gap)
        self._fit()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # a new font size (style sheet), new pills
            self._fit()
        return handled

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Pills beside the name when both fit in the width, else on a line of their own."""
        if not self.languages.isVisibleTo(self):
            wrap = False
        else:
            gap = self._row.spacing()
            needed = (
                max(self.mark.minimumWidth(), self.mark.sizeHint().width())
                + self.store_name.sizeHint().width()
                + self.languages.sizeHint().width()
                + 2 * gap
            )
            wrap = needed > self.width()
        if wrap == self._wrapped:
            return
        self._wrapped = wrap
        if wrap:
            self._row.removeWidget(self.languages)
            self._rows.addWidget(self.languages, 0, Qt.AlignmentFlag.AlignRight)
        else:
            self._rows.removeWidget(self.languages)
            self._row.addWidget(self.languages, 0, Qt.AlignmentFlag.AlignVCenter)
        self._rows.activate()  # now, not on the next pass of the event loop: no cut-off frame
