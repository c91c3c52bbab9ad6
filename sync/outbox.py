"""The outbox drain: complete responses to HQ in seq order, at most 500 a batch, each result
applied in one transaction; backoff with full jitter on network errors, 5xx and 429; a stop on
401/403; the clock offset from HQ's server_time. Also enrollment and the pull of phone answers.

Waiting is injected (``sleep``, ``rand``, ``clock``) so that tests run hours of backoff in
milliseconds; the GUI's worker calls :meth:`Outbox.step` and does its waiting on a Qt timer.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import requests
from pydantic import ValidationError

from core.ids import uuid7
from core.profile import StoreProfileV1
from core.protocol import (
    MAX_BATCH,
    BatchReplyV1,
    BatchV1,
    CaseUpdateV1,
    ProtocolName,
    ResponseV1,
    decode_secret,
    describe,
)
from core.said import Said, said_of
from kiosk import credentials as creds_file
from kiosk import followups, privacy
from kiosk.credentials import Credentials, NotEnrolled
from kiosk.db import Database, utcnow
from kiosk.profile import receive as receive_profile
from kiosk.profile import stored_version
from sync.client import DEFAULT_TIMEOUT, HqClient, check_transport, normal_url, sends_in_clear
from sync.errors import DeviceRefused, HqBusy, HqRejected, HqRequestError
from sync.health import collect as collect_health
from sync.ledger import BatchRecord, SyncStore

log = logging.getLogger(__name__)
BASE_DELAY_S = 1.0
MAX_DELAY_S = 300.0  # 5 minutes
MAX_RETRY_AFTER_S = 3600.0  # a Retry-After longer than this is taken as this
REFUSED = Said("HQ refused this device: enroll it again")
REFUSED_MESSAGE = str(REFUSED)
RECOUNT_EVERY = 20  # batches between two counts of the backlog sent to HQ as a hint
PREFETCH_TTL_S = 2.0  # a batch read ahead is used only by the step right after (a drain)


class Backoff:
    """Exponential backoff with full jitter: delay = random(0, min(cap, base * 2^failures)),
    at least HQ's Retry-After when it gives one. ``reset`` after a success."""

    def __init__(
        self,
        *,
        base_s: float = BASE_DELAY_S,
        cap_s: float = MAX_DELAY_S,
        rand: Callable[[], float] = random.random,
        failures: int = 0,
    ) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.rand = rand
        self.failures = failures

    def next_delay(self, retry_after: float | None = None) -> float:
        ceiling = min(self.cap_s, self.base_s * 2.0 ** min(self.failures, 30))
        self.failures += 1
        delay = float(self.rand()) * ceiling
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER_S))
        return delay

    def reset(self) -> None:
        self.failures = 0


class StepKind(StrEnum):
    SENT = "sent"  # a batch went through; more may wait
    IDLE = "idle"  # nothing to send
    BACKOFF = "backoff"  # it failed; try again after delay_s
    REFUSED = "refused"  # HQ refused the device: stop until it is enrolled again
    NOT_ENROLLED = "not_enrolled"


@dataclass(frozen=True)
class StepResult:
    kind: StepKind
    batch: BatchRecord | None = None
    delay_s: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class DrainReport:
    batches: tuple[BatchRecord, ...]
    failures: int
    delays: tuple[float, ...]
    last: StepResult

    @property
    def synced(self) -> int:
        return sum(b.accepted + b.duplicate for b in self.batches)

    @property
    def rejected(self) -> int:
        return sum(b.rejected for b in self.batches)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _wire(row: dict[str, Any]) -> dict[str, Any]:
    d = dict(row)
    t = d["device_time"]
    d["device_time"] = _aware(t) if isinstance(t, datetime) else str(t).replace(" ", "T") + "Z"
    return d


