"""Opening HQ's database: embedded SQLite by default, PostgreSQL for a chain; Alembic to head."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.sqlite import create_private, keep_private, tune_sqlite
from hq.errors import ConfigError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
# Group commit (SQLite): at most this many jobs, or jobs carrying this many responses, in one
# transaction. A group of the largest takes tens of milliseconds: bigger would make the first
# job in it wait for the others for longer than the commits saved are worth.
GROUP_JOBS = 16
GROUP_WEIGHT = 2_000
# The background WAL checkpoint runs at most this often while HQ writes (hq.db.Checkpointer).
CHECKPOINT_EVERY_S = 0.25

T = TypeVar("T")


def utcnow() -> datetime:
    """Now in UTC, naive: the form stored in HQ's tables."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def rows_by_ids(conn: Connection, sql: str, ids: list[str]) -> Iterator[Any]:
    """The rows of ``sql``, whose every ``{ids}`` stands for the list ``ids`` (as in
    ``WHERE id IN {ids}``), with plain driver SQL in chunks of 500: ingest looks ids up for
    every batch, and SQLAlchemy's expanding IN cost more than the look-up."""
    postgres = conn.dialect.name == "postgresql"
    times = sql.count("{ids}")
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        if postgres:
            # Not "= ANY(%s)": around 50k rows the planner's estimate tips it to a sequential
            # scan (7 ms instead of 1.4 ms in the bench database); IN (SELECT unnest(...)) is
            # planned as index probes whatever the table's size. The ids (UUIDs, checked) go
            # as one comma-separated string: dumping a 500-item array cost ~1 ms of Python.
            joined = ",".join(chunk)
            param: str | list[str]
            if joined.count(",") == len(chunk) - 1:
                ids_sql, param = "string_to_array(%s, ',')", joined
            else:  # not UUIDs after all: an array, which any id survives
                ids_sql, param = "%s::varchar[]", chunk
            text = sql.replace("{ids}", f"(SELECT unnest({ids_sql}))")
            yield from conn.exec_driver_sql(text, (param,) * times)
        else:
            text = sql.replace("{ids}", "(" + ", ".join("?" * len(chunk)) + ")")
            yield from conn.exec_driver_sql(text, tuple(chunk) * times)


