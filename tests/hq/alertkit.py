"""Helpers for the alert tests: a real webhook receiver that checks signatures, a real SMTP
server (aiosmtpd) with STARTTLS and login, an HQ app server whose lifespan runs the delivery
worker, and a bounded wait on a condition (no sleep)."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.hq.hqkit import free_port  # also importable from the repo root (tools/)


def wait_until(
    condition: Callable[[], Any], *, timeout: float = 20.0, step: float = 0.02, what: str = ""
) -> Any:
    """Poll ``condition`` until it returns something truthy, waiting on an Event between
    polls; AssertionError after ``timeout`` seconds."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {what or condition}")
        pause.wait(step)


def verify_signature(body: bytes, header: str, secret: bytes, *, tolerance_s: int = 300) -> bool:
    """The README's receiver check, verbatim in spirit: t=<unix>,v1=<hex HMAC-SHA256>."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    if abs(time.time() - timestamp) > tolerance_s:
        return False
    want = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, fields["v1"])


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    signed_ok: bool

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class WebhookReceiver:
    """An HTTP receiver on 127.0.0.1 that answers 204 to a well-signed POST and 401 otherwise.
    ``stop`` takes it down (connections refused), ``start`` brings it back on the same port."""

    secret: bytes = b""
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/nps"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ok = verify_signature(
                    body, self.headers.get("X-NPS-Signature", "t=0,v1="), receiver.secret
                )
                with receiver._lock:
                    receiver.received.append(Received(body, dict(self.headers.items()), ok))
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(10)
            self._server = None

    def bodies(self) -> list[Received]:
        with self._lock:
            return list(self.received)


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (openssl CLI: the cryptography package is not installed)."""
    cert, key = folder / "smtp.crt", folder / "smtp.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that requires STARTTLS and a login."""

    USER, PASSWORD = "hq-alerts", "mail pass 1"

    def __init__(self, folder: Path) -> None:
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.cert, key = self_signed_cert(folder)
        self.messages: list[Any] = []
        self.logins: list[str] = []
        self._cond = threading.Condition()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                from email import message_from_bytes, policy

                msg = message_from_bytes(envelope.content, policy=policy.default)
                with sink._cond:
                    sink.messages.append((list(envelope.rcpt_tos), msg))
                    sink._cond.notify_all()
                return "250 OK"

        def authenticator(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (
                data.login.decode(),
                data.password.decode(),
            ) == (sink.USER, sink.PASSWORD)
            if ok:
                sink.logins.append(data.login.decode())
            return AuthResult(success=ok)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.port = free_port()
        self.controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            authenticator=authenticator,
            auth_require_tls=True,
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, recipient: str, count: int = 1, timeout: float = 20.0) -> list[Any]:
        def mine() -> list[Any]:
            return [m for to, m in self.messages if recipient in to]

        with self._cond:
            self._cond.wait_for(lambda: len(mine()) >= count, timeout=timeout)
            return mine()


def private_ok(hq: Any) -> Any:
    """The same HQ (database, key) with allow_private_webhooks on: the test receivers listen
    on 127.0.0.1, which HQ refuses by default."""
    from dataclasses import replace

    from hq.service import Hq

    return Hq(
        hq.db, server_key=hq.server_key, config=replace(hq.config, allow_private_webhooks=True)
    )


def start_app_server(hq: Any, delivery: Any) -> tuple[Any, threading.Thread, str, Any]:
    """A real HQ server with lifespan on, so the app starts (and on exit stops) its worker."""
    import uvicorn

    from hq.app import create_app
    from hq.server import server_options

    app = create_app(hq, delivery=delivery)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            **server_options(),
        )
    )
    thread = threading.Thread(target=server.run, name=f"hq-alerts-{port}", daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=30, what="the HQ server to start")
    return server, thread, f"http://127.0.0.1:{port}", app


def stop_app_server(server: Any, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(30)
