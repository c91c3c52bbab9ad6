"""Text cleaning and the limits every end enforces (the kiosk on entry, HQ on ingest and on
the phone page, the wire schemas on both sides)."""

from __future__ import annotations

import re
import unicodedata

COMMENT_LIMIT = 1000
CONTACT_LIMIT = 200
MAX_REASONS = 12
REASON_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
REASON_KEY = re.compile(REASON_PATTERN)


def clean_text(text: str, *, limit: int, keep_newlines: bool = True) -> str:
    """Trim, drop control characters (keeping line breaks in comments) and cap the length."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            kept.append(ch)
        elif ch in "\t\n":
            kept.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cs"):
            kept.append(ch)
    return "".join(kept).strip()[:limit].strip()


# A cell a spreadsheet program would read as a formula (or, after a tab or CR, reflow).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text made inert for a CSV cell: a leading quote stops Excel/LibreOffice/Sheets running
    ``=HYPERLINK(...)`` typed by a customer. Apply it to text columns only, never to numbers
    (a negative score stays a number)."""
    if text[:1] in FORMULA_STARTS:
        return "'" + text
    return text
