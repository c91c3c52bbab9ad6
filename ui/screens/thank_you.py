"""The thank-you screen. Any tap or key finishes it early."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

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
    # Promoters only: the store's "review us" link (setting review_url) as a second QR code.
    review_url: str | None = None
    review_caption: str = ""


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
        # The QR codes sit side by side in one row (phone link left, review link right), so
        # both fit below the subtitle when both are on; each code above its caption, top-aligned,
        # so that the codes line up however many lines their captions wrap to.
        self._qr_row = QHBoxLayout()
        self.qr_box, self._qr_layout, self.qr_caption = self._qr_column("thank_you_qr")
        self.review_box, self._review_layout, self.review_caption = self._qr_column(
            "thank_you_review"
        )
        # Made on first use: the qrcode library costs nothing until then.
        self.qr: QrCodeWidget | None = None
        self.review_qr: QrCodeWidget | None = None
        self._qr_row.addStretch(1)
        self._qr_row.addWidget(self.qr_box, 0, Qt.AlignmentFlag.AlignTop)
        self._qr_row.addWidget(self.review_box, 0, Qt.AlignmentFlag.AlignTop)
        self._qr_row.addStretch(1)
        self._outer.addLayout(self._qr_row)
        self._outer.addStretch(4)
        self._outer.addWidget(self.hint)
        self.apply_metrics(1.0)

    def _qr_column(self, name: str) -> tuple[QWidget, QVBoxLayout, QLabel]:
        box = QWidget(self)
        box.setObjectName(f"{name}_box")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        caption = QLabel(box)
        caption.setObjectName(f"{name}_caption")
        caption.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        caption.setWordWrap(True)
        caption.setMinimumWidth(240)
        caption.setMaximumWidth(320)
        layout.addWidget(caption)
        box.hide()
        return box, layout, caption

    def _qr_widget(self, box: QWidget, layout: QVBoxLayout, name: str) -> QrCodeWidget:
        from ui.poster import QrCodeWidget

        qr = QrCodeWidget(box, minimum=150)
        qr.setFixedSize(150, 150)  # the caption right below it, whatever the column width
        qr.setObjectName(name)
        layout.insertWidget(0, qr, 0, Qt.AlignmentFlag.AlignHCenter)  # above its caption
        return qr

    def show_view(self, view: ThankYouView) -> None:
        self.header.show_store(store_name=view.store_name, languages=(), language="")
        self.title.setText(view.title)
        self.subtitle.setText(view.subtitle)
        self.hint.setText(view.hint)
        if view.qr_url:
            if self.qr is None:
                self.qr = self._qr_widget(self.qr_box, self._qr_layout, "thank_you_qr")
            self.qr.set_text(view.qr_url)
            self.qr_caption.setText(view.qr_caption)
        self.qr_box.setVisible(bool(view.qr_url))
        if view.review_url:
            if self.review_qr is None:
                self.review_qr = self._qr_widget(
                    self.review_box, self._review_layout, "thank_you_review_qr"
                )
            self.review_qr.set_text(view.review_url)
            self.review_caption.setText(view.review_caption)
        elif self.review_qr is not None:
            self.review_qr.set_text(None)  # the last promoter's link is not kept on screen
        self.review_box.setVisible(bool(view.review_url))

    def apply_metrics(self, unit: float) -> None:
        margin = metric(40, unit)
        self._outer.setContentsMargins(margin, metric(24, unit), margin, metric(24, unit))
        self._outer.setSpacing(metric(18, unit))
        self.mark.set_side(metric(136, unit))
        self._qr_row.setSpacing(metric(48, unit))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.dismissed.emit()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().keyPressEvent(event)
            return
        self.dismissed.emit()
        event.accept()
