"""Follow-ups: detractors who asked to be contacted, as cases open -> contacted -> resolved.

Contact details appear only on this tab. "Forget this customer" erases them (and the comment)
from the file, and from HQ at the next sync. Each case says who last changed it and when (in the
store's time): the store manager here, or a regional manager at HQ; the list is read again when a
sync brought changes from HQ (``hq_changed``), keeping a note being typed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk import followups
from kiosk.db import Database, utcnow
from kiosk.export import export_cases
from kiosk.followups import CaseState, FollowUpCase
from ui.admin import style
from ui.admin.parts import card, count, label, local_time, set_prop
from ui.admin.texts import N_, _, ngettext
from ui.admin.worker import BackgroundOps

FILTERS = (
    (N_("Open and contacted"), frozenset({CaseState.OPEN, CaseState.CONTACTED})),
    (N_("Open"), frozenset({CaseState.OPEN})),
    (N_("Contacted"), frozenset({CaseState.CONTACTED})),
    (N_("Resolved"), frozenset({CaseState.RESOLVED})),
    (N_("All cases"), None),
)
STATE_TEXT = {
    CaseState.OPEN: N_("Open"),
    CaseState.CONTACTED: N_("Contacted"),
    CaseState.RESOLVED: N_("Resolved"),
}


def changed_text(c: FollowUpCase, *, time_zone: str) -> str:
    """Who last set the case and when, in the store's time: "Resolved by ana@chain.example
    (HQ), 29 Nov 14:05"; empty while nobody has changed it."""
    if c.changed_at is None:
        return ""
    when = local_time(c.changed_at, "%d %b %H:%M", time_zone=time_zone)
    state = _(STATE_TEXT[c.state])
    who = c.changed_by or followups.MANAGER
    if who.startswith(followups.MANAGER):  # "store manager (<device>)", as stored: translated
        who = _("store manager") + who[len(followups.MANAGER) :]
    if c.from_hq:
        return _("{state} by {who} (HQ), {time}", state=state, who=who, time=when)
    return _("{state} by {who}, {time}", state=state, who=who, time=when)


