"""Audit entries are written for PIN tries, settings changes, exports and erasures."""

from __future__ import annotations

from datetime import date

from kiosk import audit, followups
from kiosk.export import export_responses
from kiosk.pin import PinGuard
from kiosk.questions import save_settings, versions
from kiosk.recording import Completion, FollowUp, Recorder


def test_everything_behind_the_pin_is_audited(db, tmp_path) -> None:
    guard = PinGuard(db)
    guard.set_pin("2468")
    assert not guard.attempt("1111").ok
    assert guard.attempt("2468").ok
    save_settings(db, store_name="Shop 7, MG Road", follow_up_timeout_s=30)
    rec = Recorder(db)
    rid = rec.record_score(score=1, language="en", time_to_answer_ms=4000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            contact_consent=True, contact_name="Ravi Das", contact_detail="ravi@example.com"
        ),
    )
    export_responses(db, folder=tmp_path, since=date(2020, 1, 1), until=date(2099, 1, 1))
    followups.erase(db, rid)

    actions = [e.action for e in reversed(audit.entries(db))]
    assert actions == [
        "pin_changed",
        "pin_failed",
        "pin_ok",
        "settings_changed",
        "export",
        "erasure",
    ]
    settings_entry = audit.entries(db, actions=["settings_changed"])[0]
    assert settings_entry.detail == {"keys": ["follow_up_timeout_s", "store_name"]}
    assert settings_entry.title == "Settings changed"
    assert "store name" in settings_entry.summary
    assert "Ravi" not in repr(audit.entries(db))


def test_new_wording_makes_a_question_version(db) -> None:
    rec = Recorder(db)
    old = rec.record_score(score=9, language="en", time_to_answer_ms=4000)
    settings = save_settings(db, question={"en": "Would you recommend Shop 7?", "hi": "क्या?"})
    assert settings.question_version == 2
    new = rec.record_score(score=9, language="en", time_to_answer_ms=9000)
    latest, first = versions(db)
    assert latest.version == 2 and latest.question["en"] == "Would you recommend Shop 7?"
    assert first.question["en"].startswith("How likely")
    # Labels carried over (version 1 was written when the defaults had English and Hindi only;
    # the new version also has the four languages added since).
    assert {k: latest.label_low[k] for k in first.label_low} == first.label_low
    # Saving the same wording again makes no new version and no audit entry.
    save_settings(db, question={"en": "Would you recommend Shop 7?", "hi": "क्या?"})
    assert len(versions(db)) == 2
    assert [e.action for e in audit.entries(db)] == ["question_changed"]
    con_versions = _question_versions_of_rows(db)
    assert con_versions == {old.id: 1, new.id: 2}


def _question_versions_of_rows(db) -> dict[str, int]:
    with db.reading() as s:
        rows = s.connection().exec_driver_sql("SELECT id, question_version FROM responses")
        return {r[0]: r[1] for r in rows}
