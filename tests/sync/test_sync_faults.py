"""Nothing lost, nothing doubled: random fault schedules between the kiosk and a real HQ.

Each example is a fresh kiosk database and a freshly enrolled device, a few complete (and some
unfinished) answers, a batch size, and a schedule of faults that the proxy applies one per
request: connections dropped before forwarding or after HQ committed, 500, 503 and 429 with
Retry-After, timeouts after HQ committed, slow trickled replies. Afterwards HQ holds exactly the
kiosk's complete answers, once each and with the same content, and nothing is quarantined.
200 examples in a normal run; ``make soak`` (NPS_SOAK=1) runs 1000.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultproxy import FAULTS, FaultProxy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synckit import (
    Hq,
    add_responses,
    complete_ids,
    fresh_db,
    local_hashes,
    local_states,
    session,
    soak_examples,
)

from kiosk import credentials
from sync.client import HqClient
from sync.outbox import Outbox, StepKind, enroll_kiosk

_counter = itertools.count()


@pytest.fixture(scope="module")
def proxy(hq: Hq) -> Iterator[FaultProxy]:
    p = FaultProxy(hq.base)
    yield p
    p.close()


fault_lists = st.lists(st.sampled_from((*FAULTS, "ok", "ok")), max_size=8)


@pytest.mark.soak
@settings(
    max_examples=soak_examples(),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    complete=st.integers(1, 30),
    unfinished=st.integers(0, 3),
    batch_size=st.integers(1, 12),
    faults=fault_lists,
    seed=st.integers(0, 2**16),
)
def test_any_fault_schedule_delivers_each_answer_exactly_once(
    hq: Hq,
    proxy: FaultProxy,
    template_db: Path,
    tmp_path: Path,
    complete: int,
    unfinished: int,
    batch_size: int,
    faults: list[str],
    seed: int,
) -> None:
    path = tmp_path / f"kiosk-{next(_counter)}.db"
    db = fresh_db(template_db, path)
    try:
        with session() as s:
            enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
        add_responses(db, complete)
        add_responses(db, unfinished, complete=False)
        creds = credentials.load(path)
        proxy.load(faults)
        slept: list[float] = []
        with session() as s:
            client = HqClient(proxy.base, session=s, token=creds.device_token, timeout=(2.0, 0.3))
            outbox = Outbox(
                db,
                client,
                device_id=creds.device_id,
                sleep=slept.append,
                rand=random.Random(seed).random,
                batch_size=batch_size,
            )
            report = outbox.drain(max_failures=40)
        assert report.last.kind is StepKind.IDLE, (report.last, proxy.seen)
        held = hq.rows(creds.device_id)
        assert held == local_hashes(db)  # every complete answer, once, same content
        assert set(held) == complete_ids(db) and len(held) == complete
        states = local_states(db)
        assert states.get("quarantined", 0) == 0
        assert states == {"synced": complete, **({"pending": unfinished} if unfinished else {})}
        assert len(slept) == report.failures  # every failure waited before the next try
    finally:
        db.close()
