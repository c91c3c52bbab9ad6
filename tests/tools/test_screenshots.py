"""`python -m tools.screenshots`: one command makes the docs' pictures, part by part."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.admin_demo import TAB_FILES
from tools.screenshots import main


def test_only_survey_and_admin_write_their_pictures(qapp, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    out = tmp_path / "docs"
    assert main(["--out", str(out), "--only", "survey,admin", "--admin-responses", "300"]) == 0
    made = {p.name for p in out.glob("*.png")}
    survey = {"survey-question-en.png", "survey-thanks-hi.png", "pin-gate.png"}
    survey |= {f"survey-followup-detractor-{lang}.png" for lang in ("ta", "bn", "mr", "te")}
    assert survey | set(TAB_FILES) | {"admin-records-hi.png"} <= made
    assert not {"admin-sync.png", "hq-dashboard.png"} & made  # the parts left out stay out
    image = QImage(str(out / "admin-dashboard.png"))
    assert (image.width(), image.height()) == (1280, 800)


def test_an_unknown_part_is_refused_with_the_choices(capsys, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--out", str(tmp_path), "--only", "survey,hq-pages"])
    assert exit_.value.code == 2
    assert "hq-pages" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing was made
