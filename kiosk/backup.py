"""`nps-kiosk backup`: a consistent copy of the live kiosk database, safe while the kiosk runs.

SQLite's online backup API reads the database inside one read transaction, so the copy is a
snapshot of committed answers even while the kiosk keeps writing (WAL lets both go on). The copy
is written beside the target under a temporary name, checked with ``PRAGMA integrity_check``,
switched to a single-file journal mode (no -wal beside it on the USB stick) and only then renamed
to the name asked for: a file with that name is always a whole, checked backup.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from core.said import Said
from core.sqlite import create_private
from kiosk.errors import DatabaseError


@dataclass(frozen=True)
class Backup:
    path: Path
    size_bytes: int
    responses: int | None  # None for a database made before the responses table existed
    revision: str | None


def backup_database(*, source: Path, out: Path, overwrite: bool = False) -> Backup:
    """Copy the database at ``source`` to ``out`` with SQLite's online backup; returns what
    was written. Raises DatabaseError (with what to do next) and leaves no partial file."""
    source, out = Path(source).expanduser(), Path(out).expanduser()
    if not source.is_file():
        raise DatabaseError(
            Said(
                "There is no database at {source}. Pass the kiosk's file with --db PATH (see "
                "`nps-kiosk --help` for the default).",
                source=str(source),
            )
        )
    if out.exists() and not overwrite:
        raise DatabaseError(
            Said(
                "{out} already exists; nothing was written. Pick another name or add --force to "
                "replace it.",
                out=str(out),
            )
        )
    if out.resolve() == source.resolve():
        raise DatabaseError(Said("The backup cannot be the database itself; pick another --out."))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            Said(
                "Cannot create the folder {folder} ({reason}).",
                folder=str(out.parent),
                reason=exc.strerror,
            )
        ) from exc
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        _copy(source, partial)
        os.replace(partial, out)
    except sqlite3.Error as exc:
        raise DatabaseError(
            Said(
                "The backup of {source} failed ({reason}); nothing was written to {out}. Run it "
                "again; if it fails again, copy the file with the kiosk stopped.",
                source=str(source),
                reason=str(exc),
                out=str(out),
            )
        ) from exc
    except OSError as exc:
        raise DatabaseError(
            Said(
                "Cannot write the backup to {out} ({reason}); nothing was written there. Check "
                "the free space and that the stick is writable.",
                out=str(out),
                reason=exc.strerror,
            )
        ) from exc
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    return _describe(out)


def _copy(source: Path, target: Path) -> None:
    # Read-only on the source: a backup never creates, repairs or migrates the kiosk's file.
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=5.0)
    create_private(target)  # customers' contact details: 0600 whatever the umask
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)  # all pages in one step: one snapshot, one read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file on the stick
        rows = dst.execute("PRAGMA integrity_check").fetchall()
        if rows != [("ok",)]:
            raise sqlite3.DatabaseError(
                "the copy fails PRAGMA integrity_check: " + "; ".join(str(r[0]) for r in rows[:3])
            )
    finally:
        dst.close()
        src.close()


def _describe(path: Path) -> Backup:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        responses = (
            conn.execute("SELECT count(*) FROM responses").fetchone()[0]
            if "responses" in tables
            else None
        )
        revision = (
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if "alembic_version" in tables
            else None
        )
    finally:
        conn.close()
    return Backup(
        path=path,
        size_bytes=path.stat().st_size,
        responses=responses,
        revision=revision[0] if revision else None,
    )
