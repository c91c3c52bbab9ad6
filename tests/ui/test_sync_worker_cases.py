"""The sync worker and HQ's follow-up case changes: a case resolved at HQ shows resolved on the
kiosk's Follow-ups tab after the next sync, with no action on the tab (the worker applies it on
its thread and tells the tab through the queued cases_changed signal). A real HQ on 127.0.0.1, a
real SQLite file, Qt offscreen."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from synckit import Hq, session, start_hq  # noqa: E402

from hq import cases as hq_cases  # noqa: E402
from kiosk import followups  # noqa: E402
from kiosk.db import Database, open_database  # noqa: E402
from kiosk.followups import CaseState  # noqa: E402
from kiosk.recording import Completion, FollowUp, Recorder  # noqa: E402
from sync.outbox import enroll_kiosk  # noqa: E402
from ui.admin import AdminView  # noqa: E402
from ui.app import add_sync_tabs  # noqa: E402
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


def test_a_case_resolved_at_hq_shows_resolved_on_the_followups_tab_after_a_sync(
    qtbot,  # noqa: ANN001
    hq: Hq,
    kiosk: Database,
) -> None:
    with session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    rec = Recorder(kiosk)
    rid = rec.record_score(score=2, language="en", time_to_answer_ms=3000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(contact_consent=True, contact_name="Asha", contact_detail="+91 90002"),
    )
    controller = SyncController(kiosk)
    view = AdminView(kiosk)
    qtbot.addWidget(view)
    add_sync_tabs(view, db=kiosk, sync=controller)
    view.resize(1280, 800)
    view.show()
    tab = view.followups
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        view.tabs.setCurrentWidget(tab)
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        tab.filter.setCurrentIndex(tab.filter.count() - 1)  # all cases
    assert tab.current is not None and tab.current.state is CaseState.OPEN
    changed: list[int] = []
    controller.cases_changed.connect(changed.append)
    controller.start()
    try:
        qtbot.waitUntil(lambda: rid in hq.rows(kiosk.settings().device_id), timeout=15000)
        hq_cases.set_case(
            hq.hq, rid, state="resolved", note=None, by="ana@chain.example", store_ids=None
        )
        controller.sync_now()
        qtbot.waitUntil(lambda: changed == [1], timeout=15000)
        qtbot.waitUntil(
            lambda: tab.current is not None and tab.current.state is CaseState.RESOLVED,
            timeout=10000,
        )
        assert tab.case_changed.text().startswith("Resolved by ana@chain.example (HQ), ")
        assert followups.get(kiosk, rid).state is CaseState.RESOLVED
    finally:
        assert controller.shutdown()
        view.shutdown()
