"""The PyInstaller bundle (dist/nps-kiosk/, from `make bundle`): it starts on a fresh database
with the migrations inside it, its command-line tools work, and it leaves out the Qt modules the
kiosk does not use.

Building takes minutes, so the tests use a bundle built before (`make bundle`; .ci/run does it
before `make test`). Without one they skip, except in CI (CI=true), where that is a failure."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "nps-kiosk"
PROGRAM = BUNDLE / ("nps-kiosk.exe" if os.name == "nt" else "nps-kiosk")
INTERNAL = BUNDLE / "_internal"


@pytest.fixture(scope="module")
def program() -> Path:
    if not PROGRAM.exists():
        message = f"no bundle at {BUNDLE}: run make bundle first"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI builds it before the tests)")
        pytest.skip(message)
    return PROGRAM


def run(
    program: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    # Away from the checkout, so that nothing can be imported from the source tree by accident.
    return subprocess.run(
        [str(program), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=BUNDLE.parent.parent.parent,
        env=env,
        check=False,
    )


def offscreen() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def test_smoke_on_a_fresh_database_runs_every_migration(program: Path, tmp_path: Path) -> None:
    from kiosk.db import head_revision

    db = tmp_path / "till" / "kiosk.db"
    out = run(program, "--smoke", "--db", str(db), env=offscreen())
    assert out.returncode == 0, out.stdout + out.stderr
    assert "first_frame_ms=" in out.stdout and "ready_ms=" in out.stdout, out.stdout
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (head_revision(),)
        ]
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT value FROM settings WHERE key='device_id'").fetchone()
    finally:
        conn.close()


def test_command_line_tools_work_from_the_bundle(program: Path, tmp_path: Path) -> None:
    db, copy = tmp_path / "kiosk.db", tmp_path / "usb" / "kiosk-backup.db"
    seeded = run(program, "seed", "--db", str(db), "--n", "300", "--days", "30")
    assert seeded.returncode == 0, seeded.stderr  # SQLAlchemy's sqlite dialect is in the bundle
    stats = run(program, "stats", "--db", str(db), "--json")
    assert stats.returncode == 0 and '"n": ' in stats.stdout, stats.stdout + stats.stderr
    backup = run(program, "backup", "--db", str(db), "--out", str(copy))
    assert backup.returncode == 0, backup.stderr
    assert "300 responses" in backup.stdout
    again = run(program, "stats", "--db", str(copy), "--json")
    assert again.stdout == stats.stdout  # the copy holds the same answers


@pytest.mark.skipif(not shutil.which("xvfb-run"), reason="needs xvfb-run (apt-get install xvfb)")
def test_smoke_in_a_real_x11_window(program: Path, tmp_path: Path) -> None:
    # The xcb platform plugin and its system libraries (libxcb-cursor0 since Qt 6.5), for real.
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    out = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            str(program),
            "--smoke",
            "--db",
            str(tmp_path / "kiosk.db"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "first_frame_ms=" in out.stdout


def test_what_is_inside(program: Path) -> None:
    files = {p.relative_to(INTERNAL).as_posix() for p in INTERNAL.rglob("*")}
    names = {Path(f).name for f in files}
    for needed in (
        "assets/style.qss",
        "assets/fonts/NotoSansDevanagari-Regular.ttf",
        "assets/fonts/NotoSansTamil-Regular.ttf",
        "assets/fonts/NotoSansBengali-Bold.ttf",
        "assets/fonts/NotoSansTelugu-Regular.ttf",
        "core/locale/hi/LC_MESSAGES/kiosk.mo",
        "core/locale/ta/LC_MESSAGES/kiosk.mo",
        "core/locale/te/LC_MESSAGES/kiosk.mo",
        "core/locale/hi/LC_MESSAGES/admin.mo",  # the admin view in Hindi
        "core/locale/hi/LC_MESSAGES/cli.mo",  # nps-kiosk's tools in a Hindi terminal
        "core/locale/hi/LC_MESSAGES/errors.mo",
        "assets/icons/check.svg",
        "kiosk/migrations/env.py",
        "ui/admin/chevron.svg",
    ):
        assert needed in files, needed
    migrations = {f for f in files if f.startswith("kiosk/migrations/versions/")}
    shipped = {
        "kiosk/migrations/versions/" + p.name
        for p in (ROOT / "kiosk" / "migrations" / "versions").glob("*.py")
    }
    assert shipped <= migrations, shipped - migrations
    assert any(n.startswith("libQt6Charts") for n in names)
    assert any(n.startswith("libQt6Svg") for n in names)
    unused = (
        "WebEngine",
        "3D",
        "Quick",
        "Qml",
        "Multimedia",
        "VirtualKeyboard",
        "Pdf",
        "Designer",
        "Network.so",
    )
    assert not [n for n in names if n.startswith("libQt6") and any(u in n for u in unused)]
    assert not [f for f in files if f.startswith("PySide6/Qt/translations/")]
    assert not [n for n in names if n.startswith(("libgtk", "libgdk"))]
    assert not [f for f in files if f.startswith(("hq/", "tests/"))]


DEVELOPER_ONLY = {"tools", "tests", "bench"}
# Where these modules lived before tools/ (a file put back there must not ship either).
OLD_PLACES = {"ui.e2e_driver", "ui.screenshots", "ui.admin.demo"}


def bundled_modules(program: Path) -> set[str]:
    """Every Python module the program can import: the scripts in its archive and the PYZ."""
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(program))
    (pyz,) = (name for name, entry in archive.toc.items() if entry[-1] == "z")
    return set(archive.toc) | set(archive.open_embedded_archive(pyz).toc)


def test_no_developer_tools_inside(program: Path) -> None:
    modules = bundled_modules(program)
    assert {"ui.cli", "ui.admin.view", "kiosk.db", "sync.outbox"} <= modules  # it sees ours
    assert not [
        m
        for m in modules
        if m.split(".")[0] in DEVELOPER_ONLY
        or m in OLD_PLACES
        or m.rpartition(".")[2] in {"e2e_driver", "screenshots", "demo", "admin_demo"}
    ]
    files = [p.relative_to(INTERNAL).as_posix() for p in INTERNAL.rglob("*")]
    assert not [f for f in files if f.split("/")[0] in DEVELOPER_ONLY]
