"""Protocol v2 at HQ: a v1 kiosk's exact JSON still syncs (and a resent v1 answer is still a
duplicate), v2 batches carry survey_version and health, the batch reply names the store's
profile version, GET /api/v1/profile answers the signed profile or 204, the phone pull stays v1
unless asked for v2, and migration 0004 upgrades a 0003 database with rows."""

from __future__ import annotations

import json
from pathlib import Path

import requests
from hqkit import Device, Server, batch, enroll, post_batch, response, statuses

DATA = Path(__file__).parent / "data"
# The content hash protocol v1 (before survey_version existed) gave this response: a resend
# from a v1 kiosk must hash the same, or HQ would call its own answer a conflict.
V1_RESPONSE = {
    "id": "0190f3a2-7c1e-7b3d-9a41-5c2e8d9f0a11",
    "seq": 42,
    "store_id": "blr-01",
    "device_id": "blr-01-k1",
    "channel": "kiosk",
    "language": "hi",
    "question_version": 1,
    "score": 6,
    "category": "detractor",
    "reasons": ["wait_time", "staff"],
    "comment": 'लाइन लंबी थी "q"',
    "contact_consent": True,
    "contact_name": "Asha",
    "contact_detail": "+91 98100 00000",
    "device_time": "2026-03-14T18:30:05.123456+05:30",
    "time_to_answer_ms": 2310,
    "completion": "done",
    "suspect": False,
    "suspect_reason": None,
}
V1_HASH = "30ba496a8f595663c2e7d9bbf4ca59114b06a3aec71b69922f960cfbea16c960"
# The same answer with survey_version 3, hashed by the code before consent_text.
V2_HASH = "5b6a1ff30fc337dfce23878a08b4b2dd879b044f079ec4ad5471b19954f40b1c"


def test_a_v1_response_keeps_its_v1_hash() -> None:
    from core.protocol import RESPONSE_FIELDS, ResponseV1, content_hash
    from hq.ingest import _digest

    v1 = ResponseV1.model_validate(V1_RESPONSE)
    assert content_hash(v1) == V1_HASH
    assert _digest(v1) == V1_HASH  # ingest's fast path too
    v2 = ResponseV1.model_validate({**V1_RESPONSE, "survey_version": 3})
    assert content_hash(v2) != V1_HASH and _digest(v2) == content_hash(v2)
    # A v2 answer without consent_text keeps the hash it had before that field existed.
    assert content_hash(v2) == V2_HASH
    assert RESPONSE_FIELDS[-2:] == ("survey_version", "consent_text")
    worded = ResponseV1.model_validate({**V1_RESPONSE, "consent_text": "May we call you?"})
    assert content_hash(worded) not in (V1_HASH, V2_HASH) and _digest(worded) == content_hash(
        worded
    )


def test_batch_json_without_v2_fields_is_v1s() -> None:
    """Today's client (sync.outbox) sends exactly v1's bytes when it uses no v2 field."""
    from core.protocol import BatchV1

    raw = (DATA / "v1_batch.json").read_text(encoding="utf-8").strip()
    assert BatchV1.model_validate_json(raw).wire_json().decode() == raw
    assert "health" not in raw and "survey_version" not in raw


def _as_device(raw: str, device: Device) -> str:
    return raw.replace('"blr-01-k1"', json.dumps(device.device_id)).replace(
        '"blr-01"', json.dumps(device.store_id)
    )


def test_a_v1_kiosks_batch_still_syncs(hq_server: Server) -> None:
    device = enroll(hq_server)
    body = _as_device((DATA / "v1_batch.json").read_text(encoding="utf-8"), device)
    headers = {**device.auth, "Content-Type": "application/json"}
    url = hq_server.url("/api/v1/batches")
    first = requests.post(url, data=body.encode(), headers=headers, timeout=30)
    assert statuses(first) == ["accepted", "accepted"]
    assert first.json()["profile_version"] == 1
    again = requests.post(url, data=body.encode(), headers=headers, timeout=30)
    assert statuses(again) == ["duplicate", "duplicate"]
    # The v1 client's reply model reads the reply (it ignores profile_version).
    from core.protocol import BatchReplyV1

    assert BatchReplyV1.model_validate_json(again.content).profile_version == 1
    # Phone pull without protocol=v2: v1 answers, no survey_version key.
    pull = requests.get(
        hq_server.url(f"/api/v1/stores/{device.store_id}/responses"),
        headers=device.auth,
        timeout=10,
    )
    assert pull.status_code == 200 and pull.json()["responses"] == []