class FollowUpsTab(QWidget):
    loaded = Signal(object)  # the list of cases shown
    changed = Signal(object)  # a case after a move, note or erasure
    exported = Signal(object)

    def __init__(self, db: Database, ops: BackgroundOps) -> None:
        super().__init__()
        self.db, self.ops = db, ops
        self.cases: list[FollowUpCase] = []
        self.current: FollowUpCase | None = None
        self._ticket = 0
        root = QHBoxLayout(self)
        root.setContentsMargins(20, 14, 20, 16)
        root.setSpacing(14)

        left = QVBoxLayout()
        bar = QHBoxLayout()
        bar.addWidget(label(_("Customers to call back"), "h1"))
        bar.addStretch()
        self.filter = QComboBox()
        for text, states in FILTERS:
            self.filter.addItem(_(text), states)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        bar.addWidget(self.filter)
        self.export_button = QPushButton(_("Export contacts…"))
        self.export_button.clicked.connect(self._export_clicked)
        bar.addWidget(self.export_button)
        left.addLayout(bar)
        self.summary = label("", "muted")
        left.addWidget(self.summary)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(
            [_("Asked"), _("Score"), _("Name"), _("Phone / email"), _("State"), _("What they said")]
        )
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(40)
        header = self.table.horizontalHeader()
        for col, mode in enumerate(
            [QHeaderView.ResizeMode.ResizeToContents] * 5 + [QHeaderView.ResizeMode.Stretch]
        ):
            header.setSectionResizeMode(col, mode)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.itemSelectionChanged.connect(self._selected)
        left.addWidget(self.table, 1)
        root.addLayout(left, 3)

        panel, lay = card(margins=18, spacing=8)
        panel.setFixedWidth(360)
        self.case_title = label(_("Pick a case"), "h2")
        lay.addWidget(self.case_title)
        self.case_contact = label("", "mid", wrap=True)
        self.case_contact.setStyleSheet("font-size: 20px;")
        self.case_contact.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.case_contact)
        self.case_meta = label("", "small", wrap=True)
        lay.addWidget(self.case_meta)
        self.case_changed = label("", "small", wrap=True)
        lay.addWidget(self.case_changed)
        self.case_comment = label("", wrap=True)
        lay.addWidget(self.case_comment)
        lay.addWidget(label(_("Note"), "muted"))
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText(_("What was agreed with the customer"))
        self.note.setFixedHeight(90)
        lay.addWidget(self.note)
        self.save_note = QPushButton(_("Save note"))
        self.save_note.clicked.connect(self._save_note)
        lay.addWidget(self.save_note)
        lay.addWidget(label(_("Mark as"), "muted"))
        moves = QHBoxLayout()
        self.contacted = QPushButton(_("Contacted"))
        self.contacted.clicked.connect(lambda: self._move(CaseState.CONTACTED))
        self.resolved = QPushButton(_("Resolved"))
        self.resolved.setProperty("kind", "primary")
        self.resolved.clicked.connect(lambda: self._move(CaseState.RESOLVED))
        self.reopen = QPushButton(_("Reopen"))
        self.reopen.clicked.connect(lambda: self._move(CaseState.OPEN))
        for b in (self.contacted, self.resolved, self.reopen):
            moves.addWidget(b)
        lay.addLayout(moves)
        lay.addStretch()
        self.forget = QPushButton(_("Forget this customer"))
        self.forget.setProperty("kind", "danger")
        self.forget.clicked.connect(self._forget_clicked)
        lay.addWidget(self.forget)
        lay.addWidget(
            label(
                _(
                    "Erases the name, phone/email, comment and note from the kiosk for good, "
                    "and from HQ at the next sync. The score stays."
                ),
                "small",
                wrap=True,
            )
        )
        self.message = label("", "small", wrap=True)
        lay.addWidget(self.message)
        self._forget_armed = QTimer(self)
        self._forget_armed.setSingleShot(True)
        self._forget_armed.setInterval(5000)
        self._forget_armed.timeout.connect(self._disarm_forget)
        root.addWidget(panel)
        self.export_folder: Path | None = None
        self._show_case(None)

    # -- list --------------------------------------------------------------------------------
    @Slot(int)
    def hq_changed(self, _count: int) -> None:
        """A sync applied case changes from HQ: read the list again (the selection and a note
        being typed stay)."""
        self.refresh()

    def refresh(self) -> None:
        states = self.filter.currentData()
        self._ticket += 1
        mine = self._ticket
        self.ops.run(
            partial(followups.cases, self.db, states=states),
            lambda cases: self.show_cases(cases) if mine == self._ticket else None,
            lambda msg: self.summary.setText(_("Could not read the cases: {msg}", msg=msg)),
        )

    def show_cases(self, cases: list[FollowUpCase]) -> None:
        keep = self.current.response_id if self.current else None
        # A refresh (after a sync from HQ, say) keeps a note the manager is typing, unless it
        # is what was saved.
        draft = self.note.toPlainText() if self.note.document().isModified() else None
        self.cases = cases
        now = utcnow()
        overdue = sum(1 for c in cases if c.overdue(now))
        self.summary.setText(
            ngettext("{count} case", "{count} cases", len(cases), count=count(len(cases)))
            + (
                " · "
                + ngettext(
                    "{n} waiting more than 48 hours", "{n} waiting more than 48 hours", overdue
                )
                if overdue
                else ""
            )
        )
        # Columns sized to their contents re-measure every row on each setItem (500 cases took
        # seconds on the GUI thread): fixed while filling, measured once when put back.
        header = self.table.horizontalHeader()
        modes = [header.sectionResizeMode(i) for i in range(self.table.columnCount())]
        for i in range(len(modes)):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.Fixed)
        time_zone = self.db.settings().time_zone
        self.table.setRowCount(len(cases))
        late = QBrush(style.qcolor(style.OVERDUE_BG))
        for row, c in enumerate(cases):
            cells = [
                local_time(c.opened_at, "%d %b, %H:%M", time_zone=time_zone),
                str(c.score),
                c.contact_name or (_("erased") if c.erased else "—"),
                c.contact_detail or (_("erased") if c.erased else "—"),
                _(STATE_TEXT[c.state]) + (" · 48 h+" if c.overdue(now) else ""),
                (c.comment or "").replace("\n", " "),
            ]
            changed = changed_text(c, time_zone=time_zone)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 4 and changed:
                    item.setToolTip(changed)
                if c.overdue(now):
                    item.setBackground(late)
                if col == 4 and c.overdue(now):
                    item.setForeground(QBrush(style.qcolor(style.DANGER)))
                if col in (2, 3) and c.erased:
                    item.setForeground(QBrush(style.qcolor(style.MUTED)))
                self.table.setItem(row, col, item)
        for i, mode in enumerate(modes):
            header.setSectionResizeMode(i, mode)
        self.table.clearSelection()
        picked = next((i for i, c in enumerate(cases) if c.response_id == keep), None)
        if picked is None and cases:
            picked = 0
        if picked is not None:
            self.table.selectRow(picked)
        else:
            self._show_case(None)
        shown = self.current
        if draft is not None and shown is not None and shown.response_id == keep:
            if draft.strip()[: followups.NOTE_LIMIT] != (shown.note or ""):
                self.note.setPlainText(draft)
                self.note.document().setModified(True)
        self.loaded.emit(cases)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        self._show_case(self.cases[rows[0].row()] if rows else None)

    def _show_case(self, c: FollowUpCase | None) -> None:
        self.current = c
        self._disarm_forget()
        for w in (
            self.note,
            self.save_note,
            self.contacted,
            self.resolved,
            self.reopen,
            self.forget,
        ):
            w.setEnabled(c is not None)
        if c is None:
            self.case_title.setText(_("Pick a case"))
            for lab in (self.case_contact, self.case_meta, self.case_changed, self.case_comment):
                lab.setText("")
            self.note.setPlainText("")
            return
        self.case_title.setText(
            _("Score {score} · {state}", score=c.score, state=_(STATE_TEXT[c.state]))
        )
        if c.erased:
            self.case_contact.setText(_("Contact details erased"))
        else:
            self.case_contact.setText(f"{c.contact_name or '—'}\n{c.contact_detail or ''}")
        overdue = " · " + _("waiting more than 48 hours") if c.overdue(utcnow()) else ""
        self.case_meta.setText(
            _(
                "Asked {time}",
                time=local_time(c.opened_at, time_zone=self.db.settings().time_zone),
            )
            + overdue
        )
        self.case_changed.setText(changed_text(c, time_zone=self.db.settings().time_zone))
        self.case_comment.setText(c.comment or _("(no comment)"))
        self.note.setPlainText(c.note or "")
        self.note.document().setModified(False)
        self.contacted.setEnabled(CaseState.CONTACTED in followups.ALLOWED[c.state])
        self.resolved.setEnabled(CaseState.RESOLVED in followups.ALLOWED[c.state])
        self.reopen.setEnabled(CaseState.OPEN in followups.ALLOWED[c.state])
        self.forget.setEnabled(not c.erased)

    # -- actions (small writes: run in the background too, they checkpoint) -------------------
    def _act(self, fn: Callable[[], object], done_text: str) -> None:
        self.message.setText("")

        def done(result: object) -> None:
            self.message.setText(done_text)
            self.changed.emit(result)
            self.refresh()

        self.ops.run(fn, done, lambda msg: self.message.setText(msg))

    def _move(self, to: CaseState) -> None:
        if self.current is not None:
            self._act(
                partial(followups.move, self.db, self.current.response_id, to),
                _("Marked: {state}.", state=_(STATE_TEXT[to])),
            )

    def _save_note(self) -> None:
        if self.current is not None:
            self._act(
                partial(
                    followups.set_note, self.db, self.current.response_id, self.note.toPlainText()
                ),
                _("Note saved."),
            )

    def _forget_clicked(self) -> None:
        if self.current is None:
            return
        if self.forget.property("armed") != "true":
            self.forget.setText(_("Tap again to erase for good"))
            set_prop(self.forget, "armed", "true")
            self._forget_armed.start()
            return
        self._disarm_forget()
        self._act(
            partial(followups.erase, self.db, self.current.response_id),
            _("Contact details erased from the kiosk."),
        )

    def _disarm_forget(self) -> None:
        self._forget_armed.stop()
        self.forget.setText(_("Forget this customer"))
        set_prop(self.forget, "armed", "false")

    def _export_clicked(self) -> None:
        folder = self.export_folder or Path(
            QFileDialog.getExistingDirectory(self, _("Export the follow-up contacts to…")) or ""
        )
        if not str(folder) or str(folder) == ".":
            return
        self.export_to(folder)

    def export_to(self, folder: Path) -> None:
        def done(result: object) -> None:
            self.message.setText(_("Contacts exported to {folder}.", folder=folder))
            self.exported.emit(result)

        self.ops.run(
            partial(export_cases, self.db, folder=folder),
            done,
            lambda msg: self.message.setText(msg),
        )
