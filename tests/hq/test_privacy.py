"""Privacy at HQ, on both databases, against a real server, a real webhook receiver and a real
SMTP server: an owner finds a person by phone or e-mail across stores, downloads what is held,
erases it (page with a confirmation and CSRF, API, CLI); alert payloads, outbox messages and
the delivery log are scrubbed with their rows kept; a kiosk resending the erased answer gets
"duplicate" and the scrub stays; kiosks pull their store's erasures and send their own in a v2
batch; the retention purge runs daily on a moved clock; and the erased bytes leave the files
(SQLite file + WAL grepped; PostgreSQL pages read with pageinspect)."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from alertkit import SmtpSink, WebhookReceiver, private_ok, wait_until
from hqkit import Server, batch, enroll, post_batch, response, sign_in, statuses
from sqlalchemy import select, text

from hq import alerts, privacy, users, webhooks
from hq.delivery import DeliveryConfig, DeliveryWorker
from hq.models import AlertRow, AuditRow, DeliveryAttemptRow, DeliveryRow, ErasureRow, ResponseRow
from hq.notify_email import SmtpSettings
from hq.roles import Role
from hq.service import Hq, HqConfig, RetentionPolicy

PASSWORD = "privacy pass 1"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sink = SmtpSink(Path(tmp_path_factory.mktemp("smtp-privacy")))
    yield sink
    sink.stop()


def _delivery(sink: SmtpSink) -> DeliveryConfig:
    return DeliveryConfig(
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
    )


def _phone() -> tuple[str, str]:
    """A unique phone number, as typed at two stores (spaces vs dashes)."""
    digits = f"9{uuid.uuid4().int % 10**9:09d}"
    return f"+91 {digits[:5]} {digits[5:]}", f"+91-{digits[:5]}-{digits[5:]}"


def _owner(server: Server, role: Role = Role.OWNER) -> requests.Session:
    name = f"{role.value}-{uuid.uuid4().hex[:6]}"
    users.add_user(server.hq, name, password=PASSWORD, role=role)
    session = sign_in(server.base, name, PASSWORD)
    session.headers["X-Test-User"] = name
    return session


def _row(server: Server, rid: str) -> ResponseRow:
    with server.hq.db.reading() as s:
        row = s.scalar(select(ResponseRow).where(ResponseRow.id == rid))
        assert row is not None
        return row


def _outbox_text(hq: Any, alert_ids: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Alert payloads + summaries, outbox bodies (digests too), attempt details."""
    with hq.db.reading() as s:
        payloads = [
            a.payload + a.summary
            for a in s.scalars(select(AlertRow).where(AlertRow.id.in_(alert_ids)))
        ]
        rows = list(s.scalars(select(DeliveryRow).where(DeliveryRow.alert_id.in_(alert_ids))))
        digests = {d.digest_id for d in rows if d.digest_id}
        rows += list(s.scalars(select(DeliveryRow).where(DeliveryRow.id.in_(digests))))
        bodies = [d.body for d in rows]
        tries = [
            t.detail
            for t in s.scalars(
                select(DeliveryAttemptRow).where(
                    DeliveryAttemptRow.delivery_id.in_([d.id for d in rows])
                )
            )
        ]
    return payloads, bodies, tries


