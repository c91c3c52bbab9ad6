"""The optional small QR code on the thank-you screen: a fresh signed phone link each time."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

from PySide6.QtCore import Qt

from core.mobile_token import verify_token
from kiosk import credentials

LEFT = Qt.MouseButton.LeftButton
SECRET = os.urandom(32)


def enrolled(db) -> None:  # noqa: ANN001
    """Credentials as enrollment leaves them (the token is made offline from the secret)."""
    credentials.save(
        db.path,
        credentials.Credentials(
            hq_url="https://hq.example.test",
            device_id=db.settings().device_id,
            store_id=db.settings().store_id,
            device_token="t" * 43,
            device_secret=SECRET,
            enrolled_at=datetime(2026, 11, 1),
        ),
    )


def answer(qtbot, w) -> None:  # noqa: ANN001
    qtbot.mouseClick(w.question.scores[9], LEFT)
    qtbot.mouseClick(w.follow_up.done, LEFT)
    assert w.current_screen() is w.thanks


def test_off_by_default(qtbot, kiosk) -> None:  # noqa: ANN001
    enrolled(kiosk.db)
    answer(qtbot, kiosk.window)
    assert not kiosk.window.thanks.qr_box.isVisible()


def test_each_thank_you_shows_a_fresh_signed_link(qtbot, make_kiosk, survey_db) -> None:  # noqa: ANN001
    survey_db.update_settings(thank_you_qr=True)
    enrolled(survey_db)
    k = make_kiosk()
    w = k.window
    answer(qtbot, w)
    thanks = w.thanks
    assert thanks.qr_box.isVisible() and thanks.qr_caption.text() == "Tell us more on your phone"
    first = thanks.qr.text
    url = urlparse(first)
    assert url.netloc == "hq.example.test" and url.path == f"/m/{survey_db.settings().store_id}"
    token = parse_qs(url.query)["t"][0]
    claims = verify_token(token, secret_for_device=SECRET, now=datetime.now(UTC))
    assert claims.device_id == survey_db.settings().device_id
    qtbot.keyClick(thanks, Qt.Key.Key_Space)  # back to the question
    answer(qtbot, w)
    assert thanks.qr.text != first  # single-use: a new nonce for the next customer


def test_not_enrolled_means_no_code_and_no_error(qtbot, make_kiosk, survey_db) -> None:  # noqa: ANN001
    survey_db.update_settings(thank_you_qr=True)
    k = make_kiosk()
    answer(qtbot, k.window)
    assert not k.window.thanks.qr_box.isVisible()
