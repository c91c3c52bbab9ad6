"""Retention on the kiosk with a moved clock (contact details N days after the case is resolved,
M days after the answer if it never is, comments K days after the answer when set), the daily
run, exports after a purge; the consent wording stored with the consent; erasures from HQ."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta

import pytest

from kiosk import audit, followups, privacy
from kiosk.db import utcnow
from kiosk.errors import SettingError
from kiosk.export import export_cases, export_responses
from kiosk.followups import CaseState
from kiosk.recording import Completion, FollowUp, Recorder

CONSENT = "May we call you about this visit? (shown)"


def answer(
    db,
    at: datetime,
    *,
    name: str,
    phone: str,
    score: int = 1,
    comment: str = "",
    consent: bool = True,
) -> str:
    rec = Recorder(db, clock=lambda: at)
    rid = rec.record_score(score=score, language="en", time_to_answer_ms=3000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            comment=comment,
            contact_consent=consent,
            contact_name=name,
            contact_detail=phone,
            consent_text=CONSENT,
        ),
    )
    return rid


def raw(db) -> bytes:
    wal = db.path.with_name(db.path.name + "-wal")
    return db.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def contact(db, rid: str) -> tuple[object, ...]:
    with db.reading() as s:
        return tuple(
            s.connection()
            .exec_driver_sql(
                "SELECT contact_name, contact_detail, comment, score, contact_consent "
                "FROM responses WHERE id = ?",
                (rid,),
            )
            .one()
        )


def test_retention_purges_by_age_with_a_moved_clock(db, tmp_path) -> None:
    start = utcnow()
    resolved = answer(db, start, name="Resolved Rao", phone="+91 91111 11111")
    unresolved = answer(db, start, name="Open Olga", phone="+91 92222 22222", comment="bad")
    fresh = answer(db, start + timedelta(days=150), name="Fresh Fatima", phone="+91 93333 33333")
    followups.set_note(db, resolved, "Called Resolved Rao back")
    followups.move(db, resolved, CaseState.RESOLVED)
    resolved_at = followups.get(db, resolved).updated_at
    assert resolved_at is not None
    followups.set_note(db, resolved, "Called Resolved Rao back, voucher")  # keeps resolved_at
    with db.reading() as s:
        kept = (
            s.connection()
            .exec_driver_sql(
                "SELECT resolved_at FROM followup_cases WHERE response_id = ?", (resolved,)
            )
            .scalar()
        )
    assert datetime.fromisoformat(str(kept)) == resolved_at

    # 89 days on: nothing is due (defaults 90 after resolving, 180 after the answer).
    nothing = privacy.purge(db, now=resolved_at + timedelta(days=89))
    assert (nothing.contacts, nothing.comments) == (0, 0)
    # 91 days after the resolution: the resolved case's contact and note go; the open one stays.
    first = privacy.purge(db, now=resolved_at + timedelta(days=91))
    assert (first.contacts, first.comments) == (1, 0) and first.wal_truncated
    assert contact(db, resolved)[:4] == (None, None, None, 1)
    case = followups.get(db, resolved)
    assert case.erased and case.note is None and case.state is CaseState.RESOLVED
    assert contact(db, unresolved)[:2] == ("Open Olga", "+91 92222 22222")
    data = raw(db)
    assert b"Resolved Rao" not in data and b"+91 91111 11111" not in data
    # 181 days after the answer: the never-resolved case goes too, its comment stays (off).
    second = privacy.purge(db, now=start + timedelta(days=181))
    assert (second.contacts, second.comments) == (1, 0)
    assert contact(db, unresolved) == (None, None, "bad", 1, 1)  # consent flag kept
    assert contact(db, fresh)[:2] == ("Fresh Fatima", "+91 93333 33333")
    assert b"+91 92222 22222" not in raw(db)
    # Comments: off by default; 30 days once set.
    db.update_settings(retention_comment_days=30)
    third = privacy.purge(db, now=start + timedelta(days=182))
    assert (third.contacts, third.comments) == (0, 1)
    assert contact(db, unresolved)[2] is None
    entries = audit.entries(db, actions=["retention_purge"])
    assert [e.detail["contacts"] for e in entries] == [0, 1, 1, 0]
    assert entries[0].detail["comment_days"] == 30
    assert "Fatima" not in repr(audit.entries(db))

    # Exports made after the purge hold none of what was purged.
    out = export_responses(db, folder=tmp_path, since=date(2000, 1, 1), until=date(2100, 1, 1))
    cases = export_cases(db, folder=tmp_path)
    text = "".join(p.read_text("utf-8-sig") for p in (*out.files, *cases.files))
    for gone in ("Resolved Rao", "+91 91111 11111", "Open Olga", "+91 92222 22222", "bad"):
        assert gone not in text
    assert "Fresh Fatima" in text
    with cases.files[0].open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["response_id"]: r for r in csv.DictReader(fh)}
    assert rows[resolved]["contact_detail"] == "" and rows[fresh]["contact_name"] == "Fresh Fatima"


def test_the_purge_runs_once_a_day(db) -> None:
    now = utcnow()
    answer(db, now - timedelta(days=200), name="Old Oscar", phone="+91 94444 44444")
    assert privacy.purge_due(db, now)
    first = privacy.purge_if_due(db, now=now)
    assert first is not None and first.contacts == 1
    assert privacy.purge_if_due(db, now=now + timedelta(hours=22)) is None
    assert privacy.purge_if_due(db, now=now + timedelta(hours=24)) is not None
    # A clock that jumped back more than a day does not stop the purge.
    assert privacy.purge_due(db, now - timedelta(days=3))


def test_retention_settings_are_checked() -> None:
    from kiosk.settings import Settings, validate

    s = Settings()
    assert (s.retention_contact_resolved_days, s.retention_contact_days) == (90, 180)
    assert s.retention_comment_days is None
    assert validate("retention_comment_days", None) is None
    with pytest.raises(SettingError, match="1 to 3650"):
        validate("retention_contact_days", 0)


def test_the_consent_wording_is_stored_with_the_consent(db) -> None:
    yes = answer(db, utcnow(), name="A", phone="+91 95555 55555")
    no = answer(db, utcnow(), name="B", phone="+91 96666 66666", consent=False)
    with db.reading() as s:
        got = dict(s.connection().exec_driver_sql("SELECT id, consent_text FROM responses").all())
    assert got == {yes: CONSENT, no: None}


def test_erasures_from_hq_scrub_what_is_held_and_store_the_cursor(db) -> None:
    rid = answer(db, utcnow(), name="Hq Erased", phone="+91 97777 77777", comment="call me")
    keep = answer(db, utcnow(), name="Kept Kiran", phone="+91 98888 88888")
    done = privacy.erase(
        db, [rid, "01900000-0000-7000-8000-000000000000"], source="hq", cursor="c1"
    )
    assert done.response_ids == (rid,)
    assert contact(db, rid)[:3] == (None, None, None)
    assert contact(db, keep)[:2] == ("Kept Kiran", "+91 98888 88888")
    assert privacy.queue_size(db) == 0  # HQ's own erasures are not sent back to it
    with db.reading() as s:
        cursor = (
            s.connection()
            .exec_driver_sql("SELECT erasure_cursor FROM sync_status WHERE id = 1")
            .scalar()
        )
    assert cursor == "c1"
    again = privacy.erase(db, [rid], source="hq", cursor="c2")  # nothing held any more
    assert again.response_ids == ()
    (entry,) = audit.entries(db, actions=["erasure_from_hq"])
    assert json.dumps(entry.detail) == json.dumps({"count": 1, "response_ids": [rid]})
