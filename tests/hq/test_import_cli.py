"""``nps-hq import`` run as a process on real batch files: a malformed file is reported with its
reason, the good files around it are loaded, and the exit code says some failed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hqkit import Device, Server, batch, count_rows, enroll, response

from core.protocol import BatchV1, write_batch_file

ROOT = Path(__file__).resolve().parents[2]


def _cli(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NPS_HQ_DELIVERY": "off"}
    db = ["--db", server.hq.config.db_url] if server.hq.config.db_url else []
    return subprocess.run(
        [sys.executable, "-m", "hq.cli", *args, "--data-dir", str(server.hq.config.data_dir), *db],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _file(folder: Path, name: str, device: Device, seqs: range) -> Path:
    body = BatchV1.model_validate(batch(device, [response(device, n) for n in seqs]))
    return write_batch_file(folder / name, body, secret=device.secret)


def test_a_nan_file_among_good_ones_is_reported_and_the_rest_load(
    hq_server: Server, tmp_path: Path
) -> None:
    device = enroll(hq_server)
    usb = tmp_path / "usb"
    usb.mkdir()
    _file(usb, "a-good.json", device, range(1, 4))
    nan = _file(usb, "b-nan.json", device, range(4, 6))
    nan.write_text(nan.read_text("utf-8").replace('"seq":4', '"seq":4,"x":NaN'), "utf-8")
    assert "NaN" in nan.read_text("utf-8")
    (usb / "c-torn.json").write_bytes(b'{"format": "nps-batch", "batch": {"resp')
    _file(usb, "d-good.json", device, range(6, 8))

    done = _cli(hq_server, "import", str(usb))

    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "REJECTED b-nan.json" in out and "NaN" in out
    assert "REJECTED c-torn.json" in out and "not valid JSON" in out
    assert "a-good.json: 3 accepted" in out and "d-good.json: 2 accepted" in out
    assert "2 files refused" in out
    assert "Export the refused ones again" in done.stderr
    assert count_rows(hq_server, device_id=device.device_id) == 5


def test_a_folder_without_batch_files_says_so(hq_server: Server, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a batch", "utf-8")
    done = _cli(hq_server, "import", str(tmp_path))
    assert done.returncode == 1
    assert "No batch files (*.json)" in done.stderr and "nothing imported" in done.stderr
