"""Survey UI fixtures: a real kiosk window and controller on a real SQLite file, Qt offscreen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from kiosk.db import Database
from kiosk.recording import Recorder, Response


@pytest.fixture(scope="session")
def fonts(qapp):  # noqa: ANN001 - pytest-qt's QApplication
    from ui import theme

    return theme.load_fonts(qapp)


@dataclass
class Kiosk:
    window: object  # ui.main_window.MainWindow
    controller: object  # ui.survey.SurveyController
    db: Database

    def rows(self) -> list[Response]:
        return Recorder(self.db).latest(limit=100)


@pytest.fixture
def survey_db(db: Database) -> Database:
    # Short waits for tests (the minimums), and no suspect flags unless a test asks for them.
    db.update_settings(
        follow_up_timeout_s=5,
        thank_you_s=1,
        min_tap_interval_s=0,
        min_answer_ms=0,
        burst_taps=100,
        store_name="Test Store",
    )
    return db


@pytest.fixture
def make_kiosk(qtbot, survey_db: Database, fonts) -> Iterator[Callable[..., Kiosk]]:  # noqa: ANN001
    from ui.main_window import MainWindow
    from ui.survey import SurveyController

    made: list[tuple[MainWindow, SurveyController]] = []

    def make(
        *,
        kiosk_mode: bool = False,
        language: str | None = None,
        size: tuple[int, int] = (1280, 800),
        monotonic: Callable[[], float] | None = None,
    ) -> Kiosk:
        window = MainWindow(kiosk_mode=kiosk_mode)
        qtbot.addWidget(window)
        extra = {"monotonic": monotonic} if monotonic is not None else {}
        controller = SurveyController(window=window, db=survey_db, language=language, **extra)
        made.append((window, controller))
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        controller.start()
        return Kiosk(window=window, controller=controller, db=survey_db)

    yield make
    for window, controller in made:
        controller.stop()
        window.shutdown()


@pytest.fixture
def kiosk(make_kiosk: Callable[..., Kiosk]) -> Kiosk:
    return make_kiosk()
