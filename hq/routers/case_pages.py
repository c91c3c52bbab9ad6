"""The Cases page (hq.cases): every follow-up case of the stores in the user's scope, with
filters and a CSV of the same rows; contact details only for a user who may read them.
Owners, admins and viewers (a regional manager: their own stores only) change a case's state
and note with the page's form (CSRF-checked, audited); the store's kiosks get the change at
their next sync."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from hq import auth, cases, groups, i18n, profiles
from hq.auth import HqDep, Principal
from hq.cases import CaseFilter
from hq.db import utcnow
from hq.pages import cases_page
from hq.roles import Action
from hq.service import Hq

cases_read = APIRouter(dependencies=[Depends(auth.read_page)], include_in_schema=False)
cases_write = APIRouter(dependencies=[Depends(auth.cases_form)], include_in_schema=False)

ScopedDep = Annotated[Principal, Depends(auth.read_page)]
ChangerDep = Annotated[Principal, Depends(auth.cases_form)]
FILTER_KEYS = ("store", "group", "state", "overdue", "days")
Short = Annotated[str, Query(max_length=64)]
ResponseIdPath = Annotated[str, Path(max_length=36)]


def _filter(
    store: Short = "", group: Short = "", state: Short = "", overdue: Short = "", days: Short = ""
) -> CaseFilter:
    """The page's filters from its query (a dependency of the page and the CSV alike)."""
    n = int(days) if days.strip().isdigit() else None
    return CaseFilter(
        store_id=store or None,
        group_id=group or None,
        state=state if state in cases.STATES else None,
        overdue=overdue in ("1", "on", "yes", "true"),
        days=n if n and 0 < n <= 3650 else None,
    )


FilterDep = Annotated[CaseFilter, Depends(_filter)]


def _page(hq: Hq, user: Principal, f: CaseFilter, *, error: str | None = None) -> str:
    now = utcnow()
    lines = cases.list_cases(hq, f, store_ids=user.store_ids, now=now)
    stores = [s for s in hq.stores() if user.sees_store(s.store_id)]
    visible = [
        g
        for g in groups.groups(hq)
        if user.store_ids is None or set(g.stores) & set(user.store_ids)
    ]
    return cases_page(
        lines=lines,
        reasons=profiles.reason_labels(hq, i18n.current()),
        f=f,
        stores=stores,
        groups=visible,
        user=user,
        contact=user.may(Action.READ_CONTACT),
        can_change=user.may(Action.MANAGE_CASES),
        error=error,
        query=urlencode(_query(f)),
    )


def _query(f: CaseFilter) -> list[tuple[str, str]]:
    out = []
    for key, value in (
        ("store", f.store_id),
        ("group", f.group_id),
        ("state", f.state),
        ("overdue", "1" if f.overdue else None),
        ("days", str(f.days) if f.days else None),
    ):
        if value:
            out.append((key, value))
    return out


@cases_read.get("/cases", response_class=HTMLResponse)
def cases_list(hq: HqDep, user: ScopedDep, f: FilterDep) -> HTMLResponse:
    """Follow-up cases of the stores in the user's scope (a viewer naming another store: 403;
    another group gives nothing)."""
    return HTMLResponse(_page(hq, user, f))


@cases_read.get("/cases.csv")
def cases_csv(hq: HqDep, user: ScopedDep, f: FilterDep) -> StreamingResponse:
    """The same cases as CSV; contact columns only for a user who may read contact details."""
    lines = cases.list_cases(hq, f, store_ids=user.store_ids, limit=cases.CSV_LIMIT)
    return StreamingResponse(
        cases.csv_lines(lines, contact=user.may(Action.READ_CONTACT)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="hq-cases.csv"'},
    )


@cases_write.post("/cases/{response_id}", response_class=HTMLResponse)
async def change_case(
    request: Request, hq: HqDep, user: ChangerDep, response_id: ResponseIdPath
) -> Response:
    """Set a case's state and note (stamped with the user and now, audited); back to the page
    with the filters it was sent from."""
    form = await request.form()
    back = [(k, v) for k, v in parse_qsl(str(form.get("back") or "")) if k in FILTER_KEYS]
    try:
        await run_in_threadpool(
            lambda: cases.set_case(
                hq,
                response_id,
                state=str(form.get("state") or ""),
                note=str(form.get("note") or ""),
                by=user.name,
                store_ids=user.store_ids,
            )
        )
    except cases.CaseError as exc:
        f = _filter(*(dict(back).get(k, "") for k in FILTER_KEYS))
        message = str(exc)
        page = await run_in_threadpool(lambda: _page(hq, user, f, error=message))
        return HTMLResponse(page, status_code=422)
    target = "/cases" + (f"?{urlencode(back)}" if back else "")
    return RedirectResponse(f"{target}#case-{response_id}", status_code=303)
