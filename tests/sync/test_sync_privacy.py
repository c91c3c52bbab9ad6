"""Erasure both ways between a real kiosk file and a real HQ on 127.0.0.1: "Forget this customer"
reaches HQ's table with the next v2 batch (or an otherwise empty cycle) and leaves the kiosk's
queue only when HQ confirms it, across restarts; an erasure made at HQ leaves the kiosk's file
and its WAL at the next sync; an HQ without erasures still gets every answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from synckit import Hq, RecordingSession, add_responses, fresh_db

from kiosk import audit, followups, privacy
from kiosk.db import Database, open_database
from kiosk.recording import Completion, FollowUp, Recorder
from sync.ledger import SyncStore
from sync.outbox import Outbox, StepKind, enroll_kiosk, outbox_for

NAME, PHONE = "Zanzibar Quixote", "+91 98765 01234"
COMMENT = "Call me on +91 98765 01234, ask for Zanzibar"
ERASURES = "/api/v1/erasures"
BATCHES = "/api/v1/batches"


@pytest.fixture
def kiosk(template_db: Path, tmp_path: Path) -> Iterator[Database]:
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    yield db
    db.close()


def enrolled(db: Database, hq: Hq, session: requests.Session | None = None) -> Outbox:
    with requests.Session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
    return outbox_for(db, session=session or requests.Session())


def detractor(db: Database, *, name: str = NAME, phone: str = PHONE) -> str:
    rec = Recorder(db)
    rid = rec.record_score(score=2, language="hi", time_to_answer_ms=4000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            reasons=("wait_time",),
            comment=COMMENT if name == NAME else "slow",
            contact_consent=True,
            contact_name=name,
            contact_detail=phone,
            consent_text="May we contact you about this?",
        ),
    )
    return rid


def hq_row(hq: Hq, rid: str) -> tuple[Any, ...] | None:
    with hq.hq.db.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT contact_name, contact_detail, comment, score FROM responses WHERE id = ?",
            (rid,),
        ).first()
    return None if row is None else tuple(row)


def raw_files(db: Database) -> bytes:
    wal = db.path.with_name(db.path.name + "-wal")
    return db.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_forget_on_the_kiosk_reaches_hq_and_leaves_the_queue_when_confirmed(
    hq: Hq, kiosk: Database
) -> None:
    outbox = enrolled(kiosk, hq)
    rid = detractor(kiosk)
    add_responses(kiosk, 3)
    assert outbox.drain().last.kind is StepKind.IDLE
    assert hq_row(hq, rid) == (NAME, PHONE, COMMENT, 2)

    followups.erase(kiosk, rid)
    case = followups.get(kiosk, rid)
    assert case.erased and case.contact_detail is None and case.comment is None
    assert privacy.queued(kiosk, limit=10) == [rid]
    # The queue is in the file: a restart (a new process) still has it.
    kiosk.close()
    kiosk = open_database(kiosk.path)
    try:
        assert privacy.queue_size(kiosk) == 1
        # An otherwise empty cycle carries it: one batch with no responses, only erasures.
        outbox = outbox_for(kiosk, session=requests.Session())
        first = outbox.step()
        assert first.kind is StepKind.SENT and first.batch is not None
        assert first.batch.size == 0
        assert outbox.step().kind is StepKind.IDLE
        assert hq_row(hq, rid) == (None, None, None, 2)  # the score stays at HQ
        assert privacy.queue_size(kiosk) == 0
    finally:
        kiosk.close()


def test_an_erasure_rides_with_the_next_batch_and_stays_queued_until_hq_confirms(
    hq: Hq, kiosk: Database
) -> None:
    def lose_reply(path: str, kwargs: dict[str, Any], resp: requests.Response) -> Any:
        if path == BATCHES and b'"erasures"' in (kwargs.get("data") or b"") and lose:
            broken = requests.Response()
            broken.status_code = 503  # HQ did the work; the kiosk never hears of it
            broken._content = b'{"detail": "busy"}'
            return broken
        return resp

    lose = False
    session = RecordingSession(rewrite=lose_reply)
    outbox = enrolled(kiosk, hq, session)
    rid = detractor(kiosk)
    assert outbox.drain().last.kind is StepKind.IDLE
    followups.erase(kiosk, rid)
    add_responses(kiosk, 2)  # new answers: the erasure rides with them
    lose = True
    assert outbox.step().kind is StepKind.BACKOFF
    assert privacy.queue_size(kiosk) == 1  # no confirmation heard: kept
    lose = False
    assert outbox.step().kind is StepKind.SENT
    assert outbox.step().kind is StepKind.IDLE
    assert privacy.queue_size(kiosk) == 0
    assert hq_row(hq, rid) == (None, None, None, 2)
    assert session.count(BATCHES) == 3  # no extra erasure-only batch was needed


def test_an_erasure_at_hq_leaves_the_kiosk_file_and_its_wal(hq: Hq, kiosk: Database) -> None:
    from hq.privacy import PersonQuery
    from hq.privacy import erase as hq_erase

    session = RecordingSession()
    outbox = enrolled(kiosk, hq, session)
    rid = detractor(kiosk)
    for i in range(30):  # neighbours on the same pages, so the page is rewritten, not dropped
        detractor(kiosk, name=f"Other Person {i}", phone=f"+91 90000 {i:05d}")
    followups.set_note(kiosk, rid, f"Spoke to {NAME}")
    assert outbox.drain().last.kind is StepKind.IDLE
    assert PHONE.encode() in raw_files(kiosk)
    kiosk.checkpoint()  # the old bytes are in the main file, not only in the WAL
    assert PHONE.encode() in kiosk.path.read_bytes()

    done = hq_erase(hq.hq, PersonQuery.parse("phone", PHONE), actor="owner@example.com")
    assert done.response_ids == [rid]
    before = session.count(ERASURES)
    scrubbed = outbox.sync_erasures()
    assert session.count(ERASURES) == before + 1  # one request
    assert scrubbed is not None and scrubbed.response_ids == (rid,) and scrubbed.wal_truncated
    data = raw_files(kiosk)
    assert PHONE.encode() not in data and NAME.encode() not in data
    assert b"Zanzibar" not in data  # the comment and the case note too
    assert b"Other Person 7" in data  # the neighbours are untouched
    case = followups.get(kiosk, rid)
    assert case.erased and case.contact_name is None and case.comment is None
    assert case.note is None and case.score == 2
    (entry,) = audit.entries(kiosk, actions=["erasure_from_hq"])
    assert entry.detail == {"count": 1, "response_ids": [rid]}
    assert PHONE not in repr(audit.entries(kiosk))
    status = SyncStore(kiosk).status()
    assert status.erasure_cursor and status.erasures_pulled_at is not None
    # The cursor moved: the next cycle asks once and scrubs nothing.
    again = outbox.sync_erasures()
    assert again is not None and again.response_ids == ()
    assert audit.entries(kiosk, actions=["erasure_from_hq"]) == [entry]
    # The kiosk's own erasure coming back from HQ's list is not scrubbed or audited twice.
    other = followups.cases(kiosk)[0].response_id
    followups.erase(kiosk, other)
    assert outbox.drain().last.kind is StepKind.IDLE and privacy.queue_size(kiosk) == 0
    back = outbox.sync_erasures()
    assert back is not None and back.response_ids == ()


def test_a_kiosk_talking_to_an_hq_without_erasures_still_syncs(hq: Hq, kiosk: Database) -> None:
    def old_hq(path: str, kwargs: dict[str, Any], resp: requests.Response) -> Any:
        body = kwargs.get("data") or b""
        if path == ERASURES or (path == BATCHES and b'"erasures"' in body):
            old = requests.Response()
            old.status_code = 404 if path == ERASURES else 422
            old._content = b'{"detail": "Not Found"}'
            return old
        return resp

    session = RecordingSession(rewrite=old_hq)
    outbox = enrolled(kiosk, hq, session)
    rid = detractor(kiosk)
    assert outbox.drain().last.kind is StepKind.IDLE
    followups.erase(kiosk, rid)
    assert outbox.sync_erasures() is None  # 404: an older HQ
    assert outbox.erasures_unsupported and outbox.protocol == "v2"
    assert outbox.sync_erasures() is None
    assert session.count(ERASURES) == 1  # not asked again
    ids = add_responses(kiosk, 4)
    assert outbox.drain().last.kind is StepKind.IDLE
    assert set(ids) <= set(hq.rows(kiosk.settings().device_id))
    assert outbox.protocol == "v2"  # still v2: only the erasures were left out
    assert privacy.queue_size(kiosk) == 1  # kept for an HQ that takes it


def test_an_hq_refusing_erasures_in_a_batch_gets_the_answers_without_them(
    hq: Hq, kiosk: Database
) -> None:
    def refuse(path: str, kwargs: dict[str, Any], resp: requests.Response) -> Any:
        if path == BATCHES and b'"erasures"' in (kwargs.get("data") or b""):
            old = requests.Response()
            old.status_code = 422
            old._content = b'{"detail": "extra fields not permitted"}'
            return old
        return resp

    session = RecordingSession(rewrite=refuse)
    outbox = enrolled(kiosk, hq, session)
    rid = detractor(kiosk)
    assert outbox.drain().last.kind is StepKind.IDLE
    followups.erase(kiosk, rid)
    ids = add_responses(kiosk, 3)
    assert outbox.drain().last.kind is StepKind.IDLE
    assert set(ids) <= set(hq.rows(kiosk.settings().device_id))
    assert outbox.erasures_unsupported and outbox.protocol == "v2"
    assert privacy.queue_size(kiosk) == 1
