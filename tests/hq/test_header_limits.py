"""Request headers are bounded: a huge header gets 431 (or the connection closed) at once, and
connections that send endless unfinished headers cannot grow HQ's memory. Runs ``nps-hq
serve`` as a process (the real entry point) and reads its RSS from /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from alertkit import wait_until
from hqkit import free_port

ROOT = Path(__file__).resolve().parents[2]
RSS_GROWTH_BOUND_MB = 50  # 5 connections x 20 MB of header: 100 MB sent, < 50 MB kept


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NPS_HQ_DELIVERY": "off"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hq.cli", "serve", "--port", str(port), "--log-level", "error"]
        + ["--data-dir", str(tmp_path / "hq")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(base + "/healthz", timeout=2).ok
        except requests.ConnectionError:
            return proc.poll() is not None  # exited: fail below, do not wait

    try:
        wait_until(up, timeout=60, what="nps-hq serve to answer")
        assert proc.poll() is None, "nps-hq serve exited"
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_one_megabyte_header_is_refused_quickly(served: tuple[str, int]) -> None:
    base, _pid = served
    started = time.monotonic()
    try:
        reply = requests.get(base + "/healthz", headers={"X-Big": "a" * 1_000_000}, timeout=10)
    except requests.ConnectionError:
        pass  # closed while the client was still sending: refused too
    else:
        assert reply.status_code == 431, reply.status_code
        assert "headers" in reply.text and "KiB" in reply.text
    assert time.monotonic() - started < 5
    too_many = {f"X-H{i}": "1" for i in range(150)}
    reply = requests.get(base + "/healthz", headers=too_many, timeout=10)
    assert reply.status_code == 431 and "header fields" in reply.text
    assert requests.get(base + "/healthz", timeout=5).ok  # normal requests still served


def _endless_header(port: int, total: int, closed: list[bool]) -> None:
    chunk = b"a" * 65536
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fill: ")
            sent = 0
            while sent < total:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:  # the server closed the connection: what we want
            closed.append(True)
            return
        s.settimeout(10)
        try:
            answer = s.recv(100)
        except OSError:
            answer = b""
        closed.append(answer == b"" or answer.startswith(b"HTTP/1.1 431"))


def test_unfinished_20_mb_headers_on_5_connections_keep_memory_bounded(
    served: tuple[str, int],
) -> None:
    base, pid = served
    port = int(base.rsplit(":", 1)[1])
    before = rss_mb(pid)
    peak = before
    closed: list[bool] = []
    senders = [
        threading.Thread(target=_endless_header, args=(port, 20 * 1024 * 1024, closed))
        for _ in range(5)
    ]
    for t in senders:
        t.start()
    while any(t.is_alive() for t in senders):
        peak = max(peak, rss_mb(pid))
        senders[0].join(0.01)
    for t in senders:
        t.join(60)
    peak = max(peak, rss_mb(pid))
    assert closed == [True] * 5  # every connection refused (431 or closed)
    assert peak - before < RSS_GROWTH_BOUND_MB, f"RSS {before:.0f} -> {peak:.0f} MB"
    assert requests.get(base + "/healthz", timeout=5).ok
