"""Errors the kiosk's service code raises, shown in the admin view in the manager's language:
settings validation naming the setting, the PIN's format, and a failed export on the worker."""

from __future__ import annotations

import pytest
from test_admin_view import db, make_view  # noqa: F401  (fixtures)

from kiosk.export import export_responses
from kiosk.localtime import local_today, zone
from kiosk.questions import save_settings
from ui.admin import texts


@pytest.fixture(autouse=True)
def english_after() -> None:
    yield
    texts.use("en")


def test_a_refused_setting_and_a_bad_pin_are_said_in_hindi(qtbot, make_view, db) -> None:  # noqa: F811
    save_settings(db, admin_language="hi")
    view = make_view()
    tab = view.settings_tab
    tab.show_settings(db.settings())
    tab.time_zone.setCurrentText("Mars/Olympus_Mons")
    tab.save()
    shown = tab.message.text()
    assert shown.startswith("सेटिंग 'time_zone': IANA डेटाबेस का टाइम ज़ोन नाम होना चाहिए")
    assert "'Mars/Olympus_Mons' नहीं" in shown
    assert db.settings().time_zone != "Mars/Olympus_Mons"

    tab.new_pin.setText("12")
    tab.new_pin2.setText("12")
    tab._change_pin()
    assert tab.pin_message.text() == "PIN में 4 से 8 अंक (0-9) होते हैं।"


def test_a_failed_background_job_reports_in_the_managers_language(
    qtbot,
    make_view,  # noqa: F811
    db,  # noqa: F811
    tmp_path,
) -> None:
    save_settings(db, admin_language="hi")
    view = make_view()
    missing = tmp_path / "no-stick"
    today = local_today(zone(db.settings().time_zone))
    errors: list[str] = []
    view.settings_tab.ops.run(
        lambda: export_responses(db, folder=missing, since=today, until=today),
        lambda _result: None,
        errors.append,
    )
    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    assert errors == [f"फ़ोल्डर {missing} मौजूद नहीं है; USB स्टिक लगाएँ और उसे फिर से चुनें।"]
