"""The Sync tab and the sync worker thread against a real HQ on 127.0.0.1 (Qt offscreen)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from synckit import Hq, add_responses, start_hq  # noqa: E402

from kiosk.db import Database, open_database  # noqa: E402
from sync.ledger import SyncState  # noqa: E402
from ui.admin.sync_tab import SyncTab  # noqa: E402
from ui.sync_worker import SyncController  # noqa: E402


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hq]:
    server = start_hq(tmp_path_factory.mktemp("hq"))
    yield server
    server.stop()


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Database]:
    db = open_database(tmp_path / "kiosk.db")
    yield db
    db.close()


@pytest.fixture
def controller(kiosk: Database) -> Iterator[SyncController]:
    c = SyncController(kiosk, wake_delay_ms=10)
    yield c
    c.shutdown()
    assert c.worker_thread.isFinished()


def test_manager_enrolls_from_the_tab_and_answers_sync_in_the_background(
    qtbot,
    hq: Hq,
    kiosk: Database,
    controller: SyncController,  # noqa: ANN001
) -> None:
    tab = SyncTab()
    qtbot.addWidget(tab)
    tab.bind(controller)
    controller.start()
    qtbot.waitUntil(lambda: tab.overview is not None, timeout=5000)
    assert tab.overview is not None and tab.overview.state is SyncState.NOT_ENROLLED
    assert tab.state_label.text() == "Not connected to HQ"
    assert not tab.sync_button.isEnabled() and not tab.enroll_card.isHidden()

    add_responses(kiosk, 9)  # answered before the kiosk was connected
    tab.hq_edit.setText(hq.base)
    tab.code_edit.setText(hq.code(hq.new_store("Shop 12")))
    qtbot.mouseClick(tab.enroll_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Enrolled as device" in tab.enroll_message.text(), timeout=10000)
    qtbot.waitUntil(
        lambda: (
            tab.overview is not None
            and tab.overview.state is SyncState.ONLINE
            and tab.overview.pending == 0
        ),
        timeout=10000,
    )
    assert tab.state_label.text() == "Online"
    assert tab.pending_value.text() == "0" and tab.ledger_table.rowCount() == 1
    assert tab.ledger_table.item(0, 3).text() == "9"  # accepted
    assert len(hq.rows(kiosk.settings().device_id)) == 9

    # A completed answer wakes the worker; it goes up without anyone pressing anything.
    add_responses(kiosk, 2)
    controller.response_completed()
    qtbot.waitUntil(lambda: len(hq.rows(kiosk.settings().device_id)) == 11, timeout=10000)
    qtbot.waitUntil(lambda: tab.ledger_table.rowCount() == 2, timeout=5000)


def test_a_revoked_device_shows_the_refusal_and_the_enroll_form(
    qtbot,
    hq: Hq,
    kiosk: Database,
    controller: SyncController,  # noqa: ANN001
) -> None:
    from synckit import session

    from sync.outbox import enroll_kiosk

    with session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    hq.hq.revoke_device(kiosk.settings().device_id)
    add_responses(kiosk, 3)
    tab = SyncTab()
    qtbot.addWidget(tab)
    tab.bind(controller)
    controller.start()
    qtbot.waitUntil(
        lambda: tab.overview is not None and tab.overview.state is SyncState.REFUSED, timeout=10000
    )
    assert tab.state_label.text() == "HQ refused this device"
    assert "enroll it again" in tab.detail_label.text()
    assert not tab.enroll_card.isHidden()
    assert tab.pending_value.text() == "3"
    assert "HQ refused this device: enroll it again" in tab.error_label.text()


def test_the_tab_refuses_http_to_another_machine_and_warns_about_an_allowed_one(
    qtbot,
    hq: Hq,
    kiosk: Database,  # noqa: ANN001
) -> None:
    from synckit import lan_session, lan_url

    from sync.outbox import enroll_kiosk

    controller = SyncController(kiosk, wake_delay_ms=10, session_factory=lambda: lan_session(hq))
    try:
        tab = SyncTab()
        qtbot.addWidget(tab)
        tab.bind(controller)
        controller.start()
        qtbot.waitUntil(lambda: tab.overview is not None, timeout=5000)
        assert tab.clear_text_warning.isHidden()

        # From the form: refused before anything is sent, and the message says what to do.
        tab.hq_edit.setText(lan_url(hq))
        tab.code_edit.setText(hq.code())
        qtbot.mouseClick(tab.enroll_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "https://" in tab.enroll_message.text(), timeout=10000)
        assert "unencrypted" in tab.enroll_message.text()
        assert tab.overview is not None and tab.overview.state is SyncState.NOT_ENROLLED

        # Allowed on purpose (nps-kiosk enroll --insecure-http): the worker syncs, the tab warns.
        with lan_session(hq) as s:
            enroll_kiosk(kiosk, hq_url=lan_url(hq), code=hq.code(), session=s, insecure_http=True)
        add_responses(kiosk, 2)
        controller.sync_now()
        qtbot.waitUntil(
            lambda: tab.overview is not None and tab.overview.state is SyncState.ONLINE,
            timeout=10000,
        )
        assert not tab.clear_text_warning.isHidden()
        assert "Not encrypted" in tab.clear_text_warning.text()
        assert "https://" in tab.clear_text_warning.text()
    finally:
        controller.shutdown()
