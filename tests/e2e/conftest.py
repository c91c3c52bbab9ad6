"""End-to-end fixtures: the real kiosk process (python -m tools.e2e_driver), read line by line.

The ``soak`` marker: ``make soak`` runs ``pytest -m soak`` with NPS_SOAK=1, and the marked tests
then do more rounds (the crash loop: 200 instead of 50)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "soak: does more rounds with NPS_SOAK=1 (make soak runs pytest -m soak)"
    )


def soak() -> bool:
    return os.environ.get("NPS_SOAK") == "1"


class Kiosk:
    """One run of the real kiosk under the tap driver; its stdout lines arrive on a queue."""

    def __init__(self, *, db: Path, log: Path, driver_args: list[str]) -> None:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}
        self.log = log
        self._err = log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tools.e2e_driver",
                *driver_args,
                "--",
                "--db",
                str(db),
                "--windowed",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._err,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # end of output: the process is gone

    def next_line(self, deadline: float) -> str | None:
        """The next line, None at end of output; raises TimeoutError at the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        try:
            return self.lines.get(timeout=left)
        except queue.Empty:
            raise TimeoutError from None

    def wait_for(self, prefix: str, *, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.next_line(deadline)
            except TimeoutError:
                self.kill()
                raise AssertionError(
                    f"no '{prefix}' line within {timeout} s\n{self.stderr()}"
                ) from None
            if line is None:
                raise AssertionError(
                    f"the kiosk exited ({self.proc.wait()}) before '{prefix}'\n{self.stderr()}"
                )
            if line.startswith(prefix):
                return line

    def kill(self) -> None:
        """SIGKILL: no handler, no flush, no cleanup; like pulling the plug on the process."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self._reader.join(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._err.close()

    def stderr(self) -> str:
        text = self.log.read_text("utf-8", errors="replace")
        lines = [ln for ln in text.splitlines() if "OpenType support missing" not in ln]
        return "\n".join(lines[-40:])


@pytest.fixture
def launch(tmp_path: Path) -> Iterator:
    started: list[Kiosk] = []

    def start(db: Path, *driver_args: str) -> Kiosk:
        kiosk = Kiosk(db=db, log=tmp_path / "kiosk-stderr.log", driver_args=list(driver_args))
        started.append(kiosk)
        return kiosk

    yield start
    for kiosk in started:
        kiosk.kill()
