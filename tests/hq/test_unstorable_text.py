"""Text no database can keep (NUL, lone surrogates) is refused with a reason, never a 500."""

from __future__ import annotations

import json

import requests
from hqkit import Device, Server, batch, count_rows, post_batch, response, statuses


def test_a_nul_in_a_comment_is_rejected_and_the_rest_stored(
    hq_server: Server, device: Device
) -> None:
    good = response(device, 1, score=3, comment="Queue too long")
    bad = response(device, 2, score=3, comment="Queue\x00too long")
    reply = post_batch(hq_server, device, batch(device, [good, bad]))
    assert reply.status_code == 200
    assert statuses(reply) == ["accepted", "rejected"]
    assert "NUL" in reply.json()["results"][1]["reason"]
    assert count_rows(hq_server, device_id=device.device_id) == 1


def test_a_lone_surrogate_is_malformed_json_not_a_crash(hq_server: Server, device: Device) -> None:
    bad = response(device, 1)
    bad["id"] = "\ud800"
    body = json.dumps(batch(device, [bad]), ensure_ascii=True)  # valid JSON: "\ud800"
    reply = requests.post(
        hq_server.url("/api/v1/batches"),
        data=body,
        timeout=30,
        headers={**device.auth, "Content-Type": "application/json"},
    )
    assert reply.status_code == 422, reply.text  # the JSON parser refuses "\ud800"
    assert "Not a protocol v1/v2 batch" in reply.json()["detail"]


def test_a_nul_in_the_address_gets_422(hq_server: Server, analyst_token: str) -> None:
    for path in ("/api/v1/responses?store=%00", "/api/v1/nps?store=a%00b", "/m/%00?t=x"):
        reply = requests.get(
            hq_server.url(path), timeout=30, headers={"Authorization": f"Bearer {analyst_token}"}
        )
        assert reply.status_code == 422, (path, reply.status_code, reply.text)
        assert "NUL" in reply.json()["detail"]
