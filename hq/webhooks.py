"""Alert webhooks: the receivers HQ knows, their signing secrets, and the signature itself.

A webhook body is JSON, sent as is on every retry. HQ signs ``"<timestamp>." + body`` with
HMAC-SHA256 under the webhook's secret and sends::

    X-NPS-Signature: t=<unix seconds>,v1=<hex digest>
    X-NPS-Delivery: <delivery id>        (the body's "id" is the alert or digest id)

A receiver recomputes the digest, compares it in constant time, and refuses a timestamp older
than a few minutes (a replay). The secret is derived from the server key and a per-webhook salt,
like a device secret, so a copy of the database alone cannot sign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from core.said import Said
from hq.audit import record_in
from hq.db import utcnow
from hq.egress import check_url
from hq.errors import AlreadyExists, ConfigError, NotFound, PrivateAddress
from hq.models import WebhookRow
from hq.service import Hq
from hq.service import _check_id as check_id

SIGNATURE_HEADER = "X-NPS-Signature"
DELIVERY_HEADER = "X-NPS-Delivery"
DEFAULT_TOLERANCE_S = 300


@dataclass(frozen=True)
class Webhook:
    name: str
    url: str
    disabled: bool


def webhook_secret(server_key: bytes, *, name: str, salt: str) -> bytes:
    msg = b"nps-webhook-secret\x00" + name.encode() + b"\x00" + salt.encode()
    return hmac.new(server_key, msg, hashlib.sha256).digest()


def encode_webhook_secret(secret: bytes) -> str:
    return "whsec_" + base64.urlsafe_b64encode(secret).rstrip(b"=").decode("ascii")


def decode_webhook_secret(text: str) -> bytes:
    raw = text.removeprefix("whsec_")
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


def sign(body: bytes, *, secret: bytes, timestamp: int) -> str:
    """The X-NPS-Signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    body: bytes,
    header: str,
    *,
    secret: bytes,
    now: float | None = None,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> bool:
    """True if ``header`` signs ``body`` under ``secret`` and is no older than the tolerance
    (what a receiver does; the README has the same check as a standalone snippet)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    want = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, given)


def add_webhook(hq: Hq, name: str, *, url: str, actor: str = "system") -> str:
    """Register a receiver; returns its secret (shown once: HQ can derive it again, but the
    CLI prints it only here and on ``webhook-secret``)."""
    check_id(name, "webhook name")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            Said(
                "A webhook URL starts with https:// (or http:// inside), not {url}.", url=repr(url)
            )
        )
    if not hq.config.allow_private_webhooks:
        try:
            check_url(url)
        except PrivateAddress as exc:
            raise ConfigError(f"Webhook {name!r} not added: {exc}") from exc
    salt = secrets.token_hex(16)
    with hq.db.writing() as s:
        if s.get(WebhookRow, name) is not None:
            raise AlreadyExists(
                Said("Webhook {name} exists already; pick another name.", name=repr(name))
            )
        s.add(WebhookRow(name=name, url=url, secret_salt=salt, created_at=utcnow()))
        record_in(s, actor=actor, action="webhook.add", target=name, detail=url)
    return encode_webhook_secret(webhook_secret(hq.server_key, name=name, salt=salt))


def secret_of(hq: Hq, name: str) -> bytes:
    with hq.db.reading() as s:
        row = s.get(WebhookRow, name)
        if row is None:
            raise NotFound(f"There is no webhook {name!r}; see nps-hq alerts list-webhooks.")
        return webhook_secret(hq.server_key, name=name, salt=row.secret_salt)


def webhooks(hq: Hq) -> list[Webhook]:
    with hq.db.reading() as s:
        rows = s.execute(
            select(WebhookRow.name, WebhookRow.url, WebhookRow.disabled_at).order_by(
                WebhookRow.name
            )
        ).all()
    return [Webhook(name=n, url=u, disabled=d is not None) for n, u, d in rows]
