"""`nps-kiosk stats` and friends, run as a user would: a real process on a real file."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from kiosk.db import open_database
from kiosk.localtime import day_start, zone
from kiosk.recording import Completion, Recorder


def nps_kiosk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


def fill(db_path: Path) -> None:
    db = open_database(db_path)
    t = [datetime(2026, 11, 1, 9, 0)]

    def clock() -> datetime:
        return t[0]

    rec = Recorder(db, clock=clock)
    for score in (10, 10, 9, 8, 3):
        done = rec.record_score(score=score, language="en", time_to_answer_ms=4000)
        rec.complete(done.id, how=Completion.SKIP)
        t[0] += timedelta(minutes=5)
    t[0] = datetime(2026, 11, 20, 9, 0)
    rec.record_score(score=0, language="en", time_to_answer_ms=4000)
    t[0] += timedelta(seconds=1)
    rec.record_score(score=0, language="en", time_to_answer_ms=4000)  # suspect: too soon
    db.close()


def test_stats_json_counts_the_answers(db_path: Path) -> None:
    fill(db_path)
    out = nps_kiosk("stats", "--db", str(db_path), "--json")
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    # 3 promoters, 1 passive, 2 detractors (the suspect one left out) -> 1/6 -> 17
    assert stats == {
        "n": 6,
        "promoters": 3,
        "passives": 1,
        "detractors": 2,
        "pct_promoters": 50.0,
        "pct_passives": 100 / 6,
        "pct_detractors": 100 / 3,
        "nps": 17,
        "ci_low": stats["ci_low"],
        "ci_high": stats["ci_high"],
        "low_sample": True,
    }
    assert stats["ci_low"] < 17 < stats["ci_high"]


def test_stats_include_suspect_and_since(db_path: Path) -> None:
    fill(db_path)
    everything = json.loads(
        nps_kiosk("stats", "--db", str(db_path), "--json", "--include-suspect").stdout
    )
    assert everything["n"] == 7 and everything["detractors"] == 3
    recent = json.loads(
        nps_kiosk("stats", "--db", str(db_path), "--json", "--since", "2026-11-10").stdout
    )
    assert recent["n"] == 1 and recent["nps"] == -100


def test_stats_on_an_empty_database_says_undefined_not_zero(db_path: Path) -> None:
    stats = json.loads(nps_kiosk("stats", "--db", str(db_path), "--json").stdout)
    assert stats["n"] == 0 and stats["nps"] is None


def test_a_bad_date_gets_a_clear_message(db_path: Path) -> None:
    out = nps_kiosk("stats", "--db", str(db_path), "--since", "last tuesday")
    assert out.returncode == 2 and "use YYYY-MM-DD" in out.stderr


def test_set_pin_from_stdin(db_path: Path) -> None:
    out = nps_kiosk("set-pin", "--db", str(db_path), "--pin-stdin", stdin="90210\n")
    assert out.returncode == 0 and "changed" in out.stdout
    bad = nps_kiosk("set-pin", "--db", str(db_path), "--pin-stdin", stdin="12\n")
    assert bad.returncode == 2 and "4 to 8 digits" in bad.stderr


def test_settings_set_refuses_bad_values_with_the_reason(db_path: Path) -> None:
    ok = nps_kiosk("settings", "--db", str(db_path), "--set", "store_name", "MG Road")
    assert ok.returncode == 0 and json.loads(ok.stdout)["store_name"] == "MG Road"
    bad = nps_kiosk("settings", "--db", str(db_path), "--set", "thank_you_s", "0")
    assert bad.returncode == 2 and "thank_you_s" in bad.stderr and "1 to 60" in bad.stderr


def test_no_screen_gives_install_advice_not_a_qt_abort(db_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    out = subprocess.run(
        [sys.executable, "-m", "ui.cli", "--db", str(db_path), "--windowed"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 3
    assert "DISPLAY is not set" in out.stderr and "Aborted" not in out.stderr


def test_whole_days_from_rollups_equal_a_count_of_the_rows(db_path: Path) -> None:
    from kiosk.stats import store_nps

    fill(db_path)
    db = open_database(db_path)
    try:
        for include in (False, True):
            first = date(2026, 11, 1)
            by_days = store_nps(db, since=first, include_suspect=include)
            by_rows = store_nps(  # an instant: counted from the rows
                db, since=day_start(first, zone(db.settings().time_zone)), include_suspect=include
            )
            assert by_days == by_rows and by_days.n == (7 if include else 6)
    finally:
        db.close()
