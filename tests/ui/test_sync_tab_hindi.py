"""Enrolling from the Sync tab when the manager chose Hindi: what HQ's client refuses (a wrong
address, a code HQ does not accept) is said in Hindi (the errors catalog), against a real HQ."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from synckit import Hq, add_responses, start_hq  # noqa: E402

from kiosk.db import Database, open_database  # noqa: E402
from ui.admin import texts  # noqa: E402
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
def hindi() -> Iterator[None]:
    texts.use("hi")
    yield
    texts.use("en")


def test_enrollment_refusals_are_in_the_managers_language(
    qtbot,
    hq: Hq,
    kiosk: Database,
    hindi: None,  # noqa: ANN001
) -> None:
    controller = SyncController(kiosk, wake_delay_ms=10)
    try:
        tab = SyncTab()
        qtbot.addWidget(tab)
        tab.bind(controller)
        controller.start()
        qtbot.waitUntil(lambda: tab.overview is not None, timeout=5000)

        tab.hq_edit.setText("ftp://hq.example")
        tab.code_edit.setText("ABCD-1234")
        qtbot.mouseClick(tab.enroll_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "HQ का पता नहीं है" in tab.enroll_message.text(), timeout=10000)
        assert tab.enroll_message.text().startswith("'ftp://hq.example' HQ का पता नहीं है")

        tab.hq_edit.setText(hq.base)
        tab.code_edit.setText("NOT-A-REAL-CODE")
        qtbot.mouseClick(tab.enroll_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: "HQ ने जोड़ने का यह कोड स्वीकार नहीं किया" in tab.enroll_message.text(),
            timeout=10000,
        )
    finally:
        controller.shutdown()


def test_a_stored_sync_error_is_shown_in_the_managers_language(
    qtbot,
    hq: Hq,
    kiosk: Database,
    hindi: None,  # noqa: ANN001
) -> None:
    """The worker keeps the last error in the kiosk's file; a manager who reads Hindi sees it
    in Hindi on the Sync tab later (it used to be kept, and shown, as English text)."""
    import socket

    from synckit import session

    from sync.ledger import SyncStore
    from sync.outbox import enroll_kiosk, outbox_for

    with session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    with socket.socket() as probe:  # a port nothing listens on: HQ is down
        probe.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with kiosk.write_connection() as conn:
        conn.exec_driver_sql("UPDATE sync_status SET hq_url = ?", (down,))
    add_responses(kiosk, 1)
    with session() as s:
        outbox_for(kiosk, session=s).step()
    stored = SyncStore(kiosk).overview().status.last_error
    assert stored is not None and stored.startswith("Cannot reach HQ")  # English at rest

    tab = SyncTab()
    qtbot.addWidget(tab)
    tab.set_overview(SyncStore(kiosk).overview())
    shown = tab.error_label.text()
    assert down in shown and "Cannot reach" not in shown
    assert any("\u0900" <= ch <= "\u097f" for ch in shown)  # Devanagari
