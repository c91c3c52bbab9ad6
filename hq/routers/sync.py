"""The device sync API (protocol v1): batches in, enrollment, a store's phone answers out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from core.protocol import (
    BatchReplyV1,
    EnrollReplyV1,
    EnrollRequestV1,
    PhoneResponsesV1,
    ResponseV1,
    describe,
)
from hq import analytics, auth
from hq.analytics import ResponseFilter
from hq.auth import DeviceDep, HqDep, StoreReaderDep
from hq.delivery import DeliveryWorker
from hq.errors import Forbidden
from hq.ingest import ingest_json, read_batch
from hq.routers.common import ERRORS
from hq.service import DeviceAuth, Hq

batches = APIRouter(tags=["sync"], dependencies=[Depends(auth.device)])
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
            {"detail": f"Not a protocol v1 batch: {describe(exc)}"}, status_code=422
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


@store_pull.get(
    "/api/v1/stores/{store}/responses", response_model=PhoneResponsesV1, responses=ERRORS
)
def store_phone_responses(
    hq: HqDep,
    caller: StoreReaderDep,
    store: str,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> PhoneResponsesV1:
    """A store's phone (QR) answers after a cursor, for its kiosks to pull back."""
    if caller.kind == "device" and caller.store_id != store:
        raise Forbidden(
            f"Device {caller.name!r} belongs to store {caller.store_id!r}, not {store!r}."
        )
    try:
        rows, cursor, more = analytics.page_responses(
            hq, ResponseFilter(store_id=store, channel="qr"), after=after, limit=limit
        )
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("query", "after"), "msg": str(exc), "type": "value_error"}]
        ) from exc
    wire = [
        ResponseV1.model_validate({k: v for k, v in r.items() if k != "received_at"}) for r in rows
    ]
    return PhoneResponsesV1(responses=wire, cursor=cursor, has_more=more)
