"""tests/ui has no __init__.py, so with tests/ on sys.path `import ui` finds it as a namespace
package before the editable install's finder maps `ui` to the real one. Put the checkout first
(the lead may prefer `pythonpath = ["."]` in the pytest settings, which makes this a no-op)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[3])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
for _name in [m for m in sys.modules if m == "ui" or m.startswith("ui.")]:
    if getattr(sys.modules[_name], "__file__", None) is None:  # a namespace stand-in
        del sys.modules[_name]
