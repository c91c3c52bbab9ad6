"""Follow-up cases between a real kiosk file and a real HQ on 127.0.0.1, the kiosk's side: a
manager's change rides with the next v2 batch (or alone in an otherwise idle cycle, at most every
10 minutes) and stays pending, across restarts, until a reply lists it in ``cases_taken`` and it
was not changed again meanwhile; an HQ without cases (404 to the pull, 422 to a batch carrying
``cases``) still gets every answer, in protocol v2, and is not asked about cases again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from synckit import Hq, RecordingSession, add_responses, fresh_db

from kiosk import followups
from kiosk.db import Database, utcnow
from kiosk.followups import CaseState
from kiosk.recording import Completion, FollowUp, Recorder
from sync.outbox import Outbox, StepKind, enroll_kiosk, outbox_for

CASES = "/api/v1/cases"
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


def detractor(db: Database) -> str:
    rec = Recorder(db)
    rid = rec.record_score(score=2, language="hi", time_to_answer_ms=4000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            reasons=("wait_time",),
            comment="slow",
            contact_consent=True,
            contact_name="Zanzibar Quixote",
            contact_detail="+91 98765 01234",
        ),
    )
    return rid


def sent_cases(session: RecordingSession) -> list[list[dict[str, Any]]]:
    return [b["cases"] for b in session.bodies if "cases" in b]


class CaseSession(RecordingSession):
    """Records each batch's JSON; ``during`` runs while HQ has a batch (the manager's hand)."""

    def __init__(self, rewrite: Any = None) -> None:
        super().__init__(rewrite=self._hook)
        self.bodies: list[dict[str, Any]] = []
        self.during: Any = None
        self.outer = rewrite

    def _hook(self, path: str, kwargs: dict[str, Any], resp: requests.Response) -> Any:
        if path == BATCHES:
            self.bodies.append(json.loads(kwargs.get("data") or b"{}"))
            if self.during is not None:
                self.during()
                self.during = None
        return self.outer(path, kwargs, resp) if self.outer else resp


def test_a_change_rides_alone_and_leaves_pending_only_when_taken_unchanged(
    hq: Hq, kiosk: Database
) -> None:
    session = CaseSession()
    outbox = enrolled(kiosk, hq, session)
    rid = detractor(kiosk)
    assert outbox.drain().last.kind is StepKind.IDLE  # the answer is at HQ
    followups.move(kiosk, rid, CaseState.CONTACTED)
    # The manager writes a note while the cases-only batch is at HQ: that later change stays.
    session.during = lambda: followups.set_note(kiosk, rid, "Called back, voucher")
    assert outbox.step().kind is StepKind.SENT
    (first,) = sent_cases(session)
    assert [(c["response_id"], c["state"], c["note"]) for c in first] == [(rid, "contacted", None)]
    assert first[0]["changed_by"] == followups.manager_name(kiosk)
    assert followups.get(kiosk, rid).hq_pending  # changed since it was sent
    # Sent a moment ago: an idle cycle does not send it again at once...
    assert outbox.step().kind is StepKind.IDLE
    # ...but ten minutes later it does, with the note; then it is settled, if HQ takes it.
    outbox.clock = lambda: utcnow() + timedelta(minutes=11)
    assert outbox.step().kind is StepKind.SENT
    last = sent_cases(session)[-1]
    assert [(c["state"], c["note"]) for c in last] == [("contacted", "Called back, voucher")]
    assert not followups.get(kiosk, rid).hq_pending
    assert outbox.step().kind is StepKind.IDLE


def test_changes_ride_with_answers_and_stay_pending_across_a_restart_until_taken(
    hq: Hq, kiosk: Database, template_db: Path, tmp_path: Path
) -> None:
    def lose_reply(path: str, kwargs: dict[str, Any], resp: requests.Response) -> Any:
        if path == BATCHES and lose:
            broken = requests.Response()
            broken.status_code = 503  # HQ may have done the work; the kiosk never hears of it
            broken._content = b'{"detail": "busy"}'
            return broken
        return resp

    lose = False
    session = CaseSession(rewrite=lose_reply)
    outbox = enrolled(kiosk, hq, session)
    rid = detractor(kiosk)
    assert outbox.drain().last.kind is StepKind.IDLE
    followups.move(kiosk, rid, CaseState.RESOLVED)
    ids = add_responses(kiosk, 3)
    lose = True
    assert outbox.step().kind is StepKind.BACKOFF
    assert [c["response_id"] for c in sent_cases(session)[-1]] == [rid]
    assert len(session.bodies[-1]["responses"]) == 3  # it rode with the answers
    path = kiosk.path
    kiosk.close()
    from kiosk.db import open_database

    again = open_database(path)  # a restart: the change is still pending
    try:
        assert [p.change.response_id for p in followups.pending(again, limit=5)] == [rid]
        lose = False
        outbox = outbox_for(again, session=session)
        assert outbox.drain().last.kind is StepKind.IDLE
        assert set(ids) <= set(hq.rows(again.settings().device_id))
    finally:
        again.close()


def test_a_kiosk_talking_to_an_hq_without_cases_still_syncs(hq: Hq, kiosk: Database) -> None:
    def old_hq(path: str, kwargs: dict[str, Any], resp: requests.Response) -> Any:
        body = kwargs.get("data") or b""
        if path == CASES or (path == BATCHES and b'"cases"' in body):
            old = requests.Response()
            old.status_code = 404 if path == CASES else 422
            old._content = b'{"detail": "Not Found"}'
            return old
        return resp

    session = CaseSession(rewrite=old_hq)
    outbox = enrolled(kiosk, hq, session)
    rid = detractor(kiosk)
    assert outbox.drain().last.kind is StepKind.IDLE
    followups.move(kiosk, rid, CaseState.RESOLVED)
    ids = add_responses(kiosk, 4)
    assert outbox.drain().last.kind is StepKind.IDLE  # the 422: resent without cases
    assert set(ids) <= set(hq.rows(kiosk.settings().device_id))
    assert outbox.cases_unsupported and outbox.protocol == "v2"
    assert "cases" not in session.bodies[-1] and "health" in session.bodies[-1]
    assert followups.get(kiosk, rid).hq_pending  # kept for an HQ that takes it
    assert outbox.sync_cases() is None
    assert session.count(CASES) == 0  # a refused batch already said: no cases at this HQ
    more = add_responses(kiosk, 2)
    assert outbox.drain().last.kind is StepKind.IDLE
    assert set(more) <= set(hq.rows(kiosk.settings().device_id))


def test_a_404_to_the_pull_stops_cases_for_that_hq(hq: Hq, kiosk: Database) -> None:
    def no_pull(path: str, kwargs: dict[str, Any], resp: requests.Response) -> Any:
        if path == CASES:
            old = requests.Response()
            old.status_code = 404
            old._content = b'{"detail": "Not Found"}'
            return old
        return resp

    session = CaseSession(rewrite=no_pull)
    outbox = enrolled(kiosk, hq, session)
    rid = detractor(kiosk)
    assert outbox.drain().last.kind is StepKind.IDLE
    assert outbox.sync_cases() is None and outbox.cases_unsupported
    assert outbox.sync_cases() is None
    assert session.count(CASES) == 1  # not asked again
    followups.move(kiosk, rid, CaseState.CONTACTED)
    ids = add_responses(kiosk, 2)
    assert outbox.drain().last.kind is StepKind.IDLE
    assert "cases" not in session.bodies[-1] and outbox.protocol == "v2"
    assert set(ids) <= set(hq.rows(kiosk.settings().device_id))
    assert followups.get(kiosk, rid).hq_pending