def test_find_export_erase_across_stores_with_alerts_sent(
    hq_server: Server, smtp: SmtpSink
) -> None:
    hq = private_ok(hq_server.hq)  # the receiver is on 127.0.0.1
    receiver = WebhookReceiver()
    hook = f"cx-{uuid.uuid4().hex[:6]}"
    receiver.secret = webhooks.decode_webhook_secret(
        webhooks.add_webhook(hq, hook, url=receiver.url)
    )
    a, b = enroll(hq_server), enroll(hq_server)
    spaced, dashed = _phone()
    to = f"cx-{uuid.uuid4().hex[:6]}@chain.example"
    for dev in (a, b):
        alerts.add_rule(
            hq,
            name="Call-backs",
            kind="contact_request",
            store_id=dev.store_id,
            recipients=[f"webhook:{hook};contact", f"email:{to};contact"],
        )
        alerts.add_rule(
            hq,
            name="Digest",
            kind="detractor_comment",
            store_id=dev.store_id,
            recipients=[f"email:digest-{to}"],
            mode="digest",
        )
    first = response(
        a,
        1,
        score=2,
        comment="Card machine broke, call me",
        contact_consent=True,
        contact_name="Asha Verma",
        contact_detail=spaced,
    )
    second = response(
        b, 1, score=4, contact_consent=True, contact_name="Asha V", contact_detail=dashed
    )
    stranger = response(
        a, 2, score=1, contact_consent=True, contact_name="Ravi", contact_detail="ravi@example.com"
    )
    assert statuses(post_batch(hq_server, a, batch(a, [first, stranger]))) == ["accepted"] * 2
    original_b = batch(b, [second])
    assert statuses(post_batch(hq_server, b, original_b)) == ["accepted"]

    # The alerts go out for real: webhook + e-mail now, the digest after its hour.
    worker = DeliveryWorker(hq, _delivery(smtp))
    receiver.start()
    try:
        wait_until(lambda: worker.run_once() == 0 and len(receiver.bodies()) >= 3, what="webhooks")
        later = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
        worker.make_digests(later)
        worker.run_once()
    finally:
        receiver.stop()
    assert any(spaced in r.body.decode() for r in receiver.bodies())
    assert smtp.wait_for(to, count=3)

    owner = _owner(hq_server, Role.ADMIN)  # an admin answers privacy requests too
    page = owner.get(
        hq_server.url("/privacy"), params={"phone": dashed.replace("-", " ")}, timeout=30
    )
    assert page.status_code == 200
    assert first["id"] in page.text and second["id"] in page.text
    assert stranger["id"] not in page.text
    assert "Asha Verma" in page.text and 'action="/privacy/erase"' in page.text

    export = owner.get(hq_server.url("/privacy/export"), params={"phone": spaced}, timeout=30)
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    doc = export.json()
    assert doc["format"] == "nps-hq-subject-export"
    assert {r["id"] for r in doc["responses"]} == {first["id"], second["id"]}
    assert {r["store_id"] for r in doc["responses"]} == {a.store_id, b.store_id}
    assert doc["alerts"] and doc["deliveries"]
    alert_ids = [x["id"] for x in doc["alerts"]]
    assert any(d["kind"] == "digest" for d in doc["deliveries"])
    payloads, bodies, _ = _outbox_text(hq, alert_ids)
    assert any(spaced in p for p in payloads) and any(spaced in body for body in bodies)
    rows_before = len(bodies)

    # Without the confirmation box: refused, nothing erased.
    ids = [first["id"], second["id"]]
    form = {"kind": "phone", "value": spaced, "expect": sorted(ids)}
    no = owner.post(hq_server.url("/privacy/erase"), data=form, timeout=30)
    assert no.status_code == 400 and "confirm" in no.text
    assert _row(hq_server, first["id"]).contact_detail == spaced
    # Without the CSRF token: refused.
    bare = requests.post(
        hq_server.url("/privacy/erase"),
        data={**form, "confirm": "yes"},
        cookies=owner.cookies,
        timeout=30,
    )
    assert bare.status_code == 403
    done = owner.post(hq_server.url("/privacy/erase"), data={**form, "confirm": "yes"}, timeout=60)
    assert done.status_code == 200, done.text
    assert 'id="erased"' in done.text

    for rid, store in ((first["id"], a.store_id), (second["id"], b.store_id)):
        row = _row(hq_server, rid)
        assert (row.contact_name, row.contact_detail, row.comment) == (None, None, None)
        assert row.contact_consent is True and row.score in (2, 4)  # the facts stay
        assert row.content_hash == privacy.SCRUBBED_HASH and row.scrubbed_at is not None
        assert row.store_id == store
    assert _row(hq_server, stranger["id"]).contact_detail == "ravi@example.com"
    payloads, bodies, tries = _outbox_text(hq, alert_ids)
    assert len(bodies) == rows_before  # rows kept
    for blob in payloads + bodies + tries:
        for secret in (spaced, dashed, "Asha Verma", "Asha V", "Card machine broke"):
            assert secret not in blob, (secret, blob[:300])
    assert any(privacy.ERASED in body for body in bodies)

    with hq.db.reading() as s:
        stones = list(s.scalars(select(ErasureRow).where(ErasureRow.response_id.in_(ids))))
        audit = list(s.scalars(select(AuditRow).where(AuditRow.action.like("privacy.%"))))
    assert {(t.store_id, t.source) for t in stones} == {(a.store_id, "hq"), (b.store_id, "hq")}
    assert {t.by for t in stones} == {owner.headers["X-Test-User"]}
    actions = {e.action for e in audit}
    assert {"privacy.find", "privacy.export", "privacy.erase"} <= actions
    for e in audit:
        for secret in (spaced, dashed, "Asha"):
            assert secret not in e.detail + e.target

    # A kiosk resending the original: duplicate, and the scrub stays.
    assert statuses(post_batch(hq_server, b, original_b)) == ["duplicate"]
    assert _row(hq_server, second["id"]).contact_detail is None

    # Each store's kiosks pull their own erasures.
    url = hq_server.url("/api/v1/erasures")
    got = requests.get(url, headers=b.auth, timeout=10).json()
    assert [e["response_id"] for e in got["erasures"]] == [second["id"]]
    again = requests.get(url, params={"after": got["cursor"]}, headers=b.auth, timeout=10).json()
    assert again["erasures"] == [] and again["cursor"] == got["cursor"]
    mine = requests.get(url, headers=a.auth, timeout=10).json()
    assert [e["response_id"] for e in mine["erasures"]] == [first["id"]]
    assert requests.get(url, timeout=10).status_code == 401

    # Afterwards nothing is held, and the export says so.
    after = owner.get(hq_server.url("/api/v1/privacy/person"), params={"phone": spaced}, timeout=30)
    assert after.status_code == 200 and after.json()["responses"] == []
    by_id = owner.get(
        hq_server.url("/api/v1/privacy/person"), params={"response": first["id"]}, timeout=30
    ).json()
    assert by_id["responses"][0]["erased"] is True
    assert by_id["responses"][0]["contact_detail"] is None


