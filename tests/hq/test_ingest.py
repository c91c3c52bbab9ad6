"""Ingest over real HTTP: every response exactly once, per-response answers, limits, no 500s."""

from __future__ import annotations

from datetime import datetime

import requests
from hqkit import (
    Device,
    Server,
    batch,
    count_rows,
    enroll,
    new_store,
    post_batch,
    response,
    statuses,
)
from sqlalchemy import select

from hq.models import BatchRow, DeviceRow, ResponseRow


def test_a_batch_is_stored_with_both_times(hq_server: Server, device: Device) -> None:
    rows = [response(device, seq) for seq in range(1, 4)]
    body = batch(device, rows, pending=7)
    before = datetime.now().astimezone()
    reply = post_batch(hq_server, device, body)
    assert statuses(reply) == ["accepted"] * 3
    data = reply.json()
    assert data["batch_id"] == body["batch_id"]
    server_time = datetime.fromisoformat(data["server_time"])
    assert server_time.tzinfo is not None and server_time >= before
    assert [r["id"] for r in data["results"]] == [r["id"] for r in rows]
    with hq_server.hq.db.reading() as s:
        stored = s.scalars(
            select(ResponseRow)
            .where(ResponseRow.device_id == device.device_id)
            .order_by(ResponseRow.seq)
        ).all()
        assert [r.seq for r in stored] == [1, 2, 3]
        assert stored[0].device_time == datetime(2026, 11, 20, 10, 1)  # naive UTC
        assert stored[0].received_at > stored[0].device_time
        dev = s.get(DeviceRow, device.device_id)
        assert dev is not None and dev.last_backlog == 7 and dev.last_sync_at is not None


def test_the_same_batch_twice_changes_nothing(hq_server: Server, device: Device) -> None:
    body = batch(device, [response(device, seq) for seq in range(1, 6)])
    assert statuses(post_batch(hq_server, device, body)) == ["accepted"] * 5
    with hq_server.hq.db.reading() as s:
        received = s.scalars(
            select(ResponseRow.received_at).where(ResponseRow.device_id == device.device_id)
        ).all()
    assert statuses(post_batch(hq_server, device, body)) == ["duplicate"] * 5
    assert count_rows(hq_server, device_id=device.device_id) == 5
    with hq_server.hq.db.reading() as s:
        again = s.scalars(
            select(ResponseRow.received_at).where(ResponseRow.device_id == device.device_id)
        ).all()
        batches = s.scalars(select(BatchRow).where(BatchRow.batch_id == body["batch_id"])).all()
    assert again == received
    assert len(batches) == 1 and batches[0].accepted == 5


def test_a_conflicting_resend_is_rejected_and_the_first_kept(
    hq_server: Server, device: Device
) -> None:
    first = response(device, 1, score=9, comment="great")
    assert statuses(post_batch(hq_server, device, batch(device, [first]))) == ["accepted"]
    changed = {**first, "score": 2, "category": "detractor", "comment": "awful"}
    reply = post_batch(hq_server, device, batch(device, [changed]))
    result = reply.json()["results"][0]
    assert result["status"] == "rejected" and "conflict" in result["reason"]
    with hq_server.hq.db.reading() as s:
        kept = s.scalars(select(ResponseRow).where(ResponseRow.id == first["id"])).one()
    assert (kept.score, kept.comment) == (9, "great")


def test_a_partly_overlapping_batch_stores_only_the_new(hq_server: Server, device: Device) -> None:
    rows = [response(device, seq) for seq in range(1, 11)]
    assert statuses(post_batch(hq_server, device, batch(device, rows[:6]))) == ["accepted"] * 6
    reply = post_batch(hq_server, device, batch(device, rows[3:]))
    assert statuses(reply) == ["duplicate"] * 3 + ["accepted"] * 4
    assert count_rows(hq_server, device_id=device.device_id) == 10


def test_the_same_instant_in_another_offset_is_a_duplicate(
    hq_server: Server, device: Device
) -> None:
    first = response(device, 1, device_time="2026-11-20T10:00:00+00:00")
    assert statuses(post_batch(hq_server, device, batch(device, [first]))) == ["accepted"]
    same = {**first, "device_time": "2026-11-20T15:30:00+05:30"}
    assert statuses(post_batch(hq_server, device, batch(device, [same]))) == ["duplicate"]


def test_an_id_twice_in_one_batch(hq_server: Server, device: Device) -> None:
    row = response(device, 1)
    other = {**row, "score": 3, "category": "detractor"}
    reply = post_batch(hq_server, device, batch(device, [row, row, other]))
    assert statuses(reply) == ["accepted", "duplicate", "rejected"]
    assert count_rows(hq_server, id=row["id"]) == 1


