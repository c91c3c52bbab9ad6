"""The case_overdue alert rule against a real HQ, a real SMTP server and a real webhook
receiver: a follow-up case not resolved N hours after the answer alerts once (the periodic
evaluation, run again, makes no second alert); a resolved case does not; a reopened one is a
new episode, counted from the reopening; contact details go only to ';contact' recipients;
the Alerts page offers the rule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alertkit import SmtpSink, WebhookReceiver, private_ok, wait_until
from hqkit import Server, batch, enroll, post_batch, response, sign_in, statuses
from sqlalchemy import select

from hq import alerts, cases, users, webhooks
from hq.delivery import DeliveryConfig, DeliveryWorker
from hq.models import AlertRow
from hq.notify_email import SmtpSettings
from hq.roles import Role


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sink = SmtpSink(Path(tmp_path_factory.mktemp("smtp-cases")))
    yield sink
    sink.stop()


def _worker(hq: Any, sink: SmtpSink) -> DeliveryWorker:
    return DeliveryWorker(
        hq,
        DeliveryConfig(
            poll_interval_s=0.05,
            backoff_base_s=0.05,
            backoff_cap_s=0.2,
            evaluate_every_s=3600,
            purge=False,
            smtp=SmtpSettings(
                host="127.0.0.1",
                port=sink.port,
                security="starttls",
                username=SmtpSink.USER,
                password=SmtpSink.PASSWORD,
                sender="NPS HQ <alerts@chain.example>",
                ca_file=str(sink.cert),
            ),
        ),
    )


def _case_alerts(hq: Any, store_id: str) -> list[AlertRow]:
    with hq.db.reading() as s:
        return list(
            s.scalars(
                select(AlertRow)
                .where(AlertRow.store_id == store_id, AlertRow.kind == "case_overdue")
                .order_by(AlertRow.created_at, AlertRow.id)
            )
        )


def test_case_overdue_alerts_once_per_episode_contact_only_to_contact_recipients(
    hq_server: Server, smtp: SmtpSink
) -> None:
    hq = private_ok(hq_server.hq)  # the receiver is on 127.0.0.1
    receiver = WebhookReceiver()
    hook = f"cases-{uuid.uuid4().hex[:6]}"
    receiver.secret = webhooks.decode_webhook_secret(
        webhooks.add_webhook(hq, hook, url=receiver.url)
    )
    dev = enroll(hq_server)
    tag = uuid.uuid4().hex[:6]
    sees, blind = f"cx-{tag}@chain.example", f"area-{tag}@chain.example"
    alerts.add_rule(
        hq,
        name="Cases left open",
        kind="case_overdue",
        store_id=dev.store_id,
        params={"hours": 24},
        recipients=[f"email:{sees};contact", f"email:{blind}", f"webhook:{hook}"],
    )
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    phone = f"+91 97{uuid.uuid4().int % 10**8:08d}"

    def detractor(seq: int, hours_ago: float, **extra: Any) -> dict[str, Any]:
        return response(
            dev,
            seq,
            score=2,
            contact_consent=True,
            contact_name="Meera",
            contact_detail=phone,
            device_time=(now - timedelta(hours=hours_ago)).replace(tzinfo=UTC).isoformat(),
            **extra,
        )

    late = detractor(1, 30, comment="Billing took forever")
    fresh = detractor(2, 2)
    done = detractor(3, 40)
    no_consent = response(
        dev, 4, score=1, device_time=(now - timedelta(hours=50)).replace(tzinfo=UTC).isoformat()
    )
    assert (
        statuses(post_batch(hq_server, dev, batch(dev, [late, fresh, done, no_consent])))
        == ["accepted"] * 4
    )
    cases.set_case(
        hq, done["id"], state="resolved", note="sorted", by="ops@chain.example", store_ids=None
    )
    assert alerts.evaluate(hq, now=now) >= 1
    made = _case_alerts(hq, dev.store_id)
    assert [a.response_id for a in made] == [late["id"]]
    assert "follow-up case still open after 30 hours" in made[0].summary
    assert phone not in made[0].summary and "sorted" not in made[0].payload
    alerts.evaluate(hq, now=now + timedelta(minutes=10))  # the next run: no second alert
    assert len(_case_alerts(hq, dev.store_id)) == 1

    # Out for real: the ;contact recipient gets the number, the others are told it is at HQ.
    worker = _worker(hq, smtp)
    receiver.start()
    try:
        wait_until(lambda: worker.run_once() == 0 and len(receiver.bodies()) >= 1, what="webhook")
    finally:
        receiver.stop()
    hook_body = next(r.json for r in receiver.bodies() if r.json.get("id") == made[0].id)
    assert hook_body["rule"]["kind"] == "case_overdue"
    assert hook_body["response"]["contact"] == "hidden" and phone not in str(hook_body)
    assert hook_body["case"]["state"] == "open" and hook_body["case"]["hours_open"] == 30
    mail_sees = smtp.wait_for(sees)[0]
    mail_blind = smtp.wait_for(blind)[0]
    assert "Follow-up case overdue" in mail_sees["Subject"]
    assert phone in mail_sees.get_body(("plain",)).get_content()
    blind_text = mail_blind.get_body(("plain",)).get_content()
    assert phone not in blind_text and "details at HQ" in blind_text

    # Reopened: a new episode, counted from the reopening; resolving the late one ends its.
    cases.set_case(hq, done["id"], state="open", note=None, by="ops@chain.example", store_ids=None)
    cases.set_case(
        hq, late["id"], state="resolved", note=None, by="ops@chain.example", store_ids=None
    )
    alerts.evaluate(hq, now=datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1))
    assert [a.response_id for a in _case_alerts(hq, dev.store_id)] == [late["id"]]
    alerts.evaluate(hq, now=datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=25))
    after = [a.response_id for a in _case_alerts(hq, dev.store_id)]
    assert after[0] == late["id"] and sorted(after[1:]) == sorted([done["id"], fresh["id"]])


def test_the_alerts_page_offers_case_overdue(hq_server: Server) -> None:
    name = f"owner-{uuid.uuid4().hex[:6]}"
    users.add_user(hq_server.hq, name, password="cases pass 1", role=Role.OWNER)
    owner = sign_in(hq_server.base, name, "cases pass 1")
    page = owner.get(hq_server.url("/alerts"), timeout=30).text
    assert '<option value="case_overdue">Follow-up case not resolved in time</option>' in page
    assert 'name="p_case_overdue.hours"' in page and 'placeholder="48"' in page
    dev = enroll(hq_server)
    made = owner.post(
        hq_server.url("/alerts/rules"),
        data={
            "name": "",
            "kind": "case_overdue",
            "scope": f"store:{dev.store_id}",
            "mode": "digest",
            "recipients": "email:ops@chain.example",
            "p_case_overdue.hours": "72",
        },
        timeout=30,
        allow_redirects=False,
    )
    assert made.status_code == 303
    listed = owner.get(hq_server.url("/alerts"), timeout=30).text
    assert "a follow-up case not resolved 72 hours after the answer" in listed
