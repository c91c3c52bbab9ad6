"""The Cases page at a real HQ (SQLite and PostgreSQL), as its users meet it: an owner sees
every store's cases with contact details, the one open over 48 hours marked in words; an
analyst without the contact grant sees no contact details (page and CSV) and may not change a
case; a regional manager (a viewer of their region) sees and changes only their stores' cases
(403 for another store), and the change reaches the store's kiosk at its next pull; filters
and the CSV agree; a note is shown as text, never markup; a form without the CSRF token is
refused."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from hqkit import Device, Server, batch, enroll, post_batch, response, sign_in, statuses

from hq import users
from hq.groups import add_group, set_group
from hq.profiles import set_settings
from hq.roles import Role

PASSWORD = "cases pass 1"


@dataclass
class World:
    north: Device  # store in the region "north"
    south: Device
    old: dict[str, Any]  # answered 3 days ago at north: overdue
    new: dict[str, Any]  # answered now at north
    theirs: dict[str, Any]  # at south
    owner: requests.Session
    analyst: requests.Session
    manager: requests.Session  # a viewer of the north region
    manager_name: str


def _user(server: Server, role: Role, *, groups: list[str] | None = None) -> tuple[Any, str]:
    name = f"{role.value}-{uuid.uuid4().hex[:6]}"
    users.add_user(server.hq, name, password=PASSWORD, role=role, groups=groups or [])
    return sign_in(server.base, name, PASSWORD), name


@pytest.fixture
def world(hq_server: Server) -> World:
    north, south = enroll(hq_server), enroll(hq_server)
    region_n, region_s = f"n-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}"
    add_group(hq_server.hq, region_n)
    add_group(hq_server.hq, region_s)
    set_group(hq_server.hq, store_id=north.store_id, group_id=region_n)
    set_group(hq_server.hq, store_id=south.store_id, group_id=region_s)
    set_settings(hq_server.hq, "store", north.store_id, {"time_zone": "Asia/Kolkata"}, actor="t")
    now = datetime.now(UTC)
    old = response(
        north,
        1,
        score=1,
        reasons=["wait_time"],
        comment="Waited 40 minutes",
        contact_consent=True,
        contact_name="Asha Verma",
        contact_detail="+91 98100 11111",
        device_time=(now - timedelta(days=3)).isoformat(),
    )
    new = response(
        north,
        2,
        score=3,
        contact_consent=True,
        contact_name="Kabir",
        contact_detail="kabir@example.com",
        device_time=(now - timedelta(hours=1)).isoformat(),
    )
    not_a_case = response(north, 3, score=2, comment="no consent")
    theirs = response(
        south,
        1,
        score=0,
        contact_consent=True,
        contact_name="Noor",
        contact_detail="+91 98100 22222",
        device_time=(now - timedelta(hours=2)).isoformat(),
    )
    assert (
        statuses(post_batch(hq_server, north, batch(north, [old, new, not_a_case])))
        == ["accepted"] * 3
    )
    assert statuses(post_batch(hq_server, south, batch(south, [theirs]))) == ["accepted"]
    owner, _ = _user(hq_server, Role.OWNER)
    analyst, _ = _user(hq_server, Role.ANALYST)
    manager, manager_name = _user(hq_server, Role.VIEWER, groups=[region_n])
    return World(north, south, old, new, theirs, owner, analyst, manager, manager_name)


def _rows(page: str) -> list[str]:
    """The response ids of the table's rows, in order."""
    import re

    return re.findall(r'<tr id="case-([0-9a-f-]{36})"', page)


def _row_html(page: str, rid: str) -> str:
    start = page.index(f'<tr id="case-{rid}"')
    return page[start : page.index("</tr>", start)]


