"""The QR tab: a big code with a fresh single-use phone link, the poster, the thank-you QR.

The link is signed on this kiosk from the stored device secret, so it works with no network. A
new code replaces it when it expires, when phone answers come back from HQ (one was probably
this code), and on "New code". "Print poster" saves a PNG, SVG or PDF with a long-lived
poster link (multi-use, rate-limited at HQ).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.credentials import CredentialsError
from kiosk.db import Database, utcnow
from kiosk.localtime import to_local, zone
from sync.survey_link import SurveyLink, survey_link
from ui.admin.parts import card, label, names_in_language
from ui.admin.texts import _
from ui.poster import PosterText, QrCodeWidget, save_poster


def _local(at: datetime, fmt: str, *, time_zone: str) -> str:
    """A stored UTC time on the store's wall clock (settings.time_zone, not the machine's)."""
    return names_in_language(to_local(at, zone(time_zone)), fmt)


class QrTab(QWidget):
    poster_saved = Signal(str)

    def __init__(
        self, db: Database, parent: QWidget | None = None, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.clock = clock
        self.link: SurveyLink | None = None
        root = QHBoxLayout(self)
        root.setContentsMargins(24, 20, 24, 24)
        root.setSpacing(20)

        code_card, cl = card(margins=26, spacing=10)
        cl.addWidget(label(_("Answer on your phone"), "h1"), 0, Qt.AlignmentFlag.AlignHCenter)
        cl.addWidget(
            label(
                _(
                    "Point your phone's camera at the code. One answer per code; a new "
                    "code appears after it is used."
                ),
                "muted",
                wrap=True,
            )
        )
        self.qr = QrCodeWidget(minimum=380)
        cl.addWidget(self.qr, 1)
        self.expiry_label = label("", "small")
        self.expiry_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        cl.addWidget(self.expiry_label)
        self.new_button = QPushButton(_("New code"))
        self.new_button.clicked.connect(self.refresh)
        cl.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignHCenter)
        root.addWidget(code_card, 3)

        side = QVBoxLayout()
        side.setSpacing(16)
        poster_card, pl = card(margins=22)
        pl.addWidget(label(_("Poster"), "h2"))
        pl.addWidget(
            label(
                _(
                    "An A4 poster with the store's name, the question and a code that "
                    "keeps working for six months (several answers per phone are "
                    "limited at HQ)."
                ),
                "muted",
                wrap=True,
            )
        )
        self.poster_button = QPushButton(_("Print poster…"))
        self.poster_button.setProperty("kind", "primary")
        self.poster_button.setMinimumHeight(42)
        self.poster_button.clicked.connect(self._print_clicked)
        pl.addWidget(self.poster_button)
        self.poster_message = label("", "small", wrap=True)
        pl.addWidget(self.poster_message)
        side.addWidget(poster_card)

        thanks_card, tl = card(margins=22)
        tl.addWidget(label(_("Thank-you screen"), "h2"))
        self.thank_you_box = QCheckBox(_("Show a small QR code after each answer"))
        self.thank_you_box.setChecked(db.settings().thank_you_qr)
        self.thank_you_box.toggled.connect(self._thank_you_toggled)
        tl.addWidget(self.thank_you_box)
        tl.addWidget(
            label(_("Customers can add a comment on their phone later."), "small", wrap=True)
        )
        side.addWidget(thanks_card)
        self.notice = label("", "error", wrap=True)
        side.addWidget(self.notice)
        side.addStretch()
        root.addLayout(side, 2)

        self.expiry_timer = QTimer(self)
        self.expiry_timer.setSingleShot(True)
        self.expiry_timer.timeout.connect(self.refresh)

    # -- the code ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show a fresh single-use code (a file read and an HMAC: fine on the GUI thread)."""
        try:
            self.link = survey_link(self.db, now=self.clock())
        except CredentialsError as exc:
            self.link = None
            self.qr.set_text(None)
            self.expiry_label.setText("")
            self.notice.setText(
                (
                    _("This kiosk is not enrolled at HQ yet.")
                    if "not enrolled" in str(exc)
                    else str(exc).split(". ")[0] + "."
                )
                + " "
                + _("Connect it in the Sync tab to show a code.")
            )
            self.new_button.setEnabled(False)
            self.poster_button.setEnabled(False)
            return
        self.notice.setText("")
        self.new_button.setEnabled(True)
        self.poster_button.setEnabled(True)
        self.qr.set_text(self.link.url)
        self.qr.setToolTip(self.link.url)
        self.expiry_label.setText(
            _(
                "This code works until {time}",
                time=_local(self.link.expires_at, "%H:%M", time_zone=self.db.settings().time_zone),
            )
        )
        left_ms = (self.link.expires_at - self.clock()).total_seconds() * 1000
        self.expiry_timer.start(max(1000, int(left_ms)))

    def phone_answer_seen(self, _count: int = 1) -> None:
        """Phone answers came back from HQ: this code was probably used, show a new one."""
        if self.link is not None:
            self.refresh()

    # -- poster and setting --------------------------------------------------------------------
    def _print_clicked(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            _("Save the poster"),
            str(Path.home() / "nps-poster.pdf"),
            "PDF (*.pdf);;PNG image (*.png);;SVG drawing (*.svg)",
        )
        if path:
            self.print_poster(Path(path))

    def print_poster(self, path: Path) -> Path | None:
        """Save the poster with a fresh long-lived poster link; None (and a message) if not."""
        if path.suffix.lower() not in (".pdf", ".png", ".svg"):
            path = path.with_suffix(".pdf")
        settings = self.db.settings()
        try:
            link = survey_link(self.db, kind="poster", now=self.clock())
            save_poster(
                path,
                PosterText(
                    store_name=settings.store_name, question=settings.text("question", "en")
                ),
                link.url,
            )
        except (CredentialsError, OSError, ValueError) as exc:
            self.poster_message.setText(_("The poster was not saved: {error}", error=exc))
            return None
        self.poster_message.setText(
            _(
                "Saved {file} — its code works until {date}.",
                file=path.name,
                date=_local(link.expires_at, "%d %b %Y", time_zone=self.db.settings().time_zone),
            )
        )
        self.poster_saved.emit(str(path))
        return path

    def _thank_you_toggled(self, on: bool) -> None:
        self.db.update_settings(thank_you_qr=on)
