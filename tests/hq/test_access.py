"""Who may call what: every route declares its access (hq.auth) and this table names it, so a
new route without a declaration fails here; protected routes refuse missing and wrong kinds of
credentials; the OpenAPI document shows security on exactly the routes that need it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fastapi.routing
import pytest
import requests
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hqkit import Device, Server, enroll
from starlette.routing import BaseRoute

DEVICE = "device"
STORE_READER = "device or API token"
ANALYST = "analyst (API token or session)"
PAGE = "analyst page (session, else /login)"
PUBLIC = "public"

WHO_MAY_CALL = {
    ("POST", "/api/v1/batches"): DEVICE,
    ("GET", "/api/v1/stores/{store}/responses"): STORE_READER,
    ("POST", "/api/v1/enroll"): PUBLIC,
    ("GET", "/api/v1/responses"): ANALYST,
    ("GET", "/api/v1/nps"): ANALYST,
    ("GET", "/api/v1/export"): ANALYST,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/m/{store}"): PUBLIC,
    ("POST", "/m/{store}"): PUBLIC,
    ("GET", "/"): PAGE,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/static/fonts/{name}"): PUBLIC,
    ("GET", "/static/{name}"): PUBLIC,
    ("GET", "/alerts"): PAGE,
    ("POST", "/alerts/rules"): PAGE,
    ("POST", "/alerts/rules/{rule_id}/disable"): PAGE,
    ("POST", "/alerts/webhooks"): PAGE,
    ("GET", "/deliveries"): PAGE,
}
FASTAPI_DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def test_every_route_declares_who_may_call_it(tmp_path: Path) -> None:
    from hq.app import create_app
    from hq.auth import ACCESS
    from hq.delivery import DeliveryConfig
    from hq.service import Hq, HqConfig

    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        app = create_app(hq, delivery=DeliveryConfig(enabled=False))
    finally:
        hq.close()
    declared: dict[tuple[str, str], str] = {}
    for path, methods, route in _routes(app):
        if not isinstance(route, APIRoute):
            assert path in FASTAPI_DOCS, route
            continue
        kinds = [ACCESS[d.dependency] for d in route.dependencies if d.dependency in ACCESS]
        assert len(kinds) == 1, (
            f"{path} declares {kinds or 'no access'}: give its router one of hq.auth.ACCESS"
        )
        for method in methods:
            declared[(method, path)] = kinds[0]
    assert declared == WHO_MAY_CALL


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
