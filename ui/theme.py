"""The look: bundled Noto fonts (Latin and the Indian scripts) and assets/style.qss scaled to the
window."""

from __future__ import annotations

from functools import cache
from string import Template

from PySide6.QtCore import QLoggingCategory
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from core.assets import assets_dir

FONT_FILES = (
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansDevanagari-Bold.ttf",
    "NotoSansTamil-Regular.ttf",
    "NotoSansTamil-Bold.ttf",
    "NotoSansBengali-Regular.ttf",
    "NotoSansBengali-Bold.ttf",
    "NotoSansTelugu-Regular.ttf",
    "NotoSansTelugu-Bold.ttf",
)
# The family that draws each script of the customer's languages (core.survey_texts.SCRIPTS).
SCRIPT_FAMILIES = {
    "latin": "Noto Sans",
    "devanagari": "Noto Sans Devanagari",
    "tamil": "Noto Sans Tamil",
    "bengali": "Noto Sans Bengali",
    "telugu": "Noto Sans Telugu",
}
# Latin first, then the Indian scripts: Qt falls back along this list glyph by glyph.
FAMILIES = list(SCRIPT_FAMILIES.values())

COLOURS = {
    "bg": "#F4F3EF",
    "card": "#FFFFFF",
    "card_soft": "#FAFAF8",
    "ink": "#1E2330",
    "muted": "#646B7A",
    "line": "#DCDDE2",
    "line_strong": "#82889A",  # 3:1 on every surface: a checkbox border shows the control
    "accent": "#2F5BD3",
    "accent_dark": "#1F44A8",
    "accent_soft": "#E6ECFB",
    "kb_bg": "#E7E7EC",
    "key_special": "#D5D7DE",
    "danger": "#B3261E",
    "notice_bg": "#FFF4D6",
    "notice_line": "#E9CF86",
    "notice_ink": "#5C4400",
}


def _font_files(scripts: set[str] | None) -> list[str]:
    """The bundled font files for these scripts (Latin always), or every one (None)."""
    if scripts is None:
        return list(FONT_FILES)
    stems = {
        SCRIPT_FAMILIES[s].replace(" ", "") for s in {"latin", *scripts} if s in SCRIPT_FAMILIES
    }
    return [name for name in FONT_FILES if name.rsplit("-", 1)[0] in stems]


_registered: set[str] = set()


def load_fonts(app: QApplication, *, scripts: set[str] | None = None) -> list[str]:
    """Register the bundled fonts and make them the application font; returns the families.

    ``scripts``: register only those scripts' fonts (and Latin) now, e.g. the languages the
    first frame shows; ``load_remaining_fonts`` registers the others after it."""
    # Qt asks Noto Sans (Latin) first for every Devanagari (Tamil, ...) run, warns that it lacks
    # the script, then falls back to that script's family as intended: a warning per label.
    QLoggingCategory.setFilterRules("qt.text.font.db=false")
    found = _register(_font_files(scripts))
    font = QFont()
    font.setFamilies(FAMILIES)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    return found


def load_remaining_fonts() -> list[str]:
    """Register the bundled fonts that ``load_fonts(scripts=...)`` left out."""
    return _register(list(FONT_FILES))


def _register(names: list[str]) -> list[str]:
    found: list[str] = []
    fonts = assets_dir() / "fonts"
    for name in names:
        if name in _registered:
            continue
        font_id = QFontDatabase.addApplicationFont(str(fonts / name))
        if font_id >= 0:
            _registered.add(name)
            found += QFontDatabase.applicationFontFamilies(font_id)
    return sorted(set(found))


@cache
def _template() -> Template:
    return Template((assets_dir() / "style.qss").read_text("utf-8"))


def scale_for(width: int, height: int) -> float:
    """One size unit for the window: 1.0 at 1280x800 (or 800x1280), smaller on a 1024x600
    tablet, larger on a 1920x1080 screen."""
    unit = min(max(width, height) / 1280, min(width, height) / 800)
    return round(max(0.55, min(unit, 1.8)), 2)


def tokens(unit: float) -> dict[str, str]:
    def px(value: float) -> str:
        return f"{max(1, round(value * unit))}px"

    sizes = {
        "fs_body": 20,
        "fs_small": 16,
        "fs_title": 34,
        "fs_h2": 28,
        "fs_hero": 56,
        "fs_store": 22,
        "fs_score": 40,
        "fs_key": 22,
        "fs_button": 22,
        "brand": 28,
        "brand_radius": 8,
        "pill_radius": 22,
        "pill_pad_v": 6,
        "pill_pad_h": 18,
        "pill_h": 36,  # 48 px and more with its padding and border: a touch target
        "tile_radius": 18,
        "tile_h": 96,
        "tile_max_h": 150,
        "tile_w": 40,
        "chip_pad_v": 8,
        "chip_pad_h": 20,
        "chip_h": 36,
        "radius": 14,
        "card_radius": 24,
        "field_pad": 10,
        "field_h": 34,
        "check": 28,
        "tap": 48,  # the least height of any control a finger must hit
        "check_radius": 7,
        "gap": 12,
        "key_radius": 8,
        "key_h": 46,
        "key_w": 30,
        "btn_pad_v": 10,
        "btn_pad_h": 28,
        "btn_h": 44,
        "btn_w": 140,
        "pin_key": 72,
        "pin_key_w": 96,
    }
    out = {name: px(value) for name, value in sizes.items()}
    out.update(COLOURS)
    out["check_icon"] = (assets_dir() / "icons" / "check.svg").as_posix()
    return out


def stylesheet(unit: float) -> str:
    return _template().safe_substitute(tokens(unit))


def metric(value: float, unit: float) -> int:
    """A layout spacing or margin in pixels for this window's unit."""
    return max(1, round(value * unit))