def _csv(session: requests.Session, server: Server, **params: str) -> list[dict[str, str]]:
    r = session.get(server.url("/cases.csv"), params=params, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def test_owner_sees_every_case_with_contact_and_overdue_marked(
    hq_server: Server, world: World
) -> None:
    page = world.owner.get(hq_server.url("/cases"), timeout=30)
    assert page.status_code == 200
    ids = _rows(page.text)
    assert world.old["id"] in ids and world.new["id"] in ids and world.theirs["id"] in ids
    assert ids.index(world.new["id"]) < ids.index(world.old["id"])  # newest answer first
    old = _row_html(page.text, world.old["id"])
    assert 'class="overdue"' in old and "open over 48 hours" in old  # words, not colour alone
    assert "Asha Verma" in old and "+91 98100 11111" in old and "Waited 40 minutes" in old
    assert " IST" in old and "3 d" in old  # answered in the store's zone; its age
    assert "Wait time" in old and "wait_time" not in old and ">1<" in old  # the label, not the key
    assert "open over 48 hours" not in _row_html(page.text, world.new["id"])
    assert 'href="/cases"' in page.text  # the navigation link
    # Only overdue ones; only one store; a state.
    overdue = world.owner.get(
        hq_server.url("/cases"), params={"overdue": "1", "store": world.north.store_id}, timeout=30
    ).text
    assert _rows(overdue) == [world.old["id"]]
    lines = _csv(world.owner, hq_server, store=world.north.store_id)
    assert {r["response_id"] for r in lines} == {world.old["id"], world.new["id"]}
    first = next(r for r in lines if r["response_id"] == world.old["id"])
    # A leading + would start a formula in a spreadsheet (core.text.spreadsheet_safe).
    assert first["contact_detail"] == "'+91 98100 11111" and first["overdue"] == "yes"
    assert first["state"] == "open" and first["answered_local"].endswith("IST")


def test_analyst_sees_no_contact_and_may_not_change(hq_server: Server, world: World) -> None:
    page = world.analyst.get(hq_server.url("/cases"), timeout=30).text
    assert world.old["id"] in _rows(page)
    assert "+91 98100 11111" not in page and "Asha Verma" not in page
    assert "Waited 40 minutes" in page  # the comment is not a contact detail
    assert f'action="/cases/{world.old["id"]}"' not in page  # no form to change it
    lines = _csv(world.analyst, hq_server, store=world.north.store_id)
    assert lines and "contact_detail" not in lines[0] and "contact_name" not in lines[0]
    refused = world.analyst.post(
        hq_server.url(f"/cases/{world.old['id']}"),
        data={"state": "resolved", "note": "x"},
        timeout=30,
        allow_redirects=False,
    )
    assert refused.status_code == 403


def test_regional_manager_changes_own_stores_only_and_the_kiosk_pulls_it(
    hq_server: Server, world: World
) -> None:
    mine = world.manager.get(hq_server.url("/cases"), timeout=30).text
    assert set(_rows(mine)) >= {world.old["id"], world.new["id"]}
    assert world.theirs["id"] not in _rows(mine) and world.south.store_id not in mine
    assert "+91 98100 11111" not in mine  # a viewer has no contact grant
    other = world.manager.get(
        hq_server.url("/cases"), params={"store": world.south.store_id}, timeout=30
    )
    assert other.status_code == 403
    other_csv = world.manager.get(
        hq_server.url("/cases.csv"), params={"store": world.south.store_id}, timeout=30
    )
    assert other_csv.status_code == 403
    refused = world.manager.post(
        hq_server.url(f"/cases/{world.theirs['id']}"),
        data={"state": "resolved", "note": "not mine"},
        timeout=30,
        allow_redirects=False,
    )
    assert refused.status_code == 403
    cursor = requests.get(
        hq_server.url("/api/v1/cases"), headers=world.north.auth, timeout=10
    ).json()["cursor"]
    note = '<script>alert("x")</script> called, "refund" & voucher'
    done = world.manager.post(
        hq_server.url(f"/cases/{world.old['id']}"),
        data={"state": "resolved", "note": note, "back": "overdue=1&evil=https://x"},
        timeout=30,
        allow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/cases?overdue=1#case-{world.old['id']}"
    page = world.manager.get(hq_server.url("/cases"), timeout=30).text
    row = _row_html(page, world.old["id"])
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in row
    assert "resolved" in row and world.manager_name in row
    assert "open over 48 hours" not in row  # resolved: no longer overdue
    resolved = world.manager.get(hq_server.url("/cases"), params={"state": "resolved"}, timeout=30)
    assert world.old["id"] in _rows(resolved.text)
    assert world.new["id"] not in _rows(resolved.text)
    lines = _csv(world.manager, hq_server, state="resolved")
    got = next(r for r in lines if r["response_id"] == world.old["id"])
    assert got["note"] == note and got["changed_by"] == world.manager_name
    # The store's kiosk gets the change at its next sync.
    pulled = requests.get(
        hq_server.url("/api/v1/cases"),
        params={"after": cursor},
        headers=world.north.auth,
        timeout=10,
    ).json()["cases"]
    assert [(c["response_id"], c["state"], c["changed_by"]) for c in pulled] == [
        (world.old["id"], "resolved", world.manager_name)
    ]
    # Without the session's CSRF token: refused, nothing changed.
    bare = requests.post(
        hq_server.url(f"/cases/{world.new['id']}"),
        data={"state": "resolved"},
        cookies=world.manager.cookies,
        timeout=10,
        allow_redirects=False,
    )
    assert bare.status_code == 403
    assert (
        "resolved"
        not in _row_html(world.owner.get(hq_server.url("/cases"), timeout=30).text, world.new["id"])
        .split('class="state"')[1]
        .split("<details>")[0]
    )
    bad = world.owner.post(
        hq_server.url(f"/cases/{world.new['id']}"),
        data={"state": "closed"},
        timeout=30,
        allow_redirects=False,
    )
    assert bad.status_code == 422 and "A case is open, contacted, resolved" in bad.text


def test_viewer_of_another_group_sees_nothing_of_it(hq_server: Server, world: World) -> None:
    group = f"x-{uuid.uuid4().hex[:6]}"
    add_group(hq_server.hq, group)
    stranger, _ = _user(hq_server, Role.VIEWER, groups=[group])
    page = stranger.get(hq_server.url("/cases"), timeout=30).text
    assert _rows(page) == [] and "No follow-up cases match." in page
    assert _csv(stranger, hq_server) == []
    assert (
        stranger.get(
            hq_server.url("/cases"), params={"store": world.north.store_id}, timeout=30
        ).status_code
        == 403
    )
