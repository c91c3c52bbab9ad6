"""Baseline for time to first frame and memory: a bare PySide6 window with 11 buttons."""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import resource  # noqa: E402
import sys  # noqa: E402

from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication, QHBoxLayout, QPushButton, QWidget  # noqa: E402


class FirstPaint(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            print(f"first_frame_ms={(time.perf_counter() - STARTED) * 1000:.1f}")
            print(f"peak_rss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", flush=True)
            QApplication.instance().exit(0)  # type: ignore[union-attr]
        return False


def main() -> int:
    app = QApplication(sys.argv)
    window = QWidget()
    row = QHBoxLayout(window)
    for n in range(11):
        row.addWidget(QPushButton(str(n)))
    spy = FirstPaint()
    window.installEventFilter(spy)
    window.resize(1280, 800)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
