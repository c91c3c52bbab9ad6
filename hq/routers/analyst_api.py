"""The analyst API: responses a page at a time, NPS with its interval, full exports.

Every role may call it (hq.auth.read_api); what a caller gets depends on it: a viewer only the
stores of their groups (asking for another store by name is 403; a group outside their scope
gives nothing), and without the contact grant (API tokens, analysts without ``contact``,
admins, viewers) the rows carry no contact_name/contact_detail fields or columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from core.profile import StoreProfileV1, SurveyVersionV1
from core.protocol import MAX_INT32
from hq import analytics, auth, fleet, profiles
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
    group_by: analytics.GroupBy | None = None,
    include_suspect: bool = False,
    group: Annotated[str | None, Query(max_length=64)] = None,
    survey_version: Annotated[int | None, Query(ge=1, le=MAX_INT32)] = None,
) -> JSONResponse:
    """NPS with its 95% interval (core.nps: the kiosk shows the same numbers);
    ``group_by=group`` gives each store group's NPS, ``group`` keeps one group's stores;
    ``survey_version`` keeps the answers asked with one published survey version, and
    ``group_by=survey_version`` splits by it (answers from v1 kiosks: "unknown")."""
    flt = ResponseFilter(
        survey_version=survey_version,
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


@router.get("/api/v1/profiles/{store}", response_model=StoreProfileV1)
def get_profile(hq: HqDep, caller: ReaderDep, store: Annotated[str, Path(max_length=64)]) -> Any:
    """A store's current profile (what its kiosks get from GET /api/v1/profile, unsigned)."""
    scoped(caller, store)
    return profiles.current_profile(hq, store)


class SurveyListItem(BaseModel):
    id: int
    form: str
    name: str
    languages: list[str]
    published_at: datetime | None
    stores: int


@router.get("/api/v1/surveys", response_model=list[SurveyListItem])
def list_surveys(hq: HqDep, caller: ReaderDep) -> Any:
    """Every published survey version, newest first, with how many stores ask it now (of the
    caller's stores)."""
    used = profiles.surveys_in_use(hq)
    return [
        SurveyListItem(
            id=v.id,
            form=form,
            name=v.name,
            languages=list(v.languages),
            published_at=v.published_at,
            stores=sum(1 for st in used.get(v.id, []) if caller.sees_store(st)),
        )
        for form, v in profiles.published(hq)
    ]


@router.get("/api/v1/surveys/{survey_id}", response_model=SurveyVersionV1)
def get_survey(
    hq: HqDep, caller: ReaderDep, survey_id: Annotated[int, Path(ge=1, le=MAX_INT32)]
) -> Any:
    """One published survey version: its languages and texts."""
    return profiles.survey_version(hq, survey_id)[1]


class DeviceHealthItem(BaseModel):
    """One kiosk's last health report (protocol v2), as on the Devices page."""

    device_id: str
    store_id: str
    store_name: str
    time_zone: str
    state: Literal["active", "revoked"]
    app_version: str | None
    newest_version: str | None
    behind: bool
    schema_revision: str | None
    db_bytes: int | None
    free_disk_bytes: int | None
    backlog: int | None
    oldest_pending_at: datetime | None
    clock_offset_s: float | None
    started_at: datetime | None
    recoveries_since_sync: int | None
    suspect_rate: float | None
    profile_applied: int | None
    profile_current: int
    last_sync_at: datetime | None
    last_sync_local: str | None
    health_at: datetime | None
    problems: list[str]


@router.get("/api/v1/devices", response_model=list[DeviceHealthItem])
def list_devices(
    hq: HqDep, caller: ReaderDep, store: Annotated[str | None, Query(max_length=64)] = None
) -> Any:
    """Every enrolled kiosk's last health report (a viewer: their stores'), by store: app
    version and whether it is behind the chain's newest, disk, backlog, clock offset from HQ,
    crash recoveries, suspect rate, the profile version applied against the store's current
    one, and ``problems`` (low disk, clock skew, behind, profile not applied, not syncing)."""
    rows = fleet.device_health(hq, store_ids=scoped(caller, store))
    return [r.as_json() for r in rows if store is None or r.store_id == store]
