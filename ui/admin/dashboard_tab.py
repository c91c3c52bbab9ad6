"""The dashboard tab: how the store is doing at a glance, from kiosk.dashboard (rollups)."""

from __future__ import annotations

from datetime import datetime, time
from functools import partial

from PySide6.QtCharts import (
    QAbstractAxis,
    QAreaSeries,
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QDateTime, QMargins, Qt, QTime, Signal
from PySide6.QtGui import QBrush, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.nps import NpsResult
from core.survey_texts import LANGUAGES
from kiosk.dashboard import Dashboard, dashboard
from kiosk.db import Database, utcnow
from ui.admin import style
from ui.admin.parts import (
    CategoryBar,
    card,
    clear_layout,
    count,
    interval_text,
    label,
    local_time,
    names_in_language,
    nps_text,
)
from ui.admin.texts import N_, _, ngettext
from ui.admin.worker import BackgroundOps

WINDOWS = (
    (N_("Last 7 days"), 7),
    (N_("Last 30 days"), 30),
    (N_("Last 90 days"), 90),
    (N_("Last 12 months"), 365),
    (N_("All time"), None),
)
CHANNEL_NAMES = {"kiosk": N_("In-store kiosk"), "qr": N_("Phone (QR code)")}


def _chart() -> QChart:
    chart = QChart()
    chart.legend().hide()
    chart.setBackgroundVisible(False)
    chart.setMargins(QMargins(0, 0, 0, 0))
    chart.setBackgroundRoundness(0)
    return chart


def _view() -> QChartView:
    view = QChartView(_chart())
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setStyleSheet("background: transparent; border: none;")
    view.setBackgroundBrush(QBrush(style.qcolor(style.CARD)))
    return view


def _reset(view: QChartView) -> QChart:
    """The view's own chart, emptied (one chart per view for its whole life: swapping charts
    and dropping the old one's Python wrapper crashes QtCharts)."""
    chart = view.chart()
    chart.removeAllSeries()
    for axis in chart.axes():
        chart.removeAxis(axis)
        axis.deleteLater()
    return chart


def _qdatetime(at: datetime) -> QDateTime:
    """A naive local datetime as a QDateTime, to the second."""
    return QDateTime(QDate(at.year, at.month, at.day), QTime(at.hour, at.minute, at.second))


def _axis_font(axis: QAbstractAxis, size: int = 11) -> None:
    font = QFont()
    font.setPixelSize(size)
    axis.setLabelsFont(font)
    axis.setLabelsColor(style.qcolor(style.MUTED))
    axis.setGridLineColor(style.qcolor(style.LINE))
    axis.setLinePenColor(style.qcolor(style.LINE))


class PeriodCard(QWidget):
    def __init__(self, title: str) -> None:
        super().__init__()
        frame, lay = card(spacing=2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        top = QHBoxLayout()
        top.addWidget(label(_(title), "h2"))
        top.addStretch()
        self.badge = label(_("low sample"), "badge")
        self.badge.hide()
        top.addWidget(self.badge)
        lay.addLayout(top)
        self.value = label("—", "big")
        lay.addWidget(self.value)
        self.interval = label("", "muted")
        self.n = label("", "small")
        lay.addWidget(self.interval)
        lay.addWidget(self.n)

    def set_result(self, result: NpsResult) -> None:
        self.value.setText(nps_text(result))
        colour = (
            style.MUTED
            if result.nps is None
            else style.PROMOTER
            if result.nps >= 30
            else style.INK
            if result.nps >= 0
            else style.DETRACTOR
        )
        self.value.setStyleSheet(f"color: {colour};")
        self.interval.setText(interval_text(result))
        self.n.setText(
            ngettext("{count} response", "{count} responses", result.n, count=count(result.n))
        )
        self.badge.setVisible(result.n > 0 and result.low_sample)


class SplitRow(QWidget):
    """One line of a split: name, NPS with interval, n."""

    def __init__(self, name: str, result: NpsResult) -> None:
        super().__init__()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 2)
        lay.addWidget(label(name), 1)
        value = label(nps_text(result), "h2")
        value.setMinimumWidth(48)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(value)
        detail = label(
            f"{interval_text(result).replace('95%: ', '')} · n {count(result.n)}"
            + (" · " + _("low sample") if result.n and result.low_sample else ""),
            "small",
        )
        detail.setMinimumWidth(170)
        lay.addWidget(detail)


class DashboardTab(QWidget):
    loaded = Signal(object)  # the Dashboard shown

    def __init__(self, db: Database, ops: BackgroundOps) -> None:
        super().__init__()
        self.db, self.ops = db, ops
        self.data: Dashboard | None = None
        self._ticket = 0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()  # a small tablet scrolls; 1280x800 shows it all
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        host = QWidget()
        scroll.setWidget(host)
        outer.addWidget(scroll)
        root = QVBoxLayout(host)
        root.setContentsMargins(20, 8, 20, 6)
        root.setSpacing(8)

        bar = QHBoxLayout()
        self.heading = label(_("How are we doing?"), "h1")
        bar.addWidget(self.heading)
        self.zone_note = label("", "muted")  # whose "today": the store's zone
        bar.addWidget(self.zone_note)
        bar.addStretch()
        self.window_picker = QComboBox()
        for text, days in WINDOWS:
            self.window_picker.addItem(_(text), days)
        self.window_picker.setCurrentIndex(1)
        self.window_picker.currentIndexChanged.connect(lambda _i: self.refresh())
        self.suspect = QCheckBox(_("Include suspect responses"))
        self.suspect.toggled.connect(lambda _on: self.refresh())
        bar.addWidget(label(_("Charts for"), "muted"))
        bar.addWidget(self.window_picker)
        bar.addSpacing(12)
        bar.addWidget(self.suspect)
        root.addLayout(bar)

        periods = QHBoxLayout()
        periods.setSpacing(12)
        self.period_cards = [
            PeriodCard(t)
            for t in (N_("Today"), N_("Last 7 days"), N_("Last 30 days"), N_("All time"))
        ]
        for c in self.period_cards:
            periods.addWidget(c, 1)
        root.addLayout(periods)

        grid = QGridLayout()
        grid.setSpacing(10)
        # Trend with its interval band.
        trend_card, trend_lay = card(margins=14)
        self.trend_title = label(_("NPS trend"), "h2")
        trend_lay.addWidget(self.trend_title)
        self.trend_view = _view()
        self.trend_view.setMinimumHeight(125)
        trend_lay.addWidget(self.trend_view, 1)
        grid.addWidget(trend_card, 0, 0, 1, 2)
        # Mix, completion, suspects.
        mix_card, mix_lay = card(margins=14)
        self.mix_title = label(_("Who answered"), "h2")
        mix_lay.addWidget(self.mix_title)
        self.mix_bar = CategoryBar()
        mix_lay.addWidget(self.mix_bar)
        self.mix_legend = label("", "small")
        mix_lay.addWidget(self.mix_legend)
        mix_lay.addSpacing(6)
        row = QHBoxLayout()
        box = QVBoxLayout()
        box.addWidget(label(_("Follow-ups finished"), "muted"))
        self.completion = label("—", "mid")
        box.addWidget(self.completion)
        self.completion_detail = label("", "small")
        box.addWidget(self.completion_detail)
        row.addLayout(box, 1)
        box = QVBoxLayout()
        box.addWidget(label(_("Suspect responses"), "muted"))
        self.suspects = label("—", "mid")
        box.addWidget(self.suspects)
        self.suspect_detail = label("", "small")
        box.addWidget(self.suspect_detail)
        row.addLayout(box, 1)
        mix_lay.addLayout(row)
        mix_lay.addStretch()
        grid.addWidget(mix_card, 0, 2)
        # Distribution.
        dist_card, dist_lay = card(margins=14)
        dist_lay.addWidget(label(_("Scores 0–10"), "h2"))
        self.dist_view = _view()
        self.dist_view.setMinimumHeight(100)
        dist_lay.addWidget(self.dist_view, 1)
        grid.addWidget(dist_card, 1, 0, 1, 2)
        # Splits by channel and by language.
        split_card, split_lay = card(margins=14)
        split_lay.addWidget(label(_("By channel"), "h2"))
        self.channel_rows = QVBoxLayout()
        split_lay.addLayout(self.channel_rows)
        split_lay.addSpacing(8)
        split_lay.addWidget(label(_("By language"), "h2"))
        self.lang_rows = QVBoxLayout()
        split_lay.addLayout(self.lang_rows)
        split_lay.addStretch()
        grid.addWidget(split_card, 1, 2)
        grid.setColumnStretch(0, 4)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 4)
        grid.setRowStretch(0, 5)
        grid.setRowStretch(1, 4)
        root.addLayout(grid, 1)

    # -- data --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Ask for the figures in the background; an answer overtaken by a newer ask is dropped."""
        days = self.window_picker.currentData()
        include = self.suspect.isChecked()
        call = partial(dashboard, self.db, include_suspect=include, window_days=days)
        self._ticket += 1
        mine = self._ticket
        self.ops.run(
            call, lambda data: self.show_data(data) if mine == self._ticket else None, self._failed
        )

    def _failed(self, message: str) -> None:
        self.heading.setText(_("The figures could not be read: {message}", message=message))

    def show_data(self, data: Dashboard) -> None:
        self.data = data
        for c, period in zip(self.period_cards, data.periods, strict=True):
            c.set_result(period.result)
        self.zone_note.setText(
            "  "
            + _(
                "Today is {day} · store time {time} ({zone})",
                day=names_in_language(data.today, "%a %d %b"),
                time=local_time(utcnow(), "%H:%M", time_zone=data.time_zone),
                zone=data.time_zone,
            )
        )
        window_name = self.window_picker.currentText()
        self.mix_title.setText(_("Who answered · {period}", period=window_name))
        w = data.window
        self.mix_bar.set_result(w)
        if w.n:
            self.mix_legend.setText(
                f"<span style='color:{style.DETRACTOR}'>■</span> "
                + _("Detractors {n}", n=count(w.detractors))
                + f" &nbsp; <span style='color:{style.PASSIVE}'>■</span> "
                + _("Passives {n}", n=count(w.passives))
                + f" &nbsp; <span style='color:{style.PROMOTER}'>■</span> "
                + _("Promoters {n}", n=count(w.promoters))
            )
        else:
            self.mix_legend.setText(_("No answers in this period yet."))
        rate = data.completion.rate
        self.completion.setText("—" if rate is None else f"{rate * 100:.0f}%")
        stats = data.completion
        self.completion_detail.setText(
            _(
                "{done} done · {skipped} skipped · {timed_out} timed out",
                done=count(stats.done),
                skipped=count(stats.skip),
                timed_out=count(stats.timeout),
            )
        )
        self.suspects.setText(count(data.suspect_in_window))
        self.suspect_detail.setText(
            _("included in the figures") if data.include_suspect else _("left out of the figures")
        )
        self.suspect.setText(_("Include suspect responses ({n})", n=count(data.suspect_in_window)))
        self._fill_splits(
            self.channel_rows,
            [
                (_(CHANNEL_NAMES[s.name]) if s.name in CHANNEL_NAMES else s.name, s.result)
                for s in data.by_channel
            ],
        )
        self._fill_splits(
            self.lang_rows,
            [(LANGUAGES.get(s.name, s.name), s.result) for s in data.by_language],
        )
        self._draw_trend(data)
        self._draw_distribution(data)
        self.loaded.emit(data)

    def _fill_splits(self, layout: QVBoxLayout, rows: list[tuple[str, NpsResult]]) -> None:
        clear_layout(layout)
        if not rows:
            layout.addWidget(label(_("No answers in this period yet."), "muted"))
        for name, result in rows:
            layout.addWidget(SplitRow(name, result))

    def _draw_trend(self, data: Dashboard) -> None:
        chart = _reset(self.trend_view)
        points = [p for p in data.trend if p.result.nps is not None]
        self.trend_title.setText(
            _("Daily NPS with its interval (95%)")
            if data.trend_unit == "day"
            else _("Weekly NPS with its interval (95%)")
        )
        chart.setTitle("")
        if not points:
            font = QFont()
            font.setPixelSize(15)
            chart.setTitleFont(font)
            chart.setTitleBrush(QBrush(style.qcolor(style.MUTED)))
            chart.setTitle(_("No answers in this period yet: the trend starts with the first day."))
            return
        line = QLineSeries()
        band = QAreaSeries()
        # The band does not own its edge series: parent them to it so they live as long.
        upper, lower = QLineSeries(band), QLineSeries(band)
        for p in points:
            ms = _qdatetime(datetime.combine(p.start, time(12))).toMSecsSinceEpoch()
            line.append(ms, p.result.nps or 0)
            upper.append(ms, p.result.ci_high or 0)
            lower.append(ms, p.result.ci_low or 0)
        band.setUpperSeries(upper)
        band.setLowerSeries(lower)
        band.setBrush(QBrush(style.qcolor(style.ACCENT, 45)))
        band.setPen(QPen(Qt.PenStyle.NoPen))
        chart.addSeries(band)
        pen = QPen(style.qcolor(style.ACCENT))
        pen.setWidth(3)
        line.setPen(pen)
        line.setPointsVisible(len(points) <= 40)
        chart.addSeries(line)
        x = QDateTimeAxis()
        x.setFormat("d MMM")
        x.setTickCount(min(8, max(2, len(points))))
        first = datetime.combine(points[0].start, time(0))
        last = datetime.combine(points[-1].start, time(23, 59))
        x.setRange(_qdatetime(first), _qdatetime(last))
        y = QValueAxis()
        low = min(p.result.ci_low or 0 for p in points)
        high = max(p.result.ci_high or 0 for p in points)
        step = 10 if high - low <= 40 else 20 if high - low <= 100 else 50
        bottom = max(-100, (low - 2) // step * step)
        top = min(100, -((-(high + 2)) // step) * step)
        y.setRange(bottom, top)
        y.setLabelFormat("%d")
        y.setTickCount(int((top - bottom) // step) + 1)
        for axis in (x, y):
            _axis_font(axis)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for series in (band, line):
            series.attachAxis(x)
            series.attachAxis(y)

    def _draw_distribution(self, data: Dashboard) -> None:
        chart = _reset(self.dist_view)
        series = QStackedBarSeries()
        sets = {}
        for name, colour in (
            ("detractor", style.DETRACTOR),
            ("passive", style.PASSIVE),
            ("promoter", style.PROMOTER),
        ):
            bar = QBarSet(name)
            bar.setColor(style.qcolor(colour))
            bar.setBorderColor(style.qcolor(colour))
            sets[name] = bar
        for score, n in enumerate(data.distribution):
            for name, bar in sets.items():
                mine = (
                    "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
                ) == name
                bar.append(n if mine else 0)
        for bar in sets.values():
            series.append(bar)
        series.setBarWidth(0.72)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([str(s) for s in range(11)])
        x.setGridLineVisible(False)
        y = QValueAxis()
        top = max(data.distribution)
        y.setLabelFormat("%'d")
        if top < 4:  # whole numbers only on a near-empty chart (0, 1, 2 ...)
            y.setRange(0, max(top, 1))
            y.setTickCount(max(top, 1) + 1)
        else:
            y.setRange(0, top * 1.05)
            y.setTickCount(4)
            y.applyNiceNumbers()
        for axis in (x, y):
            _axis_font(axis)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
