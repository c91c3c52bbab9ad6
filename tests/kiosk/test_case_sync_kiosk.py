"""Follow-up cases with HQ, the kiosk's half, on real SQLite files: a manager's change is stamped
(who, when) and stays pending for HQ across restarts until HQ takes exactly that change; a change
from HQ wins only when it is later (equal: the kiosk's stays), is applied as given (not through the
state machine), and both sides of every conflict are in the kiosk's audit; an erasure takes the
note out of a change not yet sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk import audit, followups, privacy
from kiosk.db import Database, open_database, utcnow
from kiosk.followups import CaseChange, CaseState
from kiosk.recording import Completion, FollowUp, Recorder

NAME, PHONE = "Zanzibar Quixote", "+91 98765 01234"


def detractor(db: Database) -> str:
    rec = Recorder(db)
    rid = rec.record_score(score=1, language="hi", time_to_answer_ms=3000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            reasons=("wait_time",),
            comment="slow",
            contact_consent=True,
            contact_name=NAME,
            contact_detail=PHONE,
        ),
    )
    return rid


def hq_change(rid: str, state: CaseState, at: datetime, note: str | None = None) -> CaseChange:
    return CaseChange(
        response_id=rid, state=state, note=note, changed_by="ana@chain.example", changed_at=at
    )


def test_a_managers_change_is_stamped_and_pending_for_hq_until_hq_takes_that_change(
    db_path: Path,
) -> None:
    db = open_database(db_path)
    rid = detractor(db)
    device = db.settings().device_id
    before = utcnow()
    case = followups.move(db, rid, CaseState.CONTACTED)
    assert case.changed_by == f"store manager ({device})" and case.hq_pending
    assert case.changed_at is not None and before <= case.changed_at <= utcnow()
    assert not case.from_hq
    (sent,) = followups.pending(db, limit=10)
    assert (sent.change.state, sent.change.changed_by) == (CaseState.CONTACTED, case.changed_by)
    # The manager writes a note while the batch is in flight: HQ took the older change only.
    followups.set_note(db, rid, "Called, will visit")
    assert followups.taken(db, [(rid, sent.mark)]) == 0
    db.close()

    db = open_database(db_path)  # a restart: still pending, with the latest note
    try:
        (again,) = followups.pending(db, limit=10)
        assert again.change.note == "Called, will visit"
        assert again.change.state is CaseState.CONTACTED
        followups.mark_sent(db, [rid], at=utcnow())
        assert followups.pending(db, limit=10, alone=True) == []  # sent a moment ago
        assert followups.taken(db, [(rid, again.mark)]) == 1
        assert followups.pending(db, limit=10) == [] and not followups.get(db, rid).hq_pending
        assert followups.pending_count(db) == 0
    finally:
        db.close()


def test_a_later_change_from_hq_wins_and_both_are_audited(db: Database) -> None:
    rid = detractor(db)
    mine = followups.set_note(db, rid, "Left a voicemail")
    assert mine.changed_at is not None
    later = mine.changed_at.replace(tzinfo=UTC) + timedelta(minutes=5)
    cursor_before = followups.pending_count(db)
    assert cursor_before == 1
    # HQ resolves it: applied as given, even though the kiosk's case was still open.
    done = followups.apply_from_hq(
        db, [hq_change(rid, CaseState.RESOLVED, later, "Refund agreed")], cursor="c-1"
    )
    assert done.applied == (rid,) and done.kept == ()
    case = followups.get(db, rid)
    assert (case.state, case.note, case.changed_by) == (
        CaseState.RESOLVED,
        "Refund agreed",
        "ana@chain.example",
    )
    assert case.changed_at == later.replace(tzinfo=None) and case.from_hq
    # The kiosk's older change, which HQ had not taken, still goes to HQ (without its note) so
    # that HQ's audit has it too; the case itself shows HQ's.
    (superseded,) = followups.pending(db, limit=5)
    assert superseded.change == followups.CaseChange(
        response_id=rid,
        state=CaseState.OPEN,
        note=None,
        changed_by=followups.manager_name(db),
        changed_at=mine.changed_at.replace(tzinfo=UTC),
    )
    assert followups.taken(db, [(rid, superseded.mark)]) == 1
    assert followups.pending(db, limit=5) == [] and followups.get(db, rid).state.value == "resolved"
    (entry,) = audit.entries(db, actions=["case_from_hq"])
    assert entry.detail["to"] == "resolved" and entry.detail["by"] == "ana@chain.example"
    assert entry.detail["superseded"] == {
        "state": "open",
        "by": mine.changed_by,
        "at": mine.changed_at.replace(tzinfo=UTC).isoformat(),
    }
    assert "Refund" not in str(entry.detail)  # notes stay out of the audit
    assert [e.action for e in audit.entries(db, actions=["case_note"])] == ["case_note"]
    from sync.ledger import SyncStore

    assert SyncStore(db).status().case_cursor == "c-1"


def test_an_older_or_equal_change_from_hq_leaves_the_kiosks_copy_and_is_audited(
    db: Database,
) -> None:
    rid = detractor(db)
    mine = followups.move(db, rid, CaseState.RESOLVED)
    assert mine.changed_at is not None
    at = mine.changed_at.replace(tzinfo=UTC)
    done = followups.apply_from_hq(
        db,
        [
            hq_change(rid, CaseState.CONTACTED, at - timedelta(seconds=1)),
            hq_change(rid, CaseState.OPEN, at),  # the same time: the kiosk's stays
        ],
    )
    assert done.applied == () and done.kept == (rid, rid)
    case = followups.get(db, rid)
    assert case.state is CaseState.RESOLVED and case.changed_by == mine.changed_by
    assert case.hq_pending  # HQ still has to take the kiosk's change
    kept = audit.entries(db, actions=["case_from_hq_superseded"])
    assert [e.detail["state"] for e in reversed(kept)] == ["contacted", "open"]
    assert all(e.detail["kept"]["state"] == "resolved" for e in kept)  # type: ignore[index]  # a dict


def test_hq_moves_are_applied_as_given_and_unknown_cases_are_skipped(db: Database) -> None:
    rid = detractor(db)
    t0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    done = followups.apply_from_hq(
        db,
        [
            hq_change(rid, CaseState.RESOLVED, t0),
            hq_change(rid, CaseState.CONTACTED, t0 + timedelta(hours=1)),  # resolved -> contacted
            hq_change("0190b3f0-0000-7000-8000-000000000000", CaseState.RESOLVED, t0),
        ],
    )
    assert done.applied == (rid, rid) and done.unknown == 1
    assert followups.get(db, rid).state is CaseState.CONTACTED
    # The manager then changes it here (later than HQ's): pending again, from the kiosk.
    case = followups.move(db, rid, CaseState.RESOLVED)
    assert case.hq_pending and not case.from_hq


def test_erasure_drops_the_note_of_a_change_not_yet_sent_and_hq_notes_stay_out(
    db: Database,
) -> None:
    rid = detractor(db)
    followups.set_note(db, rid, f"{NAME} asked to be called on {PHONE}")
    followups.move(db, rid, CaseState.CONTACTED)
    followups.erase(db, rid)
    (pending,) = followups.pending(db, limit=10)
    assert pending.change.note is None and pending.change.state is CaseState.CONTACTED
    assert privacy.queued(db, limit=5) == [rid]
    later = datetime.now(UTC) + timedelta(minutes=1)
    followups.apply_from_hq(db, [hq_change(rid, CaseState.RESOLVED, later, f"call {PHONE}")])
    case = followups.get(db, rid)
    assert case.state is CaseState.RESOLVED and case.note is None and case.erased
    raw = db.path.read_bytes()
    wal = db.path.with_name(db.path.name + "-wal")
    if wal.exists():
        raw += wal.read_bytes()
    assert b"asked to be called" not in raw


def test_a_demo_answers_case_is_never_pending_for_hq(db: Database) -> None:
    from kiosk.seed import seed

    seed(db, n=300)
    demo = followups.cases(db, limit=1)[0]
    case = followups.set_note(db, demo.response_id, "demo")
    assert case.changed_by == followups.manager_name(db)  # stamped all the same
    assert followups.pending(db, limit=10) == [] and followups.pending_count(db) == 0
