"""The SQLite tuning both databases use (the kiosk's file and HQ's embedded database)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where an engine is tuned: the kiosk's tap path runs without it
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
PRIVATE_MODE = 0o600  # customers' contact details and hashes: the owner's user only
SIDE_FILES = ("-wal", "-shm", "-journal")


def tighten(path: Path | str) -> None:
    """Set ``path`` to owner read/write only if it exists and is wider (or narrower)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if mode != PRIVATE_MODE:
        try:
            os.chmod(path, PRIVATE_MODE)
        except OSError as exc:  # a file we do not own: say so, do not stop the store
            log.warning("Cannot set %s to mode 0600 (%s); ask its owner to", path, exc.strerror)


def create_private(path: Path | str) -> None:
    """Create an empty ``path`` with mode 0600 unless it exists (whatever the umask), so that
    SQLite, which gives -wal/-shm/-journal the database file's mode, never makes a readable
    one; then tighten it and its side files if an earlier release left them 0644."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    tighten_database_files(path)


def tighten_database_files(path: Path | str) -> None:
    """Tighten a SQLite database and whichever of its -wal, -shm, -journal exist to 0600."""
    tighten(path)
    for suffix in SIDE_FILES:
        tighten(f"{path}{suffix}")


def keep_private(engine: Engine, path: Path | str) -> None:
    """After each new connection (which may have just made -wal and -shm), tighten them."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_conn: Any, _record: Any) -> None:
        tighten_database_files(path)


def tune_sqlite(engine: Engine, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    """Durable, lock-up-front SQLite for any engine of ours (the kiosk's and HQ's): WAL,
    synchronous=FULL, foreign keys, a busy timeout, and BEGIN issued by us."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite (it never BEGINs for SELECT and breaks
        # SAVEPOINT); the "begin" listener below issues BEGIN itself.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front (execution option sqlite_begin="IMMEDIATE"): a deferred
        # transaction that later writes fails with SQLITE_BUSY at once, ignoring the timeout.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())
