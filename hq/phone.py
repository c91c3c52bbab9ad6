"""Phone answers from a kiosk's QR code: check the link, store the answer with channel qr."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from core.ids import uuid7
from core.mobile_token import (
    TokenBadSignature,
    TokenClaims,
    TokenError,
    TokenExpired,
    TokenUnknownDevice,
    verify_token,
)
from core.nps import category
from core.protocol import ResponseV1, content_hash
from core.survey_texts import N_
from hq.alerts import alerts_for_responses
from hq.db import utcnow
from hq.errors import AlreadyAnswered, PhoneLinkError, RateLimited
from hq.ingest import response_values
from hq.models import RateCounterRow, ResponseRow, UsedNonceRow
from hq.rollups import add_responses, answer_of
from hq.service import Hq

# What the customer reads, in their language: these texts are in the kiosk's catalog (babel.cfg
# extracts this module with the phone templates; hq.pages looks them up per language).
EXPIRED = N_("This link has expired; scan the code on the kiosk again.")
OTHER_STORE = N_("This link belongs to another store; scan the code again.")
NOT_ENROLLED = N_("This kiosk is not enrolled for this store.")
ALREADY = N_("This link was already answered. Thank you!")
POSTER_OLD = N_("This poster's code is too old; please ask staff for today's code.")
REPLACED = N_(
    "This code has been replaced by a new poster; please scan the new one in the store or "
    "ask staff."
)
LIMITED = N_(
    "Thank you! We already have several answers from this phone in the last hour; please try "
    "again later."
)
CHOOSE = N_("Please choose a score from 0 to 10.")
PHONE_MESSAGES = frozenset(
    {EXPIRED, OTHER_STORE, NOT_ENROLLED, ALREADY, POSTER_OLD, REPLACED, LIMITED, CHOOSE}
)
PHONE_NOTICE_TITLES = {
    "thanks": N_("Thank you!"),
    "limited": N_("Thank you!"),
    "already": N_("Already answered"),
    "expired": N_("This link has expired"),
    "invalid": N_("This link cannot be used"),
    "replaced": N_("This link cannot be used"),
}
PHONE_TEXTS = {
    "received": N_("Your answer has been received."),
    "next_step": N_("Scan the code on the kiosk again, or ask staff."),
}


@dataclass(frozen=True)
class PhoneAnswer:
    score: int
    language: str
    reasons: tuple[str, ...]
    comment: str
    survey_version: int | None = None


def check_link(hq: Hq, *, store_id: str, token: str) -> TokenClaims:
    """The claims of a usable link, or PhoneLinkError with a message for the customer."""
    try:
        claims = verify_token(token, secret_for_device=hq.secret_for_device, now=datetime.now(UTC))
    except TokenExpired as exc:
        raise PhoneLinkError("expired", EXPIRED) from exc
    except (TokenBadSignature, TokenUnknownDevice) as exc:
        raise PhoneLinkError("invalid", str(exc)) from exc
    except TokenError as exc:
        raise PhoneLinkError("invalid", str(exc)) from exc
    if claims.kind == "single" and claims.ttl_s > hq.config.single_link_max_age_s:
        # HQ's policy caps single-use links whatever the kiosk asked for.
        now_s = int(datetime.now(UTC).timestamp())
        if now_s > claims.issued_at + hq.config.single_link_max_age_s:
            raise PhoneLinkError("expired", EXPIRED)
    if claims.kind == "poster":
        _check_poster(hq, claims)
    if claims.store_id != store_id:
        raise PhoneLinkError("invalid", OTHER_STORE)
    if hq.device_store(claims.device_id) != store_id:
        raise PhoneLinkError("invalid", NOT_ENROLLED)
    if claims.kind == "single":
        with hq.db.reading() as s:
            used = s.get(UsedNonceRow, (claims.device_id, claims.nonce))
        if used is not None:
            raise AlreadyAnswered("already", ALREADY)
    return claims


def _check_poster(hq: Hq, claims: TokenClaims) -> None:
    """HQ's own limits on printed codes: a maximum age whatever the token's ttl, and the
    store's revocation (nps-hq revoke-posters) of posters printed before it."""
    now_s = int(datetime.now(UTC).timestamp())
    if now_s > claims.issued_at + hq.config.poster_max_age_s:
        raise PhoneLinkError("expired", POSTER_OLD)
    cutoff = hq.posters_not_before(claims.store_id)
    if cutoff is not None and claims.issued_at < cutoff.replace(tzinfo=UTC).timestamp():
        raise PhoneLinkError("replaced", REPLACED)