def test_erasure_api_by_email_and_response_id(hq_server: Server) -> None:
    dev = enroll(hq_server)
    mail = f"Priya.{uuid.uuid4().hex[:6]}@Example.com"
    one = response(dev, 1, score=3, contact_consent=True, contact_name="Priya", contact_detail=mail)
    two = response(
        dev, 2, score=6, contact_consent=True, contact_name="P", contact_detail="+91 90000 11111"
    )
    assert statuses(post_batch(hq_server, dev, batch(dev, [one, two]))) == ["accepted"] * 2
    owner = _owner(hq_server)
    api = hq_server.url("/api/v1/privacy/erasures")
    bad = owner.post(api, json={"email": "no-at-sign"}, timeout=30)
    assert bad.status_code == 400 and "@" in bad.json()["detail"]
    both = owner.post(api, json={"email": "a@b.c", "phone": "+91 90000 11111"}, timeout=30)
    assert both.status_code == 400
    nobody = owner.post(api, json={"email": f"nobody-{uuid.uuid4().hex}@x.org"}, timeout=30)
    assert nobody.status_code == 404
    r = owner.post(api, json={"email": f"  {mail.upper()} "}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["response_ids"] == [one["id"]] and r.json()["stores"] == [dev.store_id]
    assert _row(hq_server, one["id"]).contact_detail is None
    r2 = owner.post(api, json={"response": two["id"]}, timeout=60)
    assert r2.status_code == 200 and _row(hq_server, two["id"]).contact_detail is None
    # An API token acts as an analyst: refused.
    token = hq_server.hq.create_api_token("privacy")
    refused = requests.get(
        hq_server.url("/api/v1/privacy/person"),
        params={"email": mail},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert refused.status_code == 403


def test_kiosk_erasures_in_a_v2_batch(hq_server: Server) -> None:
    dev, other = enroll(hq_server), enroll(hq_server)
    phone = _phone()[0]
    kept = response(
        dev, 1, score=2, contact_consent=True, contact_name="Meera", contact_detail=phone
    )
    theirs = response(
        other, 1, score=2, contact_consent=True, contact_name="X", contact_detail="+91 91111 22222"
    )
    assert statuses(post_batch(hq_server, dev, batch(dev, [kept]))) == ["accepted"]
    assert statuses(post_batch(hq_server, other, batch(other, [theirs]))) == ["accepted"]
    # Erased on the kiosk before it was ever sent: HQ keeps a tombstone, it arrives scrubbed.
    later = response(
        dev,
        2,
        score=1,
        comment="my number is in here",
        contact_consent=True,
        contact_name="Meera",
        contact_detail=phone,
    )
    v1 = post_batch(hq_server, dev, batch(dev, [], erasures=[kept["id"]]))
    assert v1.status_code == 422 and "v2" in v1.text
    body = batch(dev, [], protocol="v2", erasures=[kept["id"], later["id"], theirs["id"]])
    reply = post_batch(hq_server, dev, body)
    assert reply.status_code == 200, reply.text
    assert sorted(reply.json()["erased"]) == sorted([kept["id"], later["id"]])
    assert _row(hq_server, kept["id"]).contact_detail is None
    assert _row(hq_server, theirs["id"]).contact_detail == "+91 91111 22222"  # not its store
    with hq_server.hq.db.reading() as s:
        stone = s.scalar(select(ErasureRow).where(ErasureRow.response_id == kept["id"]))
    assert stone is not None and stone.by == f"device {dev.device_id}" and stone.source == "device"
    assert statuses(post_batch(hq_server, dev, batch(dev, [later]))) == ["accepted"]
    row = _row(hq_server, later["id"])
    assert (row.contact_name, row.contact_detail, row.comment) == (None, None, None)
    assert row.score == 1 and row.content_hash == privacy.SCRUBBED_HASH
    assert statuses(post_batch(hq_server, dev, batch(dev, [later, kept]))) == ["duplicate"] * 2
    # A v1 batch's reply has no "erased" field.
    v1_reply = post_batch(hq_server, dev, batch(dev, [response(dev, 3)]))
    assert "erased" not in v1_reply.json()


def test_daily_purge_on_a_moved_clock(hq_server: Server) -> None:
    policy = RetentionPolicy(contact_days=180, comment_days=30)
    hq = Hq(
        hq_server.hq.db,
        server_key=hq_server.hq.server_key,
        config=replace(hq_server.hq.config, retention=policy),
    )
    dev = enroll(hq_server)
    phone = _phone()[0]
    now = datetime.now(UTC).replace(tzinfo=None)
    answered = (now - timedelta(days=1)).replace(tzinfo=UTC).isoformat()
    row = response(
        dev,
        1,
        score=3,
        comment="Slow billing counter",
        contact_consent=True,
        contact_name="Kabir",
        contact_detail=phone,
        device_time=answered,
    )
    assert statuses(post_batch(hq_server, dev, batch(dev, [row]))) == ["accepted"]
    clock = [now + timedelta(days=10)]
    worker = DeliveryWorker(
        hq,
        DeliveryConfig(evaluate_every_s=3600, purge_check_every_s=0, purge_first_after_s=0),
        clock=lambda: clock[0],
    )
    worker.run_once()  # day 10: nothing is old enough
    assert _row(hq_server, row["id"]).comment == "Slow billing counter"
    assert worker.daily_purge(clock[0] + timedelta(hours=2)) is False  # ran today already
    clock[0] = now + timedelta(days=40)
    worker.run_once()  # day 40: the comment goes, the contact stays
    r = _row(hq_server, row["id"])
    assert r.comment is None and r.contact_detail == phone and r.scrubbed_at is not None
    clock[0] = now + timedelta(days=200)
    worker.run_once()  # day 200: the contact goes too
    r = _row(hq_server, row["id"])
    assert (r.contact_name, r.contact_detail) == (None, None) and r.score == 3
    with hq.db.reading() as s:
        runs = list(
            s.scalars(
                select(AuditRow).where(
                    AuditRow.action == "privacy.purge", AuditRow.at >= now + timedelta(days=9)
                )
            )
        )
    assert len(runs) >= 3 and all(e.actor == "system" for e in runs)
    # Exports made after the purge do not hold the purged values.
    owner = _owner(hq_server)
    held = owner.get(hq_server.url("/api/v1/privacy/export"), params={"phone": phone}, timeout=30)
    assert held.status_code == 200 and held.json()["responses"] == []
    csv = owner.get(
        hq_server.url("/api/v1/export"), params={"store": dev.store_id}, timeout=30
    ).text
    assert phone not in csv and "Slow billing" not in csv and "Kabir" not in csv


def _sqlite_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob("hq.db*")) if p.is_file())


