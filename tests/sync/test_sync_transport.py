"""The device token never goes to another machine over plain http:// unless the manager said
so (nps-kiosk enroll --insecure-http), and that choice holds for every later sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from synckit import Hq, add_responses, fresh_db, lan_session, lan_url

import sync.cli
from kiosk import credentials
from sync.client import check_transport, sends_in_clear
from sync.errors import InsecureHqAddress
from sync.outbox import enroll_kiosk, outbox_for
from ui.cli import main as kiosk_main


class _Recorder(requests.Session):
    """A real session that also remembers every URL it was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def request(self, method: str, url: str, *args: object, **kwargs: object):  # type: ignore[override]
        self.urls.append(url)
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    ["http://10.1.2.3", "http://hq.example.com:8080/", "http://192.168.1.10", "http://[fd00::1]"],
)
def test_http_to_another_machine_is_refused_before_any_request(
    template_db: Path, tmp_path: Path, url: str
) -> None:
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    s = _Recorder()
    with pytest.raises(InsecureHqAddress, match=r"Use HQ's https:// address.*--insecure-http"):
        enroll_kiosk(db, hq_url=url, code="ABCD-EFGH-JKLM", session=s)
    assert s.urls == []  # nothing left the machine: not the code, not a token
    assert credentials.load_or_none(db.path) is None
    db.close()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://127.9.9.9", "http://localhost:8000", "http://[::1]:80"],
)
def test_loopback_and_https_need_no_flag(url: str) -> None:
    assert check_transport(url, insecure_http=False) == url
    assert check_transport("https://hq.example.com/", insecure_http=False) == (
        "https://hq.example.com"
    )
    assert not sends_in_clear(url) and sends_in_clear("http://10.1.2.3")


def test_the_command_line_refuses_then_accepts_with_the_flag_and_sync_keeps_working(
    hq: Hq,
    template_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "kiosk.db"
    db = fresh_db(template_db, path)
    add_responses(db, 4)
    db.close()
    # HQ "on another machine": 10.1.2.3, routed to the real test HQ.
    monkeypatch.setattr(sync.cli, "new_session", lambda: lan_session(hq))
    code = hq.code()
    url = lan_url(hq)

    assert kiosk_main(["enroll", "--db", str(path), "--hq", url, "--code", code]) == 2
    err = capsys.readouterr().err
    assert "unencrypted" in err and "https://" in err and "--insecure-http" in err
    assert credentials.load_or_none(path) is None

    argv = ["enroll", "--db", str(path), "--hq", url, "--code", code, "--insecure-http"]
    assert kiosk_main(argv) == 0
    out = capsys.readouterr().out
    assert "Warning:" in out and "unencrypted" in out
    creds = credentials.load(path)
    assert creds.insecure_http and creds.hq_url == url

    # The choice is kept: a later sync (the worker's path too) does not refuse.
    assert kiosk_main(["sync", "--db", str(path), "--once"]) == 0
    assert "Synced 4; 0 still waiting" in capsys.readouterr().out
    assert len(hq.rows(creds.device_id)) == 4


def test_loopback_http_enrolls_as_before_without_the_flag(
    hq: Hq, template_db: Path, tmp_path: Path
) -> None:
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    with requests.Session() as s:
        done = enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
        assert done.hq_url == hq.base
        assert not credentials.load(db.path).insecure_http
        outbox_for(db, session=s)  # the sync path accepts it too
    db.close()


def test_an_https_enrollment_is_not_silently_downgraded_later(
    hq: Hq, template_db: Path, tmp_path: Path
) -> None:
    """Someone edits the stored address to http:// on the LAN: the token is not sent there."""
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    with requests.Session() as s:
        enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
    with db.write_connection() as conn:
        conn.exec_driver_sql("UPDATE sync_status SET hq_url = ?", (lan_url(hq),))
    s = _Recorder()
    with pytest.raises(InsecureHqAddress):
        outbox_for(db, session=s)
    assert s.urls == []
    db.close()


def test_credentials_from_before_the_flag_keep_an_http_enrollment_working(
    hq: Hq, template_db: Path, tmp_path: Path
) -> None:
    """A store enrolled over http:// by the previous release keeps syncing (the Sync tab
    warns); its credentials file has no insecure_http key."""
    path = tmp_path / "kiosk.db"
    db = fresh_db(template_db, path)
    with lan_session(hq) as s:
        enroll_kiosk(db, hq_url=lan_url(hq), code=hq.code(), session=s, insecure_http=True)
        cpath = credentials.credentials_path(path)
        data = json.loads(cpath.read_text("utf-8"))
        del data["insecure_http"]
        cpath.write_text(json.dumps(data), "utf-8")
        add_responses(db, 2)
        report = outbox_for(db, session=s).drain(max_failures=1)
    assert report.synced == 2
    db.close()
