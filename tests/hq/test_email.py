"""Alert emails through a real SMTP server (aiosmtpd on 127.0.0.1) that requires STARTTLS with a
certificate HQ must verify and a login: one email at once per alert, and a daily digest per
recipient when the (injected) clock passes the digest hour."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from alertkit import SmtpSink, wait_until
from hqkit import Server, batch, enroll, post_batch, response, statuses
from sqlalchemy import select

from hq import alerts
from hq.db import utcnow
from hq.delivery import DeliveryConfig, DeliveryWorker
from hq.models import DeliveryRow
from hq.notify_email import SmtpSettings


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


def test_alert_email_at_once_over_starttls_with_login(hq_server: Server, smtp: SmtpSink) -> None:
    hq = hq_server.hq
    device = enroll(hq_server, None)
    tag = uuid.uuid4().hex[:6]
    to_cx, to_mgr = f"cx-{tag}@chain.example", f"mgr-{tag}@chain.example"
    alerts.add_rule(
        hq,
        name="Call back",
        kind="contact_request",
        store_id=device.store_id,
        recipients=[f"email:{to_cx};contact", f"email:{to_mgr}"],
    )
    row = response(
        device,
        1,
        score=2,
        comment="Nobody at the counter <again>",
        contact_consent=True,
        contact_name="Ravi K",
        contact_detail="ravi@example.net",
    )
    statuses(post_batch(hq_server, device, batch(device, [row])))
    worker = DeliveryWorker(hq, _config(smtp))
    worker.start()
    try:
        msgs = smtp.wait_for(to_cx)
        wait_until(lambda: smtp.wait_for(to_mgr, timeout=0.1), what="the manager's email")
    finally:
        worker.stop()
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg["Subject"].startswith("[NPS HQ] Customer asked to be contacted")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Ravi K ravi@example.net" in text and "Nobody at the counter <again>" in text
    assert "Nobody at the counter &lt;again&gt;" in html
    (mgr,) = smtp.wait_for(to_mgr)
    assert device.store_id in mgr["Subject"]
    mgr_text = mgr.get_body(("plain",)).get_content()
    assert "ravi@example.net" not in mgr_text and "details at HQ" in mgr_text
    assert SmtpSink.USER in smtp.logins
    with hq.db.reading() as s:
        d = s.scalar(select(DeliveryRow).where(DeliveryRow.target == to_cx))
    assert d is not None and d.status == "sent" and msg["Message-ID"] == f"<{d.id}@nps-hq>"


def test_daily_digest_per_recipient(hq_server: Server, smtp: SmtpSink) -> None:
    hq = hq_server.hq
    device = enroll(hq_server)
    to = f"digest-{uuid.uuid4().hex[:6]}@chain.example"
    alerts.add_rule(
        hq,
        name="Comments digest",
        kind="detractor_comment",
        store_id=device.store_id,
        recipients=[f"email:{to}"],
        mode="digest",
    )
    rows = [response(device, i, score=i, comment=f"Comment {i}") for i in range(1, 4)]
    statuses(post_batch(hq_server, device, batch(device, rows)))
    now = [utcnow()]
    worker = DeliveryWorker(hq, replace(_config(smtp), poll_interval_s=3600), clock=lambda: now[0])
    worker.run_once()  # before the next digest hour: the alerts wait
    with hq.db.reading() as s:
        statuses_now = s.scalars(select(DeliveryRow.status).where(DeliveryRow.target == to)).all()
    assert statuses_now == ["held"] * 3
    now[0] += timedelta(days=1)  # the clock passes the next 07:00 UTC
    worker.run_once()
    msgs = smtp.wait_for(to)
    assert len(msgs) == 1
    assert msgs[0]["Subject"] == "[NPS HQ] Daily digest: 3 alerts"
    text = msgs[0].get_body(("plain",)).get_content()
    assert all(f"Comment {i}" in text for i in range(1, 4))
    worker.run_once()  # nothing more to send
    assert len(smtp.wait_for(to, timeout=0.2)) == 1
    worker.stop()
