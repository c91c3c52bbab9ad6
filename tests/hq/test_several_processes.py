"""Three real ``nps-hq serve`` processes on one PostgreSQL database and one data folder (so one
server.key), each running the alert delivery worker: what one HQ promises, the three keep
together. Batches are stored once, alerts sent once, a single-use link and an enrollment code
used once, and the poster rate limit counted across processes. Loopback only; every wait is
bounded."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from alertkit import WebhookReceiver, wait_until
from hqkit import Server, batch, count_rows, enroll, free_port, new_store, response

from core.mobile_token import make_token

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 3
POSTER_LIMIT = 4  # --poster-limit-per-hour of every process


@dataclass
class Cluster:
    hq: Any  # hq.service.Hq on the same database and data folder, for setup and counting
    bases: list[str]
    receiver: WebhookReceiver
    webhook: str

    def server(self, i: int = 0) -> Server:
        return Server(base=self.bases[i % len(self.bases)], hq=self.hq, backend="postgresql")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=15)


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def cluster(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from hq import webhooks
    from hq.service import Hq, HqConfig

    data = tmp_path_factory.mktemp("hq-shared")
    # Opened first: the schema is migrated and server.key written before any process starts.
    hq = Hq.open(HqConfig(data_dir=data, db_url=pg_url, allow_private_webhooks=True))
    receiver = WebhookReceiver()
    name = f"ops-{uuid.uuid4().hex[:6]}"
    receiver.secret = webhooks.decode_webhook_secret(
        webhooks.add_webhook(hq, name, url=receiver.url)
    )
    receiver.start()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NPS_HQ_PURGE": "off"}
    env.pop("NPS_HQ_DELIVERY", None)  # delivery on in all three: the lease must hold
    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    try:
        for i in range(PROCESSES):
            port = free_port()
            log = (data.parent / f"hq-{i}.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable, "-m", "hq.cli", "serve",
                        "--db", pg_url, "--data-dir", str(data), "--port", str(port),
                        "--allow-private-webhooks", "--log-level", "warning",
                        "--poster-limit-per-hour", str(POSTER_LIMIT),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
            log.close()
            bases.append(f"http://127.0.0.1:{port}")
        for p, base in zip(procs, bases, strict=True):
            wait_until(
                lambda p=p, base=base: p.poll() is not None or _healthy(base),
                timeout=60,
                step=0.2,
                what=f"/healthz of {base}",
            )
            assert p.poll() is None, f"nps-hq serve at {base} exited with {p.returncode}"
        yield Cluster(hq=hq, bases=bases, receiver=receiver, webhook=name)
    finally:
        _stop(procs)
        receiver.stop()
        hq.close()


def at_once(jobs: list[Callable[[], Any]], *, timeout: float = 60) -> list[Any]:
    """Run ``jobs`` in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(jobs), timeout=20)

    def run(job: Callable[[], Any]) -> Any:
        barrier.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        return [f.result(timeout=timeout) for f in futures]


def _post(base: str, device: Any, body: dict[str, Any]) -> Callable[[], requests.Response]:
    return lambda: requests.post(
        f"{base}/api/v1/batches", json=body, headers=device.auth, timeout=30
    )


def test_every_process_is_healthy_and_shares_the_key(cluster: Cluster) -> None:
    # A device enrolled through process 0 is accepted by the others: same server.key, same DB.
    device = enroll(cluster.server(0))
    for base in cluster.bases:
        body = batch(device, [response(device, 1)])
        reply = _post(base, device, body)()
        assert reply.status_code == 200, reply.text


def test_batches_from_several_devices_are_stored_exactly_once(cluster: Cluster) -> None:
    devices = [enroll(cluster.server(i)) for i in range(4)]
    jobs: list[Callable[[], requests.Response]] = []
    ids: set[str] = set()
    for n, device in enumerate(devices):
        first = [response(device, seq) for seq in range(1, 21)]
        second = [response(device, seq) for seq in range(21, 41)]
        ids |= {r["id"] for r in first + second}
        same = batch(device, first)
        jobs += [
            _post(cluster.bases[n % PROCESSES], device, same),  # the SAME batch at two
            _post(cluster.bases[(n + 1) % PROCESSES], device, same),  # processes at once
            _post(cluster.bases[(n + 2) % PROCESSES], device, batch(device, second)),
            # the second batch's last half again, in a new batch: duplicates by id
            _post(cluster.bases[n % PROCESSES], device, batch(device, second[10:])),
        ]
    replies = at_once(jobs)
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    statuses = Counter(x["status"] for r in replies for x in r.json()["results"])
    assert statuses["accepted"] == len(ids) == 160
    assert statuses["duplicate"] == 4 * (20 + 10)
    for device in devices:
        assert count_rows(cluster.server(), device_id=device.device_id) == 40


