"""Phone answers from the QR link over real HTTP (the browser test drives the same pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests
from hqkit import Device, Server, count_rows, enroll

from core.mobile_token import make_token


def link(server: Server, device: Device, **changes: object) -> tuple[str, str]:
    args: dict = {
        "secret": device.secret,
        "store_id": device.store_id,
        "device_id": device.device_id,
        "issued_at": datetime.now(UTC),
    }
    args.update(changes)
    token = make_token(**args)
    return server.url(f"/m/{device.store_id}?t={token}"), token


def answer(server: Server, device: Device, token: str, **form: object) -> requests.Response:
    data = {"t": token, "lang": "en", "score": "4", "comment": "", **form}
    return requests.post(server.url(f"/m/{device.store_id}"), data=data, timeout=10)


def test_a_phone_answer_is_stored_once(hq_server: Server, device: Device) -> None:
    url, token = link(hq_server, device)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert "How likely are you to recommend us" in page.text and 'value="10"' in page.text
    done = answer(
        hq_server,
        device,
        token,
        score="3",
        reasons=["wait_time", "staff"],
        comment="Queue was long",
    )
    assert done.status_code == 200 and "Thank you" in done.text
    assert count_rows(hq_server, store_id=device.store_id, channel="qr") == 1
    again = requests.get(url, timeout=10)
    assert again.status_code == 409 and "Already answered" in again.text
    resubmit = answer(hq_server, device, token, score="10")
    assert resubmit.status_code == 409
    assert count_rows(hq_server, store_id=device.store_id, channel="qr") == 1


def test_the_kiosk_pulls_its_phone_answers_back(
    hq_server: Server, device: Device, analyst_token: str
) -> None:
    ids = []
    for score in (10, 7, 2):
        _url, token = link(hq_server, device)
        assert answer(hq_server, device, token, score=str(score)).status_code == 200
        ids.append(score)
    url = hq_server.url(f"/api/v1/stores/{device.store_id}/responses")
    first = requests.get(url, params={"limit": 2}, headers=device.auth, timeout=10).json()
    assert [r["score"] for r in first["responses"]] == [10, 7] and first["has_more"]
    assert all(
        r["channel"] == "qr" and r["device_id"] == device.device_id for r in first["responses"]
    )
    rest = requests.get(
        url, params={"after": first["cursor"]}, headers=device.auth, timeout=10
    ).json()
    assert [r["score"] for r in rest["responses"]] == [2] and not rest["has_more"]
    empty = requests.get(
        url, params={"after": rest["cursor"]}, headers=device.auth, timeout=10
    ).json()
    assert empty["responses"] == [] and empty["cursor"] == rest["cursor"]
    other = enroll(hq_server)
    assert requests.get(url, headers=other.auth, timeout=10).status_code == 403
    assert requests.get(url, timeout=10).status_code == 401
    analyst = {"Authorization": f"Bearer {analyst_token}"}
    assert requests.get(url, headers=analyst, timeout=10).status_code == 200


def test_hindi_page_and_bad_links(hq_server: Server, device: Device) -> None:
    url, token = link(hq_server, device)
    hindi = requests.get(url + "&lang=hi", timeout=10)
    assert "आप हमें किसी मित्र" in hindi.text and 'lang="hi"' in hindi.text
    expired, _ = link(hq_server, device, issued_at=datetime.now(UTC) - timedelta(minutes=16))
    r = requests.get(expired, timeout=10)
    assert r.status_code == 410 and "expired" in r.text
    forged, _ = link(hq_server, device, secret=b"z" * 32)
    assert requests.get(forged, timeout=10).status_code == 400
    other = enroll(hq_server)
    wrong_store = hq_server.url(f"/m/{other.store_id}?t={token}")
    assert requests.get(wrong_store, timeout=10).status_code == 400
    no_score = answer(hq_server, device, token, score="")
    assert no_score.status_code == 422 and "choose a score" in no_score.text
    hq_server.hq.revoke_device(device.device_id)
    assert requests.get(url, timeout=10).status_code == 400
    assert count_rows(hq_server, store_id=device.store_id) == 0


def test_poster_links_are_rate_limited_per_client(hq_server: Server) -> None:
    device = enroll(hq_server)
    _url, token = link(hq_server, device, kind="poster")
    codes = [answer(hq_server, device, token, score="9").status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # the test server allows 2 per client per hour
    assert count_rows(hq_server, store_id=device.store_id, channel="qr") == 2


def test_a_comment_is_stored_as_text(hq_server: Server, device: Device) -> None:
    _url, token = link(hq_server, device)
    evil = '<script>alert(1)</script> "quoted" & more'
    assert answer(hq_server, device, token, score="1", comment=evil).status_code == 200
    from sqlalchemy import select

    from hq.models import ResponseRow

    with hq_server.hq.db.reading() as s:
        stored = s.scalar(
            select(ResponseRow.comment).where(ResponseRow.store_id == device.store_id)
        )
    assert stored == evil
