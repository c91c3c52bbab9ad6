"""The follow-up screen: the category's question, reason chips, a comment typed on the on-screen
keyboard, and for detractors an opt-in to be contacted (name, phone or email). Done and Skip.

Keys: Enter or Return = Done (also inside the comment box; Shift+Enter adds a line break there),
Esc = Skip. Any interaction says ``activity`` so that the idle timeout starts again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.text import CONTACT_LIMIT
from kiosk.recording import FollowUp
from ui.theme import metric
from ui.widgets.fields import CommentBox
from ui.widgets.flow_layout import FlowLayout
from ui.widgets.header import Header
from ui.widgets.keyboard import OnScreenKeyboard

# The most keys a keyboard row may have to fit the right-hand column in landscape: QWERTY's 10
# are 53 px wide there at 1280x800; InScript's 12 or 13 would be 41-46 px.
WIDE_ROW = 10


@dataclass(frozen=True)
class FollowUpView:
    store_name: str
    question: str
    chips: tuple[tuple[str, str], ...]  # (reason key, label)
    ask_contact: bool  # detractors only
    keyboard_script: str  # "latin", "devanagari", "tamil", "bengali" or "telugu"
    done: str
    skip: str
    pick_any: str
    comment_placeholder: str
    comment_name: str  # the comment box's name for a screen reader: "Your comment"
    chars_left: Callable[[int], str]  # "{n} characters left", in the language's plural form
    consent: str
    contact_name: str
    contact_detail: str
    kb_space: str
    kb_backspace: str
    kb_shift: str


class FollowUpScreen(QWidget):
    done_pressed = Signal()
    skip_pressed = Signal()
    activity = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FollowUpScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._chars_left: Callable[[int], str] = str
        self._compact: bool | None = None
        self._wide_keys = False
        self._unit = 1.0
        self.chips: dict[str, QPushButton] = {}
        self._chip_spec: tuple[tuple[str, str], ...] | None = None
        self._chip_sets: dict[tuple[tuple[str, str], ...], dict[str, QPushButton]] = {}

        self.header = Header(self, with_languages=False)
        self.question = QLabel(self)
        self.question.setObjectName("follow_up_question")
        self.question.setWordWrap(True)
        self.pick_any = QLabel(self)
        self.pick_any.setObjectName("pick_any")
        self._chip_box = QWidget(self)
        self._chip_flow = FlowLayout(self._chip_box)

        self.comment = CommentBox(self)
        self.comment.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.comment.length_changed.connect(self._show_count)
        self.comment.textChanged.connect(self.activity)
        self.chars = QLabel(self)
        self.chars.setObjectName("chars_left")
        self.chars.setAlignment(Qt.AlignmentFlag.AlignRight)

        self.contact_box = QWidget(self)
        self.contact_box.setObjectName("contact_box")
        self.contact_box.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.opt_in = QCheckBox(self.contact_box)
        self.opt_in.setObjectName("contact_opt_in")
        self.opt_in.toggled.connect(self._show_contact_fields)
        self.opt_in.toggled.connect(self.activity)
        self.contact_name = QLineEdit(self.contact_box)
        self.contact_name.setObjectName("contact_name")
        self.contact_detail = QLineEdit(self.contact_box)
        self.contact_detail.setObjectName("contact_detail")
        self._fields_row = QWidget(self.contact_box)
        fields = QHBoxLayout(self._fields_row)
        fields.setContentsMargins(0, 0, 0, 0)
        for edit in (self.contact_name, self.contact_detail):
            edit.setMaxLength(CONTACT_LIMIT)
            edit.textChanged.connect(self.activity)
            fields.addWidget(edit, 1)
        self._contact_layout = QVBoxLayout(self.contact_box)
        self._contact_layout.addWidget(self.opt_in)
        self._contact_layout.addWidget(self._fields_row)

        self.keyboard = OnScreenKeyboard(self)
        self.keyboard.text_typed.connect(self._typed)
        self.keyboard.backspace_pressed.connect(self._backspace)
        self.keyboard.text_typed.connect(self.activity)
        self.keyboard.backspace_pressed.connect(self.activity)
        self.keyboard.layout_switched.connect(self.activity)

        self.done = QPushButton(self)
        self.done.setObjectName("done")
        self.done.setProperty("kind", "primary")
        self.done.clicked.connect(self.done_pressed)
        self.skip = QPushButton(self)
        self.skip.setObjectName("skip")
        self.skip.setProperty("kind", "secondary")
        self.skip.clicked.connect(self.skip_pressed)
        for button in (self.done, self.skip):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.saving = QLabel(self)  # shown while the answer cannot be stored yet
        self.saving.setObjectName("saving")
        self.saving.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.saving.hide()

        for field in (self.comment, self.contact_name, self.contact_detail):
            field.installEventFilter(self)
        self._target: QWidget = self.comment

        self._outer = QVBoxLayout(self)
        self._body = QGridLayout()
        self._outer.addWidget(self.header)
        self._outer.addLayout(self._body, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.skip)
        buttons.addStretch(1)
        buttons.addWidget(self.saving)
        buttons.addStretch(1)
        buttons.addWidget(self.done)
        self._outer.addLayout(buttons)
        self._left = QVBoxLayout()
        self._right = QVBoxLayout()
        self.set_compact(False)
        self.apply_metrics(1.0)
        self._show_contact_fields(False)

    # -- rendering ---------------------------------------------------------------------------
    def show_view(self, view: FollowUpView) -> None:
        """Show a fresh, empty follow-up for one response."""
        self._set_saving("")
        self.header.show_store(store_name=view.store_name, languages=(), language="")
        self.question.setText(view.question)
        self.pick_any.setText(view.pick_any)
        self.pick_any.setVisible(bool(view.chips))
        if tuple(view.chips) == self._chip_spec:  # the same chips as last time: just clear them
            for chip in self.chips.values():
                chip.blockSignals(True)
                chip.setChecked(False)
                chip.blockSignals(False)
        else:
            self._make_chips(tuple(view.chips))
        self._chars_left = view.chars_left
        self.comment.blockSignals(True)
        self.comment.clear()
        self.comment.blockSignals(False)
        self.comment.setPlaceholderText(view.comment_placeholder)
        self.comment.setAccessibleName(view.comment_name)
        self._show_count(0)
        self.opt_in.blockSignals(True)
        self.opt_in.setChecked(False)
        self.opt_in.blockSignals(False)
        self.opt_in.setText(view.consent)
        self.opt_in.setAccessibleName(view.consent)
        self.contact_box.setVisible(view.ask_contact)
        for edit, placeholder in (
            (self.contact_name, view.contact_name),
            (self.contact_detail, view.contact_detail),
        ):
            edit.blockSignals(True)
            edit.clear()
            edit.blockSignals(False)
            edit.setPlaceholderText(placeholder)
            edit.setAccessibleName(placeholder)
        self._show_contact_fields(False)
        self.done.setText(view.done)
        self.done.setAccessibleName(view.done)
        self.skip.setText(view.skip)
        self.skip.setAccessibleName(view.skip)
        self.keyboard.set_labels(
            space=view.kb_space,
            backspace=view.kb_backspace,
            shift=view.kb_shift,
        )
        self.keyboard.set_script(view.keyboard_script)
        self._arrange(bool(self._compact), self.keyboard.widest_row() > WIDE_ROW)
        self._target = self.comment

    def show_saving(self, message: str) -> None:
        """The answer is in but not stored yet: say so calmly, and take no more input."""
        self._set_saving(message)

    def _set_saving(self, message: str) -> None:
        self.saving.setText(message)
        self.saving.setVisible(bool(message))
        for widget in (
            self._chip_box,
            self.comment,
            self.contact_box,
            self.keyboard,
            self.done,
            self.skip,
        ):
            widget.setEnabled(not message)

    def _make_chips(self, spec: tuple[tuple[str, str], ...]) -> None:
        """Show the chips of another category or language. Each set is built once and kept
        (hidden, out of the layout) for the next customer who needs it: no widget churn."""
        for chip in self.chips.values():
            self._chip_flow.removeWidget(chip)
            chip.hide()
        chips = self._chip_sets.get(spec)
        if chips is None:
            chips = {}
            for key, label in spec:
                chip = QPushButton(label, self._chip_box)
                chip.setObjectName(f"reason_{key}")
                chip.setAccessibleName(label)
                chip.setProperty("kind", "chip")
                chip.setCheckable(True)
                chip.setFocusPolicy(Qt.FocusPolicy.TabFocus)
                chip.toggled.connect(self.activity)
                chips[key] = chip
            self._chip_sets[spec] = chips
        for chip in chips.values():
            chip.blockSignals(True)
            chip.setChecked(False)
            chip.blockSignals(False)
            self._chip_flow.addWidget(chip)
            chip.show()
        self.chips = chips
        self._chip_spec = spec
        self._chip_box.updateGeometry()

    def follow_up(self) -> FollowUp:
        """What the customer has entered so far."""
        consent = self.contact_box.isVisible() and self.opt_in.isChecked()
        return FollowUp(
            reasons=tuple(key for key, chip in self.chips.items() if chip.isChecked()),
            comment=self.comment.toPlainText(),
            contact_consent=consent,
            contact_name=self.contact_name.text() if consent else "",
            contact_detail=self.contact_detail.text() if consent else "",
            consent_text=self.opt_in.text() if consent else "",
        )

    def set_compact(self, compact: bool) -> None:
        """One column on a narrow or portrait screen; else chips and contact on the left, the
        comment and keyboard on the right (see _arrange for a long-rowed keyboard)."""
        self._arrange(compact, self._wide_keys)

    def _arrange(self, compact: bool, wide_keys: bool) -> None:
        """Lay the screen out for its shape and keyboard. In landscape a keyboard with long
        rows (InScript's 12 or 13 keys a row, more than WIDE_ROW) spans both columns under the
        chips and the comment box, and the contact opt-in moves under the comment box to leave
        the chips their room: in the right column alone the keys would be narrower than a
        finger (41-46 px at 1280x800)."""
        if (compact, wide_keys) == (self._compact, self._wide_keys):
            return
        self._compact, self._wide_keys = compact, wide_keys
        while self._body.count():
            self._body.takeAt(0)
        for column in (self._left, self._right):
            while column.count():
                column.takeAt(0)
            if column.parent() is not None:
                column.setParent(None)
        left, right = QVBoxLayout(), QVBoxLayout()
        self._left, self._right = left, right
        left.addWidget(self.question)
        left.addWidget(self.pick_any)
        left.addWidget(self._chip_box)
        self._body.setRowStretch(0, 1)
        self._body.setRowStretch(1, 0)
        if compact:
            left.addWidget(self.comment, 1)
            left.addWidget(self.chars)
            left.addWidget(self.contact_box)
            left.addWidget(self.keyboard)
            self._body.addLayout(left, 0, 0)
            self._body.setColumnStretch(0, 1)
            self._body.setColumnStretch(1, 0)
        else:
            right.addWidget(self.comment, 1)
            right.addWidget(self.chars)
            if wide_keys:
                right.addWidget(self.contact_box)
                self._body.addWidget(self.keyboard, 1, 0, 1, 2)
            else:
                left.addWidget(self.contact_box)
                right.addWidget(self.keyboard)
            left.addStretch(1)
            self._body.addLayout(left, 0, 0)
            self._body.addLayout(right, 0, 1)
            self._body.setColumnStretch(0, 5)
            self._body.setColumnStretch(1, 6)
        self.apply_metrics(self._unit)

    def apply_metrics(self, unit: float) -> None:
        self._unit = unit
        margin = metric(36, unit)
        self._outer.setContentsMargins(margin, metric(20, unit), margin, metric(20, unit))
        self._outer.setSpacing(metric(14, unit))
        self._body.setHorizontalSpacing(metric(32, unit))
        self._body.setVerticalSpacing(metric(12, unit))
        for column in (self._left, self._right):
            column.setSpacing(metric(12, unit))
        self._chip_flow.set_gap(metric(10, unit))
        self._contact_layout.setContentsMargins(*(metric(14, unit),) * 4)
        self._contact_layout.setSpacing(metric(10, unit))
        self.keyboard.set_spacing(metric(6, unit))
        self.comment.setMinimumHeight(metric(90, unit))

    # -- input -------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QWidget):
            self._target = watched
        return super().eventFilter(watched, event)

    def _typed(self, text: str) -> None:
        target = self._target
        if isinstance(target, CommentBox):
            target.insert_text(text)
        elif isinstance(target, QLineEdit):
            target.insert(text)
        target.setFocus()

    def _backspace(self) -> None:
        target = self._target
        if isinstance(target, CommentBox):
            target.backspace()
        elif isinstance(target, QLineEdit):
            target.backspace()
        target.setFocus()

    def _show_contact_fields(self, shown: bool) -> None:
        self._fields_row.setVisible(shown)
        if not shown and self._target in (self.contact_name, self.contact_detail):
            self._target = self.comment
        elif shown:
            self.contact_name.setFocus()
            self._target = self.contact_name

    def _show_count(self, length: int) -> None:
        self.chars.setText(self._chars_left(self.comment.limit - length))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.activity.emit()
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.done_pressed.emit()
        elif key == Qt.Key.Key_Escape:
            self.skip_pressed.emit()
        else:
            self.activity.emit()
            super().keyPressEvent(event)
