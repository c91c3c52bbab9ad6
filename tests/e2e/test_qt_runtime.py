"""The Qt runtime the kiosk runs on: defects in it that would take a till down."""

from __future__ import annotations

import subprocess
import sys

import PySide6

# Run apart: on an affected PySide6 the loss would also bring this test process down at exit.
COUNT_LOST_TRUES = """
import os, sys
from PySide6.QtCore import QObject, Signal
class Source(QObject):
    happened = Signal()
source = Source()
source.happened.connect(lambda: None)
before = sys.getrefcount(True)
for _ in range(200):
    source.happened.emit()
print(before - sys.getrefcount(True), flush=True)
os._exit(0)
"""


def test_emitting_a_signal_keeps_python_true_alive() -> None:
    # PySide6 6.12.0 on Python 3.11 gives back True from SignalInstance.emit() without taking a
    # reference: every emit drops one. The kiosk emits on every tap, so after some thousands of
    # taps True is freed and the kiosk aborts ("Fatal Python error: bool_dealloc").
    # (From Python 3.12 on, True is immortal and this cannot happen.)
    out = subprocess.run(
        [sys.executable, "-c", COUNT_LOST_TRUES],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lost = int(out.stdout.strip())
    assert lost < 50, (
        f"PySide6 {PySide6.__version__} lost {lost} references to True in 200 Signal.emit() "
        "calls; the kiosk would abort after a few thousand taps. Pin PySide6-Essentials "
        "(and pyside6-addons) to a release without this bug, e.g. 6.11.3."
    )