def test_sqlite_file_and_wal_hold_no_erased_values(tmp_path: Path) -> None:
    from core.protocol import BatchEnvelope
    from hq.ingest import ingest
    from hq.service import DeviceAuth

    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        hq.add_store("blr-01", name="Bengaluru")
        code = hq.enroll_device(store_id="blr-01")
        device_id = hq.redeem_enrollment(code.code).device_id
        auth = DeviceAuth(device_id=device_id, store_id="blr-01")
        webhooks.add_webhook(private_ok(hq), "cx", url="http://127.0.0.1:9/hook")
        alerts.add_rule(hq, name="cb", kind="contact_request", recipients=["webhook:cx;contact"])
        phone, name = "+91 99887 76655", "Zubaida Quereshi"
        dev = type("D", (), {"store_id": "blr-01", "device_id": device_id})()
        rows = [
            response(
                dev,
                i,
                score=2,
                contact_consent=True,
                contact_name=name,
                contact_detail=phone,
                comment="Zebra crossing blocked",
            )
            for i in range(1, 4)
        ] + [response(dev, i, score=9, comment="fine " * 50) for i in range(4, 60)]
        ingest(hq, BatchEnvelope.model_validate(batch(dev, rows)), device=auth)
        assert phone.encode() in _sqlite_bytes(tmp_path)  # the check can see it
        result = privacy.erase(hq, privacy.PersonQuery.parse("phone", "+919988776655"), actor="cli")
        assert len(result.response_ids) == 3 and "truncated" in result.wiped
        raw = _sqlite_bytes(tmp_path)
        for secret in (phone, name, "Zebra crossing"):
            assert secret.encode() not in raw, secret
        assert (tmp_path / "hq.db-wal").stat().st_size == 0
        assert b"fine fine" in raw  # the other answers are all there
    finally:
        hq.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite: the test above
