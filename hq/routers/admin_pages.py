"""The owner's pages: users (add, change role, reset password, remove) and API tokens (make,
revoke); and the audit log, which owners and admins read. Every change is CSRF-checked
(hq.auth.users_form) and written to the audit log with the signed-in user as its actor."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
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


@users_read.get("/tokens", response_class=HTMLResponse)
def tokens_list(hq: HqDep, user: OwnerPageDep) -> HTMLResponse:
    return HTMLResponse(tokens_page(tokens=hq.api_tokens(), user=user))


@users_write.post("/tokens", response_class=HTMLResponse)
async def make_token(request: Request, hq: HqDep, user: OwnerFormDep) -> HTMLResponse:
    form = await request.form()
    name = str(form.get("name") or "").strip()
    if not name:
        return HTMLResponse(
            tokens_page(
                tokens=hq.api_tokens(),
                user=user,
                error=i18n.texts().gettext("Name the token: say what it is for."),
            ),
            status_code=422,
        )
    token = await run_in_threadpool(lambda: hq.create_api_token(name, actor=user.name))
    return HTMLResponse(tokens_page(tokens=hq.api_tokens(), user=user, new_token=(name, token)))


@users_write.post("/tokens/{token_id}/revoke")
def revoke_token(hq: HqDep, user: OwnerFormDep, token_id: RowIdPath) -> Response:
    hq.revoke_api_token_id(token_id, actor=user.name)
    return RedirectResponse("/tokens", status_code=303)


@audit_read.get("/audit", response_class=HTMLResponse)
def audit_log(hq: HqDep, user: AuditReaderDep) -> HTMLResponse:
    latest = audit.entries(hq, limit=AUDIT_PAGE_ROWS, newest_first=True)
    return HTMLResponse(audit_page(entries=latest, user=user, limit=AUDIT_PAGE_ROWS))


@audit_read.get("/audit.csv")
def audit_csv(hq: HqDep) -> StreamingResponse:
    return StreamingResponse(
        audit.export_lines(audit.entries(hq), fmt="csv"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="hq-audit.csv"'},
    )
