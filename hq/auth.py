"""Who may call a route: one dependency per kind of caller and action, declared once per router.

Each router in ``hq.routers`` lists exactly one of :data:`ACCESS` in its ``dependencies``;
tests/hq/test_access.py fails for a route that declares none, and walks every route with every
kind of caller (owner, admin, analyst, analyst with the contact grant, viewer, API token,
device, nobody) against its own copy of the table. A handler that needs the caller asks for the
same dependency again (FastAPI runs it once per request) and gets a :class:`Principal`.

The kinds of caller:

- a signed-in user: the server-side session of the ``nps_hq_session`` cookie (hq.sessions),
  with the user's role, contact grant and store scope (a viewer's groups);
- an API token (``Authorization: Bearer na_...``): treated as an ``analyst`` without the
  contact grant. The token table keeps no role; an owner who needs contact details in a script
  uses a signed-in session, and a viewer-like script is not offered;
- a device token (a kiosk), and anyone (``public``).

Pages (``page``) send a browser without a session to /login; forms (``form``, every POST made
with a session) also check the session's CSRF token and the Origin (hq.csrf); the analyst API
(``api``) takes an API token or a session and answers 401 without either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from hq import sessions
from hq.csrf import check_csrf
from hq.errors import Forbidden, SignInRequired, Unauthorized
from hq.roles import Action, Role, check, may
from hq.service import DeviceAuth, Hq

SESSION_COOKIE = sessions.COOKIE

PrincipalKind = Literal["user", "api_token", "device", "public"]


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a signed-in user, an API token, a device, or anyone.

    ``role`` and ``contact`` are what hq.roles checks; ``store_ids`` is the stores the caller
    may read (None: every store); ``csrf_token`` is the session's, for the forms of a page."""

    kind: PrincipalKind
    name: str
    store_id: str | None = None  # a device's store
    role: Role = Role.VIEWER
    contact: bool = False
    store_ids: frozenset[str] | None = None
    csrf_token: str = ""

    @property
    def device(self) -> DeviceAuth:
        if self.kind != "device" or self.store_id is None:
            raise Forbidden("Only a device token can do this; use the kiosk's token.")
        return DeviceAuth(device_id=self.name, store_id=self.store_id)

    def may(self, action: Action) -> bool:
        return self.kind in ("user", "api_token") and may(self, action)

    def sees_store(self, store_id: str) -> bool:
        return self.store_ids is None or store_id in self.store_ids


def api_token_principal(hq: Hq, token: str | None) -> Principal | None:
    """The caller an API token is, or None when it is unknown or revoked: an analyst reading
    every store, or, for a token made for groups, a viewer of their stores; contact details
    only when the owner granted them to the token."""
    scope = hq.api_token_scope(token)
    if scope is None:
        return None
    return Principal(
        kind="api_token",
        name=f"api-token:{scope.name}",
        role=Role.VIEWER if scope.groups else Role.ANALYST,
        contact=scope.contact,
        store_ids=scope.store_ids,
    )


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
    description="The cookie a user gets by signing in at /login.",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
SessionCookieDep = Annotated[str | None, Depends(session_scheme)]


def _token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return (credentials.credentials.strip() or None) if credentials else None


def _is_device(hq: Hq, token: str) -> bool:
    try:
        hq.device_for_token(token)
    except (Unauthorized, Forbidden):
        return False
    return True


def session_user(hq: HqDep, cookie: SessionCookieDep) -> Principal | None:
    """The signed-in user of this request's session cookie, or None. A plain function:
    FastAPI runs it in its thread pool, once per request however many ask."""
    login = sessions.read_session(hq, cookie)
    if login is None:
        return None
    return Principal(
        kind="user",
        name=login.username,
        role=login.role,
        contact=login.contact,
        store_ids=login.store_ids,
        csrf_token=login.csrf_token,
    )


SessionUserDep = Annotated[Principal | None, Depends(session_user)]


