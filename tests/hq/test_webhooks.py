"""Signed webhooks from the outbox: a real receiver on 127.0.0.1 checks each signature, goes
down while alerts are made, comes back, and gets every alert with its body unchanged; the
delivery log shows the failed tries and the success (real HQ server, both databases)."""

from __future__ import annotations

import json
import uuid

import requests
from alertkit import WebhookReceiver, private_ok, start_app_server, stop_app_server, wait_until
from hqkit import Server, batch, enroll, post_batch, response, statuses
from sqlalchemy import select

from hq import alerts, webhooks
from hq.delivery import DeliveryConfig
from hq.models import DeliveryAttemptRow, DeliveryRow

FAST = DeliveryConfig(
    poll_interval_s=0.05,
    backoff_base_s=0.05,
    backoff_cap_s=0.25,
    evaluate_every_s=3600,
)


def test_signature_round_trip_and_replay_window() -> None:
    body = b'{"id":"a1"}'
    header = webhooks.sign(body, secret=b"k" * 32, timestamp=1_800_000_000)
    assert webhooks.verify(body, header, secret=b"k" * 32, now=1_800_000_100)
    assert not webhooks.verify(body + b" ", header, secret=b"k" * 32, now=1_800_000_100)
    assert not webhooks.verify(body, header, secret=b"x" * 32, now=1_800_000_100)
    assert not webhooks.verify(body, header, secret=b"k" * 32, now=1_800_000_301)  # a replay
    assert not webhooks.verify(body, "garbage", secret=b"k" * 32)


def test_receiver_down_then_up_gets_every_alert_once_signed_unchanged(
    hq_server: Server,
) -> None:
    hq = private_ok(hq_server.hq)  # the receiver is on 127.0.0.1
    receiver = WebhookReceiver()
    name = f"ops-{uuid.uuid4().hex[:6]}"
    secret = webhooks.decode_webhook_secret(webhooks.add_webhook(hq, name, url=receiver.url))
    receiver.secret = secret
    device = enroll(hq_server)
    alerts.add_rule(
        hq,
        name="Detractor comments",
        kind="detractor_comment",
        store_id=device.store_id,
        recipients=[f"webhook:{name}"],
    )
    server, thread, base, app = start_app_server(hq, FAST)
    try:
        worker = app.state.delivery_worker
        assert worker is not None and worker.running  # started with the app
        # The receiver is down (nothing listens on its port) while three alerts are made.
        rows = [
            response(device, 1, score=2, comment="Rude at the till"),
            response(device, 2, score=9, comment="Lovely"),  # a promoter: no alert
            response(device, 3, score=0, comment='Broken "card" machine, €12 lost'),
            response(device, 4, score=5, comment="Queue"),
            response(device, 5, score=3),  # no comment: no alert
        ]
        reply = requests.post(
            f"{base}/api/v1/batches", json=batch(device, rows), headers=device.auth, timeout=30
        )
        assert [r["status"] for r in reply.json()["results"]] == ["accepted"] * 5

        def stored() -> list[DeliveryRow]:
            with hq.db.reading() as s:
                return list(
                    s.scalars(
                        select(DeliveryRow)
                        .where(DeliveryRow.target == name)
                        .order_by(DeliveryRow.created_at)
                    )
                )

        assert len(stored()) == 3
        # Wait until every delivery has failed at least twice: the worker backs off and retries.
        wait_until(
            lambda: all(d.attempts >= 2 and d.status == "pending" for d in stored()),
            what="two failed tries per delivery",
        )
        receiver.start()
        try:
            wait_until(
                lambda: all(d.status == "sent" for d in stored()), what="every alert delivered"
            )
        finally:
            receiver.stop()
        got = receiver.bodies()
        by_id = {r.json["id"]: r for r in got}
        assert all(r.signed_ok for r in got)
        want = {json.loads(d.body)["id"]: d for d in stored()}
        assert set(by_id) == set(want)  # every alert, and only these
        for alert_id, d in want.items():
            assert by_id[alert_id].body == d.body.encode()  # byte for byte what was stored
            assert by_id[alert_id].headers["X-NPS-Delivery"] == d.id
        comments = sorted(r.json["response"]["comment"] for r in got)
        assert comments == sorted(['Broken "card" machine, €12 lost', "Queue", "Rude at the till"])
        assert {r.json["store"]["id"] for r in got} == {device.store_id}

        with hq.db.reading() as s:
            tries = list(
                s.scalars(
                    select(DeliveryAttemptRow).where(
                        DeliveryAttemptRow.delivery_id.in_([d.id for d in stored()])
                    )
                )
            )
        assert sum(t.ok for t in tries) == 3 and sum(not t.ok for t in tries) >= 6
        assert any("cannot connect" in t.detail for t in tries if not t.ok)

        # The delivery log page shows each attempt.
        hq.add_analyst("wendy", password="webhook pass 1")
        s = requests.Session()
        s.post(f"{base}/login", data={"username": "wendy", "password": "webhook pass 1"})
        page = s.get(f"{base}/deliveries", timeout=10)
        assert page.status_code == 200
        assert f"webhook:{name}" in page.text and "HTTP 204" in page.text
        assert "cannot connect" in page.text
    finally:
        stop_app_server(server, thread)
    assert not worker.running  # stopped with the app


def test_a_wrong_secret_is_refused_and_retried(hq_server: Server) -> None:
    """A receiver that refuses the signature (401) leaves the delivery pending, not lost."""
    hq = private_ok(hq_server.hq)  # the receiver is on 127.0.0.1
    receiver = WebhookReceiver(secret=b"not the secret")
    name = f"bad-{uuid.uuid4().hex[:6]}"
    webhooks.add_webhook(hq, name, url=receiver.url)
    device = enroll(hq_server)
    alerts.add_rule(
        hq,
        name="Contact",
        kind="contact_request",
        store_id=device.store_id,
        recipients=[f"webhook:{name}"],
    )
    row = response(
        device, 1, score=1, contact_consent=True, contact_name="Asha", contact_detail="98450 00000"
    )
    statuses(post_batch(hq_server, device, batch(device, [row])))
    receiver.start()
    server, thread, _base, app = start_app_server(hq, FAST)
    try:
        app.state.delivery_worker.wake()
        wait_until(lambda: len(receiver.bodies()) >= 2, what="two refused tries")
    finally:
        stop_app_server(server, thread)
        receiver.stop()
    got = receiver.bodies()
    assert not any(r.signed_ok for r in got)
    assert got[0].body == got[1].body
    # No ";contact" on this recipient: told the customer asked, not how to reach them.
    assert got[0].json["response"]["contact"] == "hidden"
    assert "98450" not in got[0].body.decode()
    with hq.db.reading() as s:
        status = s.scalar(select(DeliveryRow.status).where(DeliveryRow.target == name))
    assert status == "pending"
