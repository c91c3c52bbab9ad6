"""The question screen: the store's name, the question, eleven equal tiles 0-10 with end labels.

Keys: 0-9 tap that score, T or + taps 10. The tiles are neutral on purpose (no red-to-green)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.theme import metric
from ui.widgets.header import Header

TEN_KEYS = (Qt.Key.Key_T, Qt.Key.Key_Plus)


@dataclass(frozen=True)
class QuestionView:
    store_name: str
    question: str
    label_low: str
    label_high: str
    languages: tuple[tuple[str, str], ...]  # (code, name in that language)
    language: str
    score_name: str  # what a screen reader says for a score button, with {n}: "{n} out of 10"


class QuestionScreen(QWidget):
    score_tapped = Signal(int)
    language_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("QuestionScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._taps_enabled = True
        self._compact: bool | None = None
        self._label_texts = ("", "")

        self._outer = QVBoxLayout(self)
        self.header = Header(self)
        self.header.language_chosen.connect(self.language_chosen)
        self.question = QLabel(self)
        self.question.setObjectName("question")
        self.question.setWordWrap(True)
        self.question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.question.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        self.scores: list[QPushButton] = []
        for score in range(11):
            button = QPushButton(str(score), self)
            button.setObjectName(f"score_{score}")
            button.setProperty("kind", "score")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            button.clicked.connect(lambda _=False, s=score: self._tap(s))
            self.scores.append(button)
        self.label_low = QLabel(self)
        self.label_low.setObjectName("label_low")
        self.label_high = QLabel(self)
        self.label_high.setObjectName("label_high")
        self.label_high.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.label_low.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        for label in (self.label_low, self.label_high):
            label.setWordWrap(True)

        self._scale = QWidget(self)
        self._grid = QGridLayout(self._scale)
        self._grid.setContentsMargins(0, 0, 0, 0)
        ends = QHBoxLayout()
        ends.addWidget(self.label_low, 1)
        ends.addWidget(self.label_high, 1)

        self._outer.addWidget(self.header)
        self._outer.addStretch(2)
        self._outer.addWidget(self.question)
        self._outer.addStretch(2)
        self._outer.addWidget(self._scale)
        self._outer.addLayout(ends)
        self._outer.addStretch(3)
        self.set_compact(False)
        self.apply_metrics(1.0)

    # -- rendering ---------------------------------------------------------------------------
    def show_view(self, view: QuestionView) -> None:
        self.header.show_store(
            store_name=view.store_name, languages=view.languages, language=view.language
        )
        self.question.setText(view.question)
        self.question.setAccessibleName(view.question)
        self._label_texts = (view.label_low, view.label_high)
        self._show_end_labels()
        for score, button in enumerate(self.scores):
            button.setAccessibleName(view.score_name.format(n=score))
        self.scores[0].setAccessibleDescription(view.label_low)
        self.scores[10].setAccessibleDescription(view.label_high)

    def set_taps_enabled(self, enabled: bool) -> None:
        """Off while an answer is being saved: one tap, one response."""
        self._taps_enabled = enabled
        for button in self.scores:
            button.setEnabled(enabled)

    @property
    def taps_enabled(self) -> bool:
        return self._taps_enabled

    def set_compact(self, compact: bool) -> None:
        """Two rows of tiles (0-5, 6-10) on a narrow or portrait screen, one row otherwise."""
        if compact == self._compact:
            return
        self._compact = compact
        for button in self.scores:
            self._grid.removeWidget(button)
        for col in range(12):
            self._grid.setColumnStretch(col, 0)
        if compact:
            for score, button in enumerate(self.scores):
                row, col = (0, score * 2) if score <= 5 else (1, (score - 6) * 2 + 1)
                self._grid.addWidget(button, row, col, 1, 2)
            for col in range(12):
                self._grid.setColumnStretch(col, 1)
        else:
            for score, button in enumerate(self.scores):
                self._grid.addWidget(button, 0, score)
                self._grid.setColumnStretch(score, 1)
        self._show_end_labels()

    def _show_end_labels(self) -> None:
        low, high = self._label_texts
        if self._compact:
            low, high = f"0 = {low}", f"10 = {high}"
        self.label_low.setText(low)
        self.label_high.setText(high)

    def apply_metrics(self, unit: float) -> None:
        margin = metric(40, unit)
        self._outer.setContentsMargins(margin, metric(24, unit), margin, metric(24, unit))
        self._outer.setSpacing(metric(16, unit))
        self._grid.setSpacing(metric(14, unit))

    # -- input -------------------------------------------------------------------------------
    def _tap(self, score: int) -> None:
        if self._taps_enabled:
            self.score_tapped.emit(score)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        ):
            super().keyPressEvent(event)
            return
        key = event.key()
        if Qt.Key.Key_0 <= key <= Qt.Key.Key_9:
            self._tap(key - Qt.Key.Key_0)
        elif key in TEN_KEYS:
            self._tap(10)
        else:
            super().keyPressEvent(event)
