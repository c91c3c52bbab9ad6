"""The manager's PIN gate: a numeric keypad over the survey, in the current language.

``PinGate`` is the dumb view (it collects digits and says ``pin_entered``); ``PinGateController``
asks kiosk.pin.PinGuard. With no PIN set yet it asks the manager to create one (twice); while
locked it counts down to the end of the lock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from core.i18n import Texts
from kiosk.db import utcnow
from kiosk.errors import PinError
from kiosk.pin import PinGuard, check_format
from ui.theme import metric

MAX_DIGITS = 8


class GateMode(StrEnum):
    ENTER = "enter"
    CREATE = "create"
    CONFIRM = "confirm"
    LOCKED = "locked"


@dataclass(frozen=True)
class PinGateView:
    title: str
    message: str
    alert: bool  # the message reports a problem
    locked: bool  # keypad disabled
    ok: str
    clear: str
    cancel: str
    digit_name: str  # a digit key's name for a screen reader, with {n}: "Digit {n}"
    display_name: str  # the dots' name: "PIN entered"


class PinGate(QWidget):
    pin_entered = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PinGate")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._digits = ""
        self.card = QWidget(self)
        self.card.setObjectName("pin_card")
        self.card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.card.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        self.title = QLabel(self.card)
        self.title.setObjectName("pin_title")
        self.message = QLabel(self.card)
        self.message.setObjectName("pin_message")
        self.message.setWordWrap(True)
        self.display = QLabel(self.card)
        self.display.setObjectName("pin_display")
        for label in (self.title, self.message, self.display):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.keys: dict[str, QPushButton] = {}
        pad = QGridLayout()
        self._pad = pad
        for index, digit in enumerate("123456789"):
            pad.addWidget(self._key(digit, f"pin_{digit}"), index // 3, index % 3)
        pad.addWidget(self._key("", "pin_clear", special=True), 3, 0)
        pad.addWidget(self._key("0", "pin_0"), 3, 1)
        pad.addWidget(self._key("", "pin_ok", special=True), 3, 2)
        self.cancel = QPushButton(self.card)
        self.cancel.setObjectName("pin_cancel")
        self.cancel.setProperty("kind", "secondary")
        self.cancel.clicked.connect(self.cancelled)
        self._card_layout = QVBoxLayout(self.card)
        self._card_layout.addWidget(self.title)
        self._card_layout.addWidget(self.message)
        self._card_layout.addWidget(self.display)
        self._card_layout.addLayout(pad)
        self._card_layout.addWidget(self.cancel)
        outer = QVBoxLayout(self)
        outer.addWidget(self.card, 0, Qt.AlignmentFlag.AlignCenter)
        self.apply_metrics(1.0)
        self._show_digits()

    def _key(self, label: str, name: str, *, special: bool = False) -> QPushButton:
        button = QPushButton(label, self.card)
        button.setObjectName(name)
        button.setProperty("kind", "pin")
        button.setProperty("special", "true" if special else "false")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        if name == "pin_ok":
            button.clicked.connect(self._submit)
        elif name == "pin_clear":
            button.clicked.connect(self.clear)
        else:
            button.clicked.connect(lambda _=False, d=label: self._add(d))
        self.keys[name] = button
        return button

    def show_view(self, view: PinGateView) -> None:
        self.title.setText(view.title)
        self.message.setText(view.message)
        self.message.setProperty("alert", "true" if view.alert else "false")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.keys["pin_ok"].setText(view.ok)
        self.keys["pin_clear"].setText(view.clear)
        self.cancel.setText(view.cancel)
        for name, button in self.keys.items():
            digit = name.removeprefix("pin_")
            button.setAccessibleName(
                view.digit_name.format(n=digit) if digit.isdigit() else button.text()
            )
        self.cancel.setAccessibleName(view.cancel)
        self.display.setAccessibleName(view.display_name)
        for button in self.keys.values():
            button.setEnabled(not view.locked)
        if view.locked:
            self.clear()

    def apply_metrics(self, unit: float) -> None:
        gap = metric(14, unit)
        self._pad.setSpacing(gap)
        self._card_layout.setSpacing(gap)
        side = metric(36, unit)
        self._card_layout.setContentsMargins(side, side, side, side)
        self.card.setMinimumWidth(metric(420, unit))
        self.message.setMaximumWidth(metric(460, unit))

    @property
    def digits(self) -> str:
        return self._digits

    def clear(self) -> None:
        self._digits = ""
        self._show_digits()

    def _add(self, digit: str) -> None:
        if len(self._digits) < MAX_DIGITS:
            self._digits += digit
            self._show_digits()

    def _submit(self) -> None:
        if self._digits:
            pin, self._digits = self._digits, ""
            self._show_digits()
            self.pin_entered.emit(pin)

    def _show_digits(self) -> None:
        self.display.setText("●" * len(self._digits) if self._digits else "–")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        locked = not self.keys["pin_ok"].isEnabled()
        if Qt.Key.Key_0 <= key <= Qt.Key.Key_9 and not locked:
            self._add(str(key - Qt.Key.Key_0))
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not locked:
            self._submit()
        elif key == Qt.Key.Key_Backspace:
            self._digits = self._digits[:-1]
            self._show_digits()
        elif key == Qt.Key.Key_Escape:
            self.cancelled.emit()
        else:
            super().keyPressEvent(event)


def format_wait(seconds: int) -> str:
    minutes, secs = divmod(max(0, seconds), 60)
    return f"{minutes}:{secs:02d}"


class PinGateController(QObject):
    """Drives the gate: create a PIN (twice) if none is set, else check it, with the lockout."""

    unlocked = Signal()
    cancelled = Signal()

    def __init__(
        self,
        *,
        gate: PinGate,
        guard: PinGuard,
        language: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(gate)
        self.gate = gate
        self.guard = guard
        self.clock = clock
        self.texts = Texts(language)
        self.mode = GateMode.ENTER
        self._first_pin = ""
        self._locked_until: datetime | None = None
        self.countdown = QTimer(self)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self._tick)
        gate.pin_entered.connect(self._pin_entered)
        gate.cancelled.connect(self._cancel)

    def open(self) -> None:
        self._first_pin = ""
        self.gate.clear()
        if not self.guard.pin_is_set:
            self._show(
                GateMode.CREATE,
                self.texts.gettext("Choose 4 to 8 digits. You will need them to leave the survey."),
            )
            return
        status = self.guard.status()
        if status.locked_until is not None:
            self._lock(status.locked_until)
        else:
            self._show(GateMode.ENTER, self.texts.gettext("Enter your 4 to 8 digit PIN"))

    def stop(self) -> None:
        self.countdown.stop()

    def _show(self, mode: GateMode, message: str, *, alert: bool = False) -> None:
        self.mode = mode
        tr = self.texts
        titles = {
            GateMode.ENTER: tr.gettext("Manager PIN"),
            GateMode.LOCKED: tr.gettext("Manager PIN"),
            GateMode.CREATE: tr.gettext("Create a manager PIN"),
            GateMode.CONFIRM: tr.gettext("Enter the new PIN again"),
        }
        self.gate.show_view(
            PinGateView(
                title=titles[mode],
                message=message,
                alert=alert,
                locked=mode is GateMode.LOCKED,
                ok=self.texts.gettext("OK"),
                clear=self.texts.gettext("Clear"),
                cancel=self.texts.gettext("Cancel"),
                digit_name=self.texts.gettext("Digit {n}"),
                display_name=self.texts.gettext("PIN entered"),
            )
        )

    def _pin_entered(self, pin: str) -> None:
        if self.mode is GateMode.CREATE:
            try:
                check_format(pin)
            except PinError:
                self._show(
                    GateMode.CREATE, self.texts.gettext("A PIN is 4 to 8 digits."), alert=True
                )
                return
            self._first_pin = pin
            self._show(
                GateMode.CONFIRM,
                self.texts.gettext("Choose 4 to 8 digits. You will need them to leave the survey."),
            )
        elif self.mode is GateMode.CONFIRM:
            if pin != self._first_pin:
                self._first_pin = ""
                self._show(
                    GateMode.CREATE,
                    self.texts.gettext("The two PINs did not match. Start again."),
                    alert=True,
                )
                return
            self.guard.set_pin(pin)
            self._first_pin = ""
            self.unlocked.emit()
        elif self.mode is GateMode.ENTER:
            result = self.guard.attempt(pin)
            if result.ok:
                self.unlocked.emit()
            elif result.locked_until is not None:
                self._lock(result.locked_until)
            else:
                self._show(
                    GateMode.ENTER,
                    self.texts.ngettext(
                        "Wrong PIN. {n} try left before the keypad locks.",
                        "Wrong PIN. {n} tries left before the keypad locks.",
                        result.tries_left,
                    ),
                    alert=True,
                )

    def _lock(self, until: datetime) -> None:
        self._locked_until = until
        self._tick()
        self.countdown.start()

    def remaining_s(self) -> int:
        if self._locked_until is None:
            return 0
        return max(0, int((self._locked_until - self.clock()).total_seconds() + 0.999))

    def _tick(self) -> None:
        left = self.remaining_s()
        if left <= 0:
            # The countdown runs on the wall clock; the guard's lock does not (setting the
            # clock forward must not open the gate), so ask it before offering the keypad.
            status = self.guard.status()
            if status.locked_until is not None:
                self._locked_until = status.locked_until
                left = max(1, self.remaining_s())
                self._show(
                    GateMode.LOCKED,
                    self.texts.gettext(
                        "Too many wrong tries. Try again in {time}.", time=format_wait(left)
                    ),
                    alert=True,
                )
                return
            self.countdown.stop()
            self._locked_until = None
            self._show(GateMode.ENTER, self.texts.gettext("Enter your 4 to 8 digit PIN"))
            return
        self._show(
            GateMode.LOCKED,
            self.texts.gettext(
                "Too many wrong tries. Try again in {time}.", time=format_wait(left)
            ),
            alert=True,
        )

    def _cancel(self) -> None:
        self.countdown.stop()
        self._first_pin = ""
        self.cancelled.emit()
