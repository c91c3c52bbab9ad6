"""The device sync API (protocols v1 and v2): batches in, enrollment, a store's phone answers
out, and (v2) the store's signed profile."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from core.profile import SignedProfileV1, sign_profile
from core.protocol import (
    MAX_INT32,
    RESPONSE_FIELDS,
    BatchReplyV1,
    CasesV1,
    EnrollReplyV1,
    EnrollRequestV1,
    ErasuresV1,
    ErasureV1,
    PhoneResponsesV1,
    ResponseV1,
    describe,
    wire_json,
)
from hq import analytics, auth, cases, privacy, profiles
from hq.analytics import ResponseFilter
from hq.auth import DeviceDep, HqDep, StoreReaderDep
from hq.delivery import DeliveryWorker
from hq.errors import Forbidden
from hq.ingest import ingest_json, read_batch
from hq.roles import Action
from hq.routers.common import ERRORS
from hq.service import DeviceAuth, Hq

batches = APIRouter(tags=["sync"], dependencies=[Depends(auth.device)])
profile_pull = APIRouter(tags=["sync"], dependencies=[Depends(auth.device)])
erasure_pull = APIRouter(tags=["sync"], dependencies=[Depends(auth.device)])
case_pull = APIRouter(tags=["sync"], dependencies=[Depends(auth.device)])
store_pull = APIRouter(tags=["sync"], dependencies=[Depends(auth.device_or_api_token)])
enrollment = APIRouter(tags=["sync"], dependencies=[Depends(auth.public)])


@batches.post(
    "/api/v1/batches",
    responses={200: {"model": BatchReplyV1}, **ERRORS},
    summary="Upload a batch of up to 500 responses (device token)",
)
async def post_batch(request: Request, hq: HqDep, caller: DeviceDep) -> Response:
    body = await request.body()
    # Parsing 500 responses takes milliseconds: in the worker thread, with the ingest, rather
    # than on the event loop. The body is read by hand (to reject single responses, not the
    # batch); hq.app adds its schema to the OpenAPI document.
    response, alerts = await run_in_threadpool(_take_batch, hq, body, caller.device)
    worker: DeliveryWorker | None = request.app.state.delivery_worker
    if worker is not None and alerts:
        worker.wake()  # this batch's alerts go out now rather than next poll
    return response


def _take_batch(hq: Hq, body: bytes, device: DeviceAuth) -> tuple[Response, int]:
    try:
        envelope = read_batch(body)
    except ValidationError as exc:
        return JSONResponse(
            {"detail": f"Not a protocol v1/v2 batch: {describe(exc)}"}, status_code=422
        ), 0
    reply, alerts = ingest_json(hq, envelope, device=device)
    return Response(reply, media_type="application/json"), alerts


@enrollment.post(
    "/api/v1/enroll",
    response_model=EnrollReplyV1,
    responses={401: {"description": "Unknown, used or expired code"}},
)
def enroll(request: EnrollRequestV1, hq: HqDep) -> EnrollReplyV1:
    """Exchange a one-time enrollment code for the device's token and secret."""
    return hq.redeem_enrollment(request.code)


@profile_pull.get(
    "/api/v1/profile",
    response_model=SignedProfileV1,
    responses={
        204: {"description": "The profile is still version `have`: nothing to fetch"},
        **ERRORS,
    },
    summary="The device's store profile, signed with the device secret (protocol v2)",
)
def device_profile(
    hq: HqDep,
    caller: DeviceDep,
    have: Annotated[int | None, Query(ge=1, le=MAX_INT32)] = None,
    retention: Annotated[bool, Query()] = False,
) -> Response:
    """The asking device's store profile (core.profile.SignedProfileV1), or 204 when ``have``
    is its current version: an idle kiosk's one light check. The profile's ``retention`` is
    sent only to a kiosk that asks for it (``retention=true``): a kiosk made before the field
    refuses unknown fields, and gets the rest of its profile without it."""
    device = caller.device
    if have is not None:
        with hq.db.reading() as s:
            if profiles.stored_profile_version(s, device.store_id) == have:
                return Response(status_code=204)
    profile = profiles.current_profile(hq, device.store_id)
    if have == profile.version:
        return Response(status_code=204)
    secret = hq.secret_for_device(device.device_id)
    if secret is None:  # revoked between the token check and here
        raise Forbidden("This device was revoked; enroll it again.")
    if not retention:
        profile = profile.model_copy(update={"retention": None})
    signed = sign_profile(secret, profile)
    return Response(signed.model_dump_json(), media_type="application/json")


