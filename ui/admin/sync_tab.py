"""The Sync tab: is the kiosk reaching HQ, what is waiting, what HQ refused, and the ledger.

A dumb view: it renders a :class:`sync.ledger.SyncOverview` and emits what the manager
did (``sync_now_clicked``, ``resend_clicked``, ``enroll_requested``). ``bind(controller)``
wires it to a :class:`ui.sync_worker.SyncController`; nothing here touches the network.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.localtime import to_local, zone
from sync.client import sends_in_clear
from sync.ledger import SyncOverview, SyncState
from ui.admin import style
from ui.admin.parts import card, label, names_in_language, set_prop
from ui.admin.texts import N_, _, error, ngettext

ROW_PX = 34
STATE_TEXT = {
    SyncState.NOT_ENROLLED: (N_("Not connected to HQ"), style.MUTED),
    SyncState.NEVER: (N_("Connected — first sync pending"), style.ACCENT),
    SyncState.ONLINE: (N_("Online"), style.PROMOTER),
    SyncState.OFFLINE: (N_("Offline"), style.DANGER),
    SyncState.WAITING: (N_("Offline"), style.DANGER),
    SyncState.REFUSED: (N_("HQ refused this device"), style.DANGER),
}

LEDGER_HEADERS = (
    N_("Batch"),
    N_("Sent"),
    N_("Size"),
    N_("Accepted"),
    N_("Duplicate"),
    N_("Rejected"),
    N_("Via"),
)


def _local(at: datetime, fmt: str = "%H:%M", *, time_zone: str) -> str:
    """A stored UTC time on the store's wall clock (its settings' time_zone, not the
    machine's)."""
    return names_in_language(to_local(at, zone(time_zone)), fmt)


def when(at: datetime | None, now: datetime, *, time_zone: str) -> str:
    """'never', 'just now', 'today 14:02', 'yesterday 09:10', '12 Nov 14:02': today and
    yesterday are the store's days."""
    if at is None:
        return _("never")
    seconds = (now - at).total_seconds()
    if -60 < seconds < 60:
        return _("just now")
    tz = zone(time_zone)
    local_now = to_local(now, tz)
    local_at = to_local(at, tz)
    if local_at.date() == local_now.date():
        return _("today {time}", time=f"{local_at:%H:%M}")
    if (local_now.date() - local_at.date()).days == 1:
        return _("yesterday {time}", time=f"{local_at:%H:%M}")
    return names_in_language(local_at, "%d %b %H:%M")


