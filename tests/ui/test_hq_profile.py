"""A store profile published at HQ reaches the kiosk's screens: a real HQ on 127.0.0.1, the
real sync worker thread, a real SQLite file, Qt offscreen.

A customer on the follow-up screen when the profile arrives finishes with the texts they
started with; the next customer gets the new (Hindi) question, and the answers carry the survey
version they were asked with, at HQ too. The Settings tab greys out what HQ manages."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from synckit import HINDI_QUESTION, Hq, publish_survey, start_hq  # noqa: E402

from kiosk.recording import Recorder  # noqa: E402
from sync.outbox import enroll_kiosk  # noqa: E402
from ui.sync_worker import SyncController  # noqa: E402

DEFAULT_FOLLOW_UP = "What could we do better?"


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hq]:
    server = start_hq(tmp_path_factory.mktemp("hq"))
    yield server
    server.stop()


def test_a_new_hindi_question_shows_from_the_next_customer(
    qtbot,  # noqa: ANN001
    hq: Hq,
    make_kiosk: Callable[..., object],
) -> None:
    kiosk = make_kiosk()
    window, controller, db = kiosk.window, kiosk.controller, kiosk.db  # type: ignore[attr-defined]
    with requests.Session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
    store = db.settings().store_id
    sync = SyncController(db, interval_ms=3_600_000, wake_delay_ms=50)
    sync.profile_applied.connect(controller.profile_arrived)
    controller.response_completed.connect(lambda *_: sync.response_completed())
    applied: list[int] = []
    sync.profile_applied.connect(applied.append)
    sync.start()
    try:
        # The first cycle's light check brings profile version 1 (the built-in survey).
        qtbot.waitUntil(lambda: applied == [1], timeout=15000)
        assert window.question.question.text() != HINDI_QUESTION

        # A customer taps 3: the follow-up asks in the old wording.
        window.question.score_tapped.emit(3)
        assert window.current_screen() is window.follow_up
        assert window.follow_up.question.text() == DEFAULT_FOLLOW_UP
        first = controller.pending

        # HQ publishes a Hindi survey; the kiosk fetches it while the customer is there.
        survey = publish_survey(hq, store)
        sync.sync_now()
        qtbot.waitUntil(lambda: applied == [1, 2], timeout=15000)
        assert db.settings().question["hi"] == HINDI_QUESTION  # stored...
        assert window.current_screen() is window.follow_up  # ...but not shown mid-customer
        assert window.follow_up.question.text() == DEFAULT_FOLLOW_UP
        assert controller.pending is first

        window.follow_up.done_pressed.emit()
        assert window.current_screen() is window.thanks
        window.thanks.dismissed.emit()
        # The next customer: the new question, in Hindi (the profile's first language).
        assert window.current_screen() is window.question
        assert window.question.question.text() == HINDI_QUESTION
        assert controller.language == "hi"
        window.question.score_tapped.emit(9)
        window.follow_up.done_pressed.emit()
        window.thanks.dismissed.emit()

        rows = {r.id: r for r in Recorder(db).latest(limit=10)}
        with db.engine.connect() as conn:
            versions = dict(conn.exec_driver_sql("SELECT id, survey_version FROM responses").all())
        assert first is not None and versions[first.id] == 1  # asked with the old survey
        [second] = [rid for rid in rows if rid != first.id]
        assert versions[second] == survey

        # Both reach HQ with their survey versions; the health names profile 2.
        sync.sync_now()

        def at_hq() -> dict[str, int | None]:
            with hq.hq.db.engine.connect() as conn:
                return dict(
                    conn.exec_driver_sql(
                        "SELECT id, survey_version FROM responses WHERE store_id = ?", (store,)
                    ).all()
                )

        qtbot.waitUntil(lambda: at_hq() == versions, timeout=15000)
    finally:
        assert sync.shutdown()


def test_a_profile_arriving_on_an_idle_question_screen_shows_at_once(
    hq: Hq, make_kiosk: Callable[..., object]
) -> None:
    from kiosk.credentials import load
    from kiosk.profile import receive
    from sync.client import HqClient

    kiosk = make_kiosk()
    window, controller, db = kiosk.window, kiosk.controller, kiosk.db  # type: ignore[attr-defined]
    with requests.Session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
        publish_survey(hq, db.settings().store_id)
        signed = HqClient(hq.base, session=s, token=load(db.path).device_token).get_profile()
    assert signed is not None
    receive(db, signed, secret=load(db.path).device_secret)  # what the worker does
    controller.profile_arrived(2)
    assert window.question.question.text() == HINDI_QUESTION


def test_the_settings_tab_shows_what_hq_manages(
    qtbot,  # noqa: ANN001
    hq: Hq,
    make_kiosk: Callable[..., object],
) -> None:
    from kiosk.credentials import load
    from kiosk.profile import receive
    from sync.client import HqClient
    from ui.admin.settings_tab import SettingsTab
    from ui.admin.worker import BackgroundOps

    kiosk = make_kiosk()
    db = kiosk.db  # type: ignore[attr-defined]
    tab = SettingsTab(db, BackgroundOps())
    qtbot.addWidget(tab)
    tab.refresh()
    assert tab.managed_note.isHidden() and tab.store_name.isEnabled()  # not enrolled: as today
    with requests.Session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
        publish_survey(hq, db.settings().store_id)
        signed = HqClient(hq.base, session=s, token=load(db.path).device_token).get_profile()
    assert signed is not None
    receive(db, signed, secret=load(db.path).device_secret)
    tab.refresh()
    assert not tab.managed_note.isHidden()
    assert "Managed by HQ, version 2" in tab.managed_note.text()
    assert not tab.store_name.isEnabled() and not tab.question["hi"].isEnabled()
    assert not tab.review_url.isEnabled()  # the promoters' review link is HQ's too
    assert tab.screen_choice.isEnabled() and tab.pin_button.isEnabled()
    # Saving keeps HQ's fields: only the store's own (the screen) are written.
    tab.store_name.setText("Changed here")
    tab.review_url.setText("https://changed.example/here")
    tab.save()
    assert db.settings().store_name != "Changed here"
    assert db.settings().review_url == ""
    assert db.settings().question["hi"] == HINDI_QUESTION


def test_a_refused_profile_shows_on_the_sync_tab(
    qtbot,  # noqa: ANN001
    hq: Hq,
    make_kiosk: Callable[..., object],
) -> None:
    from kiosk.profile import record_refusal
    from sync.ledger import SyncStore
    from ui.admin.sync_tab import SyncTab

    kiosk = make_kiosk()
    db = kiosk.db  # type: ignore[attr-defined]
    with requests.Session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
    record_refusal(db, "The profile HQ sent does not carry this device's signature")
    tab = SyncTab()
    qtbot.addWidget(tab)
    tab.set_overview(SyncStore(db).overview())
    assert not tab.error_card.isHidden()
    assert "Store profile refused" in tab.error_label.text()
