"""The import arrows of DESIGN.md: ui -> sync -> kiosk, hq -> sync -> kiosk, and no Qt below ui."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT = {"PySide6", "PyQt5", "PyQt6", "shiboken6"}
HTTP_SERVERS = {"fastapi", "uvicorn", "starlette"}
FORBIDDEN = {
    "kiosk": {"ui", "sync", "hq", "requests", "httpx"} | QT | HTTP_SERVERS,
    "sync": {"ui", "hq"} | QT | HTTP_SERVERS,
    "hq": {"ui"} | QT,
    "ui": {"hq"},
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


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    if package in ("kiosk", "ui"):
        assert files, f"{package}/ has no source"
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in files
        for name, line in imported_roots(path)
        if name in FORBIDDEN[package]
    ]
    assert wrong == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom PySide6.QtWidgets import QWidget\n")
    assert ("PySide6", 2) in imported_roots(bad)
