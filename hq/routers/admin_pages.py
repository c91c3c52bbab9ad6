"""The owner's pages: users (add, change role, reset password, remove) and API tokens (make,
revoke); and the audit log, which owners and admins read. Every change is CSRF-checked
(hq.auth.users_form) and written to the audit log with the signed-in user as its actor."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from hq import audit, auth, groups, i18n, users
from hq.auth import HqDep, Principal
from hq.errors import Forbidden, HqError
from hq.pages import audit_page, tokens_page, users_page
from hq.params import RowIdPath
from hq.roles import Role
from hq.service import Hq

users_read = APIRouter(dependencies=[Depends(auth.users_page)], include_in_schema=False)
users_write = APIRouter(dependencies=[Depends(auth.users_form)], include_in_schema=False)
audit_read = APIRouter(dependencies=[Depends(auth.audit_page)], include_in_schema=False)

OwnerPageDep = Annotated[Principal, Depends(auth.users_page)]
OwnerFormDep = Annotated[Principal, Depends(auth.users_form)]
AuditReaderDep = Annotated[Principal, Depends(auth.audit_page)]
UserName = Annotated[str, Path(max_length=64)]
AUDIT_PAGE_ROWS = 500


def _users_page(
    hq: Hq,
    user: Principal,
    *,
    error: str | None = None,
    notice: str | None = None,
    new_password: tuple[str, str] | None = None,
) -> str:
    return users_page(
        users=users.users(hq),
        groups=groups.groups(hq),
        user=user,
        error=error,
        notice=notice,
        new_password=new_password,
    )


def _not_yourself(user: Principal, name: str) -> None:
    if name == user.name:
        raise Forbidden(
            "You cannot change or remove your own user here (HQ must keep an owner); ask "
            "another owner, or use nps-hq users."
        )


@users_read.get("/users", response_class=HTMLResponse)
def users_list(hq: HqDep, user: OwnerPageDep) -> HTMLResponse:
    return HTMLResponse(_users_page(hq, user))


@users_write.post("/users", response_class=HTMLResponse)
async def add_user(request: Request, hq: HqDep, user: OwnerFormDep) -> HTMLResponse:
    form = await request.form()
    name = str(form.get("username") or "").strip()
    typed = str(form.get("password") or "")
    password = typed or secrets.token_urlsafe(12)  # shown once below
    try:
        role = Role.parse(str(form.get("role") or ""))
        await run_in_threadpool(
            lambda: users.add_user(
                hq,
                name,
                password=password,
                role=role,
                contact=bool(form.get("contact")),
                groups=[str(g) for g in form.getlist("groups")],
                actor=user.name,
            )
        )
    except HqError as exc:
        return HTMLResponse(_users_page(hq, user, error=i18n.explain(exc)), status_code=422)
    return HTMLResponse(
        _users_page(
            hq,
            user,
            notice=i18n.texts().gettext("User {user} added as {role}.", user=name, role=role.value),
            new_password=None if typed else (name, password),
        )
    )


@users_write.post("/users/{name}/role")
async def change_role(request: Request, hq: HqDep, user: OwnerFormDep, name: UserName) -> Response:
    _not_yourself(user, name)
    form = await request.form()
    try:
        role = Role.parse(str(form.get("role") or ""))
        await run_in_threadpool(
            lambda: users.set_role(
                hq,
                name,
                role,
                contact=bool(form.get("contact")),
                groups=[str(g) for g in form.getlist("groups")],
                actor=user.name,
            )
        )
    except HqError as exc:
        if isinstance(exc, LookupError):
            raise
        return HTMLResponse(_users_page(hq, user, error=i18n.explain(exc)), status_code=422)
    return HTMLResponse(
        _users_page(
            hq,
            user,
            notice=i18n.texts().gettext(
                "{user} is now {role}; they were signed out.", user=name, role=role.value
            ),
        )
    )


@users_write.post("/users/{name}/password", response_class=HTMLResponse)
def reset_password(hq: HqDep, user: OwnerFormDep, name: UserName) -> HTMLResponse:
    _not_yourself(user, name)
    password = users.reset_password(hq, name, actor=user.name)
    return HTMLResponse(_users_page(hq, user, new_password=(name, password)))


@users_write.post("/users/{name}/remove", response_class=HTMLResponse)
def remove_user(hq: HqDep, user: OwnerFormDep, name: UserName) -> HTMLResponse:
    _not_yourself(user, name)
    users.remove_user(hq, name, actor=user.name)
    notice = i18n.texts().gettext("{user} removed and signed out.", user=name)
    return HTMLResponse(_users_page(hq, user, notice=notice))


def _tokens_page(
    hq: Hq,
    user: Principal,
    *,
    error: str | None = None,
    new_token: tuple[str, str] | None = None,
) -> str:
    return tokens_page(
        tokens=hq.api_tokens(),
        groups=groups.groups(hq),
        user=user,
        error=error,
        new_token=new_token,
    )


@users_read.get("/tokens", response_class=HTMLResponse)
def tokens_list(hq: HqDep, user: OwnerPageDep) -> HTMLResponse:
    return HTMLResponse(_tokens_page(hq, user))


@users_write.post("/tokens", response_class=HTMLResponse)
async def make_token(request: Request, hq: HqDep, user: OwnerFormDep) -> HTMLResponse:
    form = await request.form()
    name = str(form.get("name") or "").strip()
    chosen = [str(g) for g in form.getlist("groups") if str(g).strip()]
    contact = form.get("contact") in ("1", "on")
    if not name:
        error = i18n.texts().gettext("Name the token: say what it is for.")
        page = await run_in_threadpool(lambda: _tokens_page(hq, user, error=error))
        return HTMLResponse(page, status_code=422)
    token = await run_in_threadpool(
        lambda: hq.create_api_token(name, actor=user.name, contact=contact, groups=chosen)
    )
    page = await run_in_threadpool(lambda: _tokens_page(hq, user, new_token=(name, token)))
    return HTMLResponse(page)


@users_write.post("/tokens/{token_id}/revoke")
def revoke_token(hq: HqDep, user: OwnerFormDep, token_id: RowIdPath) -> Response:
    hq.revoke_api_token_id(token_id, actor=user.name)
    return RedirectResponse("/tokens", status_code=303)


AuditText = Annotated[str | None, Query(max_length=200)]


def _audit_filter(actor: str | None, action: str | None, target: str | None) -> audit.AuditFilter:
    return audit.AuditFilter(
        actor=(actor or "").strip() or None,
        action=(action or "").strip() or None,
        target=(target or "").strip() or None,
    )


@audit_read.get("/audit", response_class=HTMLResponse)
def audit_log(
    hq: HqDep,
    user: AuditReaderDep,
    actor: AuditText = None,
    action: AuditText = None,
    target: AuditText = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> HTMLResponse:
    """The newest entries (AUDIT_PAGE_ROWS a page, "Older" pages back by id), narrowed by
    actor, action (or its prefix) and target."""
    where = _audit_filter(actor, action, target)
    rows = audit.entries(
        hq, limit=AUDIT_PAGE_ROWS + 1, newest_first=True, before_id=before, where=where
    )
    older = rows[AUDIT_PAGE_ROWS - 1].id if len(rows) > AUDIT_PAGE_ROWS else None
    query = {k: v for k, v in asdict(where).items() if v}
    return HTMLResponse(
        audit_page(
            entries=rows[:AUDIT_PAGE_ROWS],
            user=user,
            limit=AUDIT_PAGE_ROWS,
            where=query,
            older=f"/audit?{urlencode({**query, 'before': older})}" if older else None,
            newest="/audit?" + urlencode(query) if before else None,
            csv_href="/audit.csv" + (f"?{urlencode(query)}" if query else ""),
        )
    )


@audit_read.get("/audit.csv")
def audit_csv(
    hq: HqDep, actor: AuditText = None, action: AuditText = None, target: AuditText = None
) -> StreamingResponse:
    where = _audit_filter(actor, action, target)
    return StreamingResponse(
        audit.export_lines(audit.entries(hq, where=where), fmt="csv"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="hq-audit.csv"'},
    )
