"""Follow-up cases sync both ways through a real HQ (SQLite and PostgreSQL): a kiosk's case
changes in a v2 batch are stored (later change wins, both audited), HQ's changes reach the
store's other kiosks by GET /api/v1/cases and not the kiosk that sent them, a v1 kiosk is
unchanged, a malformed case is a 422 naming the field, an erasure scrubs the note, the
export lists the case, the purge counts days from the resolution, and migration 0008
upgrades a 0007 database."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from hqkit import Device, Server, batch, enroll, post_batch, response, sign_in, statuses
from sqlalchemy import select

from hq import cases, privacy, users
from hq.models import AuditRow, CaseRow, ResponseRow
from hq.roles import Role
from hq.service import Hq, HqConfig, RetentionPolicy


def _case(
    rid: str, state: str, at: datetime, *, note: str | None = None, by: str = "Priya"
) -> dict[str, Any]:
    return {
        "response_id": rid,
        "state": state,
        "note": note,
        "changed_by": by,
        "changed_at": at.isoformat(),
    }


def _detractor(dev: Device, seq: int, **changes: Any) -> dict[str, Any]:
    return response(
        dev,
        seq,
        score=2,
        contact_consent=True,
        contact_name="Asha",
        contact_detail=f"+91 98{uuid.uuid4().int % 10**8:08d}",
        **changes,
    )


def _send(server: Server, dev: Device, rows: list[dict[str, Any]], updates: list[Any]) -> Any:
    reply = post_batch(server, dev, batch(dev, rows, protocol="v2", cases=updates))
    assert reply.status_code == 200, reply.text
    return reply.json()


def _stored(server: Server, rid: str) -> CaseRow | None:
    with server.hq.db.reading() as s:
        return s.get(CaseRow, rid)


def _audit(server: Server, rid: str) -> list[tuple[str, str, str]]:
    with server.hq.db.reading() as s:
        return [
            (a.actor, a.action, a.detail)
            for a in s.scalars(select(AuditRow).where(AuditRow.target == rid).order_by(AuditRow.id))
        ]


def _pull(server: Server, dev: Device, after: str | None = None) -> dict[str, Any]:
    r = requests.get(
        server.url("/api/v1/cases"),
        params={"after": after} if after else {},
        headers=dev.auth,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_kiosk_change_is_stored_older_ignored_but_audited(hq_server: Server) -> None:
    dev = enroll(hq_server)
    row = _detractor(dev, 1)
    t0 = datetime.now(UTC).replace(microsecond=0)
    # The case and its answer in one batch: the answer is stored first, so the case is taken.
    reply = _send(hq_server, dev, [row], [_case(row["id"], "contacted", t0, note="Called at 5")])
    assert reply["results"][0]["status"] == "accepted"
    assert reply["cases_taken"] == [row["id"]]
    kept = _stored(hq_server, row["id"])
    assert kept is not None
    assert (kept.state, kept.note, kept.changed_by) == ("contacted", "Called at 5", "Priya")
    assert kept.device_id == dev.device_id and kept.resolved_at is None
    # An older change (another manager's, synced late) is settled as older: taken, not kept.
    older = _case(row["id"], "resolved", t0 - timedelta(hours=1), note="stale", by="Ravi")
    assert _send(hq_server, dev, [], [older])["cases_taken"] == [row["id"]]
    still = _stored(hq_server, row["id"])
    assert still is not None and (still.state, still.note) == ("contacted", "Called at 5")
    trail = _audit(hq_server, row["id"])
    assert [a[1] for a in trail] == ["case.change", "case.superseded"]
    assert all(a[0] == f"device {dev.device_id}" for a in trail)
    assert "contacted by Priya" in trail[1][2] and "resolved by Ravi" in trail[1][2]
    assert "Called at 5" not in str(trail) and "stale" not in str(trail)  # never the note
    # A newer one wins, and resolving stamps resolved_at; a resend of it changes nothing.
    newer = _case(row["id"], "resolved", t0 + timedelta(minutes=5), note="Refund given")
    assert _send(hq_server, dev, [], [newer])["cases_taken"] == [row["id"]]
    assert _send(hq_server, dev, [], [newer])["cases_taken"] == [row["id"]]
    done = _stored(hq_server, row["id"])
    assert done is not None and done.state == "resolved"
    assert done.resolved_at == (t0 + timedelta(minutes=5)).replace(tzinfo=None)
    assert len(_audit(hq_server, row["id"])) == 3


def test_unknown_other_store_and_non_cases_are_not_taken(hq_server: Server) -> None:
    dev, other = enroll(hq_server), enroll(hq_server)
    theirs = _detractor(other, 1)
    promoter = response(dev, 1, score=10)
    statuses(post_batch(hq_server, other, batch(other, [theirs])))
    statuses(post_batch(hq_server, dev, batch(dev, [promoter])))
    now = datetime.now(UTC)
    unknown = str(uuid.uuid4())
    mine = _detractor(dev, 2)
    reply = _send(
        hq_server,
        dev,
        [mine],
        [
            _case(unknown, "contacted", now),
            _case(theirs["id"], "resolved", now),
            _case(promoter["id"], "contacted", now),
            _case(mine["id"], "contacted", now),
        ],
    )
    assert reply["cases_taken"] == [mine["id"]]
    assert [r["status"] for r in reply["results"]] == ["accepted"]
    assert _stored(hq_server, theirs["id"]) is None and _stored(hq_server, unknown) is None


def test_hq_change_reaches_the_other_kiosk_not_the_sender(hq_server: Server) -> None:
    a = enroll(hq_server)
    b = enroll(hq_server, a.store_id)
    elsewhere = enroll(hq_server)
    row = _detractor(a, 1)
    statuses(post_batch(hq_server, a, batch(a, [row])))
    start_b = _pull(hq_server, b)
    assert start_b["cases"] == [] and start_b["has_more"] is False
    cursor_a = _pull(hq_server, a)["cursor"]
    cursor_b = start_b["cursor"]
    # Kiosk A's change goes to B, not back to A.
    t0 = datetime.now(UTC) - timedelta(minutes=10)
    _send(hq_server, a, [], [_case(row["id"], "contacted", t0, note="left a message")])
    got_a = _pull(hq_server, a, cursor_a)
    assert got_a["cases"] == [] and got_a["cursor"] != cursor_a  # moved past its own change
    got_b = _pull(hq_server, b, cursor_b)
    assert [(c["state"], c["note"]) for c in got_b["cases"]] == [("contacted", "left a message")]
    # A regional manager resolves it at HQ: both kiosks get it, the other store's does not.
    cases.set_case(
        hq_server.hq,
        row["id"],
        state="resolved",
        note="Spoke to her; voucher sent",
        by="meera@chain.example",
        store_ids=None,
    )
    for dev, cursor in ((a, got_a["cursor"]), (b, got_b["cursor"])):
        pulled = _pull(hq_server, dev, cursor)
        assert len(pulled["cases"]) == 1, dev
        change = pulled["cases"][0]
        assert change["state"] == "resolved" and change["changed_by"] == "meera@chain.example"
        assert change["note"] == "Spoke to her; voucher sent"
        assert datetime.fromisoformat(change["changed_at"]) > t0
        assert _pull(hq_server, dev, pulled["cursor"])["cases"] == []  # nothing new: same cursor
    assert all(c["response_id"] != row["id"] for c in _pull(hq_server, elsewhere)["cases"])
    # The kiosk's older copy (changed before HQ's) arriving late loses, and is audited.
    _send(hq_server, b, [], [_case(row["id"], "contacted", t0 + timedelta(minutes=1))])
    final = _stored(hq_server, row["id"])
    assert final is not None and final.state == "resolved" and final.device_id is None
    actions = [x[1] for x in _audit(hq_server, row["id"])]
    assert actions == ["case.change", "case.change", "case.superseded"]
    bad = requests.get(
        hq_server.url("/api/v1/cases"), params={"after": "x"}, headers=a.auth, timeout=10
    )
    assert bad.status_code == 422


def test_v1_kiosk_unchanged_and_malformed_case_is_a_422(hq_server: Server) -> None:
    dev = enroll(hq_server)
    row = _detractor(dev, 1)
    now = datetime.now(UTC)
    v1 = post_batch(hq_server, dev, batch(dev, [row], cases=[_case(row["id"], "open", now)]))
    assert v1.status_code == 422 and "v2" in v1.text
    plain = post_batch(hq_server, dev, batch(dev, [row]))
    assert statuses(plain) == ["accepted"] and "cases_taken" not in plain.json()
    v2_without = post_batch(hq_server, dev, batch(dev, [], protocol="v2"))
    assert v2_without.status_code == 200 and "cases_taken" not in v2_without.json()
    for wrong, field in (
        ({"state": "closed"}, "cases.0.state"),
        ({"changed_by": ""}, "cases.0.changed_by"),
        ({"note": "x" * 1001}, "cases.0.note"),
        ({"changed_at": "2027-01-01T10:00:00"}, "cases.0.changed_at"),
    ):
        bad = {**_case(row["id"], "open", now), **wrong}
        r = post_batch(hq_server, dev, batch(dev, [], protocol="v2", cases=[bad]))
        assert r.status_code == 422, wrong
        assert field in r.json()["detail"], (field, r.text)
    assert _stored(hq_server, row["id"]) is None


def test_erasure_scrubs_the_note_and_export_lists_the_case(hq_server: Server) -> None:
    dev = enroll(hq_server)
    row = _detractor(dev, 1)
    phone = row["contact_detail"]
    at = datetime.now(UTC)
    _send(hq_server, dev, [row], [_case(row["id"], "contacted", at, note=f"rang {phone}")])
    name = f"owner-{uuid.uuid4().hex[:6]}"
    users.add_user(hq_server.hq, name, password="cases pass 1", role=Role.OWNER)
    page = sign_in(hq_server.base, name, "cases pass 1").get(
        hq_server.url("/privacy"), params={"phone": phone}, timeout=30
    )
    assert 'id="held-cases"' in page.text and f"rang {phone}" in page.text
    query = privacy.PersonQuery.parse("phone", phone)
    doc = privacy.export(hq_server.hq, query, actor="test")
    assert [c["note"] for c in doc["cases"]] == [f"rang {phone}"]
    assert doc["cases"][0]["state"] == "contacted"
    result = privacy.erase(hq_server.hq, query, actor="test")
    assert result.scrubbed.notes == 1
    after = _stored(hq_server, row["id"])
    assert after is not None and after.note is None and after.state == "contacted"
    # A kiosk resending the note afterwards (it had not pulled the erasure yet) stores none.
    later = _case(row["id"], "resolved", at + timedelta(minutes=1), note=f"again {phone}")
    assert _send(hq_server, dev, [], [later])["cases_taken"] == [row["id"]]
    resolved = _stored(hq_server, row["id"])
    assert resolved is not None and resolved.state == "resolved" and resolved.note is None


def test_purge_counts_days_from_the_resolution(hq_server: Server) -> None:
    policy = RetentionPolicy(contact_resolved_days=90, contact_days=180)
    hq = Hq(
        hq_server.hq.db,
        server_key=hq_server.hq.server_key,
        config=replace(hq_server.hq.config, retention=policy),
    )
    dev = enroll(hq_server)
    now = datetime.now(UTC)
    answered = (now - timedelta(days=100)).isoformat()
    resolved_long_ago = _detractor(dev, 1, device_time=answered)
    resolved_lately = _detractor(dev, 2, device_time=answered)
    never = _detractor(dev, 3, device_time=answered)
    _send(
        hq_server,
        dev,
        [resolved_long_ago, resolved_lately, never],
        [
            _case(resolved_long_ago["id"], "resolved", now - timedelta(days=95), note="n1"),
            _case(resolved_lately["id"], "resolved", now - timedelta(days=10), note="n2"),
        ],
    )
    privacy.purge(hq, now=now.replace(tzinfo=None))
    with hq.db.reading() as s:
        details = {
            r.id: r.contact_detail
            for r in s.scalars(
                select(ResponseRow).where(
                    ResponseRow.id.in_(
                        [resolved_long_ago["id"], resolved_lately["id"], never["id"]]
                    )
                )
            )
        }
    assert details[resolved_long_ago["id"]] is None
    assert details[resolved_lately["id"]] == resolved_lately["contact_detail"]
    assert details[never["id"]] == never["contact_detail"]  # 100 days < 180
    gone = _stored(hq_server, resolved_long_ago["id"])
    assert gone is not None and gone.note is None and gone.state == "resolved"
    kept = _stored(hq_server, resolved_lately["id"])
    assert kept is not None and kept.note == "n2"


def test_migration_0008_upgrades_a_0007_database(tmp_path: Path) -> None:
    from alembic import command

    from hq.db import _alembic_config, make_engine, sqlite_url

    engine = make_engine(sqlite_url(tmp_path / "hq.db"))
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0007_corrected_time")
        conn.exec_driver_sql(
            "INSERT INTO stores (store_id, name, created_at) VALUES "
            "('s1', 's1', '2026-11-01 00:00:00.000000')"
        )
        conn.exec_driver_sql(
            "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
            "question_version, score, category, reasons, contact_consent, contact_name, "
            "contact_detail, device_time, corrected_time, completion, suspect, content_hash, "
            "received_at) VALUES ('01900000-0000-7000-8000-000000000001', 1, 's1', 'd1', "
            "'kiosk', 'en', 1, 2, 'detractor', '[]', 1, 'Old', '+91 90000 00000', "
            "'2026-01-01 10:00:00.000000', '2026-01-01 10:00:00.000000', 'done', 0, 'abc', "
            "'2026-01-01 10:00:00.000000')"
        )
        conn.commit()
    engine.dispose()
    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        with hq.db.engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            assert conn.exec_driver_sql("SELECT count(*) FROM cases").scalar() == 0
        from alembic.script import ScriptDirectory

        assert version == ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
        # The old answer is an open case, and HQ can change it.
        lines = cases.list_cases(hq, cases.CaseFilter(), store_ids=None)
        assert [(c.store_id, c.state, c.overdue) for c in lines] == [("s1", "open", True)]
        cases.set_case(
            hq,
            "01900000-0000-7000-8000-000000000001",
            state="contacted",
            note="ok",
            by="ops@chain.example",
            store_ids=None,
        )
        changes, cursor, more = cases.changes_since(hq, "s1", after=0, limit=10)
        assert [c.state for c in changes] == ["contacted"] and cursor == 1 and not more
    finally:
        hq.close()


def test_a_batch_file_carries_cases_like_an_upload(hq_server: Server, tmp_path: Path) -> None:
    from core.protocol import BatchV1, write_batch_file
    from hq.ingest import import_file

    dev = enroll(hq_server)
    row = _detractor(dev, 1)
    at = datetime.now(UTC) - timedelta(hours=1)
    body = BatchV1.model_validate(
        batch(
            dev,
            [row],
            protocol="v2",
            cases=[_case(row["id"], "contacted", at, note="called from the store phone")],
        )
    )
    path = write_batch_file(tmp_path / "usb.json", body, secret=dev.secret)
    outcome = import_file(hq_server.hq, path)
    assert outcome.error is None and outcome.accepted == 1
    stored = _stored(hq_server, row["id"])
    assert stored is not None and stored.state == "contacted"
    assert stored.note == "called from the store phone" and stored.device_id == dev.device_id
    assert import_file(hq_server.hq, path).duplicates == 1  # importing twice changes nothing
    assert [a[1] for a in _audit(hq_server, row["id"])] == ["case.change"]


def test_concurrent_changes_get_distinct_cursor_positions(hq_server: Server) -> None:
    """Writers changing cases at once (HQ users, kiosk batches) never share a change id, and
    the pull lists every change once, in order."""
    import threading

    a = enroll(hq_server)
    b = enroll(hq_server, a.store_id)
    rows = [_detractor(a, i) for i in range(1, 41)]
    statuses(post_batch(hq_server, a, batch(a, rows)))
    start = _pull(hq_server, b)["cursor"]
    errors: list[BaseException] = []

    def hq_user(part: list[dict[str, Any]]) -> None:
        try:
            for r in part:
                cases.set_case(
                    hq_server.hq,
                    r["id"],
                    state="contacted",
                    note=None,
                    by="ops@chain.example",
                    store_ids=None,
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    def kiosk(part: list[dict[str, Any]]) -> None:
        try:
            at = datetime.now(UTC) - timedelta(days=1)
            for r in part:
                got = _send(hq_server, a, [], [_case(r["id"], "contacted", at)])
                assert got["cases_taken"] == [r["id"]]
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=hq_user, args=(rows[0:10],)),
        threading.Thread(target=hq_user, args=(rows[10:20],)),
        threading.Thread(target=kiosk, args=(rows[20:30],)),
        threading.Thread(target=kiosk, args=(rows[30:40],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    seen: list[str] = []
    cursor = start
    while True:
        page = requests.get(
            hq_server.url("/api/v1/cases"),
            params={"after": cursor, "limit": 7},
            headers=b.auth,
            timeout=10,
        ).json()
        seen += [c["response_id"] for c in page["cases"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert sorted(seen) == sorted(r["id"] for r in rows)  # each once
    with hq_server.hq.db.reading() as s:
        ids = list(
            s.scalars(
                select(CaseRow.change_id).where(CaseRow.response_id.in_([r["id"] for r in rows]))
            )
        )
    assert len(set(ids)) == 40
