"""The HQ web app (FastAPI): build it, give it its state, middleware, routers (hq.routers) and
one table of error replies. Who may call what is declared on the routers (hq.auth)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.protocol import BatchV1
from hq.delivery import DeliveryConfig, DeliveryWorker
from hq.errors import (
    EnrollmentError,
    Forbidden,
    HqError,
    NotFound,
    SignInRequired,
    TooManyAttempts,
    Unauthorized,
)
from hq.headers import SecurityHeaders
from hq.i18n import RequestLanguage
from hq.routers import (
    admin_pages,
    alert_pages,
    analyst_api,
    case_pages,
    dashboard,
    fleet_pages,
    ops,
    phone_pages,
    privacy,
    sync,
)
from hq.service import Hq

log = logging.getLogger(__name__)


class RefuseNulInAddress:
    """A NUL (%00) in the path or the query reaches no handler: PostgreSQL cannot compare text
    holding one, and no store, device, cursor or date contains it. Pure ASGI: no body buffering."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (
            b"%00" in scope.get("query_string", b"")
            or "\x00" in scope.get("path", "")
            or b"%00" in scope.get("raw_path", b"")
        ):
            response = JSONResponse(
                {"detail": "The address holds a NUL character (%00); remove it and retry."},
                status_code=422,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class ErrorReply(NamedTuple):
    status: int
    headers: dict[str, str]
    message: str | None = None  # None: the exception's own message


# Every exception a handler may let out, and the reply it gets. Looked up along the exception's
# classes, so e.g. an AlertRuleError is answered as an HqError (400).
ERROR_REPLIES: dict[type[Exception], ErrorReply] = {
    SignInRequired: ErrorReply(303, {"Location": "/login"}),
    Unauthorized: ErrorReply(401, {"WWW-Authenticate": "Bearer"}),
    EnrollmentError: ErrorReply(401, {}),
    Forbidden: ErrorReply(403, {}),
    TooManyAttempts: ErrorReply(429, {}),  # plus Retry-After, from the exception
    NotFound: ErrorReply(404, {}),
    HqError: ErrorReply(400, {}),
    # e.g. a NUL character in a form field, which PostgreSQL cannot take in text.
    DataError: ErrorReply(
        422,
        {},
        "A value holds a character the database cannot store (such as NUL); "
        "remove it and send again.",
    ),
    # Last resort: logged with the trace. Tests assert this never runs.
    Exception: ErrorReply(500, {}, "HQ hit an unexpected error; it is logged. Retry later."),
}


async def _error_reply(request: Request, exc: Exception) -> JSONResponse:
    reply = next(ERROR_REPLIES[c] for c in type(exc).__mro__ if c in ERROR_REPLIES)
    if reply.status >= 500:
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
    headers = dict(reply.headers)
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(
        {"detail": reply.message or str(exc)}, status_code=reply.status, headers=headers
    )


async def _http_error(_r: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


def create_app(hq: Hq, *, delivery: DeliveryConfig | None = None) -> FastAPI:
    """The app; its lifespan starts and stops the alert delivery worker (unless
    ``delivery.enabled`` is false, e.g. NPS_HQ_DELIVERY=off on all but one HQ process)."""
    delivery = delivery or DeliveryConfig.from_env()
    worker = DeliveryWorker(hq, delivery) if delivery.enabled else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Everything loaded so far (app, models, schemas: ~100k objects) lives as long as the
        # process: out of the collector's full passes, which otherwise took ~80 ms now and then
        # in the middle of a batch upload (the p99 of issue 5's benchmark).
        gc.collect()
        gc.freeze()
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await run_in_threadpool(worker.stop)

    app = FastAPI(
        lifespan=lifespan,
        title="NPS Kiosk HQ",
        version="1",
        max_body_size=hq.config.max_body_bytes,
        description="Takes every store's batches exactly once (sync protocol v1), "
        "serves the phone survey, and gives analysts responses and NPS.",
    )
    app.state.hq = hq
    app.state.delivery_worker = worker
    app.add_middleware(RefuseNulInAddress)
    app.add_middleware(RequestLanguage)  # the pages' language: cookie, then Accept-Language
    app.add_middleware(SecurityHeaders)  # added last: outermost, so every answer has them
    app.include_router(sync.batches, max_body_size=hq.config.max_batch_bytes)
    app.include_router(sync.enrollment)
    app.include_router(sync.store_pull)
    app.include_router(sync.profile_pull)
    app.include_router(sync.erasure_pull)
    app.include_router(sync.case_pull)
    app.include_router(analyst_api.router)
    app.include_router(ops.router)
    app.include_router(phone_pages.router)
    app.include_router(dashboard.router)
    app.include_router(dashboard.account)
    app.include_router(dashboard.public)
    app.include_router(alert_pages.router)
    app.include_router(fleet_pages.stores_read)
    app.include_router(fleet_pages.fleet_read)
    app.include_router(fleet_pages.fleet_write)
    app.include_router(alert_pages.manage)
    app.include_router(admin_pages.users_read)
    app.include_router(admin_pages.users_write)
    app.include_router(admin_pages.audit_read)
    app.include_router(case_pages.cases_read)
    app.include_router(case_pages.cases_write)
    app.include_router(privacy.pages)
    app.include_router(privacy.forms)
    app.include_router(privacy.api)
    app.include_router(privacy.api_write)
    for exc_class in ERROR_REPLIES:
        app.add_exception_handler(exc_class, _error_reply)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]  # FastAPI's documented way
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema plus the batch body, which post_batch reads by hand (to reject
    single responses, not the whole batch)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    batch = BatchV1.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(batch.pop("$defs", {}))
    components["BatchV1"] = batch
    schema["paths"]["/api/v1/batches"]["post"]["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchV1"}}},
    }
    app.openapi_schema = schema
    return schema


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory hq.app:app_from_env`` (bench, multi-worker): reads NPS_HQ_DB,
    NPS_HQ_DATA_DIR, NPS_HQ_PUBLIC_URL and NPS_HQ_ALLOW_PRIVATE_WEBHOOKS."""
    import os

    from hq.service import HqConfig, allow_private_webhooks_from_env

    config = HqConfig(
        data_dir=Path(os.environ.get("NPS_HQ_DATA_DIR") or HqConfig().data_dir),
        db_url=os.environ.get("NPS_HQ_DB") or None,
        allow_private_webhooks=allow_private_webhooks_from_env(),
        public_url=os.environ.get("NPS_HQ_PUBLIC_URL") or None,
    )
    return create_app(Hq.open(config))
