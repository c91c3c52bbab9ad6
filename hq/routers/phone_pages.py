"""The phone survey a customer reaches from a kiosk's QR code: public, the signed link is the
credential (hq.phone checks it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from core.survey_texts import DEFAULT_REASONS, LANGUAGES
from hq import auth, phone
from hq.auth import HqDep
from hq.errors import PhoneLinkError
from hq.pages import phone_form, phone_notice

router = APIRouter(
    dependencies=[Depends(auth.public)],
    include_in_schema=False,
    default_response_class=HTMLResponse,
)

REASON_KEYS = {r["key"] for chips in DEFAULT_REASONS.values() for r in chips}
NOTICE_STATUS = {"already": 409, "expired": 410, "replaced": 410, "limited": 429}


def _lang(value: str | None) -> str:
    return value if value in LANGUAGES else "en"


def _notice(exc: PhoneLinkError, lang: str) -> HTMLResponse:
    return HTMLResponse(
        phone_notice(kind=exc.kind, message=exc.message, lang=lang),
        status_code=NOTICE_STATUS.get(exc.kind, 400),
    )


@router.get("/m/{store}")
def phone_page(hq: HqDep, store: str, t: str = "", lang: str | None = None) -> HTMLResponse:
    language = _lang(lang)
    try:
        phone.check_link(hq, store_id=store, token=t)
    except PhoneLinkError as exc:
        return _notice(exc, language)
    return HTMLResponse(phone_form(store_id=store, token=t, lang=language))


@router.post("/m/{store}")
async def phone_answer(hq: HqDep, store: str, request: Request) -> HTMLResponse:
    form = await request.form()
    data: dict[str, Any] = {k: form.get(k) for k in ("t", "lang", "score", "comment")}
    data["reasons"] = [str(v) for v in form.getlist("reasons")]
    token = str(data.get("t") or "")
    language = _lang(str(data.get("lang")))
    client = request.client.host if request.client else "unknown"
    try:
        answer = phone.parse_answer(data, allowed_reasons=REASON_KEYS)
        await run_in_threadpool(
            phone.record_answer, hq, store_id=store, token=token, answer=answer, client=client
        )
    except PhoneLinkError as exc:
        if exc.kind == "form":
            return HTMLResponse(
                phone_form(store_id=store, token=token, lang=language, error=exc.message),
                status_code=422,
            )
        return _notice(exc, language)
    return HTMLResponse(phone_notice(kind="thanks", message="", lang=language))
