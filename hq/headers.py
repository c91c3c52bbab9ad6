"""Security headers on every HQ response (a pure ASGI middleware: no body buffering).

The Content-Security-Policy allows no inline script except, by hash, the two the current
pages carry (the table sort script and the group filter's onchange); the router rewrite should
move them into a static .js file and drop the hashes. Styles stay 'unsafe-inline': the pages
use <style> blocks and style attributes.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def content_security_policy() -> str:
    from hq.pages import SORT_JS

    scripts = " ".join(
        ["'self'", _sha256(SORT_JS), "'unsafe-hashes'", _sha256("this.form.submit()")]
    )
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
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
