"""When the database cannot be opened the kiosk says so on its screen instead of the survey, in
the machine's language (there are no settings to read the manager's from)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel


def _fatal_texts(db_path: Path) -> tuple[str, str]:
    from ui.app import run

    app = QApplication.instance() or QApplication([])
    seen: list[str] = []
    deadline = time.monotonic() + 20

    def look() -> None:
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
    run(db_path=db_path, windowed=True, language=None, smoke=False, started=time.perf_counter())
    for top in QApplication.topLevelWidgets():
        top.close()
    assert seen, "the fatal screen never showed"
    return seen[0], seen[1]


@pytest.mark.parametrize("language", ["en", "hi"])
def test_a_database_that_cannot_be_made_is_said_on_the_screen(
    qapp,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,  # noqa: ANN001
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be", "utf-8")
    monkeypatch.setenv("LANGUAGE", language)
    title, body = _fatal_texts(blocker / "kiosk.db")
    assert str(blocker) in body  # which path, whatever the language
    if language == "hi":
        assert title == "कियोस्क अभी जवाब सहेज नहीं सकता"
        assert any("\u0900" <= ch <= "\u097f" for ch in body)  # the reason in Hindi too
    else:
        assert title == "The kiosk cannot save answers right now"
        assert "--db" in body  # what to do about it
