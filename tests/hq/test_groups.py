"""Store groups: the CLI puts stores in groups, and NPS, exports and the dashboard split and
filter by group, each group's NPS with its interval like a store's (real server, both DBs)."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest
import requests
from hqkit import Server, batch, enroll, new_store, post_batch, response, statuses

from core.nps import nps
from hq.cli import main as hq_cli
from hq.errors import NotFound


def _cli(server: Server, *args: str) -> int:
    return hq_cli(
        [
            *args,
            "--data-dir",
            str(server.hq.config.data_dir),
            *(["--db", server.hq.db.url] if server.backend == "postgresql" else []),
        ]
    )


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_groups_split_and_filter_nps_exports_and_dashboard(
    hq_server: Server, analyst_token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    north, south, fmt = (f"{p}-{uuid.uuid4().hex[:6]}" for p in ("north", "south", "mall"))
    assert _cli(hq_server, "add-group", north, "--name", "North") == 0
    assert _cli(hq_server, "add-group", south, "--name", "South") == 0
    assert _cli(hq_server, "add-group", fmt, "--kind", "format") == 0
    a, b, c = enroll(hq_server), enroll(hq_server), enroll(hq_server)
    scores = {a.store_id: [10, 9, 9, 2, 8], b.store_id: [0, 3, 9, 7], c.store_id: [10, 10, 6]}
    for dev in (a, b, c):
        rows = [response(dev, i + 1, score=s) for i, s in enumerate(scores[dev.store_id])]
        statuses(post_batch(hq_server, dev, batch(dev, rows)))
    assert _cli(hq_server, "set-group", "--store", a.store_id, "--group", south) == 0
    # Moving a store to another group of the same kind takes it out of the first.
    assert _cli(hq_server, "set-group", "--store", a.store_id, "--group", north) == 0
    assert f"moved out of {south}" in capsys.readouterr().out
    assert _cli(hq_server, "set-group", "--store", b.store_id, "--group", north) == 0
    assert _cli(hq_server, "set-group", "--store", c.store_id, "--group", south) == 0
    assert _cli(hq_server, "set-group", "--store", a.store_id, "--group", fmt) == 0
    assert _cli(hq_server, "set-group", "--store", "nowhere", "--group", fmt) == 2
    assert "no store 'nowhere'" in capsys.readouterr().err

    url = hq_server.url("/api/v1/nps")
    got = requests.get(
        url, params={"group_by": "group"}, headers=_auth(analyst_token), timeout=10
    ).json()
    by_key = {g["key"]: g for g in got["groups"]}
    for key, want in (
        (north, nps(scores[a.store_id] + scores[b.store_id])),
        (south, nps(scores[c.store_id])),
        (fmt, nps(scores[a.store_id])),
    ):
        g = by_key[key]
        assert (g["nps"], g["ci_low"], g["ci_high"], g["n"]) == (
            want.nps,
            want.ci_low,
            want.ci_high,
            want.n,
        )
    one = requests.get(url, params={"group": north}, headers=_auth(analyst_token), timeout=10)
    assert one.json()["groups"][0]["nps"] == nps(scores[a.store_id] + scores[b.store_id]).nps
    per_store = requests.get(
        url, params={"group": north, "group_by": "store"}, headers=_auth(analyst_token), timeout=10
    ).json()["groups"]
    assert sorted(g["key"] for g in per_store) == sorted([a.store_id, b.store_id])

    export = requests.get(
        hq_server.url("/api/v1/export"),
        params={"group": south, "format": "csv"},
        headers=_auth(analyst_token),
        timeout=10,
    )
    table = list(csv.DictReader(io.StringIO(export.text)))
    assert {r["store_id"] for r in table} == {c.store_id} and len(table) == 3

    hq_server.hq.add_analyst("grace", password="group pass 1")
    s = requests.Session()
    s.post(hq_server.url("/login"), data={"username": "grace", "password": "group pass 1"})
    page = s.get(hq_server.url("/"), params={"group": south}, timeout=10)
    assert page.status_code == 200
    assert c.store_id in page.text and a.store_id not in page.text
    assert f'value="{south}" selected' in page.text


def test_export_cli_by_group(hq_server: Server, tmp_path: Path) -> None:
    group = f"fr-{uuid.uuid4().hex[:6]}"
    assert _cli(hq_server, "add-group", group, "--kind", "franchisee") == 0
    dev = enroll(hq_server)
    statuses(post_batch(hq_server, dev, batch(dev, [response(dev, 1, score=4)])))
    assert _cli(hq_server, "set-group", "--store", dev.store_id, "--group", group) == 0
    out = tmp_path / "g.csv"
    assert _cli(hq_server, "export", "--group", group, "--out", str(out)) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["store_id"] for r in rows] == [dev.store_id]


def test_set_group_needs_a_known_group(hq_server: Server) -> None:
    from hq.groups import set_group

    with pytest.raises(NotFound, match="nps-hq add-group"):
        set_group(hq_server.hq, store_id=new_store(hq_server), group_id="no-such-group")


def test_migration_0002_upgrades_a_0001_database(tmp_path: Path) -> None:
    """A database made by revision 0001, with a response in it, gains the group and alert
    tables and keeps its data."""
    from alembic import command
    from sqlalchemy import inspect, text

    from hq.db import _alembic_config, make_engine, open_database, sqlite_url

    url = sqlite_url(tmp_path / "old.db")
    engine = make_engine(url)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0001")
        conn.exec_driver_sql(
            "INSERT INTO stores (store_id, name, created_at) VALUES ('s1', 'One', "
            "'2026-11-01 00:00:00.000000')"
        )
        conn.commit()
    engine.dispose()
    db = open_database(url)
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert {"store_groups", "alert_rules", "alerts", "deliveries"} <= tables
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM stores")).scalar() == "One"
    finally:
        db.close()
