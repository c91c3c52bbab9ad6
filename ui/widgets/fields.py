"""Text entry for the follow-up: a comment box that enforces its length limit, and helpers."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from core.text import COMMENT_LIMIT


class CommentBox(QPlainTextEdit):
    """A plain-text comment of at most ``limit`` characters, whatever way the text arrives
    (typing, the on-screen keyboard, paste). Enter and Esc are left to the screen (Done / Skip);
    Shift+Enter starts a new line."""

    length_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, limit: int = COMMENT_LIMIT) -> None:
        super().__init__(parent)
        self.limit = limit
        self.setObjectName("comment")
        self.setTabChangesFocus(True)
        self.textChanged.connect(self._enforce_limit)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insert_text("\n")
                return
            event.ignore()  # the screen takes Enter as Done
            return
        if key == Qt.Key.Key_Escape:
            event.ignore()
            return
        super().keyPressEvent(event)

    def insert_text(self, text: str) -> None:
        room = self.limit - len(self.toPlainText())
        if room > 0:
            self.insertPlainText(text[:room])

    def backspace(self) -> None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            cursor.movePosition(
                QTextCursor.MoveOperation.PreviousCharacter, QTextCursor.MoveMode.KeepAnchor
            )
        cursor.removeSelectedText()
        self.setTextCursor(cursor)

    def _enforce_limit(self) -> None:
        text = self.toPlainText()
        if len(text) > self.limit:
            cursor = self.textCursor()
            position = min(cursor.position(), self.limit)
            self.blockSignals(True)
            self.setPlainText(text[: self.limit])
            self.blockSignals(False)
            cursor = self.textCursor()
            cursor.setPosition(position)
            self.setTextCursor(cursor)
            text = self.toPlainText()
        self.length_changed.emit(len(text))
