"""The sync commands of ``nps-kiosk``: enroll, sync and export-batches (parsed by kiosk.cli,
passed here by the ui.cli entry point)."""

from __future__ import annotations

import argparse
import sys

from core.cli_i18n import _, explain, ngettext
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
        print(f"nps-kiosk: {explain(exc)}", file=sys.stderr)
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
            _(
                "Warning: {url} is plain http://; the device token crosses the network "
                "unencrypted. Enroll again with HQ's https:// address before going live.",
                url=done.hq_url,
            )
        )
    print(
        _(
            "Enrolled at {url} as device {device} of store {store}. Credentials in {file} "
            "(readable by this user only).",
            url=done.hq_url,
            device=done.device_id,
            store=done.store_id,
            file=str(done.credentials_file),
        )
    )
    if done.adopted:
        print(
            ngettext(
                "{n} response recorded before enrollment will be sent as this device.",
                "{n} responses recorded before enrollment will be sent as this device.",
                done.adopted,
            )
        )
    if abs(done.clock_offset_s) > 120:
        print(
            _(
                "Note: this kiosk's clock is {seconds} s off HQ's; both times are kept, but set "
                "the clock.",
                seconds=f"{done.clock_offset_s:+.0f}",
            )
        )
    return 0


def _sync(args: argparse.Namespace, db: Database) -> int:
    with new_session() as session:
        outbox = outbox_for(db, session=session)
        before = outbox.store.pending_count()
        print(ngettext("{n} response to send.", "{n} responses to send.", before), flush=True)
        report = outbox.drain(max_failures=1 if args.once else None)
        for b in report.batches:
            print(
                _(
                    "batch {batch}: {size} sent, {accepted} accepted, {duplicate} duplicate, "
                    "{rejected} rejected",
                    batch=b.batch_id,
                    size=b.size,
                    accepted=b.accepted,
                    duplicate=b.duplicate,
                    rejected=b.rejected,
                ),
                flush=True,
            )
        if report.last.kind is StepKind.REFUSED:
            print(f"nps-kiosk: {explain(report.last.error or '')}", file=sys.stderr)
            return 3
        left = outbox.store.pending_count()
        if report.last.kind is StepKind.IDLE:
            try:
                pulled = pull_phone_answers(db, outbox.client, store_id=db.settings().store_id)
                print(
                    ngettext(
                        "{n} new phone answer from HQ.", "{n} new phone answers from HQ.", pulled
                    )
                )
            except HqRequestError as exc:
                print(_("Phone answers not pulled: {error}", error=explain(exc)), file=sys.stderr)
    quarantined = SyncStore(db).overview(quarantine_limit=0, batch_limit=0).quarantined_count
    if report.last.error:
        print(
            _(
                "Synced {synced}; {left} still waiting; {quarantined} quarantined; last error: "
                "{error}.",
                synced=report.synced,
                left=left,
                quarantined=quarantined,
                error=explain(report.last.error),
            )
        )
    else:
        print(
            _(
                "Synced {synced}; {left} still waiting; {quarantined} quarantined.",
                synced=report.synced,
                left=left,
                quarantined=quarantined,
            )
        )
    return 0 if left == 0 else 1


def _export(args: argparse.Namespace, db: Database) -> int:
    from core.protocol import ProtocolName
    from sync.batchfiles import export_batches

    chosen = getattr(args, "protocol", "auto")
    protocol: ProtocolName | None = "v1" if chosen == "v1" else "v2" if chosen == "v2" else None
    out = export_batches(db, out=args.out, protocol=protocol)
    erasures = (
        " "
        + ngettext(
            "It carries {n} erasure too (it stays queued until HQ confirms it over the network).",
            "It carries {n} erasures too (they stay queued until HQ confirms one over the "
            "network).",
            out.erasures,
        )
        if out.erasures
        else ""
    )
    print(
        ngettext(
            "Wrote {n} response in {files} batch files (protocol {protocol}) to {folder}. "
            "Import them at HQ with: nps-hq import FOLDER",
            "Wrote {n} responses in {files} batch files (protocol {protocol}) to {folder}. "
            "Import them at HQ with: nps-hq import FOLDER",
            out.responses,
            files=len(out.files),
            protocol=out.protocol,
            folder=str(out.folder),
        )
        + erasures
    )
    return 0
