"""Opening the kiosk database: safety checks, migrations, and its connections.

The order on start is: (1) a file that is not a SQLite database, whose header or schema cannot
be read, or in which the background integrity check found damage (kiosk.integrity) is renamed
aside with a timestamp (never overwritten, never deleted) and a fresh file takes its place;
(2) if migrations are due, the file is first copied aside with SQLite's online backup;
(3) Alembic upgrades to head; (4) first-run settings are made.

The customer's path (open, record, complete, recover, read settings) runs on plain sqlite3
connections (``Database.connection``) and never imports SQLAlchemy (~300 ms and ~40 MB at start).
The file's schema revision is read with sqlite3 and compared with ``kiosk.migrations.HEAD``;
Alembic and SQLAlchemy are imported only when it is not current (or the file is new). The
SQLAlchemy engine and sessions (``Database.engine``, ``writing``, ``reading``) are made on
first use: by the admin view, the sync worker, exports and the CLI commands.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.said import Said
from core.sqlite import create_private, tighten_database_files
from kiosk.errors import DatabaseError, DatabaseLocationError
from kiosk.integrity import DAMAGED, LAST_CHECK, damage_found, quick_problem
from kiosk.integrity import side as side_file
from kiosk.settings import Settings, from_stored, to_stored

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    """Now in UTC as a naive datetime, the form stored in SQLite."""
    return datetime.now(UTC).replace(tzinfo=None)


def connect_raw(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A plain sqlite3 connection tuned as the engine's are (core.sqlite.tune_sqlite): WAL,
    synchronous=FULL (a COMMIT is on disk when it returns), foreign keys, a busy timeout, and
    transactions begun by the caller (``BEGIN IMMEDIATE`` for a write)."""
    conn = sqlite3.connect(
        str(path),
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,  # autocommit: we issue BEGIN and COMMIT ourselves
        check_same_thread=False,  # Database.close may run on another thread than the opener
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    tighten_database_files(path)  # the connection may just have made -wal and -shm
    return conn


class Database:
    """An open kiosk database.

    ``connection()`` is a plain sqlite3 connection (on the opening thread, the kept ``raw()``
    one): the tap path (kiosk.recording), the settings read, the checkpoint and the full-disk
    probe use it, without SQLAlchemy. ``engine``, ``writing`` (BEGIN
    IMMEDIATE) and ``reading`` (a deferred BEGIN) import SQLAlchemy and make the engine on first
    use."""

    def __init__(
        self,
        path: Path,
        *,
        notices: list[str] | None = None,
        moved_aside: Path | None = None,
        backup: Path | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.path = path
        self.notices: list[str] = notices if notices is not None else []  # what open did
        self.moved_aside = moved_aside
        self.backup = backup
        # Why the last write failed on a full disk, until a write succeeds again (kiosk.storage).
        self.storage_problem: str | None = None
        self.opened_at: datetime = utcnow()  # this process's start
        self._engine = engine
        self._lock = threading.Lock()
        self._owner = threading.get_ident()  # the thread that opened it (the GUI thread)
        self._conn: sqlite3.Connection | None = None  # its kept connection (raw)
        self._sessions: tuple[sessionmaker[Session], sessionmaker[Session], Engine] | None = None
        self._settings: Settings | None = None

    # -- the customer's path: plain sqlite3 --------------------------------------------------
    def raw(self) -> sqlite3.Connection:
        """The kept sqlite3 connection of the thread that opened the database (the GUI thread:
        the tap path's), made on first use and closed by ``close``. Other threads use
        ``connection()``."""
        if threading.get_ident() != self._owner:
            raise RuntimeError("Database.raw() is the opening thread's; use connection()")
        if self._conn is None:
            self._conn = connect_raw(self.path)
        return self._conn

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A plain sqlite3 connection: on the opening thread the kept one (``raw``); on any
        other thread (the sync worker, the admin's readers) a new one, closed at the end, so
        that no connection is left behind by a thread that ends."""
        if threading.get_ident() == self._owner:
            yield self.raw()
            return
        conn = connect_raw(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def settings(self) -> Settings:
        """The settings, cached in this process and refreshed by update_settings (a change
        made by another process, e.g. `nps-kiosk settings --set`, shows after a restart)."""
        if self._settings is None:
            with self.connection() as conn:
                rows = conn.execute("SELECT key, value FROM settings").fetchall()
            self._settings = from_stored({str(k): str(v) for k, v in rows})
        return self._settings

    def checkpoint(self) -> None:
        """Fold the WAL back into the database so that it cannot grow without bound (when idle)."""
        with self.connection() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    # -- everything else: SQLAlchemy, imported on first use ----------------------------------
    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (imports SQLAlchemy the first time: not on the tap path)."""
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(self.path)
            return self._engine

    def _sessionmakers(self) -> tuple[sessionmaker[Session], sessionmaker[Session], Engine]:
        made = self._sessions
        if made is None:
            from sqlalchemy.orm import sessionmaker

            immediate = self.engine.execution_options(sqlite_begin="IMMEDIATE")
            made = (
                sessionmaker(immediate, expire_on_commit=False),
                sessionmaker(self.engine, expire_on_commit=False),
                immediate,
            )
            self._sessions = made
        return made

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in a write transaction (no ORM unit of work). Committed, and
        fsynced, when the block ends."""
        with self._sessionmakers()[2].begin() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction, committed (and fsynced: synchronous=FULL) when the block ends."""
        with self._sessionmakers()[0]() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._sessionmakers()[1]() as session, session.begin():
            yield session

    def update_settings(self, **changes: Any) -> Settings:
        """Check and store settings; a bad value raises SettingError and nothing is stored."""
        from kiosk.models import SettingRow

        stored = {key: to_stored(key, value) for key, value in changes.items()}
        zone_before = self.settings().time_zone
        with self.writing() as s:
            for key, value in stored.items():
                s.merge(SettingRow(key=key, value=value, updated_at=utcnow()))
            rekey_if_moved(s, zone_before, changes)
        self._settings = None
        return self.settings()

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            engine = self._engine
        if conn is not None:
            conn.close()
        if engine is not None:
            engine.dispose()


def rekey_if_moved(session: Session, zone_before: str, changes: dict[str, Any]) -> None:
    """When the store's zone changes, every stored answer moves to its day in the new zone
    (in the same transaction as the setting), so no day mixes two zones."""
    if "time_zone" in changes:
        new = json.loads(to_stored("time_zone", changes["time_zone"]))
        if new != zone_before:
            from kiosk.rollups import rekey  # kiosk.rollups imports this module

            rekey(session, new)


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _unused(path: Path) -> Path:
    """``path`` itself, or path with -2, -3... if something is already there."""
    if not path.exists():
        return path
    n = 2
    while (candidate := path.with_name(f"{path.name}-{n}")).exists():
        n += 1
    return candidate


def check_file(path: Path) -> str | None:
    """Why the file is not a usable SQLite database, or None if it is (or does not exist).

    Cheap on purpose (header and schema, see kiosk.integrity): the full integrity check runs
    in the background, and what it found is acted on here, at the next start."""
    damage = damage_found(path)
    if damage is not None and path.exists():
        return f"the background integrity check found damage ({damage})"
    return quick_problem(path)


def move_aside(path: Path, reason: str) -> Path:
    """Rename a damaged database (and its -wal/-shm) aside with a timestamp; returns its path."""
    target = _unused(path.with_name(f"{path.name}.corrupt-{_timestamp()}"))
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    path.rename(target)
    for suffix in (LAST_CHECK, DAMAGED):  # what the checks said belongs to the old file
        if side_file(path, suffix).exists():
            side_file(path, suffix).rename(side_file(target, suffix))
    tighten_database_files(target)  # still customers' data, kept for support
    (target.with_name(target.name + ".why.txt")).write_text(
        f"Moved aside by nps-kiosk at {datetime.now(UTC).isoformat()}: {reason}\n", "utf-8"
    )
    log.error("Database %s moved aside to %s: %s", path, target, reason)
    return target


def make_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine

    from core.sqlite import keep_private, tune_sqlite

    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    tune_sqlite(engine)
    keep_private(engine, path)
    return engine


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision, without importing Alembic (see kiosk/migrations)."""
    from kiosk.migrations import HEAD

    return HEAD


def alembic_head() -> str:
    """The newest revision as Alembic finds it in the migration scripts."""
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(None)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def current_revision(path: Path) -> str | None:
    if not path.exists() or path.stat().st_size == 0:
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        has = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if not has:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def backup_copy(path: Path, target: Path) -> Path:
    """A consistent copy of a live database through SQLite's online backup API."""
    target = _unused(target)
    create_private(target)  # the copy holds the same contact details: 0600 from the start
    src = sqlite3.connect(str(path))
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def open_database(path: Path | str, *, migrate: bool = True) -> Database:
    """Open (creating, repairing or migrating as needed) the kiosk database at ``path``."""
    path = Path(path).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseLocationError(
            Said(
                "Cannot create the folder {folder} for the database ({reason}). Pick a writable "
                "place with --db PATH.",
                folder=str(path.parent),
                reason=exc.strerror,
            )
        ) from exc

    notices: list[str] = []
    moved: Path | None = None
    problem = check_file(path)
    if problem:
        moved = move_aside(path, problem)
        notices.append(
            Said(
                "The database could not be used ({problem}). It was moved aside to {file}, "
                "untouched, and the kiosk started on a fresh one. Keep that file for support.",
                problem=problem,
                file=moved.name,
            )
        )

    # Customers' contact details and the PIN hash: readable by the kiosk's user only, whatever
    # the umask; a file left 0644 by an earlier release is tightened (with its -wal and -shm).
    try:
        create_private(path)
    except OSError as exc:
        raise DatabaseLocationError(
            Said(
                "Cannot create the database {path} ({reason}). Pick a writable place with --db "
                "PATH.",
                path=str(path),
                reason=exc.strerror,
            )
        ) from exc

    backup: Path | None = None
    current = current_revision(path)
    head = head_revision()
    if migrate and current is not None and current != head:
        backup = backup_copy(path, path.with_name(f"{path.name}.pre-{head}-{_timestamp()}.bak"))
        notices.append(
            Said(
                "Database upgraded to schema {schema}; a copy of the old one is at {file}.",
                schema=head,
                file=backup.name,
            )
        )

    engine: Engine | None = None
    if migrate and current != head:  # a new file, or an older schema: correctness first
        engine = make_engine(path)
        try:
            from alembic import command

            with engine.connect() as conn:
                command.upgrade(_alembic_config(conn), "head")
                conn.commit()
        except Exception as exc:
            engine.dispose()
            if backup:
                failed = Said(
                    "Upgrading the database {path} failed ({reason}). Nothing was lost: the copy "
                    "taken before is {backup}. Report this with the file attached.",
                    path=str(path),
                    reason=str(exc),
                    backup=str(backup),
                )
            else:
                failed = Said(
                    "Upgrading the database {path} failed ({reason}). Nothing was lost: Report "
                    "this with the file attached.",
                    path=str(path),
                    reason=str(exc),
                )
            raise DatabaseError(failed) from exc

    db = Database(path, engine=engine, notices=notices, moved_aside=moved, backup=backup)
    if migrate:
        _first_run(db)
    return db


def _first_run(db: Database) -> None:
    """Give a new kiosk its device id, once. (No PIN: the gate asks the manager to set one.)"""
    with db.connection() as conn:
        have = {str(r[0]) for r in conn.execute("SELECT key FROM settings")}
    changes: dict[str, Any] = {}
    if "device_id" not in have:
        changes["device_id"] = f"dev-{uuid.uuid4().hex[:12]}"
    if "time_zone" not in have:
        # The machine's zone, kept: the store's days must not move if the machine's zone does.
        changes["time_zone"] = db.settings().time_zone
    if changes:
        db.update_settings(**changes)


def dump_settings(db: Database) -> str:
    """The stored settings as pretty JSON (for support), without the PIN hash."""
    s = db.settings()
    out = {k: getattr(s, k) for k in s.__dataclass_fields__ if k != "admin_pin_hash"}
    return json.dumps(out, ensure_ascii=False, indent=2, default=list)
