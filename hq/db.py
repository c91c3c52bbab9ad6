"""Opening HQ's database: embedded SQLite by default, PostgreSQL for a chain; Alembic to head."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.sqlite import create_private, keep_private, tune_sqlite
from hq.errors import ConfigError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000


def utcnow() -> datetime:
    """Now in UTC, naive: the form stored in HQ's tables."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


@dataclass
class HqDatabase:
    url: str
    engine: Engine

    def __post_init__(self) -> None:
        writer = self.engine
        if self.is_sqlite:
            writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._write = sessionmaker(writer, expire_on_commit=False)
        self._read = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction, committed when the block ends, rolled back on an error."""
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    on_disk = bool(path) and path != ":memory:" and not str(path).startswith("file:")
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if on_disk:
        # Token hashes and every store's answers: HQ's user only (0600), whatever the umask;
        # SQLite gives -wal and -shm the database file's mode, and older files are tightened.
        create_private(Path(str(path)))
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    )

    tune_sqlite(engine, busy_timeout_ms=BUSY_TIMEOUT_MS)  # the kiosk's tuning, HQ's timeout

    @event.listens_for(engine, "connect")
    def _secure_delete(dbapi_conn: Any, _record: Any) -> None:
        # An erasure or purge overwrites values in place: secure_delete zeroes the bytes they
        # leave in the page (and freed pages), so they do not linger in the file (hq.privacy).
        # HQ rarely deletes, so this costs ingest nothing.
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    if on_disk:
        keep_private(engine, Path(str(path)))
    return engine


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"{url!r} is not a database URL; use sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB."
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    if backend == "postgresql":
        if parsed.drivername != "postgresql+psycopg":
            raise ConfigError(
                "Use the psycopg 3 driver: postgresql+psycopg://USER:PASSWORD@HOST/DB"
                " (install with pip install 'nps-kiosk[hq]')."
            )
        # No pre-ping: it costs a round trip per transaction; recycle idle connections instead.
        return create_engine(url, pool_size=8, max_overflow=8, pool_recycle=300)
    raise ConfigError(f"HQ runs on SQLite or PostgreSQL, not {backend!r}.")


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def open_database(url: str, *, migrate: bool = True) -> HqDatabase:
    """Open HQ's database at ``url`` and bring its schema to the newest version."""
    engine = make_engine(url)
    if migrate:
        from alembic import command

        try:
            with engine.connect() as conn:
                command.upgrade(_alembic_config(conn), "head")
                conn.commit()
        except OperationalError as exc:
            engine.dispose()
            where = make_url(url).render_as_string(hide_password=True)
            raise ConfigError(
                f"Cannot reach the database at {where} ({exc.orig}). "
                "Check that the server runs and the URL is right."
            ) from exc
    return HqDatabase(url=url, engine=engine)
