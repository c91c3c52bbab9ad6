"""The import arrows of ARCHITECTURE.md: kiosk -> core; sync -> kiosk, core; ui -> kiosk, sync,
core; hq -> core only; tools and tests may import anything; no Qt outside ui/ (and tools/)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"core", "kiosk", "sync", "ui", "hq", "tools", "tests", "bench"}
QT = {"PySide6", "PyQt5", "PyQt6", "shiboken6"}
HTTP_SERVERS = {"fastapi", "uvicorn", "starlette", "jinja2"}
HTTP_CLIENTS = {"requests", "httpx"}
# Which of our packages each package may import (itself included), and which outside ones not.
ALLOWED = {
    "core": {"core"},
    "kiosk": {"core", "kiosk"},
    "sync": {"core", "kiosk", "sync"},
    "ui": {"core", "kiosk", "sync", "ui"},
    "hq": {"core", "hq"},
}
FORBIDDEN_OUTSIDE = {
    "core": QT | HTTP_SERVERS | HTTP_CLIENTS,
    "kiosk": QT | HTTP_SERVERS | HTTP_CLIENTS,
    "sync": QT | HTTP_SERVERS,
    "ui": HTTP_SERVERS,
    "hq": QT,
}


def imported_roots(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.module.split(".")[0], node.lineno))
    return found


def wrong_imports(package: str) -> list[str]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no source"
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in files
        for name, line in imported_roots(path)
        if (name in OURS and name not in ALLOWED[package]) or name in FORBIDDEN_OUTSIDE[package]
    ]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    assert wrong_imports(package) == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom PySide6.QtWidgets import QWidget\nfrom kiosk import db\n")
    assert {("PySide6", 2), ("kiosk", 3)} <= imported_roots(bad)


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


def test_a_fresh_hq_app_loads_none_of_the_kiosk() -> None:
    """What a server process really loads, lazy imports included: not the till's storage, its
    sync client or Qt."""
    loaded = _modules_after("import hq.app, hq.cli")
    roots = {name.split(".")[0] for name in loaded}
    assert roots & {"kiosk", "sync", "ui", "tools"} | (roots & QT) == set()
    assert "core.protocol" in loaded  # the check sees our modules at all


def test_a_fresh_kiosk_core_loads_no_qt_and_no_http() -> None:
    loaded = _modules_after("import kiosk.recording, kiosk.dashboard, sync.outbox")
    roots = {name.split(".")[0] for name in loaded}
    assert roots & (QT | HTTP_SERVERS | {"ui", "hq", "tools"}) == set()