def record_answer(hq: Hq, *, store_id: str, token: str, answer: PhoneAnswer, client: str) -> str:
    """Store a phone answer (channel qr); returns its id. Single-use links are spent in the
    same transaction, so a double submit stores one answer."""
    claims = check_link(hq, store_id=store_id, token=token)
    response = ResponseV1(
        id=str(uuid7()),
        seq=0,
        store_id=store_id,
        device_id=claims.device_id,
        channel="qr",
        language=answer.language,  # type: ignore[arg-type]  # parse_answer keeps the survey's
        question_version=1,
        survey_version=answer.survey_version,
        score=answer.score,
        category=category(answer.score).value,
        reasons=list(answer.reasons),
        comment=answer.comment or None,
        device_time=datetime.now(UTC),
        completion="done",
    )
    now = utcnow()
    try:
        with hq.db.writing() as s:
            if claims.kind == "single":
                s.add(
                    UsedNonceRow(
                        device_id=claims.device_id,
                        nonce=claims.nonce,
                        used_at=now,
                        response_id=response.id,
                    )
                )
                s.flush()
            else:
                _count_poster_use(hq, s, key=f"{claims.device_id}|{client}"[:128], now=now)
            row = response_values(
                response, digest=content_hash(response), received_at=now, batch_id=None
            )
            s.connection().execute(insert(cast(Table, ResponseRow.__table__)), [row])
            add_responses(s.connection(), [answer_of(response)])  # its rollups, same transaction
            alerts_for_responses(s, [row], now=now)  # same transaction as the answer
    except IntegrityError as exc:
        raise AlreadyAnswered("already", ALREADY) from exc
    return response.id


def _count_poster_use(hq: Hq, s: Any, *, key: str, now: datetime) -> None:
    window = now.replace(minute=0, second=0, microsecond=0)
    dialect = postgresql if hq.db.dialect == "postgresql" else sqlite
    stmt = dialect.insert(RateCounterRow).values(key=key, window_start=window, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key", "window_start"], set_={"count": RateCounterRow.count + 1}
    )
    s.execute(stmt)
    count = s.scalar(
        select(RateCounterRow.count).where(
            RateCounterRow.key == key, RateCounterRow.window_start == window
        )
    )
    if count is not None and count > hq.config.poster_limit_per_hour:
        raise RateLimited("limited", LIMITED)
    # Old windows are no use: drop them now and then (cheap, indexed by the primary key).
    if count == 1:
        s.execute(
            delete(RateCounterRow).where(RateCounterRow.window_start < window - timedelta(hours=2))
        )


def parse_answer(
    form: dict[str, Any],
    *,
    allowed_reasons: set[str],
    languages: tuple[str, ...] = ("en", "hi"),
    survey_version: int | None = None,
) -> PhoneAnswer:
    """The answer from the posted form; PhoneLinkError('form', ...) if it cannot be used.
    ``languages`` are the survey's (another language is read as its first); the answer
    records ``survey_version``, the survey it was asked with."""
    try:
        score = int(str(form.get("score", "")))
    except ValueError:
        score = -1
    if not 0 <= score <= 10:
        raise PhoneLinkError("form", CHOOSE)
    language = form.get("lang") if form.get("lang") in languages else languages[0]
    reasons = form.get("reasons") or []
    if isinstance(reasons, str):
        reasons = [reasons]
    reasons = tuple(dict.fromkeys(r for r in reasons if r in allowed_reasons))
    from core.text import COMMENT_LIMIT, clean_text

    comment = clean_text(str(form.get("comment") or ""), limit=COMMENT_LIMIT)
    return PhoneAnswer(
        score=score,
        language=str(language),
        reasons=reasons,
        comment=comment,
        survey_version=survey_version,
    )
