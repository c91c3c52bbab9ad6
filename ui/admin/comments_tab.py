"""Comments and themes: what customers said, newest first, with filters; top reasons; words."""

from __future__ import annotations

import html
from datetime import timedelta
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.nps import Category
from core.survey_texts import LANGUAGES
from kiosk.comments import Comment, CommentFilter, CommentPage, Themes, comments, themes
from kiosk.db import Database
from kiosk.localtime import local_today, zone
from ui.admin import style, texts
from ui.admin.parts import (
    card,
    clear_layout,
    count,
    date_edit,
    label,
    local_time,
    names_in_language,
    picked_day,
)
from ui.admin.texts import N_, _, ngettext
from ui.admin.worker import BackgroundOps

PAGE = 50
CATEGORY_TITLES = {
    Category.DETRACTOR: N_("Detractors"),
    Category.PASSIVE: N_("Passives"),
    Category.PROMOTER: N_("Promoters"),
}


def reason_names(db: Database) -> dict[str, str]:
    settings = db.settings()
    names: dict[str, str] = {}
    for cat in Category:
        # The chips in the manager's language (their own wording), English where it has none.
        for key, text in settings.reason_chips(cat, texts.language()):
            names.setdefault(key, text)
        for key, text in settings.reason_chips(cat, "en"):
            names.setdefault(key, text)
    return names


def comment_html(c: Comment, reasons: dict[str, str], *, time_zone: str) -> str:
    """One comment as a row of rich text: the score in its category colour, the words, then
    time, channel, language and reasons."""
    colour = style.CATEGORY_COLOURS[c.category.value]
    meta = [
        local_time(c.at, time_zone=time_zone),
        _("Phone") if c.channel.value == "qr" else _("Kiosk"),
        LANGUAGES.get(c.language, c.language),  # each language named in itself
    ]
    if c.reasons:
        meta.append(", ".join(reasons.get(r, r) for r in c.reasons))
    if c.suspect:
        meta.append(_("suspect"))
    text = html.escape(c.comment).replace("\n", "<br>")
    return (
        "<table width='100%' cellspacing='0' cellpadding='0' style='margin: 0 0 4px 0'><tr>"
        f"<td width='46' valign='top' align='center' style='background-color:{colour}; "
        "color:white; font-size:18px; font-weight:700; padding: 8px 0'>"
        f"{c.score}</td><td width='14'></td><td valign='top' style='padding: 2px 0 10px 0'>"
        f"<div style='font-size:16px; color:{style.INK}'>{text}</div>"
        f"<div style='font-size:13px; color:{style.MUTED}; margin-top:3px'>"
        f"{html.escape(' · '.join(meta))}</div></td></tr></table>"
    )


