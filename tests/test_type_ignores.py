"""Every ``type: ignore`` in the product names its error code and says why on the same line, so
that a silenced check is a decision someone can read, not a habit."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "kiosk", "sync", "ui", "hq", "tools")
WITH_REASON = re.compile(r"#\s*type:\s*ignore\[[a-z0-9, -]+\]\s+#\s*\S")


def bare_ignores(text: str) -> list[int]:
    return [
        n
        for n, line in enumerate(text.splitlines(), 1)
        if "type: ignore" in line and not WITH_REASON.search(line)
    ]


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for pkg in PACKAGES
        for path in sorted((ROOT / pkg).rglob("*.py"))
        if "migrations" not in path.parts
        for n in bare_ignores(path.read_text("utf-8"))
    ]
    assert found == []


def test_the_rule_sees_a_bare_ignore() -> None:
    assert bare_ignores("x = f()  # type: ignore\ny = g()  # type: ignore[arg-type]\n") == [1, 2]
    assert bare_ignores("z = h()  # type: ignore[arg-type]  # stub is wrong\n") == []
