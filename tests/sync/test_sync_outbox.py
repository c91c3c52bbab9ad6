"""The outbox against a real HQ on 127.0.0.1: enrollment, exactly-once upload, duplicates,
quarantine and resend, backoff on 5xx/429/network errors, the stop on 401, a clock an hour off,
and HQ down for hours with a backlog."""

from __future__ import annotations

import random
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from faultproxy import FaultProxy
from synckit import (
    Hq,
    add_responses,
    complete_ids,
    free_port,
    fresh_db,
    local_hashes,
    local_states,
    session,
)

from kiosk import credentials
from kiosk.db import Database, utcnow
from kiosk.recording import Completion, FollowUp, Recorder
from sync.client import HqClient
from sync.errors import EnrollmentFailed
from sync.ledger import SyncState, SyncStore
from sync.outbox import MAX_DELAY_S, REFUSED_MESSAGE, Outbox, StepKind, enroll_kiosk, outbox_for


@pytest.fixture
def kiosk(template_db: Path, tmp_path: Path) -> Database:
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    yield db
    db.close()


def enroll(db: Database, hq: Hq, **kw: object) -> None:
    with session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s, **kw)  # type: ignore[arg-type]


def test_new_kiosk_enrolls_and_its_answers_reach_hq_exactly_once(kiosk: Database, hq: Hq) -> None:
    rec = Recorder(kiosk)
    # Answers made before enrollment, under the kiosk's provisional ids, are not lost.
    for score in (10, 3, 8):
        r = rec.record_score(score=score, language="en", time_to_answer_ms=2000)
        rec.complete(
            r.id,
            how=Completion.DONE,
            follow_up=FollowUp(reasons=("staff",), comment="Quick and kind"),
        )
    unfinished = rec.record_score(score=9, language="hi", time_to_answer_ms=1500)

    enroll(kiosk, hq)
    creds = credentials.load(kiosk.path)
    path = credentials.credentials_path(kiosk.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert creds.device_token not in repr(creds)
    settings = kiosk.settings()
    assert (settings.store_id, settings.device_id) == (creds.store_id, creds.device_id)
    assert SyncStore(kiosk).overview().state is SyncState.NEVER

    with session() as s:
        report = outbox_for(kiosk, session=s).drain(max_failures=1)
    assert report.last.kind is StepKind.IDLE
    assert report.synced == 3 and report.rejected == 0
    held = hq.rows(creds.device_id)
    assert held == local_hashes(kiosk)  # the same three, with the same content
    assert unfinished.id not in held  # only complete answers go up
    overview = SyncStore(kiosk).overview()
    assert overview.state is SyncState.ONLINE and overview.pending == 0
    assert [(b.size, b.accepted, b.duplicate, b.rejected) for b in overview.batches] == [
        (3, 3, 0, 0)
    ]

    # The customer finishes; the next sync sends just that one.
    rec.complete(unfinished.id, how=Completion.SKIP)
    with session() as s:
        report = outbox_for(kiosk, session=s).drain(max_failures=1)
    assert report.synced == 1
    assert set(hq.rows(creds.device_id)) == complete_ids(kiosk)


def test_an_answer_sent_twice_is_a_duplicate_not_a_second_row(kiosk: Database, hq: Hq) -> None:
    enroll(kiosk, hq)
    add_responses(kiosk, 12)
    with session() as s:
        outbox_for(kiosk, session=s, batch_size=5).drain(max_failures=1)
    device = kiosk.settings().device_id
    before = hq.rows(device)
    # As if the kiosk never heard HQ's answers (a lost reply): everything goes again.
    with kiosk.write_connection() as conn:
        conn.exec_driver_sql("UPDATE responses SET sync_state = 'pending'")
    with session() as s:
        report = outbox_for(kiosk, session=s, batch_size=5).drain(max_failures=1)
    assert [(b.accepted, b.duplicate) for b in report.batches] == [(0, 5), (0, 5), (0, 2)]
    assert hq.rows(device) == before and len(before) == 12
    assert local_states(kiosk) == {"synced": 12}


def test_reading_ahead_sends_each_answer_once_and_still_finds_stragglers(
    kiosk: Database, hq: Hq
) -> None:
    enroll(kiosk, hq)
    ids = add_responses(kiosk, 12)
    device = kiosk.settings().device_id
    with session() as s:
        outbox = outbox_for(kiosk, session=s, batch_size=5)
        first = outbox.step()  # sends 1-5; reads 6-10 ahead while HQ works
        assert first.kind is StepKind.SENT and first.batch is not None
        assert first.batch.accepted == 5
        # An answer of the first batch is unacknowledged again (as if HQ's reply had not
        # named it): the batch read ahead does not hold it, but the drain must not end
        # without it.
        with kiosk.write_connection() as conn:
            conn.exec_driver_sql(
                "UPDATE responses SET sync_state = 'pending' WHERE id = ?", (ids[0],)
            )
        report = outbox.drain(max_failures=1)
    assert report.last.kind is StepKind.IDLE
    assert [(b.accepted, b.duplicate) for b in report.batches] == [(5, 0), (2, 0), (0, 1)]
    assert set(hq.rows(device)) == set(ids)  # each once (rows() fails on a second copy)
    assert local_states(kiosk) == {"synced": 12}


def test_rejected_answer_is_quarantined_listed_and_can_be_sent_again(
    kiosk: Database, hq: Hq
) -> None:
    enroll(kiosk, hq)
    ids = add_responses(kiosk, 4)
    # HQ already holds a *different* answer under one of these ids: a conflict.
    with kiosk.write_connection() as conn:
        conn.exec_driver_sql("UPDATE responses SET comment = 'original' WHERE id = ?", (ids[1],))
    with session() as s:
        outbox = outbox_for(kiosk, session=s)
        outbox.drain(max_failures=1)
    with kiosk.write_connection() as conn:
        conn.exec_driver_sql(
            "UPDATE responses SET comment = 'edited', sync_state = 'pending' WHERE id = ?",
            (ids[1],),
        )
    with session() as s:
        report = outbox_for(kiosk, session=s).drain(max_failures=1)
    assert report.rejected == 1
    overview = SyncStore(kiosk).overview()
    assert overview.quarantined_count == 1
    q = overview.quarantined[0]
    assert q.id == ids[1] and "conflict" in q.reason
    assert overview.pending == 0  # quarantined is not pending: it does not block the outbox

    # Resending without fixing the cause quarantines it again, with the reason kept.
    store = SyncStore(kiosk)
    assert store.resend_quarantined() == 1
    with session() as s:
        outbox_for(kiosk, session=s).drain(max_failures=1)
    assert store.overview().quarantined_count == 1
    # Once fixed (the kiosk's copy restored), it goes through and counts as delivered.
    with kiosk.write_connection() as conn:
        conn.exec_driver_sql("UPDATE responses SET comment = 'original' WHERE id = ?", (ids[1],))
    assert store.resend_quarantined([ids[1]]) == 1
    with session() as s:
        report = outbox_for(kiosk, session=s).drain(max_failures=1)
    assert [(b.duplicate, b.rejected) for b in report.batches] == [(1, 0)]
    assert local_states(kiosk) == {"synced": 4}


def test_hq_refusing_the_device_stops_syncing_with_a_plain_message(kiosk: Database, hq: Hq) -> None:
    enroll(kiosk, hq)
    add_responses(kiosk, 3)
    hq.hq.revoke_device(kiosk.settings().device_id)
    proxy = FaultProxy(hq.base)
    try:
        slept: list[float] = []
        with session() as s:
            creds = credentials.load(kiosk.path)
            outbox = Outbox(
                kiosk,
                HqClient(proxy.base, session=s, token=creds.device_token),
                device_id=creds.device_id,
                sleep=slept.append,
            )
            report = outbox.drain()  # no failure limit: it must stop by itself
    finally:
        proxy.close()
    assert report.last.kind is StepKind.REFUSED
    assert len(proxy.seen) == 1 and slept == []  # one request, no hammering
    overview = SyncStore(kiosk).overview()
    assert overview.state is SyncState.REFUSED
    assert overview.status.last_error is not None
    assert overview.status.last_error.startswith(REFUSED_MESSAGE)
    assert overview.pending == 3  # nothing lost

    # Enrolling again clears the refusal and the same answers go through.
    enroll(kiosk, hq)
    assert SyncStore(kiosk).overview().state is SyncState.NEVER
    with session() as s:
        report = outbox_for(kiosk, session=s).drain(max_failures=1)
    assert report.synced == 3


def test_errors_back_off_with_full_jitter_honour_retry_after_and_reset_on_success(
    kiosk: Database, hq: Hq
) -> None:
    enroll(kiosk, hq)
    add_responses(kiosk, 6)
    proxy = FaultProxy(hq.base)
    proxy.load(["503", "429", "500", "drop_before", "drop_after", "timeout", "503"])
    slept: list[float] = []
    try:
        with session() as s:
            creds = credentials.load(kiosk.path)
            client = HqClient(proxy.base, session=s, token=creds.device_token, timeout=(2.0, 0.5))
            outbox = Outbox(
                kiosk,
                client,
                device_id=creds.device_id,
                sleep=slept.append,
                rand=lambda: 1.0,
                batch_size=3,
            )
            report = outbox.drain()
            assert outbox.backoff.failures == 0  # reset by the success
    finally:
        proxy.close()
    # rand() = 1 gives the ceiling of each full-jitter window: 1, 2, 4, 8... s, but never less
    # than Retry-After (1 s for 503, 2 s for 429).
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
    assert report.synced == 6
    assert set(hq.rows(creds.device_id)) == complete_ids(kiosk)


def test_backoff_is_capped_at_five_minutes_and_jittered() -> None:
    from sync.outbox import Backoff

    rng = random.Random(7)
    b = Backoff(rand=rng.random)
    delays = [b.next_delay() for _ in range(40)]
    assert all(0 <= d <= MAX_DELAY_S for d in delays)
    assert max(delays[10:]) > 200 and len(set(delays)) == 40  # capped, and spread out
    assert b.next_delay(retry_after=7200) == 3600  # an absurd Retry-After is bounded


def test_hq_down_for_hours_with_a_backlog_loses_nothing_and_does_not_hammer(
    kiosk: Database, hq: Hq
) -> None:
    enroll(kiosk, hq)
    add_responses(kiosk, 5000)
    now = [utcnow()]
    start = now[0]

    def clock() -> datetime:
        return now[0]

    def sleep(seconds: float) -> None:
        now[0] += timedelta(seconds=seconds)

    creds = credentials.load(kiosk.path)
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused
    with session() as s:
        outbox = Outbox(
            kiosk,
            HqClient(dead, session=s, token=creds.device_token),
            device_id=creds.device_id,
            clock=clock,
            sleep=sleep,
            rand=random.Random(3).random,
        )
        down = outbox.drain(stop=lambda: now[0] - start > timedelta(hours=6))
        attempts = down.failures
        overview = SyncStore(kiosk).overview(now=now[0])
        assert overview.state is SyncState.WAITING and overview.pending == 5000
        assert overview.status.next_attempt_at is not None
        assert "Cannot reach HQ" in (overview.status.last_error or "")
        # Six hours of capped, jittered backoff: about one try every 150 s, not thousands.
        assert max(down.delays) <= MAX_DELAY_S
        assert 90 <= attempts <= 300

        # HQ is back: the same outbox drains the backlog in batches of 500, exactly once.
        outbox.client.base_url = hq.base
        up = outbox.drain(max_failures=1)
    assert up.last.kind is StepKind.IDLE
    assert [b.size for b in up.batches] == [500] * 10
    assert hq.rows(creds.device_id).keys() == complete_ids(kiosk)
    overview = SyncStore(kiosk).overview(now=now[0])
    assert overview.state is SyncState.ONLINE and overview.status.failures == 0


def test_a_kiosk_clock_an_hour_ahead_keeps_both_times_at_hq(kiosk: Database, hq: Hq) -> None:
    enroll(kiosk, hq)

    def ahead() -> datetime:
        return utcnow() + timedelta(hours=1)

    rec = Recorder(kiosk, clock=ahead)
    r = rec.record_score(score=9, language="en", time_to_answer_ms=1800)
    rec.complete(r.id, how=Completion.DONE)
    with session() as s:
        outbox_for(kiosk, session=s, clock=ahead).drain(max_failures=1)
    with hq.hq.db.engine.connect() as conn:
        device_time, received = conn.exec_driver_sql(
            "SELECT device_time, received_at FROM responses WHERE id = ?", (r.id,)
        ).one()
    device_time, received = (
        datetime.fromisoformat(str(device_time)),
        datetime.fromisoformat(str(received)),
    )
    assert abs((device_time - received).total_seconds() - 3600) < 120  # both kept
    offset = SyncStore(kiosk).status().clock_offset_s
    assert offset is not None and abs(offset + 3600) < 120  # HQ is an hour behind this kiosk


def test_a_wrong_enrollment_code_says_what_to_do(kiosk: Database, hq: Hq) -> None:
    with session() as s, pytest.raises(EnrollmentFailed, match="nps-hq enroll-device"):
        enroll_kiosk(kiosk, hq_url=hq.base, code="NOPE-NOPE", session=s)
    assert credentials.load_or_none(kiosk.path) is None
    assert SyncStore(kiosk).overview().state is SyncState.NOT_ENROLLED
