"""The kiosk's command-line tools that need no screen: stats, set-pin, settings, seed, export,
and the sync commands enroll, sync and export-batches (carried out by sync.cli).

Every text printed for a person comes from the ``cli`` catalog in the terminal's language
(core/cli_i18n.py)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from core.cli_i18n import N_, _, explain, install_for_argparse, ngettext
from kiosk.errors import KioskError
from kiosk.paths import default_db_path

SYNC_COMMANDS = ("export-batches", "enroll", "sync")
COMMANDS: tuple[str, ...] = ("stats", "set-pin", "settings", "seed", "export") + SYNC_COMMANDS
COMMANDS += ("backup",)  # kiosk.backup; runs without opening (or migrating) the database

DESCRIPTION = N_(
    "The kiosk's tools that need no screen: the store's NPS, the PIN, settings, demo data, "
    "exports, backups, and enrolling and syncing with HQ."
)


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
                _(
                    "{text} is not a date or time; use YYYY-MM-DD (e.g. 2026-11-01) or "
                    "'YYYY-MM-DD HH:MM' (the store's local time)",
                    text=repr(text),
                )
            ) from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _(
                "{text} is not a date; use YYYY-MM-DD (e.g. 2026-11-01), a day in the store's zone",
                text=repr(text),
            )
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nps-kiosk", description=_(DESCRIPTION))
    sub = parser.add_subparsers(dest="command", required=True)

    def db_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db",
            type=Path,
            default=None,
            help=_("database file (default: {path})", path=str(default_db_path())),
        )

    p = sub.add_parser("stats", help=_("print the store's NPS"))
    db_arg(p)
    p.add_argument(
        "--since",
        type=_since,
        help=_(
            "only answers from this local date (YYYY-MM-DD) or local time ('YYYY-MM-DD HH:MM') "
            "on, in the store's time_zone"
        ),
    )
    p.add_argument(
        "--include-suspect",
        action="store_true",
        help=_("count suspect responses too (left out by default)"),
    )
    p.add_argument("--json", action="store_true", help=_("print JSON"))

    p = sub.add_parser("set-pin", help=_("set the admin PIN (4-8 digits)"))
    db_arg(p)
    p.add_argument("--pin-stdin", action="store_true", help=_("read the PIN from standard input"))

    p = sub.add_parser("settings", help=_("show the settings, or change one (--set KEY JSON)"))
    db_arg(p)
    p.add_argument(
        "--set",
        nargs=2,
        metavar=("KEY", "JSON_VALUE"),
        action="append",
        help=_("change a setting to a JSON value (repeat for several)"),
    )

    p = sub.add_parser(
        "seed", help=_("add realistic fake responses (marked seeded, never uploaded)")
    )
    db_arg(p)
    p.add_argument("--n", type=int, default=10_000, help=_("how many responses (default 10000)"))
    p.add_argument("--days", type=int, default=365, help=_("spread over this many days (365)"))
    p.add_argument("--random-seed", type=int, default=4, help=_("for a repeatable seed"))

    p = sub.add_parser("export", help=_("write responses as CSV (UTF-8 with BOM) and JSON"))
    db_arg(p)
    p.add_argument("--to", type=Path, required=True, help=_("the folder to write to (USB stick)"))
    p.add_argument(
        "--since",
        type=_day,
        required=True,
        help=_("first day, YYYY-MM-DD (the store's local date)"),
    )
    p.add_argument(
        "--until",
        type=_day,
        default=None,
        help=_("last day, inclusive (default: the store's today)"),
    )

    p = sub.add_parser(
        "export-batches", help=_("write the outbox as signed batch files for 'nps-hq import'")
    )
    db_arg(p)
    p.add_argument("--out", type=Path, required=True, help=_("the folder to write to (USB stick)"))
    p.add_argument(
        "--protocol",
        choices=("auto", "v1", "v2"),
        default="auto",
        help=_(
            "batch protocol: v2 carries erasures and the consent wording (auto: v2 once HQ "
            "has sent this kiosk a store profile or erasures, else v1)"
        ),
    )

    p = sub.add_parser(
        "enroll", help=_("enroll this kiosk at HQ with a code from 'nps-hq enroll-device'")
    )
    db_arg(p)
    p.add_argument("--hq", required=True, help=_("HQ's address, e.g. https://hq.example.com"))
    p.add_argument("--code", required=True, help=_("the one-time enrollment code"))
    p.add_argument(
        "--ca-bundle",
        type=Path,
        default=None,
        help=_("PEM file of the CA of a self-hosted HQ (default: the system's CAs)"),
    )
    p.add_argument(
        "--public-url",
        default=None,
        help=_("the address phones reach HQ at, for QR codes (default: --hq)"),
    )
    p.add_argument(
        "--insecure-http",
        action="store_true",
        help=_(
            "allow an http:// HQ address on another machine (the token travels unencrypted): "
            "closed test networks only"
        ),
    )

    p = sub.add_parser("sync", help=_("send the outbox to HQ now and pull phone answers back"))
    db_arg(p)
    p.add_argument(
        "--once",
        action="store_true",
        help=_("one pass: stop at the first failure instead of backing off and retrying"),
    )

    p = sub.add_parser(
        "backup",
        help=_("copy the live database to FILE (SQLite online backup; safe while the kiosk runs)"),
    )
    db_arg(p)
    p.add_argument("--out", type=Path, required=True, help=_("the backup file to write"))
    p.add_argument("--force", action="store_true", help=_("replace FILE if it exists"))
    return parser


SyncRunner = Callable[[argparse.Namespace, Any], int]


def main(argv: Sequence[str] | None = None, *, sync_runner: SyncRunner | None = None) -> int:
    """Parse and run one tool. The sync commands are carried out by ``sync_runner`` (sync.cli's
    ``run``, passed in by the ``nps-kiosk`` entry point): the kiosk domain never imports sync."""
    install_for_argparse()
    args = build_parser().parse_args(argv)
    if args.command in SYNC_COMMANDS and sync_runner is None:
        print(
            _(
                "nps-kiosk: '{command}' needs the sync package; run it as "
                "'nps-kiosk {command} ...'.",
                command=args.command,
            ),
            file=sys.stderr,
        )
        return 2
    if args.command == "backup":
        return _backup(args)
    from kiosk.db import open_database

    try:
        db = open_database(args.db or default_db_path())
    except KioskError as exc:
        print(f"nps-kiosk: {explain(exc)}", file=sys.stderr)
        return 2
    for notice in db.notices:
        print(f"nps-kiosk: {explain(notice)}", file=sys.stderr)
    try:
        if args.command in SYNC_COMMANDS:
            assert sync_runner is not None
            return int(sync_runner(args, db))
        return _run(args, db)
    except KioskError as exc:
        print(f"nps-kiosk: {explain(exc)}", file=sys.stderr)
        return 2
    finally:
        db.close()


def _run(args: argparse.Namespace, db: object) -> int:
    from core.nps import format_nps, signed
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
            if result.nps is None:
                nps = format_nps(result)  # "—"
            else:
                nps = _(
                    "{nps} ({low} to {high})",
                    nps=signed(result.nps),
                    low=signed(result.ci_low),
                    high=signed(result.ci_high),
                )
                if result.low_sample:
                    nps += " · " + _("low sample")
            print(
                _(
                    "NPS {nps}  n={n}  promoters={promoters} passives={passives} "
                    "detractors={detractors}",
                    nps=nps,
                    n=result.n,
                    promoters=result.promoters,
                    passives=result.passives,
                    detractors=result.detractors,
                )
            )
        return 0
    if args.command == "set-pin":
        if args.pin_stdin:
            pin = sys.stdin.readline().strip()
        else:
            pin = getpass.getpass(_("New admin PIN (4-8 digits): "))
            if getpass.getpass(_("Again: ")) != pin:
                print(_("nps-kiosk: the two PINs differ; nothing changed."), file=sys.stderr)
                return 2
        PinGuard(db).set_pin(pin)
        print(_("Admin PIN changed."))
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
            ngettext(
                "Seeded {n} response from {first} to {last} ({cases} follow-up cases) in "
                "{seconds} s.",
                "Seeded {n} responses from {first} to {last} ({cases} follow-up cases) in "
                "{seconds} s.",
                res.n,
                first=f"{res.first:%Y-%m-%d}",
                last=f"{res.last:%Y-%m-%d}",
                cases=res.cases,
                seconds=f"{res.seconds:.1f}",
            )
        )
        return 0
    if args.command == "export":
        from kiosk.export import export_responses
        from kiosk.localtime import local_today, zone

        until = args.until or local_today(zone(db.settings().time_zone))
        out = export_responses(db, folder=args.to, since=args.since, until=until)
        print(
            ngettext(
                "Exported {n} response to {files}",
                "Exported {n} responses to {files}",
                out.rows,
                files=", ".join(str(f) for f in out.files),
            )
        )
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
        print(f"nps-kiosk: {explain(exc)}", file=sys.stderr)
        return 2
    size = f"{done.size_bytes / 1e6:.1f}"
    schema = done.revision or _("none")
    if done.responses is None:
        print(
            _(
                "Backed up to {path} ({size} MB, schema {schema}); integrity check ok.",
                path=str(done.path),
                size=size,
                schema=schema,
            )
        )
    else:
        print(
            ngettext(
                "Backed up to {path} ({size} MB, {n} response, schema {schema}); integrity "
                "check ok.",
                "Backed up to {path} ({size} MB, {n} responses, schema {schema}); integrity "
                "check ok.",
                done.responses,
                path=str(done.path),
                size=size,
                schema=schema,
            )
        )
    return 0
