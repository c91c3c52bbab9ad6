"""The analyst side: responses by cursor (JSON, CSV), NPS from core.nps, export, import,
the dashboard login, and migrations."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from hqkit import Device, Server, batch, csrf_token, enroll, post_batch, response, statuses

from core.nps import nps, nps_from_counts
from core.protocol import BatchV1, write_batch_file
from hq.cli import main as hq_cli


def _analyst(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_responses_page_by_cursor_with_filters(hq_server: Server, analyst_token: str) -> None:
    device = enroll(hq_server)
    rows = [response(device, seq, score=seq % 11) for seq in range(1, 8)]
    statuses(post_batch(hq_server, device, batch(device, rows)))
    url = hq_server.url("/api/v1/responses")
    seen: list[str] = []
    after = None
    for _ in range(10):
        params = {"store": device.store_id, "limit": 3, **({"after": after} if after else {})}
        page = requests.get(url, params=params, headers=_analyst(analyst_token), timeout=10)
        assert page.status_code == 200
        body = page.json()
        seen += [r["id"] for r in body["responses"]]
        after = body["cursor"]
        if not body["has_more"]:
            break
    assert seen == [r["id"] for r in rows]
    window = requests.get(
        url,
        params={
            "store": device.store_id,
            "since": "2026-11-20T10:03:00Z",
            "until": "2026-11-20T10:05:00Z",
        },
        headers=_analyst(analyst_token),
        timeout=10,
    ).json()
    assert [r["seq"] for r in window["responses"]] == [3, 4]
    as_csv = requests.get(
        url,
        params={"store": device.store_id, "format": "csv"},
        headers=_analyst(analyst_token),
        timeout=10,
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [int(r["seq"]) for r in table] == list(range(1, 8))
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers=device.auth, timeout=10).status_code == 403
    assert (
        requests.get(
            url, params={"after": "bogus"}, headers=_analyst(analyst_token), timeout=10
        ).status_code
        == 422
    )


def test_nps_is_the_kiosk_modules_number(hq_server: Server, analyst_token: str) -> None:
    device = enroll(hq_server)
    scores = [10, 9, 9, 8, 7, 6, 3, 0, 10, 10, 5]
    rows = [response(device, i + 1, score=s) for i, s in enumerate(scores)]
    rows.append(response(device, 99, score=0, suspect=True, suspect_reason="burst"))
    statuses(post_batch(hq_server, device, batch(device, rows)))
    url = hq_server.url("/api/v1/nps")
    got = requests.get(
        url, params={"store": device.store_id}, headers=_analyst(analyst_token), timeout=10
    ).json()["groups"][0]
    want = nps(scores)
    assert (got["nps"], got["ci_low"], got["ci_high"], got["n"]) == (
        want.nps,
        want.ci_low,
        want.ci_high,
        len(scores),
    )
    with_suspect = requests.get(
        url,
        params={"store": device.store_id, "include_suspect": "true"},
        headers=_analyst(analyst_token),
        timeout=10,
    ).json()
    assert with_suspect["groups"][0]["nps"] == nps([*scores, 0]).nps
    by_day = requests.get(
        url,
        params={"store": device.store_id, "group_by": "day"},
        headers=_analyst(analyst_token),
        timeout=10,
    ).json()["groups"]
    assert [g["key"] for g in by_day] == ["2026-11-20"]
    by_week = requests.get(
        url,
        params={"store": device.store_id, "group_by": "week"},
        headers=_analyst(analyst_token),
        timeout=10,
    ).json()["groups"]
    assert [g["key"] for g in by_week] == ["2026-11-16"] and by_week[0]["nps"] == want.nps
    by_store = requests.get(
        url, params={"group_by": "store"}, headers=_analyst(analyst_token), timeout=10
    ).json()["groups"]
    mine = [g for g in by_store if g["key"] == device.store_id]
    assert mine[0]["formatted"].startswith(str(want.nps))
    empty = requests.get(
        url, params={"store": "nobody"}, headers=_analyst(analyst_token), timeout=10
    ).json()["groups"][0]
    assert empty["nps"] is None and empty["formatted"] == "—"
    assert nps_from_counts(promoters=0, passives=0, detractors=0).nps is None


def _cli(server: Server, *args: str) -> int:
    return hq_cli(
        [
            *args,
            "--data-dir",
            str(server.hq.config.data_dir),
            *(["--db", server.hq.db.url] if server.backend == "postgresql" else []),
        ]
    )


def test_import_from_a_usb_folder_twice_changes_nothing(
    hq_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = enroll(hq_server)
    stick = tmp_path / "stick"
    stick.mkdir()
    first = [response(device, seq) for seq in range(1, 4)]
    for i, rows in enumerate((first, [first[2], response(device, 4)])):
        body = BatchV1.model_validate(batch(device, rows))
        write_batch_file(stick / f"batch-{i}.json", body, secret=device.secret)
    assert _cli(hq_server, "import", str(stick)) == 0
    out = capsys.readouterr().out
    assert "4 accepted, 1 duplicate" in out
    assert _cli(hq_server, "import", str(stick)) == 0
    assert "0 accepted, 5 duplicate" in capsys.readouterr().out

    # A file changed after signing is refused whole.
    tampered = json.loads((stick / "batch-0.json").read_text())
    tampered["batch"]["responses"].append(response(device, 5))
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "batch-x.json").write_text(json.dumps(tampered))
    (bad_dir / "junk.json").write_text("not json")
    assert _cli(hq_server, "import", str(bad_dir)) == 1
    out = capsys.readouterr().out
    assert "REJECTED batch-x.json" in out and "signature" in out and "REJECTED junk.json" in out
    from hqkit import count_rows

    assert count_rows(hq_server, device_id=device.device_id) == 4


def test_export_csv_and_jsonl(hq_server: Server, device: Device, tmp_path: Path) -> None:
    rows = [response(device, 1, comment='=SUM(A1) hi, "there"\nline two', score=2)]
    statuses(post_batch(hq_server, device, batch(device, rows)))
    out = tmp_path / "all.jsonl"
    assert (
        _cli(
            hq_server, "export", "--format", "jsonl", "--out", str(out), "--store", device.store_id
        )
        == 0
    )
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert lines[0]["id"] == rows[0]["id"] and lines[0]["comment"].startswith("=SUM")
    out_csv = tmp_path / "all.csv"
    assert _cli(hq_server, "export", "--out", str(out_csv), "--store", device.store_id) == 0
    table = list(csv.DictReader(out_csv.open(encoding="utf-8", newline="")))
    # A comment cannot become a spreadsheet formula.
    assert table[0]["comment"] == '\'=SUM(A1) hi, "there"\nline two'


def test_dashboard_needs_a_login_and_escapes_comments(hq_server: Server) -> None:
    device = enroll(hq_server)
    evil = "<script>document.title='owned'</script><b>bold?</b>"
    # Answered now: the dashboard lists the chain's newest detractor comments, and the session's
    # server holds other tests' answers too.
    now = datetime.now(UTC).isoformat()
    evil_answer = response(device, 1, score=1, comment=evil, device_time=now)
    statuses(post_batch(hq_server, device, batch(device, [evil_answer])))
    hq_server.hq.add_analyst("ana", password="correct horse")
    s = requests.Session()
    first = s.get(hq_server.url("/"), timeout=10, allow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login"
    wrong = s.post(
        hq_server.url("/login"), data={"username": "ana", "password": "nope"}, timeout=10
    )
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    ok = s.post(
        hq_server.url("/login"), data={"username": "ana", "password": "correct horse"}, timeout=10
    )
    assert ok.status_code == 200 and device.store_id in ok.text
    assert evil not in ok.text
    assert "&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;" in ok.text
    api = s.get(hq_server.url("/api/v1/nps"), timeout=10)  # the login works for the API too
    assert api.status_code == 200
    s.post(hq_server.url("/logout"), data={"csrf_token": csrf_token(ok.text)}, timeout=10)
    assert s.get(hq_server.url("/"), timeout=10, allow_redirects=False).status_code == 303


def test_openapi_describes_the_protocol(hq_server: Server) -> None:
    spec = requests.get(hq_server.url("/openapi.json"), timeout=10).json()
    body = spec["paths"]["/api/v1/batches"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/BatchV1")
    assert "ResponseV1" in spec["components"]["schemas"]
    assert requests.get(hq_server.url("/docs"), timeout=10).status_code == 200


def test_migrations_match_the_models(hq_server: Server) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hq.models import Base

    with hq_server.hq.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
