"""Settings: store name, wording per language, reason chips, timings, languages, change PIN."""

from __future__ import annotations

from functools import partial
from typing import Any
from zoneinfo import available_timezones

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.nps import Category
from core.survey_texts import LANGUAGES
from kiosk.db import Database, utcnow
from kiosk.errors import KioskError, PinError
from kiosk.pin import PinGuard, check_format
from kiosk.questions import save_settings
from kiosk.settings import Settings
from ui.admin import texts
from ui.admin.parts import card, label, local_time
from ui.admin.texts import N_, _, ngettext
from ui.admin.worker import BackgroundOps
from ui.placement import screen_label

CATEGORY_TITLES = {
    "detractor": N_("Detractors (0–6)"),
    "passive": N_("Passives (7–8)"),
    "promoter": N_("Promoters (9–10)"),
}


def chips_to_text(chips: list[Any]) -> str:
    return "\n".join(
        " | ".join([c["key"], *(c.get(lang, "") for lang in LANGUAGES)]) for c in chips
    )


def text_to_chips(text: str) -> list[dict[str, str]]:
    chips = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        chip = {"key": parts[0]}
        for lang, value in zip(LANGUAGES, parts[1:], strict=False):
            if value:
                chip[lang] = value
        chips.append(chip)
    return chips


PIN_CHANGED = N_("PIN changed.")


