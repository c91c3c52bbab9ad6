"""Render docs/kiosk-hq-profile.png and docs/admin-settings-managed.png (offscreen, real HQ):
a Hindi survey published at HQ, fetched and verified by an enrolled kiosk through the sync
code, on the question screen and as "Managed by HQ" in the Settings tab.

QT_QPA_PLATFORM=offscreen .venv/bin/python -m tools.profile_screenshots [OUT]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import cast

# synckit: the sync tests' real HQ and kiosk (tests/ is a namespace package from the root)
from tests.sync.synckit import make_template, publish_survey, session, start_hq


def main(out: Path) -> None:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from hq.profiles import set_settings
    from kiosk.db import open_database
    from sync.outbox import enroll_kiosk, outbox_for
    from ui import theme
    from ui.admin.view import AdminView
    from ui.main_window import MainWindow
    from ui.survey import SurveyController

    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))
    theme.load_fonts(app)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="nps-profile-shots-"))
    hq = start_hq(work / "hq")
    try:
        store = hq.new_store("FreshMart Indiranagar")
        db = open_database(make_template(work / "kiosk.db"))
        with session() as s:
            enroll_kiosk(db, hq_url=hq.base, code=hq.code(store), session=s)
        publish_survey(hq, store)
        set_settings(
            hq.hq,
            "store",
            store,
            {"display_name": "फ्रेशमार्ट · इंदिरानगर", "time_zone": "Asia/Kolkata"},
            actor="screenshots",
        )
        with session() as s:  # what the sync worker does: fetch, verify, store
            profile = outbox_for(db, session=s).sync_profile()
        assert profile is not None
        print(f"profile version {profile.version}, survey {profile.survey.id}")

        window = MainWindow(kiosk_mode=False)
        controller = SurveyController(window=window, db=db)
        window.resize(1280, 800)
        window.show()
        controller.start()
        for _ in range(3):
            app.processEvents()
        window.grab().save(str(out / "kiosk-hq-profile.png"))
        print(out / "kiosk-hq-profile.png")
        controller.stop()
        window.shutdown()

        view = AdminView(db)
        view.resize(1280, 800)
        view.show()
        view.tabs.setCurrentWidget(view.settings_tab)
        for _ in range(5):
            QCoreApplication.processEvents()
        view.grab().save(str(out / "admin-settings-managed.png"))
        print(out / "admin-settings-managed.png")
        view.shutdown()
        db.close()
    finally:
        hq.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
