"""Protocol v1 models: what they accept and refuse, content hashes, signed batch files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from core.errors import BadBatchSignature, BatchFileError, ProtocolError
from core.ids import uuid7
from core.nps import category
from core.protocol import (
    BatchV1,
    ResponseV1,
    content_hash,
    read_batch_file,
    verify_batch_file,
    write_batch_file,
)
from kiosk.recording import Completion, FollowUp, Recorder
from sync.wire import response_from_kiosk

reason_keys = st.from_regex(r"\A[a-z][a-z0-9_]{0,10}\Z")
# Any text a database can keep: not NUL (PostgreSQL refuses it), no lone surrogates.
texts = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=60
)


@st.composite
def responses(draw: st.DrawFn) -> ResponseV1:
    score = draw(st.integers(0, 10))
    consent = draw(st.booleans())
    offset = draw(st.integers(-12 * 60, 14 * 60))
    when = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1)))
    return ResponseV1(
        id=str(uuid7()),
        seq=draw(st.integers(0, 10**9)),
        store_id="s1",
        device_id="d1",
        channel=draw(st.sampled_from(["kiosk", "qr"])),
        language=draw(st.sampled_from(["en", "hi"])),
        question_version=1,
        score=score,
        category=category(score).value,
        reasons=draw(st.lists(reason_keys, max_size=5, unique=True)),
        comment=draw(st.none() | texts),
        contact_consent=consent,
        contact_name=draw(st.none() | texts) if consent else None,
        contact_detail=draw(st.none() | texts) if consent else None,
        device_time=when.replace(tzinfo=timezone(timedelta(minutes=offset))),
        time_to_answer_ms=draw(st.none() | st.integers(0, 86_400_000)),
        completion=draw(st.sampled_from(["done", "skip", "timeout", "recovered"])),
        suspect=draw(st.booleans()),
        suspect_reason=None,
    )


@settings(max_examples=60, deadline=None)
@given(responses())
def test_a_response_survives_the_wire_with_its_hash(r: ResponseV1) -> None:
    again = ResponseV1.model_validate_json(r.model_dump_json())
    assert again == r and content_hash(again) == content_hash(r)
    assert again.device_time.utcoffset() == timedelta(0)


@settings(max_examples=60, deadline=None)
@given(responses(), st.integers(0, 10))
def test_any_change_changes_the_hash(r: ResponseV1, score: int) -> None:
    if score == r.score:
        return
    other = r.model_copy(update={"score": score, "category": category(score).value})
    assert content_hash(other) != content_hash(r)


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "score",
                "category",
                "comment",
                "language",
                "seq",
                "device_time",
                "reasons",
                "contact_name",
            ]
        ),
        st.none()
        | st.integers(-5, 20)
        | st.text(max_size=5)
        | st.booleans()
        | st.lists(st.text(max_size=3), max_size=3),
        min_size=1,
    )
)
def test_wrong_fields_raise_validation_errors_never_crash(changes: dict) -> None:
    base = json.loads(
        ResponseV1(
            id=str(uuid7()),
            seq=1,
            store_id="s1",
            device_id="d1",
            channel="kiosk",
            language="en",
            question_version=1,
            score=9,
            category="promoter",
            device_time=datetime(2026, 1, 1, tzinfo=UTC),
            completion="done",
        ).model_dump_json()
    )
    try:
        ResponseV1.model_validate({**base, **changes})
    except ValidationError:
        pass


def test_consistency_rules() -> None:
    good = dict(
        id=str(uuid7()),
        seq=1,
        store_id="s1",
        device_id="d1",
        channel="kiosk",
        language="en",
        question_version=1,
        score=6,
        category="detractor",
        device_time=datetime(2026, 1, 1, tzinfo=UTC),
        completion="done",
    )
    ResponseV1.model_validate(good)
    for bad in (
        {"category": "passive"},
        {"contact_name": "A"},
        {"reasons": ["a", "a"]},
        {"device_time": datetime(2026, 1, 1)},
        {"score": True},
        {"device_time": datetime(1970, 1, 2, tzinfo=UTC)},
        {"id": "X"},
    ):
        with pytest.raises(ValidationError):
            ResponseV1.model_validate({**good, **bad})
    with pytest.raises(ValidationError):
        BatchV1(
            batch_id=str(uuid7()),
            device_id="d1",
            sent_at=datetime.now(UTC),
            responses=[ResponseV1.model_validate(good)] * 501,
        )


def test_from_a_kiosk_response(db) -> None:  # the kiosk's real database (tests/conftest.py)
    recorder = Recorder(db)
    tapped = recorder.record_score(score=3, language="hi", time_to_answer_ms=1800)
    with pytest.raises(ProtocolError):
        response_from_kiosk(
            recorder.get(tapped.id), store_id="s1", device_id="d1", question_version=1
        )
    recorder.complete(
        tapped.id,
        how=Completion.DONE,
        follow_up=FollowUp(reasons=("wait_time",), comment="लंबी कतार"),
    )
    wire = response_from_kiosk(
        recorder.get(tapped.id), store_id="s1", device_id="d1", question_version=2
    )
    assert (wire.score, wire.category, wire.language, wire.comment, wire.reasons) == (
        3,
        "detractor",
        "hi",
        "लंबी कतार",
        ["wait_time"],
    )
    assert wire.device_time.tzinfo is not None and wire.question_version == 2


def test_batch_files_are_signed(tmp_path: Path) -> None:
    r = ResponseV1(
        id=str(uuid7()),
        seq=1,
        store_id="s1",
        device_id="d1",
        channel="kiosk",
        language="en",
        question_version=1,
        score=9,
        category="promoter",
        device_time=datetime(2026, 1, 1, tzinfo=UTC),
        completion="done",
    )
    batch = BatchV1(batch_id=str(uuid7()), device_id="d1", sent_at=datetime.now(UTC), responses=[r])
    path = write_batch_file(tmp_path / "b.json", batch, secret=b"s" * 32)
    file = read_batch_file(path)
    verify_batch_file(file, secret=b"s" * 32)
    assert BatchV1.model_validate(file.batch) == batch
    with pytest.raises(BadBatchSignature):
        verify_batch_file(file, secret=b"t" * 32)
    changed = file.model_copy(update={"batch": {**file.batch, "device_id": "d2"}})
    with pytest.raises(BadBatchSignature):
        verify_batch_file(changed, secret=b"s" * 32)
    (tmp_path / "x.json").write_text('{"format": "other"}')
    with pytest.raises(BatchFileError):
        read_batch_file(tmp_path / "x.json")


def test_text_no_database_can_keep_is_refused_with_the_reason() -> None:
    import pytest
    from pydantic import ValidationError

    from core.protocol import ResponseV1

    def wire(**changes: object) -> dict[str, object]:
        base: dict[str, object] = {
            "id": "01a210af-bb3d-7c16-aeaa-aea04aabc60f",
            "seq": 1,
            "store_id": "s1",
            "device_id": "d1",
            "channel": "kiosk",
            "language": "en",
            "question_version": 1,
            "score": 3,
            "category": "detractor",
            "device_time": "2026-11-25T10:00:00+00:00",
            "completion": "done",
        }
        return {**base, **changes}

    assert ResponseV1.model_validate(wire(comment="लंबी कतार")).comment == "लंबी कतार"
    with pytest.raises(ValidationError, match="NUL"):
        ResponseV1.model_validate(wire(comment="a\x00b"))
    with pytest.raises(ValidationError, match="lone surrogate"):
        ResponseV1.model_validate(wire(comment="a\ud800b"))


def test_every_wire_field_is_a_column_of_the_kiosk_database(tmp_path: Path) -> None:
    """The outbox selects the protocol's fields by name: a new wire field needs a kiosk column
    (and its migration) before a kiosk can send it."""
    import sqlite3

    from core.protocol import RESPONSE_FIELDS
    from kiosk.db import open_database

    db = open_database(tmp_path / "k.db")
    db.close()
    with sqlite3.connect(tmp_path / "k.db") as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(responses)")}
    assert set(RESPONSE_FIELDS) <= columns, set(RESPONSE_FIELDS) - columns
