"""`nps-kiosk seed`: realistic fake responses, marked seeded, rollups recounted, triggers back."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from kiosk import rollups
from kiosk.cli import main
from kiosk.recording import Recorder
from kiosk.seed import SeedError, seed


def test_seed_marks_rows_and_keeps_rollups(db) -> None:
    now = datetime(2026, 11, 25, 12, 0)
    result = seed(db, n=3000, days=90, now=now)
    assert result.n == 3000 and result.last <= now
    assert (now - result.first).days <= 90
    con = sqlite3.connect(db.path)
    try:
        marks = con.execute(
            "SELECT seeded, sync_state, count(*) FROM responses GROUP BY 1, 2"
        ).fetchall()
        langs = dict(con.execute("SELECT language, count(*) FROM responses GROUP BY 1"))
        days = con.execute("SELECT count(DISTINCT date(device_time)) FROM responses").fetchone()
        cases = con.execute(
            "SELECT count(*) FROM responses WHERE contact_consent = 1 AND contact_name IS NOT NULL"
        ).fetchone()
    finally:
        con.close()
    assert marks == [(1, "seeded", 3000)]  # never uploaded: the outbox sends 'pending' rows
    assert langs["hi"] > 600 and langs["en"] > 1200
    assert days[0] >= 85
    assert cases[0] == result.cases > 0
    assert (rollups.score_counts(db), rollups.completion_counts(db)) == rollups.recount(db)
    # The triggers are back after the bulk load: a real tap still lands in the rollups.
    Recorder(db).record_score(score=10, language="en", time_to_answer_ms=4000)
    assert sum(c.n for c in rollups.score_counts(db)) == 3001


def test_seed_refuses_silly_sizes(db) -> None:
    with pytest.raises(SeedError, match="--n"):
        seed(db, n=0)


def test_cli_seed_and_export(tmp_path, capsys) -> None:
    path = tmp_path / "k.db"
    assert main(["seed", "--db", str(path), "--n", "500", "--days", "10"]) == 0
    assert "Seeded 500 responses" in capsys.readouterr().out
    out = tmp_path / "usb"
    out.mkdir()
    assert main(["export", "--db", str(path), "--to", str(out), "--since", "2000-01-01"]) == 0
    assert "Exported 500 responses" in capsys.readouterr().out
    assert sorted(p.suffix for p in out.iterdir()) == [".csv", ".json"]
