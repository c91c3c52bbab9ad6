"""The sync worker thread: an unexpected error in a sync cycle shows on the Sync tab, and a
thread that does not stop in time on shutdown is reported and kept, not destroyed while it runs.
A real HQ on 127.0.0.1, a real SQLite file, Qt offscreen."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from synckit import Hq, add_responses, session, start_hq  # noqa: E402

from kiosk.db import Database, open_database  # noqa: E402
from sync.client import new_session  # noqa: E402
from sync.ledger import SyncState  # noqa: E402
from sync.outbox import enroll_kiosk  # noqa: E402
from ui.admin.sync_tab import SyncTab  # noqa: E402
from ui.sync_worker import SyncController, threads_still_running  # noqa: E402


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


class BrokenAdapter(requests.adapters.HTTPAdapter):
    """A transport that fails in a way the sync code does not expect (not a requests error):
    the stand-in for a bug or a library surprise, which cannot be provoked on purpose."""

    def send(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise ValueError("the transport broke in an unexpected way")


def broken_session() -> requests.Session:
    s = new_session()
    s.mount("https://", BrokenAdapter())
    s.mount("http://", BrokenAdapter())
    return s


def test_an_unexpected_error_in_a_sync_cycle_shows_on_the_sync_tab(
    qtbot,  # noqa: ANN001
    hq: Hq,
    kiosk: Database,
) -> None:
    with session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    add_responses(kiosk, 2)
    controller = SyncController(kiosk, session_factory=broken_session)
    tab = SyncTab()
    qtbot.addWidget(tab)
    tab.bind(controller)
    controller.start()
    try:
        qtbot.waitUntil(
            lambda: tab.overview is not None and tab.overview.status.failures > 0, timeout=10000
        )
    finally:
        assert controller.shutdown()
    assert tab.overview.state in (SyncState.WAITING, SyncState.OFFLINE)
    assert not tab.error_card.isHidden()
    assert "unexpected error" in tab.error_label.text()
    assert "the transport broke" in tab.error_label.text()
    assert tab.pending_value.text() == "2"


class HangingAdapter(requests.adapters.HTTPAdapter):
    """A request that hangs until released (then fails as a dropped connection): the stand-in
    for a hang that no timeout covers, such as a stuck DNS lookup."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.hanging = threading.Event()

    def send(self, request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        self.hanging.set()
        self.release.wait(30)
        raise requests.ConnectionError("the connection dropped")


def test_shutdown_says_when_the_thread_did_not_stop_and_keeps_it(
    qtbot,  # noqa: ANN001
    hq: Hq,
    kiosk: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    add_responses(kiosk, 1)
    adapter = HangingAdapter()

    def hanging_session() -> requests.Session:
        s = new_session()
        s.mount("https://", adapter)
        s.mount("http://", adapter)
        return s

    controller = SyncController(kiosk, session_factory=hanging_session)
    controller.start()
    try:
        qtbot.waitUntil(adapter.hanging.is_set, timeout=10000)
        assert controller.shutdown(timeout_ms=200) is False  # returns, though the thread runs
        assert controller.worker_thread.isRunning()
        assert controller.worker_thread in threads_still_running()
        assert "did not stop within 0.2 s" in caplog.text
    finally:
        adapter.release.set()
        qtbot.waitUntil(controller.worker_thread.isFinished, timeout=10000)
    assert controller.worker_thread not in threads_still_running()
    assert controller.worker.thread() is not controller.worker_thread  # handed back by teardown


def test_shutdown_of_an_idle_worker_stops_the_thread(kiosk: Database) -> None:
    controller = SyncController(kiosk)
    controller.start()
    assert controller.shutdown() is True
    assert controller.worker_thread.isFinished()
    assert controller.worker.stopping.is_set()


def test_the_worker_scrubs_hq_erasures_and_runs_the_daily_purge(
    qtbot,  # noqa: ANN001
    hq: Hq,
    kiosk: Database,
) -> None:
    """On the sync thread: a cycle sends the answer, the next one pulls HQ's erasure and
    scrubs it (contact details gone from kiosk.db and its WAL); the retention purge ran once."""
    from datetime import timedelta

    from hq.privacy import PersonQuery
    from hq.privacy import erase as hq_erase
    from kiosk import audit
    from kiosk.db import utcnow
    from kiosk.recording import Completion, FollowUp, Recorder

    phone = "+91 98111 22333"
    with session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    old = Recorder(kiosk, clock=lambda: utcnow() - timedelta(days=200))
    stale = old.record_score(score=1, language="en", time_to_answer_ms=3000).id
    old.complete(
        stale,
        how=Completion.DONE,
        follow_up=FollowUp(contact_consent=True, contact_name="Old", contact_detail="+91 90001"),
    )
    rec = Recorder(kiosk)
    rid = rec.record_score(score=2, language="en", time_to_answer_ms=3000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(contact_consent=True, contact_name="Asha", contact_detail=phone),
    )
    controller = SyncController(kiosk)
    erased: list[int] = []
    controller.erased.connect(erased.append)
    controller.start()
    try:
        qtbot.waitUntil(lambda: rid in hq.rows(kiosk.settings().device_id), timeout=15000)
        qtbot.waitUntil(lambda: erased != [], timeout=10000)  # the purge of the stale one
        hq_erase(hq.hq, PersonQuery.parse("phone", phone), actor="owner@example.com")
        controller.sync_now()
        qtbot.waitUntil(lambda: len(erased) >= 2, timeout=15000)
    finally:
        assert controller.shutdown()
    wal = kiosk.path.with_name(kiosk.path.name + "-wal")
    data = kiosk.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert phone.encode() not in data and b"+91 90001" not in data
    assert len(audit.entries(kiosk, actions=["retention_purge"])) == 1
    assert len(audit.entries(kiosk, actions=["erasure_from_hq"])) == 1
