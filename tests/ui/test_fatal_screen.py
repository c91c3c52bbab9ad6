"""When the database cannot be opened the kiosk says so on its screen instead of the survey, in
the machine's language (there are no settings to read the manager's from). The kiosk runs in a
process of its own (offscreen): its event loop ends with the app, which the test session's
shared QApplication must not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
from ui.app import run

app = QApplication([])
seen = []
deadline = time.monotonic() + 20

def look():
    for top in QApplication.topLevelWidgets():
        title = top.findChild(QLabel, "fatal_title")
        body = top.findChild(QLabel, "fatal_text")
        if title is not None and body is not None and title.isVisible():
            seen.extend([title.text(), body.text()])
            app.quit()
            return
    if time.monotonic() > deadline:
        app.quit()
        return
    QTimer.singleShot(50, look)

QTimer.singleShot(50, look)
started = time.perf_counter()
run(db_path=Path(sys.argv[1]), windowed=True, language=None, smoke=False, started=started)
print(json.dumps(seen))
"""


def _fatal_texts(db_path: Path, language: str) -> tuple[str, str]:
    env = {
        **os.environ,
        "LANGUAGE": language,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(db_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen, f"the fatal screen never showed: {done.stderr[-2000:]}"
    return seen[0], seen[1]


@pytest.mark.parametrize("language", ["en", "hi"])
def test_a_database_that_cannot_be_made_is_said_on_the_screen(
    tmp_path: Path, language: str
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be", "utf-8")
    title, body = _fatal_texts(blocker / "kiosk.db", language)
    assert str(blocker) in body  # which path, whatever the language
    if language == "hi":
        assert title == "कियोस्क अभी जवाब सहेज नहीं सकता"
        assert any("\u0900" <= ch <= "\u097f" for ch in body)  # the reason in Hindi too
    else:
        assert title == "The kiosk cannot save answers right now"
        assert "--db" in body  # what to do about it
