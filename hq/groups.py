"""Store groups (a region, a format, a franchisee): adding them and putting stores in them.

A store is in at most one group of each kind, so ``set_group`` moves it out of its previous
group of that kind. Groups of different kinds overlap: a store counts in its region and in its
format alike, and ``group_by=group`` splits the chain once per group.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from core.said import Said
from hq.db import utcnow
from hq.errors import AlreadyExists, ConfigError, NotFound
from hq.models import StoreGroupMemberRow, StoreGroupRow, StoreRow
from hq.rollups import refresh_time_zones
from hq.service import Hq
from hq.service import _check_id as check_id

GROUP_KINDS = ("region", "format", "franchisee", "other")


@dataclass(frozen=True)
class StoreGroup:
    group_id: str
    name: str
    kind: str
    stores: tuple[str, ...]


def add_group(hq: Hq, group_id: str, *, name: str | None = None, kind: str = "region") -> None:
    check_id(group_id, "group id")
    if kind not in GROUP_KINDS:
        raise ConfigError(
            Said(
                "A group kind is one of {kinds}, not {kind}.",
                kinds=", ".join(GROUP_KINDS),
                kind=repr(kind),
            )
        )
    with hq.db.writing() as s:
        if s.get(StoreGroupRow, group_id) is not None:
            raise AlreadyExists(
                f"Group {group_id!r} exists already; put stores in it with: "
                f"nps-hq set-group --store STORE --group {group_id}"
            )
        s.add(
            StoreGroupRow(
                group_id=group_id,
                name=(name or group_id).strip()[:120] or group_id,
                kind=kind,
                created_at=utcnow(),
            )
        )


def set_group(hq: Hq, *, store_id: str, group_id: str) -> str | None:
    """Put the store in the group; returns the group of the same kind it left, if any."""
    with hq.db.writing() as s:
        group = s.get(StoreGroupRow, group_id)
        if group is None:
            raise NotFound(
                f"There is no group {group_id!r}; add it first with: nps-hq add-group {group_id}"
            )
        if s.get(StoreRow, store_id) is None:
            raise NotFound(
                Said("There is no store {store}; see nps-hq add-store.", store=repr(store_id))
            )
        same_kind = select(StoreGroupRow.group_id).where(StoreGroupRow.kind == group.kind)
        left = s.scalar(
            select(StoreGroupMemberRow.group_id).where(
                StoreGroupMemberRow.store_id == store_id,
                StoreGroupMemberRow.group_id.in_(same_kind),
                StoreGroupMemberRow.group_id != group_id,
            )
        )
        s.execute(
            delete(StoreGroupMemberRow).where(
                StoreGroupMemberRow.store_id == store_id,
                StoreGroupMemberRow.group_id.in_(same_kind),
            )
        )
        s.add(StoreGroupMemberRow(store_id=store_id, group_id=group_id))
        s.flush()
        # A group may set the store's time zone: its rollups follow in this transaction.
        refresh_time_zones(s.connection())
    return left


def groups(hq: Hq) -> list[StoreGroup]:
    with hq.db.reading() as s:
        rows = s.execute(
            select(StoreGroupRow.group_id, StoreGroupRow.name, StoreGroupRow.kind).order_by(
                StoreGroupRow.kind, StoreGroupRow.group_id
            )
        ).all()
        members = s.execute(
            select(StoreGroupMemberRow.group_id, StoreGroupMemberRow.store_id).order_by(
                StoreGroupMemberRow.store_id
            )
        ).all()
    by_group: dict[str, list[str]] = {}
    for gid, sid in members:
        by_group.setdefault(gid, []).append(sid)
    return [
        StoreGroup(group_id=g, name=n, kind=k, stores=tuple(by_group.get(g, ())))
        for g, n, k in rows
    ]


def group_stores(hq: Hq, group_id: str) -> list[str]:
    """The stores of a group; NotFound for an unknown group."""
    with hq.db.reading() as s:
        if s.get(StoreGroupRow, group_id) is None:
            raise NotFound(f"There is no group {group_id!r}; see nps-hq list-groups.")
        return list(
            s.scalars(
                select(StoreGroupMemberRow.store_id).where(StoreGroupMemberRow.group_id == group_id)
            )
        )


def store_groups(hq: Hq, store_id: str) -> list[str]:
    with hq.db.reading() as s:
        return list(
            s.scalars(
                select(StoreGroupMemberRow.group_id)
                .where(StoreGroupMemberRow.store_id == store_id)
                .order_by(StoreGroupMemberRow.group_id)
            )
        )
