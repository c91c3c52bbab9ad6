"""``nps-hq``: serve HQ, manage stores, devices and tokens, import USB batch files, export.

Every text printed for a person comes from the ``cli`` catalog in the terminal's language
(core/cli_i18n.py); tab-separated listings (list-devices, users list, ...) keep their English
words, as scripts read them."""

from __future__ import annotations

import argparse
import getpass
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli_i18n import N_, _, explain, install_for_argparse, ngettext
from core.said import Said
from hq.errors import ConfigError, HqError
from hq.service import (
    Hq,
    HqConfig,
    RetentionPolicy,
    allow_private_webhooks_from_env,
    default_data_dir,
)

if TYPE_CHECKING:
    from hq.privacy import PersonQuery

ACTOR = "cli"  # the audit log's actor for commands run at HQ's console
DESCRIPTION = N_(
    "NPS HQ: serve HQ, manage stores, devices and tokens, import USB batch files, export."
)


def _config(args: argparse.Namespace) -> HqConfig:
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    return HqConfig(
        data_dir=data_dir,
        db_url=args.db or os.environ.get("NPS_HQ_DB") or None,
        allow_private_webhooks=bool(getattr(args, "allow_private_webhooks", False))
        or allow_private_webhooks_from_env(),
        public_url=os.environ.get("NPS_HQ_PUBLIC_URL") or None,
        retention=RetentionPolicy.from_env(),
        poster_limit_per_hour=_poster_limit(args),
    )


def _poster_limit(args: argparse.Namespace) -> int:
    """``--poster-limit-per-hour`` (serve) or NPS_HQ_POSTER_LIMIT_PER_HOUR, else HqConfig's."""
    value = getattr(args, "poster_limit_per_hour", None)
    if value is None and os.environ.get("NPS_HQ_POSTER_LIMIT_PER_HOUR"):
        try:
            value = int(os.environ["NPS_HQ_POSTER_LIMIT_PER_HOUR"])
        except ValueError as exc:
            raise ConfigError(
                Said("NPS_HQ_POSTER_LIMIT_PER_HOUR is a whole number, e.g. 3.")
            ) from exc
    if value is None:
        return HqConfig.poster_limit_per_hour
    if value < 1:
        raise ConfigError(Said("The poster limit is at least 1 answer per client per hour."))
    return int(value)


def _open(args: argparse.Namespace) -> Hq:
    return Hq.open(_config(args))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hq.app import create_app
    from hq.server import server_options

    hq = _open(args)
    where = hq.db.engine.url.render_as_string(hide_password=True)
    print(
        _(
            "NPS HQ on {url}  (database: {database}; data folder: {folder}; API docs at /docs)",
            url=f"http://{args.host}:{args.port}/",
            database=where,
            folder=str(hq.config.data_dir),
        ),
        flush=True,
    )
    if not hq.has_analysts():
        print(
            _("No analyst login yet: add one with  nps-hq add-analyst NAME  (then sign in at /)."),
            flush=True,
        )
    if hq.config.allow_private_webhooks:
        print(
            _("Webhooks may post to private and loopback addresses (--allow-private-webhooks)."),
            flush=True,
        )
    from dataclasses import replace

    from hq.delivery import DeliveryConfig

    delivery = DeliveryConfig.from_env()
    if args.no_delivery:
        delivery = replace(delivery, enabled=False)
    uvicorn.run(
        create_app(hq, delivery=delivery),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=args.proxy_headers,
        **server_options(),  # request headers bounded in size and count
    )
    return 0


def cmd_add_store(args: argparse.Namespace) -> int:
    store = _open(args).add_store(args.store, name=args.name)
    print(
        _(
            "Store {store} ({name}) added. Next: nps-hq enroll-device --store {store}",
            store=store.store_id,
            name=store.name,
        )
    )
    return 0


def qr_text(data: str) -> str:
    import qrcode

    qr = qrcode.QRCode(border=2)
    qr.add_data(data)
    buf = io.StringIO()
    qr.print_ascii(out=buf, invert=True)
    return buf.getvalue()


def cmd_enroll_device(args: argparse.Namespace) -> int:
    code = _open(args).enroll_device(store_id=args.store, device_id=args.device, actor=ACTOR)
    print(
        _(
            "Enrollment code for device {device} of store {store} (one use, until {until} UTC):",
            device=code.device_id,
            store=code.store_id,
            until=f"{code.expires_at:%Y-%m-%d %H:%M}",
        )
        + f"\n\n    {code.code}\n"
    )
    if not args.no_qr:
        print(qr_text(code.code))
    print(_("On the kiosk: Admin → Sync → Enroll, then type or scan the code."))
    return 0


def cmd_revoke_device(args: argparse.Namespace) -> int:
    _open(args).revoke_device(args.device, actor=ACTOR)
    print(_("Device {device} revoked: its token and QR links no longer work.", device=args.device))
    return 0


