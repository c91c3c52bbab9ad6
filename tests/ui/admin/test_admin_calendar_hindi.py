"""The admin view's day pickers (Comments and Records) and its dates in the manager's language:
a Hindi manager's calendar popup names the month in Hindi, and so do the view's date labels."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QToolButton
from test_admin_view import db, make_view  # noqa: F401  (fixtures)

from kiosk.questions import save_settings
from ui.admin import texts
from ui.admin.parts import names_in_language


@pytest.fixture(autouse=True)
def english_after() -> None:
    yield
    texts.use("en")


def month_button(edit) -> str:  # noqa: ANN001
    """The month named in the calendar popup's title bar."""
    button = edit.calendarWidget().findChild(QToolButton, "qt_calendar_monthbutton")
    assert button is not None
    return str(button.text())


def test_a_hindi_managers_calendar_names_the_month_in_hindi(qtbot, make_view, db) -> None:  # noqa: F811
    save_settings(db, admin_language="hi")
    view = make_view()
    view.show()
    for edit in (view.records.since, view.comments.until):
        edit.setDate(QDate(2026, 11, 15))
        calendar = edit.calendarWidget()
        calendar.setSelectedDate(QDate(2026, 11, 15))
        assert calendar.locale().monthName(11) == "नवंबर"
        assert month_button(edit) == "नवंबर"
        assert edit.text() == "15 नव॰ 2026"  # the field too; digits stay Latin
        calendar.setSelectedDate(QDate(2027, 3, 1))
        assert month_button(edit) == "मार्च"


def test_an_english_managers_calendar_stays_english(qtbot, make_view, db) -> None:  # noqa: F811
    view = make_view()
    edit = view.records.since
    edit.setDate(QDate(2026, 11, 15))
    edit.calendarWidget().setSelectedDate(QDate(2026, 11, 15))
    assert month_button(edit) == "November"
    assert edit.text() == "15 Nov 2026"


def test_the_views_dates_name_day_and_month_in_the_managers_language() -> None:
    texts.use("hi")
    assert names_in_language(date(2026, 11, 29), "%a %d %b %Y") == "रवि 29 नव॰ 2026"
    texts.use("en")
    assert names_in_language(date(2026, 11, 29), "%a %d %b %Y") == "Sun 29 Nov 2026"
