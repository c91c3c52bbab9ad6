"""Audit log: PIN successes and failures, settings changes, exports, erasures."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk import audit
from kiosk.audit import AuditEntry
from kiosk.db import Database
from ui.admin import style
from ui.admin.parts import label, local_time
from ui.admin.texts import N_, _, ngettext
from ui.admin.worker import BackgroundOps

KINDS = (
    (N_("Everything"), None),
    (N_("PIN"), ["pin_ok", "pin_failed", "pin_locked", "pin_changed"]),
    (N_("Settings"), ["settings_changed", "question_changed"]),
    (N_("Exports"), ["export", "export_cases"]),
    (
        N_("Follow-ups and erasures"),
        [
            "case_state",
            "case_note",
            "case_from_hq",
            "case_from_hq_superseded",
            "erasure",
            "erasure_from_hq",
            "erasures_exported",
            "retention_purge",
        ],
    ),
)
WARN = {"pin_failed", "pin_locked", "erasure", "erasure_from_hq"}
# The kiosk's audit titles (kiosk/audit.py), marked here for the admin catalog.
ACTION_TITLES = {
    "pin_ok": N_("PIN accepted"),
    "pin_failed": N_("Wrong PIN"),
    "pin_locked": N_("PIN gate locked"),
    "pin_changed": N_("PIN changed"),
    "settings_changed": N_("Settings changed"),
    "question_changed": N_("Question wording changed"),
    "export": N_("Responses exported"),
    "export_cases": N_("Follow-up contacts exported"),
    "case_state": N_("Follow-up case updated"),
    "case_note": N_("Follow-up note edited"),
    "erasure": N_("Customer contact details erased"),
    "kiosk_exit": N_("Kiosk closed from the admin view"),
    "admin_idle_lock": N_("Admin view locked after 2 minutes idle"),
    "profile_applied": N_("Store profile from HQ applied"),
    "profile_refused": N_("Store profile from HQ refused"),
    "case_from_hq": N_("Follow-up case updated at HQ"),
    "case_from_hq_superseded": N_("Older follow-up change from HQ not applied"),
    "retention_purge": N_("Old contact details and comments purged (retention)"),
    "erasures_exported": N_("Erasures written to a USB batch file"),
    "erasure_from_hq": N_("Customer contact details erased (asked at HQ)"),
}


class AuditTab(QWidget):
    loaded = Signal(object)

    def __init__(self, db: Database, ops: BackgroundOps) -> None:
        super().__init__()
        self.db, self.ops = db, ops
        self._ticket = 0
        root = QVBoxLayout(self)
        root.setContentsMargins(20, 14, 20, 16)
        root.setSpacing(10)
        bar = QHBoxLayout()
        bar.addWidget(label(_("Audit log"), "h1"))
        bar.addStretch()
        self.kind = QComboBox()
        for text, actions in KINDS:
            self.kind.addItem(_(text), actions)
        self.kind.currentIndexChanged.connect(lambda _i: self.refresh())
        bar.addWidget(self.kind)
        root.addLayout(bar)
        self.summary = label("", "muted")
        root.addWidget(self.summary)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([_("When"), _("What"), _("Details")])
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setDefaultSectionSize(36)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        root.addWidget(self.table, 1)

    def refresh(self) -> None:
        self._ticket += 1
        mine = self._ticket
        self.ops.run(
            partial(audit.entries, self.db, actions=self.kind.currentData()),
            lambda rows: self.show_entries(rows) if mine == self._ticket else None,
        )

    def show_entries(self, entries: list[AuditEntry]) -> None:
        self.summary.setText(
            ngettext(
                "The latest {n} entry, newest first",
                "The latest {n} entries, newest first",
                len(entries),
            )
            if entries
            else _("Nothing recorded yet.")
        )
        self.table.setRowCount(len(entries))
        for row, e in enumerate(entries):
            title = _(ACTION_TITLES[e.action]) if e.action in ACTION_TITLES else e.title
            cells = (
                local_time(e.at, "%d %b %Y, %H:%M:%S", time_zone=self.db.settings().time_zone),
                title,
                e.summary,
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 1 and e.action in WARN:
                    item.setForeground(QBrush(style.qcolor(style.DANGER)))
                self.table.setItem(row, col, item)
        self.loaded.emit(entries)
