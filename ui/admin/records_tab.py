"""Records: export responses for a date range (CSV + JSON) to a folder, e.g. a USB stick; the
question versions."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk import audit
from kiosk.audit import AuditEntry
from kiosk.db import Database
from kiosk.export import ExportResult, export_responses
from kiosk.localtime import local_today, zone
from kiosk.questions import QuestionVersion, versions
from ui.admin import style
from ui.admin.parts import card, clear_layout, count, date_edit, label, local_time, picked_day
from ui.admin.texts import _, ngettext
from ui.admin.worker import BackgroundOps


class RecordsTab(QWidget):
    exported = Signal(object)  # ExportResult

    def __init__(self, db: Database, ops: BackgroundOps) -> None:
        super().__init__()
        self.db, self.ops = db, ops
        root = QHBoxLayout(self)
        root.setContentsMargins(20, 14, 20, 16)
        root.setSpacing(14)

        export, lay = card(margins=20, spacing=10)
        lay.addWidget(label(_("Export responses"), "h1"))
        lay.addWidget(
            label(
                _(
                    "Writes a spreadsheet file (CSV, opens in Excel with Hindi intact) "
                    "and a JSON file for the chosen days. Contact details are not "
                    "included; export those from Follow-ups."
                ),
                "muted",
                wrap=True,
            )
        )
        form = QFormLayout()
        form.setVerticalSpacing(10)
        today = local_today(zone(db.settings().time_zone))  # the store's date, not UTC's
        # Month and day names in the manager's language (ui/admin/parts.py).
        self.since, self.until = date_edit(today - timedelta(days=29)), date_edit(today)
        form.addRow(_("From"), self.since)
        form.addRow(_("To"), self.until)
        folder_row = QHBoxLayout()
        self.folder = QLineEdit()
        self.folder.setPlaceholderText(_("Plug in a USB stick and choose it"))
        folder_row.addWidget(self.folder, 1)
        choose = QPushButton(_("Choose…"))
        choose.clicked.connect(self._choose)
        folder_row.addWidget(choose)
        form.addRow(_("Folder"), folder_row)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.export_button = QPushButton(_("Export"))
        self.export_button.setProperty("kind", "primary")
        self.export_button.clicked.connect(self.export)
        row.addWidget(self.export_button)
        row.addStretch()
        lay.addLayout(row)
        self.message = label("", "small", wrap=True)
        lay.addWidget(self.message)
        lay.addSpacing(10)
        lay.addWidget(label(_("Recent exports"), "h2"))
        self.recent = QVBoxLayout()
        self.recent.setSpacing(6)
        lay.addLayout(self.recent)
        lay.addStretch()
        root.addWidget(export, 3)

        history, self.versions_lay = card(margins=20, spacing=8)
        self.versions_lay.addWidget(label(_("Question versions"), "h1"))
        self.versions_lay.addWidget(
            label(_("Each answer keeps the wording it was given."), "muted", wrap=True)
        )
        self.versions_box = QVBoxLayout()
        self.versions_box.setSpacing(10)
        self.versions_lay.addLayout(self.versions_box)
        self.versions_lay.addStretch()
        root.addWidget(history, 2)

    def refresh(self) -> None:
        self.ops.run(partial(versions, self.db), self.show_versions)
        self.ops.run(
            partial(audit.entries, self.db, limit=6, actions=["export", "export_cases"]),
            self.show_recent,
        )

    def show_recent(self, entries: list[AuditEntry]) -> None:
        tz = self.db.settings().time_zone
        clear_layout(self.recent)
        if not entries:
            self.recent.addWidget(label(_("None yet."), "muted"))
        for e in entries:
            what = (
                _("Follow-up contacts")
                if e.action == "export_cases"
                else _(
                    "Responses {since} to {until}",
                    since=e.detail.get("since"),
                    until=e.detail.get("until"),
                )
            )
            rows = e.detail.get("rows", 0)
            self.recent.addWidget(
                label(
                    f"<b>{what}</b> · "
                    + ngettext(
                        "{count} row", "{count} rows", int(str(rows)), count=count(int(str(rows)))
                    )
                    + "<br>"
                    f"<span style='color:{style.MUTED}'>{local_time(e.at, time_zone=tz)} → "
                    f"{e.detail.get('folder', '')}</span>",
                    wrap=True,
                )
            )

    def show_versions(self, items: list[QuestionVersion]) -> None:
        clear_layout(self.versions_box)
        tz = self.db.settings().time_zone
        for v in items[:6]:
            self.versions_box.addWidget(
                label(
                    _(
                        "Version {version} · since {date}",
                        version=v.version,
                        date=local_time(v.created_at, "%d %b %Y", time_zone=tz),
                    ),
                    "h2",
                )
            )
            for lang, text in v.question.items():
                self.versions_box.addWidget(label(f"{lang}: {text}", "small", wrap=True))

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Export to…"))
        if folder:
            self.folder.setText(folder)

    def export(self) -> None:
        if not self.folder.text().strip():
            self.message.setText(_("Choose a folder first (plug in the USB stick)."))
            return
        since, until = picked_day(self.since), picked_day(self.until)
        self.export_button.setEnabled(False)
        self.message.setText(_("Exporting…"))
        self.ops.run(
            partial(
                export_responses,
                self.db,
                folder=Path(self.folder.text().strip()),
                since=since,
                until=until,
            ),
            self._done,
            self._failed,
        )

    def _done(self, result: ExportResult) -> None:
        self.export_button.setEnabled(True)
        names = ", ".join(p.name for p in result.files)
        self.message.setText(
            ngettext(
                "Exported {count} response: {names}",
                "Exported {count} responses: {names}",
                result.rows,
                count=count(result.rows),
                names=names,
            )
        )
        self.refresh()
        self.exported.emit(result)

    def _failed(self, message: str) -> None:
        self.export_button.setEnabled(True)
        self.message.setText(message)
