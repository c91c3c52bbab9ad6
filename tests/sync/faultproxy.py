"""A small HTTP proxy for the sync tests that breaks requests on purpose, one fault per request.

It sits between the kiosk and a real HQ on 127.0.0.1. Each request takes the next fault from
its schedule (``ok`` once the schedule is used up):

- ``drop_before``  close the connection before forwarding (HQ never sees the batch)
- ``drop_after``   forward, let HQ commit, then close without a reply
- ``500``          forward (HQ commits), answer 500
- ``503``          answer 503 with Retry-After: 1 without forwarding
- ``429``          answer 429 with Retry-After: 2 without forwarding
- ``timeout``      forward (HQ commits), then say nothing until the client gives up
- ``trickle``      forward, send the reply a few bytes at a time
- ``hold``         forward (HQ commits), then hold the reply until ``release()`` (kill -9 test)
- ``ok``           forward and reply
"""

from __future__ import annotations

import http.client
import select
import socket
import socketserver
import threading
from collections import deque
from collections.abc import Iterable
from urllib.parse import urlsplit

FAULTS = ("drop_before", "drop_after", "500", "503", "429", "timeout", "trickle")


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.schedule: deque[str] = deque()
        self.lock = threading.Lock()
        self.seen: list[str] = []  # the fault applied to each request, in order
        self.committed = 0  # requests HQ answered
        self.stopping = threading.Event()
        self.released = threading.Event()
        self.holding = threading.Event()  # set while a "hold" reply is held back
        self.forward_all = False
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="fault-proxy", daemon=True
        )
        self.thread.start()

    def load(self, faults: Iterable[str]) -> None:
        with self.lock:
            self.schedule = deque(faults)
            self.seen = []

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.stopping.set()
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def _next(self) -> str:
        with self.lock:
            fault = self.schedule.popleft() if self.schedule else "ok"
            self.seen.append(fault)
            return fault

    # -- one client connection (keep-alive: several requests) -----------------------------------
    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(30)
        buf = b""
        try:
            while not self.stopping.is_set():
                got = _read_request(sock, buf)
                if got is None:
                    return
                method, path, headers, body, buf = got
                fault = self._next()
                if fault == "drop_before":
                    return
                if fault == "503":
                    sock.sendall(_reply(503, {"Retry-After": "1"}, b'{"detail":"busy"}'))
                    continue
                if fault == "429":
                    sock.sendall(_reply(429, {"Retry-After": "2"}, b'{"detail":"slow down"}'))
                    continue
                status, rheaders, rbody = self._forward(method, path, headers, body)
                with self.lock:
                    self.committed += 1
                if fault == "drop_after":
                    return
                if fault == "500":
                    sock.sendall(_reply(500, {}, b'{"detail":"HQ hit an unexpected error"}'))
                    continue
                if fault == "timeout":
                    # Say nothing until the client gives up and closes (bounded: 10 s).
                    select.select([sock], [], [], 10)
                    return
                if fault == "hold":
                    self.holding.set()
                    self.released.wait(60)
                    self.holding.clear()
                data = _reply(status, rheaders, rbody)
                if fault == "trickle":
                    step = max(1, len(data) // 6)
                    for i in range(0, len(data), step):
                        sock.sendall(data[i : i + step])
                        self.stopping.wait(0.01)  # a slow link: pieces 10 ms apart
                else:
                    sock.sendall(data)
        except OSError:
            return
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            keep = {
                k: v
                for k, v in headers.items()
                if k.lower() not in ("connection", "keep-alive", "transfer-encoding")
            }
            conn.request(method, path, body=body or None, headers=keep)
            resp = conn.getresponse()
            data = resp.read()
            out = {
                k: v
                for k, v in resp.getheaders()
                if k.lower() not in ("content-length", "transfer-encoding", "connection")
            }
            return resp.status, out, data
        finally:
            conn.close()


def _reply(status: int, headers: dict[str, str], body: bytes) -> bytes:
    reason = http.client.responses.get(status, "")
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if not any(k.lower() == "content-type" for k in headers):
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _read_request(
    sock: socket.socket, buf: bytes
) -> tuple[str, str, dict[str, str], bytes, bytes] | None:
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip()] = v.strip()
    length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return method, path, headers, rest[:length], rest[length:]
