"""QR codes drawn as vectors, and the printed poster (PNG, SVG or PDF, A4 portrait).

The code is painted module by module with QPainter, so it is sharp at any size: on screen
(QrCodeWidget), in a PNG at 300 dpi, in an SVG (QSvgGenerator) and in a PDF (QPdfWriter).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import qrcode
from PySide6.QtCore import QMarginsF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPainterPath,
    QPdfWriter,
)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QSizePolicy, QWidget

INK = QColor("#1E2330")
MUTED = QColor("#646B7A")
ACCENT = QColor("#2F5BD3")
PAPER = QColor("#FFFFFF")
A4_MM = (210.0, 297.0)


def qr_matrix(text: str, *, border: int = 0) -> list[list[bool]]:
    """The QR code of ``text`` (error correction M: survives smudges and glare) as rows."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    qr.add_data(text)
    qr.make(fit=True)
    return [[bool(cell) for cell in row] for row in qr.get_matrix()]


def paint_qr(
    painter: QPainter,
    rect: QRectF,
    matrix: list[list[bool]],
    *,
    colour: QColor = INK,
    quiet: int = 4,
) -> None:
    """Paint the code into the square ``rect`` with a quiet zone of ``quiet`` modules."""
    n = len(matrix)
    side = min(rect.width(), rect.height())
    module = side / (n + 2 * quiet)
    x0 = rect.x() + (rect.width() - side) / 2 + quiet * module
    y0 = rect.y() + (rect.height() - side) / 2 + quiet * module
    path = QPainterPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < n:  # merge runs of dark modules: fewer shapes, no hairline gaps
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                path.addRect(
                    QRectF(x0 + start * module, y0 + r * module, (c - start) * module, module)
                )
            else:
                c += 1
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(PAPER)
    painter.drawRect(
        QRectF(
            rect.x() + (rect.width() - side) / 2, rect.y() + (rect.height() - side) / 2, side, side
        )
    )
    painter.setBrush(colour)
    path.setFillRule(Qt.FillRule.WindingFill)
    painter.drawPath(path)
    painter.restore()


class QrCodeWidget(QWidget):
    """A QR code that fills its square; ``set_text(None)`` shows an empty placeholder."""

    def __init__(self, parent: QWidget | None = None, *, minimum: int = 360) -> None:
        super().__init__(parent)
        self.matrix: list[list[bool]] | None = None
        self.text: str | None = None
        self.setMinimumSize(minimum, minimum)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_text(self, text: str | None) -> None:
        self.text = text
        self.matrix = qr_matrix(text) if text else None
        self.update()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API)
        return width

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(self.minimumWidth(), self.minimumHeight())

    def paintEvent(self, _event: object) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        side = min(self.width(), self.height())
        rect = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        if self.matrix is None:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#ECEDF1"))
            p.drawRoundedRect(rect, 14, 14)
        else:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(PAPER)
            p.drawRoundedRect(rect, 14, 14)
            paint_qr(p, rect.adjusted(6, 6, -6, -6), self.matrix)
        p.end()


@dataclass(frozen=True)
class PosterText:
    store_name: str
    question: str
    call_to_action: str = "Scan with your phone camera — it takes 10 seconds."
    footer: str = "Anonymous unless you choose to leave your details. Thank you!"


