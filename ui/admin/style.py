"""The admin view's look: the kiosk's light palette (ui/theme.py), calm colours per category."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor

# Shipped next to this module (PyInstaller: add ui/admin/*.svg to the bundle's datas).
CHEVRON = (Path(__file__).resolve().parent / "chevron.svg").as_posix()

BG = "#F4F3EF"
CARD = "#FFFFFF"
INK = "#1E2330"
MUTED = "#646B7A"
LINE = "#DCDDE2"
ACCENT = "#2F5BD3"
ACCENT_SOFT = "#E6ECFB"
DANGER = "#B3261E"
WARN_BG = "#FFF4D6"
WARN_INK = "#5C4400"
OVERDUE_BG = "#FDECEA"

PROMOTER = "#2F9E6E"
PASSIVE = "#E2B245"
DETRACTOR = "#D9564A"
CATEGORY_COLOURS = {"promoter": PROMOTER, "passive": PASSIVE, "detractor": DETRACTOR}


def qcolor(hex_code: str, alpha: int = 255) -> QColor:
    colour = QColor(hex_code)
    colour.setAlpha(alpha)
    return colour


SHEET = f"""
#AdminView {{ background: {BG}; }}
#AdminView QWidget {{ color: {INK}; font-size: 15px; }}
#AdminView QLabel[role="muted"] {{ color: {MUTED}; }}
#AdminView QLabel[role="h1"] {{ font-size: 22px; font-weight: 700; }}
#AdminView QLabel[role="h2"] {{ font-size: 17px; font-weight: 700; }}
#AdminView QLabel[role="small"] {{ font-size: 13px; color: {MUTED}; }}
#AdminView QLabel[role="big"] {{ font-size: 46px; font-weight: 700; }}
#AdminView QLabel[role="mid"] {{ font-size: 30px; font-weight: 700; }}
#AdminView QLabel[role="badge"] {{
    background: {WARN_BG}; color: {WARN_INK}; border-radius: 9px; padding: 2px 9px;
    font-size: 12px; font-weight: 600;
}}
#AdminView QLabel[role="error"] {{ color: {DANGER}; }}
#AdminView QLabel[role="warning"] {{
    background: {WARN_BG}; color: {WARN_INK}; padding: 10px 20px; font-weight: 600;
    border-bottom: 1px solid {LINE};
}}
#AdminView QLabel[role="managed"] {{
    background: {ACCENT_SOFT}; color: {INK}; padding: 10px 14px; border-radius: 8px;
    font-weight: 600;
}}
#AdminView QLabel[role="ok"] {{ color: {PROMOTER}; font-weight: 600; }}
#AdminView #header {{ background: {CARD}; border-bottom: 1px solid {LINE}; }}
#AdminView QFrame[role="card"] {{
    background: {CARD}; border: 1px solid {LINE}; border-radius: 12px;
}}
#AdminView QFrame[role="card"] QLabel {{ background: transparent; border: none; }}
#AdminView QTabWidget::pane {{ border: none; background: {BG}; }}
#AdminView QTabBar::tab {{
    background: transparent; color: {MUTED}; padding: 10px 18px; margin-right: 4px;
    font-size: 15px; font-weight: 600; border-bottom: 3px solid transparent;
}}
#AdminView QTabBar::tab:selected {{ color: {ACCENT}; border-bottom: 3px solid {ACCENT}; }}
#AdminView QPushButton {{
    background: {CARD}; border: 1px solid {LINE}; border-radius: 8px; padding: 7px 14px;
    font-weight: 600; min-height: 22px;
}}
#AdminView QPushButton:hover {{ border-color: {ACCENT}; }}
#AdminView QPushButton:disabled {{ color: #A9ADB8; }}
#AdminView QPushButton[kind="primary"] {{
    background: {ACCENT}; color: white; border-color: {ACCENT};
}}
#AdminView QPushButton[kind="danger"] {{ color: {DANGER}; border-color: #E7B8B4; }}
#AdminView QPushButton[kind="danger"][armed="true"] {{
    background: {DANGER}; color: white; border-color: {DANGER};
}}
#AdminView QLineEdit, #AdminView QSpinBox, #AdminView QDoubleSpinBox, #AdminView QDateEdit,
#AdminView QComboBox, #AdminView QPlainTextEdit, #AdminView QTextEdit {{
    background: {CARD}; border: 1px solid {LINE}; border-radius: 7px; padding: 5px 8px;
    selection-background-color: {ACCENT_SOFT}; selection-color: {INK};
}}
#AdminView QLineEdit:disabled, #AdminView QSpinBox:disabled,
#AdminView QDoubleSpinBox:disabled, #AdminView QComboBox:disabled,
#AdminView QPlainTextEdit:disabled {{
    background: {BG}; color: {MUTED}; border-style: dashed;
}}
#AdminView QCheckBox:disabled {{ color: {MUTED}; }}
#AdminView QTableWidget {{
    background: {CARD}; border: 1px solid {LINE}; border-radius: 10px;
    gridline-color: transparent; alternate-background-color: #FAFAF8;
    selection-background-color: {ACCENT_SOFT}; selection-color: {INK};
}}
#AdminView QHeaderView::section {{
    background: {CARD}; color: {MUTED}; border: none; border-bottom: 1px solid {LINE};
    padding: 8px 6px; font-size: 13px; font-weight: 600;
}}
#AdminView QScrollArea {{ border: none; background: transparent; }}
#AdminView QScrollArea > QWidget > QWidget {{ background: transparent; }}
#AdminView QAbstractSpinBox::up-button, #AdminView QAbstractSpinBox::down-button {{
    width: 0; border: none;
}}
#AdminView QCheckBox {{ spacing: 8px; margin-right: 10px; }}
#AdminView QComboBox::drop-down, #AdminView QDateEdit::drop-down {{
    border: none; width: 26px; subcontrol-position: center right;
}}
#AdminView QComboBox::down-arrow, #AdminView QDateEdit::down-arrow {{
    image: url("{CHEVRON}"); width: 12px; height: 8px;
}}
#AdminView QProgressBar {{
    border: none; background: {ACCENT_SOFT}; border-radius: 2px; max-height: 4px;
}}
#AdminView QProgressBar::chunk {{ background: {ACCENT}; }}
"""
