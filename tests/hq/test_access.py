"""Who may call what: every route declares its access (hq.auth) and this table names it, so a
new route without a declaration fails here; every route is called by every kind of caller
(owner, admin, analyst, analyst with the contact grant, viewer, API token, device, nobody)
against a real server with real sign-ins, and the callers let through must be exactly the
table's; protected routes refuse missing and wrong kinds of credentials; the OpenAPI document
shows security on exactly the routes that need it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fastapi.routing
import pytest
import requests
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hqkit import Device, Server, batch, enroll, new_store, post_batch, response, sign_in, statuses
from starlette.routing import BaseRoute

OWNER, ADMIN, ANALYST, CONTACT, VIEWER = "owner", "admin", "analyst", "analyst+contact", "viewer"
API, DEVICE, NOBODY = "api token", "device", "anonymous"
CALLERS = (OWNER, ADMIN, ANALYST, CONTACT, VIEWER, API, DEVICE, NOBODY)
EVERYONE = frozenset(CALLERS)
SIGNED_IN = frozenset({OWNER, ADMIN, ANALYST, CONTACT, VIEWER})
READ_ALL = frozenset({OWNER, ADMIN, ANALYST, CONTACT})
MANAGERS = frozenset({OWNER, ADMIN})
ONLY_OWNER = frozenset({OWNER})

# route: (what its router declares (hq.auth.ACCESS), who gets past it). The same table is in
# ARCHITECTURE.md ("HQ's web layer").
WHO_MAY_CALL: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("POST", "/api/v1/batches"): ("device", frozenset({DEVICE})),
    ("GET", "/api/v1/stores/{store}/responses"): ("device or API token", frozenset({DEVICE, API})),
    ("GET", "/api/v1/profile"): ("device", frozenset({DEVICE})),
    ("POST", "/api/v1/enroll"): ("public", EVERYONE),
    ("GET", "/api/v1/responses"): ("api: READ_SCOPED", SIGNED_IN | {API}),
    ("GET", "/api/v1/nps"): ("api: READ_SCOPED", SIGNED_IN | {API}),
    ("GET", "/api/v1/export"): ("api: READ_SCOPED", SIGNED_IN | {API}),
    ("GET", "/api/v1/profiles/{store}"): ("api: READ_SCOPED", SIGNED_IN | {API}),
    ("GET", "/api/v1/surveys"): ("api: READ_SCOPED", SIGNED_IN | {API}),
    ("GET", "/api/v1/surveys/{survey_id}"): ("api: READ_SCOPED", SIGNED_IN | {API}),
    ("GET", "/api/v1/devices"): ("api: READ_SCOPED", SIGNED_IN | {API}),
    ("GET", "/healthz"): ("public", EVERYONE),
    ("GET", "/m/{store}"): ("public", EVERYONE),
    ("POST", "/m/{store}"): ("public", EVERYONE),
    ("GET", "/"): ("page: READ_SCOPED", SIGNED_IN),
    ("GET", "/account/password"): ("page: READ_SCOPED", SIGNED_IN),
    ("POST", "/account/password"): ("form: READ_SCOPED", SIGNED_IN),
    ("GET", "/login"): ("public", EVERYONE),
    ("POST", "/login"): ("public", EVERYONE),
    ("GET", "/lang"): ("public", EVERYONE),
    ("POST", "/logout"): ("form: READ_SCOPED", SIGNED_IN),
    ("GET", "/static/fonts/{name}"): ("public", EVERYONE),
    ("GET", "/static/{name}"): ("public", EVERYONE),
    ("GET", "/alerts"): ("page: READ_ALL", READ_ALL),
    ("GET", "/deliveries"): ("page: READ_ALL", READ_ALL),
    ("POST", "/alerts/rules"): ("form: MANAGE_ALERTS", MANAGERS),
    ("POST", "/alerts/rules/{rule_id}/disable"): ("form: MANAGE_ALERTS", MANAGERS),
    ("POST", "/alerts/webhooks"): ("form: MANAGE_ALERTS", MANAGERS),
    ("GET", "/users"): ("page: MANAGE_USERS", ONLY_OWNER),
    ("POST", "/users"): ("form: MANAGE_USERS", ONLY_OWNER),
    ("POST", "/users/{name}/role"): ("form: MANAGE_USERS", ONLY_OWNER),
    ("POST", "/users/{name}/password"): ("form: MANAGE_USERS", ONLY_OWNER),
    ("POST", "/users/{name}/remove"): ("form: MANAGE_USERS", ONLY_OWNER),
    ("GET", "/tokens"): ("page: MANAGE_USERS", ONLY_OWNER),
    ("POST", "/tokens"): ("form: MANAGE_USERS", ONLY_OWNER),
    ("POST", "/tokens/{token_id}/revoke"): ("form: MANAGE_USERS", ONLY_OWNER),
    ("GET", "/audit"): ("page: READ_AUDIT", MANAGERS),
    ("GET", "/audit.csv"): ("page: READ_AUDIT", MANAGERS),
    ("GET", "/stores"): ("page: READ_SCOPED", SIGNED_IN),
    ("GET", "/stores/{store}"): ("page: READ_SCOPED", SIGNED_IN),
    ("POST", "/stores/{store}"): ("form: MANAGE_FLEET", MANAGERS),
    ("GET", "/groups/{group}"): ("page: READ_ALL", READ_ALL),
    ("POST", "/groups/{group}"): ("form: MANAGE_FLEET", MANAGERS),
    ("GET", "/chain"): ("page: READ_ALL", READ_ALL),
    ("POST", "/chain"): ("form: MANAGE_FLEET", MANAGERS),
    ("GET", "/surveys"): ("page: READ_ALL", READ_ALL),
    ("GET", "/surveys/{form}/preview"): ("page: READ_ALL", READ_ALL),
    ("GET", "/surveys/{form}/kiosk"): ("page: READ_ALL", READ_ALL),
    ("GET", "/devices"): ("page: READ_SCOPED", SIGNED_IN),
    ("POST", "/surveys/draft"): ("form: MANAGE_FLEET", MANAGERS),
    ("POST", "/surveys/{form}/publish"): ("form: MANAGE_FLEET", MANAGERS),
    ("GET", "/api/v1/erasures"): ("device", frozenset({DEVICE})),
    ("GET", "/api/v1/cases"): ("device", frozenset({DEVICE})),
    ("GET", "/cases"): ("page: READ_SCOPED", SIGNED_IN),
    ("GET", "/cases.csv"): ("page: READ_SCOPED", SIGNED_IN),
    ("POST", "/cases/{response_id}"): ("form: MANAGE_CASES", MANAGERS | {VIEWER}),
    ("GET", "/privacy"): ("page: MANAGE_PRIVACY", MANAGERS),
    ("GET", "/privacy/export"): ("page: MANAGE_PRIVACY", MANAGERS),
    ("POST", "/privacy/erase"): ("form: MANAGE_PRIVACY", MANAGERS),
    ("GET", "/api/v1/privacy/person"): ("api: MANAGE_PRIVACY", MANAGERS),
    ("GET", "/api/v1/privacy/export"): ("api: MANAGE_PRIVACY", MANAGERS),
    ("POST", "/api/v1/privacy/erasures"): ("form: MANAGE_PRIVACY", MANAGERS),
}
FASTAPI_DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
PASSWORD = "access pass 1"


def _app(tmp_path: Path) -> FastAPI:
    from hq.app import create_app
    from hq.delivery import DeliveryConfig
    from hq.service import Hq, HqConfig

    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        return create_app(hq, delivery=DeliveryConfig(enabled=False))
    finally:
        hq.close()


def test_every_route_declares_who_may_call_it(tmp_path: Path) -> None:
    from hq.auth import ACCESS

    declared: dict[tuple[str, str], str] = {}
    for path, methods, route in _routes(_app(tmp_path)):
        if not isinstance(route, APIRoute):
            assert path in FASTAPI_DOCS, route
            continue
        kinds = [str(ACCESS[d.dependency]) for d in route.dependencies if d.dependency in ACCESS]
        assert len(kinds) == 1, (
            f"{path} declares {kinds or 'no access'}: give its router one of hq.auth.ACCESS"
        )
        for method in methods:
            declared[(method, str(path))] = kinds[0]
    assert declared == {route: access for route, (access, _who) in WHO_MAY_CALL.items()}


@dataclass
class Cast:
    """One of each kind of caller, signed in for real against the server."""

    server: Server
    device: Device
    other_store: str
    sessions: dict[str, requests.Session] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    probe_user: str = ""

    def session(self, caller: str) -> requests.Session:
        if caller not in self.sessions:
            s = requests.Session()
            if caller in SIGNED_IN:
                s = sign_in(self.server.base, self.users[caller], PASSWORD)
            elif caller == API:
                token = self.server.hq.create_api_token(f"access-{uuid.uuid4().hex[:6]}")
                s.headers["Authorization"] = f"Bearer {token}"
            elif caller == DEVICE:
                s.headers.update(self.device.auth)
            self.sessions[caller] = s
        return self.sessions[caller]


def _cast(server: Server) -> Cast:
    from hq import users
    from hq.groups import add_group, set_group
    from hq.roles import Role

    device = enroll(server)
    group = f"g-{uuid.uuid4().hex[:6]}"
    add_group(server.hq, group)
    set_group(server.hq, store_id=device.store_id, group_id=group)
    cast = Cast(server=server, device=device, other_store=new_store(server))
    roles = {
        OWNER: (Role.OWNER, False),
        ADMIN: (Role.ADMIN, False),
        ANALYST: (Role.ANALYST, False),
        CONTACT: (Role.ANALYST, True),
        VIEWER: (Role.VIEWER, False),
    }
    for caller, (role, contact) in roles.items():
        name = f"{role.value}-{uuid.uuid4().hex[:6]}"
        groups = [group] if role is Role.VIEWER else []
        users.add_user(
            server.hq, name, password=PASSWORD, role=role, contact=contact, groups=groups
        )
        cast.users[caller] = name
    cast.probe_user = f"probe-{uuid.uuid4().hex[:6]}"
    users.add_user(server.hq, cast.probe_user, password=PASSWORD, role=Role.VIEWER, groups=[group])
    return cast


def _call(cast: Cast, caller: str, method: str, path: str) -> requests.Response:
    values = {
        "store": cast.device.store_id,
        "name": "nobody-here",
        "rule_id": "999999",
        "token_id": "999999",
        "survey_id": "1",
        "group": "nobody-here",
        "form": "nobody-here",
        "response_id": "nobody-here",
    }
    if path == "/static/fonts/{name}":
        values["name"] = "NotoSans-Regular.ttf"
    elif path == "/static/{name}":
        values["name"] = "hq.js"
    url = cast.server.url(re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path))
    kwargs: dict[str, object] = {"timeout": 30, "allow_redirects": False}
    if path == "/api/v1/enroll":
        kwargs["json"] = {"code": cast.server.hq.enroll_device(store_id=cast.other_store).code}
    elif path == "/api/v1/batches":
        kwargs["json"] = {}
    elif path == "/login" and method == "POST":
        kwargs["data"] = {"username": cast.probe_user, "password": PASSWORD}
    elif path == "/account/password":
        kwargs["data"] = {"current": "x", "new": "one new pass", "repeat": "another one"}
    elif method == "POST":
        kwargs["data"] = {"unrelated": "1"}
    s = cast.session(caller)
    # Not through the session: a cookie set by the answer (POST /login) must not change who
    # the caller is for the next routes.
    return requests.request(
        method,
        url,
        headers=dict(s.headers),
        cookies=s.cookies.copy(),
        **kwargs,  # type: ignore[arg-type]
    )


def _let_in(cast: Cast, caller: str, method: str, path: str, r: requests.Response) -> bool:
    """Whether the route let ``caller`` past its access check."""
    assert r.status_code < 500, (caller, method, path, r.text)
    if r.status_code in (401, 403):
        return False
    if r.status_code == 303 and r.headers["location"] == "/login":
        if path != "/logout" or caller not in SIGNED_IN:
            return False
        home = cast.session(caller).get(cast.server.url("/"), allow_redirects=False, timeout=10)
        return home.status_code == 303  # signed out: logout did its work
    return True


def test_every_route_with_every_caller(hq_server: Server) -> None:
    cast = _cast(hq_server)
    routes = sorted(WHO_MAY_CALL, key=lambda r: r == ("POST", "/logout"))  # logout last
    got: dict[tuple[str, str], frozenset[str]] = {}
    for method, path in routes:
        let_in = set()
        for caller in CALLERS:
            r = _call(cast, caller, method, path)
            if _let_in(cast, caller, method, path, r):
                let_in.add(caller)
        got[(method, path)] = frozenset(let_in)
    wrong = {
        route: {"expected": sorted(who), "got": sorted(got[route])}
        for route, (_access, who) in WHO_MAY_CALL.items()
        if got[route] != who
    }
    assert not wrong, wrong


def test_every_form_carries_the_csrf_token(hq_server: Server) -> None:
    cast = _cast(hq_server)
    owner = cast.session(OWNER)
    for path in (
        "/",
        "/alerts",
        "/deliveries",
        "/users",
        "/tokens",
        "/audit",
        "/account/password",
        "/cases",
        "/privacy?phone=%2B91+90000+12345",
    ):
        page = owner.get(hq_server.url(path), timeout=10)
        assert page.status_code == 200, path
        token = owner.headers["X-CSRF-Token"]
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", page.text, re.S)
        assert forms, path
        for body in forms:
            assert f'name="csrf_token" value="{token}"' in body, (path, body[:200])


def test_contact_details_and_a_viewers_stores(hq_server: Server) -> None:
    """Only the owner and an analyst with the contact grant get contact details; a viewer gets
    the stores of their groups only, and 403 for another store by name."""
    cast = _cast(hq_server)
    device = cast.device
    other = enroll(hq_server, cast.other_store)
    row = response(
        device, 1, score=2, contact_consent=True, contact_name="Asha", contact_detail="98100"
    )
    statuses(post_batch(hq_server, device, batch(device, [row])))
    statuses(post_batch(hq_server, other, batch(other, [response(other, 1, score=10)])))
    for caller in (OWNER, ADMIN, ANALYST, CONTACT, VIEWER, API):
        s = cast.session(caller)
        page = s.get(
            hq_server.url("/api/v1/responses"), params={"store": device.store_id}, timeout=10
        ).json()["responses"]
        csv = s.get(hq_server.url("/api/v1/export"), timeout=30).text
        sees = caller in (OWNER, CONTACT)
        assert ("contact_name" in page[0]) is sees, caller
        assert ("contact_detail" in csv.splitlines()[0]) is sees, caller
        assert ("98100" in csv) is sees, caller
    viewer = cast.session(VIEWER)
    mine = viewer.get(hq_server.url("/api/v1/responses"), timeout=10).json()["responses"]
    assert {r["store_id"] for r in mine} == {device.store_id}
    refused = viewer.get(
        hq_server.url("/api/v1/nps"), params={"store": cast.other_store}, timeout=10
    )
    assert refused.status_code == 403 and "not in your groups" in refused.json()["detail"]
    export = viewer.get(hq_server.url("/api/v1/export"), params={"format": "jsonl"}, timeout=30)
    assert cast.other_store not in export.text
    board = viewer.get(hq_server.url("/"), timeout=10).text
    assert device.store_id in board and cast.other_store not in board
    assert 'id="scope"' in board and 'href="/alerts"' not in board
    admin_board = cast.session(ADMIN).get(hq_server.url("/"), timeout=10).text
    assert cast.other_store in admin_board and 'href="/users"' not in admin_board
    assert 'href="/audit"' in admin_board


def _routes(app: FastAPI) -> Iterator[tuple[str | None, set[str], BaseRoute]]:
    """Every route of the app with its full path, also inside included routers (FastAPI
    >= 0.16x keeps those as one entry of app.routes)."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:
        for route in app.routes:
            yield getattr(route, "path", None), set(getattr(route, "methods", None) or ()), route
        return
    for ctx in contexts(app.routes):
        yield ctx.path, set(ctx.methods or ()), ctx.original_route


