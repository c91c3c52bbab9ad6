"""The HQ web app (FastAPI): ingest, enrollment, phone pages, analyst API and dashboard."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.assets import assets_dir
from core.protocol import (
    BatchReplyV1,
    BatchV1,
    EnrollReplyV1,
    EnrollRequestV1,
    PhoneResponsesV1,
    ResponseV1,
    describe,
)
from core.survey_texts import DEFAULT_REASONS
from hq import alerts, analytics, groups, phone, throttle, webhooks
from hq import sessions as login_sessions
from hq.analytics import ResponseFilter
from hq.csrf import check_csrf
from hq.db import naive_utc, utcnow
from hq.delivery import DeliveryConfig, DeliveryWorker, delivery_log
from hq.errors import (
    EnrollmentError,
    Forbidden,
    HqError,
    NotFound,
    PhoneLinkError,
    TooManyAttempts,
    Unauthorized,
)
from hq.headers import SecurityHeaders
from hq.ingest import ingest_json, read_batch
from hq.pages import (
    alert_rules_page,
    dashboard_page,
    delivery_log_page,
    login_page,
    phone_form,
    phone_notice,
)
from hq.service import DeviceAuth, Hq

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


SESSION_COOKIE = login_sessions.COOKIE
FONTS = {
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansDevanagari-Bold.ttf",
}
REASON_KEYS = {r["key"] for chips in DEFAULT_REASONS.values() for r in chips}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No, wrong or revoked token"},
    403: {"description": "A token that may not do this"},
    413: {"description": "Body too large"},
    422: {"description": "Malformed request"},
}


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else naive_utc(value)


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
    app.add_middleware(SecurityHeaders)  # added last: outermost, so every answer has them

    # Errors ------------------------------------------------------------------------------

    def _json(status: int, message: str) -> JSONResponse:
        return JSONResponse({"detail": message}, status_code=status)

    @app.exception_handler(Unauthorized)
    async def _unauthorized(_r: Request, exc: Unauthorized) -> JSONResponse:
        resp = _json(401, str(exc))
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.exception_handler(Forbidden)
    async def _forbidden(_r: Request, exc: Forbidden) -> JSONResponse:
        return _json(403, str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(_r: Request, exc: NotFound) -> JSONResponse:
        return _json(404, str(exc))

    @app.exception_handler(EnrollmentError)
    async def _enrollment(_r: Request, exc: EnrollmentError) -> JSONResponse:
        return _json(401, str(exc))

    @app.exception_handler(HqError)
    async def _hq_error(_r: Request, exc: HqError) -> JSONResponse:
        return _json(400, str(exc))

    @app.exception_handler(DataError)
    async def _unstorable(_r: Request, exc: DataError) -> JSONResponse:
        # e.g. a NUL character in a form field, which PostgreSQL cannot take in text.
        return _json(
            422,
            "A value holds a character the database cannot store (such as NUL); "
            "remove it and send again.",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Last resort: log it with the trace, answer clean JSON. Tests assert this never runs.
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
        return _json(500, "HQ hit an unexpected error; it is logged. Retry later.")

    # Auth helpers ------------------------------------------------------------------------

    def analyst(request: Request) -> str:
        token = _bearer(request)
        if token:
            if hq.api_token_ok(token):
                return "api-token"
            if _device_or_none(token) is not None:
                raise Forbidden(
                    "A device token cannot read the analyst API; use a token from "
                    "nps-hq create-api-token."
                )
            raise Unauthorized(
                "This API token is unknown or revoked; make one with nps-hq create-api-token."
            )
        user = _session_user(request)
        if user is None:
            raise Unauthorized("Sign in at / or send 'Authorization: Bearer <api token>'.")
        return user

    def _device_or_none(token: str) -> Any:
        try:
            return hq.device_for_token(token)
        except (Unauthorized, Forbidden):
            return None

    def _session_user(request: Request) -> str | None:
        login = _login(request)
        return login.username if login else None

    def _login(request: Request) -> login_sessions.LoginSession | None:
        """The request's server-side session (read once per request)."""
        if not hasattr(request.state, "login"):
            cookie = request.cookies.get(SESSION_COOKIE)
            request.state.login = login_sessions.read_session(hq, cookie)
        return request.state.login  # type: ignore[no-any-return]

    def _csrf(request: Request) -> str:
        login = _login(request)
        return login.csrf_token if login else ""

    async def _check_csrf(request: Request) -> None:
        login = _login(request)
        if login is not None:
            await check_csrf(request, login, hq)

    # Sync API ----------------------------------------------------------------------------

    @app.post(
        "/api/v1/batches",
        tags=["sync"],
        max_body_size=hq.config.max_batch_bytes,
        responses={200: {"model": BatchReplyV1}, **ERRORS},
        summary="Upload a batch of up to 500 responses (device token)",
    )
    async def post_batch(request: Request) -> Response:
        device = await run_in_threadpool(hq.device_for_token, _bearer(request))
        body = await request.body()
        # Parsing 500 responses takes milliseconds: in the worker thread, with the ingest,
        # rather than on the event loop.
        response, alerts = await run_in_threadpool(_take_batch, body, device)
        if worker is not None and alerts:
            worker.wake()  # this batch's alerts go out now rather than next poll
        return response

    def _take_batch(body: bytes, device: DeviceAuth) -> tuple[Response, int]:
        try:
            envelope = read_batch(body)
        except ValidationError as exc:
            return _json(422, f"Not a protocol v1 batch: {describe(exc)}"), 0
        reply, alerts = ingest_json(hq, envelope, device=device)
        return Response(reply, media_type="application/json"), alerts

    @app.post(
        "/api/v1/enroll",
        tags=["sync"],
        response_model=EnrollReplyV1,
        responses={401: {"description": "Unknown, used or expired code"}},
    )
    def enroll(request: EnrollRequestV1) -> EnrollReplyV1:
        """Exchange a one-time enrollment code for the device's token and secret."""
        return hq.redeem_enrollment(request.code)

    @app.get(
        "/api/v1/stores/{store}/responses",
        tags=["sync"],
        response_model=PhoneResponsesV1,
        responses=ERRORS,
    )
    def store_phone_responses(
        request: Request,
        store: str,
        after: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    ) -> PhoneResponsesV1:
        """A store's phone (QR) answers after a cursor, for its kiosks to pull back."""
        token = _bearer(request)
        if not hq.api_token_ok(token):
            device = hq.device_for_token(token)
            if device.store_id != store:
                raise Forbidden(
                    f"Device {device.device_id!r} belongs to store "
                    f"{device.store_id!r}, not {store!r}."
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
            ResponseV1.model_validate({k: v for k, v in r.items() if k != "received_at"})
            for r in rows
        ]
        return PhoneResponsesV1(responses=wire, cursor=cursor, has_more=more)

    # Analyst API -------------------------------------------------------------------------

    @app.get("/api/v1/responses", tags=["analysts"], responses=ERRORS)
    def list_responses(
        request: Request,
        store: Annotated[str | None, Query(max_length=64)] = None,
        since: datetime | None = None,
        until: datetime | None = None,
        channel: Literal["kiosk", "qr"] | None = None,
        after: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
        format: Literal["json", "csv"] = "json",
        group: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response:
        """Responses in receive order, a page at a time: pass ``cursor`` as ``after``."""
        analyst(request)
        flt = ResponseFilter(
            store_id=store, since=_utc(since), until=_utc(until), channel=channel, group_id=group
        )
        try:
            rows, cursor, more = analytics.page_responses(hq, flt, after=after, limit=limit)
        except ValueError as exc:
            raise RequestValidationError(
                [{"loc": ("query", "after"), "msg": str(exc), "type": "value_error"}]
            ) from exc
        if format == "csv" or "text/csv" in request.headers.get("accept", ""):
            text = "".join(analytics.iter_csv(iter(rows)))
            return Response(
                text,
                media_type="text/csv; charset=utf-8",
                headers={"X-Next-Cursor": cursor, "X-Has-More": str(more).lower()},
            )
        return JSONResponse({"responses": rows, "cursor": cursor, "has_more": more})

    @app.get("/api/v1/nps", tags=["analysts"], responses=ERRORS)
    def get_nps(
        request: Request,
        store: Annotated[str | None, Query(max_length=64)] = None,
        from_: Annotated[datetime | None, Query(alias="from")] = None,
        to: datetime | None = None,
        channel: Literal["kiosk", "qr"] | None = None,
        group_by: Literal["day", "week", "store", "channel", "group"] | None = None,
        include_suspect: bool = False,
        group: Annotated[str | None, Query(max_length=64)] = None,
    ) -> JSONResponse:
        """NPS with its 95% interval (core.nps: the kiosk shows the same numbers);
        ``group_by=group`` gives each store group's NPS, ``group`` keeps one group's stores."""
        analyst(request)
        flt = ResponseFilter(
            store_id=store,
            group_id=group,
            since=_utc(from_),
            until=_utc(to),
            channel=channel,
            include_suspect=include_suspect,
        )
        groups = analytics.nps_groups(hq, flt, group_by=group_by)
        return JSONResponse(
            {
                "group_by": group_by,
                "include_suspect": include_suspect,
                "groups": [g.as_dict() for g in groups],
            }
        )

    @app.get("/api/v1/export", tags=["analysts"], responses=ERRORS)
    def export(
        request: Request,
        format: Literal["csv", "jsonl"] = "csv",
        store: Annotated[str | None, Query(max_length=64)] = None,
        group: Annotated[str | None, Query(max_length=64)] = None,
    ) -> StreamingResponse:
        """Every response (streamed), as CSV or JSON lines, of one store or group or all."""
        analyst(request)
        rows = analytics.iter_responses(hq, ResponseFilter(store_id=store, group_id=group))
        if format == "csv":
            return StreamingResponse(analytics.iter_csv(rows), media_type="text/csv")
        return StreamingResponse(analytics.iter_jsonl(rows), media_type="application/x-ndjson")

    @app.get("/healthz", tags=["ops"])
    def health() -> dict[str, Any]:
        return {"ok": True, "server_time": datetime.now(UTC).isoformat()}

    # Phone pages -------------------------------------------------------------------------

    def _lang(value: str | None) -> str:
        return value if value in ("en", "hi") else "en"

    @app.get("/m/{store}", response_class=HTMLResponse, include_in_schema=False)
    def phone_page(store: str, t: str = "", lang: str | None = None) -> HTMLResponse:
        language = _lang(lang)
        try:
            phone.check_link(hq, store_id=store, token=t)
        except PhoneLinkError as exc:
            status = {"already": 409, "expired": 410, "replaced": 410, "limited": 429}.get(
                exc.kind, 400
            )
            return HTMLResponse(
                phone_notice(kind=exc.kind, message=exc.message, lang=language), status_code=status
            )
        return HTMLResponse(phone_form(store_id=store, token=t, lang=language))

    @app.post("/m/{store}", response_class=HTMLResponse, include_in_schema=False)
    async def phone_answer(store: str, request: Request) -> HTMLResponse:
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
            status = {"already": 409, "expired": 410, "replaced": 410, "limited": 429}.get(
                exc.kind, 400
            )
            return HTMLResponse(
                phone_notice(kind=exc.kind, message=exc.message, lang=language), status_code=status
            )
        return HTMLResponse(phone_notice(kind="thanks", message="", lang=language))

    @app.get("/static/fonts/{name}", include_in_schema=False)
    def font(name: str) -> Response:
        if name not in FONTS:
            return _json(404, "No such font.")
        return FileResponse(
            Path(assets_dir()) / "fonts" / name,
            media_type="font/ttf",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    # Dashboard ---------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(
        request: Request, group: Annotated[str | None, Query(max_length=64)] = None
    ) -> Response:
        user = _session_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        board = analytics.dashboard(hq, group_id=group or None)
        return HTMLResponse(dashboard_page(board, user=user, now=utcnow(), csrf=_csrf(request)))

    def _alerts_page(
        user: str, *, csrf: str, error: str | None = None, secret: str | None = None
    ) -> str:
        return alert_rules_page(
            rules=alerts.rules(hq, include_disabled=True),
            hooks=webhooks.webhooks(hq),
            groups=groups.groups(hq),
            stores=hq.stores(),
            recent=alerts.recent_alerts(hq, limit=10),
            user=user,
            error=error,
            new_secret=secret,
            csrf=csrf,
        )

    @app.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alert_rules(request: Request) -> Response:
        user = _session_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse(_alerts_page(user, csrf=_csrf(request)))

    @app.post("/alerts/rules", response_class=HTMLResponse, include_in_schema=False)
    async def add_alert_rule(request: Request) -> Response:
        user = _session_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        await _check_csrf(request)
        csrf = _csrf(request)
        form = await request.form()
        scope = str(form.get("scope") or "")
        params: dict[str, float] = {}
        kind = str(form.get("kind") or "")
        for key in alerts.DEFAULT_PARAMS.get(kind, {}):
            raw = str(form.get(f"p_{key}") or "").strip()
            if raw:
                try:
                    params[key] = float(raw)
                except ValueError:
                    return HTMLResponse(
                        _alerts_page(user, csrf=csrf, error=f"{key} is a number, not {raw!r}."),
                        status_code=422,
                    )
        try:
            await run_in_threadpool(
                lambda: alerts.add_rule(
                    hq,
                    name=str(form.get("name") or ""),
                    kind=kind,
                    recipients=str(form.get("recipients") or "").splitlines(),
                    mode=str(form.get("mode") or "now"),
                    store_id=scope[6:] if scope.startswith("store:") else None,
                    group_id=scope[6:] if scope.startswith("group:") else None,
                    params=params,
                    actor=user,
                )
            )
        except HqError as exc:
            return HTMLResponse(_alerts_page(user, csrf=csrf, error=str(exc)), status_code=422)
        return RedirectResponse("/alerts", status_code=303)

    @app.post("/alerts/rules/{rule_id}/disable", include_in_schema=False)
    async def disable_alert_rule(request: Request, rule_id: int) -> Response:
        user = _session_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        await _check_csrf(request)
        await run_in_threadpool(alerts.disable_rule, hq, rule_id, actor=user)
        return RedirectResponse("/alerts", status_code=303)

    @app.post("/alerts/webhooks", response_class=HTMLResponse, include_in_schema=False)
    async def add_alert_webhook(request: Request) -> Response:
        user = _session_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        await _check_csrf(request)
        csrf = _csrf(request)
        form = await request.form()
        try:
            secret = await run_in_threadpool(
                lambda: webhooks.add_webhook(
                    hq, str(form.get("name") or ""), url=str(form.get("url") or ""), actor=user
                )
            )
        except HqError as exc:
            return HTMLResponse(_alerts_page(user, csrf=csrf, error=str(exc)), status_code=422)
        return HTMLResponse(_alerts_page(user, csrf=csrf, secret=secret))

    @app.get("/deliveries", response_class=HTMLResponse, include_in_schema=False)
    def deliveries(request: Request) -> Response:
        user = _session_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse(
            delivery_log_page(delivery_log(hq), user=user, now=utcnow(), csrf=_csrf(request))
        )

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form() -> HTMLResponse:
        return HTMLResponse(login_page())

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        username, password = str(form.get("username") or ""), str(form.get("password") or "")
        client = request.client.host if request.client else None
        try:
            await run_in_threadpool(throttle.attempt_login, hq, username, password, client=client)
        except Unauthorized as exc:
            return HTMLResponse(login_page(error=str(exc)), status_code=401)
        except TooManyAttempts as exc:
            return HTMLResponse(
                login_page(error=str(exc)),
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        new = await run_in_threadpool(login_sessions.start_session, hq, username)
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(SESSION_COOKIE, new.cookie, **login_sessions.cookie_options(hq))
        return resp

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        await _check_csrf(request)
        cookie = request.cookies.get(SESSION_COOKIE)
        await run_in_threadpool(login_sessions.end_session, hq, cookie)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    # OpenAPI: the batch body is read by hand (to reject single responses, not the batch),
    # so its schema is added here.
    def openapi() -> dict[str, Any]:
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
        schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        schema["security"] = [{"bearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(StarletteHTTPException)
    async def _http(_r: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory hq.app:app_from_env`` (bench, multi-worker): reads NPS_HQ_DB,
    NPS_HQ_DATA_DIR and NPS_HQ_PUBLIC_URL."""
    import os

    from hq.service import HqConfig

    config = HqConfig(
        data_dir=Path(os.environ.get("NPS_HQ_DATA_DIR") or HqConfig().data_dir),
        db_url=os.environ.get("NPS_HQ_DB") or None,
        public_url=os.environ.get("NPS_HQ_PUBLIC_URL") or None,
    )
    return create_app(Hq.open(config))
