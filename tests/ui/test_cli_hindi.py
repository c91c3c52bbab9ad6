"""`nps-kiosk` and `nps-hq` speak the terminal's language (LANGUAGE / LC_ALL / LC_MESSAGES /
LANG, as gettext reads them): Hindi messages, Hindi plurals and Hindi errors from the service
code, English by default and for a language the CLI does not have. Run as a user would: real
processes on real SQLite files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli_i18n import environment_language
from kiosk.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def run(module: str, *args: str, **language: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in LANGUAGE_VARIABLES}
    env.update(language, PYTHONPATH=str(ROOT), NPS_HQ_DELIVERY="off", PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_the_kiosk_tools_speak_hindi_with_hindi_plurals(tmp_path: Path) -> None:
    db = str(tmp_path / "kiosk.db")
    one = run("ui.cli", "seed", "--db", db, "--n", "1", "--days", "1", LANGUAGE="hi")
    assert one.returncode == 0, one.stderr
    assert "1 नकली उत्तर जोड़ा गया" in one.stdout  # the singular
    five = run("ui.cli", "seed", "--db", db, "--n", "5", "--days", "2", LANGUAGE="hi")
    assert "5 नकली उत्तर जोड़े गए" in five.stdout  # the plural

    stats = run("ui.cli", "stats", "--db", db, LANG="hi_IN.UTF-8")
    assert stats.returncode == 0, stats.stderr
    assert "n=6" in stats.stdout and "प्रशंसक=" in stats.stdout and "आलोचक=" in stats.stdout
    assert " से " in stats.stdout and "· नमूना छोटा" in stats.stdout  # the interval, 6 answers

    english = run("ui.cli", "stats", "--db", db)
    assert "promoters=" in english.stdout and "प्रशंसक" not in english.stdout
    assert " to " in english.stdout and "· low sample" in english.stdout

    doctor = run("ui.cli", "doctor", LANGUAGE="hi", QT_QPA_PLATFORM="offscreen")
    assert doctor.returncode == 0, doctor.stderr
    assert doctor.stdout.startswith("सब तैयार है: Qt यहाँ चल सकता है (प्लैटफ़ॉर्म offscreen)")


def test_argparse_and_service_errors_are_in_hindi_too(tmp_path: Path) -> None:
    bad_date = run("ui.cli", "stats", "--since", "kal", LC_ALL="hi_IN.UTF-8")
    assert bad_date.returncode == 2
    assert "त्रुटि" in bad_date.stderr and "कोई तारीख़ या समय नहीं है" in bad_date.stderr

    hq = run(
        "hq.cli",
        "add-store",
        "s1",
        "--data-dir",
        str(tmp_path / "hq"),
        LANGUAGE="hi",
        NPS_HQ_POSTER_LIMIT_PER_HOUR="lots",
    )
    assert hq.returncode == 2
    assert "nps-hq: NPS_HQ_POSTER_LIMIT_PER_HOUR एक पूरी संख्या होनी चाहिए" in hq.stderr


def test_nps_hq_confirms_in_hindi_and_counts_in_hindi(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "hq")]
    added = run("hq.cli", "add-store", "s1", "--name", "Anna Nagar", *data, LANGUAGE="hi")
    assert added.returncode == 0, added.stderr
    assert "स्टोर s1 (Anna Nagar) जोड़ दिया गया। अगला कदम: nps-hq enroll-device" in added.stdout
    rebuilt = run("hq.cli", "rebuild-rollups", *data, LANGUAGE="hi")
    assert "सभी स्टोर के रोलअप 0 उत्तर से दोबारा गिने गए।" in rebuilt.stdout
    missing = run("hq.cli", "rebuild-rollups", "--store", "nowhere", *data, LANGUAGE="hi")
    assert missing.returncode == 2
    assert "'nowhere' नाम का कोई स्टोर नहीं है" in missing.stderr
    english = run("hq.cli", "rebuild-rollups", *data, LANG="ta_IN.UTF-8")  # no Tamil CLI
    assert "Rollups of every store recomputed from 0 responses." in english.stdout


@pytest.mark.parametrize("language", [{"LANGUAGE": "hi"}, {"LANG": "hi_IN.UTF-8"}])
def test_hindi_help_still_lists_every_command(language: dict[str, str]) -> None:
    shown = run("ui.cli", "--help", **language)
    assert shown.returncode == 0, shown.stderr
    assert "उपयोग: nps-kiosk" in shown.stdout and "कमांड:" in shown.stdout
    listed = {line.split()[0] for line in shown.stdout.splitlines() if line.startswith("  ")}
    for command in (*COMMANDS, "doctor"):
        assert command in listed, f"{command!r} is missing from Hindi --help:\n{shown.stdout}"
    hq = run("hq.cli", "--help", **language)
    assert "HQ सर्वर चलाएँ" in hq.stdout and "import" in hq.stdout


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "en"),
        ({"LANG": "hi_IN.UTF-8"}, "hi"),
        ({"LANGUAGE": "hi", "LANG": "en_US.UTF-8"}, "hi"),  # LANGUAGE comes first
        ({"LANGUAGE": "fr:hi:en"}, "hi"),  # the first one the CLI has
        ({"LC_ALL": "C", "LANG": "hi_IN.UTF-8"}, "en"),  # the first variable set decides
        ({"LC_MESSAGES": "hi_IN@devanagari"}, "hi"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
    ],
)
def test_the_language_comes_from_the_environment_as_gettext_reads_it(
    environ: dict[str, str], language: str
) -> None:
    assert environment_language(environ) == language


def test_service_errors_reach_the_terminal_in_hindi(tmp_path: Path) -> None:
    db = str(tmp_path / "kiosk.db")
    refused = run("ui.cli", "settings", "--db", db, "--set", "thank_you_s", "999", LANGUAGE="hi")
    assert refused.returncode == 2
    assert (
        "nps-kiosk: सेटिंग 'thank_you_s': 1 से 60 सेकंड तक की पूरी संख्या होनी चाहिए, 999 नहीं"
        in refused.stderr
    )
    (tmp_path / "old.db").write_bytes(b"")
    backup = run("ui.cli", "backup", "--db", db, "--out", str(tmp_path / "old.db"), LANGUAGE="hi")
    assert backup.returncode == 2
    assert "पहले से मौजूद है; कुछ नहीं लिखा गया" in backup.stderr and "--force" in backup.stderr
    enroll = run(
        "ui.cli", "enroll", "--db", db, "--hq", "ftp://hq", "--code", "abcd", LANGUAGE="hi"
    )
    assert enroll.returncode == 2
    assert "'ftp://hq' HQ का पता नहीं है" in enroll.stderr
