"""Batch files for a store with no network: the outbox written to a folder (a USB stick) as
signed batches, for ``nps-hq import``. The responses become *exported*, not synced: the outbox
still sends them when a network appears, and HQ answers duplicate for those the files already
delivered.

**Protocol.** A kiosk on protocol v2 writes v2 batches (:func:`file_protocol`): its answers
keep ``survey_version`` and ``consent_text``, and the files carry the queued erasures ("Forget
this customer") in the batch's ``erasures``, under the file's signature, so that ``nps-hq
import`` scrubs them at HQ exactly as an upload does. A kiosk is on v2 when HQ is known to speak
it: a store profile was received from HQ, or HQ's erasures were pulled (both v2 calls); else,
or with ``protocol="v1"``, the files are v1 batches as before (no v2 fields, no erasures), which
every HQ imports. ``nps-kiosk export-batches --protocol v2`` writes v2 for a kiosk that has
only ever been enrolled, when its HQ runs this release.

**Erasures stay queued.** Writing an erasure to a file does not take it off the queue: a USB
stick can be lost, left in a drawer or imported to the wrong HQ, and the kiosk never hears of
an import. It leaves the queue only when an HTTP batch reply lists it in ``erased`` (as
before), so every export writes every queued erasure again (a file with no answers when none
are pending). Importing an erasure twice is harmless (HQ keeps one tombstone). The cost is a
few bytes a file for the handful of erasures a store gets; the person is never forgotten at the
kiosk but remembered at HQ because a stick went missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from core.errors import BatchFileError
from core.ids import uuid7
from core.protocol import (
    MAX_BATCH,
    BatchV1,
    ProtocolName,
    ResponseV1,
    describe,
    write_batch_file,
)
from core.said import Said
from kiosk import audit, privacy
from kiosk import credentials as creds_file
from kiosk.db import Database, utcnow
from sync.ledger import SyncStore
from sync.outbox import _wire


@dataclass(frozen=True)
class ExportedFiles:
    folder: Path
    files: tuple[Path, ...]
    responses: int
    protocol: ProtocolName = "v1"
    erasures: int = 0  # queued erasures written (each once, in the first files)


def file_protocol(db: Database) -> ProtocolName:
    """ "v2" when HQ is known to speak protocol v2 (a store profile was received from it, or its
    erasures were pulled), else "v1"."""
    with db.reading() as s:
        conn = s.connection()
        profile = conn.exec_driver_sql("SELECT 1 FROM store_profile LIMIT 1").first()
        pulled = conn.exec_driver_sql(
            "SELECT 1 FROM sync_status WHERE erasures_pulled_at IS NOT NULL LIMIT 1"
        ).first()
    return "v2" if profile is not None or pulled is not None else "v1"


def export_batches(
    db: Database,
    *,
    out: Path,
    batch_size: int = MAX_BATCH,
    clock: Callable[[], datetime] = utcnow,
    protocol: ProtocolName | None = None,
) -> ExportedFiles:
    """Write every pending complete response (not yet exported) to signed batch files in
    ``out``; each file is written to a temporary name, fsynced and renamed, then its responses
    are marked exported with a ledger row. ``protocol``: v1 or v2 (None: :func:`file_protocol`);
    a v2 export also writes every queued erasure (they stay queued: see the module's
    docstring)."""
    creds = creds_file.load(db.path)
    protocol = protocol or file_protocol(db)
    # Every queued erasure, in files of at most MAX_BATCH ids (the first files).
    erasures = privacy.queued(db, limit=2**31 - 1) if protocol == "v2" else []
    written_erasures = 0
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
        if not rows and not erasures:
            break
        responses = []
        bad = []
        for row in rows:
            try:
                responses.append(ResponseV1.model_validate(_wire(row)))
            except ValidationError as exc:
                bad.append((row["id"], f"invalid on this kiosk: {describe(exc)}"))
        store.quarantine(bad)
        if not responses and rows:
            continue
        if protocol == "v1":
            responses = [
                r.model_copy(update={"survey_version": None, "consent_text": None})
                for r in responses
            ]
        carried, erasures = erasures[:MAX_BATCH], erasures[MAX_BATCH:]
        now = clock()
        batch = BatchV1(
            protocol=protocol,
            batch_id=str(uuid7()),
            device_id=creds.device_id,
            sent_at=now.replace(tzinfo=UTC),
            responses=responses,
            erasures=carried or None,
        )
        # Named by device and first sequence number: sorted names are in upload order (a
        # file of erasures only sorts first: they apply to answers already at HQ or to come).
        first = responses[0].seq if responses else 0
        name = f"nps-{creds.device_id}-seq{first:010d}-{batch.batch_id[-12:]}.json"
        path = write_batch_file(out / name, batch, secret=creds.device_secret)
        ids = [r.id for r in responses]
        if ids:
            store.mark_exported(batch_id=batch.batch_id, ids=ids, file_name=name, at=now)
        if carried:
            audit.record(db, "erasures_exported", count=len(carried), file=name)
        files.append(path)
        total += len(ids)
        written_erasures += len(carried)
    return ExportedFiles(
        folder=out,
        files=tuple(files),
        responses=total,
        protocol=protocol,
        erasures=written_erasures,
    )
