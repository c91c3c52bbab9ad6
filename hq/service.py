"""HQ's stores, devices, tokens and analysts: enrolling, revoking, and checking credentials."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import platformdirs
from sqlalchemy import select, update

from core.protocol import EnrollReplyV1, encode_secret
from hq.audit import record_in
from hq.db import HqDatabase, open_database, sqlite_url, utcnow
from hq.errors import (
    AlreadyExists,
    ConfigError,
    EnrollmentError,
    Forbidden,
    NotFound,
    Unauthorized,
)
from hq.models import AnalystRow, ApiTokenRow, DeviceRow, EnrollmentCodeRow, StoreRow
from hq.security import (
    check_password,
    device_secret,
    hash_password,
    load_or_create_key,
    new_token,
    token_hash,
)

SYSTEM = "system"  # the audit log's actor when the caller names none
APP_NAME = "nps-hq"
ENROLLMENT_TTL = timedelta(hours=24)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Enrollment codes are typed on a kiosk: no 0/O/1/I/L, grouped for reading aloud.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def allow_private_webhooks_from_env(env: Mapping[str, str] | None = None) -> bool:
    """NPS_HQ_ALLOW_PRIVATE_WEBHOOKS=1 (or true/yes/on) lets webhooks post inside the network."""
    value = (os.environ if env is None else env).get("NPS_HQ_ALLOW_PRIVATE_WEBHOOKS", "")
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class HqConfig:
    """Where HQ keeps things and its policies; the CLI fills it from flags."""

    data_dir: Path = field(default_factory=default_data_dir)
    db_url: str | None = None  # default: SQLite in data_dir
    single_link_max_age_s: int = 15 * 60
    poster_limit_per_hour: int = 3
    max_batch_bytes: int = 4 * 1024 * 1024
    max_body_bytes: int = 64 * 1024
    stale_after: timedelta = timedelta(hours=24)
    # Off: webhooks may go to public addresses only (no 127.0.0.1, 10/8, 169.254.169.254...).
    # On (--allow-private-webhooks, NPS_HQ_ALLOW_PRIVATE_WEBHOOKS=1): also inside the network.
    allow_private_webhooks: bool = False
    # The address people and phones use to reach HQ (NPS_HQ_PUBLIC_URL); https makes the login
    # cookie Secure, and its origin is accepted by the CSRF check.
    public_url: str | None = None
    session_idle_s: int = 30 * 60  # a session unused this long ends
    session_max_s: int = 12 * 3600  # and every session ends this long after sign-in
    poster_max_age_s: int = 400 * 24 * 3600  # HQ refuses older poster codes, whatever their ttl
    login_account_failures: int = 5  # failures of one account before it is locked
    login_client_failures: int = 20  # failures from one client address before it is locked
    login_lock_s: int = 60  # the first lockout; each further failure doubles it
    login_lock_max_s: int = 3600
    login_hash_slots: int = 2  # password hashes at once (scrypt takes 16 MB each)
    login_hash_queue: int = 4  # sign-ins waiting for a slot; beyond this: 429
    retention: RetentionPolicy = field(default_factory=lambda: RetentionPolicy())

    @property
    def secure_cookies(self) -> bool:
        return (self.public_url or "").lower().startswith("https://")

    @property
    def url(self) -> str:
        return self.db_url or sqlite_url(self.data_dir / "hq.db")

    @property
    def key_path(self) -> Path:
        return self.data_dir / "server.key"


def _days(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("off", "never", "0", "no"):
        return None
    try:
        days = int(raw)
    except ValueError:
        raise ConfigError(f"{name} is a number of days or 'off', not {raw!r}.") from None
    if days < 1:
        raise ConfigError(f"{name} is at least 1 day, or 'off'.")
    return days


@dataclass(frozen=True)
class RetentionPolicy:
    """How long HQ keeps customers' personal data (hq.privacy.purge, daily). A chain setting
    at HQ for now (NPS_HQ_CONTACT_RESOLVED_DAYS, NPS_HQ_CONTACT_DAYS, NPS_HQ_COMMENT_DAYS);
    it moves into the store profile later.

    ``contact_resolved_days``: contact details N days after the follow-up case was resolved
    (hq.cases: as the kiosk or HQ last set it); ``contact_days``: M days after the answer,
    whatever the case's state (a case never resolved, or resolved at a kiosk that never
    synced it).
    ``comment_days``: comments K days after the answer; None (the default) keeps them."""

    contact_resolved_days: int | None = 90
    contact_days: int | None = 180
    comment_days: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetentionPolicy:
        env = os.environ if env is None else env
        return cls(
            contact_resolved_days=_days(env, "NPS_HQ_CONTACT_RESOLVED_DAYS", 90),
            contact_days=_days(env, "NPS_HQ_CONTACT_DAYS", 180),
            comment_days=_days(env, "NPS_HQ_COMMENT_DAYS", None),
        )


@dataclass(frozen=True)
class DeviceAuth:
    device_id: str
    store_id: str


@dataclass(frozen=True)
class EnrollmentCode:
    code: str
    device_id: str
    store_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Store:
    store_id: str
    name: str


@dataclass(frozen=True)
class ApiToken:
    """An API token as listed (its value is never kept)."""

    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None
    contact: bool = False
    groups: tuple[str, ...] = ()  # empty: every store


@dataclass(frozen=True)
class ApiTokenScope:
    """What a valid API token may read: every store (``store_ids`` None) or the stores of its
    groups now (as a viewer), and contact details or not."""

    name: str
    contact: bool
    groups: tuple[str, ...]
    store_ids: frozenset[str] | None


class Hq:
    """One HQ: its database and server key. Every method is a short transaction."""

    def __init__(self, db: HqDatabase, *, server_key: bytes, config: HqConfig) -> None:
        self.db = db
        self.server_key = server_key
        self.config = config

    @classmethod
    def open(cls, config: HqConfig) -> Hq:
        key = load_or_create_key(config.key_path)
        return cls(open_database(config.url), server_key=key, config=config)

    def close(self) -> None:
        self.db.close()

    # Stores -------------------------------------------------------------------------------

    def add_store(self, store_id: str, *, name: str | None = None) -> Store:
        _check_id(store_id, "store id")
        name = (name or store_id).strip()[:120] or store_id
        with self.db.writing() as s:
            if s.get(StoreRow, store_id) is not None:
                raise AlreadyExists(
                    f"Store {store_id!r} exists already; enroll devices into it "
                    f"with: nps-hq enroll-device --store {store_id}"
                )
            s.add(StoreRow(store_id=store_id, name=name, created_at=utcnow()))
            s.flush()
            from hq.rollups import refresh_time_zones

            refresh_time_zones(s.connection())  # the chain's zone, if it sets one
        return Store(store_id=store_id, name=name)

    def stores(self) -> list[Store]:
        with self.db.reading() as s:
            rows = s.execute(
                select(StoreRow.store_id, StoreRow.name).order_by(StoreRow.store_id)
            ).all()
        return [Store(store_id=r[0], name=r[1]) for r in rows]

    def store_exists(self, store_id: str) -> bool:
        with self.db.reading() as s:
            return s.get(StoreRow, store_id) is not None

    # Devices ------------------------------------------------------------------------------

    def enroll_device(
        self,
        *,
        store_id: str,
        device_id: str | None = None,
        ttl: timedelta = ENROLLMENT_TTL,
        actor: str = SYSTEM,
    ) -> EnrollmentCode:
        """A one-time code that a kiosk exchanges at POST /api/v1/enroll within ``ttl``."""
        device_id = device_id or f"{store_id[:40]}-k{secrets.token_hex(3)}"
        _check_id(device_id, "device id")
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        code = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
        now = utcnow()
        with self.db.writing() as s:
            if s.get(StoreRow, store_id) is None:
                raise NotFound(
                    f"There is no store {store_id!r}; add it first with: "
                    f"nps-hq add-store {store_id}"
                )
            existing = s.get(DeviceRow, device_id)
            if existing is not None and existing.store_id != store_id:
                raise AlreadyExists(
                    f"Device {device_id!r} belongs to store "
                    f"{existing.store_id!r}; pick another device id."
                )
            if existing is None:
                s.add(DeviceRow(device_id=device_id, store_id=store_id))
                s.flush()
            s.add(
                EnrollmentCodeRow(
                    code_hash=token_hash(_normal_code(code)),
                    device_id=device_id,
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
            record_in(s, actor=actor, action="device.enroll", target=device_id, detail=store_id)
        return EnrollmentCode(
            code=code, device_id=device_id, store_id=store_id, expires_at=now + ttl
        )

    def redeem_enrollment(self, code: str) -> EnrollReplyV1:
        """Exchange a one-time code for the device's token and secret (a re-enrollment replaces
        the previous token and secret)."""
        now = utcnow()
        with self.db.writing() as s:
            # Locked (FOR UPDATE on PostgreSQL): several HQ processes redeeming the same code
            # at once wait here, then see it used; one of them gets the device's token.
            row = s.get(EnrollmentCodeRow, token_hash(_normal_code(code)), with_for_update=True)
            if row is None or row.used_at is not None or row.expires_at < now:
                raise EnrollmentError(
                    "This enrollment code is unknown, used or expired. Ask HQ "
                    "for a new one: nps-hq enroll-device --store STORE"
                )
            device = s.get(DeviceRow, row.device_id)
            assert device is not None
            # revoke_device voids unused codes; this also covers a code made in the same
            # instant, so a code older than the revocation never brings the device back.
            if device.revoked_at is not None and row.created_at <= device.revoked_at:
                raise EnrollmentError(
                    f"This enrollment code was made before device {device.device_id!r} was "
                    "revoked, so it no longer works. Ask HQ for a new one: nps-hq "
                    f"enroll-device --store {device.store_id} --device {device.device_id}"
                )
            row.used_at = now
            token = new_token("nd")
            salt = secrets.token_hex(16)
            device.token_hash = token_hash(token)
            device.secret_salt = salt
            device.enrolled_at = now
            device.revoked_at = None
            store_id, device_id = device.store_id, device.device_id
        secret = device_secret(self.server_key, device_id=device_id, salt=salt)
        from core.protocol import now_utc

        return EnrollReplyV1(
            device_id=device_id,
            store_id=store_id,
            device_token=token,
            device_secret=encode_secret(secret),
            hq_time=now_utc(),
        )

    def revoke_device(self, device_id: str, *, actor: str = SYSTEM) -> None:
        """Revoke the device's token and void its unused enrollment codes (a code printed
        before the revocation must not re-enroll it; a new code from enroll-device does)."""
        now = utcnow()
        with self.db.writing() as s:
            done = s.execute(
                update(DeviceRow)
                .where(DeviceRow.device_id == device_id)
                .values(revoked_at=now, token_hash=None)
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
                raise NotFound(f"There is no device {device_id!r}; see nps-hq list-devices.")
            s.execute(
                update(EnrollmentCodeRow)
                .where(
                    EnrollmentCodeRow.device_id == device_id,
                    EnrollmentCodeRow.used_at.is_(None),
                    EnrollmentCodeRow.expires_at > now,
                )
                .values(expires_at=now)
            )
            record_in(s, actor=actor, action="device.revoke", target=device_id)

    def revoke_posters(self, store_id: str, *, actor: str = SYSTEM) -> datetime:
        """Refuse every poster code of ``store_id`` issued before now (they answer "this code
        has been replaced"); posters printed from now on work. Returns the cut-off."""
        cutoff = utcnow().replace(microsecond=0)
        with self.db.writing() as s:
            row = s.get(StoreRow, store_id)
            if row is None:
                raise NotFound(f"There is no store {store_id!r}; see nps-hq list-devices.")
            row.posters_not_before = cutoff
            record_in(
                s, actor=actor, action="posters.revoke", target=store_id, detail=cutoff.isoformat()
            )
        return cutoff

    def posters_not_before(self, store_id: str) -> datetime | None:
        with self.db.reading() as s:
            return s.scalar(
                select(StoreRow.posters_not_before).where(StoreRow.store_id == store_id)
            )

    def device_for_token(self, token: str | None) -> DeviceAuth:
        if not token:
            raise Unauthorized("Send the device token as 'Authorization: Bearer <token>'.")
        with self.db.reading() as s:
            row = s.execute(
                select(DeviceRow.device_id, DeviceRow.store_id, DeviceRow.revoked_at).where(
                    DeviceRow.token_hash == token_hash(token)
                )
            ).first()
        if row is None or row.revoked_at is not None:
            if self.api_token_ok(token):
                raise Forbidden("An analyst token cannot upload batches; use a device token.")
            raise Unauthorized(
                "This device token is unknown or revoked; enroll the device "
                "again with a code from nps-hq enroll-device."
            )
        return DeviceAuth(device_id=row.device_id, store_id=row.store_id)

    def secret_for_device(self, device_id: str) -> bytes | None:
        """The device's secret (for QR tokens and batch files), None if unknown or revoked."""
        with self.db.reading() as s:
            row = s.execute(
                select(DeviceRow.secret_salt, DeviceRow.revoked_at).where(
                    DeviceRow.device_id == device_id
                )
            ).first()
        if row is None or row.revoked_at is not None or not row.secret_salt:
            return None
        return device_secret(self.server_key, device_id=device_id, salt=row.secret_salt)

    def device_store(self, device_id: str) -> str | None:
        with self.db.reading() as s:
            return s.scalar(select(DeviceRow.store_id).where(DeviceRow.device_id == device_id))

    # Analysts -----------------------------------------------------------------------------

    def create_api_token(
        self,
        name: str,
        *,
        actor: str = SYSTEM,
        contact: bool = False,
        groups: Iterable[str] = (),
    ) -> str:
        """A new API token (its value, shown once). ``groups``: it reads only their stores (as
        a viewer); none: every store. ``contact``: it also reads contact details."""
        from hq.models import StoreGroupRow

        wanted = sorted({g.strip() for g in groups if g.strip()})
        token = new_token("na")
        with self.db.writing() as s:
            known = set(s.scalars(select(StoreGroupRow.group_id)))
            missing = [g for g in wanted if g not in known]
            if missing:
                raise NotFound(
                    f"There is no group {', '.join(map(repr, missing))}; see nps-hq groups list."
                )
            row = ApiTokenRow(
                name=name[:120],
                token_hash=token_hash(token),
                created_at=utcnow(),
                contact=contact,
                groups=json.dumps(wanted) if wanted else None,
            )
            s.add(row)
            s.flush()
            scope = f" contact={contact} groups={','.join(wanted) or 'all'}"
            record_in(
                s, actor=actor, action="token.create", target=str(row.id), detail=row.name + scope
            )
        return token

    def revoke_api_token(self, token: str, *, actor: str = SYSTEM) -> None:
        with self.db.writing() as s:
            row_id = s.scalar(
                select(ApiTokenRow.id).where(ApiTokenRow.token_hash == token_hash(token))
            )
        if row_id is None:
            raise NotFound("No such API token; see nps-hq tokens list.")
        self.revoke_api_token_id(row_id, actor=actor)

    def revoke_api_token_id(self, token_id: int, *, actor: str = SYSTEM) -> None:
        """Revoke the API token listed with ``token_id`` (nps-hq tokens list)."""
        with self.db.writing() as s:
            done = s.execute(
                update(ApiTokenRow)
                .where(ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
                raise NotFound(f"There is no active API token {token_id}; see nps-hq tokens list.")
            record_in(s, actor=actor, action="token.revoke", target=str(token_id))

    def api_tokens(self) -> list[ApiToken]:
        """Every API token, oldest first, revoked ones too."""
        with self.db.reading() as s:
            rows = s.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id)).all()
            return [
                ApiToken(
                    id=r.id,
                    name=r.name,
                    created_at=r.created_at,
                    revoked_at=r.revoked_at,
                    contact=bool(r.contact),
                    groups=tuple(json.loads(r.groups)) if r.groups else (),
                )
                for r in rows
            ]

    def api_token_scope(self, token: str | None) -> ApiTokenScope | None:
        """What the token may read, or None when it is unknown or revoked."""
        from hq.models import StoreGroupMemberRow

        if not token:
            return None
        with self.db.reading() as s:
            row = s.execute(
                select(ApiTokenRow.name, ApiTokenRow.contact, ApiTokenRow.groups).where(
                    ApiTokenRow.token_hash == token_hash(token), ApiTokenRow.revoked_at.is_(None)
                )
            ).first()
            if row is None:
                return None
            groups: tuple[str, ...] = tuple(json.loads(row.groups)) if row.groups else ()
            stores = (
                frozenset(
                    s.scalars(
                        select(StoreGroupMemberRow.store_id).where(
                            StoreGroupMemberRow.group_id.in_(groups)
                        )
                    )
                )
                if groups
                else None
            )
        return ApiTokenScope(
            name=row.name, contact=bool(row.contact), groups=groups, store_ids=stores
        )

    def api_token_ok(self, token: str | None) -> bool:
        return self.api_token_scope(token) is not None

    def add_analyst(self, username: str, *, password: str, actor: str = SYSTEM) -> None:
        """The first release's command: an ``owner`` (as every analyst of that release
        became), or a new password for an existing user (which signs them out). Prefer
        hq.users.add_user, which takes a role."""
        from hq.users import end_sessions_in

        _check_id(username, "user name")
        hashed = hash_password(password)
        now = utcnow()
        with self.db.writing() as s:
            row = s.get(AnalystRow, username)
            if row is None or row.disabled_at is not None:
                if row is None:
                    row = AnalystRow(username=username, password_hash=hashed, created_at=now)
                    s.add(row)
                row.role, row.contact, row.disabled_at = "owner", False, None
                action = "user.add"
            else:
                end_sessions_in(s, username)
                action = "user.password"
            row.password_hash = hashed  # setting it again changes the password
            row.password_changed_at = now
            record_in(s, actor=actor, action=action, target=username)

    def check_analyst(self, username: str, password: str) -> bool:
        """Whether the password is right for an active user (same time when it is not)."""
        with self.db.reading() as s:
            stored = s.scalar(
                select(AnalystRow.password_hash).where(
                    AnalystRow.username == username, AnalystRow.disabled_at.is_(None)
                )
            )
        if stored is None:
            check_password(password, _DUMMY_HASH)  # same time as a wrong password
            return False
        return check_password(password, stored)

    def has_analysts(self) -> bool:
        with self.db.reading() as s:
            return (
                s.scalar(
                    select(AnalystRow.username).where(AnalystRow.disabled_at.is_(None)).limit(1)
                )
                is not None
            )

    def analyst_exists(self, username: str) -> bool:
        """Whether ``username`` is an active (not removed) user."""
        with self.db.reading() as s:
            row = s.get(AnalystRow, username)
            return row is not None and row.disabled_at is None


_DUMMY_HASH = hash_password("not-a-real-password")


def _normal_code(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", code.upper())


def _check_id(value: str, what: str) -> None:
    if not _ID.match(value or ""):
        raise ConfigError(
            f"A {what} is 1-64 letters, digits, '.', '_' or '-', starting with a "
            f"letter or digit; {value!r} is not."
        )
