"""The audit page against a real HQ: filters by who, what (an action or its prefix) and
target, pages back past the newest 500 with "Older entries", and the CSV holds exactly the
filtered entries."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from hqkit import sign_in, start_server

from hq import audit, users
from hq.roles import Role
from hq.service import Hq, HqConfig


def _rows(html: str) -> list[str]:
    """The 'Did' cell of each row of the audit table."""
    table = html.split('<table id="audit">')[1].split("</table>")[0]
    return re.findall(r'<span class="mono">([^<]*)</span>', table)


def test_filters_paging_and_csv(tmp_path: Path) -> None:
    hq = Hq.open(HqConfig(data_dir=tmp_path))
    server, thread, base = start_server(hq)
    try:
        users.add_user(hq, "auditor", password="audit pass 1", role=Role.ADMIN)
        for i in range(520):
            audit.record(hq, actor="cli", action="store.add", target=f"s-{i:03d}")
        for i in range(3):
            audit.record(hq, actor="anita", action="token.create", target=str(i))
        audit.record(hq, actor="anita", action="tokens.odd", target="x")  # not a token.* action
        browser = sign_in(base, "auditor", "audit pass 1")

        first = browser.get(f"{base}/audit", timeout=10)
        assert first.status_code == 200 and len(_rows(first.text)) == 500
        older = re.search(r'<a href="([^"]+)" rel="next">', first.text)
        assert older is not None
        rest = browser.get(base + older.group(1).replace("&amp;", "&"), timeout=10)
        assert rest.status_code == 200
        # 520 + 4 + the user.add of "auditor" = 525 entries: 500, then the oldest 25.
        assert len(_rows(rest.text)) == 25 and 'rel="next"' not in rest.text
        assert "user.add" in _rows(rest.text)

        tokens = browser.get(f"{base}/audit", params={"action": "token"}, timeout=10)
        assert _rows(tokens.text) == ["token.create"] * 3
        mine = browser.get(f"{base}/audit", params={"actor": "anita", "target": "x"}, timeout=10)
        assert _rows(mine.text) == ["tokens.odd"]
        wanted = browser.get(
            f"{base}/audit.csv", params={"action": "token.", "actor": "anita"}, timeout=10
        )
        assert wanted.status_code == 200
        lines = list(csv.DictReader(io.StringIO(wanted.text)))
        assert [(r["action"], r["target"]) for r in lines] == [
            ("token.create", "0"),
            ("token.create", "1"),
            ("token.create", "2"),
        ]
        assert (
            'href="/audit.csv?actor=anita&amp;action=token."'
            in browser.get(
                f"{base}/audit", params={"action": "token.", "actor": "anita"}, timeout=10
            ).text
        )
        # A wildcard is a character, not a pattern.
        assert _rows(browser.get(f"{base}/audit", params={"target": "%"}, timeout=10).text) == []
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        hq.close()
