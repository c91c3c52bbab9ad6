"""Batch files for a store with no network: the outbox written to a folder (a USB stick) as
signed protocol v1 batches, for ``nps-hq import``. The responses become *exported*, not
synced: the outbox still sends them when a network appears, and HQ answers duplicate for those
the files already delivered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from core.errors import BatchFileError
from core.ids import uuid7
from core.protocol import MAX_BATCH, BatchV1, ResponseV1, describe, write_batch_file
from core.said import Said
from kiosk import credentials as creds_file
from kiosk.db import Database, utcnow
from sync.ledger import SyncStore
from sync.outbox import _wire


@dataclass(frozen=True)
class ExportedFiles:
    folder: Path
    files: tuple[Path, ...]
    responses: int


def export_batches(
    db: Database, *, out: Path, batch_size: int = MAX_BATCH, clock: Callable[[], datetime] = utcnow
) -> ExportedFiles:
    """Write every pending complete response (not yet exported) to signed batch files in
    ``out``; each file is written to a temporary name, fsynced and renamed, then its responses
    are marked exported with a ledger row."""
    creds = creds_file.load(db.path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchFileError(
            Said(
                "Cannot create the folder {folder} ({reason}); is the USB stick mounted and "
                "writable?",
                folder=str(out),
                reason=exc.strerror,
            )
        ) from exc
    store = SyncStore(db)
    files: list[Path] = []
    total = 0
    while True:
        # Only responses not yet in a file: exported ones are waiting for HQ already.
        rows = store.next_batch(batch_size, not_exported=True)
        if not rows:
            break
        responses = []
        bad = []
        for row in rows:
            try:
                responses.append(ResponseV1.model_validate(_wire(row)))
            except ValidationError as exc:
                bad.append((row["id"], f"invalid on this kiosk: {describe(exc)}"))
        store.quarantine(bad)
        if not responses:
            continue
        now = clock()
        batch = BatchV1(
            batch_id=str(uuid7()),
            device_id=creds.device_id,
            sent_at=now.replace(tzinfo=UTC),
            responses=responses,
        )
        # Named by device and first sequence number: sorted names are in upload order.
        name = f"nps-{creds.device_id}-seq{responses[0].seq:010d}-{batch.batch_id[-12:]}.json"
        path = write_batch_file(out / name, batch, secret=creds.device_secret)
        ids = [r.id for r in responses]
        store.mark_exported(batch_id=batch.batch_id, ids=ids, file_name=name, at=now)
        files.append(path)
        total += len(ids)
    return ExportedFiles(folder=out, files=tuple(files), responses=total)
