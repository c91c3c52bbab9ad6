"""Render docs/admin-sync.png, docs/admin-qr.png and docs/poster.png (offscreen, real HQ).

QT_QPA_PLATFORM=offscreen .venv/bin/python -m tools.sync_screenshots [OUT]
"""

from __future__ import annotations

import random
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

# synckit: the sync tests' real HQ and kiosk (tests/ is a namespace package from the root)
from tests.sync.synckit import add_responses, free_port, make_template, session, start_hq

ROOT = Path(__file__).resolve().parents[1]


def main(out: Path) -> None:
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    from kiosk import credentials
    from kiosk.db import open_database, utcnow
    from sync.client import HqClient
    from sync.ledger import SyncStore
    from sync.outbox import Outbox, enroll_kiosk
    from ui.admin import style
    from ui.admin.qr_tab import QrTab
    from ui.admin.sync_tab import SyncTab
    from ui.poster import PosterText, save_poster

    app = QApplication.instance() or QApplication([])
    work = Path(tempfile.mkdtemp(prefix="nps-shots-"))
    hq = start_hq(work / "hq")
    try:
        store = hq.new_store("Lakeside Market")
        db = open_database(make_template(work / "kiosk.db"))
        db.update_settings(store_name="Lakeside Market")
        with session() as s:
            enroll_kiosk(
                db,
                hq_url=hq.base,
                code=hq.code(store),
                session=s,
                public_url="https://nps.lakeside.example",
            )
        now = utcnow()
        ids = add_responses(db, 1180, start=now - timedelta(days=2))
        creds = credentials.load(db.path)
        with session() as s:
            client = HqClient(hq.base, session=s, token=creds.device_token)
            Outbox(db, client, device_id=creds.device_id, batch_size=500).drain(max_failures=1)
        # One answer whose copy at HQ differs (an old re-imaged kiosk): HQ refuses it.
        with db.write_connection() as conn:
            conn.exec_driver_sql(
                "UPDATE responses SET comment = 'edited after sending', "
                "sync_state = 'pending' WHERE id = ?",
                (ids[40],),
            )
        add_responses(db, 64, start=now - timedelta(hours=3, minutes=12, seconds=37 * 1180))
        with session() as s:
            client = HqClient(hq.base, session=s, token=creds.device_token)
            Outbox(db, client, device_id=creds.device_id, batch_size=500).drain(max_failures=1)
        # Then the network goes: 37 answers wait.
        add_responses(db, 37, start=now - timedelta(minutes=48, seconds=37 * 1244))
        with session() as s:
            dead = HqClient(f"http://127.0.0.1:{free_port()}", session=s, token=creds.device_token)
            box = Outbox(db, dead, device_id=creds.device_id, rand=random.Random(5).random)
            for _ in range(4):
                box.step()
        with db.write_connection() as conn:
            conn.exec_driver_sql(
                "UPDATE sync_status SET next_attempt_at = ?",
                ((now + timedelta(minutes=4)).strftime("%Y-%m-%d %H:%M:%S.%f"),),
            )
            # Demo polish: HQ's public name instead of the loopback test address, and the
            # ledger spread over the two days the answers were made in.
            conn.exec_driver_sql(
                "UPDATE sync_status SET hq_url = 'https://hq.lakeside.example', "
                "last_error = replace(last_error, ?, 'https://hq.lakeside.example')",
                (dead.base_url,),
            )
            ago = [timedelta(minutes=m) for m in (52, 3 * 60 + 5, 26 * 60, 47 * 60)]
            rows = conn.exec_driver_sql("SELECT batch_id FROM sync_batches ORDER BY at DESC").all()
            for (batch_id,), delta in zip(rows, ago, strict=False):
                conn.exec_driver_sql(
                    "UPDATE sync_batches SET at = ? WHERE batch_id = ?",
                    ((now - delta).strftime("%Y-%m-%d %H:%M:%S.%f"), batch_id),
                )
            conn.exec_driver_sql(
                "UPDATE sync_status SET last_success_at = ?",
                ((now - ago[0]).strftime("%Y-%m-%d %H:%M:%S.%f"),),
            )

        def framed(widget: QWidget) -> QWidget:
            frame = QWidget()
            frame.setObjectName("AdminView")
            frame.setStyleSheet(style.SHEET)
            lay = QVBoxLayout(frame)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addWidget(widget)
            return frame

        tab = SyncTab()
        tab.set_overview(SyncStore(db).overview())
        f = framed(tab)
        f.resize(1280, 1000)
        f.show()
        app.processEvents()
        f.grab().save(str(out / "admin-sync.png"))

        qr = QrTab(db)
        qr.refresh()
        g = framed(qr)
        g.resize(1280, 800)
        g.show()
        app.processEvents()
        g.grab().save(str(out / "admin-qr.png"))

        from sync.survey_link import survey_link

        link = survey_link(db, kind="poster")
        save_poster(
            out / "poster.png",
            PosterText(store_name="Lakeside Market", question=db.settings().text("question", "en")),
            link.url,
            dpi=110,
        )
        db.close()
    finally:
        hq.stop()
    _ = datetime


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
