"""The kiosk's command-line tools that need no screen: stats, set-pin, settings, seed, export,
and the sync commands enroll, sync and export-batches (carried out by sync.cli)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError
from kiosk.paths import default_db_path

SYNC_COMMANDS = ("export-batches", "enroll", "sync")
COMMANDS: tuple[str, ...] = ("stats", "set-pin", "settings", "seed", "export") + SYNC_COMMANDS
COMMANDS += ("backup",)  # kiosk.backup; runs without opening (or migrating) the database


def _since(text: str) -> date | datetime:
    """A store-local date (YYYY-MM-DD), or a store-local time of day (YYYY-MM-DD HH:MM, or
    with an explicit offset such as +05:30)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a date or time; use YYYY-MM-DD (e.g. 2026-11-01) or "
                "'YYYY-MM-DD HH:MM' (the store's local time)"
            ) from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; use YYYY-MM-DD (e.g. 2026-11-01), a day in the store's zone"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nps-kiosk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def db_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db", type=Path, default=None, help=f"database file (default: {default_db_path()})"
        )

    p = sub.add_parser("stats", help="print the store's NPS")
    db_arg(p)
    p.add_argument(
        "--since",
        type=_since,
        help="only answers from this local date (YYYY-MM-DD) or local time ('YYYY-MM-DD HH:MM') "
        "on, in the store's time_zone",
    )
    p.add_argument(
        "--include-suspect",
        action="store_true",
        help="count suspect responses too (left out by default)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("set-pin", help="set the admin PIN (4-8 digits)")
    db_arg(p)
    p.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")

    p = sub.add_parser("settings", help="show the settings, or change one (--set KEY JSON)")
    db_arg(p)
    p.add_argument("--set", nargs=2, metavar=("KEY", "JSON_VALUE"), action="append")

    p = sub.add_parser("seed", help="add realistic fake responses (marked seeded, never uploaded)")
    db_arg(p)
    p.add_argument("--n", type=int, default=10_000, help="how many responses (default 10000)")
    p.add_argument("--days", type=int, default=365, help="spread over this many days (365)")
    p.add_argument("--random-seed", type=int, default=4, help="for a repeatable seed")

    p = sub.add_parser("export", help="write responses as CSV (UTF-8 with BOM) and JSON")
    db_arg(p)
    p.add_argument("--to", type=Path, required=True, help="the folder to write to (USB stick)")
    p.add_argument(
        "--since", type=_day, required=True, help="first day, YYYY-MM-DD (the store's local date)"
    )
    p.add_argument(
        "--until", type=_day, default=None, help="last day, inclusive (default: the store's today)"
    )

    p = sub.add_parser(
        "export-batches", help="write the outbox as signed batch files for 'nps-hq import'"
    )
    db_arg(p)
    p.add_argument("--out", type=Path, required=True, help="the folder to write to (USB stick)")
    p.add_argument(
        "--protocol",
        choices=("auto", "v1", "v2"),
        default="auto",
        help="batch protocol: v2 carries erasures and the consent wording (auto: v2 once HQ "
        "has sent this kiosk a store profile or erasures, else v1)",
    )

    p = sub.add_parser(
        "enroll", help="enroll this kiosk at HQ with a code from 'nps-hq enroll-device'"
    )
    db_arg(p)
    p.add_argument("--hq", required=True, help="HQ's address, e.g. https://hq.example.com")
    p.add_argument("--code", required=True, help="the one-time enrollment code")
    p.add_argument(
        "--ca-bundle",
        type=Path,
        default=None,
        help="PEM file of the CA of a self-hosted HQ (default: the system's CAs)",
    )
    p.add_argument(
        "--public-url",
        default=None,
        help="the address phones reach HQ at, for QR codes (default: --hq)",
    )
    p.add_argument(
        "--insecure-http",
        action="store_true",
        help="allow an http:// HQ address on another machine (the token travels unencrypted): "
        "closed test networks only",
    )

    p = sub.add_parser("sync", help="send the outbox to HQ now and pull phone answers back")
    db_arg(p)
    p.add_argument(
        "--once",
        action="store_true",
        help="one pass: stop at the first failure instead of backing off and retrying",
    )

    p = sub.add_parser(
        "backup",
        help="copy the live database to FILE (SQLite online backup; safe while the kiosk runs)",
    )
    db_arg(p)
    p.add_argument("--out", type=Path, required=True, help="the backup file to write")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    return parser


SyncRunner = Callable[[argparse.Namespace, Any], int]


def main(argv: Sequence[str] | None = None, *, sync_runner: SyncRunner | None = None) -> int:
    """Parse and run one tool. The sync commands are carried out by ``sync_runner`` (sync.cli's
    ``run``, passed in by the ``nps-kiosk`` entry point): the kiosk domain never imports sync."""
    args = build_parser().parse_args(argv)
    if args.command in SYNC_COMMANDS and sync_runner is None:
        print(
            f"nps-kiosk: '{args.command}' needs the sync package; run it as "
            f"'nps-kiosk {args.command} ...'.",
            file=sys.stderr,
        )
        return 2
    if args.command == "backup":
        return _backup(args)
    from kiosk.db import open_database

    try:
        db = open_database(args.db or default_db_path())
    except KioskError as exc:
        print(f"nps-kiosk: {exc}", file=sys.stderr)
        return 2
    for notice in db.notices:
        print(f"nps-kiosk: {notice}", file=sys.stderr)
    try:
        if args.command in SYNC_COMMANDS:
            assert sync_runner is not None
            return int(sync_runner(args, db))
        return _run(args, db)
    except KioskError as exc:
        print(f"nps-kiosk: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()


def _run(args: argparse.Namespace, db: object) -> int:
    from core.nps import format_nps
    from kiosk.db import Database, dump_settings
    from kiosk.pin import PinGuard
    from kiosk.stats import store_nps

    assert isinstance(db, Database)
    if args.command == "stats":
        from kiosk.localtime import to_utc, zone

        since = args.since
        if isinstance(since, datetime):  # a local time of day: the UTC instant it was
            since = to_utc(since, zone(db.settings().time_zone))
        result = store_nps(db, since=since, include_suspect=args.include_suspect)
        if args.json:
            print(json.dumps(result.as_dict()))
        else:
            print(
                f"NPS {format_nps(result)}  n={result.n}  promoters={result.promoters} "
                f"passives={result.passives} detractors={result.detractors}"
            )
        return 0
    if args.command == "set-pin":
        if args.pin_stdin:
            pin = sys.stdin.readline().strip()
        else:
            pin = getpass.getpass("New admin PIN (4-8 digits): ")
            if getpass.getpass("Again: ") != pin:
                print("nps-kiosk: the two PINs differ; nothing changed.", file=sys.stderr)
                return 2
        PinGuard(db).set_pin(pin)
        print("Admin PIN changed.")
        return 0
    if args.command == "settings":
        for key, raw in args.set or []:
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                value = raw  # a bare word such as a store name
            db.update_settings(**{key: value})
        print(dump_settings(db))
        return 0
    if args.command == "seed":
        from kiosk.seed import seed

        res = seed(db, n=args.n, days=args.days, rng_seed=args.random_seed)
        print(
            f"Seeded {res.n} responses from {res.first:%Y-%m-%d} to {res.last:%Y-%m-%d} "
            f"({res.cases} follow-up cases) in {res.seconds:.1f} s."
        )
        return 0
    if args.command == "export":
        from kiosk.export import export_responses
        from kiosk.localtime import local_today, zone

        until = args.until or local_today(zone(db.settings().time_zone))
        out = export_responses(db, folder=args.to, since=args.since, until=until)
        print(f"Exported {out.rows} responses to " + ", ".join(str(f) for f in out.files))
        return 0
    raise AssertionError(args.command)


def _backup(args: argparse.Namespace) -> int:
    """Before open_database on purpose: a backup must not migrate or move aside the file."""
    from kiosk.backup import backup_database

    try:
        done = backup_database(
            source=args.db or default_db_path(), out=args.out, overwrite=args.force
        )
    except KioskError as exc:
        print(f"nps-kiosk: {exc}", file=sys.stderr)
        return 2
    answers = "" if done.responses is None else f", {done.responses} responses"
    print(
        f"Backed up to {done.path} ({done.size_bytes / 1e6:.1f} MB{answers}, schema "
        f"{done.revision or 'none'}); integrity check ok."
    )
    return 0