@dataclass(frozen=True)
class Access:
    """What a router's dependency lets in: a kind of caller and, for users and API tokens, the
    action (hq.roles) their role must allow."""

    kind: Literal["public", "device", "device or API token", "api", "page", "form"]
    action: Action | None = None

    def __str__(self) -> str:
        return self.kind + (f": {self.action.name}" if self.action else "")


ACCESS: dict[Callable[..., object], Access] = {}


def _declare(access: Access) -> Callable[[Callable[..., object]], Callable[..., object]]:
    def register(fn: Callable[..., object]) -> Callable[..., object]:
        ACCESS[fn] = access
        return fn

    return register


# The access kinds. Plain functions run in FastAPI's thread pool (they read the database).


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
    caller = api_token_principal(hq, token) if token else None
    if caller is not None:
        return caller
    return device(hq, credentials)


ACCESS[public] = Access("public")
ACCESS[device] = Access("device")
ACCESS[device_or_api_token] = Access("device or API token")


def api(action: Action) -> Callable[..., Principal]:
    """The analyst API: an API token (an analyst without contact details) or a signed-in
    session, whose role must allow ``action``; 401 without either, 403 for a device token."""

    def dependency(hq: HqDep, credentials: BearerDep, user: SessionUserDep) -> Principal:
        token = _token(credentials)
        if token:
            by_token = api_token_principal(hq, token)
            if by_token is not None:
                caller = by_token
            elif _is_device(hq, token):
                raise Forbidden(
                    "A device token cannot read the analyst API; use a token from "
                    "nps-hq create-api-token."
                )
            else:
                raise Unauthorized(
                    "This API token is unknown or revoked; make one with nps-hq create-api-token."
                )
        elif user is None:
            raise Unauthorized("Sign in at / or send 'Authorization: Bearer <api token>'.")
        else:
            caller = user
        check(caller, action)
        return caller

    dependency.__name__ = f"api_{action.name.lower()}"
    _declare(Access("api", action))(dependency)
    return dependency


def page(action: Action) -> Callable[..., Principal]:
    """A page for a signed-in browser whose role allows ``action``; anyone without a session
    is sent to /login (303), a signed-in user without the role gets 403."""

    def dependency(user: SessionUserDep) -> Principal:
        if user is None:
            raise SignInRequired("Sign in first.")
        check(user, action)
        return user

    dependency.__name__ = f"page_{action.name.lower()}"
    _declare(Access("page", action))(dependency)
    return dependency


def form(action: Action) -> Callable[..., Awaitable[Principal]]:
    """A state-changing request (POST) of a signed-in browser: the session (else /login), its
    CSRF token and origin (hq.csrf, else 403), then the role (else 403)."""

    async def dependency(request: Request, hq: HqDep, user: SessionUserDep) -> Principal:
        if user is None:
            raise SignInRequired("Sign in first.")
        await check_csrf(request, user, hq)
        check(user, action)
        return user

    dependency.__name__ = f"form_{action.name.lower()}"
    _declare(Access("form", action))(dependency)
    return dependency


# The dependencies the routers declare (each object once: FastAPI caches it per request).
read_api = api(Action.READ_SCOPED)
read_page = page(Action.READ_SCOPED)
read_all_page = page(Action.READ_ALL)
audit_page = page(Action.READ_AUDIT)
users_page = page(Action.MANAGE_USERS)
own_account_form = form(Action.READ_SCOPED)  # sign out, change one's own password
alerts_form = form(Action.MANAGE_ALERTS)
users_form = form(Action.MANAGE_USERS)
fleet_form = form(Action.MANAGE_FLEET)  # store and group profiles, survey drafts and publishing
privacy_api = api(Action.MANAGE_PRIVACY)  # API tokens act as analysts: refused
privacy_page = page(Action.MANAGE_PRIVACY)
privacy_form = form(Action.MANAGE_PRIVACY)  # the page's erase form and the JSON erase call
cases_form = form(Action.MANAGE_CASES)  # mark a follow-up case (a viewer: own stores only)

DeviceDep = Annotated[Principal, Depends(device)]
StoreReaderDep = Annotated[Principal, Depends(device_or_api_token)]
ReaderDep = Annotated[Principal, Depends(read_api)]
