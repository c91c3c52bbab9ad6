"""Who may call a route: one dependency per kind of caller, declared once per router.

Each router in ``hq.routers`` lists exactly one of :data:`ACCESS` in its ``dependencies``;
tests/hq/test_access.py fails for a route that declares none. A handler that needs the caller
asks for the same dependency again (FastAPI runs it once per request) and gets a
:class:`Principal`. Roles, server-side sessions and CSRF can replace these functions here
without touching the routers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from hq.errors import Forbidden, SignInRequired, Unauthorized
from hq.security import read_session
from hq.service import DeviceAuth, Hq

SESSION_COOKIE = "nps_hq_session"

PrincipalKind = Literal["analyst", "api_token", "device", "public"]


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a signed-in analyst, an API token, a device, or anyone."""

    kind: PrincipalKind
    name: str
    store_id: str | None = None  # a device's store

    @property
    def device(self) -> DeviceAuth:
        if self.kind != "device" or self.store_id is None:
            raise Forbidden("Only a device token can do this; use the kiosk's token.")
        return DeviceAuth(device_id=self.name, store_id=self.store_id)


def get_hq(request: Request) -> Hq:
    hq: Hq = request.app.state.hq
    return hq


HqDep = Annotated[Hq, Depends(get_hq)]

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A device token (from /api/v1/enroll) or an API token "
    "(nps-hq create-api-token), as 'Authorization: Bearer <token>'.",
)
session_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="The cookie an analyst gets by signing in at /login.",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
SessionDep = Annotated[str | None, Depends(session_scheme)]


def _token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return (credentials.credentials.strip() or None) if credentials else None


def _signed_in(hq: Hq, cookie: str | None) -> str | None:
    user = read_session(hq.server_key, cookie) if cookie else None
    return user if user and hq.analyst_exists(user) else None


def _is_device(hq: Hq, token: str) -> bool:
    try:
        hq.device_for_token(token)
    except (Unauthorized, Forbidden):
        return False
    return True


# The access kinds. Plain functions: FastAPI runs them in its thread pool (they read the DB).


def public() -> Principal:
    """Anyone: phone pages, enrollment (the one-time code is the credential), /login, /healthz."""
    return Principal(kind="public", name="")


def device(hq: HqDep, credentials: BearerDep) -> Principal:
    """A kiosk's device token."""
    auth = hq.device_for_token(_token(credentials))
    return Principal(kind="device", name=auth.device_id, store_id=auth.store_id)


def device_or_api_token(hq: HqDep, credentials: BearerDep) -> Principal:
    """A device token (its own store only, checked by the route) or an API token."""
    token = _token(credentials)
    if token and hq.api_token_ok(token):
        return Principal(kind="api_token", name="api-token")
    return device(hq, credentials)


def analyst(hq: HqDep, credentials: BearerDep, cookie: SessionDep) -> Principal:
    """An API token, or the session cookie of a signed-in analyst."""
    token = _token(credentials)
    if token:
        if hq.api_token_ok(token):
            return Principal(kind="api_token", name="api-token")
        if _is_device(hq, token):
            raise Forbidden(
                "A device token cannot read the analyst API; use a token from "
                "nps-hq create-api-token."
            )
        raise Unauthorized(
            "This API token is unknown or revoked; make one with nps-hq create-api-token."
        )
    user = _signed_in(hq, cookie)
    if user is None:
        raise Unauthorized("Sign in at / or send 'Authorization: Bearer <api token>'.")
    return Principal(kind="analyst", name=user)


def signed_in_page(hq: HqDep, cookie: SessionDep) -> Principal:
    """A signed-in analyst's browser; anyone else is sent to /login (303)."""
    user = _signed_in(hq, cookie)
    if user is None:
        raise SignInRequired("Sign in first.")
    return Principal(kind="analyst", name=user)


ACCESS: dict[Callable[..., Principal], str] = {
    public: "public",
    device: "device",
    device_or_api_token: "device or API token",
    analyst: "analyst (API token or session)",
    signed_in_page: "analyst page (session, else /login)",
}

DeviceDep = Annotated[Principal, Depends(device)]
StoreReaderDep = Annotated[Principal, Depends(device_or_api_token)]
AnalystDep = Annotated[Principal, Depends(analyst)]
PageUserDep = Annotated[Principal, Depends(signed_in_page)]
