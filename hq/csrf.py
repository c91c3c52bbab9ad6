"""Cross-site request forgery checks for HQ's pages: the session's token and the Origin.

Every state-changing request made with a session cookie must carry the session's token (form
field ``csrf_token`` or header ``X-CSRF-Token``) and, when the browser sends Origin or
Referer, come from HQ's own origin (the address it was reached at, or HQ's public URL).
Requests with a bearer token carry no cookie and need neither.

For the routers: ``await check_csrf(request, session, hq)`` in every POST handler (or a
dependency wrapping it), and ``session.csrf_token`` in every form as ``csrf_field(token)``.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from hq.errors import Forbidden

FIELD = "csrf_token"
HEADER = "x-csrf-token"


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url`` (default ports dropped), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = parts.port
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def own_origins(request: Any, public_url: str | None) -> set[str]:
    """The origins HQ answers as: the one this request was sent to, and the public URL's."""
    found = {origin_of(f"{request.url.scheme}://{request.headers.get('host', '')}/")}
    if public_url:
        found.add(origin_of(public_url))
    return {o for o in found if o}


def check_origin(headers: Any, *, allowed: set[str]) -> None:
    """Forbidden unless Origin (or else Referer), when sent, is one of ``allowed``."""
    origin = headers.get("origin")
    if origin is None and headers.get("referer"):
        origin = origin_of(headers["referer"]) or "null"
    if origin is not None and origin_of(origin) not in allowed:
        raise Forbidden(
            "This form was sent from another site, so HQ refused it. Open HQ's page "
            "yourself and send the form from there."
        )


def check_token(expected: str, supplied: str | None) -> None:
    """Forbidden unless ``supplied`` is the session's token (compared in constant time)."""
    if not supplied or not hmac.compare_digest(expected.encode(), supplied.encode()):
        raise Forbidden(
            "This form is out of date or was not made by HQ (its security token is missing "
            "or wrong). Reload the page and send it again."
        )


async def check_csrf(request: Any, session: Any, hq: Any) -> None:
    """Both checks for a state-changing request made with ``session`` (a LoginSession)."""
    check_origin(request.headers, allowed=own_origins(request, hq.config.public_url))
    supplied = request.headers.get(HEADER)
    if supplied is None and "form" in request.headers.get("content-type", ""):
        value = (await request.form()).get(FIELD)  # Starlette caches the parsed form
        supplied = value if isinstance(value, str) else None
    check_token(session.csrf_token, supplied)
