"""Erasure reaches HQ on the USB path: a kiosk on protocol v2 that is offline erases a customer,
``nps-kiosk export-batches`` writes v2 files carrying the erasure under the file's signature,
and ``nps-hq import`` scrubs HQ's row and the alert payload made from it exactly as an upload
would; the erasure stays queued until HQ confirms it over the network. A changed erasure list
breaks the signature; a kiosk not known to be on v2 still writes v1 files, which import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from synckit import Hq, add_responses, fresh_db, session

from core.protocol import read_batch_file
from hq.cli import main as hq_main
from kiosk import followups, privacy
from kiosk.db import Database
from kiosk.recording import Completion, FollowUp, Recorder
from sync.outbox import StepKind, enroll_kiosk, outbox_for
from ui.cli import main as kiosk_main  # the nps-kiosk entry point

NAME, PHONE = "Usb Ujjwala", "+91 97531 86420"


@pytest.fixture
def kiosk(template_db: Path, tmp_path: Path) -> Iterator[Database]:
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    yield db
    db.close()


def caller(db: Database) -> str:
    rec = Recorder(db)
    rid = rec.record_score(score=1, language="en", time_to_answer_ms=3000).id
    rec.complete(
        rid,
        how=Completion.DONE,
        follow_up=FollowUp(
            comment=f"Call {NAME}",
            contact_consent=True,
            contact_name=NAME,
            contact_detail=PHONE,
            consent_text="May we call you?",
        ),
    )
    return rid


def hq_state(hq: Hq, rid: str) -> tuple[object, ...]:
    with hq.hq.db.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT contact_name, contact_detail, comment, score FROM responses WHERE id = ?",
            (rid,),
        ).one()
        payloads = [
            str(p[0]) + str(p[1])
            for p in conn.exec_driver_sql(
                "SELECT payload, summary FROM alerts WHERE response_id = ?", (rid,)
            )
        ]
    return (*row, payloads)


def test_an_erasure_on_an_offline_kiosk_reaches_hq_by_usb(
    hq: Hq, kiosk: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hq import alerts

    store = hq.new_store()
    alerts.add_rule(
        hq.hq,
        name="Call-backs",
        kind="contact_request",
        store_id=store,
        recipients=["email:manager@chain.example;contact"],
    )
    with requests.Session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(store), session=s)
    outbox = outbox_for(kiosk, session=requests.Session())
    rid = caller(kiosk)
    assert outbox.drain().last.kind is StepKind.IDLE
    assert outbox.sync_profile() is not None  # HQ speaks v2: the kiosk now knows
    name, phone, comment, score, payloads = hq_state(hq, rid)
    assert (name, phone, score) == (NAME, PHONE, 1) and any(PHONE in p for p in payloads)

    # The network is gone. The manager forgets the customer; two answers come in.
    followups.erase(kiosk, rid)
    add_responses(kiosk, 2)
    usb = tmp_path / "usb"
    kiosk.close()
    capsys.readouterr()
    assert kiosk_main(["export-batches", "--db", str(kiosk.path), "--out", str(usb)]) == 0
    said = capsys.readouterr().out
    assert "Wrote 2 responses in" in said and "(protocol v2)" in said
    assert "It carries 1 erasure too" in said
    (file,) = usb.glob("*.json")
    doc = read_batch_file(file)
    assert doc.batch["protocol"] == "v2" and doc.batch["erasures"] == [rid]

    # A changed erasure list is refused whole (the signature covers it).
    forged = tmp_path / "forged"
    forged.mkdir()
    raw = json.loads(file.read_text("utf-8"))
    raw["batch"]["erasures"] = []
    (forged / file.name).write_text(json.dumps(raw), "utf-8")
    data = str(hq.hq.config.data_dir)
    assert hq_main(["import", str(forged), "--data-dir", data]) == 1
    assert "REJECTED" in capsys.readouterr().out
    assert hq_state(hq, rid)[1] == PHONE

    # The real file: imported, the answer and its alert payload are scrubbed at HQ.
    assert hq_main(["import", str(usb), "--data-dir", data]) == 0
    assert "2 accepted, 0 duplicate, 0 rejected, 1 erasure applied" in capsys.readouterr().out
    name, phone, comment, score, payloads = hq_state(hq, rid)
    assert (name, phone, comment, score) == (None, None, None, 1)
    assert payloads and not any(PHONE in p or NAME in p for p in payloads)
    with hq.hq.db.engine.connect() as conn:
        by = conn.exec_driver_sql(
            "SELECT by, source FROM erasures WHERE response_id = ?", (rid,)
        ).one()
    assert by[1] == "device"
    # Importing the folder again changes nothing.
    assert hq_main(["import", str(usb), "--data-dir", data]) == 0
    assert "0 accepted, 2 duplicate" in capsys.readouterr().out

    # The erasure stays queued (a stick can be lost) until HQ confirms it over the network;
    # meanwhile every export carries it again.
    db = fresh_open(kiosk.path)
    try:
        assert privacy.queue_size(db) == 1
        again = tmp_path / "usb2"
        assert kiosk_main(["export-batches", "--db", str(db.path), "--out", str(again)]) == 0
        (only,) = again.glob("*.json")
        assert read_batch_file(only).batch["erasures"] == [rid]
        assert read_batch_file(only).batch["responses"] == []
        with session() as s:
            assert outbox_for(db, session=s).drain().last.kind is StepKind.IDLE
        assert privacy.queue_size(db) == 0
    finally:
        db.close()


def fresh_open(path: Path) -> Database:
    from kiosk.db import open_database

    return open_database(path)


def test_a_kiosk_not_known_to_speak_v2_still_writes_v1_files(
    hq: Hq, kiosk: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with requests.Session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    rid = caller(kiosk)
    followups.erase(kiosk, rid)
    usb = tmp_path / "usb"
    kiosk.close()
    assert kiosk_main(["export-batches", "--db", str(kiosk.path), "--out", str(usb)]) == 0
    assert "(protocol v1)" in capsys.readouterr().out
    (file,) = usb.glob("*.json")
    batch = read_batch_file(file).batch
    assert batch["protocol"] == "v1" and "erasures" not in batch
    assert "consent_text" not in batch["responses"][0]
    data = str(hq.hq.config.data_dir)
    assert hq_main(["import", str(usb), "--data-dir", data]) == 0
    assert "1 accepted" in capsys.readouterr().out
    # --protocol v2 carries the erasure for an HQ the manager knows runs this release.
    forced = tmp_path / "forced"
    args = ["export-batches", "--db", str(kiosk.path), "--out", str(forced), "--protocol", "v2"]
    assert kiosk_main(args) == 0
    (file,) = forced.glob("*.json")
    assert read_batch_file(file).batch["erasures"] == [rid]
    assert hq_main(["import", str(forced), "--data-dir", data]) == 0
    assert "1 erasure applied" in capsys.readouterr().out
