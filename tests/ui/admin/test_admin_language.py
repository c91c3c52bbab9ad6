"""The admin view in the manager's language: the setting admin_language (English or Hindi),
chosen on the Settings tab, and the view's texts from the admin catalog with plural forms."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from test_admin_view import db, make_view  # noqa: F401  (fixtures)

from kiosk.errors import SettingError
from kiosk.questions import save_settings
from ui.admin import texts


@pytest.fixture(autouse=True)
def english_after() -> None:
    yield
    texts.use("en")


def tab_titles(view) -> list[str]:  # noqa: ANN001
    return [view.tabs.tabText(i) for i in range(view.tabs.count())]


def test_the_setting_takes_english_or_hindi(db) -> None:  # noqa: F811
    assert db.settings().admin_language == "en"
    assert save_settings(db, admin_language="hi").admin_language == "hi"
    with pytest.raises(SettingError, match="admin_language"):
        save_settings(db, admin_language="ta")  # the customer's languages are not all here


def test_the_view_speaks_hindi_when_the_manager_chose_it(qtbot, make_view, db) -> None:  # noqa: F811
    english = make_view()
    assert tab_titles(english)[:3] == ["Dashboard", "Comments", "Follow-ups"]
    save_settings(db, admin_language="hi")
    view = make_view()
    view.show()
    assert tab_titles(view)[:6] == [
        "डैशबोर्ड",
        "टिप्पणियाँ",
        "फ़ॉलो-अप",
        "सेटिंग्स",
        "रिकॉर्ड",
        "ऑडिट लॉग",
    ]
    assert view.back_button.text() == "सर्वे पर वापस"
    assert view.exit_button.text() == "कियॉस्क बंद करें"
    # Counts take the Hindi plural form.
    view.tabs.setCurrentWidget(view.audit)
    with qtbot.waitSignal(view.audit.loaded, timeout=10_000) as blocker:
        view.audit.refresh()
    n = len(blocker.args[0])
    assert view.audit.summary.text() == (
        f"नवीनतम {n} प्रविष्टियाँ, सबसे नई पहले" if n > 1 else f"नवीनतम {n} प्रविष्टि, सबसे नई पहले"
    )
    view.tabs.setCurrentWidget(view.comments)
    with qtbot.waitSignal(view.comments.loaded, timeout=10_000):
        qtbot.mouseClick(view.comments.apply, Qt.MouseButton.LeftButton)
    assert view.comments.summary.text().endswith("टिप्पणियाँ, सबसे नई पहले")
    assert view.records.export_button.text() == "निर्यात करें"


def test_settings_shows_the_choice_and_saves_it(qtbot, make_view, db) -> None:  # noqa: F811
    view = make_view()
    tab = view.settings_tab
    tab.show_settings(db.settings())
    assert tab.admin_language.currentData() == "en"
    assert [tab.admin_language.itemText(i) for i in range(tab.admin_language.count())] == [
        "English",
        "हिन्दी",
    ]
    tab.admin_language.setCurrentIndex(tab.admin_language.findData("hi"))
    tab.save()
    assert db.settings().admin_language == "hi"
    assert tab_titles(view)[0] == "Dashboard"  # this view stays as it was built
    assert tab_titles(make_view())[0] == "डैशबोर्ड"  # the next one is in Hindi


def test_every_audit_title_is_marked_for_the_admin_catalog() -> None:
    from kiosk.audit import DESCRIPTIONS
    from ui.admin.audit_tab import ACTION_TITLES

    assert ACTION_TITLES == DESCRIPTIONS  # a new audit action needs its title marked too
    texts.use("hi")
    assert texts._(ACTION_TITLES["pin_failed"]) == "गलत PIN"


def test_every_audit_action_the_kiosk_writes_has_a_title() -> None:
    """An action written without a title shows its raw name in English on a Hindi audit tab."""
    import re
    from pathlib import Path

    from kiosk.audit import DESCRIPTIONS

    root = Path(__file__).resolve().parents[3]
    written: set[str] = set()
    call = re.compile(r"""(?:audit\.(?:add|record)|_audit|_record)\(\s*\w+,\s*"([a-z_]+)\"""")
    keyword = re.compile(r"""\baction="([a-z_]+)\"""")
    for package in ("kiosk", "sync"):
        for source in (root / package).rglob("*.py"):
            text = source.read_text("utf-8")
            written |= set(call.findall(text))
            written |= {a for a in keyword.findall(text) if a not in ("store_true", "append")}
    assert {"pin_ok", "retention_purge", "erasures_exported", "case_from_hq"} <= written
    assert sorted(written - set(DESCRIPTIONS)) == []