class Outbox:
    """Drains one kiosk database's outbox to HQ through ``client``."""

    def __init__(
        self,
        db: Database,
        client: HqClient,
        *,
        device_id: str,
        clock: Callable[[], datetime] = utcnow,
        rand: Callable[[], float] = random.random,
        sleep: Callable[[float], None] = time.sleep,
        batch_size: int = MAX_BATCH,
        base_s: float = BASE_DELAY_S,
        cap_s: float = MAX_DELAY_S,
        secret: bytes | None = None,
        protocol: ProtocolName = "v2",
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size is 1 to {MAX_BATCH}")
        self.db = db
        self.store = SyncStore(db)
        self.client = client
        self.device_id = device_id
        self.clock = clock
        self.sleep = sleep
        self.batch_size = batch_size
        failures = self.store.status().failures
        self.backoff = Backoff(base_s=base_s, cap_s=cap_s, rand=rand, failures=failures)
        self._pending_hint: int | None = None
        self._since_count = 0
        self._prefetched: tuple[float, list[ResponseV1]] | None = None
        # Protocol v2 (health, survey_version, the store profile) unless HQ turns out to be a
        # v1 HQ: it refuses a v2 batch (422), then this outbox speaks v1 to it.
        self.protocol: ProtocolName = protocol
        self.secret = secret  # the device secret: checks the store profile's signature
        self.reported_profile_version: int | None = None  # from the last batch reply
        self.profiles_unsupported = False  # HQ has no GET /api/v1/profile (a v1 HQ)
        # HQ has no erasures (no GET /api/v1/erasures, or it refused a batch's ``erasures``):
        # the kiosk's erasures stay queued and nothing is pulled from this HQ.
        self.erasures_unsupported = False
        # HQ has no follow-up cases (no GET /api/v1/cases, or it refused a batch's ``cases``):
        # the kiosk's case changes stay pending and nothing is pulled from this HQ.
        self.cases_unsupported = False

    def _erasures_to_send(self, *, alone: bool) -> list[str] | None:
        """Queued erasures for the next batch (protocol v2 only); ``alone``: the batch has no
        responses, so only those not sent in the last minutes ride."""
        if self.protocol != "v2" or self.erasures_unsupported:
            return None
        ids = privacy.queued(self.db, limit=MAX_BATCH, alone=alone, now=self.clock())
        return ids or None

    def _cases_to_send(self, *, alone: bool) -> list[followups.PendingCase] | None:
        """Case changes HQ has not taken, for the next batch (protocol v2 only); ``alone``: the
        batch carries nothing else, so only those not sent in the last minutes ride."""
        if self.protocol != "v2" or self.cases_unsupported:
            return None
        cases = []
        for case in followups.pending(self.db, limit=MAX_BATCH, alone=alone, now=self.clock()):
            try:
                _case_update(case.change)
            except ValidationError as exc:  # cannot be sent (e.g. a NUL in the note): skip it
                log.warning("Case %s cannot be sent: %s", case.change.response_id, describe(exc))
                continue
            cases.append(case)
        return cases or None

    def _batch(
        self,
        responses: list[ResponseV1],
        *,
        started: datetime,
        erasures: list[str] | None = None,
        cases: list[followups.PendingCase] | None = None,
    ) -> BatchV1:
        health = None
        if self.protocol == "v2":
            try:
                health = collect_health(self.db, now=started)
            except Exception:  # health is a courtesy: never let it stop an upload
                log.warning("Device health could not be read", exc_info=True)
        else:
            responses = [
                r.model_copy(update={"survey_version": None, "consent_text": None})
                for r in responses
            ]
        pending = self._pending_after(len(responses))
        if health is not None:  # the backlog once this batch is in, as ``pending`` says
            health = health.model_copy(update={"backlog": pending})
        return BatchV1(
            protocol=self.protocol,
            batch_id=str(uuid7()),
            device_id=self.device_id,
            sent_at=_aware(started),
            responses=responses,
            pending=pending,
            health=health,
            erasures=erasures if self.protocol == "v2" else None,
            cases=[_case_update(c.change) for c in cases]
            if cases and self.protocol == "v2"
            else None,
        )

    def _pending_after(self, sent: int) -> int:
        if self._pending_hint is None or self._since_count >= RECOUNT_EVERY:
            self._pending_hint = self.store.pending_count()
            self._since_count = 0
        self._since_count += 1
        return max(0, self._pending_hint - sent)

    def _next_checked(self, after_seq: int | None = None) -> list[ResponseV1]:
        """The next batch (after ``after_seq`` if given), checked against the protocol; a row
        that fails is quarantined here (with the reason) instead of blocking the outbox."""
        while True:
            rows = self.store.next_batch(self.batch_size, after_seq=after_seq)
            good: list[ResponseV1] = []
            bad: list[tuple[str, str]] = []
            for row in rows:
                try:
                    good.append(ResponseV1.model_validate(_wire(row)))
                except ValidationError as exc:
                    bad.append((row["id"], f"invalid on this kiosk: {describe(exc)}"))
            if not bad:
                return good
            log.warning("Quarantined %d responses that cannot be sent", len(bad))
            self.store.quarantine(bad)

    def discard_prefetched(self) -> None:
        """Forget a batch read ahead (the next step reads the outbox afresh)."""
        self._prefetched = None

    def _take_prefetched(self) -> list[ResponseV1] | None:
        ahead, self._prefetched = self._prefetched, None
        if ahead is None or time.monotonic() - ahead[0] > PREFETCH_TTL_S or not ahead[1]:
            return None  # none, stale, or empty: read afresh (that also finds stragglers)
        if len(ahead[1]) > self.batch_size:
            return None
        return ahead[1]

    def _post_reading_ahead(self, body: bytes, *, last_seq: int) -> BatchReplyV1:
        """POST the batch on a helper thread and, while HQ works on it, read and check the
        next batch (the responses after ``last_seq``, so never one that is in flight). Only
        one request is ever in flight, so batches still reach HQ one after another."""
        outcome: list[Any] = []

        def post() -> None:
            try:
                outcome.append(self.client.post_batch(body))
            except BaseException as exc:  # handed to the caller below
                outcome.append(exc)

        sender = threading.Thread(target=post, name="nps-sync-post", daemon=True)
        sender.start()
        try:
            self._prefetched = (time.monotonic(), self._next_checked(after_seq=last_seq))
        except Exception:  # reading ahead is an optimisation: the next step reads again
            log.debug("Reading the next batch ahead failed", exc_info=True)
            self._prefetched = None
        finally:
            sender.join()
        if isinstance(outcome[0], BaseException):
            self._prefetched = None
            raise outcome[0]
        reply: BatchReplyV1 = outcome[0]
        return reply

    def step(self) -> StepResult:
        """Send one batch (if any) and apply HQ's answer; never sleeps. While HQ works on the
        batch, the next one is read ahead for the step right after."""
        responses = self._take_prefetched() or self._next_checked()
        erasures = self._erasures_to_send(alone=not responses)
        cases = self._cases_to_send(alone=not responses and not erasures)
        if not responses and not erasures and not cases:
            self._pending_hint = 0
            return StepResult(StepKind.IDLE)
        started = self.clock()
        batch = self._batch(responses, started=started, erasures=erasures, cases=cases)
        try:
            while True:
                try:
                    reply = self._send(batch, responses)
                    break
                except HqRejected as exc:
                    if exc.status != 422 or self.protocol != "v2":
                        raise
                    self.discard_prefetched()
                    if batch.cases:
                        # A v2 HQ from before follow-up cases refuses the field: keep them
                        # pending, send the rest (never v1, never without the answers).
                        log.info("HQ refused a batch with cases (%s); sending none", exc)
                        self.cases_unsupported = True
                        cases = None
                        if not responses and not erasures:
                            return StepResult(StepKind.IDLE)
                    elif batch.erasures:
                        # A v2 HQ from before erasures refuses the field: keep them queued.
                        log.info("HQ refused a batch with erasures (%s); sending none", exc)
                        self.erasures_unsupported = True
                        erasures = None
                        if not responses and not cases:
                            return StepResult(StepKind.IDLE)
                    else:
                        # An HQ before protocol v2 refuses the whole v2 batch: speak v1 to it.
                        log.info("HQ refused a protocol v2 batch (%s); sending protocol v1", exc)
                        self.protocol = "v1"
                    batch = self._batch(responses, started=started, erasures=erasures, cases=cases)
        except DeviceRefused as exc:
            log.warning("%s", exc)
            self.store.record_failure(
                message=Said("{refused}. ({error})", refused=REFUSED, error=said_of(exc)),
                at=self.clock(),
                next_attempt_at=None,
                refused=True,
            )
            return StepResult(StepKind.REFUSED, error=REFUSED_MESSAGE)
        except HqRequestError as exc:
            if isinstance(exc, HqRejected) and exc.status == 413 and self.batch_size > 1:
                self.batch_size = max(1, self.batch_size // 2)  # too big for HQ: halve it
            retry_after = exc.retry_after if isinstance(exc, HqBusy) else None
            delay = self.backoff.next_delay(retry_after)
            now = self.clock()
            self.store.record_failure(
                message=said_of(exc), at=now, next_attempt_at=now + timedelta(seconds=delay)
            )
            return StepResult(StepKind.BACKOFF, delay_s=delay, error=str(exc))
        finished = self.clock()
        sent_ids = {r.id for r in responses}
        results = [(r.id, r.status, r.reason) for r in reply.results if r.id in sent_ids]
        server_time = _naive(reply.server_time)
        midpoint = started + (finished - started) / 2
        offset = (server_time - midpoint).total_seconds()
        if reply.clock_offset_s is not None:
            # HQ's own measure (protocol v2): the offset it corrects this till's answers by,
            # so the admin banner (kiosk.clock) says what HQ did.
            offset = reply.clock_offset_s
        record = self.store.apply_results(
            batch_id=batch.batch_id,
            results=results,
            server_time=server_time,
            at=finished,
            clock_offset_s=offset,
            recoveries_reported=(batch.health.recoveries_since_sync or 0) if batch.health else 0,
        )
        if batch.erasures and reply.erased:
            sent = set(batch.erasures)  # HQ confirmed these: they leave the queue
            privacy.confirmed(self.db, [rid for rid in reply.erased if rid in sent])
        if batch.cases and cases and reply.cases_taken:
            # Taken by HQ: each leaves the pending set unless changed again since it was read.
            took = set(reply.cases_taken)
            followups.taken(
                self.db,
                [(c.change.response_id, c.mark) for c in cases if c.change.response_id in took],
            )
        if reply.profile_version is not None:
            self.reported_profile_version = reply.profile_version
        self.backoff.reset()
        if self._pending_hint is not None:
            self._pending_hint = max(0, self._pending_hint - len(results))
        return StepResult(StepKind.SENT, batch=record)

    def _send(self, batch: BatchV1, responses: list[ResponseV1]) -> BatchReplyV1:
        """POST a batch (reading the next one ahead while HQ works, if it has responses); its
        erasures are marked sent first, so that a lost reply still counts as a try."""
        if batch.erasures:
            privacy.mark_sent(self.db, batch.erasures, at=self.clock())
        if batch.cases:
            followups.mark_sent(self.db, [c.response_id for c in batch.cases], at=self.clock())
        if not responses:
            return self.client.post_batch(batch.wire_json())
        return self._post_reading_ahead(batch.wire_json(), last_seq=responses[-1].seq)

    def drain(
        self, *, stop: Callable[[], bool] = lambda: False, max_failures: int | None = None
    ) -> DrainReport:
        """Send until nothing is left, HQ refuses the device, ``stop()`` says so, or
        ``max_failures`` failed attempts in a row; backing off (``sleep``) between failures."""
        batches: list[BatchRecord] = []
        delays: list[float] = []
        failures = 0
        in_a_row = 0
        while True:
            result = self.step()
            if result.kind is StepKind.SENT:
                assert result.batch is not None
                batches.append(result.batch)
                in_a_row = 0
                if stop():
                    break
            elif result.kind is StepKind.BACKOFF:
                failures += 1
                in_a_row += 1
                delays.append(result.delay_s)
                if (max_failures is not None and in_a_row >= max_failures) or stop():
                    break
                self.sleep(result.delay_s)
            else:
                break
        self.discard_prefetched()
        return DrainReport(
            batches=tuple(batches), failures=failures, delays=tuple(delays), last=result
        )

    # -- the store profile (protocol v2) ---------------------------------------------------------
    def sync_profile(self, *, reported: int | None = None) -> StoreProfileV1 | None:
        """Bring the store profile up to date; returns it when a newer one was applied.

        ``reported``: the version a batch reply named in this cycle. If it is not newer than
        the one kept, nothing is asked; if no batch was sent, one light check
        (``GET /api/v1/profile?have=N``, 204 when current) is the cycle's only extra request,
        and its 200 answer is the new profile itself. A refused profile (bad signature,
        another store's) raises kiosk.profile.ProfileRefused after it is recorded; network
        errors raise sync.errors.HqRequestError. Nothing is asked of a v1 HQ."""
        if self.secret is None or self.profiles_unsupported or self.protocol != "v2":
            return None
        have = stored_version(self.db)
        if reported is not None and have is not None and reported <= have:
            return None
        try:
            signed = self.client.get_profile(have=have)
        except HqRejected as exc:
            if exc.status in (404, 405):
                log.info("HQ keeps no store profiles (%s): not asking again", exc)
                self.profiles_unsupported = True
                return None
            raise
        if signed is None:
            return None
        return receive_profile(self.db, signed, secret=self.secret, at=self.clock())

    # -- erasures at HQ (protocol v2) -------------------------------------------------------------
    def sync_erasures(self) -> privacy.ScrubResult | None:
        """Pull one page of the store's erasures at HQ after the stored cursor and scrub those
        responses here (contact details, comment, case note; secure_delete and a WAL
        truncate), storing the new cursor in the same transaction. One request a cycle (a
        longer backlog continues next cycle); nothing is asked of an HQ without erasures (404:
        not asked again) or of a v1 HQ. Returns what was scrubbed, None if nothing was asked.
        Network errors raise sync.errors.HqRequestError."""
        if self.erasures_unsupported or self.protocol != "v2":
            return None
        cursor = self.store.status().erasure_cursor
        page = _unless_unkept(lambda: self.client.erasures(after=cursor), "erasures")
        if page is None:
            self.erasures_unsupported = True
            return None
        if not page.erasures and page.cursor == cursor:
            return privacy.ScrubResult(response_ids=(), wal_truncated=True)
        return privacy.erase(
            self.db,
            [e.response_id for e in page.erasures],
            source="hq",
            at=self.clock(),
            cursor=page.cursor,
        )

    # -- follow-up cases changed at HQ (protocol v2) -----------------------------------------------
    def sync_cases(self) -> followups.PullResult | None:
        """Pull one page of the store's case changes at HQ after the stored cursor and apply
        each one later than the kiosk's copy, storing the new cursor in the same transaction.
        One request a cycle (a longer backlog continues next cycle); nothing is asked of an HQ
        without cases (404: not asked again) or of a v1 HQ. Returns what was applied, None if
        nothing was asked. Network errors raise sync.errors.HqRequestError."""
        if self.cases_unsupported or self.protocol != "v2":
            return None
        cursor = self.store.status().case_cursor
        page = _unless_unkept(lambda: self.client.cases(after=cursor), "follow-up cases")
        if page is None:
            self.cases_unsupported = True
            return None
        if not page.cases and page.cursor == cursor:
            return followups.PullResult(applied=(), kept=(), unknown=0)
        return followups.apply_from_hq(
            self.db,
            [
                followups.CaseChange(
                    response_id=c.response_id,
                    state=followups.CaseState(c.state),
                    note=c.note,
                    changed_by=c.changed_by,
                    changed_at=c.changed_at,
                )
                for c in page.cases
            ],
            cursor=page.cursor,
            at=self.clock(),
        )

    def sync_cases_first(self) -> followups.PullResult | None:
        """Before a cycle sends case changes: pull HQ's first (one request, only when a change
        made here is pending), so that an HQ change that the kiosk's later one replaces at HQ
        is still seen and audited here (HQ lists a case's latest change only, and not back to
        the device that made it). None when nothing was asked."""
        if self.cases_unsupported or self.protocol != "v2":
            return None
        if not followups.pending_count(self.db):
            return None
        return self.sync_cases()


_Page = TypeVar("_Page")


def _unless_unkept(fetch: Callable[[], _Page], what: str) -> _Page | None:
    """One page from HQ, or None from an HQ that keeps no ``what`` (404 or 405: an HQ from
    before it; the caller stops asking). Other refusals and network errors raise."""
    try:
        return fetch()
    except HqRejected as exc:
        if exc.status in (404, 405):
            log.info("HQ keeps no %s (%s): not asking again", what, exc)
            return None
        raise


def _case_update(change: followups.CaseChange) -> CaseUpdateV1:
    return CaseUpdateV1(
        response_id=change.response_id,
        state=change.state.value,
        note=change.note,
        changed_by=change.changed_by,
        changed_at=_aware(change.changed_at),
    )


# -- phone answers ------------------------------------------------------------------------------


def pull_phone_answers(
    db: Database,
    client: HqClient,
    *,
    store_id: str,
    clock: Callable[[], datetime] = utcnow,
    max_pages: int = 100,
) -> int:
    """Fetch this store's phone (QR) answers that HQ has and this kiosk does not; returns how
    many were new. Resumes from the stored cursor; safe to repeat."""
    store = SyncStore(db)
    cursor = store.status().phone_cursor
    new = 0
    for _ in range(max_pages):
        page = client.phone_responses(store_id, after=cursor)
        answers = [
            {**r.model_dump(), "device_time": _naive(r.device_time)}
            for r in page.responses
            if r.store_id == store_id
        ]
        new += store.store_phone_answers(answers, cursor=page.cursor, at=clock())
        cursor = page.cursor
        if not page.has_more:
            break
    return new


# -- enrollment and wiring ------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrollment:
    hq_url: str
    store_id: str
    device_id: str
    adopted: int  # responses recorded before enrollment, now sent under this device
    credentials_file: Path
    clock_offset_s: float


def enroll_kiosk(
    db: Database,
    *,
    hq_url: str,
    code: str,
    session: requests.Session,
    ca_bundle: str | None = None,
    public_url: str | None = None,
    insecure_http: bool = False,
    clock: Callable[[], datetime] = utcnow,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> Enrollment:
    """Enroll this kiosk with a one-time code: the token and secret go to the credentials file
    (mode 0600, next to the database), the store and device ids to the settings.
    ``insecure_http`` allows http:// to another machine (closed test networks); it is kept in
    the credentials file so that later syncs accept the same address."""
    url = check_transport(hq_url, insecure_http=insecure_http)
    if ca_bundle and not Path(ca_bundle).is_file():
        raise HqRejected(
            f"The CA bundle {ca_bundle} does not exist; give the path of the PEM "
            "file of the CA that signed HQ's certificate.",
            status=0,
        )
    client = HqClient(
        url,
        session=session,
        ca_bundle=ca_bundle or None,
        timeout=timeout,
        insecure_http=insecure_http,
    )
    reply = client.enroll(code)
    now = clock()
    path = creds_file.save(
        db.path,
        Credentials(
            hq_url=url,
            device_id=reply.device_id,
            store_id=reply.store_id,
            device_token=reply.device_token,
            device_secret=decode_secret(reply.device_secret),
            enrolled_at=now,
            insecure_http=insecure_http and sends_in_clear(url),
        ),
    )
    store = SyncStore(db)
    adopted = store.record_enrollment(
        hq_url=url,
        public_url=normal_url(public_url) if public_url else None,
        ca_bundle=ca_bundle or None,
        store_id=reply.store_id,
        device_id=reply.device_id,
        at=now,
    )
    offset = (_naive(reply.hq_time) - now).total_seconds()
    store.record_clock_offset(offset)
    return Enrollment(
        hq_url=url,
        store_id=reply.store_id,
        device_id=reply.device_id,
        adopted=adopted,
        credentials_file=path,
        clock_offset_s=offset,
    )


@dataclass(frozen=True)
class Connection:
    """What a sync needs for one database: its credentials and a client for its HQ."""

    credentials: Credentials
    client: HqClient


def connect(
    db: Database, *, session: requests.Session, timeout: tuple[float, float] = DEFAULT_TIMEOUT
) -> Connection:
    """A client for this kiosk's HQ from its credentials; NotEnrolled if there are none."""
    creds = creds_file.load(db.path)
    status = SyncStore(db).status()
    url = status.hq_url or creds.hq_url
    if not url:
        raise NotEnrolled("This kiosk is not enrolled at HQ yet.")
    client = HqClient(
        url,
        session=session,
        token=creds.device_token,
        ca_bundle=status.ca_bundle,
        timeout=timeout,
        insecure_http=creds.insecure_http,
    )
    return Connection(credentials=creds, client=client)


def outbox_for(db: Database, *, session: requests.Session, **kwargs: Any) -> Outbox:
    timeout = kwargs.pop("timeout", DEFAULT_TIMEOUT)
    conn = connect(db, session=session, timeout=timeout)
    return Outbox(
        db,
        conn.client,
        device_id=conn.credentials.device_id,
        secret=conn.credentials.device_secret,
        **kwargs,
    )
