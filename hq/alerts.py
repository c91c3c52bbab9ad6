"""Alert rules and the alerts they make.

Response alerts (a detractor's comment, a detractor who asked to be contacted, a spike of suspect
responses) are written by :func:`alerts_for_responses` inside the ingest transaction, so the
responses and their alerts are committed together or not at all. Device health alerts (low disk,
clock skew, an app version behind the chain's newest, a spike of crash recoveries) are written
by :func:`alerts_for_health`, also in the ingest transaction, when a protocol v2 batch brings a
health report that HQ keeps (see that function for when one alerts). Store alerts (an NPS dip, a
device that stopped syncing) are found by :func:`evaluate`, which the delivery worker runs now
and then. Each alert puts one row per recipient in the ``deliveries`` outbox; sending is the
worker's job (hq.delivery), never ingest's.

The dip test: for the last N days against the N days before, each period's NPS is estimated by
the adjusted-Wald method (core.nps: add 3 to n and 3/4 to promoters and detractors). The drop
is significant when the two 95% intervals do not overlap, or when the two-sample z statistic
``(NPS'_prev - NPS'_cur) / sqrt(SE'_prev^2 + SE'_cur^2)`` is above 1.96 (a drop with under
2.5% chance of being noise; the rule's ``z`` changes the bar). Both periods need ``min_n``
responses (30 by default), suspect responses left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.nps import Z_95, NpsResult, nps_from_counts
from core.said import Said
from hq import i18n
from hq.audit import record_in
from hq.db import utcnow
from hq.errors import AlertRuleError, NotFound
from hq.i18n import N_
from hq.models import (
    AlertRow,
    AlertRuleRow,
    DeliveryRow,
    DeviceRow,
    ResponseRow,
    StoreGroupMemberRow,
    StoreGroupRow,
    StoreRow,
    WebhookRow,
)
from hq.service import Hq

RULE_KINDS: dict[str, str] = {
    "detractor_comment": N_("Detractor with a comment"),
    "contact_request": N_("Detractor who asked to be contacted"),
    "nps_dip": N_("NPS dropped more than chance explains"),
    "stale_device": N_("Device not syncing"),
    "suspect_spike": N_("Spike of suspect responses"),
    "low_disk": N_("Kiosk low on disk space"),
    "clock_skew": N_("Kiosk clock off HQ's"),
    "app_behind": N_("Kiosk app behind the newest in the chain"),
    "recoveries_spike": N_("Kiosk crash recoveries"),
    "case_overdue": N_("Follow-up case not resolved in time"),
}
RESPONSE_KINDS = ("detractor_comment", "contact_request", "suspect_spike")
STORE_KINDS = ("nps_dip", "stale_device", "case_overdue")
HEALTH_KINDS = ("low_disk", "clock_skew", "app_behind", "recoveries_spike")
DEFAULT_PARAMS: dict[str, dict[str, float]] = {
    "detractor_comment": {},
    "contact_request": {},
    "nps_dip": {"days": 7, "min_n": 30, "z": round(Z_95, 2)},
    "stale_device": {"hours": 24},
    "suspect_spike": {"count": 10, "minutes": 60},
    "low_disk": {"mb": 200},
    "clock_skew": {"seconds": 300},
    "app_behind": {},
    "recoveries_spike": {"count": 3},
    "case_overdue": {"hours": 48},
}
MODES = ("now", "digest")


def new_id() -> str:
    from core.ids import uuid7

    return str(uuid7())


@dataclass(frozen=True)
class Recipient:
    """``email:ADDRESS`` or ``webhook:NAME``; ``;contact`` after it lets this recipient see a
    customer's contact details (everyone else is told the customer asked, not how to reach)."""

    channel: str
    target: str
    contact: bool = False

    @classmethod
    def parse(cls, text: str) -> Recipient:
        spec, _, flag = text.strip().partition(";")
        channel, _, target = spec.partition(":")
        channel, target = channel.strip().lower(), target.strip()
        ok = (channel == "email" and "@" in target and " " not in target) or (
            channel == "webhook" and target
        )
        if not ok or flag.strip() not in ("", "contact"):
            raise AlertRuleError(
                Said(
                    "A recipient is email:ADDRESS or webhook:NAME, optionally followed by "
                    "';contact' to show contact details; {text} is not.",
                    text=repr(text),
                )
            )
        return cls(channel=channel, target=target[:320], contact=flag.strip() == "contact")

    def __str__(self) -> str:
        return f"{self.channel}:{self.target}" + (";contact" if self.contact else "")


