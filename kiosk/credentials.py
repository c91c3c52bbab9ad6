"""The device token and secret from enrollment, in a file next to the database that only the
kiosk's own user can read (mode 0600). No OS keyring: a kiosk often runs without a desktop
session to unlock one, and the file needs no extra dependency.

HQ keeps only a hash of the token; the secret signs QR tokens and batch files offline. The file
is written to a temporary name (created 0600, never wider) and renamed, so a power cut leaves
either the old credentials or the new ones.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.said import Said
from kiosk.errors import KioskError

log = logging.getLogger(__name__)
FILE_MODE = 0o600


class CredentialsError(KioskError):
    """The credentials file cannot be read or written; the message says what to do."""


class NotEnrolled(CredentialsError):
    """The kiosk has no device token yet: enroll it (Admin → Sync, or nps-kiosk enroll)."""


@dataclass(frozen=True)
class Credentials:
    hq_url: str
    device_id: str
    store_id: str
    device_token: str
    device_secret: bytes
    enrolled_at: datetime  # naive UTC
    # The manager allowed http:// to a non-loopback HQ (nps-kiosk enroll --insecure-http):
    # kept here so that every later sync honours the same choice.
    insecure_http: bool = False

    def __repr__(self) -> str:  # never print the token or the secret in a log
        return (
            f"Credentials(hq_url={self.hq_url!r}, device_id={self.device_id!r}, "
            f"store_id={self.store_id!r}, token=***, secret=***, "
            f"insecure_http={self.insecure_http!r})"
        )


def credentials_path(db_path: Path | str) -> Path:
    """Where the credentials of the database at ``db_path`` live: next to it."""
    path = Path(db_path)
    return path.with_name(path.name + ".credentials")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def save(db_path: Path | str, creds: Credentials) -> Path:
    """Write the credentials (mode 0600, atomically); returns the file's path."""
    path = credentials_path(db_path)
    data = json.dumps(
        {
            "format": "nps-kiosk-credentials",
            "version": 1,
            "hq_url": creds.hq_url,
            "device_id": creds.device_id,
            "store_id": creds.store_id,
            "device_token": creds.device_token,
            "device_secret": _b64(creds.device_secret),
            "enrolled_at": creds.enrolled_at.isoformat(),
            "insecure_http": creds.insecure_http,
        },
        indent=2,
    ).encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, FILE_MODE)  # in case a umask or ACL widened it
        tmp.replace(path)
    except OSError as exc:
        raise CredentialsError(
            Said(
                "Cannot write the device credentials to {path} ({reason}). The folder of the "
                "database must be writable by the kiosk's user.",
                path=str(path),
                reason=exc.strerror,
            )
        ) from exc
    return path


def load(db_path: Path | str) -> Credentials:
    """The stored credentials, or NotEnrolled. A file readable by others is tightened to 0600."""
    path = credentials_path(db_path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotEnrolled(
            Said(
                "This kiosk is not enrolled at HQ yet. Get a code with 'nps-hq enroll-device' "
                "and enter it in Admin → Sync (or run nps-kiosk enroll)."
            )
        ) from None
    except OSError as exc:
        raise CredentialsError(
            Said(
                "Cannot read {path} ({reason}); check its owner.",
                path=str(path),
                reason=exc.strerror,
            )
        ) from exc
    if mode & 0o077:
        log.warning("%s was readable by other users (mode %o); set it to 0600", path, mode)
        try:
            os.chmod(path, FILE_MODE)
        except OSError:
            pass
    try:
        data = json.loads(raw)
        hq_url = str(data["hq_url"])
        if "insecure_http" in data:
            insecure_http = data["insecure_http"] is True
        else:
            # Written before the choice was recorded: an http:// address was accepted then,
            # so it keeps syncing (the Sync tab warns) instead of stopping a running store.
            insecure_http = hq_url.lower().startswith("http://")
        return Credentials(
            hq_url=hq_url,
            device_id=str(data["device_id"]),
            store_id=str(data["store_id"]),
            device_token=str(data["device_token"]),
            device_secret=_unb64(str(data["device_secret"])),
            enrolled_at=datetime.fromisoformat(str(data["enrolled_at"])),
            insecure_http=insecure_http,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CredentialsError(
            Said(
                "{path} is damaged ({reason}). Enroll the kiosk again with a new code from "
                "'nps-hq enroll-device'.",
                path=str(path),
                reason=str(exc),
            )
        ) from exc


def load_or_none(db_path: Path | str) -> Credentials | None:
    try:
        return load(db_path)
    except NotEnrolled:
        return None
