"""The thank-you screen. Any tap or key finishes it early."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ui.theme import COLOURS, metric
from ui.widgets.header import Header

if TYPE_CHECKING:
    from ui.poster import QrCodeWidget


@dataclass(frozen=True)
class ThankYouView:
    store_name: str
    title: str
    subtitle: str
    hint: str
    qr_url: str | None = None  # the optional small QR code: answer more on a phone
    qr_caption: str = ""


class CheckMark(QWidget):
    """A round accent badge with a tick, drawn (no image file, crisp at any size)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._side = 120
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_side(self, side: int) -> None:
        self._side = side
        self.setFixedSize(side, side)

    def sizeHint(self) -> QSize:
        return QSize(self._side, self._side)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = float(min(self.width(), self.height()))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(COLOURS["accent_soft"]))
        p.drawEllipse(QRectF(0, 0, s, s))
        p.setBrush(QColor(COLOURS["accent"]))
        inset = s * 0.12
        p.drawEllipse(QRectF(inset, inset, s - 2 * inset, s - 2 * inset))
        pen = QPen(QColor("white"), s * 0.08)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        tick = QPainterPath(QPointF(s * 0.32, s * 0.52))
        tick.lineTo(s * 0.45, s * 0.65)
        tick.lineTo(s * 0.69, s * 0.38)
        p.drawPath(tick)
        p.end()


class ThankYouScreen(QWidget):
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ThankYouScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.header = Header(self, with_languages=False)
        self.mark = CheckMark(self)
        self.title = QLabel(self)
        self.title.setObjectName("thank_you")
        self.subtitle = QLabel(self)
        self.subtitle.setObjectName("thank_you_sub")
        self.hint = QLabel(self)
        self.hint.setObjectName("tap_to_continue")
        for label in (self.title, self.subtitle, self.hint):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        self._outer = QVBoxLayout(self)
        self._outer.addWidget(self.header)
        self._outer.addStretch(3)
        self._outer.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignHCenter)
        self._outer.addWidget(self.title)
        self._outer.addWidget(self.subtitle)
        self.qr_box = QWidget(self)
        self.qr_box.setObjectName("thank_you_qr_box")
        self._qr_layout = QVBoxLayout(self.qr_box)
        self._qr_layout.setContentsMargins(0, 0, 0, 0)
        self.qr_caption = QLabel(self.qr_box)
        self.qr_caption.setObjectName("thank_you_qr_caption")
        self.qr_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._qr_layout.addWidget(self.qr_caption)
        # Made on first use: the qrcode library costs nothing until then.
        self.qr: QrCodeWidget | None = None
        self.qr_box.hide()
        self._outer.addWidget(self.qr_box, 0, Qt.AlignmentFlag.AlignHCenter)
        self._outer.addStretch(4)
        self._outer.addWidget(self.hint)
        self.apply_metrics(1.0)

    def show_view(self, view: ThankYouView) -> None:
        self.header.show_store(store_name=view.store_name, languages=(), language="")
        self.title.setText(view.title)
        self.subtitle.setText(view.subtitle)
        self.hint.setText(view.hint)
        if view.qr_url:
            if self.qr is None:
                from ui.poster import QrCodeWidget

                self.qr = QrCodeWidget(self.qr_box, minimum=150)
                self.qr.setObjectName("thank_you_qr")
                self._qr_layout.addWidget(self.qr)
            self.qr.set_text(view.qr_url)
            self.qr_caption.setText(view.qr_caption)
        self.qr_box.setVisible(bool(view.qr_url))

    def apply_metrics(self, unit: float) -> None:
        margin = metric(40, unit)
        self._outer.setContentsMargins(margin, metric(24, unit), margin, metric(24, unit))
        self._outer.setSpacing(metric(18, unit))
        self.mark.set_side(metric(136, unit))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.dismissed.emit()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().keyPressEvent(event)
            return
        self.dismissed.emit()
        event.accept()
