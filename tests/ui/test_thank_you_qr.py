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


REVIEW = "https://g.page/r/our-store/review?src=kiosk"


def answer_with(qtbot, w, score: int) -> None:  # noqa: ANN001
    qtbot.mouseClick(w.question.scores[score], LEFT)
    qtbot.mouseClick(w.follow_up.done, LEFT)
    assert w.current_screen() is w.thanks


def test_promoters_see_the_review_link_as_a_qr_code(qtbot, make_kiosk, survey_db) -> None:  # noqa: ANN001
    survey_db.update_settings(review_url=REVIEW)
    w = make_kiosk().window
    thanks = w.thanks
    for score in (9, 10):
        answer_with(qtbot, w, score)
        assert thanks.review_box.isVisible() and thanks.review_qr is not None
        assert thanks.review_qr.text == REVIEW  # exactly the link, nothing added
        assert thanks.review_qr.matrix is not None
        assert thanks.review_caption.text() == "Enjoyed your visit? Scan to review us"
        assert not thanks.qr_box.isVisible()  # the phone link stays off unless asked for
        qtbot.keyClick(thanks, Qt.Key.Key_Space)


def test_detractors_and_passives_do_not_see_it(qtbot, make_kiosk, survey_db) -> None:  # noqa: ANN001
    survey_db.update_settings(review_url=REVIEW)
    w = make_kiosk().window
    answer_with(qtbot, w, 10)  # a promoter first: the next customers must not get their code
    qtbot.keyClick(w.thanks, Qt.Key.Key_Space)
    for score in (0, 6, 7, 8):
        answer_with(qtbot, w, score)
        assert not w.thanks.review_box.isVisible()
        assert w.thanks.review_qr is not None and w.thanks.review_qr.text is None
        qtbot.keyClick(w.thanks, Qt.Key.Key_Space)


def test_no_review_link_set_means_no_code(qtbot, kiosk) -> None:  # noqa: ANN001
    answer_with(qtbot, kiosk.window, 10)
    assert not kiosk.window.thanks.review_box.isVisible()


def test_both_codes_sit_side_by_side(qtbot, make_kiosk, survey_db) -> None:  # noqa: ANN001
    survey_db.update_settings(thank_you_qr=True, review_url=REVIEW)
    enrolled(survey_db)
    w = make_kiosk().window
    answer_with(qtbot, w, 10)
    thanks = w.thanks
    assert thanks.qr_box.isVisible() and thanks.review_box.isVisible()
    phone, review = thanks.qr_box.geometry(), thanks.review_box.geometry()
    assert not phone.intersects(review) and phone.right() < review.left()
    assert thanks.qr is not None and thanks.qr.text != REVIEW
    assert review.bottom() < thanks.hint.geometry().top()  # above "Tap anywhere to finish"
