"""Privacy (owners and admins, hq.roles.Action.MANAGE_PRIVACY): find what HQ holds about a
person, download it as one JSON file, erase it (hq.privacy). The page and its erase form
(CSRF-checked), and the same as JSON for scripts run with a signed-in session: an API token
acts as an analyst and is refused."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hq import auth, i18n, privacy
from hq.auth import HqDep, Principal
from hq.errors import HqError
from hq.pages import privacy_page
from hq.privacy import Held, PersonQuery, PrivacyError
from hq.routers.common import ERRORS

pages = APIRouter(dependencies=[Depends(auth.privacy_page)], include_in_schema=False)
forms = APIRouter(dependencies=[Depends(auth.privacy_form)], include_in_schema=False)
api = APIRouter(tags=["privacy"], dependencies=[Depends(auth.privacy_api)])
api_write = APIRouter(tags=["privacy"], dependencies=[Depends(auth.privacy_form)])

PageDep = Annotated[Principal, Depends(auth.privacy_page)]
FormDep = Annotated[Principal, Depends(auth.privacy_form)]
ApiDep = Annotated[Principal, Depends(auth.privacy_api)]
Phone = Annotated[str, Query(max_length=64)]
Email = Annotated[str, Query(max_length=320)]
ResponseId = Annotated[str, Query(max_length=36)]


def _held_json(held: Held) -> dict[str, Any]:
    doc = privacy.export_document(held)
    return {
        k: v for k, v in doc.items() if k in ("query", "responses", "cases", "alerts", "deliveries")
    }


@pages.get("/privacy", response_class=HTMLResponse)
def privacy_home(
    hq: HqDep, user: PageDep, phone: Phone = "", email: Email = "", response: ResponseId = ""
) -> HTMLResponse:
    fields = {"phone": phone, "email": email, "response": response}
    held = error = None
    if any(v.strip() for v in fields.values()):
        try:
            held = privacy.find(hq, PersonQuery.from_fields(**fields), actor=user.name)
        except PrivacyError as exc:
            error = i18n.explain(exc)
    return HTMLResponse(
        privacy_page(
            user=user, held=held, fields=fields, error=error, retention=hq.config.retention
        ),
        status_code=400 if error else 200,
    )


def _download(document: dict[str, Any]) -> Response:
    return Response(
        privacy.export_json(document),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="nps-hq-person.json"',
            "Cache-Control": "no-store",
        },
    )


@pages.get("/privacy/export")
def privacy_export_page(hq: HqDep, user: PageDep, phone: Phone = "", email: Email = "") -> Response:
    try:
        query = PersonQuery.from_fields(phone=phone, email=email)
    except PrivacyError:
        return RedirectResponse("/privacy", status_code=303)
    return _download(privacy.export(hq, query, actor=user.name))


@forms.post("/privacy/erase", response_class=HTMLResponse)
async def privacy_erase_form(request: Request, hq: HqDep, user: FormDep) -> HTMLResponse:
    form = await request.form()
    kind, value = str(form.get("kind") or ""), str(form.get("value") or "")
    fields = {kind: value} if kind in ("phone", "email", "response") else {}
    try:
        if form.get("confirm") != "yes":
            raise PrivacyError("Tick the box to confirm the erasure; nothing was erased.")
        query = PersonQuery.parse(kind, value)
        expect = [str(v) for v in form.getlist("expect")]
        result = await run_in_threadpool(
            lambda: privacy.erase(hq, query, actor=user.name, expect=expect)
        )
    except HqError as exc:
        return HTMLResponse(
            privacy_page(
                user=user, fields=fields, error=i18n.explain(exc), retention=hq.config.retention
            ),
            status_code=400,
        )
    held = await run_in_threadpool(lambda: privacy.find(hq, query, actor=user.name))
    return HTMLResponse(
        privacy_page(
            user=user, held=held, fields=fields, erased=result, retention=hq.config.retention
        )
    )


@api.get(
    "/api/v1/privacy/person",
    responses=ERRORS,
    summary="What HQ holds about a person (phone, email or response id; owners and admins)",
)
def privacy_find_api(
    hq: HqDep, caller: ApiDep, phone: Phone = "", email: Email = "", response: ResponseId = ""
) -> dict[str, Any]:
    query = PersonQuery.from_fields(phone=phone, email=email, response=response)
    return _held_json(privacy.find(hq, query, actor=caller.name))


@api.get(
    "/api/v1/privacy/export",
    responses=ERRORS,
    summary="A person's data-subject export: everything held, one JSON file",
)
def privacy_export_api(hq: HqDep, caller: ApiDep, phone: Phone = "", email: Email = "") -> Response:
    query = PersonQuery.from_fields(phone=phone, email=email)
    return _download(privacy.export(hq, query, actor=caller.name))


class ErasureRequest(BaseModel):
    """One of ``phone``, ``email`` or ``response``."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(default="", max_length=64)
    email: str = Field(default="", max_length=320)
    response: str = Field(default="", max_length=36)
    compact: bool = Field(
        default=False, description="PostgreSQL: rewrite the tables now (VACUUM FULL)"
    )


@api_write.post(
    "/api/v1/privacy/erasures",
    responses=ERRORS,
    summary="Erase a person (signed-in owner or admin; X-CSRF-Token header)",
)
def privacy_erase_api(hq: HqDep, caller: FormDep, body: ErasureRequest) -> dict[str, Any]:
    query = PersonQuery.from_fields(phone=body.phone, email=body.email, response=body.response)
    result = privacy.erase(hq, query, actor=caller.name, compact=body.compact)
    return {
        "request_id": result.request_id,
        "response_ids": result.response_ids,
        "stores": result.stores,
        "scrubbed": {
            "responses": result.scrubbed.responses,
            "alerts": result.scrubbed.alerts,
            "deliveries": result.scrubbed.deliveries,
            "attempts": result.scrubbed.attempts,
        },
        "wiped": result.wiped,
    }