def test_postgresql_pages_hold_no_erased_values(hq_server: Server) -> None:
    hq = hq_server.hq
    with hq.db.engine.connect() as conn:
        try:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pageinspect")
            conn.commit()
        except Exception as exc:  # not a superuser: say so rather than pass quietly
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"CI=true but pageinspect is not available ({exc})")
            pytest.skip(f"pageinspect is not available here ({exc})")
    dev = enroll(hq_server)
    phone = _phone()[0]
    name = f"Ishaan {uuid.uuid4().hex[:8]}"
    rows = [
        response(
            dev,
            1,
            score=1,
            contact_consent=True,
            contact_name=name,
            contact_detail=phone,
            comment="Trolley wheel stuck",
        )
    ]
    alerts.add_rule(
        hq,
        name="cb",
        kind="contact_request",
        store_id=dev.store_id,
        recipients=["email:cx@chain.example;contact"],
    )
    assert statuses(post_batch(hq_server, dev, batch(dev, rows))) == ["accepted"]

    def pages_holding(secret: str) -> list[str]:
        found = []
        with hq.db.engine.connect() as conn:
            for table in privacy.TABLES:
                toast = conn.exec_driver_sql(
                    "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = %s::regclass",
                    (table,),
                ).scalar()
                for rel in [table] + ([toast] if toast and toast != "-" else []):
                    hits = conn.exec_driver_sql(
                        "SELECT count(*) FROM generate_series(0, (pg_relation_size(%s::regclass)"
                        " / current_setting('block_size')::int) - 1) p "
                        "WHERE position(convert_to(%s, 'UTF8') IN get_raw_page(%s, p::int)) > 0",
                        (rel, secret, rel),
                    ).scalar()
                    if hits:
                        found.append(rel)
        return found

    assert "responses" in pages_holding(phone)  # the check can see it
    privacy.erase(hq, privacy.PersonQuery.parse("phone", phone), actor="cli")
    with hq.db.engine.connect() as conn:  # no SQL reader sees it at once
        assert (
            conn.execute(
                text("SELECT count(*) FROM responses WHERE contact_detail = :p"), {"p": phone}
            ).scalar()
            == 0
        )
    # The daily run rewrites the tables touched since the last compaction (VACUUM FULL).
    result = privacy.purge(hq, actor="system")
    assert "VACUUM FULL" in result.wiped
    for secret in (phone, name, "Trolley wheel"):
        assert pages_holding(secret) == [], secret


