"""The consent wording a customer saw on a real kiosk reaches a real HQ with the answer
(protocol v2), so HQ can show what each person agreed to, even for a wording edited on the
kiosk; a kiosk falling back to v1 sends v1's fields only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from synckit import Hq, fresh_db

from kiosk.db import Database
from kiosk.recording import Completion, FollowUp, Recorder
from sync.outbox import StepKind, enroll_kiosk, outbox_for

WORDING = "May our store manager phone you about this visit? (our own wording)"


@pytest.fixture
def kiosk(template_db: Path, tmp_path: Path) -> Iterator[Database]:
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    yield db
    db.close()


def test_the_wording_shown_reaches_hq_with_the_consent(hq: Hq, kiosk: Database) -> None:
    from hq.privacy import PersonQuery, find

    with requests.Session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    outbox = outbox_for(kiosk, session=requests.Session())
    rec = Recorder(kiosk)
    yes = rec.record_score(score=1, language="en", time_to_answer_ms=3000).id
    rec.complete(
        yes,
        how=Completion.DONE,
        follow_up=FollowUp(
            contact_consent=True,
            contact_name="Wording Wasim",
            contact_detail="+91 93456 78901",
            consent_text=WORDING,
        ),
    )
    no = rec.record_score(score=9, language="en", time_to_answer_ms=3000).id
    rec.complete(no, how=Completion.DONE, follow_up=FollowUp(consent_text=WORDING))
    assert outbox.drain().last.kind is StepKind.IDLE
    with hq.hq.db.engine.connect() as conn:
        rows = dict(
            conn.exec_driver_sql(
                "SELECT id, consent_text FROM responses WHERE id IN (?, ?)", (yes, no)
            ).all()
        )
    assert rows == {yes: WORDING, no: None}
    held = find(hq.hq, PersonQuery.parse("phone", "+91 93456 78901"), actor="test")
    assert [(r.agreed_to, r.agreed_to_source) for r in held.responses] == [(WORDING, "kiosk")]

    # A kiosk speaking v1 (an HQ before v2) sends v1's fields only: no consent_text.
    later = rec.record_score(score=2, language="en", time_to_answer_ms=3000).id
    rec.complete(
        later,
        how=Completion.DONE,
        follow_up=FollowUp(contact_consent=True, contact_detail="x@y.in", consent_text=WORDING),
    )
    sent: list[bytes] = []
    session = requests.Session()
    original = session.request

    def spy(method: str, url: str, *args: object, **kwargs: object) -> requests.Response:
        if url.endswith("/api/v1/batches"):
            sent.append(bytes(kwargs.get("data") or b""))  # type: ignore[arg-type]  # the body
        return original(method, url, *args, **kwargs)  # type: ignore[arg-type]  # as given

    session.request = spy  # type: ignore[method-assign]  # a real session, observed
    v1 = outbox_for(kiosk, session=session)
    v1.protocol = "v1"
    assert v1.step().kind is StepKind.SENT
    assert sent and b"consent_text" not in sent[-1] and later.encode() in sent[-1]
