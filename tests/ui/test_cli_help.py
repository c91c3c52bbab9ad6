"""`nps-kiosk --help` names every command the entry point accepts, run as a user would."""

from __future__ import annotations

import subprocess
import sys

from kiosk.cli import COMMANDS


def test_help_lists_every_command() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "ui.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    listed = {line.split()[0] for line in shown.stdout.splitlines() if line.startswith("  ")}
    for command in (*COMMANDS, "doctor"):
        assert command in listed, f"{command!r} is missing from nps-kiosk --help:\n{shown.stdout}"
