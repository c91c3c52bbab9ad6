"""Realistic fake responses for demos and benchmarks (`nps-kiosk seed`), marked as seeded.

Seeded rows have ``seeded = 1`` and ``sync_state = 'seeded'``, so the outbox (which uploads
``pending`` rows) never sends them to HQ. A million rows load in one transaction with
executemany; the rollup triggers are dropped for the load and the rollups recounted in bulk
afterwards, in the same transaction, so a failed seed leaves the database as it was.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import func, select

from core.ids import uuid7
from core.said import Said
from kiosk import rollups
from kiosk.db import Database, utcnow
from kiosk.errors import KioskError
from kiosk.localtime import local_day, to_utc, zone
from kiosk.models import ResponseRow

BATCH = 50_000
_OPENS = clock_time(7)  # the store opens at 07:00 local time, for 16 hours
_HOURS_S = 16 * 3600
_EPOCH = datetime(1970, 1, 1)

# (reason the comment is about, text): a seeded comment always carries its own reason.
_COMMENTS: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("detractor", "en"): [
        ("wait_time", "Waited almost 20 minutes at the checkout."),
        ("checkout", "Only one counter open on a Saturday."),
        ("price", "Prices went up again this month."),
        ("staff", "The staff were rude when I asked for help."),
        ("product_range", "Could not find the product I came for."),
        ("cleanliness", "The floor near the dairy section was dirty."),
        ("checkout", "Card machine was not working, had to pay cash."),
        ("wait_time", "Long queue and no baskets left."),
    ],
    ("detractor", "hi"): [
        ("wait_time", "बिलिंग काउंटर पर बहुत लंबी लाइन थी।"),
        ("price", "कीमतें बहुत ज़्यादा हैं।"),
        ("staff", "स्टाफ़ ने ठीक से बात नहीं की।"),
        ("product_range", "जो सामान चाहिए था वो नहीं मिला।"),
        ("cleanliness", "दुकान में सफ़ाई नहीं थी।"),
        ("checkout", "कार्ड मशीन काम नहीं कर रही थी।"),
    ],
    ("passive", "en"): [
        ("checkout", "Good, but the checkout could be faster."),
        ("price", "Decent range, prices a bit high."),
        ("wait_time", "Fine overall. The queue at six was long."),
        ("product_range", "Nice store, would like more organic options."),
    ],
    ("passive", "hi"): [
        ("checkout", "ठीक है, पर बिलिंग धीमी है।"),
        ("price", "सामान अच्छा है, थोड़ा महंगा है।"),
        ("product_range", "अच्छा अनुभव, पर ऑर्गेनिक सामान कम है।"),
    ],
    ("promoter", "en"): [
        ("staff", "Staff were very helpful, thank you!"),
        ("cleanliness", "Clean store and a quick checkout."),
        ("product_range", "Great range of fresh vegetables."),
        ("product_range", "Always find what I need here."),
        ("staff", "Friendly cashier, made my day."),
    ],
    ("promoter", "hi"): [
        ("staff", "स्टाफ़ बहुत मददगार था, धन्यवाद!"),
        ("cleanliness", "दुकान साफ़-सुथरी है और बिलिंग जल्दी हुई।"),
        ("product_range", "ताज़ी सब्ज़ियाँ बहुत अच्छी थीं।"),
        ("product_range", "यहाँ हमेशा ज़रूरत का सामान मिल जाता है।"),
    ],
}
_REASON_WEIGHTS = {
    "detractor": (
        ("wait_time", 9),
        ("checkout", 6),
        ("price", 6),
        ("staff", 4),
        ("product_range", 3),
        ("cleanliness", 2),
    ),
    "passive": (
        ("price", 5),
        ("wait_time", 4),
        ("product_range", 4),
        ("checkout", 3),
        ("staff", 2),
        ("cleanliness", 2),
    ),
    "promoter": (
        ("staff", 8),
        ("cleanliness", 5),
        ("product_range", 5),
        ("checkout", 3),
        ("price", 2),
        ("wait_time", 1),
    ),
}
_FIRST = (
    "Priya",
    "Rahul",
    "Anita",
    "Vikram",
    "Sunita",
    "Arjun",
    "Meera",
    "Rohan",
    "Kavita",
    "Amit",
    "Neha",
    "Sanjay",
    "Pooja",
    "Ravi",
    "Emma",
    "James",
)
_LAST = (
    "Sharma",
    "Verma",
    "Patel",
    "Iyer",
    "Singh",
    "Gupta",
    "Reddy",
    "Nair",
    "Khan",
    "Das",
    "Mehta",
    "Joshi",
    "Brown",
    "Wilson",
)
_NOTES = (
    "Called, apologised, offered a voucher.",
    "Spoke to the customer; queue staffing raised with the shift lead.",
    "Left a voicemail.",
    "Emailed, customer happy now.",
)
_COLUMNS = (
    "id",
    "seq",
    "store_id",
    "device_id",
    "channel",
    "language",
    "question_version",
    "score",
    "category",
    "reasons",
    "comment",
    "contact_consent",
    "contact_name",
    "contact_detail",
    "device_time",
    "time_to_answer_ms",
    "status",
    "completion",
    "completed_at",
    "suspect",
    "suspect_reason",
    "sync_state",
    "synced_at",
    "sync_error",
    "seeded",
    "local_day",
)
_INSERT = (
    f"INSERT INTO responses ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
)


class SeedError(KioskError):
    """The seed could not be made (e.g. a bad size)."""


@dataclass(frozen=True)
class SeedResult:
    n: int
    first: datetime
    last: datetime
    cases: int  # detractors who agreed to be contacted
    seconds: float


def _stamp(t: datetime) -> str:
    # The text form SQLAlchemy stores DateTime as on SQLite.
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def _day_counts(
    rng: random.Random, n: int, days: int, first: date, today_share: float
) -> list[int]:
    """Responses per day; the last day (today) gets only the share of store hours gone by."""
    weights = []
    for i in range(days):
        day = first + timedelta(days=i)
        w = 1.4 if day.weekday() >= 5 else 1.0
        w *= 0.8 + 0.4 * i / max(days - 1, 1)  # the store gets busier over the year
        w *= rng.uniform(0.85, 1.15)
        if i == days - 1:
            w *= today_share
        weights.append(w)
    total = sum(weights) or 1.0
    counts = [int(n * w / total) for w in weights]
    full_days = days - 1 if days > 1 and today_share < 1 else days
    left = n - sum(counts)
    for i in rng.sample(range(full_days), left) if left <= full_days else []:
        counts[i] += 1
    counts[-2 if days > 1 and today_share < 1 else -1] += n - sum(counts)
    return counts


def _rows(
    rng: random.Random,
    *,
    n: int,
    days: int,
    now: datetime,
    first_seq: int,
    store_id: str,
    device_id: str,
    question_version: int,
    time_zone: str,
    cases: list[tuple[str, datetime]],
) -> Iterator[tuple[object, ...]]:
    tz = zone(time_zone)
    first_day = local_day(now, tz) - timedelta(days=days - 1)
    seq = first_seq
    reason_keys = {c: [k for k, _ in w] for c, w in _REASON_WEIGHTS.items()}
    reason_w = {c: [x for _, x in w] for c, w in _REASON_WEIGHTS.items()}
    today_opens = to_utc(datetime.combine(first_day + timedelta(days=days - 1), _OPENS), tz)
    today_share = min(1.0, max(0.0, (now - today_opens).total_seconds() / _HOURS_S))
    for i, count in enumerate(_day_counts(rng, n, days, first_day, today_share)):
        day = first_day + timedelta(days=i)
        # NPS drifts up over the year, with a three-week dip (a staffing problem) in the middle.
        target = 0.18 + 0.2 * i / max(days - 1, 1)
        if 0.55 * days <= i < 0.55 * days + 21:
            target -= 0.22
        p_prom = (0.72 + target) / 2
        p_det = (0.72 - target) / 2
        # Store hours 07:00-23:00 in the store's zone, busier in the evening.
        # Today only up to now: answers are never in the future.
        opens = to_utc(datetime.combine(day, _OPENS), tz)
        hours_s = min(_HOURS_S, max(0.0, (now - opens).total_seconds()))
        day_text = day.isoformat()
        offsets = sorted(hours_s * rng.triangular(0, 1, 0.7) for _ in range(count))
        for off in offsets:
            t = min(opens + timedelta(seconds=off), now)
            lang = "hi" if rng.random() < 0.4 else "en"
            channel = "qr" if rng.random() < 0.12 else "kiosk"
            suspect = rng.random() < 0.02
            r = rng.random()
            if suspect:
                score = 10 if rng.random() < 0.7 else 0
            elif r < p_prom:
                score = 10 if rng.random() < 0.55 else 9
            elif r < p_prom + (1 - p_prom - p_det):
                score = 8 if rng.random() < 0.55 else 7
            else:
                score = rng.choices((0, 1, 2, 3, 4, 5, 6), (3, 1, 2, 3, 5, 9, 12))[0]
            cat = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
            c = rng.random()
            completion = "done" if c < 0.5 else "skip" if c < 0.78 else "timeout"
            reasons: list[str] = []
            comment = name = detail = None
            consent = False
            if completion == "done" and not suspect:
                k = rng.choice((1, 1, 1, 2, 2, 3))
                reasons = list(dict.fromkeys(rng.choices(reason_keys[cat], reason_w[cat], k=k)))
                if rng.random() < 0.3:
                    about, comment = rng.choice(_COMMENTS[(cat, lang)])
                    reasons = [about, *(r for r in reasons if r != about)][:3]
                if cat == "detractor" and rng.random() < 0.03:
                    consent = True
                    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
                    detail = f"+91 9{rng.randrange(10**8, 10**9)}"
            answer_ms = int(rng.uniform(150, 280)) if suspect else int(rng.lognormvariate(8.2, 0.4))
            rid = str(uuid7(unix_ms=int((t - _EPOCH).total_seconds() * 1000)))
            done_at = t + timedelta(seconds=rng.uniform(4, 25))
            if consent:
                cases.append((rid, done_at))
            yield (
                rid,
                seq,
                store_id,
                device_id,
                channel,
                lang,
                question_version,
                score,
                cat,
                json.dumps(reasons),
                comment,
                int(consent),
                name,
                detail,
                _stamp(t),
                answer_ms,
                "complete",
                completion,
                _stamp(done_at),
                int(suspect),
                "within_min_interval,burst" if suspect else None,
                "seeded",
                None,
                None,
                1,
                day_text,
            )
            seq += 1


def _batches(rows: Iterator[tuple[object, ...]], size: int) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(
    db: Database,
    *,
    n: int,
    days: int = 365,
    rng_seed: int = 4,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Add ``n`` seeded responses spread over the store's last ``days`` local days, in one
    transaction."""
    if not 1 <= n <= 20_000_000:
        raise SeedError(Said("--n must be from 1 to 20000000, not {n}.", n=n))
    if not 1 <= days <= 3650:
        raise SeedError(Said("--days must be from 1 to 3650, not {days}.", days=days))
    started = time.perf_counter()
    now = now or utcnow()
    settings = db.settings()
    rng = random.Random(rng_seed)
    cases: list[tuple[str, datetime]] = []
    done = 0
    with db.writing() as s:
        first_seq = (
            s.scalar(
                select(func.max(ResponseRow.seq)).where(ResponseRow.device_id == settings.device_id)
            )
            or 0
        ) + 1
        rollups.drop_triggers(s)
        cursor = s.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]  # the pool hands out sqlite3 connections here
        rows = _rows(
            rng,
            n=n,
            days=days,
            now=now,
            first_seq=first_seq,
            store_id=settings.store_id,
            device_id=settings.device_id,
            question_version=settings.question_version,
            time_zone=settings.time_zone,
            cases=cases,
        )
        first = last = None
        for batch in _batches(rows, BATCH):
            cursor.executemany(_INSERT, batch)
            first = first or batch[0][14]
            last = batch[-1][14]
            done += len(batch)
            if progress:
                progress(done)
        # Older cases have mostly been handled by the manager.
        handled = []
        for rid, at in cases:
            age = (now - at).days
            r = rng.random()
            if age > 10:
                state = "resolved" if r < 0.995 else "contacted"
            elif age >= 2:
                state = "resolved" if r < 0.7 else "contacted" if r < 0.9 else "open"
            else:
                continue
            handled.append((rid, state, rng.choice(_NOTES), _stamp(at + timedelta(days=1))))
        cursor.executemany(
            "INSERT OR IGNORE INTO followup_cases (response_id, state, note, "
            "updated_at) VALUES (?, ?, ?, ?)",
            handled,
        )
        cursor.close()
        rollups.rebuild(s)
        rollups.create_triggers(s)
    db.checkpoint()
    assert first is not None and last is not None
    return SeedResult(
        n=done,
        first=datetime.fromisoformat(str(first)),
        last=datetime.fromisoformat(str(last)),
        cases=len(cases),
        seconds=time.perf_counter() - started,
    )
