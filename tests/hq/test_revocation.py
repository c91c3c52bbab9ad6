"""Revoking a device voids the enrollment codes it has not used: an old code printed before the
revocation cannot bring the device back (real HQ server, both databases)."""

from __future__ import annotations

import requests
from hqkit import Server, new_store


def _redeem(server: Server, code: str) -> requests.Response:
    return requests.post(server.url("/api/v1/enroll"), json={"code": code}, timeout=10)


def test_an_unused_code_made_before_revoking_does_not_revive_the_device(
    hq_server: Server,
) -> None:
    hq = hq_server.hq
    store = new_store(hq_server)
    first = hq.enroll_device(store_id=store)
    assert _redeem(hq_server, first.code).status_code == 200
    spare = hq.enroll_device(store_id=store, device_id=first.device_id)  # never used
    hq.revoke_device(first.device_id)

    r = _redeem(hq_server, spare.code)
    assert r.status_code == 401, r.text
    assert "nps-hq enroll-device" in r.json()["detail"]
    with hq.db.reading() as s:
        from hq.models import DeviceRow

        row = s.get(DeviceRow, first.device_id)
        assert row is not None and row.revoked_at is not None and row.token_hash is None

    # A code made after the revocation re-enrolls the device on purpose.
    fresh = hq.enroll_device(store_id=store, device_id=first.device_id)
    assert _redeem(hq_server, fresh.code).status_code == 200


def test_the_kiosk_says_how_to_get_a_new_code_once(hq_server: Server) -> None:
    from sync.client import HqClient
    from sync.errors import EnrollmentFailed

    code = hq_server.hq.enroll_device(store_id=new_store(hq_server))
    assert _redeem(hq_server, code.code).status_code == 200
    with requests.Session() as session:
        client = HqClient(hq_server.base, session=session)
        try:
            client.enroll(code.code)
        except EnrollmentFailed as exc:
            message = str(exc)
        else:
            raise AssertionError("a used code was accepted")
    assert message.count("nps-hq enroll-device") == 1, message
    assert message.count("Ask HQ for a new one") == 1, message
