"""Issue 7 figures: the kiosk bundle's size and time to first frame against a bare PySide6
one-folder bundle (bench/bare_window.py: a window with 11 buttons) built in the same run.

Both are built with the same PyInstaller into bench/.work/ (gitignored). A build takes a minute
or two, so a bundle whose inputs (spec, sources, assets, PyInstaller/PySide6/Python versions)
have not changed since the last `make bench` is reused, and the row's note says so.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
RUNS = 7
EXE = ".exe" if os.name == "nt" else ""


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for dist in (
        "pyinstaller",
        "pyinstaller-hooks-contrib",
        "PySide6-Essentials",
        "pyside6-addons",
        "SQLAlchemy",
        "alembic",
    ):
        digest.update(f"{dist}={_version(dist)};".encode())
    digest.update(platform.python_version().encode())
    for path in sorted(paths):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _kiosk_inputs() -> list[Path]:
    files = [ROOT / "build.spec", *(ROOT / "packaging").rglob("*.py")]
    for folder in ("kiosk", "ui", "sync", "assets"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file()]
    return files


def _build(name: str, cmd: list[str], inputs: list[Path]) -> tuple[Path, str]:
    """Build (or reuse) one bundle; returns its folder and how it was got, for the note."""
    folder = WORK / "dist" / name
    stamp = WORK / f"{name}.inputs"
    fingerprint = _fingerprint(inputs)
    if (folder / (name + EXE)).exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return folder, "reused the build from an earlier run (inputs unchanged)"
    started = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"building {name} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    stamp.write_text(fingerprint)
    return folder, f"built in this run ({time.perf_counter() - started:.0f} s)"


def _size_mib(folder: Path) -> float:
    """Apparent size of the regular files (symlinks not followed), in MiB."""
    total = 0
    for base, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(base, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total / 2**20


def _first_frame_ms(cmd: list[str]) -> float:
    """Wall time from spawn to the program's first-frame line (it prints it after the paint)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=WORK
    )
    assert proc.stdout is not None
    wall = None
    for line in proc.stdout:
        if wall is None and line.startswith("first_frame_ms="):
            wall = (time.perf_counter() - started) * 1000
    code = proc.wait(timeout=120)
    if wall is None or code != 0:
        raise RuntimeError(f"{cmd} exited {code} without a first frame")
    return wall


def run() -> list[dict]:
    WORK.mkdir(parents=True, exist_ok=True)
    pyinstaller = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(WORK / "dist"),
    ]
    kiosk, kiosk_how = _build(
        "nps-kiosk",
        [*pyinstaller, "--workpath", str(WORK / "build-kiosk"), str(ROOT / "build.spec")],
        _kiosk_inputs(),
    )
    bare, bare_how = _build(
        "bare-window",
        [
            *pyinstaller,
            "--workpath",
            str(WORK / "build-bare"),
            "--specpath",
            str(WORK),
            "--onedir",
            "--name",
            "bare-window",
            str(HERE / "bare_window.py"),
        ],
        [HERE / "bare_window.py"],
    )
    k_size, b_size = _size_mib(kiosk), _size_mib(bare)

    db = WORK / "smoke.db"
    for leftover in WORK.glob("smoke.db*"):
        leftover.unlink()
    k_cmd = [str(kiosk / ("nps-kiosk" + EXE)), "--smoke", "--db", str(db)]
    b_cmd = [str(bare / ("bare-window" + EXE))]
    _first_frame_ms(k_cmd)  # makes and migrates the database; warms both file caches
    _first_frame_ms(b_cmd)
    k_runs, b_runs = [], []
    for _ in range(RUNS):  # interleaved, so that machine noise hits both alike
        k_runs.append(_first_frame_ms(k_cmd))
        b_runs.append(_first_frame_ms(b_cmd))
    k_ms, b_ms = statistics.median(k_runs), statistics.median(b_runs)
    how = f"kiosk bundle {kiosk_how}; bare bundle {bare_how}"
    return [
        {
            "issue": 7,
            "name": "Bundle size (dist/nps-kiosk, one folder)",
            "value": round(k_size, 1),
            "unit": "MB",
            "baseline": round(b_size, 1),
            "baseline_name": "bare PySide6 one-folder bundle",
            "ratio": round(k_size / b_size, 3),
            "target": "<=1.3x",
            "met": k_size / b_size <= 1.3,
            "note": f"MiB of regular files, same PyInstaller {_version('pyinstaller')} and PySide6 "
            f"{_version('PySide6-Essentials')}; the kiosk bundle leaves out the Qt it does "
            f"not use (build.spec), the bare one is PyInstaller's default; {how}",
        },
        {
            "issue": 7,
            "name": "Bundle time to first frame (--smoke)",
            "value": round(k_ms, 1),
            "unit": "ms",
            "baseline": round(b_ms, 1),
            "baseline_name": "bare PySide6 one-folder bundle",
            "ratio": round(k_ms / b_ms, 3),
            "target": "<=2x",
            "met": k_ms / b_ms <= 2,
            "note": f"median of {RUNS} interleaved process starts each, offscreen, spawn to the "
            "first-frame line printed after the first paint",
        },
    ]


if __name__ == "__main__":
    from bench.run import table

    print(table(run()))
