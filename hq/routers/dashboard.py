"""The dashboard (every signed-in role, a viewer's stores only) and what every page needs before
that: sign-in, sign-out, one's own password, fonts and the small script."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from core.assets import assets_dir
from hq import analytics, auth, i18n, sessions, throttle, users
from hq.auth import SESSION_COOKIE, HqDep, Principal
from hq.db import utcnow
from hq.errors import HqError, TooManyAttempts, Unauthorized
from hq.pages import dashboard_page, login_page, password_page

FONTS = {
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansDevanagari-Bold.ttf",
}
STATIC = {"hq.js": "text/javascript; charset=utf-8"}
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(dependencies=[Depends(auth.read_page)], include_in_schema=False)
account = APIRouter(dependencies=[Depends(auth.own_account_form)], include_in_schema=False)
public = APIRouter(dependencies=[Depends(auth.public)], include_in_schema=False)

ReaderPageDep = Annotated[Principal, Depends(auth.read_page)]
AccountFormDep = Annotated[Principal, Depends(auth.own_account_form)]


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/", response_class=HTMLResponse)
def home(
    hq: HqDep, user: ReaderPageDep, group: Annotated[str | None, Query(max_length=64)] = None
) -> HTMLResponse:
    board = analytics.dashboard(hq, group_id=group or None, store_ids=user.store_ids)
    return HTMLResponse(dashboard_page(board, user=user, now=utcnow()))


@router.get("/account/password", response_class=HTMLResponse)
def password_form(user: ReaderPageDep, changed: bool = False) -> HTMLResponse:
    return HTMLResponse(password_page(user=user, changed=changed))


@account.post("/account/password", response_class=HTMLResponse)
async def change_password(request: Request, hq: HqDep, user: AccountFormDep) -> Response:
    """A new password for the signed-in user: the current one is checked (throttled like a
    sign-in), every session of theirs ends, and this browser gets a new one."""
    form = await request.form()
    current, new = str(form.get("current") or ""), str(form.get("new") or "")
    if new != str(form.get("repeat") or ""):
        return HTMLResponse(
            password_page(
                user=user,
                error=i18n.texts().gettext("The new passwords differ; type the same one twice."),
            ),
            status_code=422,
        )
    try:
        await run_in_threadpool(
            throttle.attempt_login, hq, user.name, current, client=_client(request)
        )
    except Unauthorized:
        return HTMLResponse(
            password_page(
                user=user,
                error=i18n.texts().gettext("Your current password is wrong; type it again."),
            ),
            status_code=422,
        )
    except TooManyAttempts as exc:
        return HTMLResponse(
            password_page(user=user, error=i18n.explain(exc)),
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    try:
        await run_in_threadpool(lambda: users.set_password(hq, user.name, new, actor=user.name))
    except HqError as exc:
        return HTMLResponse(password_page(user=user, error=i18n.explain(exc)), status_code=422)
    fresh = await run_in_threadpool(sessions.start_session, hq, user.name)
    resp = RedirectResponse("/account/password?changed=true", status_code=303)
    resp.set_cookie(SESSION_COOKIE, fresh.cookie, **sessions.cookie_options(hq))
    return resp


@account.post("/logout")
async def logout(request: Request, hq: HqDep) -> Response:
    await run_in_threadpool(sessions.end_session, hq, request.cookies.get(SESSION_COOKIE))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@public.get("/login", response_class=HTMLResponse)
def login_form() -> HTMLResponse:
    return HTMLResponse(login_page())


@public.post("/login")
async def login(request: Request, hq: HqDep) -> Response:
    """Sign in (throttled per account and per client: hq.throttle); a wrong and an unknown
    user name get the same answer."""
    form = await request.form()
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    try:
        await run_in_threadpool(
            throttle.attempt_login, hq, username, password, client=_client(request)
        )
    except Unauthorized as exc:
        return HTMLResponse(login_page(error=i18n.explain(exc)), status_code=401)
    except TooManyAttempts as exc:
        return HTMLResponse(
            login_page(error=i18n.explain(exc)),
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    new = await run_in_threadpool(sessions.start_session, hq, username)
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(SESSION_COOKIE, new.cookie, **sessions.cookie_options(hq))
    return resp


@public.get("/lang")
def choose_language(to: str = "", next: str = "/") -> Response:
    """The language links of every page: remember the choice in the ``lang`` cookie (a year)
    and go back to the page (a path on this site only)."""
    back = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    resp = RedirectResponse(back, status_code=303)
    if to in i18n.LANGUAGES:
        resp.set_cookie(
            i18n.COOKIE, to, max_age=i18n.COOKIE_MAX_AGE_S, path="/", samesite="lax", httponly=True
        )
    return resp


@public.get("/static/fonts/{name}")
def font(name: str) -> Response:
    if name not in FONTS:
        return JSONResponse({"detail": "No such font."}, status_code=404)
    return FileResponse(
        Path(assets_dir()) / "fonts" / name,
        media_type="font/ttf",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@public.get("/static/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC:
        return JSONResponse({"detail": "No such file."}, status_code=404)
    return FileResponse(
        STATIC_DIR / name, media_type=STATIC[name], headers={"Cache-Control": "no-cache"}
    )