def test_invalid_responses_are_rejected_one_by_one(hq_server: Server, device: Device) -> None:
    good = response(device, 1)
    bad = [
        response(device, 2, score=11, category="promoter"),
        response(device, 3, score=5, category="promoter"),  # category does not match
        response(device, 4, comment="x" * 1001),
        response(device, 5, contact_name="Asha"),  # contact without consent
        response(device, 6, device_time="2026-11-20T10:00:00"),  # no UTC offset
        response(device, 7, language="fr"),
        response(device, 8, reasons=["Not A Key"]),
        response(device, 9, device_id="someone-else"),
        response(device, 10, unknown_field=1),
        response(device, 11, score="9"),  # a string is not a score
    ]
    reply = post_batch(hq_server, device, batch(device, [good, *bad]))
    results = reply.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["rejected"] * len(bad)
    reasons = [r["reason"] for r in results[1:]]
    assert all(reason.startswith("invalid") for reason in reasons), reasons
    assert "score" in reasons[0] and "category" in reasons[1] and "comment" in reasons[2]
    assert count_rows(hq_server, device_id=device.device_id) == 1


def test_malformed_bodies_get_422_and_nothing_is_stored(hq_server: Server, device: Device) -> None:
    url = hq_server.url("/api/v1/batches")
    for body in (b"{not json", b"[]", b'{"protocol": "v1"}', b"null", "é".encode("latin-1")):
        r = requests.post(
            url, data=body, headers={**device.auth, "Content-Type": "application/json"}, timeout=10
        )
        assert r.status_code == 422, (body, r.status_code, r.text)
        assert "detail" in r.json()
    too_many = batch(device, [response(device, seq) for seq in range(1, 502)])
    r = post_batch(hq_server, device, too_many)
    assert r.status_code == 422 and "500" in r.text
    no_id = batch(device, [{"score": 9}])
    assert post_batch(hq_server, device, no_id).status_code in (200, 422)
    assert count_rows(hq_server, device_id=device.device_id) == 0


def test_oversized_bodies_get_413(hq_server: Server, device: Device) -> None:
    url = hq_server.url("/api/v1/batches")
    big = b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    r = requests.post(
        url, data=big, headers={**device.auth, "Content-Type": "application/json"}, timeout=30
    )
    assert r.status_code == 413

    def chunks():  # chunked: no Content-Length to check up front
        for _ in range(80):
            yield b"a" * 65536

    r = requests.post(
        url, data=chunks(), headers={**device.auth, "Content-Type": "application/json"}, timeout=30
    )
    assert r.status_code == 413
    r = requests.post(
        hq_server.url("/api/v1/enroll"),
        data=b"x" * 200_000,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413


def test_a_full_batch_of_500_is_taken(hq_server: Server, device: Device) -> None:
    rows = [response(device, seq, score=seq % 11) for seq in range(1, 501)]
    assert statuses(post_batch(hq_server, device, batch(device, rows))) == ["accepted"] * 500


def test_auth_matrix(hq_server: Server, analyst_token: str) -> None:
    device = enroll(hq_server)
    body = batch(device, [response(device, 1)])
    url = hq_server.url("/api/v1/batches")

    def post(headers: dict[str, str], payload: dict = body) -> requests.Response:
        return requests.post(url, json=payload, headers=headers, timeout=10)

    none = post({})
    assert none.status_code == 401 and none.headers["WWW-Authenticate"] == "Bearer"
    assert post({"Authorization": "Bearer nd_wrong"}).status_code == 401
    assert post({"Authorization": "Basic abc"}).status_code == 401
    assert post({"Authorization": f"Bearer {analyst_token}"}).status_code == 403

    other = enroll(hq_server)  # a device of another store writing this store's responses
    foreign = batch(other, [response(device, 1)])
    assert post(other.auth, foreign).status_code == 403
    assert post(other.auth, body).status_code == 403  # another device's batch
    assert count_rows(hq_server, device_id=device.device_id) == 0

    assert statuses(post(device.auth)) == ["accepted"]
    hq_server.hq.revoke_device(device.device_id)
    revoked = post(device.auth)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_enrollment_codes_work_once(hq_server: Server) -> None:
    store = new_store(hq_server)
    code = hq_server.hq.enroll_device(store_id=store)
    url = hq_server.url("/api/v1/enroll")
    # Codes are read aloud and typed: case and dashes do not matter.
    typed = code.code.lower().replace("-", " ")
    first = requests.post(url, json={"code": typed}, timeout=10)
    assert first.status_code == 200 and first.json()["store_id"] == store
    again = requests.post(url, json={"code": code.code}, timeout=10)
    assert again.status_code == 401 and "new one" in again.json()["detail"]
    assert requests.post(url, json={"code": "AAAA-BBBB-CCCC"}, timeout=10).status_code == 401
    assert requests.post(url, json={}, timeout=10).status_code == 422
    # HQ keeps a hash of the device token, never the token.
    token = first.json()["device_token"]
    with hq_server.hq.db.reading() as s:
        stored = s.get(DeviceRow, first.json()["device_id"])
    assert stored is not None and stored.token_hash != token and len(stored.token_hash) == 64


def test_nothing_answers_500_on_odd_requests(hq_server: Server, device: Device) -> None:
    for method, path in (
        ("get", "/api/v1/batches"),
        ("put", "/api/v1/batches"),
        ("get", "/api/v1/responses?after=zzz"),
        ("get", "/nope"),
        ("get", "/api/v1/nps?group_by=year"),
        ("get", "/static/fonts/x"),
        ("get", "/m/unknown?t=a.b"),
        ("post", "/m/unknown"),
    ):
        r = requests.request(method, hq_server.url(path), headers=device.auth, timeout=10)
        assert r.status_code < 500, (method, path, r.status_code, r.text)
