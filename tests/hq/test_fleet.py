"""HQ runs the fleet: health alert rules (low disk, clock skew, app behind, crash recoveries)
made once from real v2 batches and delivered to a real signed-webhook receiver; the Devices page
and GET /api/v1/devices (problems flagged, store-local times, a viewer's scope); the rules page
and CLI take the new kinds; the kiosk preview of a draft shows its texts escaped (real HQ
server, both databases)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from alertkit import WebhookReceiver, private_ok, start_app_server, stop_app_server, wait_until
from hqkit import Device, Server, batch, enroll, post_batch, response, sign_in, statuses
from sqlalchemy import select

from hq import alerts, webhooks
from hq.delivery import DeliveryConfig
from hq.fleet import is_behind, newest_version, version_key
from hq.models import AlertRow, DeliveryRow

FAST = DeliveryConfig(
    poll_interval_s=0.05, backoff_base_s=0.05, backoff_cap_s=0.25, evaluate_every_s=3600
)
MB = 1024 * 1024
PASSWORD = "fleet pass 1"


def test_versions_sort_as_releases() -> None:
    assert version_key("0.10.0") > version_key("0.9.2")
    assert version_key("1.0.0") > version_key("1.0.0rc1")
    assert newest_version(["0.9.2", None, "0.10.0", "0.10.0rc1"]) == "0.10.0"
    assert is_behind("0.9.2", "0.10.0") and not is_behind("0.10.0", "0.10.0")
    assert not is_behind(None, "1.0.0")


def health(**changes: Any) -> dict[str, Any]:
    """A healthy report; ``changes`` make it sick."""
    body: dict[str, Any] = {
        "app_version": "7.1.0",
        "schema_revision": "0006",
        "db_bytes": 48 * MB,
        "free_disk_bytes": 9000 * MB,
        "backlog": 0,
        "clock_offset_s": 1.5,
        "started_at": "2026-11-20T03:00:00+00:00",
        "recoveries_since_sync": 0,
        "suspect_rate": 0.01,
        "profile_version": 1,
    }
    body.update(changes)
    return body


def send(base: str, device: Device, report: dict[str, Any], *, seq: int = 0) -> None:
    rows = [response(device, seq, score=9)] if seq else []
    body = batch(device, rows, protocol="v2", health=report)
    reply = requests.post(f"{base}/api/v1/batches", json=body, headers=device.auth, timeout=30)
    assert reply.status_code == 200, reply.text


def _alerts(server: Server, store_id: str) -> list[AlertRow]:
    with server.hq.db.reading() as s:
        return list(
            s.scalars(
                select(AlertRow).where(AlertRow.store_id == store_id).order_by(AlertRow.created_at)
            )
        )


def test_health_rules_alert_once_per_episode_through_a_signed_webhook(
    hq_server: Server,
) -> None:
    hq = private_ok(hq_server.hq)  # the receiver is on 127.0.0.1
    receiver = WebhookReceiver()
    name = f"fleet-{uuid.uuid4().hex[:6]}"
    receiver.secret = webhooks.decode_webhook_secret(
        webhooks.add_webhook(hq, name, url=receiver.url)
    )
    sick, fine, elsewhere = enroll(hq_server), enroll(hq_server), enroll(hq_server)
    for kind, params in (
        ("low_disk", {"mb": 200.0}),
        ("clock_skew", {}),
        ("app_behind", {}),
        ("recoveries_spike", {"count": 3.0}),
    ):
        alerts.add_rule(
            hq,
            name=kind,
            kind=kind,
            store_id=sick.store_id,
            params=params,
            recipients=[f"webhook:{name}"],
        )
    receiver.start()
    server, thread, base, _app = start_app_server(hq, FAST)
    try:
        send(base, fine, health(app_version="70.2.0"))  # the chain's newest version
        bad = health(
            app_version="70.1.9",
            free_disk_bytes=50 * MB,
            clock_offset_s=-900.0,
            recoveries_since_sync=4,
        )
        for seq in (1, 2, 3):  # three batches bring the same bad health: one alert per rule
            send(base, sick, bad, seq=seq)
        send(base, elsewhere, bad)  # the rules watch the sick store only
        made = _alerts(hq_server, sick.store_id)
        assert sorted(a.kind for a in made) == [
            "app_behind",
            "clock_skew",
            "low_disk",
            "recoveries_spike",
        ]
        assert _alerts(hq_server, elsewhere.store_id) == []
        summaries = " | ".join(a.summary for a in made)
        assert "50 MB of disk free" in summaries and "-900 s off HQ's" in summaries
        assert "runs 70.1.9; the newest in the chain is 70.2.0" in summaries
        assert "4 crashes" in summaries

        got = wait_until(lambda: len(receiver.bodies()) >= 4 and receiver.bodies(), what="4")
        assert all(r.signed_ok for r in got)
        assert {r.json["rule"]["kind"] for r in got} == {
            "low_disk",
            "clock_skew",
            "app_behind",
            "recoveries_spike",
        }
        assert {r.json["device"]["id"] for r in got} == {sick.device_id}

        # Disk and clock recover, then go bad again: a new episode alerts again. The same
        # version pair and the same process start do not.
        send(base, sick, health(app_version="70.1.9", recoveries_since_sync=4))
        assert len(_alerts(hq_server, sick.store_id)) == 4
        send(base, sick, bad, seq=4)
        kinds = sorted(a.kind for a in _alerts(hq_server, sick.store_id))
        assert kinds == [
            "app_behind",
            "clock_skew",
            "clock_skew",
            "low_disk",
            "low_disk",
            "recoveries_spike",
        ]
        # Another crash (a new process start) with recoveries still over the bar alerts.
        send(base, sick, {**bad, "started_at": "2026-11-21T03:00:00+00:00"}, seq=5)
        assert [a.kind for a in _alerts(hq_server, sick.store_id)].count("recoveries_spike") == 2

        def sent() -> bool:
            with hq.db.reading() as s:
                states = s.scalars(select(DeliveryRow.status).where(DeliveryRow.target == name))
                return all(x == "sent" for x in states)

        wait_until(sent, what="every health alert delivered")
        assert len(receiver.bodies()) == 7
    finally:
        stop_app_server(server, thread)
        receiver.stop()


def test_a_rule_added_during_an_episode_alerts_once(hq_server: Server) -> None:
    device = enroll(hq_server)
    bad = health(free_disk_bytes=10 * MB)
    statuses(post_batch(hq_server, device, batch(device, [], protocol="v2", health=bad)))
    alerts.add_rule(
        hq_server.hq,
        name="disk",
        kind="low_disk",
        store_id=device.store_id,
        recipients=["email:it@example.com"],
    )
    for _ in range(3):
        statuses(post_batch(hq_server, device, batch(device, [], protocol="v2", health=bad)))
    assert [a.kind for a in _alerts(hq_server, device.store_id)] == ["low_disk"]


def _user(server: Server, role: str, *, groups: list[str] | None = None) -> requests.Session:
    from hq import users
    from hq.roles import Role

    name = f"{role}-{uuid.uuid4().hex[:6]}"
    users.add_user(server.hq, name, password=PASSWORD, role=Role(role), groups=groups or [])
    return sign_in(server.base, name, PASSWORD)


def test_devices_page_and_api_flag_problems_in_the_stores_zone(hq_server: Server) -> None:
    from hq.groups import add_group, set_group
    from hq.profiles import set_settings

    hq = hq_server.hq
    device = enroll(hq_server)
    other = enroll(hq_server)
    set_settings(hq, "store", device.store_id, {"time_zone": "Asia/Kolkata"}, actor="t")
    report = health(
        app_version="0.0.1",  # older than any other report in the session
        free_disk_bytes=20 * MB,
        clock_offset_s=600.0,
        profile_version=1,
        backlog=12,
        oldest_pending_at=(datetime.now(UTC) - timedelta(hours=3)).isoformat(),
    )
    statuses(post_batch(hq_server, device, batch(device, [], protocol="v2", health=report)))
    statuses(post_batch(hq_server, other, batch(other, [], protocol="v2", health=health())))

    owner = _user(hq_server, "owner")
    page = owner.get(hq_server.url("/devices"), timeout=30)
    assert page.status_code == 200
    row = page.text.split(device.device_id, 1)[1].split("</tr>", 1)[0]
    for flag in ("low disk", "clock skew", "behind", "profile not applied"):
        assert flag in row, flag
    assert "IST" in row and "20 MB" in row and "+10 min" in row
    assert 'href="/devices"' in page.text  # the nav link

    api = owner.get(hq_server.url("/api/v1/devices"), timeout=30)
    assert api.status_code == 200
    mine = next(d for d in api.json() if d["device_id"] == device.device_id)
    assert mine["behind"] is True and mine["free_disk_bytes"] == 20 * MB
    assert mine["profile_applied"] == 1 and mine["profile_current"] == 2  # the zone changed it
    assert {"low disk", "clock skew", "behind", "profile not applied"} <= set(mine["problems"])
    assert mine["last_sync_local"].endswith("IST") and mine["backlog"] == 12

    group = f"g-{uuid.uuid4().hex[:6]}"
    add_group(hq, group)
    set_group(hq, store_id=other.store_id, group_id=group)
    viewer = _user(hq_server, "viewer", groups=[group])
    seen = viewer.get(hq_server.url("/devices"), timeout=30).text
    assert other.device_id in seen and device.device_id not in seen
    listed = viewer.get(hq_server.url("/api/v1/devices"), timeout=30).json()
    assert [d["device_id"] for d in listed] == [other.device_id]
    refused = viewer.get(hq_server.url(f"/api/v1/devices?store={device.store_id}"), timeout=30)
    assert refused.status_code == 403


def test_rules_page_and_cli_take_the_health_kinds(
    hq_server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    from hq.cli import main as hq_cli

    device = enroll(hq_server)
    args = ["--data-dir", str(hq_server.hq.config.data_dir)]
    if hq_server.backend == "postgresql":
        args += ["--db", hq_server.hq.db.url]
    to = ["--to", "email:it@x.example"]
    assert hq_cli(["alerts", "add", "low_disk", "--set", "mb=150", *to, *args]) == 0
    assert hq_cli(["alerts", "add", "clock_skew", "--set", "seconds=120", *to, *args]) == 0
    assert hq_cli(["alerts", "list", *args]) == 0
    listed = capsys.readouterr().out
    assert "free disk below 150 MB" in listed and "more than 120 s off HQ's" in listed

    owner = _user(hq_server, "owner")
    page = owner.get(hq_server.url("/alerts"), timeout=30).text
    for kind in ("low_disk", "clock_skew", "app_behind", "recoveries_spike"):
        assert f'value="{kind}"' in page
    form = {
        "name": "Crashes",
        "kind": "recoveries_spike",
        "scope": f"store:{device.store_id}",
        "mode": "now",
        "recipients": "email:it@x.example",
        "p_suspect_spike.count": "",
        "p_recoveries_spike.count": "5",
    }
    made = owner.post(hq_server.url("/alerts/rules"), data=form, timeout=30)
    assert made.status_code == 200 and "5 or more crash recoveries since the last sync" in made.text


def test_kiosk_preview_shows_the_drafts_texts_escaped(hq_server: Server) -> None:
    from hq.profiles import save_draft

    form = f"k{uuid.uuid4().hex[:6]}"
    texts = {
        lang: {
            "question": f"<script>alert(1)</script> {q}",
            "label_low": "<b>Never</b>",
            "label_high": "Surely & always",
            "follow_up": {
                "detractor": f"What went wrong? {lang}",
                "passive": f"What would make it a 10? {lang}",
                "promoter": f"What did you love? {lang}",
            },
            "reasons": {"detractor": [{"key": "queue", "label": f"<i>Queue</i> {lang}"}]},
            "consent": "May we call you? <u>yes</u>",
        }
        for lang, q in (("en", "How was it?"), ("ta", "எப்படி இருந்தது?"))
    }
    save_draft(hq_server.hq, form, actor="t", create=True)
    save_draft(
        hq_server.hq, form, actor="t", name="Kiosk <draft>", languages=["en", "ta"], texts=texts
    )
    owner = _user(hq_server, "analyst")
    page = owner.get(hq_server.url(f"/surveys/{form}/kiosk"), timeout=30)
    assert page.status_code == 200
    html = page.text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Never&lt;/b&gt;" in html and "Surely &amp; always" in html
    assert "&lt;i&gt;Queue&lt;/i&gt; ta" in html and "&lt;u&gt;yes&lt;/u&gt;" in html
    assert "Kiosk &lt;draft&gt;" in html and "எப்படி இருந்தது?" in html
    for lang in ("en", "ta"):
        for cat_q in ("What went wrong?", "What would make it a 10?", "What did you love?"):
            assert f"{cat_q} {lang}" in html
    assert html.count('class="k-score"') == 22  # 0-10 in each language, one colour
    assert html.count('class="k-consent"') == 2  # detractors only
    surveys = owner.get(hq_server.url("/surveys"), timeout=30).text
    assert f'href="/surveys/{form}/kiosk"' in surveys
    assert owner.get(hq_server.url("/surveys/none-such/kiosk"), timeout=30).status_code == 404
