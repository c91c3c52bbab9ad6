"""The admin PIN: 4-8 digits, kept only as a salted scrypt hash, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from kiosk.errors import PinError

DEFAULT_PIN = "1234"  # until the manager sets one (README: change it with `nps-kiosk set-pin`)
_N, _R, _P = 2**14, 8, 1


def check_format(pin: str) -> str:
    if not (isinstance(pin, str) and pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise PinError("A PIN is 4 to 8 digits (0-9).")
    return pin


def hash_pin(pin: str) -> str:
    check_format(pin)
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)
