"""The top bar of the customer's screens: the store's name, and the language pills."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QWidget


class Header(QWidget):
    language_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, with_languages: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(12)
        self.mark = QWidget(self)
        self.mark.setObjectName("brand_mark")
        self.mark.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.store_name = QLabel(self)
        self.store_name.setObjectName("store_name")
        self._row.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignVCenter)
        self._row.addWidget(self.store_name, 1)
        self._with_languages = with_languages
        self._pills: dict[str, QPushButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)

    def show_store(
        self, *, store_name: str, languages: tuple[tuple[str, str], ...], language: str
    ) -> None:
        self.store_name.setText(store_name)
        if not self._with_languages:
            return
        if tuple(self._pills) != tuple(code for code, _ in languages):
            for pill in self._pills.values():
                self._group.removeButton(pill)
                pill.deleteLater()
            self._pills = {}
            for code, name in languages:
                pill = QPushButton(name, self)
                pill.setObjectName(f"lang_{code}")
                pill.setAccessibleName(name)  # in its own language: "हिन्दी"
                pill.setProperty("kind", "lang")
                pill.setCheckable(True)
                pill.setFocusPolicy(Qt.FocusPolicy.TabFocus)
                pill.clicked.connect(lambda _=False, c=code: self.language_chosen.emit(c))
                self._group.addButton(pill)
                self._row.addWidget(pill)
                self._pills[code] = pill
            # One language only: nothing to choose.
            for pill in self._pills.values():
                pill.setVisible(len(self._pills) > 1)
        for code, pill in self._pills.items():
            pill.setChecked(code == language)

    def pill(self, code: str) -> QPushButton | None:
        return self._pills.get(code)
