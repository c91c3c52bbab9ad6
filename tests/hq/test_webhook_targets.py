"""Webhooks post to public addresses only unless the deployment allows its own network: an
address inside it (loopback, private, link-local such as the cloud metadata service, ...) is
refused when the webhook is added and again at send time, on the address HQ connects to; a
redirect is never followed. Real HQ servers, real receivers on 127.0.0.1, both databases."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from alertkit import WebhookReceiver, private_ok, start_app_server, stop_app_server, wait_until
from hqkit import Server, batch, enroll, free_port, post_batch, response, sign_in, statuses
from sqlalchemy import select

from hq import alerts, webhooks
from hq.cli import _config as cli_config
from hq.cli import build_parser
from hq.delivery import DeliveryConfig
from hq.errors import ConfigError
from hq.models import DeliveryAttemptRow, DeliveryRow

FAST = DeliveryConfig(
    poll_interval_s=0.05, backoff_base_s=0.05, backoff_cap_s=0.25, evaluate_every_s=3600
)
INSIDE = [
    "http://127.0.0.1:{port}/hooks",
    "http://localhost:{port}/hooks",  # a name that resolves to loopback
    "http://[::1]:{port}/hooks",
    "http://[::ffff:127.0.0.1]:{port}/hooks",  # IPv4-mapped IPv6
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://10.1.2.3/hooks",
    "http://192.168.0.10/hooks",
    "http://0.0.0.0:{port}/hooks",
    "http://224.0.0.1/hooks",
    "https://[fe80::1]/hooks",
    "http://100.64.0.1/hooks",  # carrier-grade NAT: not public either
]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    r.start()
    yield r
    r.stop()


@pytest.mark.parametrize("template", INSIDE)
def test_an_address_inside_the_network_is_refused_when_added(
    hq_server: Server, template: str
) -> None:
    url = template.format(port=free_port())
    name = f"in-{uuid.uuid4().hex[:6]}"
    with pytest.raises(ConfigError, match="--allow-private-webhooks") as err:
        webhooks.add_webhook(hq_server.hq, name, url=url)
    assert "address" in str(err.value)
    assert name not in {w.name for w in webhooks.webhooks(hq_server.hq)}


def test_the_alerts_page_refuses_it_with_the_reason(hq_server: Server) -> None:
    hq = hq_server.hq
    hq.add_analyst("nina", password="targets pass 1")
    with sign_in(hq_server.base, "nina", "targets pass 1") as s:
        page = s.post(
            hq_server.url("/alerts/webhooks"),
            data={"name": "meta", "url": "http://169.254.169.254/latest/meta-data/"},
            timeout=10,
        )
    assert page.status_code == 422
    assert "link-local" in page.text and "allow-private-webhooks" in page.text


def test_with_the_flag_on_an_inside_receiver_is_allowed(hq_server: Server) -> None:
    name = f"ok-{uuid.uuid4().hex[:6]}"
    webhooks.add_webhook(private_ok(hq_server.hq), name, url="http://127.0.0.1:9/hooks")
    assert name in {w.name for w in webhooks.webhooks(hq_server.hq)}
    args = build_parser().parse_args(["serve", "--allow-private-webhooks", "--data-dir", "x"])
    assert cli_config(args).allow_private_webhooks
    args = build_parser().parse_args(["serve", "--data-dir", "x"])
    assert not cli_config(args).allow_private_webhooks


def _alert_to(hq_server: Server, hook: str) -> str:
    device = enroll(hq_server)
    alerts.add_rule(
        hq_server.hq,
        name="Detractor comments",
        kind="detractor_comment",
        store_id=device.store_id,
        recipients=[f"webhook:{hook}"],
    )
    row = response(device, 1, score=2, comment="Rude at the till")
    assert statuses(post_batch(hq_server, device, batch(device, [row]))) == ["accepted"]
    return hook


def _tries(hq: Any, hook: str) -> list[DeliveryAttemptRow]:
    with hq.db.reading() as s:
        ids = s.scalars(select(DeliveryRow.id).where(DeliveryRow.target == hook)).all()
        return list(
            s.scalars(select(DeliveryAttemptRow).where(DeliveryAttemptRow.delivery_id.in_(ids)))
        )


def test_a_name_that_resolves_inside_is_refused_at_send_time(
    hq_server: Server, receiver: WebhookReceiver
) -> None:
    """The webhook was added while it pointed outside (here: added with the flag on); by send
    time its name resolves to 127.0.0.1, as after DNS rebinding. Nothing reaches it."""
    hook = f"rebind-{uuid.uuid4().hex[:6]}"
    url = f"http://localhost:{receiver.port}/hooks/nps"
    receiver.secret = webhooks.decode_webhook_secret(
        webhooks.add_webhook(private_ok(hq_server.hq), hook, url=url)
    )
    _alert_to(hq_server, hook)
    server, thread, _base, app = start_app_server(hq_server.hq, FAST)  # flag off
    try:
        app.state.delivery_worker.wake()
        wait_until(lambda: len(_tries(hq_server.hq, hook)) >= 2, what="two tries")
    finally:
        stop_app_server(server, thread)
    assert receiver.bodies() == []  # not one request reached the receiver
    tries = _tries(hq_server.hq, hook)
    assert not any(t.ok for t in tries)
    assert all("refused" in t.detail and "loopback" in t.detail for t in tries), tries[0].detail
    assert all("--allow-private-webhooks" in t.detail for t in tries)


def test_the_connection_itself_refuses_an_inside_address(receiver: WebhookReceiver) -> None:
    """The check sits on the connection too: between the pre-send check and the connect, a
    name could resolve elsewhere; the adapter checks the very address it connects to."""
    from hq.egress import PublicOnlyAdapter
    from hq.errors import PrivateAddress

    with requests.Session() as s:
        s.mount("http://", PublicOnlyAdapter())
        with pytest.raises(PrivateAddress, match="loopback"):
            s.post(f"http://localhost:{receiver.port}/hooks/nps", data=b"{}", timeout=5)
    assert receiver.bodies() == []


class _Redirector:
    """A receiver that answers every POST with 307 to ``target`` (which keeps method and
    body, so a client that follows it re-posts the alert there)."""

    def __init__(self, target: str) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.hits += 1
                self.send_response(307)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def test_a_redirect_is_not_followed(hq_server: Server, receiver: WebhookReceiver) -> None:
    hq = private_ok(hq_server.hq)  # both receivers are on 127.0.0.1
    redirector = _Redirector(receiver.url)
    hook = f"redir-{uuid.uuid4().hex[:6]}"
    receiver.secret = webhooks.decode_webhook_secret(
        webhooks.add_webhook(hq, hook, url=f"http://127.0.0.1:{redirector.port}/hooks")
    )
    _alert_to(hq_server, hook)
    server, thread, _base, app = start_app_server(hq, FAST)
    try:
        app.state.delivery_worker.wake()
        wait_until(lambda: len(_tries(hq, hook)) >= 2, what="two tries")
    finally:
        stop_app_server(server, thread)
        redirector.stop()
    assert redirector.hits >= 2
    tries = sorted(_tries(hq, hook), key=lambda t: t.id)
    assert receiver.bodies() == []  # the redirect target never got the alert
    assert not any(t.ok for t in tries)
    assert "HTTP 307 redirect to" in tries[0].detail and "not followed" in tries[0].detail
    with hq.db.reading() as s:
        assert s.scalar(select(DeliveryRow.status).where(DeliveryRow.target == hook)) == "pending"
