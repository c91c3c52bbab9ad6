"""The alert rules page (rules, webhooks, the latest alerts) and the delivery log: read by
owners, admins and analysts; rules and webhooks changed by owners and admins (CSRF-checked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hq import alerts, auth, groups, i18n, webhooks
from hq.auth import HqDep, Principal
from hq.db import utcnow
from hq.delivery import delivery_log
from hq.errors import HqError
from hq.pages import alert_rules_page, delivery_log_page
from hq.params import RowIdPath
from hq.service import Hq

router = APIRouter(dependencies=[Depends(auth.read_all_page)], include_in_schema=False)
manage = APIRouter(dependencies=[Depends(auth.alerts_form)], include_in_schema=False)

ReaderDep = Annotated[Principal, Depends(auth.read_all_page)]
ManagerDep = Annotated[Principal, Depends(auth.alerts_form)]


def _alerts_page(
    hq: Hq, user: Principal, *, error: str | None = None, secret: str | None = None
) -> str:
    return alert_rules_page(
        rules=alerts.rules(hq, include_disabled=True),
        hooks=webhooks.webhooks(hq),
        groups=groups.groups(hq),
        stores=hq.stores(),
        recent=alerts.recent_alerts(hq, limit=10),
        user=user,
        allow_private_webhooks=hq.config.allow_private_webhooks,
        error=error,
        new_secret=secret,
    )


@router.get("/alerts", response_class=HTMLResponse)
def alert_rules(hq: HqDep, user: ReaderDep) -> HTMLResponse:
    return HTMLResponse(_alerts_page(hq, user))


@router.get("/deliveries", response_class=HTMLResponse)
def deliveries(hq: HqDep, user: ReaderDep) -> HTMLResponse:
    return HTMLResponse(delivery_log_page(delivery_log(hq), user=user, now=utcnow()))


@manage.post("/alerts/rules", response_class=HTMLResponse)
async def add_alert_rule(request: Request, hq: HqDep, user: ManagerDep) -> Response:
    form = await request.form()
    scope = str(form.get("scope") or "")
    params: dict[str, float] = {}
    kind = str(form.get("kind") or "")
    for key in alerts.DEFAULT_PARAMS.get(kind, {}):
        # Each kind has its own inputs (two kinds both take a "count"); p_KEY also works.
        raw = str(form.get(f"p_{kind}.{key}") or form.get(f"p_{key}") or "").strip()
        if raw:
            try:
                params[key] = float(raw)
            except ValueError:
                return HTMLResponse(
                    _alerts_page(
                        hq,
                        user,
                        error=i18n.texts().gettext(
                            "{key} is a number, not {value}.", key=key, value=repr(raw)
                        ),
                    ),
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
                actor=user.name,
            )
        )
    except HqError as exc:
        return HTMLResponse(_alerts_page(hq, user, error=i18n.explain(exc)), status_code=422)
    return RedirectResponse("/alerts", status_code=303)


@manage.post("/alerts/rules/{rule_id}/disable")
def disable_alert_rule(hq: HqDep, user: ManagerDep, rule_id: RowIdPath) -> Response:
    alerts.disable_rule(hq, rule_id, actor=user.name)
    return RedirectResponse("/alerts", status_code=303)


@manage.post("/alerts/webhooks", response_class=HTMLResponse)
async def add_alert_webhook(request: Request, hq: HqDep, user: ManagerDep) -> Response:
    form = await request.form()
    try:
        secret = await run_in_threadpool(
            lambda: webhooks.add_webhook(
                hq, str(form.get("name") or ""), url=str(form.get("url") or ""), actor=user.name
            )
        )
    except HqError as exc:
        return HTMLResponse(_alerts_page(hq, user, error=i18n.explain(exc)), status_code=422)
    return HTMLResponse(_alerts_page(hq, user, secret=secret))
