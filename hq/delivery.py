"""The alert delivery worker: a background thread in the HQ process that sends the outbox.

Every poll it (1) now and then runs the store rules (hq.alerts.evaluate), (2) bundles held digest
items into one message per recipient once the day's digest hour has passed, and (3) claims due
deliveries with a lease (a conditional UPDATE, so several HQ processes never send the same row
at once) and sends each: a signed webhook POST or an SMTP email. Every try is logged in
``delivery_attempts``; a failure is retried with capped exponential backoff and full jitter
until ``give_up_after``, so a receiver that is down gets every alert later, the same body, at
least once. Ingest never waits for any of this.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import or_, select, update

from hq.alerts import evaluate, local_time, new_id
from hq.db import utcnow
from hq.egress import PublicOnlyAdapter, check_url
from hq.errors import DeliveryError, PrivateAddress
from hq.models import AlertRow, DeliveryAttemptRow, DeliveryRow, StoreRow, WebhookRow
from hq.notify_email import SmtpSettings, build_message, send
from hq.rollups import local_now, zone
from hq.service import Hq
from hq.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, sign, webhook_secret

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryConfig:
    """How the worker polls and retries. From the environment: NPS_HQ_DELIVERY (off to not start
    the worker in this process), NPS_HQ_DIGEST_HOUR (each store's local hour, default 7;
    the field keeps its old name), plus the SMTP settings."""

    enabled: bool = True
    poll_interval_s: float = 5.0
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 3600.0
    give_up_after: timedelta = timedelta(days=3)
    evaluate_every_s: float = 300.0
    purge_check_every_s: float = 3600.0  # how often to look whether the daily purge is due
    purge_first_after_s: float = 300.0  # the first look, this long after the worker starts
    purge: bool = True  # the retention purge (hq.privacy.daily); NPS_HQ_PURGE=off stops it
    # The hour (0-23) after which each store's held alerts go out, in the store's own zone.
    digest_hour_utc: int = 7
    webhook_timeout_s: float = 10.0
    lease_s: float = 120.0
    batch: int = 50
    smtp: SmtpSettings = field(default_factory=SmtpSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DeliveryConfig:
        env = os.environ if env is None else env
        return cls(
            enabled=env.get("NPS_HQ_DELIVERY", "on").lower() not in ("off", "0", "no"),
            digest_hour_utc=int(env.get("NPS_HQ_DIGEST_HOUR") or 7) % 24,
            purge=env.get("NPS_HQ_PURGE", "on").lower() not in ("off", "0", "no"),
            smtp=SmtpSettings.from_env(env),
        )


def digest_boundary(now: datetime, *, hour: int, tz: str = "UTC") -> datetime:
    """The latest digest time at or before ``now`` (naive UTC) in zone ``tz``, as naive UTC:
    items held before it go out in a digest. The hour is the zone's wall-clock hour (on a day
    when it does not exist, the instant after the gap; when it happens twice, the first)."""
    local = local_now(tz, now)
    day = local.date()
    for _ in range(3):
        wall = datetime(day.year, day.month, day.day, hour, tzinfo=zone(tz))
        boundary = wall.astimezone(UTC).replace(tzinfo=None)
        if boundary <= now:
            return boundary
        day -= timedelta(days=1)
    return boundary


class DeliveryWorker:
    """Start with :meth:`start`, stop with :meth:`stop`; :meth:`wake` polls at once."""

    def __init__(
        self,
        hq: Hq,
        config: DeliveryConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
        session: requests.Session | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.hq = hq
        self.config = config
        self.clock = clock
        self.session = session or requests.Session()
        if not hq.config.allow_private_webhooks:
            adapter = PublicOnlyAdapter()
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
        self.rng = rng or random.Random()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_evaluate = 0.0
        # The first look comes purge_first_after_s after start (a starting server has other
        # work first); then every purge_check_every_s.
        self._last_purge_check = (
            time.monotonic() - config.purge_check_every_s + config.purge_first_after_s
        )
        self.polls = 0

    # Thread --------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="nps-hq-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.session.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            # Clear before the pass: a wake() that lands while the pass runs stays set, so the
            # next pass starts at once instead of a poll interval later.
            self._wake.clear()
            try:
                self.run_once()
            except Exception:  # the worker must outlive a bad row or a database hiccup
                log.exception("Alert delivery poll failed; trying again next poll")
            self._wake.wait(self.config.poll_interval_s)

    # One poll ------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Evaluate store rules if due, make digests, send what is due; returns messages sent."""
        now = self.clock()
        if time.monotonic() - self._last_evaluate >= self.config.evaluate_every_s:
            self._last_evaluate = time.monotonic()
            evaluate(self.hq, now=now)
        self.daily_purge(now)
        self.make_digests(now)
        sent = 0
        for delivery_id in self._claim(now):
            if self._stop.is_set():
                break
            sent += self._deliver(delivery_id)
        self.polls += 1
        return sent

    def daily_purge(self, now: datetime) -> bool:
        """Run the retention purge (hq.privacy) when a day has passed since the last one (in
        any HQ process: the audit log says when); checked hourly. Returns whether it ran."""
        mono = time.monotonic()
        if mono - self._last_purge_check < self.config.purge_check_every_s:
            return False
        self._last_purge_check = mono
        self.housekeeping()
        if not self.config.purge:
            return False
        from hq.privacy import daily

        result = daily(self.hq, now)
        if result is not None:
            log.info(
                "Retention purge: %d contact details, %d comments (%s)",
                result.contacts,
                result.comments,
                result.wiped,
            )
        return result is not None

    def housekeeping(self) -> tuple[int, int]:
        """Delete expired sign-in sessions and forgotten sign-in failure counters (hourly, with
        the purge check; also when the retention purge is off). Returns both counts."""
        from hq.sessions import prune_sessions
        from hq.throttle import prune_failures

        ended, forgotten = prune_sessions(self.hq), prune_failures(self.hq)
        if ended or forgotten:
            log.info("Housekeeping: %d expired sessions, %d sign-in counters", ended, forgotten)
        return ended, forgotten

    def make_digests(self, now: datetime) -> int:
        # Each store's items wait for its own local digest hour (alerts of no store: UTC).
        hour = self.config.digest_hour_utc
        boundaries: dict[str, datetime] = {}
        boundary = digest_boundary(now, hour=hour)
        with self.hq.db.writing() as s:
            held = s.execute(
                select(
                    DeliveryRow.id,
                    DeliveryRow.channel,
                    DeliveryRow.target,
                    DeliveryRow.body,
                    DeliveryRow.created_at,
                    StoreRow.time_zone,
                )
                .outerjoin(AlertRow, AlertRow.id == DeliveryRow.alert_id)
                .outerjoin(StoreRow, StoreRow.store_id == AlertRow.store_id)
                .where(DeliveryRow.status == "held", DeliveryRow.created_at < now)
                .order_by(DeliveryRow.created_at, DeliveryRow.id)
            ).all()
            groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
            group_zones: dict[tuple[str, str], set[str]] = {}
            for did, channel, target, held_body, created, tz in held:
                tz = tz or "UTC"
                if tz not in boundaries:
                    boundaries[tz] = digest_boundary(now, hour=hour, tz=tz)
                if created < boundaries[tz]:
                    groups.setdefault((channel, target), []).append((did, held_body))
                    group_zones.setdefault((channel, target), set()).add(tz)
            for (channel, target), items in sorted(groups.items()):
                # `until` stays ISO UTC (machines); `until_local` is each of the digest's
                # stores' own digest hour, local with the zone's abbreviation (people).
                until_local = " / ".join(
                    dict.fromkeys(
                        local_time(boundaries[tz], tz)
                        for tz in sorted(
                            group_zones[(channel, target)], key=lambda z: (boundaries[z], z)
                        )
                    )
                )
                digest_id = new_id()
                body = {
                    "type": "nps.alert_digest",
                    "id": digest_id,
                    "created_at": now.isoformat(timespec="seconds") + "Z",
                    "until": boundary.isoformat(timespec="seconds") + "Z",
                    "until_local": until_local,
                    "alerts": [json.loads(b) for _id, b in items],
                }
                ids = [i for i, _b in items]
                done = s.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id.in_(ids), DeliveryRow.status == "held")
                    .values(status="digested", digest_id=digest_id)
                )
                if done.rowcount != len(ids):  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
                    raise DeliveryError("Another HQ process is making this digest; retrying.")
                s.add(
                    DeliveryRow(
                        id=digest_id,
                        channel=channel,
                        target=target,
                        kind="digest",
                        body=json.dumps(body, sort_keys=True, separators=(",", ":")),
                        status="pending",
                        attempts=0,
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
        return len(groups)

    def _claim(self, now: datetime) -> list[str]:
        lease = now + timedelta(seconds=self.config.lease_s)
        free = or_(DeliveryRow.locked_until.is_(None), DeliveryRow.locked_until < now)
        claimed = []
        with self.hq.db.writing() as s:
            due = s.scalars(
                select(DeliveryRow.id)
                .where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now, free)
                .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
                .limit(self.config.batch)
            ).all()
            for did in due:
                done = s.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id == did, DeliveryRow.status == "pending", free)
                    .values(locked_until=lease)
                )
                if done.rowcount == 1:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
                    claimed.append(did)
        return claimed

    def _deliver(self, delivery_id: str) -> int:
        with self.hq.db.reading() as s:
            row = s.get(DeliveryRow, delivery_id)
            assert row is not None
            channel, target, body, attempts, created = (
                row.channel,
                row.target,
                row.body,
                row.attempts,
                row.created_at,
            )
            hook = s.get(WebhookRow, target) if channel == "webhook" else None
            hook_url = hook.url if hook is not None and hook.disabled_at is None else None
            hook_salt = hook.secret_salt if hook is not None else ""
        started = time.monotonic()
        try:
            if channel == "webhook":
                if hook_url is None:
                    raise DeliveryError(f"Webhook {target!r} is unknown or disabled.")
                detail = self._post(
                    delivery_id,
                    body,
                    url=hook_url,
                    secret=webhook_secret(self.hq.server_key, name=target, salt=hook_salt),
                )
            else:
                msg = build_message(
                    body, to=target, sender=self.config.smtp.sender, delivery_id=delivery_id
                )
                detail = send(self.config.smtp, msg)
            ok = True
        except DeliveryError as exc:
            ok, detail = False, str(exc)
        ms = int((time.monotonic() - started) * 1000)
        now = self.clock()
        values: dict[str, Any] = {"attempts": attempts + 1, "locked_until": None}
        if ok:
            values.update(status="sent", sent_at=now, last_error=None)
        elif now - created >= self.config.give_up_after:
            values.update(status="failed", last_error=detail)
        else:
            cap = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2**attempts)
            values.update(
                next_attempt_at=now + timedelta(seconds=self.rng.uniform(0, cap)),
                last_error=detail,
            )
        with self.hq.db.writing() as s:
            s.add(
                DeliveryAttemptRow(
                    delivery_id=delivery_id, at=now, ok=ok, detail=detail[:500], duration_ms=ms
                )
            )
            s.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values))
        if not ok:
            log.info("Delivery %s to %s failed: %s", delivery_id, target, detail)
        return int(ok)

    def _post(self, delivery_id: str, body: str, *, url: str, secret: bytes) -> str:
        data = body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "nps-hq-webhooks/1",
            SIGNATURE_HEADER: sign(data, secret=secret, timestamp=int(time.time())),
            DELIVERY_HEADER: delivery_id,
        }
        try:
            if not self.hq.config.allow_private_webhooks:
                check_url(url)  # again here: also when a proxy, not HQ, connects
            # A redirect is not followed: it could point HQ at an address it may not post to.
            resp = self.session.post(
                url,
                data=data,
                headers=headers,
                timeout=self.config.webhook_timeout_s,
                allow_redirects=False,
            )
        except PrivateAddress as exc:
            raise DeliveryError(f"refused: {exc}") from exc
        except requests.ConnectionError as exc:
            raise DeliveryError("cannot connect: the receiver is down or unreachable") from exc
        except requests.Timeout as exc:
            raise DeliveryError(f"no answer in {self.config.webhook_timeout_s:g} s") from exc
        except requests.RequestException as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300]) from exc
        if resp.is_redirect or 300 <= resp.status_code < 400:
            where = resp.headers.get("Location", "?")[:200]
            raise DeliveryError(
                f"HTTP {resp.status_code} redirect to {where} not followed: set the webhook's "
                "URL to the receiver's final address"
            )
        if not 200 <= resp.status_code < 300:
            raise DeliveryError(f"HTTP {resp.status_code} {resp.reason}")
        return f"HTTP {resp.status_code}"


