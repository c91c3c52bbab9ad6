"""The `nps-kiosk` command: runs the kiosk, or one of the screen-less tools (stats, set-pin...)."""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402 (the clock above starts with the interpreter's first line of ours)
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from core.cli_i18n import N_, _, install_for_argparse  # noqa: E402
from core.survey_texts import LANGUAGES  # noqa: E402

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


class _KioskParser(argparse.ArgumentParser):
    """Builds the commands list and the default database path only when help is printed: they
    import kiosk.cli and platformdirs, which starting the kiosk does not otherwise need."""

    def format_help(self) -> str:
        from kiosk.paths import default_db_path

        self.epilog = commands_epilog()
        self.description = _(self.description or "")
        for action in self._actions:
            if action.dest == "db":
                action.help = _("database file (default: {path})", path=str(default_db_path()))
            elif action.help and action.dest != "help":
                action.help = _(action.help)  # marked with N_ where the parser is built
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    parser = _KioskParser(
        prog="nps-kiosk",
        description=N_(
            "The NPS survey kiosk, or one of its commands (`nps-kiosk COMMAND --help`)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", type=Path, default=None, help=N_("database file"))
    parser.add_argument(
        "--windowed",
        action="store_true",
        help=N_("a normal window instead of the locked full-screen kiosk"),
    )
    parser.add_argument(
        "--lang",
        choices=tuple(LANGUAGES),
        default=None,
        help=N_("the language the survey starts in (default: from settings)"),
    )
    parser.add_argument(
        "--screen",
        metavar="NAME|INDEX",
        default=None,
        help=N_(
            "the screen to fill, by name (e.g. HDMI-1) or number from 0 "
            "(default: the 'screen' setting, else the primary screen)"
        ),
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=N_("start, render the first frame, print the time to it, and exit"),
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

    if args.db is None:
        from kiosk.paths import default_db_path

        args.db = default_db_path()
    return run(
        db_path=args.db,
        windowed=args.windowed,
        language=args.lang,
        screen=args.screen,
        smoke=args.smoke,
        started=STARTED,
    )


if __name__ == "__main__":
    sys.exit(main())
