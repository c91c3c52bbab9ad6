"""The analyst dashboard (signed in) and what every page needs before that: sign-in, sign-out,
fonts and the small script."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from core.assets import assets_dir
from hq import analytics, auth
from hq.auth import SESSION_COOKIE, HqDep, PageUserDep
from hq.db import utcnow
from hq.pages import dashboard_page, login_page
from hq.security import sign_session

FONTS = {
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansDevanagari-Bold.ttf",
}
STATIC = {"hq.js": "text/javascript; charset=utf-8"}
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(dependencies=[Depends(auth.signed_in_page)], include_in_schema=False)
public = APIRouter(dependencies=[Depends(auth.public)], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(
    hq: HqDep, user: PageUserDep, group: Annotated[str | None, Query(max_length=64)] = None
) -> HTMLResponse:
    board = analytics.dashboard(hq, group_id=group or None)
    return HTMLResponse(dashboard_page(board, user=user.name, now=utcnow()))


@public.get("/login", response_class=HTMLResponse)
def login_form() -> HTMLResponse:
    return HTMLResponse(login_page())


@public.post("/login")
async def login(request: Request, hq: HqDep) -> Response:
    form = await request.form()
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    ok = await run_in_threadpool(hq.check_analyst, username, password)
    if not ok:
        return HTMLResponse(login_page(error="Wrong user name or password."), status_code=401)
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        sign_session(hq.server_key, username=username),
        httponly=True,
        samesite="strict",
        max_age=12 * 3600,
        secure=request.url.scheme == "https",
    )
    return resp


@public.post("/logout")
def logout() -> Response:
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
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