# The delivery log ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    at: datetime
    ok: bool
    detail: str
    duration_ms: int


@dataclass(frozen=True)
class DeliveryLine:
    id: str
    alert_id: str | None
    kind: str
    channel: str
    target: str
    status: str
    attempts: tuple[Attempt, ...]
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    summary: str


def delivery_log(hq: Hq, *, limit: int = 100) -> list[DeliveryLine]:
    """The newest deliveries (digest items folded into their digest) with every attempt."""
    from hq.models import AlertRow

    with hq.db.reading() as s:
        rows = s.execute(
            select(DeliveryRow, AlertRow.summary)
            .outerjoin(AlertRow, AlertRow.id == DeliveryRow.alert_id)
            .where(DeliveryRow.status != "digested")
            .order_by(DeliveryRow.created_at.desc(), DeliveryRow.id.desc())
            .limit(limit)
        ).all()
        ids = [r[0].id for r in rows]
        attempts: dict[str, list[Attempt]] = {}
        if ids:
            for a in s.scalars(
                select(DeliveryAttemptRow)
                .where(DeliveryAttemptRow.delivery_id.in_(ids))
                .order_by(DeliveryAttemptRow.id)
            ):
                attempts.setdefault(a.delivery_id, []).append(
                    Attempt(at=a.at, ok=a.ok, detail=a.detail, duration_ms=a.duration_ms)
                )
    lines = []
    for d, summary in rows:
        if d.kind == "digest":
            summary = f"Daily digest of {len(json.loads(d.body)['alerts'])} alerts"
        lines.append(
            DeliveryLine(
                id=d.id,
                alert_id=d.alert_id,
                kind=d.kind,
                channel=d.channel,
                target=d.target,
                status=d.status,
                attempts=tuple(attempts.get(d.id, ())),
                created_at=d.created_at,
                next_attempt_at=d.next_attempt_at,
                sent_at=d.sent_at,
                summary=summary or "",
            )
        )
    return lines
