"""The `nps-kiosk` command: runs the kiosk, or one of the screen-less tools (stats, set-pin...)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from core.cli_i18n import N_, _, install_for_argparse
from core.survey_texts import LANGUAGES
from kiosk.paths import default_db_path

STARTED = time.perf_counter()


DOCTOR_HELP = N_("check that Qt can open a window here, and say what to install if not")


def commands_epilog() -> str:
    """Every command, from the parser that runs it (kiosk.cli, which also carries out the sync
    commands' arguments), so that --help cannot fall behind when a command is added."""
    from kiosk.cli import build_parser as tools_parser

    helps = {"doctor": _(DOCTOR_HELP)}
    for action in tools_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                helps[choice.dest] = choice.help or ""
    width = max(len(name) for name in helps)
    lines = [f"  {name.ljust(width)}  {text}" for name, text in helps.items()]
    return _("commands:") + "\n" + "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nps-kiosk",
        description=_("The NPS survey kiosk, or one of its commands (`nps-kiosk COMMAND --help`)."),
        epilog=commands_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=_("database file (default: {path})", path=str(default_db_path())),
    )
    parser.add_argument(
        "--windowed",
        action="store_true",
        help=_("a normal window instead of the locked full-screen kiosk"),
    )
    parser.add_argument(
        "--lang",
        choices=tuple(LANGUAGES),
        default=None,
        help=_("the language the survey starts in (default: from settings)"),
    )
    parser.add_argument(
        "--screen",
        metavar="NAME|INDEX",
        default=None,
        help=_(
            "the screen to fill, by name (e.g. HDMI-1) or number from 0 "
            "(default: the 'screen' setting, else the primary screen)"
        ),
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=_("start, render the first frame, print the time to it, and exit"),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    install_for_argparse()
    if argv and argv[0] == "doctor":
        from ui.preflight import main as doctor

        return doctor()
    if argv and not argv[0].startswith("-"):
        # A screen-less tool (stats, set-pin, ...): kiosk.cli knows them and says so if not.
        # Imported only here, so that starting the kiosk does not pay for it.
        from kiosk.cli import SYNC_COMMANDS
        from kiosk.cli import main as tool_main

        if argv[0] in SYNC_COMMANDS:
            from sync.cli import run as sync_runner

            return tool_main(argv, sync_runner=sync_runner)
        return tool_main(argv)
    args = build_parser().parse_args(argv)

    from ui.preflight import check

    report = check()
    if not report.ok:
        print(report.message(), file=sys.stderr)
        return 3
    from ui.app import run

    return run(
        db_path=args.db or default_db_path(),
        windowed=args.windowed,
        language=args.lang,
        screen=args.screen,
        smoke=args.smoke,
        started=STARTED,
    )


if __name__ == "__main__":
    sys.exit(main())
