"""Every docs/*.png from one command: ``python -m tools.screenshots [--out docs] [--only ...]``.

survey   the survey screens and the PIN gate (tools.survey_screenshots)
admin    the admin tabs on a seeded copy of 1M responses, and the Records tab's calendar in
         Hindi (tools.admin_demo)
sync     the sync and QR tabs and the poster, against a real HQ (tools.sync_screenshots)
hq       the HQ dashboard and the phone page in Chromium (tools.hq_screenshots)
alerts   HQ's alert rules, an alert e-mail and the delivery log (tools.hq_alert_screenshots)
profile  a Hindi survey from HQ on the kiosk, and "Managed by HQ" (tools.profile_screenshots)
cases    HQ's Cases page, 1280 and 390 wide, English and Hindi (tools.hq_case_screenshots)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

PARTS = ("survey", "admin", "sync", "hq", "alerts", "profile", "cases")


def survey(out: Path, args: argparse.Namespace) -> None:
    from tools import survey_screenshots

    if survey_screenshots.main(["--out", str(out)]) != 0:
        raise SystemExit("the survey screenshots failed")


def admin(out: Path, args: argparse.Namespace) -> None:
    from kiosk.db import open_database
    from kiosk.seed import seed
    from tools import admin_demo

    with tempfile.TemporaryDirectory(prefix="nps-demo-") as tmp:
        path = Path(tmp) / "demo.db"
        db = open_database(path)
        try:
            # The demo store is in Bengaluru, whatever machine renders it: days in IST.
            db.update_settings(time_zone="Asia/Kolkata")
            result = seed(db, n=args.admin_responses)
        finally:
            db.close()
        print(f"seeded {result.n} responses for the admin tabs in {result.seconds:.1f} s")
        if admin_demo.main(["--db", str(path), "--activity", "--shot", str(out)]) != 0:
            raise SystemExit("the admin screenshots failed")
        # The day picker's calendar for a manager who chose Hindi (month and day names).
        hindi = ["--db", str(path), "--admin-language", "hi"]
        if admin_demo.main([*hindi, "--calendar-shot", str(out / "admin-records-hi.png")]) != 0:
            raise SystemExit("the Hindi calendar screenshot failed")


def sync(out: Path, args: argparse.Namespace) -> None:
    from tools import sync_screenshots

    sync_screenshots.main(out)


def hq(out: Path, args: argparse.Namespace) -> None:
    from tools import hq_screenshots

    hq_screenshots.main(out)


def alerts(out: Path, args: argparse.Namespace) -> None:
    from tools import hq_alert_screenshots

    hq_alert_screenshots.main(out)


def profile(out: Path, args: argparse.Namespace) -> None:
    from tools import profile_screenshots

    profile_screenshots.main(out)


def cases(out: Path, args: argparse.Namespace) -> None:
    from tools import hq_case_screenshots

    hq_case_screenshots.main(out)


MAKERS: dict[str, Callable[[Path, argparse.Namespace], None]] = {
    "survey": survey,
    "admin": admin,
    "sync": sync,
    "hq": hq,
    "alerts": alerts,
    "profile": profile,
    "cases": cases,
}


def _parts(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in MAKERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown part {', '.join(unknown) or repr(text)}: choose from {','.join(PARTS)}"
        )
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.screenshots",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=Path("docs"), help="folder (docs)")
    parser.add_argument(
        "--only",
        type=_parts,
        default=list(PARTS),
        help=f"comma-separated parts to make (default: all of {','.join(PARTS)})",
    )
    parser.add_argument(
        "--admin-responses",
        type=int,
        default=1_000_000,
        help="how many seeded responses the admin tabs show (1000000)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only:
        print(f"== {name}", flush=True)
        MAKERS[name](args.out, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
