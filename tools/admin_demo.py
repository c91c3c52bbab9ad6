"""Open the admin view alone on a database: `python -m tools.admin_demo --db PATH`.

For trying it out by hand and for the screenshots (--shot DIR renders every tab to PNGs).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.paths import default_db_path

TAB_FILES = (
    "admin-dashboard.png",
    "admin-comments.png",
    "admin-followups.png",
    "admin-settings.png",
    "admin-records.png",
    "admin-audit.png",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.admin_demo", description=__doc__)
    parser.add_argument(
        "--db", type=Path, default=None, help=f"database file (default: {default_db_path()})"
    )
    parser.add_argument("--size", default="1280x800", help="window size, e.g. 1280x800")
    parser.add_argument(
        "--shot", type=Path, default=None, help="render every tab into this folder as PNGs and exit"
    )
    parser.add_argument(
        "--admin-language",
        choices=("en", "hi"),
        default=None,
        help="set the manager's language (the setting admin_language) first",
    )
    parser.add_argument(
        "--calendar-shot",
        type=Path,
        default=None,
        help="render the Records tab with its day picker's calendar open to this PNG and exit",
    )
    parser.add_argument(
        "--activity",
        action="store_true",
        help="first do what a manager does (PIN, settings, an export, follow-ups)"
        " so that the audit log and records have something to show",
    )
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from kiosk.db import open_database
    from ui.admin.view import AdminView
    from ui.theme import load_fonts

    app = QApplication.instance() or QApplication(sys.argv[:1])
    load_fonts(app)  # type: ignore[arg-type]  # the kiosk's fonts, as on a till (Devanagari)
    db = open_database(args.db or default_db_path())
    if args.activity:
        _manager_activity(db)
    if args.admin_language:
        from kiosk.questions import save_settings

        save_settings(db, admin_language=args.admin_language)
    width, height = (int(v) for v in args.size.lower().split("x"))
    view = AdminView(db)
    view.resize(width, height)
    view.closed.connect(app.quit)
    view.exit_requested.connect(app.quit)
    view.show()
    if args.calendar_shot is not None:
        code = _shoot_calendar(view, args.calendar_shot)
    elif args.shot is not None:
        code = _shoot(app, view, args.shot)
    else:
        code = app.exec()
    view.shutdown()
    db.close()
    return code


def _manager_activity(db: object) -> None:
    """A morning's worth of manager actions, through the same services the tabs use."""
    import tempfile
    from datetime import timedelta

    from kiosk import followups
    from kiosk.db import Database, utcnow
    from kiosk.export import export_cases, export_responses
    from kiosk.followups import CaseState
    from kiosk.localtime import local_today, zone
    from kiosk.pin import PinGuard
    from kiosk.questions import save_settings

    assert isinstance(db, Database)
    guard = PinGuard(db)
    guard.set_pin("2468")
    guard.attempt("2486")
    guard.attempt("2468")
    save_settings(db, store_name="FreshMart · MG Road", follow_up_timeout_s=25)
    save_settings(
        db,
        question={
            "en": "How likely are you to recommend FreshMart to a friend or colleague?",
            "hi": "आप FreshMart को किसी मित्र या सहकर्मी को सुझाने की कितनी संभावना रखते हैं?",
        },
    )
    out = Path(tempfile.mkdtemp()) / "FRESHMART-USB"  # stands in for a stick under /media
    out.mkdir()
    today = local_today(zone(db.settings().time_zone))
    export_responses(db, folder=out, since=today - timedelta(days=6), until=today)
    cases = followups.cases(db, states=frozenset({CaseState.OPEN}), limit=4)
    for case in cases[1:3]:
        followups.move(db, case.response_id, CaseState.CONTACTED)
        followups.set_note(db, case.response_id, "Called back; store manager apologised.")
    if len(cases) > 3:
        followups.erase(db, cases[3].response_id)
    if cases:  # a regional manager called the newest one from HQ (pulled at the last sync)
        followups.apply_from_hq(
            db,
            [
                followups.CaseChange(
                    response_id=cases[0].response_id,
                    state=CaseState.CONTACTED,
                    note="Called from HQ: she will come back on Saturday.",
                    changed_by="ana@chain.example",
                    changed_at=utcnow() - timedelta(minutes=25),
                )
            ],
        )
    export_cases(db, folder=out)
    guard.attempt("2468")


def _shoot(app: object, view: object, folder: Path) -> int:
    from PySide6.QtCore import QCoreApplication, QDeadlineTimer

    from ui.admin.view import AdminView

    assert isinstance(view, AdminView)
    folder.mkdir(parents=True, exist_ok=True)

    def settle() -> None:
        # Let the background reads land, then lay out and paint.
        deadline = QDeadlineTimer(60_000)
        for _ in range(3):
            QCoreApplication.processEvents()
        while view.ops.busy and not deadline.hasExpired():
            view.ops.pool.waitForDone(20)
            QCoreApplication.processEvents()
        for _ in range(5):
            QCoreApplication.processEvents()

    for index, name in enumerate(TAB_FILES):
        view.tabs.setCurrentIndex(index)
        settle()
        view.grab().save(str(folder / name))
        print(folder / name)
    return 0


def _shoot_calendar(view: object, path: Path) -> int:
    """The Records tab with the "From" day picker's calendar popup open, composed into one
    picture (the popup is a window of its own, which a grab of the view leaves out)."""
    from PySide6.QtCore import QCoreApplication, QPoint, Qt
    from PySide6.QtGui import QPainter
    from PySide6.QtTest import QTest

    from ui.admin.view import AdminView

    assert isinstance(view, AdminView)
    view.tabs.setCurrentWidget(view.records)
    edit = view.records.since
    for _ in range(5):
        QCoreApplication.processEvents()
    QTest.keyClick(edit, Qt.Key.Key_F4)  # what the drop-down arrow does: opens the calendar
    for _ in range(10):
        QCoreApplication.processEvents()
    calendar = edit.calendarWidget()
    popup = calendar.window()
    shot = view.grab()
    painter = QPainter(shot)
    at = view.mapFromGlobal(popup.mapToGlobal(QPoint(0, 0)))
    if not popup.isVisible() or at.x() < 0 or at.y() < 0:  # no window manager: under the field
        at = edit.mapTo(view, QPoint(0, edit.height()))
    painter.drawPixmap(at, popup.grab())
    painter.end()
    path.parent.mkdir(parents=True, exist_ok=True)
    shot.save(str(path))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
