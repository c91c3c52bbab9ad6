"""PyInstaller entry point of the kiosk bundle: the same `nps-kiosk` as the console script."""

from __future__ import annotations

import sys

from ui.cli import main

if __name__ == "__main__":
    sys.exit(main())
