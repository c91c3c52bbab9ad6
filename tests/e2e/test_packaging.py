"""What `pip install nps-kiosk` puts on a machine: the product packages with their migration
scripts and data files, and none of the developer tools, tests or benchmarks (tools/,
tests/, bench/; the e2e driver, the screenshot makers, the admin demo)."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("core", "kiosk", "sync", "ui", "hq")
# Files the wheel must carry besides modules: Alembic reads its scripts from disk, HQ renders
# its templates and serves its static files, the admin view draws its chevron, core.i18n reads
# the compiled catalogs.
DATA_DIRS = ("kiosk/migrations", "hq/migrations", "hq/templates", "hq/static", "core/locale")
NEVER = re.compile(
    r"^(tools|tests|bench)/|(^|/)(e2e_driver|screenshots|\w*_screenshots|demo|admin_demo)\.py$"
)
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*_cache",
    ".hypothesis", "*.db", "*.db-wal", "*.db-shm",
)  # fmt: skip


def source_files(package: str) -> set[str]:
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def can_build_wheels() -> bool:
    """setuptools builds wheels by itself from 70.1 (dev extras); before, it needs `wheel`."""
    try:
        importlib.metadata.version("wheel")
        return True
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        major, minor = importlib.metadata.version("setuptools").split(".")[:2]
    except importlib.metadata.PackageNotFoundError:
        return False
    return (int(major), int(minor)) >= (70, 1)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not can_build_wheels():
        message = "no setuptools>=70.1 here to build the wheel offline: pip install -e '.[dev]'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # From a copy: setuptools builds in the source tree and keeps whatever an earlier build
    # left in build/lib, which would hide (or invent) a file the wheel gets.
    work = tmp_path_factory.mktemp("wheel")
    tree = work / "src"
    shutil.copytree(ROOT, tree, ignore=SKIP)
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(work / "out"), str(tree)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    (built,) = (work / "out").glob("nps_kiosk-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_has_every_product_module_and_data_file(wheel_files: set[str]) -> None:
    expected = set().union(*(source_files(package) for package in PRODUCT))
    for folder in DATA_DIRS:
        assert {f for f in expected if f.startswith(folder + "/")} <= wheel_files, folder
    assert "kiosk/migrations/env.py" in wheel_files and "hq/migrations/env.py" in wheel_files
    assert any(f.startswith("kiosk/migrations/versions/") for f in wheel_files)
    assert sorted(expected - wheel_files) == []


def test_the_wheel_has_no_tools_tests_or_benchmarks(wheel_files: set[str]) -> None:
    assert sorted(f for f in wheel_files if NEVER.search(f)) == []
    tops = {f.split("/")[0] for f in wheel_files if not f.split("/")[0].endswith(".dist-info")}
    assert tops == set(PRODUCT)


def test_the_installed_commands_are_the_products(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        commands = archive.read(name).decode()
    assert "nps-kiosk = ui.cli:main" in commands and "nps-hq = hq.cli:main" in commands
    assert "tools" not in commands


def test_the_never_shipped_pattern_matches_what_it_must() -> None:
    assert NEVER.search("tools/screenshots.py") and NEVER.search("ui/e2e_driver.py")
    assert NEVER.search("ui/admin/demo.py") and NEVER.search("tests/conftest.py")
    assert not NEVER.search("ui/admin/view.py") and not NEVER.search("hq/templates/base.html")
