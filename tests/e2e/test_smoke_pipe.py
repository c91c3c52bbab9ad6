"""`nps-kiosk --smoke | head -1` ends: a reader that closes the pipe early does not leave the
smoke run hanging (a failed print inside a Qt callback used to skip its exit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_smoke_run_whose_reader_goes_away_still_ends(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "--smoke", "--db", str(tmp_path / "kiosk.db")],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith(b"first_frame_ms=")
    proc.stdout.close()  # as `head -1` does
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the smoke run hung after its reader went away") from None