def test_cli_find_erase_export_purge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.protocol import BatchEnvelope
    from hq.cli import main
    from hq.ingest import ingest
    from hq.service import DeviceAuth

    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        hq.add_store("del-03", name="Delhi")
        code = hq.enroll_device(store_id="del-03")
        device_id = hq.redeem_enrollment(code.code).device_id
        dev = type("D", (), {"store_id": "del-03", "device_id": device_id})()
        row = response(
            dev,
            1,
            score=0,
            contact_consent=True,
            contact_name="Noor",
            contact_detail="noor@example.org",
        )
        ingest(
            hq,
            BatchEnvelope.model_validate(batch(dev, [row])),
            device=DeviceAuth(device_id=device_id, store_id="del-03"),
        )
    finally:
        hq.close()
    base = ["--data-dir", str(tmp_path)]
    assert main(["find-person", *base, "--email", "NOOR@example.org"]) == 0
    assert row["id"] in capsys.readouterr().out
    out = tmp_path / "noor.json"
    assert main(["export-person", *base, "--email", "noor@example.org", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["responses"][0]["contact_name"] == "Noor"
    assert main(["erase", *base, "--email", "noor@example.org"]) == 0
    assert "Erased 1 response at del-03" in capsys.readouterr().out
    assert main(["find-person", *base, "--email", "noor@example.org"]) == 1
    assert main(["erase", *base, "--email", "noor@example.org"]) == 2  # nothing held
    assert main(["find-person", *base, "--phone", "12"]) == 2  # too short to be a number
    assert main(["purge", *base]) == 0
    assert "Purged contact details of 0 responses" in capsys.readouterr().out


def test_migration_0006_upgrades_a_0004_database(tmp_path: Path) -> None:
    from alembic import command

    from hq.db import _alembic_config, make_engine, sqlite_url

    url = sqlite_url(tmp_path / "hq.db")
    engine = make_engine(url)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0004")
        conn.exec_driver_sql(
            "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
            "question_version, score, category, reasons, contact_consent, contact_name, "
            "contact_detail, device_time, completion, suspect, content_hash, received_at) VALUES "
            "('01900000-0000-7000-8000-000000000001', 1, 's1', 'd1', 'kiosk', 'en', 1, 2, "
            "'detractor', '[]', 1, 'Old', '+91 90000 00000', '2026-01-01 10:00:00.000000', "
            "'done', 0, 'abc', '2026-01-01 10:00:00.000000')"
        )
        conn.commit()
    engine.dispose()
    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        with hq.db.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT contact_detail, scrubbed_at, content_hash FROM responses"
            ).one()
            assert tuple(row) == ("+91 90000 00000", None, "abc")
            assert conn.exec_driver_sql("SELECT count(*) FROM erasures").scalar() == 0
        result = privacy.erase(hq, privacy.PersonQuery.parse("phone", "+91 90000 00000"), actor="t")
        assert result.stores == ["s1"]
    finally:
        hq.close()
