"""Protocol v2 on the kiosk against a real HQ on 127.0.0.1 and real SQLite files: v2 batches
with health, the store profile fetched when a reply names a newer version (or by the one light
check of an idle cycle), verified with the device secret, written to the settings and recorded
on the next answers as their survey version; a tampered profile is refused and the old one
kept; an HQ before v2 still gets every answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from synckit import (
    HINDI_QUESTION,
    Hq,
    RecordingSession,
    add_responses,
    fresh_db,
    publish_survey,
    store_profile_version,
)

from kiosk.db import Database
from kiosk.migrations import HEAD
from kiosk.profile import ProfileRefused, managed_version, stored_version
from kiosk.recording import Completion, Recorder
from sync.ledger import SyncStore
from sync.outbox import Outbox, StepKind, enroll_kiosk, outbox_for

PROFILE = "/api/v1/profile"
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


def hq_survey_versions(hq: Hq, device_id: str) -> dict[str, int | None]:
    with hq.hq.db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, survey_version FROM responses WHERE device_id = ?", (device_id,)
        ).all()
    return {r[0]: r[1] for r in rows}


def hq_health(hq: Hq, device_id: str) -> dict[str, Any]:
    with hq.hq.db.engine.connect() as conn:
        raw = conn.exec_driver_sql(
            "SELECT health FROM devices WHERE device_id = ?", (device_id,)
        ).scalar()
    return dict(json.loads(raw)) if raw else {}


def test_a_published_hindi_survey_reaches_the_kiosk_and_its_answers(
    hq: Hq, kiosk: Database
) -> None:
    outbox = enrolled(kiosk, hq)
    store, device = kiosk.settings().store_id, kiosk.settings().device_id
    # Before any profile: v2 batches with health, answers without a survey version.
    add_responses(kiosk, 3)
    assert outbox.step().kind is StepKind.SENT
    assert outbox.protocol == "v2" and outbox.reported_profile_version == 1
    health = hq_health(hq, device)
    assert health["schema_revision"] == HEAD and health["backlog"] == 0
    assert health["db_bytes"] > 0 and health["free_disk_bytes"] > 0
    assert health["started_at"] and health.get("profile_version") is None
    # The first profile (version 1) is fetched by the idle cycle's check and applied.
    assert outbox.sync_profile(reported=1) is not None
    assert stored_version(kiosk) == 1 and managed_version(kiosk) == 1

    survey = publish_survey(hq, store)
    version = store_profile_version(hq, store)
    assert version == 2
    add_responses(kiosk, 1)
    assert outbox.step().kind is StepKind.SENT
    assert outbox.reported_profile_version == version
    profile = outbox.sync_profile(reported=outbox.reported_profile_version)
    assert profile is not None and profile.version == version
    s = kiosk.settings()
    assert s.question is not None and s.question["hi"] == HINDI_QUESTION
    assert s.languages == ("hi", "en") and s.default_language == "hi"
    assert (s.survey_version, s.profile_version) == (survey, version)
    assert s.consent["hi"] == "क्या हम आपसे संपर्क कर सकते हैं?"
    assert managed_version(kiosk) == version
    # Nothing newer: a reply naming the same version asks nothing more.
    assert outbox.sync_profile(reported=version) is None

    recorder = Recorder(kiosk)
    answer = recorder.record_score(score=3, language="hi", time_to_answer_ms=2000)
    recorder.complete(answer.id, how=Completion.DONE)
    assert outbox.step().kind is StepKind.SENT
    at_hq = hq_survey_versions(hq, device)
    assert at_hq[answer.id] == survey
    assert sum(1 for v in at_hq.values() if v is None) == 4  # the answers from before
    assert hq_health(hq, device)["profile_version"] == version


def test_a_tampered_profile_is_refused_and_the_old_one_kept(hq: Hq, kiosk: Database) -> None:
    def tamper(path: str, _kwargs: dict[str, Any], resp: requests.Response) -> requests.Response:
        if path == PROFILE and resp.status_code == 200:
            body = resp.json()
            body["profile"]["survey"]["texts"]["hi"]["question"] = "बदला हुआ सवाल"
            resp._content = json.dumps(body, ensure_ascii=False).encode()
        return resp

    outbox = enrolled(kiosk, hq)
    assert outbox.sync_profile() is not None  # version 1, untouched
    before = kiosk.settings()
    publish_survey(hq, kiosk.settings().store_id)
    outbox.client.session = RecordingSession(rewrite=tamper)
    with pytest.raises(ProfileRefused, match="signature"):
        outbox.sync_profile()
    assert kiosk.settings() == before and stored_version(kiosk) == 1
    status = SyncStore(kiosk).status()
    assert status.profile_error and "signature" in status.profile_error
    # The next good profile clears the error.
    outbox.client.session = requests.Session()
    assert outbox.sync_profile() is not None
    assert SyncStore(kiosk).status().profile_error is None


def test_a_profile_for_another_store_is_refused(hq: Hq, kiosk: Database, tmp_path: Path) -> None:
    from core.profile import SignedProfileV1, sign_profile
    from hq.profiles import current_profile
    from kiosk.credentials import load
    from kiosk.profile import receive

    enrolled(kiosk, hq)
    other = current_profile(hq.hq, hq.new_store())
    secret = load(kiosk.path).device_secret
    signed: SignedProfileV1 = sign_profile(secret, other)  # a good signature, the wrong store
    with pytest.raises(ProfileRefused, match="store"):
        receive(kiosk, signed, secret=secret)
    assert stored_version(kiosk) is None and kiosk.settings().profile_version is None


def test_the_idle_light_check_is_one_request_a_cycle(hq: Hq, kiosk: Database) -> None:
    recording = RecordingSession()
    outbox = enrolled(kiosk, hq, session=recording)
    # An idle cycle: the outbox has nothing; one light check brings version 1.
    assert outbox.step().kind is StepKind.IDLE
    assert outbox.sync_profile() is not None
    assert recording.count(PROFILE) == 1
    # The next idle cycles: one ?have=1 each, answered 204, nothing applied.
    for cycle in range(1, 4):
        assert outbox.step().kind is StepKind.IDLE
        assert outbox.sync_profile() is None
        assert recording.count(PROFILE) == 1 + cycle
    assert recording.calls[-1] == ("GET", PROFILE, "have=1&retention=true")
    # A cycle that sent a batch learns the version from the reply: no extra request.
    add_responses(kiosk, 2)
    assert outbox.step().kind is StepKind.SENT
    assert outbox.sync_profile(reported=outbox.reported_profile_version) is None
    assert recording.count(PROFILE) == 4 and recording.count(BATCHES) == 1


def test_an_hq_before_v2_still_gets_every_answer(hq: Hq, kiosk: Database) -> None:
    """HQ of protocol v1: refuses a v2 batch as a whole (422), answers without profile_version
    and has no /api/v1/profile (404). The kiosk falls back to v1 and keeps syncing."""
    from core.protocol import BatchV1

    sent: list[dict[str, Any]] = []

    def v1_hq(path: str, kwargs: dict[str, Any], resp: requests.Response) -> requests.Response:
        fake = requests.Response()
        fake.url, fake.request = resp.url, resp.request
        if path == BATCHES:
            body = json.loads(kwargs["data"])
            sent.append(body)
            if body.get("protocol") != "v1" or "health" in body:
                fake.status_code, fake._content = 422, b'{"detail": "protocol: must be v1"}'
                return fake
            reply = resp.json()
            reply.pop("profile_version", None)
            fake.status_code, fake._content = resp.status_code, json.dumps(reply).encode()
            return fake
        if path == PROFILE:
            fake.status_code, fake._content = 404, b'{"detail": "Not Found"}'
            return fake
        return resp

    outbox = enrolled(kiosk, hq, session=RecordingSession(rewrite=v1_hq))
    ids = add_responses(kiosk, 5)
    report = outbox.drain(max_failures=1)
    assert report.synced == 5 and report.failures == 0
    assert outbox.protocol == "v1" and outbox.reported_profile_version is None
    assert set(hq.rows(kiosk.settings().device_id)) == set(ids)
    assert [b.get("protocol") for b in sent] == ["v2", "v1"]
    BatchV1.model_validate(sent[-1])  # exactly a v1 batch
    assert "survey_version" not in json.dumps(sent[-1])
    assert outbox.sync_profile() is None  # v1: no profile asked


def test_health_counts_recoveries_until_a_sync_reports_them(hq: Hq, kiosk: Database) -> None:
    from datetime import timedelta

    from sync.health import collect

    outbox = enrolled(kiosk, hq)
    recorder = Recorder(kiosk)
    for score in (2, 9):
        recorder.record_score(score=score, language="en", time_to_answer_ms=1000)
    assert recorder.recover_incomplete(older_than=timedelta(seconds=-60)) == 2
    health = collect(kiosk)
    assert health.recoveries_since_sync == 2 and health.backlog == 2
    assert health.oldest_pending_at is not None
    assert outbox.step().kind is StepKind.SENT
    assert hq_health(hq, kiosk.settings().device_id)["recoveries_since_sync"] == 2
    assert collect(kiosk).recoveries_since_sync == 0 and collect(kiosk).backlog == 0


def test_the_review_link_reaches_the_kiosk_and_is_hqs_to_manage(hq: Hq, kiosk: Database) -> None:
    from hq.profiles import set_settings
    from kiosk.profile import MANAGED_KEYS

    outbox = enrolled(kiosk, hq)
    store = kiosk.settings().store_id
    assert outbox.sync_profile(reported=1) is not None
    assert kiosk.settings().review_url == ""  # HQ sets none by default
    url = "https://g.page/r/our-store/review?src=kiosk"
    set_settings(hq.hq, "store", store, {"thank_you.review_url": url}, actor="test")
    profile = outbox.sync_profile(reported=store_profile_version(hq, store))
    assert profile is not None and profile.thank_you.review_url == url
    assert kiosk.settings().review_url == url
    assert "review_url" in MANAGED_KEYS  # read-only on the Settings tab while managed
