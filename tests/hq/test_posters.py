"""Poster codes at HQ: a maximum age whatever the token's own ttl, and per-store revocation
(nps-hq revoke-posters) after which older posters say they were replaced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from hqkit import Device, Server, enroll

from core.mobile_token import make_token
from hq.cli import main as hq_cli


def _poster(device: Device, *, issued: datetime, ttl: int | None = None) -> str:
    return make_token(
        secret=device.secret,
        store_id=device.store_id,
        device_id=device.device_id,
        issued_at=issued,
        kind="poster",
        ttl=ttl,
    )


def _open(server: Server, device: Device, token: str) -> requests.Response:
    return requests.get(server.url(f"/m/{device.store_id}"), params={"t": token}, timeout=10)


def test_a_five_year_old_poster_is_refused_whatever_its_ttl(hq_server: Server) -> None:
    device = enroll(hq_server)
    now = datetime.now(UTC)
    old = _poster(device, issued=now - timedelta(days=5 * 365), ttl=10 * 365 * 24 * 3600)
    page = _open(hq_server, device, old)
    assert page.status_code == 410 and "too old" in page.text
    recent = _poster(device, issued=now - timedelta(days=399), ttl=10 * 365 * 24 * 3600)
    assert _open(hq_server, device, recent).status_code == 200


def test_revoke_posters_replaces_the_old_ones(
    hq_server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    device = enroll(hq_server)
    other = enroll(hq_server)  # another store keeps its posters
    printed = datetime.now(UTC) - timedelta(days=30)
    old, elsewhere = _poster(device, issued=printed), _poster(other, issued=printed)
    assert _open(hq_server, device, old).status_code == 200
    db = ["--db", hq_server.hq.db.url] if hq_server.backend == "postgresql" else []
    args = ["revoke-posters", "--store", device.store_id, "--data-dir"]
    assert hq_cli([*args, str(hq_server.hq.config.data_dir), *db]) == 0
    assert "Print new posters" in capsys.readouterr().out
    page = _open(hq_server, device, old)
    assert page.status_code == 410 and "replaced by a new poster" in page.text
    answered = requests.post(
        hq_server.url(f"/m/{device.store_id}"),
        data={"t": old, "lang": "en", "score": "9"},
        timeout=10,
    )
    assert answered.status_code == 410  # not stored
    new = _poster(device, issued=datetime.now(UTC) + timedelta(seconds=1))
    assert _open(hq_server, device, new).status_code == 200
    assert _open(hq_server, other, elsewhere).status_code == 200
