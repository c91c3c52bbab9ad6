"""The analyst API: responses a page at a time, NPS with its interval, full exports.

Every role may call it (hq.auth.read_api); what a caller gets depends on it: a viewer only the
stores of their groups (asking for another store by name is 403; a group outside their scope
gives nothing), and without the contact grant (API tokens, analysts without ``contact``,
admins, viewers) the rows carry no contact_name/contact_detail fields or columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse

from hq import analytics, auth
from hq.analytics import ResponseFilter
from hq.auth import HqDep, Principal, ReaderDep
from hq.errors import Forbidden
from hq.params import BoundedDatetime, FromQuery
from hq.roles import Action
from hq.routers.common import ERRORS, utc

router = APIRouter(tags=["analysts"], dependencies=[Depends(auth.read_api)], responses=ERRORS)


def scoped(caller: Principal, store: str | None) -> frozenset[str] | None:
    """The stores ``caller`` may read (None: all); 403 for an explicit store outside them."""
    if store is not None and not caller.sees_store(store):
        raise Forbidden(
            f"Store {store!r} is not in your groups; ask an owner to add it to one of them "
            "(nps-hq users role NAME viewer --group GROUP)."
        )
    return caller.store_ids


def _fields(caller: Principal) -> tuple[str, ...]:
    if caller.may(Action.READ_CONTACT):
        return analytics.EXPORT_FIELDS
    return analytics.NO_CONTACT_FIELDS


def _rows(caller: Principal, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    if caller.may(Action.READ_CONTACT):
        return rows
    return (analytics.without_contact(r) for r in rows)


@router.get("/api/v1/responses")
def list_responses(
    request: Request,
    hq: HqDep,
    caller: ReaderDep,
    store: Annotated[str | None, Query(max_length=64)] = None,
    since: BoundedDatetime | None = None,
    until: BoundedDatetime | None = None,
    channel: Literal["kiosk", "qr"] | None = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    format: Literal["json", "csv"] = "json",
    group: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Responses in receive order, a page at a time: pass ``cursor`` as ``after``."""
    flt = ResponseFilter(
        store_id=store,
        since=utc(since),
        until=utc(until),
        channel=channel,
        group_id=group,
        store_ids=scoped(caller, store),
    )
    try:
        rows, cursor, more = analytics.page_responses(hq, flt, after=after, limit=limit)
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("query", "after"), "msg": str(exc), "type": "value_error"}]
        ) from exc
    rows = list(_rows(caller, iter(rows)))
    if format == "csv" or "text/csv" in request.headers.get("accept", ""):
        text = "".join(analytics.iter_csv(iter(rows), _fields(caller)))
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"X-Next-Cursor": cursor, "X-Has-More": str(more).lower()},
        )
    return JSONResponse({"responses": rows, "cursor": cursor, "has_more": more})


@router.get("/api/v1/nps")
def get_nps(
    hq: HqDep,
    caller: ReaderDep,
    store: Annotated[str | None, Query(max_length=64)] = None,
    from_: FromQuery = None,
    to: BoundedDatetime | None = None,
    channel: Literal["kiosk", "qr"] | None = None,
    group_by: Literal["day", "week", "store", "channel", "group"] | None = None,
    include_suspect: bool = False,
    group: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    """NPS with its 95% interval (core.nps: the kiosk shows the same numbers);
    ``group_by=group`` gives each store group's NPS, ``group`` keeps one group's stores."""
    flt = ResponseFilter(
        store_id=store,
        group_id=group,
        since=utc(from_),
        until=utc(to),
        channel=channel,
        include_suspect=include_suspect,
        store_ids=scoped(caller, store),
    )
    groups = analytics.nps_groups(hq, flt, group_by=group_by)
    return JSONResponse(
        {
            "group_by": group_by,
            "include_suspect": include_suspect,
            "groups": [g.as_dict() for g in groups],
        }
    )


@router.get("/api/v1/export")
def export(
    hq: HqDep,
    caller: ReaderDep,
    format: Literal["csv", "jsonl"] = "csv",
    store: Annotated[str | None, Query(max_length=64)] = None,
    group: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """Every response (streamed), as CSV or JSON lines, of one store or group or all."""
    flt = ResponseFilter(store_id=store, group_id=group, store_ids=scoped(caller, store))
    rows = _rows(caller, analytics.iter_responses(hq, flt))
    if format == "csv":
        return StreamingResponse(analytics.iter_csv(rows, _fields(caller)), media_type="text/csv")
    return StreamingResponse(analytics.iter_jsonl(rows), media_type="application/x-ndjson")