@dataclass(frozen=True)
class AlertRule:
    id: int
    name: str
    kind: str
    store_id: str | None
    group_id: str | None
    params: dict[str, float]
    recipients: tuple[Recipient, ...]
    mode: str
    disabled: bool = False

    @property
    def scope(self) -> str:
        """What the rule watches, in the request's language (hq.i18n; English for the CLI)."""
        t = i18n.texts()
        if self.store_id:
            return t.gettext("store {name}", name=self.store_id)
        if self.group_id:
            return t.gettext("group {name}", name=self.group_id)
        return t.gettext("every store")

    def describe(self) -> str:
        """What the rule watches for, in the request's language (hq.i18n)."""
        p, t = self.params, i18n.texts()
        if self.kind == "nps_dip":
            return t.gettext(
                "last {days} days vs the {days} before; z > {z}, at least {min_n} responses each",
                days=int(p["days"]),
                z=f"{p['z']:g}",
                min_n=int(p["min_n"]),
            )
        if self.kind == "stale_device":
            return t.gettext("no sync for {hours} hours", hours=f"{p['hours']:g}")
        if self.kind == "case_overdue":
            return t.gettext(
                "a follow-up case not resolved {hours} hours after the answer",
                hours=f"{p['hours']:g}",
            )
        if self.kind == "suspect_spike":
            return t.gettext(
                "{count} suspect in {minutes} minutes",
                count=int(p["count"]),
                minutes=int(p["minutes"]),
            )
        if self.kind == "low_disk":
            return t.gettext("free disk below {mb} MB", mb=f"{p['mb']:g}")
        if self.kind == "clock_skew":
            return t.gettext("clock more than {seconds} s off HQ's", seconds=f"{p['seconds']:g}")
        if self.kind == "app_behind":
            return t.gettext("app version older than the newest in the chain")
        if self.kind == "recoveries_spike":
            return t.gettext(
                "{count} or more crash recoveries since the last sync", count=int(p["count"])
            )
        return t.gettext(RULE_KINDS[self.kind])


def _rule(row: AlertRuleRow) -> AlertRule:
    return AlertRule(
        id=int(row.id),
        name=row.name,
        kind=row.kind,
        store_id=row.store_id,
        group_id=row.group_id,
        params={**DEFAULT_PARAMS.get(row.kind, {}), **json.loads(row.params or "{}")},
        recipients=tuple(Recipient.parse(r) for r in json.loads(row.recipients or "[]")),
        mode=row.mode,
        disabled=row.disabled_at is not None,
    )


