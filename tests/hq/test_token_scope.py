"""API tokens with a scope, against a real HQ: a token made for a group reads only that group's
stores (403 for another store by name, nothing of it in a chain-wide read), contact details
only for a token the owner allowed them to, made on the Tokens page or with the CLI; a token
of the release before keeps reading every store without contact details."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests
from hqkit import Server, csrf_token, enroll, post_batch, response, sign_in
from hqkit import batch as make_batch

from hq import users
from hq.groups import add_group, set_group
from hq.roles import Role

PHONE = "+91 98765 43210"


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def two_stores(hq_server: Server) -> tuple[str, str, str]:
    """(group, a store in it, a store outside it), each with one detractor who left a phone."""
    group = _id("tg")
    add_group(hq_server.hq, group)
    stores = []
    for _ in range(2):
        device = enroll(hq_server)
        answer = response(
            device,
            1,
            score=2,
            contact_consent=True,
            contact_name="Asha",
            contact_detail=PHONE,
        )
        assert post_batch(hq_server, device, make_batch(device, [answer])).status_code == 200
        stores.append(device.store_id)
    set_group(hq_server.hq, store_id=stores[0], group_id=group)
    return group, stores[0], stores[1]


def _responses(server: Server, token: str, **params: str) -> requests.Response:
    return requests.get(
        server.url("/api/v1/responses"),
        params={"limit": "1000", **params},
        headers=_bearer(token),
        timeout=10,
    )


def test_a_group_token_reads_only_its_stores(
    hq_server: Server, two_stores: tuple[str, str, str]
) -> None:
    group, inside, outside = two_stores
    token = hq_server.hq.create_api_token("region BI", groups=[group])
    rows = _responses(hq_server, token).json()["responses"]
    assert {r["store_id"] for r in rows} == {inside}
    refused = _responses(hq_server, token, store=outside)
    assert refused.status_code == 403
    by_store = requests.get(
        hq_server.url("/api/v1/nps"),
        params={"group_by": "store"},
        headers=_bearer(token),
        timeout=10,
    ).json()
    assert {g["key"] for g in by_store["groups"]} == {inside}
    pull = hq_server.url("/api/v1/stores/{}/responses")
    assert requests.get(pull.format(inside), headers=_bearer(token), timeout=10).ok
    assert requests.get(pull.format(outside), headers=_bearer(token), timeout=10).status_code == 403
    # No contact details without the grant, even of its own stores.
    assert all(r.get("contact_detail") is None for r in rows)


def test_contact_details_only_with_the_grant(
    hq_server: Server, two_stores: tuple[str, str, str]
) -> None:
    _group, inside, _outside = two_stores
    plain = hq_server.hq.create_api_token("plain")
    allowed = hq_server.hq.create_api_token("call-centre", contact=True)
    seen = _responses(hq_server, plain, store=inside).json()["responses"]
    assert seen and all(r.get("contact_detail") is None for r in seen)
    granted = _responses(hq_server, allowed, store=inside).json()["responses"]
    assert PHONE in {r.get("contact_detail") for r in granted}


def test_the_tokens_page_and_the_cli_make_scoped_tokens(
    hq_server: Server, two_stores: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from hq.cli import main

    group, inside, outside = two_stores
    owner = _id("own")
    users.add_user(hq_server.hq, owner, password="token pass 1", role=Role.OWNER)
    browser = sign_in(hq_server.base, owner, "token pass 1")
    page = browser.get(hq_server.url("/tokens"), timeout=10)
    assert f'value="{group}"' in page.text and 'name="contact"' in page.text
    made = browser.post(
        hq_server.url("/tokens"),
        data={"csrf_token": csrf_token(page.text), "name": "franchise BI", "groups": group},
        timeout=10,
    )
    assert made.status_code == 200 and f"stores of {group}" in made.text
    token = made.text.split('<code id="new-token">')[1].split("</code>")[0]
    assert {r["store_id"] for r in _responses(hq_server, token).json()["responses"]} == {inside}

    where = ["--data-dir", str(hq_server.hq.config.data_dir)]
    if hq_server.backend == "postgresql":
        where += ["--db", hq_server.hq.db.url]
    assert main(["create-api-token", *where, "--name", "cc", "--contact"]) == 0
    cli_token = capsys.readouterr().out.strip().splitlines()[-1]
    granted = _responses(hq_server, cli_token, store=outside).json()["responses"]
    assert PHONE in {r.get("contact_detail") for r in granted}
    assert main(["create-api-token", *where, "--group", "no-such-group"]) == 2
    assert "no-such-group" in capsys.readouterr().err
    assert main(["tokens", "list", *where]) == 0
    listed = capsys.readouterr().out
    assert "\tcc\t" in listed and "contact\tall stores" in listed
    assert "\tfranchise BI\t" in listed and f"-\t{group}" in listed


def test_a_token_of_the_previous_release_keeps_its_access(tmp_path: Path) -> None:
    """A 0007 database's token: after the upgrade it reads every store, no contact details."""
    from alembic import command

    from hq.auth import api_token_principal
    from hq.db import _alembic_config, make_engine, sqlite_url
    from hq.security import token_hash
    from hq.service import Hq, HqConfig

    engine = make_engine(sqlite_url(tmp_path / "hq.db"))
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0007_corrected_time")
        conn.exec_driver_sql(
            "INSERT INTO api_tokens (name, token_hash, created_at) VALUES "
            f"('old BI', '{token_hash('na-old-token')}', '2026-11-01 00:00:00.000000')"
        )
        conn.commit()
    engine.dispose()
    hq = Hq.open(HqConfig(data_dir=tmp_path))  # upgrades to head
    try:
        caller = api_token_principal(hq, "na-old-token")
        assert caller is not None and caller.role is Role.ANALYST
        assert caller.store_ids is None and not caller.contact
        assert [(t.name, t.contact, t.groups) for t in hq.api_tokens()] == [("old BI", False, ())]
    finally:
        hq.close()
