"""Mobile-link tokens for the QR code: made offline on the kiosk, checked at HQ (stdlib only).

A token is ``base64url(payload) "." base64url(HMAC-SHA256(device secret, "nps-m1." payload))``
where the payload is compact JSON: store, device, issue time (Unix seconds), time to live,
kind (single-use, or a long-lived multi-use poster) and a random nonce. The signature proves
that an enrolled device made it; the expiry and HQ's record of used nonces stop a photographed
code from being used to stuff the ballot.

Errors (all :class:`TokenError`, a :class:`kiosk.errors.KioskError`)::

    TokenError
    ├── TokenMalformed        not a token of this format (cut off, edited, or unknown version)
    ├── TokenUnknownDevice    the device is not enrolled (or was revoked) at this HQ
    ├── TokenBadSignature     the signature does not match: forged or made by another device
    └── TokenExpired          past its time to live (or issued in the future)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from core.errors import CoreError

TokenKind = Literal["single", "poster"]
SINGLE_TTL_S = 15 * 60
POSTER_TTL_S = 180 * 24 * 3600
CLOCK_LEEWAY_S = 300  # kiosk clocks drift; a token "from the future" by less than this is fine
_DOMAIN = b"nps-m1."
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,43}$")
_KINDS = {"s": "single", "p": "poster"}
MAX_TOKEN_LENGTH = 512


class TokenError(CoreError, ValueError):
    """A mobile-link token cannot be accepted."""


class TokenMalformed(TokenError):
    """Not a token of this format."""


class TokenUnknownDevice(TokenError):
    """The device that signed the token is not enrolled, or was revoked."""


class TokenBadSignature(TokenError):
    """The signature does not match the device's secret."""


class TokenExpired(TokenError):
    """The token is past its time to live, or claims to be issued in the future."""


@dataclass(frozen=True)
class TokenClaims:
    store_id: str
    device_id: str
    issued_at: int  # Unix seconds
    ttl_s: int
    kind: TokenKind
    nonce: str

    @property
    def expires_at(self) -> int:
        return self.issued_at + self.ttl_s

    @property
    def issued_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.issued_at, UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise TokenMalformed("The link's token has characters that base64url does not use.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenMalformed("The link's token is cut off; scan the code again.") from exc


def _unix(value: datetime | int) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # the kiosk keeps naive UTC
        return int(value.timestamp())
    return int(value)


def _sign(secret: bytes, payload_b64: str) -> bytes:
    return hmac.new(secret, _DOMAIN + payload_b64.encode("ascii"), hashlib.sha256).digest()


def make_token(
    *,
    secret: bytes,
    store_id: str,
    device_id: str,
    issued_at: datetime | int,
    nonce: str | None = None,
    kind: TokenKind = "single",
    ttl: int | None = None,
) -> str:
    """A signed, URL-safe token for ``<hq>/m/<store>?t=<token>``; works with no network."""
    if not secret:
        raise TokenError("No device secret: enroll the kiosk at HQ before showing a QR code.")
    if not _ID.match(store_id) or not _ID.match(device_id):
        raise TokenError("Store and device ids are 1-64 letters, digits, '.', '_' or '-'.")
    if kind not in ("single", "poster"):
        raise TokenError(f"kind is 'single' or 'poster', not {kind!r}.")
    ttl_s = ttl if ttl is not None else (SINGLE_TTL_S if kind == "single" else POSTER_TTL_S)
    if not 1 <= ttl_s <= 10 * 365 * 24 * 3600:
        raise TokenError("ttl is a number of seconds from 1 to ten years.")
    nonce = nonce if nonce is not None else secrets.token_urlsafe(12)
    if not _NONCE.match(nonce):
        raise TokenError("A nonce is 8-43 base64url characters; leave it out to get a random one.")
    payload = {
        "v": 1,
        "s": store_id,
        "d": device_id,
        "i": _unix(issued_at),
        "t": ttl_s,
        "k": kind[0],
        "n": nonce,
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("ascii"))
    return f"{body}.{_b64(_sign(secret, body))}"


def read_claims(token: str) -> TokenClaims:
    """The claims of a token *without* checking its signature (to find the device's secret)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise TokenMalformed("This is not a survey link token; scan the code again.")
    body, _sig = token.split(".")
    try:
        data = json.loads(_unb64(body))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TokenMalformed("The link's token cannot be read; scan the code again.") from exc
    if not isinstance(data, dict) or data.get("v") != 1:
        raise TokenMalformed("The link's token is of an unknown version.")
    store, device, issued, ttl = data.get("s"), data.get("d"), data.get("i"), data.get("t")
    kind, nonce = _KINDS.get(str(data.get("k"))), data.get("n")
    if not (
        isinstance(store, str)
        and _ID.match(store)
        and isinstance(device, str)
        and _ID.match(device)
        and type(issued) is int
        and type(ttl) is int
        and ttl > 0
        and kind is not None
        and isinstance(nonce, str)
        and _NONCE.match(nonce)
    ):
        raise TokenMalformed("The link's token is missing a field or has a wrong one.")
    return TokenClaims(
        store_id=store,
        device_id=device,
        issued_at=issued,
        ttl_s=ttl,
        kind=kind,  # type: ignore[arg-type]  # checked against the Literal just above
        nonce=nonce,
    )


def verify_token(
    token: str,
    *,
    secret_for_device: Callable[[str], bytes | None] | bytes,
    now: datetime | int,
    max_age: int | None = None,
    leeway: int = CLOCK_LEEWAY_S,
) -> TokenClaims:
    """The claims of a genuine, unexpired token, or a TokenError saying what is wrong.

    ``secret_for_device`` is the device secret itself or a function from device id to secret
    (None when the device is unknown). ``max_age`` caps the age whatever the token's own ttl.
    """
    claims = read_claims(token)
    secret = (
        secret_for_device(claims.device_id) if callable(secret_for_device) else secret_for_device
    )
    if not secret:
        raise TokenUnknownDevice(
            f"Device {claims.device_id!r} is not enrolled here (or was "
            "revoked); enroll the kiosk again."
        )
    body, sig = token.split(".")
    if not hmac.compare_digest(_unb64(sig), _sign(secret, body)):
        raise TokenBadSignature(
            "The link's signature is not valid; scan the code on the kiosk again."
        )
    now_s = _unix(now)
    if claims.issued_at > now_s + leeway:
        raise TokenExpired(
            "The link was made in the future: the kiosk's clock is wrong. Ask "
            "staff to set the kiosk's clock."
        )
    age_limit = claims.ttl_s if max_age is None else min(claims.ttl_s, max_age)
    if now_s > claims.issued_at + age_limit:
        raise TokenExpired("This link has expired; scan the code on the kiosk again.")
    return claims
