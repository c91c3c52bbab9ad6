"""No network at all: export-batches writes signed batch files, nps-hq import loads them, and a
later network sync reconciles (HQ answers duplicate). A file with a bad signature is refused
whole and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synckit import Hq, add_responses, complete_ids, fresh_db, local_states, session

from core.protocol import read_batch_file
from hq.cli import main as hq_main
from kiosk import credentials
from kiosk.db import Database
from sync.ledger import SyncStore
from sync.outbox import enroll_kiosk, outbox_for
from ui.cli import main as kiosk_main  # the nps-kiosk entry point


@pytest.fixture
def kiosk(template_db: Path, tmp_path: Path, hq: Hq) -> Database:
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    with session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
    yield db
    db.close()


def test_usb_export_import_then_network_sync_reconciles(
    kiosk: Database, hq: Hq, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_responses(kiosk, 620)
    add_responses(kiosk, 2, complete=False)
    usb = tmp_path / "usb"
    kiosk.close()
    assert kiosk_main(["export-batches", "--db", str(kiosk.path), "--out", str(usb)]) == 0
    assert "Wrote 620 responses in 2 batch files" in capsys.readouterr().out
    files = sorted(usb.glob("*.json"))
    assert len(files) == 2 and not list(usb.glob("*.tmp"))  # written to a temp name, renamed
    assert [len(read_batch_file(f).batch["responses"]) for f in files] == [500, 120]
    state = local_states(kiosk)
    assert state == {"exported": 620, "pending": 2}  # exported, not acknowledged
    # A second export writes nothing new: those answers are already on the stick.
    assert kiosk_main(["export-batches", "--db", str(kiosk.path), "--out", str(usb)]) == 0
    assert len(list(usb.glob("*.json"))) == 2
    ledger = SyncStore(kiosk).recent_batches()
    assert {(b.kind, b.size) for b in ledger} == {("file", 500), ("file", 120)}

    # At HQ: nps-hq import verifies and loads them (twice is harmless).
    data = str(hq.hq.config.data_dir)
    assert hq_main(["import", str(usb), "--data-dir", data]) == 0
    assert "620 accepted" in capsys.readouterr().out
    assert hq_main(["import", str(usb), "--data-dir", data]) == 0
    assert "0 accepted, 620 duplicate" in capsys.readouterr().out
    device = credentials.load(kiosk.path).device_id
    assert len(hq.rows(device)) == 620

    # The kiosk gets a network: the normal sync reconciles; HQ answers duplicate.
    with session() as s:
        report = outbox_for(kiosk, session=s).drain(max_failures=1)
    assert report.synced == 620
    assert sum(b.duplicate for b in report.batches) == 620
    assert local_states(kiosk) == {"synced": 620, "pending": 2}
    assert set(hq.rows(device)) == complete_ids(kiosk)


def test_a_batch_file_with_a_bad_signature_is_refused_whole_and_reported(
    kiosk: Database, hq: Hq, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_responses(kiosk, 5)
    usb = tmp_path / "usb"
    assert kiosk_main(["export-batches", "--db", str(kiosk.path), "--out", str(usb)]) == 0
    (file,) = usb.glob("*.json")
    doc = json.loads(file.read_text("utf-8"))
    doc["batch"]["responses"][0]["score"] = 10  # someone "improves" a score on the stick
    doc["batch"]["responses"][0]["category"] = "promoter"
    file.write_text(json.dumps(doc), "utf-8")
    capsys.readouterr()

    code = hq_main(["import", str(usb), "--data-dir", str(hq.hq.config.data_dir)])
    out = capsys.readouterr().out
    assert code == 1
    assert f"REJECTED {file.name}" in out and "signature" in out
    assert "1 files refused" in out
    assert hq.rows(credentials.load(kiosk.path).device_id) == {}  # nothing imported
