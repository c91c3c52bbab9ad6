"""Security headers on every HQ response (a pure ASGI middleware: no body buffering).

The Content-Security-Policy allows no inline script at all: the pages' one script is
hq/static/hq.js. Styles stay 'unsafe-inline': the pages use <style> blocks and style
attributes. ``frame-ancestors 'none'`` and X-Frame-Options keep every page out of frames on
other sites (clickjacking).
"""

from __future__ import annotations

from typing import Any

DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})


def content_security_policy() -> str:
    return (
        "default-src 'self'; "
        "script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """Adds CSP, nosniff, Referrer-Policy and X-Frame-Options to every HTTP response (an
    existing header of the same name, set by a handler, is kept)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy().encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
        ]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # FastAPI's /docs and /redoc load their script from a CDN and run it inline.
        docs = scope.get("path", "") in DOCS_PATHS

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                if docs:
                    present.add(b"content-security-policy")
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