def add_rule(
    hq: Hq,
    *,
    name: str,
    kind: str,
    recipients: Iterable[str],
    mode: str = "now",
    store_id: str | None = None,
    group_id: str | None = None,
    params: dict[str, float] | None = None,
    actor: str = "system",
) -> AlertRule:
    """Keep a new rule; AlertRuleError says what is wrong with it. ``actor`` is who, for the
    audit log."""
    if kind not in RULE_KINDS:
        raise AlertRuleError(
            Said(
                "A rule kind is one of {kinds}, not {kind}.",
                kinds=", ".join(RULE_KINDS),
                kind=repr(kind),
            )
        )
    if mode not in MODES:
        raise AlertRuleError(
            Said("A rule's mode is 'now' or 'digest', not {mode}.", mode=repr(mode))
        )
    if store_id and group_id:
        raise AlertRuleError(Said("A rule watches one store, one group or every store, not both."))
    parsed = [Recipient.parse(r) for r in recipients if r.strip()]
    if not parsed:
        raise AlertRuleError(Said("Name at least one recipient: email:ADDRESS or webhook:NAME."))
    extra = dict(params or {})
    unknown = set(extra) - set(DEFAULT_PARAMS[kind])
    if unknown:
        raise AlertRuleError(
            f"A {kind} rule takes {', '.join(DEFAULT_PARAMS[kind]) or 'no settings'}, "
            f"not {', '.join(sorted(unknown))}."
        )
    if any(not isinstance(v, int | float) or v <= 0 for v in extra.values()):
        raise AlertRuleError(Said("Rule settings are positive numbers."))
    with hq.db.writing() as s:
        if store_id and s.get(StoreRow, store_id) is None:
            raise NotFound(
                Said("There is no store {store}; see nps-hq add-store.", store=repr(store_id))
            )
        if group_id and s.get(StoreGroupRow, group_id) is None:
            raise NotFound(
                Said("There is no group {group}; see nps-hq add-group.", group=repr(group_id))
            )
        for r in parsed:
            if r.channel == "webhook" and s.get(WebhookRow, r.target) is None:
                raise NotFound(
                    Said(
                        "There is no webhook {webhook}; add it with: nps-hq alerts add-webhook "
                        "{name} --url URL",
                        webhook=repr(r.target),
                        name=r.target,
                    )
                )
        row = AlertRuleRow(
            # Stored: an unnamed rule is named in the chain's language, like alert summaries.
            name=(name.strip() or i18n.texts(i18n.chain_language()).gettext(RULE_KINDS[kind]))[
                :120
            ],
            kind=kind,
            store_id=store_id or None,
            group_id=group_id or None,
            params=json.dumps(extra, sort_keys=True),
            recipients=json.dumps([str(r) for r in parsed]),
            mode=mode,
            created_at=utcnow(),
        )
        s.add(row)
        s.flush()
        record_in(s, actor=actor, action="rule.add", target=str(row.id), detail=row.name)
        return _rule(row)


def disable_rule(hq: Hq, rule_id: int, *, actor: str = "system") -> None:
    with hq.db.writing() as s:
        done = s.execute(
            update(AlertRuleRow)
            .where(AlertRuleRow.id == rule_id, AlertRuleRow.disabled_at.is_(None))
            .values(disabled_at=utcnow())
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
            raise NotFound(f"There is no active rule {rule_id}; see nps-hq alerts list.")
        record_in(s, actor=actor, action="rule.disable", target=str(rule_id))


def rules(hq: Hq, *, include_disabled: bool = False) -> list[AlertRule]:
    with hq.db.reading() as s:
        return _active_rules(s, kinds=None, include_disabled=include_disabled)


def _active_rules(
    s: Session, *, kinds: Iterable[str] | None, include_disabled: bool = False
) -> list[AlertRule]:
    stmt = select(AlertRuleRow).order_by(AlertRuleRow.id)
    if kinds is not None:
        stmt = stmt.where(AlertRuleRow.kind.in_(list(kinds)))
    if not include_disabled:
        stmt = stmt.where(AlertRuleRow.disabled_at.is_(None))
    return [_rule(r) for r in s.scalars(stmt)]


# The dip test ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DipTest:
    previous: NpsResult
    current: NpsResult
    drop: float  # adjusted NPS points, previous minus current
    z: float
    intervals_overlap: bool
    enough: bool  # both periods have min_n responses
    significant: bool


def _adjusted(r: NpsResult) -> tuple[float, float]:
    """The adjusted-Wald centre and variance (as fractions, not points) of an NPS."""
    n_adj = r.n + 3
    p = (r.promoters + 0.75) / n_adj
    d = (r.detractors + 0.75) / n_adj
    centre = p - d
    return centre, max(p + d - centre * centre, 0.0) / n_adj


def dip_test(
    *, previous: NpsResult, current: NpsResult, z_crit: float = Z_95, min_n: int = 30
) -> DipTest:
    """Did the NPS drop from ``previous`` to ``current`` by more than chance explains?"""
    c_prev, v_prev = _adjusted(previous)
    c_cur, v_cur = _adjusted(current)
    z = (c_prev - c_cur) / math.sqrt(v_prev + v_cur)
    overlap = not (
        previous.nps is not None
        and current.nps is not None
        and current.ci_high is not None
        and previous.ci_low is not None
        and current.ci_high < previous.ci_low
    )
    enough = previous.n >= min_n and current.n >= min_n
    return DipTest(
        previous=previous,
        current=current,
        drop=100 * (c_prev - c_cur),
        z=z,
        intervals_overlap=overlap,
        enough=enough,
        significant=enough and (not overlap or z > z_crit),
    )


# Making alerts ---------------------------------------------------------------------------


def _naive(value: Any) -> datetime:
    """A stored time (naive UTC): the SQLite insert path turns times into text."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _iso(value: Any) -> str:
    return f"{_naive(value).isoformat(timespec='seconds')}Z"


def local_time(value: Any, tz: str | None) -> str:
    """A stored (naive UTC) time as the store's local time with its zone's abbreviation, in
    the chain's language: how alert texts, e-mails and webhook summaries show a time."""
    from hq.analytics import local_label

    return local_label(_naive(value), tz or "UTC", i18n.chain_language())


def _canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class _Scope:
    """Stores' names and groups, read once per transaction."""

    names: dict[str, str] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)  # IANA names (stores.time_zone)

    @classmethod
    def load(cls, s: Session, stores: Iterable[str]) -> _Scope:
        ids = sorted(set(stores))
        out = cls()
        if not ids:
            return out
        for sid, name, tz in s.execute(
            select(StoreRow.store_id, StoreRow.name, StoreRow.time_zone).where(
                StoreRow.store_id.in_(ids)
            )
        ):
            out.names[sid] = name
            out.zones[sid] = tz or "UTC"
        for sid, gid in s.execute(
            select(StoreGroupMemberRow.store_id, StoreGroupMemberRow.group_id).where(
                StoreGroupMemberRow.store_id.in_(ids)
            )
        ):
            out.groups.setdefault(sid, set()).add(gid)
        return out

    def covers(self, rule: AlertRule, store_id: str) -> bool:
        if rule.store_id:
            return rule.store_id == store_id
        if rule.group_id:
            return rule.group_id in self.groups.get(store_id, set())
        return True


