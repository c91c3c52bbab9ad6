"""Follow-up cases end to end: a real HQ process on 127.0.0.1 (hq.cases, GET /api/v1/cases, the
batches endpoint) and a real kiosk file with its outbox, in the order the sync worker runs a
cycle (pull HQ's changes first when a change made here is pending, drain, pull when idle).

The issue's test: a case resolved at HQ shows resolved on the kiosk after a sync. Also: the
kiosk's change reaches HQ; edits made on both sides before a sync resolve by time (last writer
wins) with both changes in both audits, whichever side was later."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select
from synckit import Hq, fresh_db

from hq import cases as hq_cases
from hq.models import AuditRow, CaseRow
from kiosk import audit, followups
from kiosk.db import Database, utcnow
from kiosk.followups import CaseState
from kiosk.recording import Completion, FollowUp, Recorder
from sync.outbox import Outbox, StepKind, enroll_kiosk, outbox_for

ANA = "ana@chain.example"


@pytest.fixture
def kiosk(template_db: Path, tmp_path: Path) -> Iterator[Database]:
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    yield db
    db.close()


def enrolled(db: Database, hq: Hq) -> Outbox:
    with requests.Session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
    return outbox_for(db, session=requests.Session())


def detractor(db: Database) -> str:
    rec = Recorder(db)
    rid = rec.record_score(score=3, language="ta", time_to_answer_ms=5000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            reasons=("staff",),
            comment="rude at the counter",
            contact_consent=True,
            contact_name="Meena Raman",
            contact_detail="+91 94440 12345",
        ),
    )
    return rid


def sync(outbox: Outbox) -> None:
    """One cycle, as ui.sync_worker.SyncWorker.run does it."""
    pulled = outbox.sync_cases_first() is not None
    assert outbox.drain().last.kind is StepKind.IDLE
    if not pulled:
        outbox.sync_cases()


def hq_case(hq: Hq, rid: str) -> CaseRow | None:
    with hq.hq.db.reading() as s:
        row = s.get(CaseRow, rid)
        if row is not None:
            s.expunge(row)
        return row


def hq_audit(hq: Hq, rid: str) -> list[tuple[str, str]]:
    with hq.hq.db.reading() as s:
        return [
            (a.action, a.detail)
            for a in s.scalars(select(AuditRow).where(AuditRow.target == rid).order_by(AuditRow.id))
        ]


def kiosk_audit(db: Database, rid: str) -> list[tuple[str, dict[str, object]]]:
    actions = ["case_state", "case_note", "case_from_hq", "case_from_hq_superseded"]
    return [
        (e.action, dict(e.detail))
        for e in reversed(audit.entries(db, actions=actions))
        if e.detail.get("response_id") == rid
    ]


def test_a_case_resolved_at_hq_shows_resolved_on_the_kiosk(hq: Hq, kiosk: Database) -> None:
    outbox = enrolled(kiosk, hq)
    rid = detractor(kiosk)
    sync(outbox)  # the answer is at HQ
    hq_cases.set_case(
        hq.hq, rid, state="resolved", note="Refunded the bill", by=ANA, store_ids=None
    )
    assert followups.get(kiosk, rid).state is CaseState.OPEN
    sync(outbox)
    case = followups.get(kiosk, rid)
    assert case.state is CaseState.RESOLVED and case.note == "Refunded the bill"
    assert case.changed_by == ANA and case.from_hq and not case.hq_pending
    assert [a for a, _d in kiosk_audit(kiosk, rid)] == ["case_from_hq"]
    sync(outbox)  # nothing new: applied once
    assert [a for a, _d in kiosk_audit(kiosk, rid)] == ["case_from_hq"]


def test_the_kiosks_change_reaches_hq(hq: Hq, kiosk: Database) -> None:
    outbox = enrolled(kiosk, hq)
    rid = detractor(kiosk)
    sync(outbox)
    followups.move(kiosk, rid, CaseState.CONTACTED)
    mine = followups.set_note(kiosk, rid, "Called, she will visit on Sunday")
    sync(outbox)
    row = hq_case(hq, rid)
    assert row is not None
    assert (row.state, row.note, row.changed_by) == (
        "contacted",
        "Called, she will visit on Sunday",
        followups.manager_name(kiosk),
    )
    assert mine.changed_at is not None and row.changed_at == mine.changed_at
    assert not followups.get(kiosk, rid).hq_pending  # taken
    assert [a for a, _d in hq_audit(hq, rid)] == ["case.change"]


def test_edits_on_both_sides_resolve_by_time_with_both_in_both_audits(
    hq: Hq, kiosk: Database
) -> None:
    outbox = enrolled(kiosk, hq)
    early, late = detractor(kiosk), detractor(kiosk)
    sync(outbox)
    # Case ``early``: the kiosk's change is the earlier one, HQ's wins.
    kiosk_first = followups.move(kiosk, early, CaseState.CONTACTED)
    assert kiosk_first.changed_at is not None
    hq_cases.set_case(hq.hq, early, state="resolved", note=None, by=ANA, store_ids=None)
    # Case ``late``: HQ's change is the earlier one (a minute ago), the kiosk's wins.
    hq_cases.set_case(
        hq.hq,
        late,
        state="contacted",
        note=None,
        by=ANA,
        store_ids=None,
        now=(utcnow() - timedelta(minutes=1)),
    )
    kiosk_last = followups.move(kiosk, late, CaseState.RESOLVED)
    sync(outbox)
    sync(outbox)

    for rid, state, by in ((early, "resolved", ANA), (late, "resolved", None)):
        row = hq_case(hq, rid)
        assert row is not None and row.state == state
        case = followups.get(kiosk, rid)
        assert case.state.value == state and not case.hq_pending
        assert case.changed_by == row.changed_by == (by or followups.manager_name(kiosk))
        assert case.changed_at == row.changed_at  # the same change at both ends

    # The kiosk's audit: its own change and HQ's, which won (early) or lost (late).
    assert [a for a, _d in kiosk_audit(kiosk, early)] == ["case_state", "case_from_hq"]
    _a, won = kiosk_audit(kiosk, early)[1]
    assert won["by"] == ANA and won["superseded"] == {
        "state": "contacted",
        "by": followups.manager_name(kiosk),
        "at": kiosk_first.changed_at.replace(tzinfo=UTC).isoformat(),
    }
    assert [a for a, _d in kiosk_audit(kiosk, late)] == ["case_state", "case_from_hq_superseded"]
    _a, lost = kiosk_audit(kiosk, late)[1]
    assert lost["by"] == ANA and lost["state"] == "contacted"
    # HQ's audit: its own change and the kiosk's, which lost (early) or won (late).
    early_trail = hq_audit(hq, early)
    assert [a for a, _d in early_trail] == ["case.change", "case.superseded"]
    assert "contacted by store manager" in early_trail[1][1]
    late_trail = hq_audit(hq, late)
    assert [a for a, _d in late_trail] == ["case.change", "case.change"]
    assert "superseded: contacted by " + ANA in late_trail[1][1]
    assert kiosk_last.changed_at is not None
    assert hq_case(hq, late) is not None


def test_a_change_pulled_from_hq_is_not_sent_back(hq: Hq, kiosk: Database) -> None:
    outbox = enrolled(kiosk, hq)
    rid = detractor(kiosk)
    sync(outbox)
    at = utcnow() - timedelta(seconds=5)
    hq_cases.set_case(hq.hq, rid, state="contacted", note=None, by=ANA, store_ids=None, now=at)
    sync(outbox)
    assert followups.get(kiosk, rid).state is CaseState.CONTACTED
    assert followups.pending(kiosk, limit=5) == []
    assert [a for a, _d in hq_audit(hq, rid)] == ["case.change"]
