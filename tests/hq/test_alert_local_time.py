"""An alert shows when the answer was given on the store's clock: the corrected time (not the
till's raw clock) in the store's zone with its abbreviation, in the e-mail (a real SMTP server),
the webhook's summary (a real receiver) and the alert row; the payload keeps ISO UTC times.
A digest's dateline is the store's local digest hour (real HQ server, both databases)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alertkit import SmtpSink, WebhookReceiver, private_ok, wait_until
from hqkit import Server, batch, enroll, post_batch, response, statuses
from sqlalchemy import select

from hq import alerts, webhooks
from hq.db import utcnow
from hq.delivery import DeliveryConfig, DeliveryWorker
from hq.models import AlertRow, DeliveryRow, ResponseRow
from hq.notify_email import SmtpSettings
from hq.profiles import set_settings

IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> SmtpSink:
    sink = SmtpSink(Path(tmp_path_factory.mktemp("smtp")))
    yield sink
    sink.stop()


def _config(sink: SmtpSink) -> DeliveryConfig:
    return DeliveryConfig(
        poll_interval_s=0.05,
        backoff_base_s=0.05,
        backoff_cap_s=0.2,
        evaluate_every_s=3600,
        digest_hour_utc=7,
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=sink.port,
            security="starttls",
            username=SmtpSink.USER,
            password=SmtpSink.PASSWORD,
            sender="NPS HQ <alerts@chain.example>",
            ca_file=str(sink.cert),
        ),
    )


def _ist(at: datetime) -> str:
    local = at.replace(tzinfo=UTC).astimezone(IST)
    return local.strftime("%d %b %Y %H:%M") + " IST"


def test_alerts_show_the_corrected_time_on_the_stores_clock(
    hq_server: Server, smtp: SmtpSink
) -> None:
    hq = private_ok(hq_server.hq)  # the receiver is on 127.0.0.1
    device = enroll(hq_server)
    set_settings(hq, "store", device.store_id, {"time_zone": "Asia/Kolkata"}, actor="t")
    receiver = WebhookReceiver()
    name = f"ops-{uuid.uuid4().hex[:6]}"
    receiver.secret = webhooks.decode_webhook_secret(
        webhooks.add_webhook(hq, name, url=receiver.url)
    )
    to = f"mgr-{uuid.uuid4().hex[:6]}@chain.example"
    to_digest = f"digest-{uuid.uuid4().hex[:6]}@chain.example"
    alerts.add_rule(
        hq,
        name="Comments",
        kind="detractor_comment",
        store_id=device.store_id,
        recipients=[f"email:{to}", f"webhook:{name}"],
    )
    alerts.add_rule(
        hq,
        name="Comments digest",
        kind="detractor_comment",
        store_id=device.store_id,
        recipients=[f"email:{to_digest}"],
        mode="digest",
    )
    # The till's clock is 3 hours slow: its answer 10 minutes before the upload says 3 h 10 min
    # ago; HQ corrects it to about 10 minutes ago.
    sent = datetime.now(UTC) - timedelta(hours=3)
    answered = sent - timedelta(minutes=10)
    row = response(device, 1, score=2, comment="Cold tea", device_time=answered.isoformat())
    statuses(post_batch(hq_server, device, batch(device, [row], sent_at=sent.isoformat())))
    with hq.db.reading() as s:
        stored = s.scalars(select(ResponseRow).where(ResponseRow.id == row["id"])).one()
        alert = s.scalars(select(AlertRow).where(AlertRow.response_id == row["id"])).first()
    corrected, raw = stored.corrected_time, stored.device_time
    assert stored.clock_corrected and corrected - raw > timedelta(hours=2, minutes=59)
    local, raw_local = _ist(corrected), _ist(raw)
    assert alert is not None and local in alert.summary and raw_local not in alert.summary

    worker = DeliveryWorker(hq, _config(smtp))
    receiver.start()
    worker.start()
    try:
        (msg,) = smtp.wait_for(to)
        wait_until(lambda: receiver.bodies(), what="the webhook")
    finally:
        worker.stop()
        receiver.stop()
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert f"via kiosk at {local}" in text and local in html
    assert raw_local not in text and raw_local not in html

    (hook,) = receiver.bodies()
    assert hook.signed_ok
    body = hook.json
    assert local in body["summary"] and raw_local not in body["summary"]
    # The machine-readable times stay ISO UTC, with the local one beside them.
    r = body["response"]
    assert r["device_time"] == raw.isoformat(timespec="seconds") + "Z"
    assert r["corrected_time"] == corrected.isoformat(timespec="seconds") + "Z"
    assert r["local_time"] == local and r["time_zone"] == "Asia/Kolkata"

    # The digest: held until 07:00 on the store's clock, which its dateline shows.
    clock = [utcnow() + timedelta(days=1)]
    digest_worker = DeliveryWorker(
        hq, replace(_config(smtp), poll_interval_s=3600), clock=lambda: clock[0]
    )
    digest_worker.run_once()
    (digest,) = smtp.wait_for(to_digest)
    digest_worker.stop()
    with hq.db.reading() as s:
        d = s.scalars(
            select(DeliveryRow).where(DeliveryRow.target == to_digest, DeliveryRow.kind == "digest")
        ).one()
    stored_body = json.loads(d.body)
    boundary = datetime.fromisoformat(stored_body["until"].removesuffix("Z"))
    assert stored_body["until_local"].endswith(" 07:00 IST")
    assert boundary.isoformat(timespec="seconds") + "Z" == stored_body["until"]  # still UTC
    digest_text = digest.get_body(("plain",)).get_content()
    assert stored_body["until_local"] in digest_text and local in digest_text
