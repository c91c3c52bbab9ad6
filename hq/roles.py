"""Who may do what at HQ: the roles, the actions, and the one table that joins them.

Roles, from most to least power:

- ``owner``: everything, including users and API tokens; always sees contact details.
- ``admin``: stores, devices, groups, alert rules and webhooks; reads everything and the
  audit log; answers a person's privacy request (find, export, erase) like an owner.
- ``analyst``: reads everything; contact details only with the ``contact`` grant.
- ``viewer``: reads only the stores of their groups (a store or region manager); marks the
  follow-up cases of those stores contacted or resolved (hq.cases).

Routers ask with ``Depends(require(Action.X, principal=current_principal))``; a principal is
any object with ``.role`` (a Role) and ``.contact`` (bool), e.g. hq.users.User or
hq.sessions.LoginSession.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Protocol

from hq.errors import ConfigError, Forbidden


class Role(enum.Enum):
    OWNER = "owner"
    ADMIN = "admin"
    ANALYST = "analyst"
    VIEWER = "viewer"

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ConfigError(
                f"A role is one of {', '.join(r.value for r in cls)}, not {value!r}."
            ) from None


class Action(enum.Enum):
    READ_SCOPED = "read the stores in one's scope"  # every role; viewers see their groups only
    READ_ALL = "read every store"
    READ_CONTACT = "read customers' contact details"
    MANAGE_FLEET = "manage stores, devices and groups"
    MANAGE_ALERTS = "manage alert rules and webhooks"
    MANAGE_USERS = "manage users, API tokens and poster codes"
    READ_AUDIT = "read the audit log"
    MANAGE_PRIVACY = "find, export and erase a customer's personal data"
    MANAGE_CASES = "change follow-up cases (a viewer: of their own stores)"


_EVERYONE = frozenset(Role)
# The one table. READ_CONTACT is also granted per user by the ``contact`` flag (see may()).
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.READ_SCOPED: _EVERYONE,
    Action.READ_ALL: frozenset({Role.OWNER, Role.ADMIN, Role.ANALYST}),
    Action.READ_CONTACT: frozenset({Role.OWNER}),
    Action.MANAGE_FLEET: frozenset({Role.OWNER, Role.ADMIN}),
    Action.MANAGE_ALERTS: frozenset({Role.OWNER, Role.ADMIN}),
    Action.MANAGE_USERS: frozenset({Role.OWNER}),
    Action.READ_AUDIT: frozenset({Role.OWNER, Role.ADMIN}),
    Action.MANAGE_PRIVACY: frozenset({Role.OWNER, Role.ADMIN}),
    # A regional manager is a viewer scoped to their groups: they follow up their stores'
    # detractors (hq.cases.set_case refuses another store's case). Analysts only read.
    Action.MANAGE_CASES: frozenset({Role.OWNER, Role.ADMIN, Role.VIEWER}),
}


class HasRole(Protocol):
    @property
    def role(self) -> Role: ...

    @property
    def contact(self) -> bool: ...


def may(principal: HasRole, action: Action) -> bool:
    """Whether ``principal`` may do ``action``."""
    if action is Action.READ_CONTACT and principal.contact:
        return True
    return principal.role in PERMISSIONS[action]


def check(principal: HasRole, action: Action) -> None:
    """Forbidden (HTTP 403) unless ``principal`` may do ``action``."""
    if not may(principal, action):
        raise Forbidden(
            f"Your role ({principal.role.value}) may not {action.value}; ask an owner "
            "(nps-hq users role NAME ROLE)."
        )


def require(action: Action, *, principal: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """A check for ``action``. Without ``principal``: a plain function taking a principal and
    returning it (or raising Forbidden). With ``principal`` (the dependency that finds the
    request's principal): a FastAPI dependency, ``Depends(require(A, principal=current))``."""

    def checked(p: Any) -> Any:
        check(p, action)
        return p

    if principal is None:
        return checked
    from fastapi import Depends

    def dependency(p: Any = Depends(principal)) -> Any:  # noqa: B008 (FastAPI's idiom)
        return checked(p)

    return dependency