def paint_poster(painter: QPainter, page: QRectF, text: PosterText, url: str) -> None:
    """Lay the poster out in ``page`` (any unit: pixels, points...), scaled to its width."""
    w, h = page.width(), page.height()
    unit = w / 210.0  # one "millimetre" of an A4 page
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.fillRect(page, PAPER)
    band = QRectF(page.x(), page.y(), w, 18 * unit)
    painter.fillRect(band, ACCENT)

    def font(size_mm: float, *, bold: bool = False) -> QFont:
        f = QFont("Noto Sans")
        f.setPixelSize(max(1, int(size_mm * unit)))
        f.setBold(bold)
        return f

    painter.setPen(PAPER)
    painter.setFont(font(6.5, bold=True))
    painter.drawText(
        band.adjusted(16 * unit, 0, -16 * unit, 0),
        Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
        text.store_name,
    )
    painter.setPen(INK)
    painter.setFont(font(11, bold=True))
    q_rect = QRectF(page.x() + 18 * unit, page.y() + 32 * unit, w - 36 * unit, 58 * unit)
    painter.drawText(
        q_rect,
        Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
        text.question,
    )
    side = 130 * unit
    qr_rect = QRectF(page.x() + (w - side) / 2, page.y() + 96 * unit, side, side)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#F4F3EF"))
    painter.drawRoundedRect(
        qr_rect.adjusted(-6 * unit, -6 * unit, 6 * unit, 6 * unit), 6 * unit, 6 * unit
    )
    paint_qr(painter, qr_rect, qr_matrix(url), quiet=3)
    painter.setPen(INK)
    painter.setFont(font(7, bold=True))
    painter.drawText(
        QRectF(page.x() + 14 * unit, page.y() + 238 * unit, w - 28 * unit, 14 * unit),
        Qt.AlignmentFlag.AlignCenter,
        "0  ·  1  ·  2  ·  …  ·  10",
    )
    painter.setFont(font(5.2))
    painter.drawText(
        QRectF(page.x() + 14 * unit, page.y() + 252 * unit, w - 28 * unit, 14 * unit),
        Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
        text.call_to_action,
    )
    painter.setPen(MUTED)
    painter.setFont(font(3.6))
    painter.drawText(
        QRectF(page.x() + 14 * unit, page.y() + h - 22 * unit, w - 28 * unit, 10 * unit),
        Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
        text.footer,
    )
    painter.restore()


def _paint_on(device: QPaintDevice, page: QRectF, text: PosterText, url: str) -> None:
    painter = QPainter(device)
    try:
        paint_poster(painter, page, text, url)
    finally:
        painter.end()


def save_poster(path: Path, text: PosterText, url: str, *, dpi: int = 300) -> Path:
    """Write the poster as PNG, SVG or PDF (by the file's suffix); returns the path."""
    suffix = path.suffix.lower()
    tmp = path.with_name(path.name + ".tmp" + suffix)  # renamed when complete
    if suffix == ".pdf":
        writer = QPdfWriter(str(tmp))
        writer.setResolution(dpi)
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(0, 0, 0, 0),
            )
        )
        writer.setTitle(f"{text.store_name} — customer survey")
        w = writer.width()
        _paint_on(writer, QRectF(0, 0, w, w * A4_MM[1] / A4_MM[0]), text, url)
    elif suffix == ".svg":
        gen = QSvgGenerator()
        gen.setFileName(str(tmp))
        size = QSizeF(A4_MM[0] * 4, A4_MM[1] * 4)  # 4 user units per mm
        gen.setSize(size.toSize())
        gen.setViewBox(QRectF(0, 0, size.width(), size.height()))
        gen.setResolution(int(25.4 * 4))
        gen.setTitle(f"{text.store_name} — customer survey")
        _paint_on(gen, QRectF(0, 0, size.width(), size.height()), text, url)
    elif suffix == ".png":
        wpx = round(A4_MM[0] / 25.4 * dpi)
        hpx = round(A4_MM[1] / 25.4 * dpi)
        image = QImage(wpx, hpx, QImage.Format.Format_RGB32)
        image.setDotsPerMeterX(round(dpi / 0.0254))
        image.setDotsPerMeterY(round(dpi / 0.0254))
        image.fill(PAPER)
        _paint_on(image, QRectF(0, 0, wpx, hpx), text, url)
        if not image.save(str(tmp)):  # PNG, from the suffix: tmp ends in .png too
            raise OSError(f"Could not write {path}")
    else:
        raise ValueError(f"A poster is saved as .png, .svg or .pdf, not {suffix or 'no suffix'}")
    tmp.replace(path)
    return path