def cmd_list_devices(args: argparse.Namespace) -> int:
    from hq.analytics import dashboard

    for d in dashboard(_open(args)).devices:
        state = "revoked" if d.revoked else "enrolled" if d.enrolled else "code issued"
        print(
            f"{d.store_id}\t{d.device_id}\t{state}\tlast sync: {d.last_sync_at or 'never'}"
            f"\tbacklog: {'—' if d.backlog is None else d.backlog}"
        )
    return 0


def cmd_create_api_token(args: argparse.Namespace) -> int:
    token = _open(args).create_api_token(
        args.name, actor=ACTOR, contact=args.contact, groups=args.group or ()
    )
    print(_("API token for {name} (shown once; HQ keeps only its hash):", name=args.name))
    print(token)
    return 0


def cmd_add_analyst(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(_("Password for {user}: ", user=args.username))
        if getpass.getpass(_("Again: ")) != password:
            print(_("The passwords differ; nothing changed."), file=sys.stderr)
            return 2
    _open(args).add_analyst(args.username, password=password, actor=ACTOR)
    print(_("Analyst {user} can sign in at the dashboard.", user=args.username))
    return 0


def _read_password(args: argparse.Namespace, username: str) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(_("Password for {user}: ", user=username))
    if getpass.getpass(_("Again: ")) != password:
        print(_("The passwords differ; nothing changed."), file=sys.stderr)
        return None
    return password


def cmd_users_add(args: argparse.Namespace) -> int:
    from hq.roles import Role
    from hq.users import add_user

    role = Role.parse(args.role)
    password = _read_password(args, args.username)
    if password is None:
        return 2
    user = add_user(
        _open(args),
        args.username,
        password=password,
        role=role,
        contact=args.contact,
        groups=args.group or (),
        actor=ACTOR,
    )
    if user.groups:
        print(
            _(
                "User {user} ({role} of groups {groups}) can sign in at the dashboard.",
                user=user.username,
                role=user.role.value,
                groups=", ".join(user.groups),
            )
        )
    else:
        print(
            _(
                "User {user} ({role}) can sign in at the dashboard.",
                user=user.username,
                role=user.role.value,
            )
        )
    return 0


def cmd_users_role(args: argparse.Namespace) -> int:
    from hq.roles import Role
    from hq.users import set_role

    user = set_role(
        _open(args),
        args.username,
        Role.parse(args.role),
        contact=args.contact,
        groups=args.group,
        actor=ACTOR,
    )
    if user.contact:
        text = N_(
            "User {user} is now {role} with contact details; their sessions ended, so they sign "
            "in again."
        )
    else:
        text = N_("User {user} is now {role}; their sessions ended, so they sign in again.")
    print(_(text, user=user.username, role=user.role.value))
    return 0


def cmd_users_reset_password(args: argparse.Namespace) -> int:
    from hq.users import reset_password

    password = reset_password(_open(args), args.username, actor=ACTOR)
    print(
        _(
            "New password for {user} (shown once; hand it over privately). Their sessions ended.",
            user=args.username,
        )
    )
    print(password)
    return 0


def cmd_users_remove(args: argparse.Namespace) -> int:
    from hq.users import remove_user

    remove_user(_open(args), args.username, actor=ACTOR)
    print(_("User {user} removed and signed out everywhere.", user=args.username))
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from hq.users import users

    for u in users(_open(args), include_removed=args.all):
        state = "removed" if u.removed else "active"
        print(
            f"{u.username}\t{u.role.value}\t{'contact' if u.contact else '-'}\t"
            f"{','.join(u.groups) or '-'}\t{state}\tsince {u.created_at:%Y-%m-%d}"
        )
    return 0


def cmd_tokens_list(args: argparse.Namespace) -> int:
    for t in _open(args).api_tokens():
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        scope = f"{'contact' if t.contact else '-'}\t{','.join(t.groups) or 'all stores'}"
        print(f"{t.id}\t{t.name}\t{t.created_at:%Y-%m-%d %H:%M}\t{state}\t{scope}")
    return 0


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    _open(args).revoke_api_token_id(args.id, actor=ACTOR)
    print(_("API token {id} revoked: requests with it now get 401.", id=args.id))
    return 0


def cmd_revoke_posters(args: argparse.Namespace) -> int:
    cutoff = _open(args).revoke_posters(args.store, actor=ACTOR)
    print(
        _(
            "Poster codes of store {store} printed before {cutoff} UTC now say they were "
            "replaced. Print new posters from the store's kiosk.",
            store=args.store,
            cutoff=f"{cutoff:%Y-%m-%d %H:%M:%S}",
        )
    )
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from datetime import datetime

    from hq.audit import entries, export_lines
    from hq.db import naive_utc

    since = None
    if args.since:
        try:
            since = naive_utc(datetime.fromisoformat(args.since))
        except ValueError:
            print(
                _("--since takes a date like 2027-01-31, not {value}.", value=repr(args.since)),
                file=sys.stderr,
            )
            return 2
    for line in export_lines(entries(_open(args), since=since), fmt=args.format):
        sys.stdout.write(line)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from hq.ingest import import_dir

    report = import_dir(_open(args), Path(args.folder))
    if not report.files:
        print(
            _(
                "No batch files (*.json) in {folder}: nothing imported. Pass the folder the kiosk "
                "exported to (nps-kiosk export-batches).",
                folder=args.folder,
            ),
            file=sys.stderr,
        )
        return 1
    for f in report.files:
        if f.error:
            print(_("REJECTED {file}: {error}", file=f.path.name, error=explain(f.error)))
        else:
            print(
                _(
                    "{file}: {accepted} accepted, {duplicate} duplicate, {rejected} rejected",
                    file=f.path.name,
                    accepted=f.accepted,
                    duplicate=f.duplicates,
                    rejected=f.rejected,
                )
                + (
                    ngettext(", {n} erasure applied", ", {n} erasures applied", f.erased)
                    if f.erased
                    else ""
                )
            )
            for reason in f.reasons[:10]:
                print("    " + _("rejected {reason}", reason=explain(reason)))
    print(
        ngettext(
            "{n} file: {accepted} accepted, {duplicate} duplicate, {rejected} rejected, "
            "{refused} files refused.",
            "{n} files: {accepted} accepted, {duplicate} duplicate, {rejected} rejected, "
            "{refused} files refused.",
            len(report.files),
            accepted=report.total("accepted"),
            duplicate=report.total("duplicates"),
            rejected=report.total("rejected"),
            refused=len(report.failed),
        )
    )
    if report.failed:
        print(
            ngettext(
                "{refused} of {n} file was refused (REJECTED above); the others were imported. "
                "Export the refused ones again on the kiosk and import the folder again (files "
                "already imported are skipped as duplicates).",
                "{refused} of {n} files were refused (REJECTED above); the others were imported. "
                "Export the refused ones again on the kiosk and import the folder again (files "
                "already imported are skipped as duplicates).",
                len(report.files),
                refused=len(report.failed),
            ),
            file=sys.stderr,
        )
    return 1 if report.failed else 0


def cmd_export(args: argparse.Namespace) -> int:
    from hq.analytics import ResponseFilter, iter_csv, iter_jsonl, iter_responses

    rows = iter_responses(_open(args), ResponseFilter(store_id=args.store, group_id=args.group))
    lines = iter_csv(rows) if args.format == "csv" else iter_jsonl(rows)
    out = Path(args.out)
    tmp = out.with_name(out.name + ".tmp")
    count = -1 if args.format == "csv" else 0
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        for line in lines:
            fh.write(line)
            count += 1
    tmp.replace(out)
    print(
        ngettext(
            "Wrote {n} response to {file}.", "Wrote {n} responses to {file}.", count, file=str(out)
        )
    )
    return 0


def cmd_add_group(args: argparse.Namespace) -> int:
    from hq.groups import add_group

    add_group(_open(args), args.group, name=args.name, kind=args.kind)
    print(
        _(
            "Group {group} ({kind}) added. Next: nps-hq set-group --store STORE --group {group}",
            group=args.group,
            kind=args.kind,
        )
    )
    return 0


def cmd_set_group(args: argparse.Namespace) -> int:
    from hq.groups import set_group

    left = set_group(_open(args), store_id=args.store, group_id=args.group)
    if left:
        print(
            _(
                "Store {store} is in group {group} (moved out of {old}).",
                store=args.store,
                group=args.group,
                old=left,
            )
        )
    else:
        print(_("Store {store} is in group {group}.", store=args.store, group=args.group))
    return 0


def cmd_rebuild_rollups(args: argparse.Namespace) -> int:
    from hq.rollups import rebuild_rollups

    hq = _open(args)
    if args.store and not hq.store_exists(args.store):
        print(
            _("There is no store {store}; see nps-hq list-devices.", store=repr(args.store)),
            file=sys.stderr,
        )
        return 2
    n = rebuild_rollups(hq, store_id=args.store)
    if args.store:
        print(
            ngettext(
                "Rollups of store {store} recomputed from {n} response.",
                "Rollups of store {store} recomputed from {n} responses.",
                n,
                store=args.store,
            )
        )
    else:
        print(
            ngettext(
                "Rollups of every store recomputed from {n} response.",
                "Rollups of every store recomputed from {n} responses.",
                n,
            )
        )
    return 0


def cmd_list_groups(args: argparse.Namespace) -> int:
    from hq.groups import groups

    for g in groups(_open(args)):
        print(f"{g.group_id}\t{g.kind}\t{g.name}\t{', '.join(g.stores) or '(no stores)'}")
    return 0


def cmd_profile_show(args: argparse.Namespace) -> int:
    from hq.profiles import current_profile, format_setting, profile_sources

    hq = _open(args)
    profile = current_profile(hq, args.store)
    if args.json:
        print(profile.model_dump_json(indent=2))
        return 0
    print(
        _(
            "Store {store}: profile version {version}",
            store=profile.store_id,
            version=profile.version,
        )
    )
    print(f"  display_name   {profile.display_name}")
    print(f"  time_zone      {profile.time_zone}")
    print(f'  survey         {profile.survey.id} "{profile.survey.name}"')
    print(f"  languages      {', '.join(profile.survey.languages)}")
    print(f"  thank_you      {profile.thank_you.model_dump_json()}")
    print(f"  follow_up      {profile.follow_up_timeout_s} s")
    print(f"  anti_stuffing  {profile.anti_stuffing.model_dump_json()}")
    hours = format_setting("opening_hours", profile.model_dump(mode="json")["opening_hours"])
    print(f"  opening_hours  {hours or _('open all day')}")
    sources = profile_sources(hq, args.store)
    if sources:
        print(_("Set at:"))
        for key, (value, where) in sorted(sources.items()):
            print(f"  {key} = {format_setting(key, value)}  ({where})")
    return 0


def _key_values(pairs: Sequence[str]) -> dict[str, object]:
    from hq.errors import ConfigError
    from hq.profiles import parse_setting

    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(
                Said(
                    "{pair}: write KEY=VALUE (KEY= unsets it); see nps-hq profile keys",
                    pair=repr(pair),
                )
            )
        out[key.strip()] = parse_setting(key.strip(), value)
    return out


def cmd_profile_set(args: argparse.Namespace) -> int:
    from hq.profiles import set_settings

    if args.store:
        scope, scope_id = "store", args.store
    elif args.group:
        scope, scope_id = "group", args.group
    else:
        scope, scope_id = "chain", ""
    changed = set_settings(_open(args), scope, scope_id, _key_values(args.pairs), actor=ACTOR)
    where = f"{scope} {scope_id}".strip()
    print(
        _(
            "Set at {where}. Stores with a new profile version: {stores}.",
            where=where,
            stores=", ".join(changed) or _("none"),
        )
    )
    return 0


def cmd_profile_keys(args: argparse.Namespace) -> int:
    from hq.profiles import SETTING_KEYS

    for key, what in SETTING_KEYS.items():
        print(f"{key}\t{what}")
    return 0


def cmd_survey_list(args: argparse.Namespace) -> int:
    from hq.profiles import drafts, published, surveys_in_use

    hq = _open(args)
    used = surveys_in_use(hq)
    for form, v in published(hq):
        stores = used.get(v.id, [])
        when = v.published_at.strftime("%Y-%m-%d %H:%M UTC") if v.published_at else ""
        print(f"{v.id}\t{form}\t{v.name}\t{','.join(v.languages)}\t{when}\t{len(stores)} stores")
    for d in drafts(hq):
        print(f"draft\t{d.form}\t{d.name}\t{','.join(d.languages)}\t(edited by {d.updated_by})")
    return 0


def _draft_changes(args: argparse.Namespace) -> dict[str, object]:
    from pathlib import Path

    from hq.profiles import draft_from_file

    changes: dict[str, object] = {}
    if getattr(args, "file", None):
        data = draft_from_file(Path(args.file))
        changes["texts"] = data["texts"]
        if "languages" in data:
            changes["languages"] = list(data["languages"])
        if "name" in data:
            changes["name"] = str(data["name"])
    if getattr(args, "name", None):
        changes["name"] = args.name
    if getattr(args, "languages", None):
        changes["languages"] = [v.strip() for v in args.languages.split(",") if v.strip()]
    return changes


def cmd_survey_draft(args: argparse.Namespace) -> int:
    from hq.profiles import save_draft

    draft = save_draft(_open(args), args.form, actor=ACTOR, create=True, **_draft_changes(args))  # type: ignore[arg-type]  # keys checked by _draft_changes
    print(
        _(
            "Draft of survey {form} ({name}; {languages}). Next: nps-hq survey preview {form}, "
            "then nps-hq survey publish {form}",
            form=draft.form,
            name=draft.name,
            languages=", ".join(draft.languages),
        )
    )
    return 0


def cmd_survey_edit(args: argparse.Namespace) -> int:
    from hq.profiles import save_draft

    draft = save_draft(_open(args), args.form, actor=ACTOR, **_draft_changes(args))  # type: ignore[arg-type]  # keys checked by _draft_changes
    print(
        _(
            "Draft of survey {form} saved ({languages}).",
            form=draft.form,
            languages=", ".join(draft.languages),
        )
    )
    return 0


def cmd_survey_preview(args: argparse.Namespace) -> int:
    from hq.profiles import preview

    version = preview(_open(args), args.form)
    print(version.model_dump_json(indent=2, exclude={"published_at"}))
    print(
        _(
            "See it as customers will: /surveys/{form}/preview on HQ (signed in as an owner or "
            "admin); the id is the one it gets if published next.",
            form=args.form,
        ),
        file=sys.stderr,
    )
    return 0


def cmd_survey_publish(args: argparse.Namespace) -> int:
    from hq.profiles import publish

    version = publish(_open(args), args.form, actor=ACTOR)
    print(
        _(
            "Published survey {form} as version {version} ({name}).",
            form=args.form,
            version=version.id,
            name=version.name,
        )
    )
    return 0


def cmd_alerts_add(args: argparse.Namespace) -> int:
    from hq.alerts import add_rule

    params = {}
    for item in args.set or []:
        key, _sep, value = item.partition("=")
        try:
            params[key.strip()] = float(value)
        except ValueError:
            print(_("--set takes NAME=NUMBER, not {value}.", value=repr(item)), file=sys.stderr)
            return 2
    rule = add_rule(
        _open(args),
        name=args.name or "",
        kind=args.kind,
        recipients=args.to,
        mode="digest" if args.digest else "now",
        store_id=args.store,
        group_id=args.group,
        params=params,
        actor=ACTOR,
    )
    print(
        _(
            "Rule {rule} ({name}) watches {scope}: {what}.",
            rule=rule.id,
            name=rule.name,
            scope=rule.scope,
            what=rule.describe(),
        )
    )
    return 0


def cmd_alerts_list(args: argparse.Namespace) -> int:
    from hq.alerts import rules

    for r in rules(_open(args), include_disabled=True):
        state = "off" if r.disabled else ("digest" if r.mode == "digest" else "at once")
        to = ", ".join(str(x) for x in r.recipients)
        print(f"{r.id}\t{r.kind}\t{r.scope}\t{state}\t{r.describe()}\t{to}\t{r.name}")
    return 0


def cmd_alerts_disable(args: argparse.Namespace) -> int:
    from hq.alerts import disable_rule

    disable_rule(_open(args), args.rule, actor=ACTOR)
    print(_("Rule {rule} is off; its alerts already made are still delivered.", rule=args.rule))
    return 0


def cmd_alerts_add_webhook(args: argparse.Namespace) -> int:
    from hq.webhooks import add_webhook

    secret = add_webhook(_open(args), args.name, url=args.url, actor=ACTOR)
    print(
        _(
            "Webhook {name} -> {url}. Its signing secret (give it to the receiver; nps-hq alerts "
            "webhook-secret {name} shows it again):",
            name=args.name,
            url=args.url,
        )
    )
    print(secret)
    return 0


def cmd_alerts_webhook_secret(args: argparse.Namespace) -> int:
    from hq.webhooks import encode_webhook_secret, secret_of

    print(encode_webhook_secret(secret_of(_open(args), args.name)))
    return 0


def cmd_alerts_log(args: argparse.Namespace) -> int:
    from hq.delivery import delivery_log

    for d in delivery_log(_open(args), limit=args.limit):
        tries = "; ".join(f"{a.at:%H:%M:%S} {a.detail}" for a in d.attempts) or "not tried"
        print(
            f"{d.created_at:%Y-%m-%d %H:%M:%S}\t{d.status}\t{d.channel}:{d.target}\t"
            f"{d.summary}\t{tries}"
        )
    return 0


def cmd_alerts_deliver(args: argparse.Namespace) -> int:
    from hq.delivery import DeliveryConfig, DeliveryWorker

    worker = DeliveryWorker(_open(args), DeliveryConfig.from_env())
    sent = worker.run_once()
    print(
        ngettext(
            "Sent {n} alert message; the rest wait for their next try (nps-hq alerts log).",
            "Sent {n} alert messages; the rest wait for their next try (nps-hq alerts log).",
            sent,
        )
    )
    return 0


def _person(args: argparse.Namespace) -> PersonQuery:
    from hq.privacy import PersonQuery

    return PersonQuery.from_fields(
        phone=args.phone or "", email=args.email or "", response=getattr(args, "response", "") or ""
    )


def cmd_find_person(args: argparse.Namespace) -> int:
    from hq.privacy import find

    query = _person(args)
    held = find(_open(args), query, actor=ACTOR)
    if not held.responses:
        print(_("HQ holds nothing for this {what}.", what=query.label))
        return 1
    for r in held.responses:
        state = "erased" if r.erased else "purged" if r.scrubbed_at else "held"
        contact = " ".join(x for x in (r.contact_name, r.contact_detail) if x) or "-"
        print(
            f"{r.id}  {r.store_id}  {r.device_time:%Y-%m-%d %H:%M} UTC  score {r.score}  "
            f"contact {contact}  comment {'yes' if r.comment else 'no'}  {state}"
        )
    print(
        ngettext(
            "{n} response; {alerts} alert payloads and {messages} outbox messages mention it. "
            "Erase with nps-hq erase.",
            "{n} responses; {alerts} alert payloads and {messages} outbox messages mention them. "
            "Erase with nps-hq erase.",
            len(held.responses),
            alerts=len(held.alerts),
            messages=len(held.deliveries),
        )
    )
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from hq.privacy import erase

    query = _person(args)
    result = erase(_open(args), query, actor=ACTOR, compact=args.compact)
    print(
        ngettext(
            "Erased {n} response at {stores}: {scrubbed}. Tombstone {tombstone}; kiosks pick it "
            "up at their next sync. {wiped}.",
            "Erased {n} responses at {stores}: {scrubbed}. Tombstone {tombstone}; kiosks pick it "
            "up at their next sync. {wiped}.",
            len(result.response_ids),
            stores=", ".join(result.stores),
            scrubbed=result.scrubbed,
            tombstone=result.request_id,
            wiped=result.wiped,
        )
    )
    return 0


def cmd_export_person(args: argparse.Namespace) -> int:
    from hq.privacy import export, export_json

    query = _person(args)
    document = export(_open(args), query, actor=ACTOR)
    out = Path(args.out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(export_json(document), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(out)
    print(
        ngettext(
            "Wrote {n} response and what mentions it to {file}.",
            "Wrote {n} responses and what mentions them to {file}.",
            len(document["responses"]),
            file=str(out),
        )
    )
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from hq.privacy import purge

    hq = _open(args)
    result = purge(hq, actor=ACTOR, compact=args.compact)
    print(
        _(
            "Purged contact details of {contacts} responses and {comments} comments, each "
            "store by its own retention policy (its profile's retention.* settings, else HQ's "
            "NPS_HQ_CONTACT_DAYS / NPS_HQ_CONTACT_RESOLVED_DAYS / NPS_HQ_COMMENT_DAYS): "
            "{scrubbed}. {wiped}.",
            contacts=result.contacts,
            comments=result.comments,
            scrubbed=result.scrubbed,
            wiped=result.wiped,
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        help=_(
            "database URL (default: SQLite in the data folder; "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB for a chain)"
        ),
    )
    common.add_argument(
        "--data-dir", help=_("data folder (default {path})", path=str(default_data_dir()))
    )
    common.add_argument(
        "--allow-private-webhooks",
        action="store_true",
        help=_(
            "let webhooks post to loopback, private and link-local addresses (a receiver "
            "inside your network); off by default. NPS_HQ_ALLOW_PRIVATE_WEBHOOKS=1 does the same"
        ),
    )
    p = argparse.ArgumentParser(prog="nps-hq", description=_(DESCRIPTION))
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", parents=[common], help=_("run the HQ server"))
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--log-level", default="info")
    s.add_argument(
        "--proxy-headers",
        action="store_true",
        help=_("trust X-Forwarded-For from the reverse proxy (for poster rate limits)"),
    )
    s.add_argument(
        "--no-delivery",
        action="store_true",
        help=_("do not send alerts from this process (NPS_HQ_DELIVERY=off does the same)"),
    )
    s.add_argument(
        "--poster-limit-per-hour",
        type=int,
        metavar="N",
        help=_(
            "answers a client may send from poster links per hour, shared by every HQ "
            "process on the database (default 3; NPS_HQ_POSTER_LIMIT_PER_HOUR does the same)"
        ),
    )
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("add-store", parents=[common], help=_("add a store"))
    s.add_argument("store")
    s.add_argument("--name")
    s.set_defaults(func=cmd_add_store)

    from hq.groups import GROUP_KINDS

    s = sub.add_parser("add-group", parents=[common], help=_("add a store group"))
    s.add_argument("group")
    s.add_argument("--name")
    s.add_argument("--kind", choices=GROUP_KINDS, default="region")
    s.set_defaults(func=cmd_add_group)

    s = sub.add_parser("set-group", parents=[common], help=_("put a store in a group"))
    s.add_argument("--store", required=True)
    s.add_argument("--group", required=True)
    s.set_defaults(func=cmd_set_group)

    s = sub.add_parser(
        "rebuild-rollups", parents=[common], help=_("recompute the NPS rollups from raw responses")
    )
    s.add_argument("--store", help=_("only this store (default: every store)"))
    s.set_defaults(func=cmd_rebuild_rollups)

    s = sub.add_parser("list-groups", parents=[common], help=_("groups and their stores"))
    s.set_defaults(func=cmd_list_groups)

    from hq.alerts import RULE_KINDS

    profile = sub.add_parser(
        "profile", help=_("store profiles: what each store's kiosks ask and show")
    )
    psub = profile.add_subparsers(dest="profile_command", required=True)
    s = psub.add_parser("show", parents=[common], help=_("a store's current profile"))
    s.add_argument("--store", required=True)
    s.add_argument("--json", action="store_true", help=_("the profile as kiosks get it"))
    s.set_defaults(func=cmd_profile_show)
    s = psub.add_parser(
        "set",
        parents=[common],
        help=_("set KEY=VALUE at a store, a group or (neither) the chain; KEY= unsets"),
    )
    where = s.add_mutually_exclusive_group()
    where.add_argument("--store")
    where.add_argument("--group")
    s.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    s.set_defaults(func=cmd_profile_set)
    s = psub.add_parser("keys", parents=[common], help=_("the settings a profile has"))
    s.set_defaults(func=cmd_profile_keys)

    survey = sub.add_parser("survey", help=_("survey drafts and published versions"))
    ssub = survey.add_subparsers(dest="survey_command", required=True)
    s = ssub.add_parser("list", parents=[common], help=_("published versions and drafts"))
    s.set_defaults(func=cmd_survey_list)
    for name, func, what in (
        ("draft", cmd_survey_draft, "start a draft (from the newest version) and edit it"),
        ("edit", cmd_survey_edit, "edit a draft"),
    ):
        s = ssub.add_parser(name, parents=[common], help=what)
        s.add_argument("form", help=_("the survey's name, e.g. default or festive"))
        s.add_argument("--file", help='JSON: {"name", "languages", "texts": {lang: {...}}}')
        s.add_argument("--name")
        s.add_argument("--languages", help=_("e.g. hi,en"))
        s.set_defaults(func=func)
    s = ssub.add_parser("preview", parents=[common], help=_("the draft as it would publish"))
    s.add_argument("form")
    s.set_defaults(func=cmd_survey_preview)
    s = ssub.add_parser("publish", parents=[common], help=_("publish the draft as a new version"))
    s.add_argument("form")
    s.set_defaults(func=cmd_survey_publish)

    alerts = sub.add_parser("alerts", help=_("alert rules, webhooks and the delivery log"))
    asub = alerts.add_subparsers(dest="alerts_command", required=True)
    s = asub.add_parser("add", parents=[common], help=_("add an alert rule"))
    s.add_argument("kind", choices=tuple(RULE_KINDS))
    s.add_argument(
        "--to",
        action="append",
        required=True,
        help=_("email:ADDRESS or webhook:NAME, ';contact' to show contact details (repeat)"),
    )
    s.add_argument("--name")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--store")
    where.add_argument("--group")
    s.add_argument("--digest", action="store_true", help=_("send in the daily digest"))
    s.add_argument(
        "--set",
        action="append",
        metavar="NAME=NUMBER",
        help=_(
            "a rule setting: days, min_n, z (nps_dip); hours (stale_device); count, "
            "minutes (suspect_spike)"
        ),
    )
    s.set_defaults(func=cmd_alerts_add)
    s = asub.add_parser("list", parents=[common], help=_("the rules"))
    s.set_defaults(func=cmd_alerts_list)
    s = asub.add_parser("disable", parents=[common], help=_("turn a rule off"))
    s.add_argument("rule", type=int)
    s.set_defaults(func=cmd_alerts_disable)
    s = asub.add_parser("add-webhook", parents=[common], help=_("a webhook receiver"))
    s.add_argument("name")
    s.add_argument("--url", required=True)
    s.set_defaults(func=cmd_alerts_add_webhook)
    s = asub.add_parser("webhook-secret", parents=[common], help=_("a webhook's signing secret"))
    s.add_argument("name")
    s.set_defaults(func=cmd_alerts_webhook_secret)
    s = asub.add_parser("log", parents=[common], help=_("the delivery log"))
    s.add_argument("--limit", type=int, default=50)
    s.set_defaults(func=cmd_alerts_log)
    s = asub.add_parser("deliver", parents=[common], help=_("send what is due now, once"))
    s.set_defaults(func=cmd_alerts_deliver)

    s = sub.add_parser("enroll-device", parents=[common], help=_("one-time enrollment code"))
    s.add_argument("--store", required=True)
    s.add_argument("--device", help=_("device id (default: made from the store id)"))
    s.add_argument("--no-qr", action="store_true", help=_("print the code without its QR"))
    s.set_defaults(func=cmd_enroll_device)

    s = sub.add_parser("revoke-device", parents=[common], help=_("revoke a device's token"))
    s.add_argument("device")
    s.set_defaults(func=cmd_revoke_device)

    s = sub.add_parser("list-devices", parents=[common], help=_("devices and their last sync"))
    s.set_defaults(func=cmd_list_devices)

    s = sub.add_parser("create-api-token", parents=[common], help=_("a token for analysts"))
    s.add_argument("--name", default="analyst")
    s.add_argument(
        "--group",
        action="append",
        metavar="GROUP",
        help=_("read only this group's stores (repeat for more); default: every store"),
    )
    s.add_argument(
        "--contact", action="store_true", help=_("may read customers' contact details too")
    )
    s.set_defaults(func=cmd_create_api_token)

    s = sub.add_parser("add-analyst", parents=[common], help=_("a dashboard login"))
    s.add_argument("username")
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(func=cmd_add_analyst)

    from hq.roles import Role

    roles = [r.value for r in Role]
    users = sub.add_parser("users", help=_("dashboard users, their roles and passwords"))
    usub = users.add_subparsers(dest="users_command", required=True)
    s = usub.add_parser("add", parents=[common], help=_("a user with a role"))
    s.add_argument("username")
    s.add_argument("--role", required=True, choices=roles)
    s.add_argument("--contact", action="store_true", help=_("may see customers' contact details"))
    s.add_argument("--group", action="append", help=_("a viewer's store group (repeat)"))
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(func=cmd_users_add)
    s = usub.add_parser("role", parents=[common], help=_("change a user's role (signs them out)"))
    s.add_argument("username")
    s.add_argument("role", choices=roles)
    grant = s.add_mutually_exclusive_group()
    grant.add_argument("--contact", action="store_true", default=None)
    grant.add_argument("--no-contact", dest="contact", action="store_false")
    s.add_argument("--group", action="append", help=_("a viewer's store group (repeat)"))
    s.set_defaults(func=cmd_users_role)
    s = usub.add_parser("reset-password", parents=[common], help=_("a new random password"))
    s.add_argument("username")
    s.set_defaults(func=cmd_users_reset_password)
    s = usub.add_parser("remove", parents=[common], help=_("remove a user (signs them out)"))
    s.add_argument("username")
    s.set_defaults(func=cmd_users_remove)
    s = usub.add_parser("list", parents=[common], help=_("the users"))
    s.add_argument("--all", action="store_true", help=_("removed users too"))
    s.set_defaults(func=cmd_users_list)

    tokens = sub.add_parser("tokens", help=_("API tokens"))
    tsub = tokens.add_subparsers(dest="tokens_command", required=True)
    s = tsub.add_parser(
        "list", parents=[common], help=_("id, name, created, state, contact, groups")
    )
    s.set_defaults(func=cmd_tokens_list)
    s = tsub.add_parser("revoke", parents=[common], help=_("revoke a token by its id"))
    s.add_argument("id", type=int)
    s.set_defaults(func=cmd_tokens_revoke)

    s = sub.add_parser(
        "revoke-posters", parents=[common], help=_("refuse a store's poster codes printed so far")
    )
    s.add_argument("--store", required=True)
    s.set_defaults(func=cmd_revoke_posters)

    s = sub.add_parser("audit", parents=[common], help=_("the audit log"))
    s.add_argument("--since", help=_("from this date or time (UTC), e.g. 2027-01-31"))
    s.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    s.set_defaults(func=cmd_audit)

    s = sub.add_parser(
        "import",
        parents=[common],
        help=_("load batch files from a folder (exit 1 if a file was refused or none was found)"),
    )
    s.add_argument("folder")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("export", parents=[common], help=_("every response to a file"))
    s.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    s.add_argument("--out", required=True)
    s.add_argument("--store")
    s.add_argument("--group", help=_("only the stores of this group"))
    s.set_defaults(func=cmd_export)

    def person(s: argparse.ArgumentParser, *, by_response: bool) -> None:
        who = s.add_mutually_exclusive_group(required=True)
        who.add_argument("--phone", help=_("the phone number they gave (spaces, - ( ) ignored)"))
        who.add_argument("--email", help=_("the e-mail address they gave (case ignored)"))
        if by_response:
            who.add_argument("--response", help=_("one response id"))

    s = sub.add_parser(
        "find-person", parents=[common], help=_("what HQ holds about a person (exit 1: nothing)")
    )
    person(s, by_response=True)
    s.set_defaults(func=cmd_find_person)
    s = sub.add_parser(
        "erase", parents=[common], help=_("erase a person's contact details and comments")
    )
    person(s, by_response=True)
    s.add_argument(
        "--compact",
        action="store_true",
        help=_("PostgreSQL: rewrite the tables now (VACUUM FULL) rather than at the daily purge"),
    )
    s.set_defaults(func=cmd_erase)
    s = sub.add_parser(
        "export-person", parents=[common], help=_("everything held about a person, as JSON")
    )
    person(s, by_response=False)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_export_person)
    s = sub.add_parser(
        "purge", parents=[common], help=_("apply the retention policy now (the server does daily)")
    )
    s.add_argument("--compact", action="store_true", help=_("PostgreSQL: VACUUM FULL the tables"))
    s.set_defaults(func=cmd_purge)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    install_for_argparse()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except HqError as exc:
        print(f"nps-hq: {explain(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