def _api_token(hq_server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {hq_server.hq.create_api_token('access-test')}"}


def test_device_routes_refuse_no_token_and_an_analyst_token(
    hq_server: Server, device: Device
) -> None:
    url = hq_server.url("/api/v1/batches")
    none = requests.post(url, json={}, timeout=10)
    assert none.status_code == 401 and none.headers["www-authenticate"] == "Bearer"
    assert "Bearer <token>" in none.json()["detail"]
    wrong = requests.post(url, json={}, headers=_api_token(hq_server), timeout=10)
    assert wrong.status_code == 403 and "device token" in wrong.json()["detail"]
    forged = requests.post(url, json={}, headers={"Authorization": "Bearer nd_nope"}, timeout=10)
    assert forged.status_code == 401


def test_a_device_reads_only_its_own_stores_phone_answers(hq_server: Server) -> None:
    mine, other = enroll(hq_server), enroll(hq_server)
    path = f"/api/v1/stores/{other.store_id}/responses"
    assert requests.get(hq_server.url(path), timeout=10).status_code == 401
    foreign = requests.get(hq_server.url(path), headers=mine.auth, timeout=10)
    assert foreign.status_code == 403 and other.store_id in foreign.json()["detail"]
    assert requests.get(hq_server.url(path), headers=other.auth, timeout=10).status_code == 200
    api = requests.get(hq_server.url(path), headers=_api_token(hq_server), timeout=10)
    assert api.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/responses", "/api/v1/nps", "/api/v1/export"])
def test_analyst_api_refuses_no_credentials_and_a_device_token(
    hq_server: Server, device: Device, path: str
) -> None:
    none = requests.get(hq_server.url(path), timeout=10)
    assert none.status_code == 401 and "Sign in" in none.json()["detail"]
    as_device = requests.get(hq_server.url(path), headers=device.auth, timeout=10)
    assert as_device.status_code == 403 and "create-api-token" in as_device.json()["detail"]
    forged_cookie = requests.get(
        hq_server.url(path), cookies={"nps_hq_session": "bW9sbHkAOTk5OTk5OTk5OQ.c2ln"}, timeout=10
    )
    assert forged_cookie.status_code == 401
    ok = requests.get(hq_server.url(path), headers=_api_token(hq_server), timeout=10)
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/alerts"),
        ("GET", "/deliveries"),
        ("POST", "/alerts/rules"),
        ("POST", "/alerts/rules/1/disable"),
        ("POST", "/alerts/webhooks"),
        ("GET", "/users"),
        ("POST", "/users/someone/remove"),
        ("GET", "/tokens"),
        ("POST", "/tokens/1/revoke"),
        ("GET", "/audit"),
        ("GET", "/account/password"),
        ("POST", "/account/password"),
        ("POST", "/logout"),
    ],
)
def test_pages_send_a_browser_without_a_session_to_sign_in(
    hq_server: Server, method: str, path: str
) -> None:
    for headers in ({}, _api_token(hq_server)):  # an API token is not a signed-in browser
        r = requests.request(
            method, hq_server.url(path), headers=headers, timeout=10, allow_redirects=False
        )
        assert r.status_code == 303 and r.headers["location"] == "/login", (headers, r.text)