def change_pin(db: Database, old: str, new: str) -> str:
    """Try the old PIN through the gate (so wrong tries count towards the lockout), then set
    the new one. Returns what to tell the manager."""
    guard = PinGuard(db)
    attempt = guard.attempt(old)
    if attempt.locked_until is not None:
        wait = max(1, int((attempt.locked_until - utcnow()).total_seconds() // 60) + 1)
        return ngettext(
            "Too many wrong PINs: locked for {n} more minute.",
            "Too many wrong PINs: locked for {n} more minutes.",
            wait,
        )
    if not attempt.ok:
        return ngettext(
            "The current PIN is wrong ({n} try left before a lock).",
            "The current PIN is wrong ({n} tries left before a lock).",
            attempt.tries_left,
        )
    guard.set_pin(new)
    return _(PIN_CHANGED)


class SettingsTab(QWidget):
    saved = Signal(object)  # the Settings after a save
    pin_result = Signal(str)

    def __init__(self, db: Database, ops: BackgroundOps) -> None:
        super().__init__()
        self.db, self.ops = db, ops
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        host = QWidget()
        scroll.setWidget(host)
        outer.addWidget(scroll)
        grid = QGridLayout(host)
        grid.setContentsMargins(20, 12, 20, 16)
        grid.setSpacing(14)

        bar = QHBoxLayout()
        bar.addWidget(label(_("Settings"), "h1"))
        self.message = label("", "small", wrap=True)
        bar.addWidget(self.message, 1)
        self.save_button = QPushButton(_("Save settings"))
        self.save_button.setProperty("kind", "primary")
        self.save_button.clicked.connect(self.save)
        bar.addWidget(self.save_button)
        grid.addLayout(bar, 0, 0, 1, 2)
        # While enrolled with a profile from HQ applied: who decides the greyed-out fields.
        self.managed_note = label("", "managed", wrap=True)
        self.managed_note.setObjectName("managedByHq")
        self.managed_note.hide()
        grid.addWidget(self.managed_note, 1, 0, 1, 2)
        self.managed: int | None = None

        store, lay = card(margins=18, spacing=10)
        lay.addWidget(label(_("Store and question"), "h2"))
        form = QFormLayout()
        form.setVerticalSpacing(8)
        self.store_name = QLineEdit()
        form.addRow(_("Store name"), self.store_name)
        langs = QHBoxLayout()
        langs.setSpacing(18)
        self.language_boxes = {code: QCheckBox(name) for code, name in LANGUAGES.items()}
        for box in self.language_boxes.values():
            langs.addWidget(box)
        langs.addStretch()
        form.addRow(_("Languages on offer"), langs)
        self.question: dict[str, QLineEdit] = {}
        self.label_low: dict[str, QLineEdit] = {}
        self.label_high: dict[str, QLineEdit] = {}
        for code, name in LANGUAGES.items():
            self.question[code] = QLineEdit()
            form.addRow(_("Question · {language}", language=name), self.question[code])
        for code, name in LANGUAGES.items():
            self.label_low[code] = QLineEdit()
            self.label_high[code] = QLineEdit()
            ends = QHBoxLayout()
            ends.addWidget(self.label_low[code])
            ends.addWidget(label("…", "muted"))
            ends.addWidget(self.label_high[code])
            form.addRow(_("Scale ends (0 … 10) · {language}", language=name), ends)
        lay.addLayout(form)
        self.version = label("", "small", wrap=True)
        lay.addWidget(self.version)
        self.left = QVBoxLayout()
        self.left.setSpacing(14)
        self.left.addWidget(store)

        timing, lay = card(margins=18, spacing=10)
        lay.addWidget(label(_("Timing"), "h2"))
        form = QFormLayout()
        self.follow_up_timeout = QSpinBox()
        self.follow_up_timeout.setRange(5, 300)
        self.follow_up_timeout.setSuffix(" " + _("s"))
        form.addRow(_("Follow-up screen gives up after"), self.follow_up_timeout)
        self.thank_you = QSpinBox()
        self.thank_you.setRange(1, 60)
        self.thank_you.setSuffix(" " + _("s"))
        form.addRow(_("Thank-you screen shows for"), self.thank_you)
        self.min_tap = QDoubleSpinBox()
        self.min_tap.setRange(0, 60)
        self.min_tap.setDecimals(1)
        self.min_tap.setSuffix(" " + _("s"))
        for spin in (self.follow_up_timeout, self.thank_you, self.min_tap):
            spin.setFixedWidth(130)
        form.addRow(_("Minimum time between taps"), self.min_tap)
        self.review_url = QLineEdit()
        self.review_url.setMaxLength(500)
        self.review_url.setPlaceholderText("https://")
        self.review_url.setToolTip(
            _("Promoters (9–10) see this link as a QR code on the thank-you screen.")
        )
        form.addRow(_("Review link for promoters"), self.review_url)
        lay.addLayout(form)
        self.left.addWidget(timing)

        admin, lay = card(margins=18, spacing=10)
        lay.addWidget(label(_("Admin view"), "h2"))
        form = QFormLayout()
        self.admin_language = QComboBox()
        for code, name in texts.NAMES.items():
            self.admin_language.addItem(name, code)
        form.addRow(_("Language of these pages"), self.admin_language)
        lay.addLayout(form)
        lay.addWidget(
            label(_("A new language shows the next time you open the admin view."), "small")
        )
        self.left.addWidget(admin)

        screen, lay = card(margins=18, spacing=10)
        lay.addWidget(label(_("Screen"), "h2"))
        form = QFormLayout()
        self.screen_choice = QComboBox()
        form.addRow(_("The kiosk fills"), self.screen_choice)
        lay.addLayout(form)
        lay.addWidget(
            label(
                _(
                    "On a till with two screens, choose the customer's. If it is unplugged the "
                    "kiosk moves to the other one, and comes back when it returns."
                ),
                "small",
                wrap=True,
            )
        )
        self.left.addWidget(screen)

        store_time, lay = card(margins=18, spacing=10)
        lay.addWidget(label(_("Store time"), "h2"))
        form = QFormLayout()
        self.time_zone = QComboBox()
        self.time_zone.setEditable(True)  # type to find: "Kolk" -> Asia/Kolkata
        self.time_zone.addItems(sorted(available_timezones()))
        self.time_zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = self.time_zone.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        form.addRow(_("Time zone"), self.time_zone)
        lay.addLayout(form)
        self.zone_note = label("", "small", wrap=True)
        lay.addWidget(self.zone_note)
        self.left.insertWidget(1, store_time)  # under the store: whose days these are
        self.left.addStretch()
        grid.addLayout(self.left, 2, 0)

        chips, lay = card(margins=18, spacing=8)
        lay.addWidget(label(_("Reason chips"), "h2"))
        lay.addWidget(
            label(
                _("One per line: key | {languages}", languages=" | ".join(LANGUAGES.values())),
                "small",
                wrap=True,
            )
        )
        self.reasons: dict[str, QPlainTextEdit] = {}
        for cat in Category:
            lay.addWidget(label(_(CATEGORY_TITLES[cat.value]), "muted"))
            edit = QPlainTextEdit()
            edit.setFixedHeight(84)
            self.reasons[cat.value] = edit
            lay.addWidget(edit)
        self.right = QVBoxLayout()
        self.right.setSpacing(14)
        self.right.addWidget(chips)

        pin, lay = card(margins=18, spacing=8)
        lay.addWidget(label(_("Change PIN"), "h2"))
        form = QFormLayout()
        self.old_pin, self.new_pin, self.new_pin2 = QLineEdit(), QLineEdit(), QLineEdit()
        for pin_field in (self.old_pin, self.new_pin, self.new_pin2):
            pin_field.setEchoMode(QLineEdit.EchoMode.Password)
            pin_field.setMaxLength(8)
            pin_field.setPlaceholderText(_("4–8 digits"))
        form.addRow(_("Current PIN"), self.old_pin)
        form.addRow(_("New PIN"), self.new_pin)
        form.addRow(_("New PIN again"), self.new_pin2)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.pin_button = QPushButton(_("Change PIN"))
        self.pin_button.clicked.connect(self._change_pin)
        row.addWidget(self.pin_button)
        self.pin_message = label("", "small", wrap=True)
        row.addWidget(self.pin_message, 1)
        lay.addLayout(row)
        self.right.addWidget(pin)
        self.right.addStretch()
        grid.addLayout(self.right, 2, 1)

        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(2, 1)

    def _hq_fields(self) -> list[QWidget]:
        """The inputs of the settings a store profile from HQ decides (kiosk.profile)."""
        return [
            self.store_name,
            *self.language_boxes.values(),
            *self.question.values(),
            *self.label_low.values(),
            *self.label_high.values(),
            *self.reasons.values(),
            self.follow_up_timeout,
            self.thank_you,
            self.min_tap,
            self.review_url,
            self.time_zone,
        ]

    def show_managed(self, version: int | None) -> None:
        """Greys out what HQ manages (version N of the store's profile); PIN, screen and the
        rest stay the store's. None: not enrolled, or no profile applied: all editable."""
        self.managed = version
        for widget in self._hq_fields():
            widget.setEnabled(version is None)
        if version is None:
            self.managed_note.hide()
            return
        self.managed_note.setText(
            _(
                "Managed by HQ, version {version}: the store name, languages, wording, reason "
                "chips, timings and time zone come from HQ's store profile. The screen and the "
                "PIN stay the store's.",
                version=version,
            )
        )
        self.managed_note.show()

    def refresh(self) -> None:
        from kiosk.profile import managed_version

        # A handful of rows: no need for the background pool.
        self.show_settings(self.db.settings())
        self.show_managed(managed_version(self.db))
        from kiosk.questions import versions

        latest = versions(self.db)
        tz = self.db.settings().time_zone
        if latest:
            self.version.setText(
                _(
                    "Question version {version}, since {date}. Changing the wording starts a "
                    "new version; earlier answers keep theirs.",
                    version=latest[0].version,
                    date=local_time(latest[0].created_at, "%d %b %Y", time_zone=tz),
                )
            )

    def show_settings(self, s: Settings) -> None:
        self.store_name.setText(s.store_name)
        self.store_name.setCursorPosition(0)
        for code, box in self.language_boxes.items():
            box.setChecked(code in s.languages)
        for code in LANGUAGES:
            assert s.question and s.label_low and s.label_high
            self.question[code].setText(s.question.get(code, ""))
            self.label_low[code].setText(s.label_low.get(code, ""))
            self.label_high[code].setText(s.label_high.get(code, ""))
            for edit in (self.question[code], self.label_low[code], self.label_high[code]):
                edit.setCursorPosition(0)
        assert s.reasons is not None
        for cat, chips_box in self.reasons.items():
            chips_box.setPlainText(chips_to_text(list(s.reasons[cat])))
        self.follow_up_timeout.setValue(s.follow_up_timeout_s)
        self.thank_you.setValue(s.thank_you_s)
        self.min_tap.setValue(s.min_tap_interval_s)
        self.review_url.setText(s.review_url)
        self.review_url.setCursorPosition(0)
        self._list_screens(s.screen)
        if self.time_zone.findText(s.time_zone) < 0:
            self.time_zone.addItem(s.time_zone)
        self.time_zone.setCurrentText(s.time_zone)
        hours = (
            _("always open")
            if not s.opening_hours
            else _("opening hours set (setting opening_hours)")
        )
        self.zone_note.setText(
            _(
                'Now {time} at the store; {hours}. "Today", the trend, date ranges and times on '
                "this kiosk are in this zone. Changing it moves every stored answer to its day "
                "in the new zone.",
                time=local_time(utcnow(), "%a %d %b, %H:%M", time_zone=s.time_zone),
                hours=hours,
            )
        )
        self.admin_language.setCurrentIndex(max(0, self.admin_language.findData(s.admin_language)))

    def _list_screens(self, chosen: str) -> None:
        """Every screen there is now, by name and size; a chosen one that is unplugged stays
        listed, so that saving other settings does not forget it."""
        self.screen_choice.clear()
        self.screen_choice.addItem(_("The primary screen"), "")
        for screen in QGuiApplication.screens():
            self.screen_choice.addItem(screen_label(screen), screen.name())
        if chosen and self.screen_choice.findData(chosen) < 0:
            self.screen_choice.addItem(_("{screen} (not connected)", screen=chosen), chosen)
        self.screen_choice.setCurrentIndex(max(0, self.screen_choice.findData(chosen)))

    def changes(self) -> dict[str, Any]:
        def texts(edits: dict[str, QLineEdit]) -> dict[str, str]:
            return {code: e.text().strip() for code, e in edits.items() if e.text().strip()}

        return {
            "store_name": self.store_name.text().strip(),
            "languages": [c for c, box in self.language_boxes.items() if box.isChecked()],
            "question": texts(self.question),
            "label_low": texts(self.label_low),
            "label_high": texts(self.label_high),
            "reasons": {cat: text_to_chips(e.toPlainText()) for cat, e in self.reasons.items()},
            "follow_up_timeout_s": self.follow_up_timeout.value(),
            "thank_you_s": self.thank_you.value(),
            "min_tap_interval_s": round(self.min_tap.value(), 1),
            "review_url": self.review_url.text().strip(),
            "screen": str(self.screen_choice.currentData() or ""),
            "time_zone": self.time_zone.currentText().strip(),
            "admin_language": str(self.admin_language.currentData() or "en"),
        }

    def save(self) -> None:
        self.message.setProperty("role", "small")
        changes = self.changes()
        if self.managed is not None:  # HQ's fields are not the store's to save
            from kiosk.profile import MANAGED_KEYS

            changes = {k: v for k, v in changes.items() if k not in MANAGED_KEYS}
        try:
            settings = save_settings(self.db, **changes)
        except KioskError as exc:
            self.message.setText(texts.error(exc))
            self.message.setStyleSheet("color: #B3261E;")
            return
        self.message.setStyleSheet("")
        self.message.setText(_("Saved."))
        self.refresh()
        self.saved.emit(settings)

    def _change_pin(self) -> None:
        old, new, again = self.old_pin.text(), self.new_pin.text(), self.new_pin2.text()
        try:
            check_format(new)
        except PinError as exc:
            self._pin_done(texts.error(exc))
            return
        if new != again:
            self._pin_done(_("The two new PINs differ."))
            return
        self.pin_button.setEnabled(False)
        # scrypt takes a moment: keep it off the GUI thread.
        self.ops.run(partial(change_pin, self.db, old, new), self._pin_done, self._pin_done)

    def _pin_done(self, text: str) -> None:
        self.pin_button.setEnabled(True)
        self.pin_message.setText(text)
        if text == _(PIN_CHANGED):
            for edit in (self.old_pin, self.new_pin, self.new_pin2):
                edit.clear()
        self.pin_result.emit(text)
