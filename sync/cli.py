"""The sync commands of ``nps-kiosk``: enroll, sync and export-batches (parsed by kiosk.cli,
passed here by the ui.cli entry point)."""

from __future__ import annotations

import argparse
import sys

from kiosk.credentials import CredentialsError
from kiosk.db import Database
from sync.client import new_session, sends_in_clear
from sync.errors import HqRequestError, SyncError
from sync.ledger import SyncStore
from sync.outbox import StepKind, enroll_kiosk, outbox_for, pull_phone_answers


def run(args: argparse.Namespace, db: Database) -> int:
    try:
        if args.command == "enroll":
            return _enroll(args, db)
        if args.command == "sync":
            return _sync(args, db)
        if args.command == "export-batches":
            return _export(args, db)
    except (SyncError, CredentialsError) as exc:
        print(f"nps-kiosk: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(args.command)


def _enroll(args: argparse.Namespace, db: Database) -> int:
    with new_session() as session:
        done = enroll_kiosk(
            db,
            hq_url=args.hq,
            code=args.code,
            session=session,
            ca_bundle=str(args.ca_bundle) if args.ca_bundle else None,
            public_url=args.public_url,
            insecure_http=args.insecure_http,
        )
    if sends_in_clear(done.hq_url):
        print(
            f"Warning: {done.hq_url} is plain http://; the device token crosses the network "
            "unencrypted. Enroll again with HQ's https:// address before going live."
        )
    print(
        f"Enrolled at {done.hq_url} as device {done.device_id} of store {done.store_id}. "
        f"Credentials in {done.credentials_file} (readable by this user only)."
    )
    if done.adopted:
        print(f"{done.adopted} responses recorded before enrollment will be sent as this device.")
    if abs(done.clock_offset_s) > 120:
        print(
            f"Note: this kiosk's clock is {done.clock_offset_s:+.0f} s off HQ's; both times "
            "are kept, but set the clock."
        )
    return 0


def _sync(args: argparse.Namespace, db: Database) -> int:
    with new_session() as session:
        outbox = outbox_for(db, session=session)
        before = outbox.store.pending_count()
        print(f"{before} responses to send.", flush=True)
        report = outbox.drain(max_failures=1 if args.once else None)
        for b in report.batches:
            print(
                f"batch {b.batch_id}: {b.size} sent, {b.accepted} accepted, "
                f"{b.duplicate} duplicate, {b.rejected} rejected",
                flush=True,
            )
        if report.last.kind is StepKind.REFUSED:
            print(f"nps-kiosk: {report.last.error}", file=sys.stderr)
            return 3
        left = outbox.store.pending_count()
        if report.last.kind is StepKind.IDLE:
            try:
                pulled = pull_phone_answers(db, outbox.client, store_id=db.settings().store_id)
                print(f"{pulled} new phone answers from HQ.")
            except HqRequestError as exc:
                print(f"Phone answers not pulled: {exc}", file=sys.stderr)
    quarantined = SyncStore(db).overview(quarantine_limit=0, batch_limit=0).quarantined_count
    print(
        f"Synced {report.synced}; {left} still waiting; {quarantined} quarantined"
        + (f"; last error: {report.last.error}" if report.last.error else "")
        + "."
    )
    return 0 if left == 0 else 1


def _export(args: argparse.Namespace, db: Database) -> int:
    from core.protocol import ProtocolName
    from sync.batchfiles import export_batches

    chosen = getattr(args, "protocol", "auto")
    protocol: ProtocolName | None = "v1" if chosen == "v1" else "v2" if chosen == "v2" else None
    out = export_batches(db, out=args.out, protocol=protocol)
    erasures = (
        f" and {out.erasures} erasures (they stay queued until HQ confirms one over the network)"
        if out.erasures
        else ""
    )
    print(
        f"Wrote {out.responses} responses{erasures} in {len(out.files)} batch files "
        f"(protocol {out.protocol}) to {out.folder}. Import them at HQ with: nps-hq import FOLDER"
    )
    return 0