def test_public_routes_need_nothing(hq_server: Server) -> None:
    assert requests.get(hq_server.url("/healthz"), timeout=10).json()["ok"] is True
    assert requests.get(hq_server.url("/login"), timeout=10).status_code == 200
    bad_code = requests.post(hq_server.url("/api/v1/enroll"), json={"code": "NOPE"}, timeout=10)
    assert bad_code.status_code == 401 and "www-authenticate" not in bad_code.headers
    script = requests.get(hq_server.url("/static/hq.js"), timeout=10)
    assert script.status_code == 200 and "sortable" in script.text
    assert requests.get(hq_server.url("/static/secret.py"), timeout=10).status_code == 404


def test_openapi_shows_security_per_route(hq_server: Server) -> None:
    spec = requests.get(hq_server.url("/openapi.json"), timeout=10).json()
    paths = spec["paths"]
    assert "security" not in spec  # not the whole app: enroll and healthz are open
    assert paths["/api/v1/batches"]["post"]["security"] == [{"bearer": []}]
    assert paths["/api/v1/stores/{store}/responses"]["get"]["security"] == [{"bearer": []}]
    for path in ("/api/v1/responses", "/api/v1/nps", "/api/v1/export"):
        assert paths[path]["get"]["security"] == [{"bearer": []}, {"session": []}], path
    assert "security" not in paths["/api/v1/enroll"]["post"]
    assert "security" not in paths["/healthz"]["get"]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearer"]["description"],
    }
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == "nps_hq_session"
