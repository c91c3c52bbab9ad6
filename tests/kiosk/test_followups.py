"""Follow-up cases: the state machine, the 48-hour highlight, and erasure from the file."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kiosk import audit, followups
from kiosk.followups import CaseError, CaseState
from kiosk.recording import Completion, FollowUp, Recorder

NAME, PHONE = "Zanzibar Quixote", "+91 98765 01234"


def detractor(
    db, *, consent: bool = True, name: str = NAME, phone: str = PHONE, score: int = 2
) -> str:
    rec = Recorder(db)
    rid = rec.record_score(score=score, language="hi", time_to_answer_ms=4000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            reasons=("wait_time",),
            comment="लाइन बहुत लंबी थी",
            contact_consent=consent,
            contact_name=name,
            contact_detail=phone,
        ),
    )
    return rid


def test_only_consenting_detractors_are_cases(db) -> None:
    case_id = detractor(db)
    detractor(db, consent=False)
    detractor(db, score=9)  # a promoter who left a number is not a case
    (case,) = followups.cases(db)
    assert case.response_id == case_id and case.state is CaseState.OPEN
    assert (case.contact_name, case.contact_detail) == (NAME, PHONE)
    assert case.reasons == ("wait_time",)


def test_state_machine(db) -> None:
    rid = detractor(db)
    assert followups.move(db, rid, CaseState.CONTACTED).state is CaseState.CONTACTED
    with pytest.raises(CaseError, match="contacted can move to"):
        followups.move(db, rid, CaseState.CONTACTED)
    followups.set_note(db, rid, "Called back, offered a voucher.")
    case = followups.move(db, rid, CaseState.RESOLVED)
    assert case.state is CaseState.RESOLVED and case.note == "Called back, offered a voucher."
    assert followups.cases(db, states=frozenset({CaseState.OPEN})) == []
    assert followups.move(db, rid, CaseState.OPEN).state is CaseState.OPEN  # reopened
    with pytest.raises(CaseError, match="no follow-up case"):
        followups.move(db, "nope", CaseState.RESOLVED)
    moves = [e.detail for e in audit.entries(db, actions=["case_state"])]
    assert [(m["from"], m["to"]) for m in reversed(moves)] == [
        ("open", "contacted"),
        ("contacted", "resolved"),
        ("resolved", "open"),
    ]


def test_cases_open_more_than_48_hours_are_overdue(db) -> None:
    rid = detractor(db)
    case = followups.get(db, rid)
    assert not case.overdue(case.opened_at + timedelta(hours=47))
    assert case.overdue(case.opened_at + timedelta(hours=49))
    followups.move(db, rid, CaseState.RESOLVED)
    assert not followups.get(db, rid).overdue(datetime(2099, 1, 1))


def test_erasure_leaves_no_contact_bytes_in_the_files(db) -> None:
    rid = detractor(db)
    others = [  # neighbours on the same pages, so the page is rewritten, not dropped
        detractor(db, name=f"Other Person {i}", phone=f"+91 90000 {i:05d}") for i in range(40)
    ]
    other = others[7]
    followups.set_note(db, rid, f"Spoke to {NAME}")
    wal = db.path.with_name(db.path.name + "-wal")

    def raw() -> bytes:
        return db.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    assert NAME.encode() in raw() and PHONE.encode() in raw()  # the check can fail
    db.checkpoint()  # the old bytes are in the main file too, not only in the WAL
    assert NAME.encode() in db.path.read_bytes()

    result = followups.erase(db, rid)
    assert result.wal_truncated
    data = raw()
    assert NAME.encode() not in data and PHONE.encode() not in data
    assert b"Other Person 7" in data  # the neighbours are untouched
    case = followups.get(db, rid)
    assert case.erased and case.contact_name is None and case.note is None
    # The comment goes too (people write their details into it); score and reasons stay.
    assert case.comment is None and case.score == 2 and case.reasons == ("wait_time",)
    assert followups.get(db, other).comment == "लाइन बहुत लंबी थी"
    (entry,) = audit.entries(db, actions=["erasure"])
    assert entry.detail == {"response_id": rid}
    assert NAME not in repr(audit.entries(db))
