"""What customers said: comments with filters, top reasons per category, frequent words.

Run these off the GUI thread: the themes scan every answer in their date range.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from core.nps import Category
from kiosk.db import Database
from kiosk.localtime import day_bounds, zone
from kiosk.recording import Channel

# Words that say nothing about the store, in English and Hindi.
STOP_WORDS = frozenset(
    """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each even ever every
few for from further get got had has have having he her here hers him his how i if in into is
it its itself just let like me more most much my no nor not now of off on once only or other
our ours out over own really same she should so some still such than that the their them then
there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours again one two us been went go came
come make made lot lots bit time day today store shop
है हैं था थी थे हो होता होती होते हुआ हुई हुए और या में से को का की के पर ने भी तो ही
यह वह ये वो इस उस इन उन एक कुछ बहुत नहीं ना मैं हम आप तुम मेरा मेरी मेरे हमारा हमारी
हमें मुझे आपका आपकी आपके जो कि क्या कर करना करने किया गया गई गए रहा रही रहे था
लिए साथ बाद अब जब तक सब अपना अपनी अपने बस ठीक कोई कभी वाला वाली वाले
""".split()
)
_WORD = re.compile(r"[^\W\d_][\w\u0900-\u0963\u0966-\u097F]*|[\u0900-\u0963\u0966-\u097F]+")


@dataclass(frozen=True)
class CommentFilter:
    categories: frozenset[Category] = frozenset()  # empty: all
    score_min: int = 0
    score_max: int = 10
    since: date | None = None  # the store's local days, inclusive
    until: date | None = None
    reason: str | None = None
    text: str = ""
    include_suspect: bool = True


@dataclass(frozen=True)
class Comment:
    id: str
    at: datetime  # naive UTC, as stored (show it with kiosk.localtime.format_local)
    score: int
    category: Category
    reasons: tuple[str, ...]
    comment: str
    language: str
    channel: Channel
    suspect: bool


@dataclass(frozen=True)
class CommentPage:
    items: tuple[Comment, ...]
    more: bool  # older comments match too; ask again with before=items[-1].at


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    count: int


@dataclass(frozen=True)
class WordCount:
    word: str
    count: int


@dataclass(frozen=True)
class Themes:
    since: date
    until: date
    top_reasons: Mapping[Category, tuple[ReasonCount, ...]]
    detractor_words: tuple[WordCount, ...]
    detractor_comments: int


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _day_bounds(
    db: Database, since: date | None, until: date | None
) -> tuple[str | None, str | None]:
    """Local dates as the stored text of the UTC instants of their local midnights."""
    lo, hi = day_bounds(since, until, zone(db.settings().time_zone))
    return (
        lo.strftime("%Y-%m-%d %H:%M:%S") if lo else None,
        hi.strftime("%Y-%m-%d %H:%M:%S") if hi else None,
    )


def comments(
    db: Database, flt: CommentFilter, *, limit: int = 200, before: datetime | None = None
) -> CommentPage:
    """Comments matching ``flt``, newest first, ``limit`` at a time."""
    where = ["comment IS NOT NULL", "score BETWEEN ? AND ?"]
    params: list[object] = [flt.score_min, flt.score_max]
    if flt.categories:
        where.append(f"category IN ({', '.join('?' for _ in flt.categories)})")
        params.extend(sorted(c.value for c in flt.categories))
    lo, hi = _day_bounds(db, flt.since, flt.until)
    if lo:
        where.append("device_time >= ?")
        params.append(lo)
    if hi:
        where.append("device_time < ?")
        params.append(hi)
    if before is not None:
        where.append("device_time < ?")
        params.append(before.strftime("%Y-%m-%d %H:%M:%S.%f"))
    if flt.reason:
        where.append("reasons LIKE ? ESCAPE '\\'")
        params.append(_like(json.dumps(flt.reason)))
    if flt.text.strip():
        where.append("comment LIKE ? ESCAPE '\\'")
        params.append(_like(flt.text.strip()))
    if not flt.include_suspect:
        where.append("suspect = 0")
    sql = (
        "SELECT id, device_time, score, category, reasons, comment, language, channel, "
        f"suspect FROM responses WHERE {' AND '.join(where)} "
        "ORDER BY device_time DESC LIMIT ?"
    )
    params.append(limit + 1)
    with db.reading() as s:
        rows = s.connection().exec_driver_sql(sql, tuple(params)).all()
    items = tuple(
        Comment(
            id=r[0],
            at=datetime.fromisoformat(r[1]),
            score=r[2],
            category=Category(r[3]),
            reasons=tuple(json.loads(r[4] or "[]")),
            comment=r[5],
            language=r[6],
            channel=Channel(r[7]),
            suspect=bool(r[8]),
        )
        for r in rows[:limit]
    )
    return CommentPage(items=items, more=len(rows) > limit)


def words(texts: Iterable[str | tuple[str, int]], *, top: int = 20) -> tuple[WordCount, ...]:
    """The most frequent words, stop-words (English and Hindi) and one-letter words removed.

    A text may come with how many times it was given (``(text, n)``), so that the same
    comment counted by SQL is split into words once.
    """
    counts: Counter[str] = Counter()
    for item in texts:
        text, n = (item, 1) if isinstance(item, str) else item
        for word in _WORD.findall(text.lower()):
            if len(word) > 1 and word not in STOP_WORDS:
                counts[word] += n
    return tuple(
        WordCount(w, c) for w, c in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:top]
    )


def themes(
    db: Database, *, since: date, until: date, include_suspect: bool = False, top: int = 6
) -> Themes:
    """Top reasons per category and frequent words in detractor comments, in a date range."""
    lo, hi = _day_bounds(db, since, until)
    suspect = "" if include_suspect else "AND r.suspect = 0"
    with db.reading() as s:
        conn = s.connection()
        reason_rows = conn.exec_driver_sql(
            "SELECT r.category, j.value, count(*) FROM responses r, json_each(r.reasons) j "
            f"WHERE r.device_time >= ? AND r.device_time < ? AND r.reasons != '[]' {suspect} "
            "GROUP BY r.category, j.value",
            (lo, hi),
        ).all()
        # Grouped in SQL: the worker thread then splits each distinct text once, which keeps
        # its Python time (and its hold on the GIL, felt by the GUI thread) small.
        texts = [
            (str(row[0]), int(row[1]))
            for row in conn.exec_driver_sql(
                "SELECT r.comment, count(*) FROM responses r WHERE r.device_time >= ? "
                "AND r.device_time < ? AND r.category = 'detractor' AND r.comment IS NOT NULL "
                f"{suspect} GROUP BY r.comment",
                (lo, hi),
            )
        ]
    by_cat: dict[Category, list[ReasonCount]] = {c: [] for c in Category}
    for cat, reason, count in reason_rows:
        by_cat[Category(cat)].append(ReasonCount(str(reason), int(count)))
    top_reasons = {
        c: tuple(sorted(v, key=lambda rc: (-rc.count, rc.reason))[:top]) for c, v in by_cat.items()
    }
    return Themes(
        since=since,
        until=until,
        top_reasons=top_reasons,
        detractor_words=words(texts),
        detractor_comments=sum(n for _, n in texts),
    )