def test_each_alert_is_delivered_once_across_processes(cluster: Cluster) -> None:
    from hq import alerts

    store = new_store(cluster.server())
    devices = [enroll(cluster.server(i), store) for i in range(PROCESSES)]
    alerts.add_rule(
        cluster.hq,
        name="Detractor comments",
        kind="detractor_comment",
        store_id=store,
        recipients=[f"webhook:{cluster.webhook}"],
    )
    jobs: list[Callable[[], requests.Response]] = []
    detractors = 0
    for n, device in enumerate(devices):
        rows = [
            response(device, seq, score=seq % 4, comment=f"Queue {n}-{seq}") for seq in range(1, 6)
        ] + [response(device, 6, score=10, comment="Lovely")]  # a promoter: no alert
        detractors += 5
        same = batch(device, rows)
        jobs += [_post(cluster.bases[n], device, same), _post(cluster.bases[n - 1], device, same)]
    replies = at_once(jobs)
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]

    def mine() -> list[Any]:
        return [b for b in cluster.receiver.bodies() if store in b.body.decode()]

    wait_until(lambda: len(mine()) >= detractors, timeout=30, step=0.1, what="the alerts")
    # Every process polls every 5 s (and wakes on its own batches): give any second sender a
    # whole poll to show itself before counting.
    time.sleep(6)
    got = mine()
    assert all(b.signed_ok for b in got)
    per_id = Counter(b.json["id"] for b in got)
    assert len(per_id) == detractors
    assert set(per_id.values()) == {1}, per_id


def _phone(base: str, store: str, token: str, score: int = 3) -> Callable[[], requests.Response]:
    data = {"t": token, "lang": "en", "score": str(score), "comment": ""}
    return lambda: requests.post(f"{base}/m/{store}", data=data, timeout=30)


def test_a_single_use_link_sent_to_every_process_at_once_is_stored_once(
    cluster: Cluster,
) -> None:
    device = enroll(cluster.server())
    token = make_token(
        secret=device.secret,
        store_id=device.store_id,
        device_id=device.device_id,
        issued_at=datetime.now(UTC),
    )
    replies = at_once([_phone(b, device.store_id, token) for b in cluster.bases] * 2)
    codes = Counter(r.status_code for r in replies)
    assert codes == {200: 1, 409: len(replies) - 1}, codes
    assert all("Already answered" in r.text for r in replies if r.status_code == 409)
    assert count_rows(cluster.server(), device_id=device.device_id, channel="qr") == 1


def test_an_enrollment_code_redeemed_at_every_process_at_once_works_once(
    cluster: Cluster,
) -> None:
    store = new_store(cluster.server())
    code = cluster.hq.enroll_device(store_id=store).code

    def redeem(base: str) -> Callable[[], requests.Response]:
        return lambda: requests.post(f"{base}/api/v1/enroll", json={"code": code}, timeout=30)

    replies = at_once([redeem(b) for b in cluster.bases] * 2)
    codes = Counter(r.status_code for r in replies)
    assert codes == {200: 1, 401: len(replies) - 1}, codes


def test_the_poster_limit_is_shared_by_the_processes(cluster: Cluster) -> None:
    device = enroll(cluster.server())
    token = make_token(
        secret=device.secret,
        store_id=device.store_id,
        device_id=device.device_id,
        issued_at=datetime.now(UTC),
        kind="poster",
    )
    extra = 5
    jobs = [
        _phone(cluster.bases[i % PROCESSES], device.store_id, token, score=7)
        for i in range(POSTER_LIMIT + extra)
    ]
    codes = Counter(r.status_code for r in at_once(jobs))
    assert codes == {200: POSTER_LIMIT, 429: extra}, codes
    assert count_rows(cluster.server(), device_id=device.device_id, channel="qr") == POSTER_LIMIT
