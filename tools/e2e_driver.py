"""Test-only: run the real kiosk and tap through the survey from inside it (tests/e2e).

``python -m tools.e2e_driver [--taps N] [--rss-at N ...] [--seed S] -- [nps-kiosk arguments]``
starts the kiosk exactly as ``nps-kiosk`` does (``ui.cli.main``), then, once the survey is up,
taps like a stream of customers: a score tile, maybe reason chips, keys of the on-screen
keyboard and the contact opt-in, then Done or Skip, then the thank-you screen. Every tap is a
real mouse click on the visible widget (QTest), so it goes through the same event path as a
finger. It lives in tools/, which neither the wheel nor the bundle (build.spec) ships.

It reports on standard output, one line each, flushed at once:

    accepting sqlalchemy=<0|1>  (--tap-when-ready) taps are accepted now, and whether
                          SQLAlchemy was imported by then; the first score is tapped at once
    started sqlalchemy=1  (--tap-when-ready) the sync worker has started, after the tap
    ready                 the survey is up and taking taps, and start-up has finished (the
                          sync worker runs): memory and timing are the day's from here
    scored <id> <score>   the score was committed (the follow-up screen is next)
    thanks <id>           the thank-you screen is showing for response <id>
    rss <taps> <kB>       resident memory after that many taps (after a garbage collection)
    finished <taps>       --taps reached; the kiosk then exits normally
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

if TYPE_CHECKING:  # imported for real in Driver._find, once the kiosk has started
    from ui.main_window import MainWindow
    from ui.survey import SurveyController

LEFT = Qt.MouseButton.LeftButton


def resident_kb() -> int:
    """Resident memory now (not the peak), from /proc on Linux."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:  # not Linux: the peak is the best we have
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Driver:
    """Finds the kiosk's window and survey controller once they exist, then taps."""

    def __init__(
        self,
        *,
        taps: int | None,
        rss_at: set[int],
        seed: int,
        typing: int,
        tap_when_ready: bool = False,
    ) -> None:
        self.limit = taps
        self.typing = typing
        self.rss_at = rss_at
        self.rng = random.Random(seed)
        self.taps = 0
        self.window: MainWindow | None = None
        self.controller: SurveyController | None = None
        self.follow_up_taps = 0
        self._completed: str | None = None
        self._finished = False
        self.finder = QTimer()
        self.finder.setInterval(5)
        self.finder.timeout.connect(self._find)
        from ui import app as kiosk_app

        if tap_when_ready:  # ui.app calls back the moment taps are accepted
            kiosk_app.taps_accepted.append(self._taps_accepted)
            kiosk_app.fully_started.append(
                lambda: say(f"started sqlalchemy={int('sqlalchemy' in sys.modules)}")
            )
        else:  # once start-up is over: what is loaded after taps are accepted is loaded
            kiosk_app.fully_started.append(self.finder.start)

    def _taps_accepted(self, controller: SurveyController) -> None:
        """Inside the kiosk's start-up, as taps become accepted: say whether SQLAlchemy is
        loaded, then tap a score before anything else runs (the sync worker, the loader)."""
        say(f"accepting sqlalchemy={int('sqlalchemy' in sys.modules)}")
        window = controller.window
        self._attach(window, controller)
        self.tap(window.question.scores[self.rng.randrange(11)])

    # -- attaching to the kiosk --------------------------------------------------------------
    def _find(self) -> None:
        from ui.main_window import MainWindow
        from ui.survey import SurveyController

        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow):
                controller = widget.findChild(SurveyController)
                if controller is not None:
                    self.finder.stop()
                    self._attach(widget, controller)
                    return

    def _attach(self, window: MainWindow, controller: SurveyController) -> None:
        self.window, self.controller = window, controller
        controller.score_recorded.connect(lambda rec: say(f"scored {rec.id} {rec.score}"))
        controller.response_completed.connect(self._on_completed)
        window.pages.currentChanged.connect(self._on_page)
        say("ready")
        QTimer.singleShot(0, self.step)

    def _on_completed(self, response_id: str, _how: str) -> None:
        self._completed = response_id

    def _on_page(self, _index: int) -> None:
        window = self.window
        if window is not None and window.current_screen() is window.thanks and self._completed:
            say(f"thanks {self._completed}")
            self._completed = None

    # -- tapping -----------------------------------------------------------------------------
    def tap(self, widget: QWidget) -> None:
        QTest.mouseClick(
            widget,
            LEFT,
            Qt.KeyboardModifier.NoModifier,
            QPoint(widget.width() // 2, widget.height() // 2),
        )
        self.taps += 1
        if self.taps in self.rss_at:
            gc.collect()
            say(f"rss {self.taps} {resident_kb()}")

    def step(self) -> None:
        if self._finished:
            return
        if self.limit is not None and self.taps >= self.limit:
            self._finished = True
            say(f"finished {self.taps}")
            app = QApplication.instance()
            assert app is not None
            app.exit(0)
            return
        window, rng = self.window, self.rng
        assert window is not None
        screen = window.current_screen()
        if screen is window.question:
            pills = [
                p
                for p in (window.question.header.pill(c) for c in ("en", "hi"))
                if p is not None and p.isVisible()
            ]
            if pills and rng.random() < 0.05:
                self.tap(rng.choice(pills))
            elif window.question.taps_enabled:
                self.follow_up_taps = rng.randint(0, self.typing)
                self.tap(window.question.scores[rng.randrange(11)])
        elif screen is window.follow_up:
            self._follow_up_tap()
        elif screen is window.thanks:
            self.tap(window.thanks)
        else:  # nothing else is reachable by these taps; say so instead of hanging silently
            say(f"stuck {screen.objectName() if screen is not None else 'no screen'}")
            self._finished = True
            return
        QTimer.singleShot(0, self.step)

    def _follow_up_tap(self) -> None:
        assert self.window is not None  # step() only calls this once attached
        follow_up, rng = self.window.follow_up, self.rng
        if self.follow_up_taps <= 0:
            self.tap(follow_up.done if rng.random() < 0.7 else follow_up.skip)
            return
        self.follow_up_taps -= 1
        keys = [
            k
            for k in follow_up.keyboard.findChildren(QPushButton)
            if k.objectName().startswith("key_") and k.isVisible()
        ]
        chips = [c for c in follow_up.chips.values() if c.isVisible()]
        choice = rng.random()
        if chips and choice < 0.4:
            self.tap(rng.choice(chips))
        elif keys and choice < 0.9:
            self.tap(rng.choice(keys))
        elif follow_up.opt_in.isVisible():
            self.tap(follow_up.opt_in)
        else:
            self.tap(follow_up.comment)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    kiosk_args: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, kiosk_args = argv[:at], argv[at + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m tools.e2e_driver",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--taps", type=int, default=None, help="stop after this many taps")
    parser.add_argument(
        "--rss-at",
        type=int,
        action="append",
        default=[],
        help="report resident memory after this many taps (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=0, help="for a repeatable tap sequence")
    parser.add_argument(
        "--typing",
        type=int,
        default=5,
        help="at most this many follow-up taps (chips, keys) per customer (5)",
    )
    parser.add_argument(
        "--tap-when-ready",
        action="store_true",
        help="tap the first score the moment taps are accepted (ui.app.taps_accepted)",
    )
    args = parser.parse_args(argv)

    # The QApplication is made here so that the driver's timer exists before the kiosk starts;
    # ui.app.run uses the one that exists.
    app = QApplication.instance() or QApplication([sys.argv[0]])
    driver = Driver(
        taps=args.taps,
        rss_at=set(args.rss_at),
        seed=args.seed,
        typing=args.typing,
        tap_when_ready=args.tap_when_ready,
    )
    from ui.cli import main as kiosk_main

    code = kiosk_main(kiosk_args)
    driver.finder.stop()
    del app
    return code


if __name__ == "__main__":
    sys.exit(main())
