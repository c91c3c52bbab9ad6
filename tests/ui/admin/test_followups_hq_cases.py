"""The Follow-ups tab with cases that travel to and from HQ: each case says who changed it and
when, in the store's time ("Contacted by ana@chain.example (HQ), 29 Nov 14:05 IST"), and a sync that
brought HQ's changes refreshes the list without wiping a note the manager is typing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk import followups
from kiosk.db import open_database
from kiosk.followups import CaseChange, CaseState
from kiosk.recording import Completion, FollowUp, Recorder
from ui.admin import AdminView

NAME, PHONE = "Kavita Joshi", "+91 98111 22233"


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(tmp_path / "kiosk.db")
    database.update_settings(time_zone="Asia/Kolkata")
    rec = Recorder(database)
    rid = rec.record_score(score=2, language="en", time_to_answer_ms=4000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            comment="Nobody at the counter",
            contact_consent=True,
            contact_name=NAME,
            contact_detail=PHONE,
        ),
    )
    yield database
    database.close()


def open_tab(qtbot, db):  # noqa: ANN001, ANN201
    view = AdminView(db)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    tab = view.followups
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        view.tabs.setCurrentWidget(tab)
    return view, tab


def test_the_tab_says_who_changed_a_case_and_when_in_store_time(qtbot, db) -> None:  # noqa: ANN001
    (case,) = followups.cases(db)
    at = datetime(2026, 11, 29, 8, 35, tzinfo=UTC)  # 14:05 in Bengaluru
    followups.apply_from_hq(
        db,
        [
            CaseChange(
                response_id=case.response_id,
                state=CaseState.CONTACTED,
                note="Spoke to her, coupon sent",
                changed_by="ana@chain.example",
                changed_at=at,
            )
        ],
    )
    view, tab = open_tab(qtbot, db)
    try:
        assert tab.case_changed.text() == "Contacted by ana@chain.example (HQ), 29 Nov 14:05 IST"
        assert tab.note.toPlainText() == "Spoke to her, coupon sent"
        assert tab.table.item(0, 4).toolTip() == tab.case_changed.text()
        # The manager resolves it here: it now says so, by this kiosk's store manager.
        with qtbot.waitSignal(tab.loaded, timeout=10_000):
            tab.resolved.click()
        tab.filter.setCurrentIndex(tab.filter.count() - 1)  # all cases
        qtbot.waitUntil(lambda: tab.current is not None and tab.current.state is CaseState.RESOLVED)
        device = db.settings().device_id
        assert tab.case_changed.text().startswith(f"Resolved by store manager ({device}), ")
    finally:
        view.shutdown()


def test_a_sync_with_hq_changes_refreshes_the_list_and_keeps_a_note_being_typed(
    qtbot,  # noqa: ANN001
    db,  # noqa: ANN001
) -> None:
    view, tab = open_tab(qtbot, db)
    try:
        assert tab.current is not None and tab.current.state is CaseState.OPEN
        rid = tab.current.response_id
        tab.note.setFocus()
        qtbot.keyClicks(tab.note, "Will call at 6")
        followups.apply_from_hq(
            db,
            [
                CaseChange(
                    response_id=rid,
                    state=CaseState.CONTACTED,
                    note=None,
                    changed_by="ana@chain.example",
                    changed_at=datetime.now(UTC),
                )
            ],
        )
        with qtbot.waitSignal(tab.loaded, timeout=10_000):
            tab.hq_changed(1)  # what SyncController.cases_changed calls
        assert tab.current is not None and tab.current.state is CaseState.CONTACTED
        assert "(HQ)" in tab.case_changed.text()
        assert tab.note.toPlainText() == "Will call at 6"  # not wiped by the refresh
    finally:
        view.shutdown()