@store_pull.get(
    "/api/v1/stores/{store}/responses",
    responses={200: {"model": PhoneResponsesV1}, **ERRORS},
)
def store_phone_responses(
    hq: HqDep,
    caller: StoreReaderDep,
    store: str,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    protocol: Literal["v1", "v2"] = "v1",
) -> Response:
    """A store's phone (QR) answers after a cursor, for its kiosks to pull back. With
    ``protocol=v2`` each answer carries its ``survey_version``; without, the answers are v1's
    (a v1 kiosk refuses unknown fields)."""
    if caller.kind == "device" and caller.store_id != store:
        raise Forbidden(
            f"Device {caller.name!r} belongs to store {caller.store_id!r}, not {store!r}."
        )
    if not caller.sees_store(store):
        raise Forbidden(f"Store {store!r} is not in this API token's groups; ask an owner.")
    # The store's own kiosks follow up on their phone answers; an API token sees contact
    # details only with the owner's grant (as on /api/v1/responses).
    hide_contact = caller.kind != "device" and not caller.may(Action.READ_CONTACT)
    try:
        rows, cursor, more = analytics.page_responses(
            hq, ResponseFilter(store_id=store, channel="qr"), after=after, limit=limit
        )
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("query", "after"), "msg": str(exc), "type": "value_error"}]
        ) from exc
    hidden = {"contact_name": None, "contact_detail": None} if hide_contact else {}
    wire = [
        ResponseV1.model_validate({**{k: r[k] for k in RESPONSE_FIELDS}, **hidden}) for r in rows
    ]
    if protocol == "v2":
        body = PhoneResponsesV1(responses=wire, cursor=cursor, has_more=more).model_dump_json()
    else:
        body = json.dumps(
            {"responses": [wire_json(r) for r in wire], "cursor": cursor, "has_more": more},
            ensure_ascii=False,
        )
    return Response(body, media_type="application/json")


@erasure_pull.get(
    "/api/v1/erasures",
    response_model=ErasuresV1,
    responses=ERRORS,
    summary="Responses of the device's store erased at HQ or by another kiosk (protocol v2)",
)
def device_erasures(
    hq: HqDep,
    caller: DeviceDep,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> ErasuresV1:
    """The asking device's store's erasures after ``after`` (a cursor from the last answer):
    the kiosk scrubs each response's contact details and comment in its own file, then keeps
    ``cursor`` for next time. Erasing a response twice, or one the kiosk does not have, is
    harmless."""
    device = caller.device
    start = _cursor(after)
    items, cursor, more = privacy.erasures_since(hq, device.store_id, after=start, limit=limit)
    return ErasuresV1(
        erasures=[
            ErasureV1(response_id=e.response_id, erased_at=e.erased_at.replace(tzinfo=UTC))
            for e in items
        ],
        cursor=analytics.encode_cursor(cursor),
        has_more=more,
    )


def _cursor(after: str | None) -> int:
    """The position a pull's ``after`` cursor names; a 422 naming ``after`` when it is not
    one of HQ's cursors."""
    try:
        return analytics.decode_cursor(after)
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("query", "after"), "msg": str(exc), "type": "value_error"}]
        ) from exc


@case_pull.get(
    "/api/v1/cases",
    response_model=CasesV1,
    responses=ERRORS,
    summary="Follow-up case changes of the device's store made at HQ or by another kiosk "
    "(protocol v2)",
)
def device_cases(
    hq: HqDep,
    caller: DeviceDep,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> CasesV1:
    """The asking device's store's case changes after ``after`` (a cursor from the last
    answer), oldest first, without the device's own: the kiosk applies each one later than
    its own copy, then keeps ``cursor`` for next time."""
    device = caller.device
    start = _cursor(after)
    items, cursor, more = cases.changes_since(
        hq, device.store_id, after=start, limit=limit, device_id=device.device_id
    )
    return CasesV1(
        cases=[c.wire() for c in items],
        cursor=analytics.encode_cursor(cursor),
        has_more=more,
    )
