"""Exports: CSV (UTF-8 with BOM, Hindi intact) and JSON round-trip, contacts only on request."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest

from core.text import spreadsheet_safe
from kiosk import audit, followups
from kiosk.export import ExportError, export_cases, export_responses
from kiosk.recording import Completion, FollowUp, Recorder

HINDI = 'बिलिंग काउंटर पर बहुत लंबी लाइन थी, "कृपया" सुधारें,\nधन्यवाद'


def test_csv_and_json_round_trip_with_hindi(db, tmp_path) -> None:
    rec = Recorder(db)
    a = rec.record_score(score=3, language="hi", time_to_answer_ms=4000).id
    rec.complete(
        a,
        how=Completion.DONE,
        follow_up=FollowUp(
            reasons=("wait_time", "checkout"),
            comment=HINDI,
            contact_consent=True,
            contact_name="Secret Name",
            contact_detail="+91 99999 12345",
        ),
    )
    b = rec.record_score(score=10, language="en", time_to_answer_ms=4000).id
    usb = tmp_path / "usb"
    usb.mkdir()
    result = export_responses(db, folder=usb, since=date(2020, 1, 1), until=date(2099, 1, 1))
    assert result.rows == 2
    csv_path, json_path = result.files
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == [a, b]
    assert rows[0]["comment"] == HINDI and rows[0]["reasons"] == "wait_time;checkout"
    assert rows[1]["score"] == "10" and rows[1]["completion"] == ""
    data = json.loads(json_path.read_text("utf-8"))
    assert data["responses"][0]["comment"] == HINDI
    assert data["responses"][0]["reasons"] == ["wait_time", "checkout"]
    for path in result.files:  # contact details only leave through the follow-ups export
        assert b"Secret Name" not in path.read_bytes()
    assert not list(usb.glob("*.part"))
    (entry,) = audit.entries(db, actions=["export"])
    assert entry.detail["rows"] == 2


def test_empty_range_and_second_export_do_not_overwrite(db, tmp_path) -> None:
    first = export_responses(db, folder=tmp_path, since=date(2020, 1, 1), until=date(2020, 1, 2))
    second = export_responses(db, folder=tmp_path, since=date(2020, 1, 1), until=date(2020, 1, 2))
    assert first.rows == 0 and set(first.files).isdisjoint(second.files)
    with open(first.files[1], encoding="utf-8") as fh:
        assert json.load(fh)["responses"] == []


def test_missing_folder_says_what_to_do(db, tmp_path) -> None:
    with pytest.raises(ExportError, match="plug in the USB stick"):
        export_responses(
            db, folder=tmp_path / "gone", since=date(2020, 1, 1), until=date(2020, 1, 2)
        )


def test_follow_up_contacts_export(db, tmp_path) -> None:
    rec = Recorder(db)
    a = rec.record_score(score=1, language="hi", time_to_answer_ms=4000).id
    rec.complete(
        a,
        how=Completion.DONE,
        follow_up=FollowUp(
            contact_consent=True, contact_name="प्रिया शर्मा", contact_detail="+91 99999 12345"
        ),
    )
    result = export_cases(db, folder=tmp_path)
    with result.files[0].open(encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["contact_name"] == "प्रिया शर्मा" and row["state"] == "open"
    assert audit.entries(db, actions=["export_cases"])[0].detail["rows"] == 1


EVIL = '=HYPERLINK("http://evil.example","Click")'


def _read_csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_formulas_in_customer_text_are_inert_in_every_csv(db, tmp_path) -> None:
    """A comment typed as a spreadsheet formula reaches the file quoted, in both CSV exports;
    the JSON keeps the customer's text exactly and the score stays a number."""
    rec = Recorder(db)
    a = rec.record_score(score=0, language="en", time_to_answer_ms=4000).id
    rec.complete(
        a,
        how=Completion.DONE,
        follow_up=FollowUp(
            comment=EVIL,
            contact_consent=True,
            contact_name="@SUM(1+1)*cmd|' /C calc'!A0",
            contact_detail="+91 99999 12345",
        ),
    )
    followups.set_note(db, a, "-2+3")
    responses = export_responses(
        db, folder=tmp_path, since=date(2020, 1, 1), until=date(2099, 1, 1)
    )
    (row,) = _read_csv(responses.files[0])
    assert row["comment"] == "'" + EVIL
    assert row["score"] == "0" and row["id"] == a
    data = json.loads(responses.files[1].read_text("utf-8"))
    assert data["responses"][0]["comment"] == EVIL  # JSON is data, not a spreadsheet

    (case,) = _read_csv(export_cases(db, folder=tmp_path).files[0])
    assert case["comment"] == "'" + EVIL
    assert case["contact_name"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert case["contact_detail"] == "'+91 99999 12345"
    assert case["note"] == "'-2+3"
    assert case["score"] == "0"
    for cell in (*row.values(), *case.values()):
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_spreadsheet_safe_leaves_plain_text_alone() -> None:
    assert spreadsheet_safe("Quick checkout") == "Quick checkout"
    assert spreadsheet_safe("") == ""
    assert spreadsheet_safe("a=b") == "a=b"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert spreadsheet_safe(start + "1") == "'" + start + "1"
