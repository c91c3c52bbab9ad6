"""Sign-in throttling: growing lockouts per account and per client kept in the database, a cap
on concurrent password hashes, the same answer for unknown and known users, and a flood of
wrong sign-ins against a real HQ process that keeps its memory flat and /healthz prompt."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from hqkit import Server, free_port

from hq import throttle, users
from hq.errors import TooManyAttempts, Unauthorized
from hq.roles import Role


def test_lockout_grows_per_account_and_is_shared(hq_server: Server) -> None:
    from hq.service import Hq

    hq = hq_server.hq
    name = f"lock-{uuid.uuid4().hex[:6]}"
    users.add_user(hq, name, password="right pass 1", role=Role.ANALYST)
    client = f"10.0.0.{uuid.uuid4().int % 250}"
    for _ in range(4):
        with pytest.raises(Unauthorized):
            throttle.attempt_login(hq, name, "wrong", client=client)
    assert throttle.locked_for(hq, username=name, client=None) == 0
    with pytest.raises(Unauthorized):
        throttle.attempt_login(hq, name, "wrong", client=client)  # the fifth: 1 minute
    assert 55 <= throttle.locked_for(hq, username=name, client=None) <= 60
    # Another process (another Hq on the same database) sees the lock; the right password
    # waits too, and the answer says what to do.
    other = Hq(hq.db, server_key=hq.server_key, config=hq.config)
    with pytest.raises(TooManyAttempts, match="try again in") as locked:
        throttle.attempt_login(other, name, "right pass 1", client="10.9.9.9")
    assert 55 <= locked.value.retry_after <= 60
    throttle.record_failure(hq, username=name, client=None)
    assert 115 <= throttle.locked_for(hq, username=name, client=None) <= 120  # doubled
    for _ in range(10):
        throttle.record_failure(hq, username=name, client=None)
    assert throttle.locked_for(hq, username=name, client=None) <= 3600  # capped at an hour


def test_hash_gate_refuses_beyond_its_queue() -> None:
    gate = throttle.HashGate(slots=1, queue=1)
    inside, release = threading.Event(), threading.Event()

    def hold() -> bool:
        inside.set()
        return release.wait(10)

    holders = [threading.Thread(target=gate.run, args=(hold,)) for _ in range(2)]
    for t in holders:
        t.start()
    assert inside.wait(10)
    deadline = time.monotonic() + 10
    while gate.waiting < 2 and time.monotonic() < deadline:  # the second caller queues
        threading.Event().wait(0.01)
    assert gate.waiting == 2
    with pytest.raises(TooManyAttempts) as busy:
        gate.run(hold)
    assert busy.value.retry_after > 0
    release.set()
    for t in holders:
        t.join(10)
    assert gate.run(lambda: 42) == 42  # free again


def test_unknown_and_known_users_get_the_same_answer(hq_server: Server) -> None:
    name = f"same-{uuid.uuid4().hex[:6]}"
    users.add_user(hq_server.hq, name, password="right pass 1", role=Role.ANALYST)
    url = hq_server.url("/login")
    known = requests.post(url, data={"username": name, "password": "nope"}, timeout=10)
    unknown = requests.post(url, data={"username": "n-" + name, "password": "x"}, timeout=10)
    assert known.status_code == unknown.status_code == 401
    assert known.text == unknown.text


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_flood_of_wrong_sign_ins_keeps_hq_flat(tmp_path: Path) -> None:
    """64 clients sending wrong passwords for 3 s: HQ's RSS grows by less than 96 MB (one
    scrypt hash takes 16 MB; hashing on the 40 worker threads grew it by 234 MB here),
    /healthz answers within 2 s throughout, and most tries are refused (429) without hashing."""
    data = tmp_path / "hq"
    env = {**os.environ, "NPS_HQ_DELIVERY": "off"}
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hq.cli", "serve", "--data-dir", str(data), "--port", str(port)]
        + ["--no-delivery", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise AssertionError("HQ did not start")
        # Warm up: one real hash, so the baseline includes scrypt's first allocation.
        requests.post(base + "/login", data={"username": "a", "password": "b"}, timeout=10)
        baseline = _rss_kb(proc.pid)
        peak = baseline
        # At least 3 s and 400 sign-ins (a loaded machine takes longer to send them), at most 60 s.
        start = time.monotonic()
        codes: Counter[int] = Counter()
        health: list[float] = []

        def flooding() -> bool:
            now = time.monotonic() - start
            return now < 60 and (now < 3 or sum(codes.values()) < 400)

        def wrong(i: int) -> None:
            with requests.Session() as s:
                while flooding():
                    r = s.post(
                        base + "/login",
                        data={"username": f"user{i % 8}", "password": "wrong"},
                        timeout=30,
                    )
                    codes[r.status_code] += 1

        with ThreadPoolExecutor(64) as pool:
            futures = [pool.submit(wrong, i) for i in range(64)]
            while flooding():
                t0 = time.monotonic()
                assert requests.get(base + "/healthz", timeout=10).status_code == 200
                health.append(time.monotonic() - t0)
                peak = max(peak, _rss_kb(proc.pid))
                time.sleep(0.1)
            for f in futures:
                f.result()
        peak = max(peak, _rss_kb(proc.pid))
        growth_mb = (peak - baseline) / 1024
        total = sum(codes.values())
        assert growth_mb < 96, f"RSS grew {growth_mb:.0f} MB"
        assert max(health) < 2, f"/healthz took {max(health):.2f} s"
        assert total >= 400, codes
        assert codes[429] > 0.8 * total and set(codes) <= {401, 429}, codes
        print(f"flood: {dict(codes)}, RSS +{growth_mb:.1f} MB, /healthz max {max(health):.3f}s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
