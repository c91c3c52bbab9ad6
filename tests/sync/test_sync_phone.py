"""A phone answer made from the kiosk's QR code reaches HQ and comes back to the kiosk, so the
kiosk's own NPS covers both channels; pulling again adds nothing."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from synckit import Hq, fresh_db, session

from kiosk.dashboard import dashboard
from sync.ledger import SyncStore
from sync.outbox import connect, enroll_kiosk, pull_phone_answers
from sync.survey_link import survey_link


def answer_on_phone(link_url: str, *, score: int, comment: str = "") -> requests.Response:
    parts = urlsplit(link_url)
    token = parse_qs(parts.query)["t"][0]
    base = f"{parts.scheme}://{parts.netloc}"
    return requests.post(
        f"{base}{parts.path}",
        data={"t": token, "lang": "en", "score": str(score), "comment": comment},
        timeout=10,
    )


def test_phone_answer_from_the_qr_code_shows_in_the_kiosk(
    hq: Hq, template_db: Path, tmp_path: Path
) -> None:
    db = fresh_db(template_db, tmp_path / "kiosk.db")
    try:
        with session() as s:
            enroll_kiosk(db, hq_url=hq.base, code=hq.code(), session=s)
        link = survey_link(db)  # made offline from the stored secret
        assert link.url.startswith(f"{hq.base}/m/{db.settings().store_id}?t=")
        assert requests.get(link.url, timeout=10).status_code == 200  # HQ accepts the link
        assert answer_on_phone(link.url, score=3, comment="Long queue").status_code == 200
        # Single use: the same code cannot be answered twice.
        assert answer_on_phone(link.url, score=10).status_code == 409
        poster = survey_link(db, kind="poster")
        assert poster.kind == "poster" and (poster.expires_at - poster.issued_at).days >= 90
        assert answer_on_phone(poster.url, score=10).status_code == 200
        assert dashboard(db).responses_total == 0

        with session() as s:
            conn = connect(db, session=s)
            assert pull_phone_answers(db, conn.client, store_id=db.settings().store_id) == 2
            assert pull_phone_answers(db, conn.client, store_id=db.settings().store_id) == 0
        # The admin view's numbers (rollups kept by triggers) now include both phone answers.
        board = dashboard(db)
        assert board.responses_total == 2
        qr = {split.name: split.result for split in board.by_channel}["qr"]
        assert (qr.n, qr.promoters, qr.detractors, qr.nps) == (2, 1, 1, 0)
        with db.reading() as s:
            rows = (
                s.connection()
                .exec_driver_sql(
                    "SELECT channel, sync_state, comment FROM responses ORDER BY score"
                )
                .all()
            )
        assert [tuple(r) for r in rows] == [("qr", "synced", "Long queue"), ("qr", "synced", None)]
        assert SyncStore(db).pending_count() == 0  # never uploaded back to HQ
    finally:
        db.close()
