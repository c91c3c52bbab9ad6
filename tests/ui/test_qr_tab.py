"""The QR tab: a scannable single-use code made offline, a new one on demand and on expiry, the
poster as PNG, SVG and PDF, and the thank-you QR setting (Qt offscreen, real HQ)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from synckit import Hq, session, start_hq  # noqa: E402

from kiosk.db import Database, open_database, utcnow  # noqa: E402
from sync.outbox import enroll_kiosk  # noqa: E402
from ui.admin.qr_tab import QrTab  # noqa: E402
from ui.poster import qr_matrix  # noqa: E402


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hq]:
    server = start_hq(tmp_path_factory.mktemp("hq"))
    yield server
    server.stop()


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Database]:
    db = open_database(tmp_path / "kiosk.db")
    yield db
    db.close()


def test_before_enrollment_the_tab_says_where_to_connect(qtbot, kiosk: Database) -> None:  # noqa: ANN001
    tab = QrTab(kiosk)
    qtbot.addWidget(tab)
    tab.refresh()
    assert tab.qr.matrix is None
    assert "Sync tab" in tab.notice.text()
    assert not tab.poster_button.isEnabled() and not tab.new_button.isEnabled()


def test_the_code_is_a_working_single_use_link_and_renews(
    qtbot,
    hq: Hq,
    kiosk: Database,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    with session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    tab = QrTab(kiosk)
    qtbot.addWidget(tab)
    tab.resize(1100, 760)
    tab.show()
    tab.refresh()
    first = tab.link
    assert first is not None and tab.qr.text == first.url
    assert tab.qr.matrix == qr_matrix(first.url)
    assert min(tab.qr.width(), tab.qr.height()) >= 360  # big enough to scan from 50 cm
    assert requests.get(first.url, timeout=10).status_code == 200  # HQ takes it
    assert "works until" in tab.expiry_label.text()
    left = tab.expiry_timer.remainingTime()
    assert 14 * 60_000 < left <= 15 * 60_000 + 1000  # renews itself when it expires

    qtbot.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    assert tab.link is not None and tab.link.token != first.token
    second = tab.link
    tab.phone_answer_seen(1)  # a phone answer came back: a fresh code
    assert tab.link.token != second.token

    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        out = tab.print_poster(tmp_path / f"poster{suffix}")
        assert out is not None and out.read_bytes().startswith(magic)
    assert "Saved poster.pdf" in tab.poster_message.text()

    assert kiosk.settings().thank_you_qr is False
    tab.thank_you_box.setChecked(True)
    assert kiosk.settings().thank_you_qr is True


def test_an_expired_code_is_replaced(qtbot, hq: Hq, kiosk: Database) -> None:  # noqa: ANN001
    with session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    # The code is issued 14 min 59 s ago (the first reading of the clock); from then on the
    # clock is real, so it expires in about a second and the tab must replace it by itself.
    readings = iter([utcnow() - timedelta(minutes=14, seconds=59)])
    tab = QrTab(kiosk, clock=lambda: next(readings, None) or utcnow())
    qtbot.addWidget(tab)
    tab.refresh()
    old = tab.link
    assert old is not None and tab.expiry_timer.remainingTime() <= 2000
    qtbot.waitUntil(lambda: tab.link is not None and tab.link.token != old.token, timeout=5000)


def test_times_on_the_qr_and_sync_tabs_are_the_stores_wall_clock(
    qtbot,
    hq: Hq,
    kiosk: Database,  # noqa: ANN001
) -> None:
    """A kiosk in a Kolkata store whose machine runs on another zone (UTC here, New York in
    CI's second pass): the code's expiry, "today"/"yesterday" and the poster's date are
    Kolkata's, never the machine's or UTC's."""
    from datetime import UTC, datetime

    from ui.admin.sync_tab import when

    kiosk.update_settings(time_zone="Asia/Kolkata")
    evening = datetime(2026, 11, 29, 19, 0)  # UTC: 00:30 on 30 Nov in Kolkata
    assert when(evening, evening + timedelta(minutes=30), time_zone="Asia/Kolkata") == (
        "today 00:30"
    )
    assert when(evening, datetime(2026, 11, 30, 19, 0), time_zone="Asia/Kolkata") == (
        "yesterday 00:30"
    )
    assert when(evening, evening + timedelta(hours=2), time_zone="America/New_York") == (
        "today 14:00"
    )

    with session() as s:
        enroll_kiosk(kiosk, hq_url=hq.base, code=hq.code(), session=s)
    tab = QrTab(kiosk, clock=lambda: evening)
    qtbot.addWidget(tab)
    tab.refresh()
    assert tab.link is not None
    expires = tab.link.expires_at.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Kolkata"))
    assert f"works until {expires:%H:%M}" in tab.expiry_label.text()
    assert expires.date().isoformat() == "2026-11-30"  # the poster's date is Kolkata's too
