"""Where the kiosk keeps its files by default (the platformdirs data folder)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "nps-kiosk"


def data_dir() -> Path:
    """The per-user data folder, e.g. ~/.local/share/nps-kiosk on Linux."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "kiosk.db"
