"""Checking the database file without making the kiosk wait for it.

Opening reads only the header and the schema (a few pages, whatever the file's size). The full
``PRAGMA integrity_check`` runs in the background, on its own read-only connection, after an
unclean shutdown (the run marker ``<db>.running`` was left behind) and at least once a day.
Damage it finds is recorded in ``<db>.damaged``: the admin view shows a banner, and the next
start moves the file aside (``kiosk.db.open_database``). The file is never moved from under a
running kiosk, whose connections still point at it.

Side files, beside the database:

- ``<db>.running``: the pid of the kiosk using it; removed on a clean exit.
- ``<db>.integrity.json``: when the last full check ran and what it found.
- ``<db>.damaged``: what the full check found, until the file is moved aside.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
CHECK_EVERY = timedelta(days=1)
RUNNING, LAST_CHECK, DAMAGED = ".running", ".integrity.json", ".damaged"
SIDE_FILES = (RUNNING, LAST_CHECK, DAMAGED)


def side(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _now() -> datetime:
    return datetime.now(UTC)


def quick_problem(path: Path) -> str | None:
    """Why the file is not a usable SQLite database, from its header and schema alone (cheap:
    a few pages whatever the size), or None. Page damage is for the full check."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(100)
    if head[:16] != SQLITE_HEADER:
        return "it is not a SQLite database"
    if len(head) < 100:
        return "its header is cut short"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"its header is damaged (page size {page_size})"
    pages = int.from_bytes(head[28:32], "big")
    # The in-header size counts only when it was written by a version that keeps it.
    if head[92:96] == head[24:28] and pages and size < pages * page_size:
        return f"it is cut short ({size} bytes, the header says {pages * page_size})"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"SQLite cannot read it ({exc})"
    return None


def damage_found(path: Path) -> str | None:
    """What a background check found in this file, until it is moved aside (else None)."""
    try:
        return side(path, DAMAGED).read_text("utf-8").strip() or "damage"
    except FileNotFoundError:
        return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():  # left by an earlier run that had our pid (a restarted container)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def last_check(path: Path) -> datetime | None:
    try:
        data = json.loads(side(path, LAST_CHECK).read_text("utf-8"))
        return datetime.fromisoformat(data["checked_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def full_check_due(path: Path, *, now: datetime | None = None, at_start: bool = True) -> str | None:
    """Why a full check should run now ("unclean shutdown", "daily"), or None. At start, ask
    before ``mark_running``; later (``at_start=False``) the marker is this run's own."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        if not at_start:
            raise FileNotFoundError
        pid = int(side(path, RUNNING).read_text("utf-8").split()[0])
    except FileNotFoundError:
        pass
    except (OSError, ValueError, IndexError):
        return "unclean shutdown"
    else:
        if not _alive(pid):
            return "unclean shutdown"
    checked = last_check(path)
    if checked is None or (now or _now()) - checked >= CHECK_EVERY:
        return "daily"
    return None


def mark_running(path: Path) -> None:
    try:
        side(path, RUNNING).write_text(f"{os.getpid()} {_now().isoformat()}\n", "utf-8")
    except OSError as exc:  # a full disk: the next start runs the check anyway, or daily
        log.warning("Cannot write the run marker beside %s (%s)", path, exc.strerror)


def mark_stopped(path: Path) -> None:
    side(path, RUNNING).unlink(missing_ok=True)


@dataclass(frozen=True)
class CheckResult:
    problem: str | None  # None: the file is sound
    checked_at: datetime
    cancelled: bool = False


class FullCheck:
    """One ``PRAGMA integrity_check`` on its own read-only connection; ``cancel`` (from any
    thread) interrupts it, e.g. when the kiosk exits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._cancelled = False

    def run(self) -> CheckResult:
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            return self._record(f"SQLite cannot read it ({exc})")
        with self._lock:
            self._conn = conn
            if self._cancelled:
                conn.interrupt()
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.OperationalError as exc:
            if self._cancelled:
                return CheckResult(problem=None, checked_at=_now(), cancelled=True)
            return self._record(f"SQLite cannot read it ({exc})")
        except sqlite3.DatabaseError as exc:
            return self._record(f"SQLite cannot read it ({exc})")
        finally:
            with self._lock:
                self._conn = None
            conn.close()
        if rows == [("ok",)]:
            return self._record(None)
        return self._record(
            "PRAGMA integrity_check found damage: " + "; ".join(str(r[0]) for r in rows[:3])
        )

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._conn is not None:
                self._conn.interrupt()

    def _record(self, problem: str | None) -> CheckResult:
        result = CheckResult(problem=problem, checked_at=_now())
        try:
            side(self.path, LAST_CHECK).write_text(
                json.dumps({"checked_at": result.checked_at.isoformat(), "problem": problem}),
                "utf-8",
            )
            if problem:
                side(self.path, DAMAGED).write_text(problem + "\n", "utf-8")
        except OSError as exc:
            log.warning("Cannot record the integrity check beside %s (%s)", self.path, exc)
        if problem:
            log.error("The database %s is damaged: %s", self.path, problem)
        return result
