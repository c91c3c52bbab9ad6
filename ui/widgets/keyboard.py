"""An on-screen keyboard for the comment and contact fields: QWERTY with digits and the symbols
of an e-mail address, and a Devanagari layout (vowels, consonants, matras) for Hindi.

It never takes the focus, so the text field being typed into keeps its cursor; it only says
what was pressed (``text_typed``, ``backspace_pressed``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGridLayout, QPushButton, QSizePolicy, QStackedLayout, QWidget

LATIN_ROWS = (
    "1234567890",
    "qwertyuiop",
    "asdfghjkl'",
    "zxcvbnm,.?",
)
LATIN_EXTRA = ("@", "-", "_", "+", "!")
DEVANAGARI_ROWS = (
    ("ा", "ि", "ी", "ु", "ू", "े", "ै", "ो", "ौ", "ं", "ँ", "्"),
    ("अ", "आ", "इ", "ई", "उ", "ऊ", "ए", "ऐ", "ओ", "औ", "ऋ", "़"),
    ("क", "ख", "ग", "घ", "च", "छ", "ज", "झ", "ञ", "ट", "ठ", "ड"),
    ("ढ", "ण", "त", "थ", "द", "ध", "न", "प", "फ", "ब", "भ", "म"),
    ("य", "र", "ल", "व", "श", "ष", "स", "ह", "क्ष", "त्र", "ज्ञ", "।"),
)
KEY_NAMES = {
    " ": "space",
    "'": "apostrophe",
    ",": "comma",
    ".": "dot",
    "?": "question",
    "@": "at",
    "-": "dash",
    "_": "underscore",
    "+": "plus",
    "!": "bang",
}


def backspace_icon(size: int, colour: str = "#1E2330") -> QIcon:
    """A backspace key symbol drawn with QPainter (the bundled font has no U+232B)."""
    pix = QPixmap(size * 2, size * 2)
    pix.setDevicePixelRatio(2.0)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(colour), max(1.5, size / 12))
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    s = float(size)
    path = QPainterPath(QPointF(s * 0.08, s * 0.5))
    for x, y in ((0.32, 0.2), (0.92, 0.2), (0.92, 0.8), (0.32, 0.8)):
        path.lineTo(s * x, s * y)
    path.closeSubpath()
    p.drawPath(path)
    p.drawLine(QPointF(s * 0.48, s * 0.36), QPointF(s * 0.76, s * 0.64))
    p.drawLine(QPointF(s * 0.76, s * 0.36), QPointF(s * 0.48, s * 0.64))
    p.end()
    return QIcon(pix)


@dataclass
class _Page:
    """One built keyboard: a layout with its bottom row and labels."""

    widget: QWidget
    grid: QGridLayout
    letter_keys: list[QPushButton] = field(default_factory=list)


class OnScreenKeyboard(QWidget):
    """Each variant (layout, whether Hindi is on offer, labels) is built once and kept: building
    some fifty buttons per customer leaked memory and cost 15-25 ms a tap."""

    text_typed = Signal(str)
    backspace_pressed = Signal()
    layout_switched = Signal(str)  # "latin" or "devanagari"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keyboard")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._stack = QStackedLayout(self)
        self._pages: dict[tuple[object, ...], _Page] = {}
        self._page: _Page | None = None
        self._gap = 6
        self._layout_name = "latin"
        self._hindi_available = False
        self._shift = False
        self._labels = {
            "space": "space",
            "backspace": "Delete",
            "to_hindi": "अ आ",
            "to_latin": "ABC",
            "shift": "Shift",
        }
        self._show_page()

    # -- what the screen tells it ------------------------------------------------------------
    def set_labels(
        self, *, space: str, backspace: str, to_hindi: str, to_latin: str, shift: str
    ) -> None:
        self._labels = {
            "space": space,
            "backspace": backspace,
            "to_hindi": to_hindi,
            "to_latin": to_latin,
            "shift": shift,
        }
        self._show_page()

    def set_hindi_available(self, available: bool, *, start_in_hindi: bool = False) -> None:
        self._hindi_available = available
        self._layout_name = "devanagari" if (available and start_in_hindi) else "latin"
        self._show_page()

    def set_spacing(self, gap: int) -> None:
        self._gap = gap
        for page in self._pages.values():
            self._space(page.grid)

    @property
    def layout_name(self) -> str:
        return self._layout_name

    def key(self, name: str) -> QPushButton | None:
        assert self._page is not None
        return self._page.widget.findChild(QPushButton, f"key_{name}")

    # -- building ----------------------------------------------------------------------------
    def _show_page(self) -> None:
        spec = (self._layout_name, self._hindi_available, tuple(sorted(self._labels.items())))
        page = self._pages.get(spec)
        if page is None:
            page = self._build()
            self._pages[spec] = page
            self._stack.addWidget(page.widget)
        self._page = page
        self._stack.setCurrentWidget(page.widget)
        self._set_shift(False)

    def _space(self, grid: QGridLayout) -> None:
        grid.setSpacing(self._gap)
        grid.setContentsMargins(self._gap, self._gap, self._gap, self._gap)

    def _button(
        self, parent: QWidget, label: str, name: str, *, special: bool = False
    ) -> QPushButton:
        button = QPushButton(label, parent)
        button.setObjectName(f"key_{name}")
        button.setAccessibleName(label or name)
        button.setProperty("kind", "key")
        button.setProperty("special", "true" if special else "false")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setAutoRepeat(name == "backspace")
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        return button

    def _char_key(self, parent: QWidget, char: str) -> QPushButton:
        button = self._button(parent, char, KEY_NAMES.get(char, char))
        button.clicked.connect(lambda _=False, c=char: self._typed(c))
        return button

    def _build(self) -> _Page:
        widget = QWidget(self)
        grid = QGridLayout(widget)
        self._space(grid)
        page = _Page(widget=widget, grid=grid)
        rows = DEVANAGARI_ROWS if self._layout_name == "devanagari" else LATIN_ROWS
        cols = max(len(r) for r in rows) * 2  # two grid columns per key: rows can be offset
        for r, row in enumerate(rows):
            offset = (cols - 2 * len(row)) // 2
            for c, char in enumerate(row):
                button = self._char_key(widget, char)
                if char.isalpha() and char.isascii():
                    page.letter_keys.append(button)
                grid.addWidget(button, r, offset + 2 * c, 1, 2)
        bottom = len(rows)
        col = 0
        if self._layout_name == "latin":
            shift = self._button(widget, self._labels["shift"], "shift", special=True)
            shift.setCheckable(True)
            shift.toggled.connect(self._set_shift)
            grid.addWidget(shift, bottom, col, 1, 3)
            col += 3
        if self._hindi_available:
            to_other = "to_latin" if self._layout_name == "devanagari" else "to_hindi"
            switch = self._button(widget, self._labels[to_other], "layout", special=True)
            switch.clicked.connect(self._switch_layout)
            grid.addWidget(switch, bottom, col, 1, 3)
            col += 3
        extras = LATIN_EXTRA if self._layout_name == "latin" else ()
        for char in extras:
            grid.addWidget(self._char_key(widget, char), bottom, col, 1, 2)
            col += 2
        back = self._button(widget, "", "backspace", special=True)
        back.setIcon(backspace_icon(22))
        back.setIconSize(QSize(26, 26))
        back.setToolTip(self._labels["backspace"])
        back.setAccessibleName(self._labels["backspace"])
        back.clicked.connect(self.backspace_pressed)
        space_span = max(4, cols - col - 3)
        space = self._button(widget, self._labels["space"], "space", special=True)
        space.clicked.connect(lambda: self._typed(" "))
        grid.addWidget(space, bottom, col, 1, space_span)
        grid.addWidget(back, bottom, col + space_span, 1, 3)
        return page

    def _typed(self, char: str) -> None:
        if self._shift and char.isalpha() and char.isascii():
            char = char.upper()
            self._set_shift(False)
        self.text_typed.emit(char)

    def _set_shift(self, on: bool) -> None:
        self._shift = on
        shift = self.key("shift")
        if shift is not None and shift.isChecked() != on:
            shift.setChecked(on)
        assert self._page is not None
        for button in self._page.letter_keys:
            text = button.text()
            button.setText(text.upper() if on else text.lower())

    def _switch_layout(self) -> None:
        self._layout_name = "latin" if self._layout_name == "devanagari" else "devanagari"
        self._show_page()
        self.layout_switched.emit(self._layout_name)
