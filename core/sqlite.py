"""The SQLite tuning both databases use (the kiosk's file and HQ's embedded database)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

BUSY_TIMEOUT_MS = 5000


def tune_sqlite(engine: Engine, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    """Durable, lock-up-front SQLite for any engine of ours (the kiosk's and HQ's): WAL,
    synchronous=FULL, foreign keys, a busy timeout, and BEGIN issued by us."""

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
