"""Render every survey screen offscreen to PNG files (for docs/ and for looking at the design).

QT_QPA_PLATFORM=offscreen python -m tools.survey_screenshots --out docs
(`python -m tools.screenshots` makes every docs/*.png, these among them.)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STORE = "Greenleaf Market · Koramangala"
# What a detractor types and who they are, per language (the follow-up screenshots).
COMMENTS = {
    "en": ("The queue at the checkout was very long and only one till was open.", "Priya Sharma"),
    "hi": ("बिलिंग काउंटर पर बहुत लंबी लाइन थी।", "प्रिया शर्मा"),
    "ta": ("பில்லிங் வரிசை மிக நீளமாக இருந்தது.", "பிரியா ஷர்மா"),
    "bn": ("বিলিং কাউন্টারে খুব লম্বা লাইন ছিল।", "প্রিয়া শর্মা"),
    "mr": ("बिलिंग काउंटरवर खूप मोठी रांग होती.", "प्रिया शर्मा"),
    "te": ("బిల్లింగ్ దగ్గర చాలా పెద్ద క్యూ ఉంది.", "ప్రియా శర్మ"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.survey_screenshots")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument(
        "--all",
        action="store_true",
        help="also every screen at 1024x600, 800x1280 and 1920x1080, in every language",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from core.survey_texts import LANGUAGES
    from kiosk.db import open_database
    from kiosk.recording import Completion
    from ui import theme
    from ui.main_window import MainWindow
    from ui.survey import SurveyController

    # instance() is typed QCoreApplication; the only one ever made here is a QApplication.
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))
    theme.load_fonts(app)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "kiosk.db")
        db.update_settings(store_name=STORE, min_tap_interval_s=0, languages=list(LANGUAGES))

        def shoot(name: str, *, size: tuple[int, int], language: str, screen: str) -> None:
            window = MainWindow(kiosk_mode=False)
            controller = SurveyController(window=window, db=db, language=language)
            window.resize(*size)
            window.show()
            controller.start()
            if screen in ("followup", "thanks"):
                controller.on_score(3)
                follow = window.follow_up
                for key in ("wait_time", "checkout"):
                    follow.chips[key].setChecked(True)
                comment, person = COMMENTS[language]
                follow.comment.setPlainText(comment)
                follow.opt_in.setChecked(True)
                follow.contact_name.setText(person)
                follow.contact_detail.setText("priya@example.com")
                if screen == "thanks":
                    controller.finish(Completion.DONE)
            elif screen == "pin":
                controller.open_pin_gate()
                window.pin_gate.keys["pin_1"].click()
                window.pin_gate.keys["pin_2"].click()
            for _ in range(3):  # let wrapped layouts settle
                app.processEvents()
            window.grab().save(str(args.out / f"{name}.png"))
            controller.stop()
            window.shutdown()
            window.deleteLater()
            app.processEvents()

        wide, tall = (1280, 800), (800, 1280)
        for language in LANGUAGES:
            shoot(f"survey-question-{language}", size=wide, language=language, screen="question")
            shoot(
                f"survey-followup-detractor-{language}",
                size=wide,
                language=language,
                screen="followup",
            )
            shoot(f"survey-thanks-{language}", size=wide, language=language, screen="thanks")
        shoot("survey-question-portrait", size=tall, language="en", screen="question")
        shoot("survey-followup-portrait-ta", size=tall, language="ta", screen="followup")
        shoot("pin-gate", size=wide, language="en", screen="pin")
        if args.all:
            for size in ((1024, 600), tall, (1920, 1080)):
                for language in LANGUAGES:
                    for screen in ("question", "followup", "thanks", "pin"):
                        shoot(
                            f"all-{screen}-{language}-{size[0]}x{size[1]}",
                            size=size,
                            language=language,
                            screen=screen,
                        )
        db.close()
    print(f"screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
