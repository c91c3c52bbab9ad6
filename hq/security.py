"""Secrets at HQ: random tokens kept as SHA-256, user passwords as scrypt, the server key.

Login sessions are server-side rows (hq/sessions.py), not signed cookies, so they can be ended
at once.

Device secrets are not stored: each is HMAC-SHA256(server key, device id + a per-enrollment
salt), so a copy of the database alone cannot forge QR links or batch files. The server key is a
32-byte file in HQ's data folder (mode 0600); every HQ process of a chain needs the same file,
and losing it means enrolling the devices again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from core.said import Said
from hq.errors import ConfigError

KEY_BYTES = 32
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def new_token(prefix: str) -> str:
    """A random token of 256 bits, e.g. 'nd_...' for devices, 'na_...' for analysts."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ConfigError(Said("A password needs at least 8 characters."))
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def load_or_create_key(path: Path) -> bytes:
    """The server key at ``path``, made (0600) on first start."""
    try:
        if path.exists():
            key = path.read_bytes()
            if len(key) != KEY_BYTES:
                raise ConfigError(
                    f"The server key {path} is damaged ({len(key)} bytes, not "
                    f"{KEY_BYTES}). Restore it from a backup; a new key means "
                    "enrolling every device again."
                )
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(KEY_BYTES)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
            fh.flush()
            os.fsync(fh.fileno())
        return key
    except FileExistsError:
        return load_or_create_key(path)  # another process made it first
    except OSError as exc:
        raise ConfigError(
            f"Cannot read or create the server key {path} ({exc.strerror}). "
            "Pick a writable data folder with --data-dir."
        ) from exc


def device_secret(server_key: bytes, *, device_id: str, salt: str) -> bytes:
    msg = b"nps-device-secret\x00" + device_id.encode() + b"\x00" + salt.encode()
    return hmac.new(server_key, msg, hashlib.sha256).digest()
