"""Disk space for the database: telling a full disk from other write errors, free space, and
a tiny probe write that says when answers can be taken again.

When the disk fills, SQLite rolls the transaction back itself and reports SQLITE_FULL
("database or disk is full"); nothing committed before is touched. The kiosk then stops
taking answers, and tries ``probe_write`` on a timer until it succeeds.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kiosk.db import Database
from kiosk.errors import StorageFull

SQLITE_FULL = 13
MB = 1024 * 1024
# Below this much free space a probe is not even tried: a write that fits in the probe's one
# page could still fail for a real answer (its row, indexes and rollups).
RESUME_MIN_FREE_BYTES = 256 * 1024


@dataclass(frozen=True)
class SpaceStatus:
    """What the admin view shows about the disk the database is on."""

    folder: Path
    free_bytes: int
    low_space_mb: int
    full_cause: str | None  # why the last write failed, while answers are paused

    @property
    def full(self) -> bool:
        return self.full_cause is not None

    @property
    def low(self) -> bool:
        return self.free_bytes < self.low_space_mb * MB

    @property
    def free_mb(self) -> float:
        return self.free_bytes / MB


def is_disk_full(exc: BaseException) -> bool:
    """Whether a write failed because the disk (or the file system's quota) is full."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code == SQLITE_FULL or "database or disk is full" in str(exc)
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    return isinstance(orig, BaseException) and is_disk_full(orig)


def storage_full(db: Database, exc: BaseException) -> StorageFull | None:
    """The typed error for a write that failed on a full disk (and the database remembers
    the cause for the admin view), or None if ``exc`` is something else."""
    if isinstance(exc, StorageFull):
        return exc
    if not is_disk_full(exc):
        return None
    cause = str(getattr(exc, "orig", None) or exc)
    db.storage_problem = cause
    return StorageFull(
        f"The disk holding {db.path.name} is full ({cause}); the answer was not stored and "
        "nothing stored before was lost. Free some space on it (delete old files or backups "
        "there); the kiosk takes answers again by itself.",
        cause=cause,
    )


def free_bytes(db: Database) -> int:
    return shutil.disk_usage(db.path.parent).free


def space_status(db: Database) -> SpaceStatus:
    return SpaceStatus(
        folder=db.path.parent,
        free_bytes=free_bytes(db),
        low_space_mb=db.settings().low_space_mb,
        full_cause=db.storage_problem,
    )


def probe_write(db: Database) -> bool:
    """Whether the database takes a durable write again: one page, committed (the header's
    user_version, rewritten with its own value, so nothing changes). Clears the remembered
    cause when it succeeds."""
    if free_bytes(db) < RESUME_MIN_FREE_BYTES:
        return False
    with db.connection() as conn:  # the tap path's own connection: no SQLAlchemy
        cur = conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            version = int(cur.execute("PRAGMA user_version").fetchone()[0])
            cur.execute(f"PRAGMA user_version = {version}")
            cur.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                cur.execute("ROLLBACK")
            if is_disk_full(exc):
                db.storage_problem = str(exc)
                return False
            raise
        finally:
            cur.close()
    db.storage_problem = None
    return True
