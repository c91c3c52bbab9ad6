"""Markup typed by a customer or an analyst shows as text on every page and in alert e-mails
(the templates escape it), and stays as typed in the plain-text e-mail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from alertkit import SmtpSink
from hqkit import Server, batch, enroll, post_batch, response, statuses

from hq import alerts
from hq.delivery import DeliveryConfig, DeliveryWorker
from hq.notify_email import SmtpSettings

SCRIPT = "<script>alert(31337)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(31338)>'
EVIL = f"{SCRIPT} {ATTRIBUTE}"


def _assert_escaped(html: str) -> None:
    assert SCRIPT not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(31337)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(31338)&gt;" in html


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> SmtpSink:
    sink = SmtpSink(Path(tmp_path_factory.mktemp("smtp-xss")))
    yield sink
    sink.stop()


def test_markup_is_text_on_the_pages_and_in_the_email(hq_server: Server, smtp: SmtpSink) -> None:
    hq = hq_server.hq
    device = enroll(hq_server)
    to = f"xss-{uuid.uuid4().hex[:6]}@chain.example"
    alerts.add_rule(
        hq,
        name=f"Rule {ATTRIBUTE}",
        kind="detractor_comment",
        store_id=device.store_id,
        recipients=[f"email:{to}"],
    )
    now = datetime.now(UTC).isoformat()  # the newest comment: the dashboard lists the latest
    row = response(device, 1, score=1, comment=EVIL, device_time=now)
    statuses(post_batch(hq_server, device, batch(device, [row])))
    user = f"xss{uuid.uuid4().hex[:6]}"
    hq.add_analyst(user, password="correct horse")
    s = requests.Session()
    login = s.post(
        hq_server.url("/login"), data={"username": user, "password": "correct horse"}, timeout=10
    )
    assert login.status_code == 200 and device.store_id in login.text
    _assert_escaped(login.text)  # the dashboard's latest detractor comments
    rules = s.get(hq_server.url("/alerts"), timeout=10)
    assert rules.status_code == 200 and "Rule &#34;&gt;&lt;img" in rules.text
    _assert_escaped(rules.text)  # the rule's name and the alert summary
    assert "<img src=x" not in s.get(hq_server.url("/deliveries"), timeout=10).text

    worker = DeliveryWorker(
        hq,
        DeliveryConfig(
            poll_interval_s=0.05,
            evaluate_every_s=3600,
            smtp=SmtpSettings(
                host="127.0.0.1",
                port=smtp.port,
                security="starttls",
                username=SmtpSink.USER,
                password=SmtpSink.PASSWORD,
                ca_file=str(smtp.cert),
            ),
        ),
    )
    worker.start()
    try:
        (msg,) = smtp.wait_for(to)
    finally:
        worker.stop()
    html = msg.get_body(("html",)).get_content()
    _assert_escaped(html)
    text = msg.get_body(("plain",)).get_content()
    assert f'Comment: "{EVIL}"' in text  # plain text is not HTML: shown as typed