class WriterGate:
    """HQ's SQLite writers, one at a time, in arrival order.

    SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps in
    growing steps (up to 100 ms each) and wakes without regard to who came first, so under ten
    kiosks a batch could wait most of a second while the lock stood free. In one HQ process the
    writers queue here instead: each takes a ticket, the next runs the moment the previous
    transaction ends, and ``BEGIN IMMEDIATE`` then finds the lock free (the busy timeout is left
    for other processes: the CLI, a second server). A thread that already holds the gate passes
    through (a nested write then meets SQLite's lock as before, never a deadlock here)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._next = 0  # the ticket the next arrival takes
        self._serving = 0  # the ticket that may write now
        self._owner: int | None = None

    @property
    def waiting(self) -> int:
        """Writers queued behind the one writing."""
        with self._cond:
            return max(0, self._next - self._serving - 1)

    @contextmanager
    def turn(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                nested = True
            else:
                nested = False
                ticket = self._next
                self._next += 1
                while self._serving != ticket:
                    self._cond.wait()
                self._owner = me
        try:
            yield
        finally:
            if not nested:
                with self._cond:
                    self._owner = None
                    self._serving += 1
                    self._cond.notify_all()


@dataclass
class _Job:
    work: Callable[[Session], Any]
    weight: int
    done: bool = False
    ok: bool = False
    value: Any = None
    lead: bool = False  # this job's thread commits the next group


class GroupWriter:
    """Group commit for HQ's ingest on SQLite: the batches that queue while one is being
    written are committed together, in one transaction, each in a savepoint of its own.

    A request calls :meth:`run` with its job (a function of the session). With nobody writing,
    its own thread writes it at once (no hand-off: a lone kiosk pays nothing). Otherwise it
    queues and waits; when the group being written commits, the thread of the oldest queued job
    becomes the leader: it takes that job and whatever queued behind it (up to
    :data:`GROUP_JOBS` jobs or :data:`GROUP_WEIGHT` responses), opens one transaction (taking
    its turn at the :class:`WriterGate`), runs each job in a SAVEPOINT and commits once: one
    fsync for the group. A job that raises is rolled back to its savepoint alone and its
    request gets the error; the others commit. If the commit itself fails, every job of the
    group gets that error and nothing of it is stored (each batch fails whole, as it would
    alone). Results are handed back only after the commit, so a reply never names a response
    that is not durable."""

    def __init__(self, db: HqDatabase) -> None:
        self._db = db
        self._cond = threading.Condition(threading.Lock())
        self._queue: list[_Job] = []
        self._leading = False  # a thread is writing a group
        self._leader: int | None = None
        self._closed = False
        self.groups = 0  # transactions committed (for tests and the bench)
        self.jobs = 0  # jobs that ran in them

    @property
    def queued(self) -> int:
        """Jobs waiting for the group being written to commit."""
        with self._cond:
            return len(self._queue)

    def run(self, work: Callable[[Session], T], *, weight: int = 1) -> T:
        """``work(session)`` in a write transaction, perhaps with other requests' jobs; its
        result once committed, or the exception it (or the commit) raised."""
        job = _Job(work=work, weight=max(1, weight))
        group: list[_Job] = []
        with self._cond:
            if self._leader == threading.get_ident():
                raise RuntimeError("A job of HQ's group commit cannot queue another job")
            if self._closed:
                raise RuntimeError("HQ's database is closed")
            self._queue.append(job)
            if self._leading:
                while not job.done and not job.lead:
                    self._cond.wait()
            if not job.done:  # this thread leads: its job is the oldest queued
                self._leading = True
                self._leader = threading.get_ident()
                group = self._take()
        if group:
            self._write(group)
        if job.ok:
            return job.value  # type: ignore[no-any-return]  # work's own T
        raise job.value

    def close(self) -> None:
        with self._cond:
            self._closed = True

    def _take(self) -> list[_Job]:
        group = [self._queue.pop(0)]
        weight = group[0].weight
        while (
            self._queue
            and len(group) < GROUP_JOBS
            and weight + self._queue[0].weight <= GROUP_WEIGHT
        ):
            job = self._queue.pop(0)
            weight += job.weight
            group.append(job)
        return group

    def _write(self, group: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self._db.writing() as session:
                for job in group:
                    savepoint = session.begin_nested()
                    try:
                        value = job.work(session)
                    except BaseException as exc:  # handed to the job's request
                        savepoint.rollback()
                        outcomes.append((False, exc))
                    else:
                        savepoint.commit()
                        outcomes.append((True, value))
        except BaseException as exc:  # BEGIN or COMMIT failed: nothing of the group stands
            log.warning("A group of %d writes failed as a whole: %s", len(group), exc)
            outcomes = [(False, exc)] * len(group)
        else:
            self.groups += 1
            self.jobs += len(group)
        finally:
            if len(outcomes) < len(group):  # interrupted mid-group (a BaseException above)
                outcomes += [(False, RuntimeError("HQ's write was interrupted"))] * (
                    len(group) - len(outcomes)
                )
            with self._cond:
                for job, (ok, value) in zip(group, outcomes, strict=True):
                    job.done, job.ok, job.value = True, ok, value
                self._leader = None
                if self._queue:
                    self._queue[0].lead = True  # the oldest waiting job writes the next group
                else:
                    self._leading = False
                self._cond.notify_all()


class Checkpointer:
    """Moves SQLite's WAL checkpoints off the writers' path.

    With its automatic checkpoint the commit that fills the WAL to 1000 pages copies them into
    the database and fsyncs it before it returns, with the writers' queue waiting behind it.
    HQ's connections turn that off (``wal_autocheckpoint=0``) and this thread runs a PASSIVE
    checkpoint (it blocks no writer and no reader) after writes, at most every
    :data:`CHECKPOINT_EVERY_S`, so the WAL holds a fraction of a second of writes. SQLite
    checkpoints once more when the last connection closes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._cond = threading.Condition(threading.Lock())
        self._dirty = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.runs = 0

    def wrote(self) -> None:
        """A write transaction committed."""
        with self._cond:
            if self._dirty or self._closed:
                return
            self._dirty = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="hq-sqlite-checkpoint", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._dirty and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                self._dirty = False
            try:
                raw = self._engine.raw_connection()
                try:
                    raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                finally:
                    raw.close()
            except Exception:  # the next one catches up; the WAL stays consistent meanwhile
                log.exception("A background WAL checkpoint failed")
            with self._cond:  # let writes gather before the next one
                if not self._closed:
                    self._cond.wait(timeout=CHECKPOINT_EVERY_S)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=30)


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
        self.gate = WriterGate()
        self.group_writer = GroupWriter(self)
        self.checkpointer = Checkpointer(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction, committed when the block ends, rolled back on an error. On
        SQLite it waits its turn at :class:`WriterGate` first."""
        if not self.is_sqlite:
            with self._write() as session, session.begin():
                yield session
            return
        with self.gate.turn():
            with self._write() as session, session.begin():
                yield session
        self.checkpointer.wrote()

    def grouped(self, work: Callable[[Session], T], *, weight: int = 1) -> T:
        """``work(session)`` in a write transaction, returning its result once committed. On
        SQLite through :class:`GroupWriter`, perhaps in one transaction with other requests'
        work (in a savepoint of its own); on PostgreSQL, which takes writers side by side, in
        its own transaction. ``weight`` is how many rows
        it writes (a batch's responses), to size the groups."""
        if not self.is_sqlite:
            with self.writing() as session:
                return work(session)
        return self.group_writer.run(work, weight=weight)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def close(self) -> None:
        self.group_writer.close()
        self.checkpointer.close()
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
        # Checkpoints run on HQ's checkpoint thread rather than inside a writer's commit
        # (Checkpointer); SQLite still checkpoints when the last connection closes.
        cur.execute("PRAGMA wal_autocheckpoint=0")
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
