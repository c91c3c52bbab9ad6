"""Small building blocks of the admin tabs: cards, labels, the category bar, NPS text."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from PySide6.QtCore import QDate, QLocale, QRectF, Qt
from PySide6.QtGui import QFont, QPainter, QPainterPath
from PySide6.QtWidgets import QDateEdit, QFrame, QLabel, QLayout, QVBoxLayout, QWidget

from core.nps import NpsResult, signed
from kiosk.localtime import to_local, zone, zone_label
from ui.admin import style, texts
from ui.admin.texts import _

# The QLocale of each admin language: month and day names in the manager's language (Qt's
# Hindi keeps Latin digits, as the rest of the view does).
QT_LOCALES = {"en": "en_IN", "hi": "hi_IN"}
DATE_EDIT_FORMAT = "d MMM yyyy"


def label(text: str = "", role: str | None = None, *, wrap: bool = False) -> QLabel:
    widget = QLabel(text)
    if role:
        widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    return widget


def clear_layout(layout: QLayout) -> None:
    """Take every item out of the layout, deleting its widgets, nested layouts' included."""
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget, inner = item.widget(), item.layout()
        if widget is not None:
            widget.deleteLater()
        elif inner is not None:
            clear_layout(inner)


def admin_locale() -> QLocale:
    """The QLocale of the manager's language (the setting admin_language)."""
    return QLocale(QT_LOCALES.get(texts.language(), "en_IN"))


def date_edit(day: date) -> QDateEdit:
    """A day picker with a calendar popup whose month and day names, and the field's own month,
    are in the manager's language."""
    edit = QDateEdit()
    locale = admin_locale()
    edit.setLocale(locale)
    edit.setCalendarPopup(True)
    edit.calendarWidget().setLocale(locale)
    edit.setDisplayFormat(DATE_EDIT_FORMAT)
    edit.setDate(QDate(day.year, day.month, day.day))
    return edit


def names_in_language(when: date | datetime, fmt: str) -> str:
    """``when.strftime(fmt)`` with the month and weekday names (%b %B %a %A) in the manager's
    language rather than the C library's English."""
    locale = admin_locale()
    short, full = QLocale.FormatType.ShortFormat, QLocale.FormatType.LongFormat
    names = {
        "%b": locale.monthName(when.month, short),
        "%B": locale.monthName(when.month, full),
        "%a": locale.dayName(when.isoweekday(), short),
        "%A": locale.dayName(when.isoweekday(), full),
    }
    for code, name in names.items():
        fmt = fmt.replace(code, name.replace("%", "%%"))
    return when.strftime(fmt)


def picked_day(edit: QDateEdit) -> date:
    # QDate.toPython() returns a datetime.date; PySide6's stubs type it as object.
    return cast(date, edit.date().toPython())


def card(*, margins: int = 18, spacing: int = 6) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setProperty("role", "card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(margins, margins - 2, margins, margins - 2)
    layout.setSpacing(spacing)
    return frame, layout


def nps_text(result: NpsResult) -> str:
    return "—" if result.nps is None else signed(result.nps)


def interval_text(result: NpsResult) -> str:
    if result.nps is None:
        return _("no answers yet")
    return _("95%: {low} to {high}", low=signed(result.ci_low), high=signed(result.ci_high))


def count(n: int) -> str:
    return f"{n:,}"


def local_time(at: datetime, fmt: str = "%d %b %Y, %H:%M", *, time_zone: str) -> str:
    """A stored UTC time as the store's wall-clock time with its zone ("30 Nov 2026, 14:05
    IST"): the store's zone, not the machine's."""
    tz = zone(time_zone)
    return f"{names_in_language(to_local(at, tz), fmt)} {zone_label(at, tz)}"


def set_prop(widget: QWidget, name: str, value: object) -> None:
    """Set a dynamic property and re-apply the style sheet rules that depend on it."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class CategoryBar(QWidget):
    """Promoters / passives / detractors as one 100% stacked bar with their shares."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shares: tuple[float, float, float] | None = None  # detractor, passive, promoter
        self.setMinimumHeight(40)

    def set_result(self, result: NpsResult) -> None:
        if result.n == 0:
            self.shares = None
        else:
            self.shares = (
                result.detractors / result.n,
                result.passives / result.n,
                result.promoters / result.n,
            )
        self.update()

    def paintEvent(self, _event: object) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, self.width(), self.height())
        if self.shares is None:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(style.qcolor(style.LINE))
            p.drawRoundedRect(rect, 8, 8)
            return
        font = QFont(self.font())
        font.setPixelSize(14)
        font.setBold(True)
        p.setFont(font)
        x = 0.0
        colours = (style.DETRACTOR, style.PASSIVE, style.PROMOTER)
        clip = QPainterPath()
        clip.addRoundedRect(rect, 8, 8)
        p.setClipPath(clip)
        for share, colour in zip(self.shares, colours, strict=True):
            w = share * rect.width()
            if w <= 0:
                continue
            seg = QRectF(x, 0, w, rect.height())
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(style.qcolor(colour))
            p.drawRect(seg)
            if w > 44:
                p.setPen(style.qcolor("#FFFFFF"))
                p.drawText(seg, Qt.AlignmentFlag.AlignCenter, f"{share * 100:.0f}%")
            x += w
        p.end()