class CommentsTab(QWidget):
    loaded = Signal(object)  # the CommentPage shown
    themes_loaded = Signal(object)

    def __init__(self, db: Database, ops: BackgroundOps) -> None:
        super().__init__()
        self.db, self.ops = db, ops
        self._ticket = 0
        self.page: CommentPage | None = None
        self.reasons = reason_names(db)
        root = QVBoxLayout(self)
        root.setContentsMargins(20, 14, 20, 16)
        root.setSpacing(10)

        filters = QHBoxLayout()
        filters.setSpacing(8)
        self.category_boxes: dict[Category, QCheckBox] = {}
        for cat in Category:
            box = QCheckBox(_(CATEGORY_TITLES[cat]))
            box.setChecked(True)
            self.category_boxes[cat] = box
            filters.addWidget(box)
        filters.addSpacing(8)
        filters.addWidget(label(_("Score"), "muted"))
        self.score_min, self.score_max = QSpinBox(), QSpinBox()
        for spin, value in ((self.score_min, 0), (self.score_max, 10)):
            spin.setRange(0, 10)
            spin.setValue(value)
            spin.setFixedWidth(60)
            filters.addWidget(spin)
        filters.addSpacing(8)
        today = local_today(zone(db.settings().time_zone))  # the store's date, not UTC's
        # Month and day names in the manager's language (ui/admin/parts.py).
        self.since, self.until = date_edit(today - timedelta(days=29)), date_edit(today)
        filters.addWidget(self.since)
        filters.addWidget(label(_("to"), "muted"))
        filters.addWidget(self.until)
        self.reason = QComboBox()
        self.reason.addItem(_("Any reason"), None)
        for key, text in sorted(self.reasons.items(), key=lambda kv: kv[1]):
            self.reason.addItem(text, key)
        filters.addWidget(self.reason)
        self.text = QLineEdit()
        self.text.setPlaceholderText(_("Search the comments"))
        self.text.returnPressed.connect(self.refresh)
        filters.addWidget(self.text, 1)
        self.apply = QPushButton(_("Show"))
        self.apply.setProperty("kind", "primary")
        self.apply.clicked.connect(self.refresh)
        filters.addWidget(self.apply)
        root.addLayout(filters)

        body = QHBoxLayout()
        body.setSpacing(14)
        left = QVBoxLayout()
        self.summary = label("", "muted")
        left.addWidget(self.summary)
        # One rich-text document, not a widget per comment: laying out dozens of word-wrapped
        # labels took a third of a second on the GUI thread; a document lays out in a few ms.
        self.view = QTextBrowser()
        self.view.setOpenLinks(False)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.document().setDocumentMargin(16)
        self.view.setStyleSheet(
            f"QTextBrowser {{ background: {style.CARD}; "
            f"border: 1px solid {style.LINE}; border-radius: 12px; }}"
        )
        self.shown: list[Comment] = []
        self.more_button = QPushButton(_("Show older comments"))
        self.more_button.clicked.connect(self.show_older)
        self.more_button.hide()
        left.addWidget(self.view, 1)
        left.addWidget(self.more_button)
        body.addLayout(left, 3)

        theme_card, self.theme_lay = card(margins=16, spacing=4)
        theme_card.setMinimumWidth(330)
        self.theme_title = label(_("Themes"), "h2")
        self.theme_lay.addWidget(self.theme_title)
        self.theme_body = QVBoxLayout()
        self.theme_body.setSpacing(4)
        self.theme_lay.addLayout(self.theme_body)
        self.theme_lay.addStretch()
        body.addWidget(theme_card, 2)
        root.addLayout(body, 1)

    def current_filter(self) -> CommentFilter:
        cats = frozenset(c for c, box in self.category_boxes.items() if box.isChecked())
        return CommentFilter(
            categories=cats if len(cats) < 3 else frozenset(),
            score_min=min(self.score_min.value(), self.score_max.value()),
            score_max=max(self.score_min.value(), self.score_max.value()),
            since=picked_day(self.since),
            until=picked_day(self.until),
            reason=self.reason.currentData(),
            text=self.text.text(),
        )

    def refresh(self) -> None:
        flt = self.current_filter()
        self._ticket += 1
        mine = self._ticket
        self.summary.setText(_("Loading comments…"))
        self.ops.run(
            partial(comments, self.db, flt, limit=PAGE),
            lambda page: self.show_page(page) if mine == self._ticket else None,
            lambda msg: self.summary.setText(_("Could not read the comments: {msg}", msg=msg)),
        )
        assert flt.since is not None and flt.until is not None
        self.ops.run(
            partial(themes, self.db, since=flt.since, until=flt.until),
            lambda t: self.show_themes(t) if mine == self._ticket else None,
        )

    def show_page(self, page: CommentPage, *, append: bool = False) -> None:
        if not append:
            self.shown = []
        self.page = page
        self.shown.extend(page.items)
        tz = self.db.settings().time_zone
        body = "".join(comment_html(c, self.reasons, time_zone=tz) for c in page.items)
        if append:
            cursor = self.view.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertHtml(body)
        else:
            self.view.setHtml(body)
        self.more_button.setVisible(page.more)
        if not self.shown:
            self.summary.setText(_("No comments match these filters."))
        else:
            self.summary.setText(
                ngettext(
                    "{count} comment, newest first",
                    "{count} comments, newest first",
                    len(self.shown),
                    count=count(len(self.shown)),
                )
            )
        self.loaded.emit(page)

    def show_older(self) -> None:
        if not self.shown:
            return
        flt, before, mine = self.current_filter(), self.shown[-1].at, self._ticket
        self.more_button.hide()
        self.ops.run(
            partial(comments, self.db, flt, limit=PAGE, before=before),
            lambda page: self.show_page(page, append=True) if mine == self._ticket else None,
        )

    def show_themes(self, t: Themes) -> None:
        clear_layout(self.theme_body)
        self.theme_title.setText(
            _(
                "Themes · {since} to {until}",
                since=names_in_language(t.since, "%d %b"),
                until=names_in_language(t.until, "%d %b"),
            )
        )
        for cat in (Category.DETRACTOR, Category.PASSIVE, Category.PROMOTER):
            reasons = t.top_reasons[cat]
            head = label(_("Top reasons · {category}", category=_(CATEGORY_TITLES[cat])), "muted")
            head.setStyleSheet(
                f"color: {style.CATEGORY_COLOURS[cat.value]}; font-weight: 700; margin-top: 6px;"
            )
            self.theme_body.addWidget(head)
            if not reasons:
                self.theme_body.addWidget(label(_("none yet"), "small"))
            top = reasons[0].count if reasons else 1
            for r in reasons[:4]:
                row = QHBoxLayout()
                name = label(self.reasons.get(r.reason, r.reason))
                name.setMinimumWidth(120)
                row.addWidget(name)
                bar = QFrame()
                bar.setFixedHeight(10)
                bar.setFixedWidth(max(4, int(120 * r.count / top)))
                bar.setStyleSheet(
                    f"background: {style.CATEGORY_COLOURS[cat.value]};"
                    " border-radius: 5px; border: none;"
                )
                row.addWidget(bar)
                row.addStretch()
                row.addWidget(label(count(r.count), "small"))
                self.theme_body.addLayout(row)
        words = label(_("Words detractors use"), "muted")
        words.setStyleSheet("font-weight: 700; margin-top: 10px;")
        self.theme_body.addWidget(words)
        if t.detractor_words:
            chips = " ".join(
                f"<span style='background:{style.OVERDUE_BG}; color:{style.INK};'>"
                f"&nbsp;{w.word}&nbsp;<span style='color:{style.MUTED}'>{w.count}</span>"
                "&nbsp;</span>"
                for w in t.detractor_words[:16]
            )
            text = label(chips, wrap=True)
            text.setTextFormat(Qt.TextFormat.RichText)
            text.setStyleSheet("line-height: 150%;")
            self.theme_body.addWidget(text)
        else:
            self.theme_body.addWidget(label(_("no detractor comments in these dates"), "small"))
        self.themes_loaded.emit(t)
