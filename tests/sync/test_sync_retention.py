"""Retention from the store profile, on a real kiosk file and a real HQ on 127.0.0.1 with a moved
clock: HQ sets a shorter policy for one store; that store's kiosk receives it with its profile
and purges by it, HQ's purge applies it to that store only, and exports made after the purge
(the kiosk's CSV, HQ's export API) lack the purged values. A kiosk that does not ask for the
retention (one made before it) still verifies and applies the rest of its profile."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from synckit import Hq, fresh_db

from core.profile import SignedProfileV1, StoreProfileV1, verify_profile
from kiosk import privacy
from kiosk.db import Database, utcnow
from kiosk.export import export_responses
from kiosk.profile import managed_version
from kiosk.recording import Completion, FollowUp, Recorder
from sync.outbox import Outbox, StepKind, enroll_kiosk, outbox_for


@pytest.fixture
def kiosk(template_db: Path, tmp_path: Path) -> Iterator[Database]:
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    yield db
    db.close()


def enrolled(db: Database, hq: Hq, store: str) -> Outbox:
    with requests.Session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=hq.code(store), session=s)
    return outbox_for(db, session=requests.Session())


def caller(db: Database, name: str, phone: str, comment: str) -> str:
    rec = Recorder(db)
    rid = rec.record_score(score=2, language="en", time_to_answer_ms=3000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            comment=comment,
            contact_consent=True,
            contact_name=name,
            contact_detail=phone,
            consent_text="May we call you?",
        ),
    )
    return rid


def hq_contact(hq: Hq, rid: str) -> tuple[object, ...]:
    with hq.hq.db.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT contact_name, contact_detail, comment FROM responses WHERE id = ?", (rid,)
        ).one()
    return tuple(row)


def test_a_store_with_a_shorter_policy_purges_earlier_on_its_kiosk_and_at_hq(
    hq: Hq, kiosk: Database, template_db: Path, tmp_path: Path
) -> None:
    from hq.privacy import purge
    from hq.profiles import retention_policies, set_settings

    short, other = hq.new_store("Short Keep"), hq.new_store("Default Keep")
    set_settings(
        hq.hq,
        "store",
        short,
        {"retention.contact_days": 30, "retention.comment_days": 20},
        actor="test",
    )
    policies = retention_policies(hq.hq)
    assert (policies[short].contact_days, policies[short].comment_days) == (30, 20)
    assert policies[other] == hq.hq.config.retention  # nothing set: HQ's own policy

    outbox = enrolled(kiosk, hq, short)
    assert outbox.sync_profile() is not None
    s = kiosk.settings()
    assert (s.retention_contact_days, s.retention_comment_days) == (30, 20)
    assert s.retention_contact_resolved_days == 90  # unset: the built-in default
    assert managed_version(kiosk) is not None

    tag = uuid.uuid4().hex[:6]
    name, phone, comment = f"Short Sunita {tag}", f"+91 9{int(tag, 16) % 10**9:09d}", f"Slow {tag}"
    rid = caller(kiosk, name, phone, comment)
    assert outbox.drain().last.kind is StepKind.IDLE
    # Another store's answer of the same age, kept by HQ's default 180 days.
    other_kiosk = fresh_db(template_db, tmp_path / "other.db")
    try:
        other_outbox = enrolled(other_kiosk, hq, other)
        kept = caller(other_kiosk, "Default Dev", "+91 95555 12345", "fine")
        assert other_outbox.drain().last.kind is StepKind.IDLE
    finally:
        other_kiosk.close()

    now = utcnow()
    # Day 25: the comment (20 days) goes on the kiosk and at HQ, the contact (30) stays.
    assert privacy.purge(kiosk, now=now + timedelta(days=25)).comments == 1
    purge(hq.hq, now=now + timedelta(days=25))
    assert hq_contact(hq, rid) == (name, phone, None)
    # Day 31: the contact goes too, on both; the other store's answer keeps everything.
    done = privacy.purge(kiosk, now=now + timedelta(days=31))
    assert done.contacts == 1
    result = purge(hq.hq, now=now + timedelta(days=31))
    assert result.contacts >= 1
    assert hq_contact(hq, rid) == (None, None, None)
    assert hq_contact(hq, kept) == ("Default Dev", "+91 95555 12345", "fine")

    # Exports made after the purge lack the purged values.
    out = export_responses(kiosk, folder=tmp_path, since=date(2000, 1, 1), until=date(2100, 1, 1))
    text = "".join(p.read_text("utf-8-sig") for p in out.files)
    assert out.rows == 1 and comment not in text and phone not in text and name not in text
    from hq import users
    from hq.roles import Role

    users.add_user(hq.hq, f"own-{tag}", password="retention pass 1", role=Role.OWNER)
    with requests.Session() as web:
        page = web.post(
            f"{hq.base}/login",
            data={"username": f"own-{tag}", "password": "retention pass 1"},
            timeout=30,
        )
        assert page.status_code == 200
        csv = web.get(f"{hq.base}/api/v1/export", params={"store": short}, timeout=30)
        assert csv.status_code == 200 and rid in csv.text
        assert phone not in csv.text and name not in csv.text and comment not in csv.text
        held = web.get(f"{hq.base}/api/v1/privacy/export", params={"phone": phone}, timeout=30)
        assert held.status_code == 200 and held.json()["responses"] == []
    # The run is audited with each policy and its stores.
    with hq.hq.db.engine.connect() as conn:
        detail = conn.exec_driver_sql(
            "SELECT detail FROM audit_log WHERE action = 'privacy.purge' ORDER BY id DESC"
        ).scalar()
    assert (
        f"stores {short}: contact details after 30 days, or 90 days after the case was resolved: 1"
        in str(detail)
    )


def test_a_kiosk_that_does_not_ask_for_retention_gets_the_rest_of_its_profile(
    hq: Hq, kiosk: Database
) -> None:
    from hq.profiles import set_settings

    store = hq.new_store()
    set_settings(hq.hq, "store", store, {"retention.contact_days": 45}, actor="test")
    enrolled(kiosk, hq, store)
    from kiosk.credentials import load

    creds = load(kiosk.path)
    headers = {"Authorization": f"Bearer {creds.device_token}"}
    old = requests.get(f"{hq.base}/api/v1/profile", headers=headers, timeout=30).json()
    new = requests.get(
        f"{hq.base}/api/v1/profile", params={"retention": "true"}, headers=headers, timeout=30
    ).json()
    assert "retention" not in old["profile"]
    assert new["profile"]["retention"]["contact_days"] == 45
    # A kiosk made before the field refuses unknown fields: the old form still verifies.
    signed = SignedProfileV1.model_validate(old)
    profile = verify_profile(creds.device_secret, signed)
    assert profile.retention is None
    strict = StoreProfileV1.model_json_schema()
    assert set(old["profile"]) <= set(strict["properties"]) - {"retention"}
    assert json.dumps(old["profile"]).count("retention") == 0
