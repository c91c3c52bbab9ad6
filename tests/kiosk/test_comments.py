"""Comments: newest first, every filter, top reasons per category, detractor words."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core.nps import Category
from kiosk.comments import CommentFilter, comments, themes, words
from kiosk.recording import Completion, FollowUp, Recorder

ANSWERS = [  # (day offset, score, reasons, comment, language)
    (0, 2, ("wait_time",), "Waited twenty minutes at the checkout", "en"),
    (1, 5, ("price", "wait_time"), "बिलिंग काउंटर पर लंबी लाइन थी", "hi"),
    (2, 8, ("price",), "Prices are a bit high", "en"),
    (3, 10, ("staff",), "Staff were lovely", "en"),
    (4, 6, ("checkout",), "Checkout 100% broken_again", "en"),
    (5, 9, (), None, "en"),
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 10, 0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def answered(db):
    clock = Clock()
    rec = Recorder(db, clock=clock)
    for offset, score, reasons, comment, lang in ANSWERS:
        clock.now = datetime(2026, 11, 1, 10, 0) + timedelta(days=offset)
        rid = rec.record_score(score=score, language=lang, time_to_answer_ms=4000).id
        rec.complete(
            rid, how=Completion.DONE, follow_up=FollowUp(reasons=reasons, comment=comment or "")
        )
    return db


def texts(db, **kw) -> list[str]:
    return [c.comment for c in comments(db, CommentFilter(**kw)).items]


def test_newest_first_with_score_reasons_and_time(answered) -> None:
    page = comments(answered, CommentFilter())
    assert [c.score for c in page.items] == [6, 10, 8, 5, 2]  # the one without comment is out
    assert page.items[3].reasons == ("price", "wait_time")
    assert page.items[0].at == datetime(2026, 11, 5, 10, 0)
    assert not page.more


def test_filters(answered) -> None:
    assert texts(answered, categories=frozenset({Category.PASSIVE})) == ["Prices are a bit high"]
    assert len(texts(answered, score_min=5, score_max=8)) == 3
    assert texts(answered, since=date(2026, 11, 2), until=date(2026, 11, 3)) == [
        "Prices are a bit high",
        "बिलिंग काउंटर पर लंबी लाइन थी",
    ]
    assert len(texts(answered, reason="wait_time")) == 2
    assert texts(answered, reason="wait") == []  # a key, not a substring of one
    assert texts(answered, text="LINE") == []
    assert texts(answered, text="लाइन") == ["बिलिंग काउंटर पर लंबी लाइन थी"]
    assert texts(answered, text="100%") == ["Checkout 100% broken_again"]  # LIKE escaped
    assert texts(answered, text="10_%") == []


def test_paging(answered) -> None:
    first = comments(answered, CommentFilter(), limit=2)
    assert first.more and len(first.items) == 2
    rest = comments(answered, CommentFilter(), limit=10, before=first.items[-1].at)
    assert [c.score for c in rest.items] == [8, 5, 2]


def test_themes(answered) -> None:
    t = themes(answered, since=date(2026, 11, 1), until=date(2026, 11, 30))
    assert [(r.reason, r.count) for r in t.top_reasons[Category.DETRACTOR]] == [
        ("wait_time", 2),
        ("checkout", 1),
        ("price", 1),
    ]
    assert [r.reason for r in t.top_reasons[Category.PROMOTER]] == ["staff"]
    found = {w.word for w in t.detractor_words}
    assert {"checkout", "waited", "लाइन", "काउंटर"} <= found
    assert not found & {"at", "the", "पर", "थी"}  # stop-words, English and Hindi
    assert t.detractor_comments == 3


def test_words_counts_and_order() -> None:
    assert [(w.word, w.count) for w in words(["Queue queue and the QUEUE", "slow queue"])] == [
        ("queue", 4),
        ("slow", 1),
    ]
