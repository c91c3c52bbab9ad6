"""Alert rules: the dip test on hand-picked numbers, store rules (dip, stale device), response
rules scoped to a group, the CLI and the rules page, and responses + alerts committed together
even when HQ is killed in between (real server, both databases)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta

import pytest
import requests
from alertkit import wait_until
from hqkit import (
    Server,
    batch,
    enroll,
    free_port,
    post_batch,
    response,
    sign_in,
    statuses,
)
from sqlalchemy import func, select, update

from core.nps import nps_from_counts
from hq import alerts
from hq.alerts import dip_test
from hq.cli import main as hq_cli
from hq.errors import AlertRuleError
from hq.groups import add_group, set_group
from hq.models import AlertRow, DeliveryRow, DeviceRow, ResponseRow


def _alerts_of(server: Server, store_id: str) -> list[AlertRow]:
    with server.hq.db.reading() as s:
        return list(s.scalars(select(AlertRow).where(AlertRow.store_id == store_id)))


# The dip test on hand-picked numbers ------------------------------------------------------


def test_a_drop_from_40_to_minus_10_on_100_answers_each_is_significant() -> None:
    prev = nps_from_counts(promoters=60, passives=20, detractors=20)  # NPS 40
    cur = nps_from_counts(promoters=30, passives=30, detractors=40)  # NPS -10
    t = dip_test(previous=prev, current=cur)
    # By hand: p' = 60.75/103, d' = 20.75/103 -> centre .3883, var (.7913 - .1508)/103;
    # p' = 30.75/103, d' = 40.75/103 -> centre -.0971, var (.6942 - .0094)/103.
    assert t.z == pytest.approx(0.4854 / math.sqrt(0.006219 + 0.006648), abs=0.01)
    assert t.z > 4 and not t.intervals_overlap and t.significant


def test_a_drop_from_40_to_25_on_100_answers_each_is_chance() -> None:
    prev = nps_from_counts(promoters=60, passives=20, detractors=20)  # NPS 40
    cur = nps_from_counts(promoters=50, passives=25, detractors=25)  # NPS 25
    t = dip_test(previous=prev, current=cur)
    assert t.z == pytest.approx(1.28, abs=0.01)  # a 15-point drop, z well under 1.96
    assert t.intervals_overlap and not t.significant


def test_the_same_drop_with_four_times_the_answers_is_significant() -> None:
    prev = nps_from_counts(promoters=240, passives=80, detractors=80)
    cur = nps_from_counts(promoters=200, passives=100, detractors=100)
    t = dip_test(previous=prev, current=cur)
    # The intervals still overlap (40: 34..45, 25: 19..31 roughly), but z = 2.6 > 1.96:
    # the two-sample test catches what comparing intervals misses.
    assert t.intervals_overlap and t.z > 1.96 and t.significant


def test_too_few_answers_never_alert() -> None:
    prev = nps_from_counts(promoters=20, passives=0, detractors=0)
    cur = nps_from_counts(promoters=0, passives=0, detractors=20)
    t = dip_test(previous=prev, current=cur, min_n=30)
    assert t.z > 5 and not t.enough and not t.significant


# Store rules --------------------------------------------------------------------------------


def _at(when: datetime) -> str:
    return when.isoformat() + "+00:00"


def test_dip_and_stale_device_rules_alert_once(hq_server: Server) -> None:
    hq = hq_server.hq
    group = f"dip-{uuid.uuid4().hex[:6]}"
    add_group(hq, group)
    falling, steady = enroll(hq_server), enroll(hq_server)
    for dev in (falling, steady):
        set_group(hq, store_id=dev.store_id, group_id=group)
    now = datetime(2026, 12, 1, 12, 0)
    plan = {  # (previous 7 days, last 7 days) as (promoters, passives, detractors)
        falling.store_id: ((24, 8, 8), (8, 8, 24)),  # NPS 40 -> -40 on 40 answers each
        steady.store_id: ((24, 8, 8), (20, 10, 10)),  # NPS 40 -> 25: chance
    }
    for dev in (falling, steady):
        rows, seq = [], 0
        for period, counts in enumerate(plan[dev.store_id]):
            start = now - timedelta(days=14 if period == 0 else 7)
            for score, n in zip((10, 8, 3), counts, strict=True):
                for _ in range(n):
                    seq += 1
                    at = start + timedelta(hours=3 + seq)
                    rows.append(response(dev, seq, score=score, device_time=_at(at)))
        statuses(post_batch(hq_server, dev, batch(dev, rows)))
    rule = alerts.add_rule(
        hq, name="Dips", kind="nps_dip", group_id=group, recipients=["email:area@example.com"]
    )
    assert alerts.evaluate(hq, now=now) >= 1
    dips = _alerts_of(hq_server, falling.store_id)
    assert [a.kind for a in dips] == ["nps_dip"]
    assert "NPS -40 over the last 7 days, down from 40" in dips[0].summary
    assert _alerts_of(hq_server, steady.store_id) == []
    alerts.evaluate(hq, now=now + timedelta(hours=1))  # the same day: no second alert
    assert len(_alerts_of(hq_server, falling.store_id)) == 1
    alerts.disable_rule(hq, rule.id)

    alerts.add_rule(
        hq,
        name="Silent",
        kind="stale_device",
        store_id=steady.store_id,
        params={"hours": 6},
        recipients=["email:it@example.com"],
    )
    with hq.db.writing() as s:
        s.execute(
            update(DeviceRow)
            .where(DeviceRow.store_id == steady.store_id)
            .values(last_sync_at=now - timedelta(hours=7))
        )
    alerts.evaluate(hq, now=now)
    alerts.evaluate(hq, now=now + timedelta(minutes=5))
    stale = [a for a in _alerts_of(hq_server, steady.store_id) if a.kind == "stale_device"]
    assert len(stale) == 1 and "has not synced for 7 hours" in stale[0].summary


def test_group_rules_watch_only_their_stores_and_spikes_alert(hq_server: Server) -> None:
    hq = hq_server.hq
    group = f"east-{uuid.uuid4().hex[:6]}"
    add_group(hq, group)
    inside, outside = enroll(hq_server), enroll(hq_server)
    set_group(hq, store_id=inside.store_id, group_id=group)
    alerts.add_rule(
        hq,
        name="East detractors",
        kind="detractor_comment",
        group_id=group,
        recipients=["email:east@example.com", "email:east-2@example.com"],
    )
    alerts.add_rule(
        hq,
        name="East suspects",
        kind="suspect_spike",
        group_id=group,
        params={"count": 3, "minutes": 60},
        recipients=["email:fraud@example.com"],
        mode="digest",
    )
    for dev in (inside, outside):
        rows = [response(dev, 1, score=4, comment="Dirty floor")] + [
            response(dev, 10 + i, score=10, suspect=True, suspect_reason="burst") for i in range(3)
        ]
        statuses(post_batch(hq_server, dev, batch(dev, rows)))
    got = sorted(a.kind for a in _alerts_of(hq_server, inside.store_id))
    assert got == ["detractor_comment", "suspect_spike"]
    assert _alerts_of(hq_server, outside.store_id) == []
    with hq.db.reading() as s:
        held = s.scalars(
            select(DeliveryRow.status).where(DeliveryRow.target == "fraud@example.com")
        ).all()
    assert "held" in held  # digest rules wait for the daily digest


def test_rule_errors_say_what_to_do(hq_server: Server) -> None:
    with pytest.raises(AlertRuleError, match="email:ADDRESS or webhook:NAME"):
        alerts.add_rule(hq_server.hq, name="x", kind="detractor_comment", recipients=["bob"])
    with pytest.raises(AlertRuleError, match="days, min_n, z"):
        alerts.add_rule(
            hq_server.hq,
            name="x",
            kind="nps_dip",
            recipients=["email:a@b.example"],
            params={"weeks": 2},
        )
    with pytest.raises(AlertRuleError, match="rule kind"):
        alerts.add_rule(hq_server.hq, name="x", kind="nope", recipients=["email:a@b.example"])


def _cli(server: Server, *args: str) -> int:
    return hq_cli(
        [
            *args,
            "--data-dir",
            str(server.hq.config.data_dir),
            *(["--db", server.hq.db.url] if server.backend == "postgresql" else []),
        ]
    )


def test_cli_and_rules_page(hq_server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    device = enroll(hq_server)
    hook = f"cli-{uuid.uuid4().hex[:6]}"
    assert _cli(hq_server, "alerts", "add-webhook", hook, "--url", "https://ops.example/h") == 0
    assert "whsec_" in capsys.readouterr().out
    assert (
        _cli(
            hq_server,
            "alerts",
            "add",
            "contact_request",
            "--store",
            device.store_id,
            "--to",
            f"webhook:{hook};contact",
            "--to",
            "email:cx@example.com",
            "--digest",
        )
        == 0
    )
    out = capsys.readouterr().out
    rule_id = int(out.split()[1])
    assert _cli(hq_server, "alerts", "list") == 0
    listed = capsys.readouterr().out
    assert f"webhook:{hook};contact" in listed and "digest" in listed
    assert _cli(hq_server, "alerts", "disable", str(rule_id)) == 0
    assert _cli(hq_server, "alerts", "disable", str(rule_id)) == 2  # already off

    hq_server.hq.add_analyst("rita", password="rules pass 1")
    s = sign_in(hq_server.base, "rita", "rules pass 1")
    form = {
        "name": "<b>Dips</b> north",
        "kind": "nps_dip",
        "scope": f"store:{device.store_id}",
        "mode": "now",
        "recipients": "email:north@example.com\nwebhook:" + hook,
        "p_days": "14",
    }
    made = s.post(hq_server.url("/alerts/rules"), data=form, timeout=10)
    assert made.status_code == 200 and "&lt;b&gt;Dips&lt;/b&gt; north" in made.text
    assert "last 14 days vs the 14 before" in made.text
    bad = s.post(hq_server.url("/alerts/rules"), data={**form, "recipients": "x"}, timeout=10)
    assert bad.status_code == 422 and "email:ADDRESS or webhook:NAME" in bad.text
    assert requests.get(hq_server.url("/alerts"), timeout=10).url.endswith("/login")


# Atomicity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["before_commit", "after_commit"])
def test_responses_and_their_alerts_commit_together(
    hq_server: Server, point: str, tmp_path: os.PathLike[str]
) -> None:
    """Method: a second HQ process (``python -m hq.cli serve`` on the same database) runs with
    NPS_HQ_TEST_EXIT_AT=<point>, which makes it ``os._exit(70)`` inside ingest either after the
    responses and their alert rows are flushed to the database but before COMMIT, or right
    after COMMIT. The client's request dies with the process. Then the database holds neither
    the responses nor the alerts (before_commit), or both (after_commit); never one alone."""
    hq = hq_server.hq
    device = enroll(hq_server)
    alerts.add_rule(
        hq,
        name="Atomic",
        kind="detractor_comment",
        store_id=device.store_id,
        recipients=["email:atomic@example.com"],
    )
    port = free_port()
    env = {**os.environ, "NPS_HQ_TEST_EXIT_AT": point, "NPS_HQ_DELIVERY": "off"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hq.cli",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--data-dir",
            str(tmp_path),
            "--db",
            hq.db.url,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def up() -> bool:
            try:
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                return False

        wait_until(up, timeout=30, step=0.05, what="the second HQ to start")
        rows = [response(device, i, score=i, comment=f"Bad {i}") for i in range(1, 4)]
        with pytest.raises(requests.ConnectionError):
            requests.post(
                f"http://127.0.0.1:{port}/api/v1/batches",
                json=batch(device, rows),
                headers=device.auth,
                timeout=30,
            )
        assert proc.wait(timeout=30) == 70
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc.stderr:
            proc.stderr.close()
    with hq.db.reading() as s:
        responses = s.scalar(
            select(func.count())
            .select_from(ResponseRow)
            .where(ResponseRow.store_id == device.store_id)
        )
        made = s.scalar(
            select(func.count()).select_from(AlertRow).where(AlertRow.store_id == device.store_id)
        )
        outbox = s.scalar(
            select(func.count())
            .select_from(DeliveryRow)
            .where(
                DeliveryRow.alert_id.in_(
                    select(AlertRow.id).where(AlertRow.store_id == device.store_id)
                )
            )
        )
    assert (responses, made, outbox) == ((0, 0, 0) if point == "before_commit" else (3, 3, 3))
    # The kiosk resends; the surviving server stores what is missing, and alerts exactly once.
    statuses(post_batch(hq_server, device, batch(device, rows)))
    assert len(_alerts_of(hq_server, device.store_id)) == 3