def _make_alert(
    s: Session,
    rule: AlertRule,
    *,
    scope: _Scope,
    store_id: str | None,
    dedupe_key: str,
    summary: str,
    details: dict[str, Any],
    now: datetime,
    response_id: str | None = None,
    check_exists: bool = True,
) -> str | None:
    """One alert and its outbox rows; None if this alert was made before."""
    if check_exists and s.scalar(select(AlertRow.id).where(AlertRow.dedupe_key == dedupe_key)):
        return None
    alert_id = new_id()
    payload: dict[str, Any] = {
        "type": "nps.alert",
        "id": alert_id,
        "created_at": _iso(now),
        "rule": {"id": rule.id, "name": rule.name, "kind": rule.kind},
        "store": None
        if store_id is None
        else {
            "id": store_id,
            "name": scope.names.get(store_id, store_id),
            "groups": sorted(scope.groups.get(store_id, ())),
        },
        "summary": summary,
        **details,
    }
    s.add(
        AlertRow(
            id=alert_id,
            rule_id=rule.id,
            kind=rule.kind,
            store_id=store_id,
            response_id=response_id,
            dedupe_key=dedupe_key[:200],
            summary=summary,
            payload=_canonical(payload),
            created_at=now,
        )
    )
    for r in rule.recipients:
        body = payload
        contact = (payload.get("response") or {}).get("contact")
        if contact and not r.contact:
            body = {**payload, "response": {**payload["response"], "contact": "hidden"}}
        s.add(
            DeliveryRow(
                id=new_id(),
                alert_id=alert_id,
                channel=r.channel,
                target=r.target,
                kind="alert",
                body=_canonical(body),
                status="pending" if rule.mode == "now" else "held",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
    return alert_id


def _response_details(row: dict[str, Any], tz: str) -> dict[str, Any]:
    """The answer as an alert's payload carries it: ``device_time`` (the till's clock, raw)
    and ``corrected_time`` in ISO UTC for machines; ``local_time``, the corrected time in the
    store's zone with its abbreviation, for people (e-mails show it)."""
    reasons = row.get("reasons") or "[]"
    contact = None
    if row.get("contact_consent"):
        contact = {"name": row.get("contact_name"), "detail": row.get("contact_detail")}
    return {
        "response": {
            "id": row["id"],
            "score": row["score"],
            "category": row["category"],
            "channel": row["channel"],
            "language": row["language"],
            "reasons": json.loads(reasons) if isinstance(reasons, str) else list(reasons),
            "comment": row.get("comment"),
            "contact_consent": bool(row.get("contact_consent")),
            "contact": contact,
            "device_id": row["device_id"],
            "device_time": _iso(row["device_time"]),
            "corrected_time": _iso(row["corrected_time"]),
            "local_time": local_time(row["corrected_time"], tz),
            "time_zone": tz,
        }
    }


def alerts_for_responses(s: Session, rows: list[dict[str, Any]], *, now: datetime) -> int:
    """Alerts for responses just inserted in this transaction (call it before the commit).
    Costs one small SELECT when no rule watches responses."""
    if not rows:
        return 0
    active = _active_rules(s, kinds=RESPONSE_KINDS)
    if not active:
        return 0
    scope = _Scope.load(s, (r["store_id"] for r in rows))
    made = 0
    for rule in active:
        if rule.kind == "suspect_spike":
            made += _spike(s, rule, rows, scope=scope, now=now)
            continue
        for row in rows:
            if row["score"] > 6 or row.get("suspect") or not scope.covers(rule, row["store_id"]):
                continue
            t = i18n.texts(i18n.chain_language())  # stored: the chain's language
            if rule.kind == "detractor_comment" and (row.get("comment") or "").strip():
                summary = t.gettext(
                    "Score {score} with a comment: {comment}",
                    score=row["score"],
                    comment=row["comment"][:140],
                )
            elif rule.kind == "contact_request" and row.get("contact_consent"):
                summary = t.gettext(
                    "Score {score}: the customer asked to be contacted", score=row["score"]
                )
            else:
                continue
            store_name = scope.names.get(row["store_id"], row["store_id"])
            tz = scope.zones.get(row["store_id"], "UTC")
            made += (
                _make_alert(
                    s,
                    rule,
                    scope=scope,
                    store_id=row["store_id"],
                    dedupe_key=f"r{rule.id}:response:{row['id']}",
                    # When it was answered: the corrected time, on the store's clock.
                    summary=f"{store_name} · {local_time(row['corrected_time'], tz)} · {summary}",
                    details=_response_details(row, tz),
                    now=now,
                    response_id=row["id"],
                    check_exists=False,  # the response is new in this transaction
                )
                is not None
            )
    return made


def _spike(
    s: Session, rule: AlertRule, rows: list[dict[str, Any]], *, scope: _Scope, now: datetime
) -> int:
    stores = {r["store_id"] for r in rows if r.get("suspect") and scope.covers(rule, r["store_id"])}
    minutes = int(rule.params["minutes"])
    since = now - timedelta(minutes=minutes)
    made = 0
    for store_id in sorted(stores):
        count = s.scalar(
            select(func.count())
            .select_from(ResponseRow)
            .where(
                ResponseRow.store_id == store_id,
                ResponseRow.suspect.is_(True),
                ResponseRow.received_at >= since,
            )
        )
        if not count or count < rule.params["count"]:
            continue
        # One alert per store per window of the rule's length.
        bucket = int(now.timestamp() // (minutes * 60))
        name = scope.names.get(store_id, store_id)
        made += (
            _make_alert(
                s,
                rule,
                scope=scope,
                store_id=store_id,
                dedupe_key=f"r{rule.id}:spike:{store_id}:{bucket}",
                summary=f"{name} · "
                + i18n.texts(i18n.chain_language()).ngettext(
                    "{n} suspect response in the last {minutes} minutes",
                    "{n} suspect responses in the last {minutes} minutes",
                    int(count),
                    minutes=minutes,
                ),
                details={"spike": {"suspect": int(count), "minutes": minutes}},
                now=now,
            )
            is not None
        )
    return made


# Device health ------------------------------------------------------------------------------

MB = 1024 * 1024


def _bad(rule: AlertRule, health: dict[str, Any] | None) -> bool:
    """Whether a health report is outside a low_disk or clock_skew rule's bound."""
    if not health:
        return False
    if rule.kind == "low_disk":
        free = health.get("free_disk_bytes")
        return free is not None and free < rule.params["mb"] * MB
    offset = health.get("clock_offset_s")
    return offset is not None and abs(offset) > rule.params["seconds"]


def _chain_versions(s: Session) -> list[str]:
    """The app versions the chain's active kiosks last reported (one pass over devices, in
    the database: only when an app_behind rule is on)."""
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        field_ = "json_extract(health, '$.app_version')"
    else:
        field_ = "CAST(health AS json) ->> 'app_version'"
    rows = conn.exec_driver_sql(
        f"SELECT DISTINCT {field_} FROM devices WHERE health IS NOT NULL AND revoked_at IS NULL"
    )
    return [str(r[0]) for r in rows if r[0]]


def alerts_for_health(
    s: Session,
    *,
    device_id: str,
    store_id: str,
    health: dict[str, Any],
    previous: dict[str, Any] | None,
    reported_at: datetime,
    now: datetime,
) -> int:
    """Health alerts for a report ingest has just stored (call it after the device's UPDATE,
    in the same transaction, so the chain's newest version includes this report's).

    Each rule alerts once per episode, not on every batch:

    - ``low_disk`` and ``clock_skew``: when the report is out of bounds and the previous one
      was not (or there was none), keyed by the report's time; a report still out of bounds
      alerts only if this rule never alerted for the device (a rule added during an episode).
    - ``app_behind``: once per (the device's version, the chain's newest version).
    - ``recoveries_spike``: once per process start of the kiosk (a new crash makes a new start).
    """
    from hq.fleet import is_behind, newest_version

    active = _active_rules(s, kinds=HEALTH_KINDS)
    if not active:
        return 0
    scope = _Scope.load(s, [store_id])
    name = scope.names.get(store_id, store_id)
    t = i18n.texts(i18n.chain_language())  # stored: the chain's language
    newest: str | None = None
    made = 0
    for rule in active:
        if not scope.covers(rule, store_id):
            continue
        prefix = f"r{rule.id}:{rule.kind}:{device_id}:"
        details: dict[str, Any] = {"device": {"id": device_id, "health": health}}
        if rule.kind in ("low_disk", "clock_skew"):
            if not _bad(rule, health):
                continue
            if _bad(rule, previous) and s.scalar(
                select(AlertRow.id)
                .where(AlertRow.rule_id == rule.id, AlertRow.dedupe_key.startswith(prefix))
                .limit(1)
            ):
                continue  # the same episode, already told
            key = prefix + reported_at.isoformat()
            if rule.kind == "low_disk":
                free = int(health["free_disk_bytes"]) / MB
                summary = f"{name} · " + t.gettext(
                    "device {device} has {free} MB of disk free (below {mb} MB)",
                    device=device_id,
                    free=f"{free:.0f}",
                    mb=f"{rule.params['mb']:g}",
                )
            else:
                offset = float(health["clock_offset_s"])
                summary = f"{name} · " + t.gettext(
                    "device {device}'s clock is {offset} s off HQ's (over {seconds} s)",
                    device=device_id,
                    offset=f"{offset:+.0f}",
                    seconds=f"{rule.params['seconds']:g}",
                )
        elif rule.kind == "app_behind":
            if newest is None:
                newest = newest_version(_chain_versions(s)) or ""
            version = health.get("app_version")
            if not is_behind(version, newest):
                continue
            key = f"{prefix}{version}:{newest}"
            details["newest_version"] = newest
            summary = f"{name} · " + t.gettext(
                "device {device} runs {version}; the newest in the chain is {newest}",
                device=device_id,
                version=version,
                newest=newest,
            )
        else:  # recoveries_spike
            count = health.get("recoveries_since_sync") or 0
            if count < rule.params["count"]:
                continue
            key = prefix + str(health.get("started_at") or reported_at.isoformat())
            summary = f"{name} · " + t.ngettext(
                "device {device} recovered from {n} crash since its last sync",
                "device {device} recovered from {n} crashes since its last sync",
                int(count),
                device=device_id,
            )
        made += (
            _make_alert(
                s,
                rule,
                scope=scope,
                store_id=store_id,
                dedupe_key=key,
                summary=summary,
                details=details,
                now=now,
            )
            is not None
        )
    return made


def evaluate(hq: Hq, *, now: datetime | None = None) -> int:
    """Look for NPS dips, devices that stopped syncing and follow-up cases left open too long;
    returns the alerts made."""
    from hq.analytics import ResponseFilter, _counts, _zero, local_day_spans

    now = now or utcnow()
    made = 0
    with hq.db.reading() as s:
        active = _active_rules(s, kinds=STORE_KINDS)
    for rule in active:
        with hq.db.writing() as s:
            all_stores = list(s.scalars(select(StoreRow.store_id)))
            scope = _Scope.load(s, all_stores)
            watched = [sid for sid in all_stores if scope.covers(rule, sid)]
            if rule.kind == "nps_dip":
                # Local days, from the rollups: the current period is the last `days` complete
                # days of each store's own calendar (today, still going, is left out), the
                # previous the `days` before; so a store's result changes once a local day.
                days = int(rule.params["days"])
                flt = ResponseFilter(include_suspect=False)
                cur = _counts(hq, flt, "store", spans=local_day_spans(now, back=1, length=days))
                prev = _counts(
                    hq, flt, "store", spans=local_day_spans(now, back=days + 1, length=days)
                )
                for sid in watched:
                    made += _dip_alert(
                        s,
                        rule,
                        scope=scope,
                        store_id=sid,
                        previous=prev.get(sid, _zero()),
                        current=cur.get(sid, _zero()),
                        now=now,
                    )
            elif rule.kind == "case_overdue":
                made += _case_alerts(s, rule, scope=scope, watched=watched, now=now)
            else:
                made += _stale_alerts(s, rule, scope=scope, watched=watched, now=now)
    return made


def _nps(c: dict[str, int]) -> NpsResult:
    return nps_from_counts(
        promoters=c["promoter"], passives=c["passive"], detractors=c["detractor"]
    )


def _dip_alert(
    s: Session,
    rule: AlertRule,
    *,
    scope: _Scope,
    store_id: str,
    previous: dict[str, int],
    current: dict[str, int],
    now: datetime,
) -> int:
    test = dip_test(
        previous=_nps(previous),
        current=_nps(current),
        z_crit=rule.params["z"],
        min_n=int(rule.params["min_n"]),
    )
    if not test.significant:
        return 0
    days = int(rule.params["days"])
    name = scope.names.get(store_id, store_id)
    summary = f"{name} · " + i18n.texts(i18n.chain_language()).gettext(
        "NPS {current} over the last {days} days, down from {previous} (z = {z})",
        current=test.current.nps,
        days=days,
        previous=test.previous.nps,
        z=f"{test.z:.2f}",
    )
    details = {
        "dip": {
            "days": days,
            "previous": test.previous.as_dict(),
            "current": test.current.as_dict(),
            "z": round(test.z, 3),
            "intervals_overlap": test.intervals_overlap,
        }
    }
    return int(
        _make_alert(
            s,
            rule,
            scope=scope,
            store_id=store_id,
            dedupe_key=f"r{rule.id}:dip:{store_id}:{now.date().isoformat()}",
            summary=summary,
            details=details,
            now=now,
        )
        is not None
    )


def _stale_alerts(
    s: Session, rule: AlertRule, *, scope: _Scope, watched: list[str], now: datetime
) -> int:
    from hq.analytics import local_label

    limit = timedelta(hours=rule.params["hours"])
    made = 0
    zones = {r[0]: r[1] for r in s.execute(select(StoreRow.store_id, StoreRow.time_zone))}
    devices = s.execute(
        select(DeviceRow.device_id, DeviceRow.store_id, DeviceRow.last_sync_at).where(
            DeviceRow.enrolled_at.is_not(None),
            DeviceRow.revoked_at.is_(None),
            DeviceRow.last_sync_at.is_not(None),
            DeviceRow.last_sync_at < now - limit,
            DeviceRow.store_id.in_(watched),
        )
    ).all()
    for device_id, store_id, last in devices:
        if last is None:  # excluded by the query; this tells the type checker
            continue
        hours = (now - last).total_seconds() / 3600
        name = scope.names.get(store_id, store_id)
        seen = local_label(last, zones.get(store_id, "UTC"), i18n.chain_language())
        made += (
            _make_alert(
                s,
                rule,
                scope=scope,
                store_id=store_id,
                # One alert per silence: a device that syncs and then stops again alerts again.
                dedupe_key=f"r{rule.id}:stale:{device_id}:{last.isoformat()}",
                summary=f"{name} · "
                + i18n.texts(i18n.chain_language()).gettext(
                    "device {device} has not synced for {hours} hours (last at {seen})",
                    device=device_id,
                    hours=f"{hours:.0f}",
                    seen=seen,
                ),
                details={"device": {"id": device_id, "last_sync_at": _iso(last)}},
                now=now,
            )
            is not None
        )
    return made


def _case_alerts(
    s: Session, rule: AlertRule, *, scope: _Scope, watched: list[str], now: datetime
) -> int:
    """One alert per case per episode: a case (hq.cases) not resolved ``hours`` after the
    answer, or after it was last reopened (a reopened case is a new episode). The alert
    carries the answer like a response alert (its contact details only to ``;contact``
    recipients), never the case's note."""
    from hq.cases import overdue_cases

    if not watched:
        return 0
    hours = rule.params["hours"]
    t = i18n.texts(i18n.chain_language())  # stored: the chain's language
    made = 0
    found = overdue_cases(
        s,
        store_ids=watched,
        older_than=now - timedelta(hours=hours),
        rule_id=rule.id,
        columns=_RESPONSE_COLUMNS,
    )
    for row in found:
        reopened = row["reopened_at"]
        episode = row["episode"] or 0  # hq.cases.overdue_cases looks the key up the same way
        tz = scope.zones.get(row["store_id"], "UTC")
        name = scope.names.get(row["store_id"], row["store_id"])
        state = row["state"] or "open"
        age = (now - (reopened or row["corrected_time"])).total_seconds() / 3600
        details = _response_details(row, tz)
        details["case"] = {
            "response_id": row["id"],
            "state": state,
            "hours_open": round(age, 1),
            "changed_by": row["changed_by"],
            "changed_at": _iso(row["changed_at"]) if row["changed_at"] else None,
        }
        summary = f"{name} · " + t.gettext(
            "score {score} answered {when}: follow-up case still {state} after {hours} hours",
            score=row["score"],
            when=local_time(row["corrected_time"], tz),
            state=t.gettext(state),
            hours=f"{age:.0f}",
        )
        made += (
            _make_alert(
                s,
                rule,
                scope=scope,
                store_id=row["store_id"],
                dedupe_key=f"r{rule.id}:case:{row['id']}:{episode}",
                summary=summary,
                details=details,
                now=now,
                response_id=row["id"],
            )
            is not None
        )
    return made


_RESPONSE_COLUMNS = (
    "id",
    "store_id",
    "score",
    "category",
    "channel",
    "language",
    "reasons",
    "comment",
    "contact_consent",
    "contact_name",
    "contact_detail",
    "device_id",
    "device_time",
    "corrected_time",
)


@dataclass(frozen=True)
class AlertLine:
    id: str
    kind: str
    store_id: str | None
    summary: str
    created_at: datetime


def recent_alerts(hq: Hq, *, limit: int = 50) -> list[AlertLine]:
    with hq.db.reading() as s:
        rows = s.execute(
            select(
                AlertRow.id, AlertRow.kind, AlertRow.store_id, AlertRow.summary, AlertRow.created_at
            )
            .order_by(AlertRow.created_at.desc(), AlertRow.id.desc())
            .limit(limit)
        ).all()
    return [
        AlertLine(id=r[0], kind=r[1], store_id=r[2], summary=r[3], created_at=r[4]) for r in rows
    ]