def age(at: datetime | None, now: datetime) -> str:
    """'—', '4 min', '3 h 12 min', '2 days'."""
    if at is None:
        return "—"
    minutes = max(0, int((now - at).total_seconds() // 60))
    if minutes < 60:
        return _("{minutes} min", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return (
            _("{hours} h {minutes} min", hours=hours, minutes=minutes)
            if minutes
            else _("{hours} h", hours=hours)
        )
    return ngettext("{n} day", "{n} days", hours // 24)


class _Dot(QWidget):
    """The state's colour as a round dot."""

    def __init__(self) -> None:
        super().__init__()
        self.setFixedSize(18, 18)
        self.colour = style.MUTED

    def set_colour(self, colour: str) -> None:
        self.colour = colour
        self.update()

    def paintEvent(self, _event: object) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(style.qcolor(self.colour))
        p.drawEllipse(1, 1, 16, 16)
        p.end()


def _fit(table: QTableWidget, rows: int, *, most: int = 8) -> None:
    """Size a table to its rows (up to ``most``), so that short lists leave no blank box."""
    table.setFixedHeight(ROW_PX + 8 + max(1, min(rows, most)) * ROW_PX)


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(ROW_PX)
    table.horizontalHeader().setFixedHeight(ROW_PX + 4)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    header = table.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _cell(text: str, *, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class SyncTab(QWidget):
    sync_now_clicked = Signal()
    resend_clicked = Signal(object)  # a list of response ids, or None for all
    enroll_requested = Signal(dict)  # hq_url, code, ca_bundle, public_url
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.overview: SyncOverview | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        root = QVBoxLayout(body)
        root.setContentsMargins(24, 20, 24, 24)
        root.setSpacing(16)

        # State: big and plain.
        head, hl = card(margins=22)
        row = QHBoxLayout()
        row.setSpacing(14)
        self.dot = _Dot()
        row.addWidget(self.dot, 0, Qt.AlignmentFlag.AlignVCenter)
        self.state_label = label("", "mid")
        row.addWidget(self.state_label, 1)
        self.busy_label = label(_("Sending…"), "small")
        self.busy_label.hide()
        row.addWidget(self.busy_label)
        self.sync_button = QPushButton(_("Sync now"))
        self.sync_button.setProperty("kind", "primary")
        self.sync_button.setMinimumHeight(44)
        self.sync_button.setMinimumWidth(150)
        self.sync_button.clicked.connect(self.sync_now_clicked)
        row.addWidget(self.sync_button)
        hl.addLayout(row)
        self.detail_label = label("", "muted", wrap=True)
        hl.addWidget(self.detail_label)
        self.clear_text_warning = label("", "error", wrap=True)
        self.clear_text_warning.hide()
        hl.addWidget(self.clear_text_warning)
        root.addWidget(head)

        # Figures.
        grid = QGridLayout()
        grid.setSpacing(16)
        self.pending_value, box1 = self._figure(_("Responses waiting"))
        self.oldest_value, box2 = self._figure(_("Oldest waiting"))
        self.success_value, box3 = self._figure(_("Last successful sync"))
        self.quarantine_value, box4 = self._figure(_("Quarantined"))
        for i, box in enumerate((box1, box2, box3, box4)):
            grid.addWidget(box, 0, i)
        root.addLayout(grid)

        # The last error, in plain words.
        self.error_card, el = card()
        el.addWidget(label(_("Last problem"), "h2"))
        self.error_label = label("", "error", wrap=True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        el.addWidget(self.error_label)
        self.error_when = label("", "small")
        el.addWidget(self.error_when)
        root.addWidget(self.error_card)

        # Quarantined responses.
        self.quarantine_card, ql = card()
        qh = QHBoxLayout()
        qh.addWidget(label(_("Quarantined responses"), "h2"))
        qh.addStretch()
        self.resend_button = QPushButton(_("Send all again"))
        self.resend_button.clicked.connect(lambda: self.resend_clicked.emit(None))
        qh.addWidget(self.resend_button)
        ql.addLayout(qh)
        ql.addWidget(
            label(
                _(
                    "HQ refused these. They are kept here, never deleted; once the cause "
                    "is fixed, send them again."
                ),
                "small",
                wrap=True,
            )
        )
        self.quarantine_table = _table([_("Recorded"), _("Score"), _("Why HQ refused it")])
        ql.addWidget(self.quarantine_table)
        root.addWidget(self.quarantine_card)

        # The ledger.
        ledger, ll = card()
        ll.addWidget(label(_("Recent batches"), "h2"))
        self.ledger_table = _table([_(h) for h in LEDGER_HEADERS])
        ll.addWidget(self.ledger_table)
        self.ledger_empty = label(_("No batches yet."), "muted")
        ll.addWidget(self.ledger_empty)
        root.addWidget(ledger)

        # Enrollment.
        self.enroll_card, nl = card()
        nl.addWidget(label(_("Connect this kiosk to HQ"), "h2"))
        nl.addWidget(
            label(
                _(
                    "HQ prints a one-time code with  nps-hq enroll-device --store STORE. "
                    "The device token and secret are kept in a file only this kiosk's "
                    "user can read."
                ),
                "small",
                wrap=True,
            )
        )
        form = QGridLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.hq_edit = QLineEdit()
        self.hq_edit.setPlaceholderText("https://hq.example.com")
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText("ABCD-EFGH-JKLM")
        self.ca_edit = QLineEdit()
        self.ca_edit.setPlaceholderText(_("optional: CA bundle (.pem) of a self-hosted HQ"))
        ca_pick = QPushButton(_("Choose…"))
        ca_pick.clicked.connect(self._pick_ca)
        self.public_edit = QLineEdit()
        self.public_edit.setPlaceholderText(_("optional: address phones use (default: HQ address)"))
        for r, (name, widget) in enumerate(
            (
                (_("HQ address"), self.hq_edit),
                (_("Enrollment code"), self.code_edit),
                (_("CA bundle"), self.ca_edit),
                (_("Address for phones"), self.public_edit),
            )
        ):
            form.addWidget(label(name), r, 0)
            form.addWidget(widget, r, 1)
        form.addWidget(ca_pick, 2, 2)
        nl.addLayout(form)
        er = QHBoxLayout()
        self.enroll_message = label("", "small", wrap=True)
        er.addWidget(self.enroll_message, 1)
        self.enroll_button = QPushButton(_("Enroll"))
        self.enroll_button.setProperty("kind", "primary")
        self.enroll_button.clicked.connect(self._enroll_clicked)
        er.addWidget(self.enroll_button)
        nl.addLayout(er)
        root.addWidget(self.enroll_card)
        root.addStretch()

    def _figure(self, title: str) -> tuple[QLabel, QFrame]:
        box, bl = card()
        bl.addWidget(label(title, "muted"))
        value = label("—", "mid")
        bl.addWidget(value)
        return value, box

    # -- input -------------------------------------------------------------------------------
    def _pick_ca(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("CA bundle of HQ"), "", _("Certificates (*.pem *.crt);;All files (*)")
        )
        if path:
            self.ca_edit.setText(path)

    def _enroll_clicked(self) -> None:
        url, code = self.hq_edit.text().strip(), self.code_edit.text().strip()
        if not url or not code:
            self.show_enroll_result(False, _("Enter HQ's address and the enrollment code."))
            return
        self.enroll_button.setEnabled(False)
        self.enroll_message.setText(_("Enrolling…"))
        self.enroll_requested.emit(
            {
                "hq_url": url,
                "code": code,
                "ca_bundle": self.ca_edit.text().strip() or None,
                "public_url": self.public_edit.text().strip() or None,
            }
        )

    def show_enroll_result(self, ok: bool, message: str) -> None:
        self.enroll_button.setEnabled(True)
        self.enroll_message.setText(message)
        set_prop(self.enroll_message, "role", "ok" if ok else "error")
        if ok:
            self.code_edit.clear()

    def refresh(self) -> None:
        self.refresh_requested.emit()

    # -- rendering -----------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self.busy_label.setVisible(busy)

    def set_overview(self, o: SyncOverview) -> None:
        self.overview = o
        now = o.at
        state = o.state
        text, colour = STATE_TEXT[state]
        text = _(text)
        if state is SyncState.WAITING and o.status.next_attempt_at is not None:
            text = _(
                "Offline — waiting until {time}",
                time=_local(o.status.next_attempt_at, time_zone=o.time_zone),
            )
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"color: {colour};")
        self.dot.set_colour(colour)
        s = o.status
        if state is SyncState.NOT_ENROLLED:
            detail = _("Answers are kept safely on this kiosk until it is connected to HQ.")
        elif state is SyncState.REFUSED:
            detail = _("HQ refused this device: enroll it again with a new code (below).")
        else:
            detail = f"HQ: {s.hq_url}"
            if s.clock_offset_s is not None and abs(s.clock_offset_s) >= 120:
                minutes = round(s.clock_offset_s / 60)
                detail += "  ·  " + (
                    _("this kiosk's clock is {n} min behind HQ", n=abs(minutes))
                    if minutes > 0
                    else _("this kiosk's clock is {n} min ahead of HQ", n=abs(minutes))
                )
        self.detail_label.setText(detail)
        clear = bool(s.hq_url) and sends_in_clear(s.hq_url or "")
        self.clear_text_warning.setVisible(clear)
        self.clear_text_warning.setText(
            _(
                "Not encrypted: {url} is plain http:// to another machine, so this kiosk's "
                "device token and its answers cross the network readable by anyone on it. "
                "Enroll again with HQ's https:// address.",
                url=s.hq_url,
            )
            if clear
            else ""
        )
        self.sync_button.setEnabled(state is not SyncState.NOT_ENROLLED)

        self.pending_value.setText(f"{o.pending:,}")
        self.oldest_value.setText(age(o.oldest_pending_at, now))
        self.success_value.setText(when(s.last_success_at, now, time_zone=o.time_zone))
        self.quarantine_value.setText(f"{o.quarantined_count:,}")
        set_prop(self.quarantine_value, "role", "mid")
        self.quarantine_value.setStyleSheet(
            f"color: {style.DANGER};" if o.quarantined_count else ""
        )

        show_error = bool(s.last_error) and state is not SyncState.ONLINE
        # A store profile HQ sent that was refused (bad signature...): the kiosk kept its own.
        show_profile = bool(s.profile_error) and not show_error
        self.error_card.setVisible(show_error or show_profile)
        if show_error:
            self.error_label.setText(error(s.last_error) if s.last_error else "")
            self.error_when.setText(
                when(s.last_error_at, now, time_zone=o.time_zone)
                + " · "
                + ngettext("{n} failed try in a row", "{n} failed tries in a row", s.failures)
                if s.last_error_at
                else ""
            )
        elif show_profile:
            refused = error(s.profile_error or "")
            self.error_label.setText(_("Store profile refused: {error}", error=refused))
            self.error_when.setText(
                when(s.profile_error_at, now, time_zone=o.time_zone) if s.profile_error_at else ""
            )

        self.quarantine_card.setVisible(o.quarantined_count > 0)
        self.quarantine_table.setRowCount(len(o.quarantined))
        _fit(self.quarantine_table, len(o.quarantined), most=6)
        for r, q in enumerate(o.quarantined):
            self.quarantine_table.setItem(
                r, 0, _cell(_local(q.device_time, "%d %b %H:%M", time_zone=o.time_zone))
            )
            self.quarantine_table.setItem(r, 1, _cell(str(q.score), right=True))
            self.quarantine_table.setItem(r, 2, _cell(q.reason))

        self.ledger_table.setRowCount(len(o.batches))
        _fit(self.ledger_table, len(o.batches), most=12)
        self.ledger_empty.setVisible(not o.batches)
        for r, b in enumerate(o.batches):
            cells = [
                _cell(b.batch_id[-8:]),
                _cell(when(b.at, now, time_zone=o.time_zone)),
                _cell(f"{b.size:,}", right=True),
                _cell(f"{b.accepted:,}", right=True),
                _cell(f"{b.duplicate:,}", right=True),
                _cell(f"{b.rejected:,}", right=True),
                _cell(
                    _("network") if b.kind == "upload" else _("file {name}", name=b.file_name or "")
                ),
            ]
            cells[0].setToolTip(b.batch_id)
            for c, item in enumerate(cells):
                self.ledger_table.setItem(r, c, item)
        enrolled = state is not SyncState.NOT_ENROLLED
        if enrolled and not self.hq_edit.text():
            self.hq_edit.setText(s.hq_url or "")
            self.public_edit.setText(s.public_url or "")
            self.ca_edit.setText(s.ca_bundle or "")
        self.enroll_card.setVisible(
            not enrolled
            or state is SyncState.REFUSED
            or self.enroll_card.property("pinned") is True
        )

    # -- wiring --------------------------------------------------------------------------------
    def bind(self, controller: object) -> None:
        """Connect to a ui.sync_worker.SyncController (both directions)."""
        from ui.sync_worker import SyncController

        assert isinstance(controller, SyncController)
        controller.overview.connect(self.set_overview)
        controller.busy.connect(self.set_busy)
        controller.enrolled.connect(
            lambda e: self.show_enroll_result(
                True,
                _(
                    "Enrolled as device {device} of store {store}.",
                    device=e.device_id,
                    store=e.store_id,
                ),
            )
        )
        controller.enroll_failed.connect(lambda m: self.show_enroll_result(False, m))
        self.sync_now_clicked.connect(controller.sync_now)
        self.resend_clicked.connect(controller.resend_quarantined)
        self.enroll_requested.connect(lambda req: controller.enroll(**req))
        self.refresh_requested.connect(controller.refresh)
        if controller.latest is not None:
            self.set_overview(controller.latest)
