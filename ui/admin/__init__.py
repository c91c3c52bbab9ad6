"""The store manager's admin view (issue 4): ``AdminView(db)``; see ui/admin/view.py."""

from __future__ import annotations

from ui.admin.view import AdminView

__all__ = ["AdminView"]