def test_a_v2_batch_stores_survey_version_and_health(hq_server: Server) -> None:
    from sqlalchemy import select

    from hq.models import DeviceRow, ResponseRow

    device = enroll(hq_server)
    rows = [response(device, 1, survey_version=1), response(device, 2)]
    health = {
        "app_version": "2.0.0",
        "backlog": 0,
        "db_bytes": 123456,
        "clock_offset_s": -1.5,
        "profile_version": 1,
    }
    reply = post_batch(hq_server, device, batch(device, rows, protocol="v2", health=health))
    assert statuses(reply) == ["accepted", "accepted"]
    assert reply.json()["profile_version"] == 1
    with hq_server.hq.db.reading() as s:
        got = {
            r[0]: r[1]
            for r in s.execute(
                select(ResponseRow.id, ResponseRow.survey_version).where(
                    ResponseRow.device_id == device.device_id
                )
            )
        }
        dev = s.get(DeviceRow, device.device_id)
        assert dev is not None and dev.health is not None
        assert json.loads(dev.health)["app_version"] == "2.0.0"
        assert dev.health_at is not None and dev.profile_version == 1
    assert got == {rows[0]["id"]: 1, rows[1]["id"]: None}
    # health in a v1 batch is refused (422), survey_version out of range rejects one response
    v1_health = post_batch(hq_server, device, batch(device, [], health=health))
    assert v1_health.status_code == 422
    bad = post_batch(
        hq_server, device, batch(device, [response(device, 3, survey_version=0)], protocol="v2")
    )
    assert statuses(bad) == ["rejected"]
    # A v2 pull shows survey_version; the answers are the store's phone answers (none here).
    pull = requests.get(
        hq_server.url(f"/api/v1/stores/{device.store_id}/responses"),
        params={"protocol": "v2"},
        headers=device.auth,
        timeout=10,
    )
    assert pull.status_code == 200


def test_the_profile_light_check(hq_server: Server) -> None:
    from core.profile import SignedProfileV1, verify_profile

    device = enroll(hq_server)
    url = hq_server.url("/api/v1/profile")
    r = requests.get(url, headers=device.auth, timeout=10)
    assert r.status_code == 200, r.text
    profile = verify_profile(device.secret, SignedProfileV1.model_validate_json(r.content))
    assert profile.store_id == device.store_id and profile.version == 1
    assert profile.survey.id == 1 and profile.survey.name == "Default"
    assert profile.survey.languages == ["en", "hi"]
    light = requests.get(url, params={"have": 1}, headers=device.auth, timeout=10)
    assert light.status_code == 204 and light.content == b""
    assert requests.get(url, params={"have": 0}, headers=device.auth, timeout=10).status_code == 422
    stale = requests.get(url, params={"have": 7}, headers=device.auth, timeout=10)
    assert stale.status_code == 200
    assert requests.get(url, timeout=10).status_code == 401
    other = enroll(hq_server)
    theirs = SignedProfileV1.model_validate_json(
        requests.get(url, headers=other.auth, timeout=10).content
    )
    assert theirs.profile["store_id"] == other.store_id


def test_migration_0004_upgrades_a_0003_database(tmp_path: Path) -> None:
    """Responses and devices keep their rows (v1 answers: survey_version NULL); the built-in
    survey is version 1; an existing store's profile is version 1."""
    from alembic import command
    from sqlalchemy import text

    from hq.db import _alembic_config, make_engine, sqlite_url
    from hq.profiles import current_profile, published
    from hq.service import Hq, HqConfig

    url = sqlite_url(tmp_path / "hq.db")
    engine = make_engine(url)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0003")
        conn.exec_driver_sql(
            "INSERT INTO stores (store_id, name, created_at) VALUES ('s1', 'One', "
            "'2026-11-01 00:00:00.000000')"
        )
        conn.exec_driver_sql(
            "INSERT INTO devices (device_id, store_id, last_backlog) VALUES ('s1-k1', 's1', 4)"
        )
        cols = ", ".join(k for k in V1_RESPONSE if k != "device_time")
        marks = ", ".join(f":{k}" for k in V1_RESPONSE if k != "device_time")
        values = {
            k: (json.dumps(v) if k == "reasons" else v)
            for k, v in V1_RESPONSE.items()
            if k != "device_time"
        }
        conn.execute(
            text(
                f"INSERT INTO responses ({cols}, device_time, content_hash, received_at) VALUES "
                f"({marks}, '2026-03-14 13:00:05.123456', :h, '2026-03-14 13:05:00.000000')"
            ),
            {**values, "store_id": "s1", "device_id": "s1-k1", "h": V1_HASH},
        )
        conn.commit()
    engine.dispose()
    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        with hq.db.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT score, survey_version, content_hash FROM responses"
            ).one()
            assert tuple(row) == (6, None, V1_HASH)
            dev = conn.exec_driver_sql(
                "SELECT last_backlog, health, profile_version FROM devices"
            ).one()
            assert tuple(dev) == (4, None, None)
        [(form, default)] = published(hq)
        assert (form, default.id, default.name, default.languages) == (
            "default",
            1,
            "Default",
            ["en", "hi"],
        )
        profile = current_profile(hq, "s1")
        assert profile.version == 1 and profile.display_name == "One"
        assert profile.time_zone == "UTC" and profile.survey.id == 1
    finally:
        hq.close()
