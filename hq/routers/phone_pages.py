"""The phone survey a customer reaches from a kiosk's QR code: public, the signed link is the
credential (hq.phone checks it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from core.profile import SurveyVersionV1
from core.survey_texts import LANGUAGES
from hq import auth, phone, profiles
from hq.auth import HqDep
from hq.errors import HqError, PhoneLinkError
from hq.pages import phone_chips, phone_form, phone_notice, survey_texts
from hq.service import Hq

router = APIRouter(
    dependencies=[Depends(auth.public)],
    include_in_schema=False,
    default_response_class=HTMLResponse,
)

NOTICE_STATUS = {"already": 409, "expired": 410, "replaced": 410, "limited": 429}


def _lang(value: str | None, survey: SurveyVersionV1 | None = None) -> str:
    """``value`` if the survey offers it, else the survey's first language (without a survey,
    a notice: any of the six languages the kiosk's catalogs have, else English)."""
    offered: tuple[str, ...] = tuple(survey.languages) if survey else tuple(LANGUAGES)
    return value if value in offered else offered[0]


def _survey(hq: Hq, store: str) -> SurveyVersionV1:
    """The survey the store asks now: its profile's (published) version, in its languages."""
    return profiles.current_profile(hq, store).survey


def _answered_survey(hq: Hq, store: str, shown: object) -> SurveyVersionV1:
    """The survey the customer saw: the version the page carried (a publish between showing
    the page and sending it must not relabel the answer), if it is a published one."""
    current = _survey(hq, store)
    text = str(shown or "")
    if text.isdigit() and int(text) != current.id:
        try:
            return profiles.survey_version(hq, int(text))[1]
        except (HqError, ValueError):
            pass
    return current


def _notice(exc: PhoneLinkError, lang: str) -> HTMLResponse:
    return HTMLResponse(
        phone_notice(kind=exc.kind, message=exc.message, lang=lang),
        status_code=NOTICE_STATUS.get(exc.kind, 400),
    )


@router.get("/m/{store}")
def phone_page(hq: HqDep, store: str, t: str = "", lang: str | None = None) -> HTMLResponse:
    try:
        phone.check_link(hq, store_id=store, token=t)
    except PhoneLinkError as exc:
        return _notice(exc, _lang(lang))
    survey = _survey(hq, store)
    return HTMLResponse(
        phone_form(store_id=store, token=t, lang=_lang(lang, survey), survey=survey)
    )


@router.post("/m/{store}")
async def phone_answer(hq: HqDep, store: str, request: Request) -> HTMLResponse:
    form = await request.form()
    data: dict[str, Any] = {k: form.get(k) for k in ("t", "lang", "score", "comment", "sv")}
    data["reasons"] = [str(v) for v in form.getlist("reasons")]
    token = str(data.get("t") or "")
    language = _lang(str(data.get("lang")))
    client = request.client.host if request.client else "unknown"
    try:
        await run_in_threadpool(phone.check_link, hq, store_id=store, token=token)
        survey = await run_in_threadpool(_answered_survey, hq, store, data.get("sv"))
        language = _lang(str(data.get("lang")), survey)
        texts = survey_texts(survey, language)
        answer = phone.parse_answer(
            data,
            allowed_reasons={c.key for c in phone_chips(texts)} if texts else set(),
            languages=tuple(survey.languages),
            survey_version=survey.id,
        )
        await run_in_threadpool(
            phone.record_answer, hq, store_id=store, token=token, answer=answer, client=client
        )
    except PhoneLinkError as exc:
        if exc.kind == "form":
            return HTMLResponse(
                phone_form(
                    store_id=store, token=token, lang=language, survey=survey, error=exc.message
                ),
                status_code=422,
            )
        return _notice(exc, language)
    return HTMLResponse(phone_notice(kind="thanks", message="", lang=language))
