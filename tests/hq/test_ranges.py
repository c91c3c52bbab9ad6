"""Numbers and times out of range at the API edge are a 422 that names the field, never a 500
(real HQ server, both databases). Each of these answered 500 before."""

from __future__ import annotations

import pytest
import requests
from hqkit import Device, Server, batch, post_batch, response, sign_in, statuses


def test_a_huge_backlog_count_is_a_422_naming_pending(hq_server: Server, device: Device) -> None:
    reply = post_batch(hq_server, device, batch(device, [response(device, 1)], pending=2**80))
    assert reply.status_code == 422, reply.text
    assert "pending" in reply.json()["detail"]


@pytest.mark.parametrize("sent_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_sent_at_outside_utc_is_a_422_naming_it(
    hq_server: Server, device: Device, sent_at: str
) -> None:
    reply = post_batch(hq_server, device, batch(device, [response(device, 1)], sent_at=sent_at))
    assert reply.status_code == 422, reply.text
    assert "sent_at" in reply.json()["detail"]


def test_a_device_time_outside_utc_rejects_that_response(hq_server: Server, device: Device) -> None:
    rows = [
        response(device, 1, device_time="9999-12-31T23:59:59-14:00"),
        response(device, 2, device_time="2150-01-01T00:00:00+00:00"),
        response(device, 3),
    ]
    reply = post_batch(hq_server, device, batch(device, rows))
    assert statuses(reply) == ["rejected", "rejected", "accepted"]
    reasons = [r["reason"] for r in reply.json()["results"][:2]]
    assert all("device_time" in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/responses?since=0001-01-01T00:00:00%2B14:00", "since"),
        ("/api/v1/responses?until=9999-12-31T23:59:59-14:00", "until"),
        ("/api/v1/nps?to=9999-12-31T23:59:59-14:00", "to"),
        ("/api/v1/nps?from=0001-01-01T00:00:00%2B14:00", "from"),
        ("/api/v1/nps?from=1970-01-01T00:00:00Z", "from"),
    ],
)
def test_query_times_out_of_range_are_a_422_naming_the_field(
    hq_server: Server, analyst_token: str, path: str, field: str
) -> None:
    reply = requests.get(
        hq_server.url(path), headers={"Authorization": f"Bearer {analyst_token}"}, timeout=10
    )
    assert reply.status_code == 422, reply.text
    locs = [e["loc"] for e in reply.json()["detail"]]
    assert ["query", field] in locs, reply.text
    assert "2000-01-01" in reply.text  # says which times are accepted


def test_query_times_in_range_still_work(hq_server: Server, analyst_token: str) -> None:
    reply = requests.get(
        hq_server.url("/api/v1/nps?from=2026-01-01T00:00:00%2B05:30&to=2027-01-01"),
        headers={"Authorization": f"Bearer {analyst_token}"},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text


def test_a_huge_rule_id_is_a_422(hq_server: Server) -> None:
    import secrets

    name = f"ranges-{secrets.token_hex(3)}"
    hq_server.hq.add_analyst(name, password="ranges pass 1")
    s = sign_in(hq_server.base, name, "ranges pass 1")
    reply = s.post(
        hq_server.url(f"/alerts/rules/{2**80}/disable"), allow_redirects=False, timeout=10
    )
    assert reply.status_code == 422, reply.text
    assert "rule_id" in reply.text
