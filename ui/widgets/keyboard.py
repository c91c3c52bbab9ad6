"""An on-screen keyboard for the comment and contact fields: QWERTY with digits and the symbols
of an e-mail address, and for each Indian script of the customer's languages an InScript layout
(Devanagari for Hindi and Marathi, Tamil, Bengali, Telugu), the Latin layout one tap away.

It never takes the focus, so the text field being typed into keeps its cursor; it only says
what was pressed (``text_typed``, ``backspace_pressed``)."""

from __future__ import annotations

import unicodedata
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

Rows = tuple[tuple[str, ...], ...]

# InScript (the Indian standard layout, IS 13194), Devanagari: each row is a row of a PC
# keyboard from its left, the number row with digits, then Q…], A…', Z…/; Shift gives the
# second set. A typist who knows InScript finds every letter where the fingers expect it.
INSCRIPT_DEVANAGARI: Rows = (
    ("ॊ", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-", "ृ"),
    ("ौ", "ै", "ा", "ी", "ू", "ब", "ह", "ग", "द", "ज", "ड", "़", "ॉ"),
    ("ो", "े", "्", "ि", "ु", "प", "र", "क", "त", "च", "ट"),
    ("ॆ", "ं", "म", "न", "व", "ल", "स", ",", ".", "य"),
)
INSCRIPT_DEVANAGARI_SHIFT: Rows = (
    ("ऒ", "ऍ", "ॅ", "्र", "र्", "ज्ञ", "त्र", "क्ष", "श्र", "(", ")", "ः", "ऋ"),
    ("औ", "ऐ", "आ", "ई", "ऊ", "भ", "ङ", "घ", "ध", "झ", "ढ", "ञ", "ऑ"),
    ("ओ", "ए", "अ", "इ", "उ", "फ", "ऱ", "ख", "थ", "छ", "ठ"),
    ("ऎ", "ँ", "ण", "ऩ", "ऴ", "ळ", "श", "ष", "।", "य़"),
)
# InScript puts every Indian script on the same keys: the Unicode blocks keep ISCII's order,
# so a Tamil, Bengali or Telugu letter sits where its Devanagari counterpart sits, at a fixed
# distance in the code chart. Letters a script does not have leave their key out.
_OFFSET = {"tamil": 0x0B80 - 0x0900, "bengali": 0x0980 - 0x0900, "telugu": 0x0C00 - 0x0900}
# Beyond the shared keys: Bengali's khanda ta (ৎ), typed on its own in everyday words.
_EXTRA_SHIFT = {"bengali": "ৎ"}
# Marks Qt's Noto fonts of 2020 do not draw (Telugu's nukta is from Unicode 14).
_LEAVE_OUT = {"telugu": {"\u0c3c"}}
# The dandas are shared by Devanagari and Bengali; Tamil and Telugu end a sentence with ".".
_SHARED = {"।": {"bengali"}}


def _in_script(key: str, script: str) -> str | None:
    if key in _SHARED:
        return key if script in _SHARED[key] else None
    out = []
    for char in key:
        if "\u0900" <= char <= "\u097f":
            char = chr(ord(char) + _OFFSET[script])
            if not unicodedata.name(char, "") or char in _LEAVE_OUT.get(script, ()):
                return None
        out.append(char)
    return "".join(out)


def _derive(rows: Rows, script: str, extra: str = "") -> Rows:
    derived = [tuple(k for key in row if (k := _in_script(key, script))) for row in rows]
    if extra:
        derived[-1] += (extra,)
    return tuple(derived)


# script -> (the keys, the keys with Shift)
INSCRIPT: dict[str, tuple[Rows, Rows]] = {
    "devanagari": (INSCRIPT_DEVANAGARI, INSCRIPT_DEVANAGARI_SHIFT),
    **{
        script: (
            _derive(INSCRIPT_DEVANAGARI, script),
            _derive(INSCRIPT_DEVANAGARI_SHIFT, script, _EXTRA_SHIFT.get(script, "")),
        )
        for script in _OFFSET
    },
}
# What the layout key shows: the first two vowels of the script, "ABC" for Latin.
SWITCH_LABELS = {
    "latin": "ABC",
    "devanagari": "अ आ",
    "tamil": "அ ஆ",
    "bengali": "অ আ",
    "telugu": "అ ఆ",
}
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
    char_keys: list[QPushButton] = field(default_factory=list)
    letter_keys: list[QPushButton] = field(default_factory=list)  # Latin: case follows Shift


class OnScreenKeyboard(QWidget):
    """Each variant (layout, Shift, which script is on offer, labels) is built once and kept:
    building some fifty buttons per customer leaked memory and cost 15-25 ms a tap."""

    text_typed = Signal(str)
    backspace_pressed = Signal()
    layout_switched = Signal(str)  # "latin" or the script: "devanagari", "tamil", ...

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
        self._script = "latin"  # the customer's script, offered beside Latin
        self._shift = False
        self._labels = {"space": "space", "backspace": "Delete", "shift": "Shift"}
        self._show_page()

    # -- what the screen tells it ------------------------------------------------------------
    def set_labels(self, *, space: str, backspace: str, shift: str) -> None:
        self._labels = {"space": space, "backspace": backspace, "shift": shift}
        self._show_page()

    def set_script(self, script: str) -> None:
        """Start in the customer's script ("latin" offers Latin alone)."""
        self._script = script if script in INSCRIPT else "latin"
        self._layout_name = self._script
        self._shift = False
        self._show_page()

    def set_spacing(self, gap: int) -> None:
        self._gap = gap
        for page in self._pages.values():
            self._space(page.grid)

    @property
    def layout_name(self) -> str:
        return self._layout_name

    def widest_row(self) -> int:
        """The most keys in one row of any layout this customer can switch to (Latin and the
        script, with and without Shift): the screen gives a long-rowed keyboard more width."""
        layouts: list[Rows] = [tuple(tuple(row) for row in LATIN_ROWS)]
        if self._script != "latin":
            layouts += INSCRIPT[self._script]
        return max(len(row) for rows in layouts for row in rows)

    def key(self, name: str) -> QPushButton | None:
        assert self._page is not None
        return self._page.widget.findChild(QPushButton, f"key_{name}")

    def keys(self) -> list[str]:
        """The characters of the keys on show (for tests and the glyph check)."""
        assert self._page is not None
        return [b.text() for b in self._page.char_keys]

    # -- building ----------------------------------------------------------------------------
    def _show_page(self) -> None:
        native = self._layout_name != "latin"
        spec = (
            self._layout_name,
            native and self._shift,  # Latin changes case in place; a script has a Shift page
            self._script,
            tuple(sorted(self._labels.items())),
        )
        page = self._pages.get(spec)
        if page is None:
            page = self._build(shifted=native and self._shift)
            self._pages[spec] = page
            self._stack.addWidget(page.widget)
        self._page = page
        self._stack.setCurrentWidget(page.widget)
        shift = self.key("shift")
        if shift is not None and shift.isChecked() != self._shift:
            shift.blockSignals(True)
            shift.setChecked(self._shift)
            shift.blockSignals(False)
        for button in page.letter_keys:
            text = button.text()
            button.setText(text.upper() if self._shift else text.lower())

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
        # Typed as it shows: a Latin letter's case follows Shift (see _typed).
        button.clicked.connect(lambda _=False, c=char: self._typed(c))
        return button

    def _build(self, *, shifted: bool) -> _Page:
        widget = QWidget(self)
        grid = QGridLayout(widget)
        self._space(grid)
        page = _Page(widget=widget, grid=grid)
        if self._layout_name == "latin":
            rows: Rows = tuple(tuple(row) for row in LATIN_ROWS)
        else:
            rows = INSCRIPT[self._layout_name][1 if shifted else 0]
        cols = max(len(r) for r in rows) * 2  # two grid columns per key: rows can be offset
        for r, row in enumerate(rows):
            offset = (cols - 2 * len(row)) // 2
            for c, char in enumerate(row):
                button = self._char_key(widget, char)
                page.char_keys.append(button)
                if char.isalpha() and char.isascii():
                    page.letter_keys.append(button)
                grid.addWidget(button, r, offset + 2 * c, 1, 2)
        bottom = len(rows)
        shift = self._button(widget, self._labels["shift"], "shift", special=True)
        shift.setCheckable(True)
        shift.toggled.connect(self._set_shift)
        grid.addWidget(shift, bottom, 0, 1, 3)
        col = 3
        if self._script != "latin":
            other = "latin" if self._layout_name != "latin" else self._script
            switch = self._button(widget, SWITCH_LABELS[other], "layout", special=True)
            switch.clicked.connect(self._switch_layout)
            grid.addWidget(switch, bottom, col, 1, 3)
            col += 3
        extras = LATIN_EXTRA if self._layout_name == "latin" else ()
        for char in extras:
            button = self._char_key(widget, char)
            page.char_keys.append(button)
            grid.addWidget(button, bottom, col, 1, 2)
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
        self.text_typed.emit(char)
        if self._shift and char != " ":
            self._set_shift(False)  # one letter, as on a phone's keyboard

    def _set_shift(self, on: bool) -> None:
        if on != self._shift:
            self._shift = on
            self._show_page()

    def _switch_layout(self) -> None:
        self._layout_name = "latin" if self._layout_name != "latin" else self._script
        self._shift = False
        self._show_page()
        self.layout_switched.emit(self._layout_name)
