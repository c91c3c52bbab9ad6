"""Users with roles (owner, admin, analyst, viewer), the contact grant, viewer scopes, the
users/tokens/audit commands, and migration 0003 from a 0002 database."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
import requests
from hqkit import Server, new_store

from hq.cli import main as hq_cli
from hq.errors import ConfigError, Forbidden, NotFound
from hq.roles import Action, Role, may, require
from hq.users import User, get_user


def _cli(server: Server, *args: str) -> int:
    return hq_cli(
        [
            *args,
            "--data-dir",
            str(server.hq.config.data_dir),
            *(["--db", server.hq.db.url] if server.backend == "postgresql" else []),
        ]
    )


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _user(role: Role, *, contact: bool = False) -> User:
    from datetime import datetime

    return User(
        username="x",
        role=role,
        contact=contact,
        groups=(),
        store_ids=None,
        created_at=datetime(2027, 1, 1),
        password_changed_at=None,
        removed=False,
    )


def test_the_role_table() -> None:
    owner, admin, analyst, viewer = (_user(r) for r in Role)
    assert all(may(owner, a) for a in Action)
    assert may(admin, Action.MANAGE_FLEET) and may(admin, Action.MANAGE_ALERTS)
    assert not may(admin, Action.MANAGE_USERS) and not may(admin, Action.READ_CONTACT)
    assert may(analyst, Action.READ_ALL) and not may(analyst, Action.MANAGE_ALERTS)
    assert not may(analyst, Action.READ_CONTACT)
    assert may(_user(Role.ANALYST, contact=True), Action.READ_CONTACT)
    assert may(viewer, Action.READ_SCOPED) and not may(viewer, Action.READ_ALL)
    check = require(Action.MANAGE_USERS)
    assert check(owner) is owner
    with pytest.raises(Forbidden, match="nps-hq users role"):
        check(admin)
    with pytest.raises(ConfigError, match="owner, admin, analyst, viewer"):
        Role.parse("boss")


def test_users_commands_scope_and_audit(
    hq_server: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hq.groups import add_group, set_group

    hq = hq_server.hq
    group, store, other = _name("g"), new_store(hq_server), new_store(hq_server)
    add_group(hq, group)
    set_group(hq, store_id=store, group_id=group)
    viewer, analyst = _name("vic"), _name("ann")

    monkeypatch.setattr("sys.stdin", io.StringIO("viewer pass 1\n"))
    assert _cli(hq_server, "users", "add", viewer, "--role", "viewer", "--password-stdin") == 2
    assert "--group GROUP" in capsys.readouterr().err  # a viewer needs a scope
    monkeypatch.setattr("sys.stdin", io.StringIO("viewer pass 1\n"))
    args = ["users", "add", viewer, "--role", "viewer", "--group", group, "--password-stdin"]
    assert _cli(hq_server, *args) == 0
    got = get_user(hq, viewer)
    assert got is not None and got.role is Role.VIEWER
    assert got.store_ids == frozenset({store}) and other not in got.store_ids
    assert hq.check_analyst(viewer, "viewer pass 1")

    monkeypatch.setattr("sys.stdin", io.StringIO("analyst pass 1\n"))
    args = ["users", "add", analyst, "--role", "analyst", "--password-stdin"]
    assert _cli(hq_server, *args) == 0
    assert _cli(hq_server, "users", "role", analyst, "admin", "--contact") == 0
    promoted = get_user(hq, analyst)
    assert promoted is not None and promoted.role is Role.ADMIN and promoted.contact
    assert promoted.store_ids is None  # every store
    capsys.readouterr()
    assert _cli(hq_server, "users", "reset-password", analyst) == 0
    new_password = capsys.readouterr().out.strip().splitlines()[-1]
    assert hq.check_analyst(analyst, new_password)
    assert not hq.check_analyst(analyst, "analyst pass 1")
    assert _cli(hq_server, "users", "list") == 0
    listed = capsys.readouterr().out
    assert f"{viewer}\tviewer\t-\t{group}\tactive" in listed
    assert f"{analyst}\tadmin\tcontact" in listed
    assert _cli(hq_server, "users", "remove", viewer) == 0
    assert not hq.check_analyst(viewer, "viewer pass 1") and get_user(hq, viewer) is None
    assert _cli(hq_server, "users", "remove", viewer) == 2
    assert "nps-hq users list" in capsys.readouterr().err

    # API tokens: listed by id, revoked by id.
    token = hq.create_api_token(_name("tok"))
    listed_tokens = hq.api_tokens()
    mine = listed_tokens[-1]
    assert _cli(hq_server, "tokens", "list") == 0
    assert f"{mine.id}\t{mine.name}\t" in capsys.readouterr().out
    url = hq_server.url("/api/v1/nps")
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(url, headers=auth, timeout=10).status_code == 200
    assert _cli(hq_server, "tokens", "revoke", str(mine.id)) == 0
    assert requests.get(url, headers=auth, timeout=10).status_code == 401
    with pytest.raises(NotFound, match="tokens list"):
        hq.revoke_api_token_id(mine.id)

    # Every change above is in the audit log, with its actor.
    capsys.readouterr()
    assert _cli(hq_server, "audit", "--format", "jsonl") == 0
    log = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    seen = {(e["action"], e["target"]) for e in log}
    for action, target in (
        ("user.add", viewer),
        ("user.add", analyst),
        ("user.role", analyst),
        ("user.reset_password", analyst),
        ("user.remove", viewer),
        ("token.create", str(mine.id)),
        ("token.revoke", str(mine.id)),
    ):
        assert (action, target) in seen, (action, target)
    assert all(e["actor"] == "cli" for e in log if e["target"] in (viewer, analyst))
    assert _cli(hq_server, "audit", "--since", "2999-01-01") == 0
    assert capsys.readouterr().out.strip() == "id,at,actor,action,target,detail"


def test_fleet_and_alert_changes_are_audited(hq_server: Server) -> None:
    from hq.alerts import add_rule, disable_rule
    from hq.audit import entries
    from hq.webhooks import add_webhook

    hq = hq_server.hq
    store = new_store(hq_server)
    code = hq.enroll_device(store_id=store, actor="owner-olga")
    hq.revoke_device(code.device_id, actor="owner-olga")
    hook = _name("hook")
    add_webhook(hq, hook, url="https://example.com/h", actor="admin-adam")
    rule = add_rule(
        hq, name="x", kind="detractor_comment", recipients=["email:a@example.com"], actor="a"
    )
    disable_rule(hq, rule.id, actor="a")
    hq.revoke_posters(store, actor="owner-olga")
    got = {(e.actor, e.action, e.target) for e in entries(hq)}
    assert {
        ("owner-olga", "device.enroll", code.device_id),
        ("owner-olga", "device.revoke", code.device_id),
        ("admin-adam", "webhook.add", hook),
        ("a", "rule.add", str(rule.id)),
        ("a", "rule.disable", str(rule.id)),
        ("owner-olga", "posters.revoke", store),
    } <= got


def test_migration_0003_upgrades_a_0002_database(tmp_path: Path) -> None:
    """Analysts of the previous release become owners and keep their password; stores keep
    their rows; the new tables exist."""
    from alembic import command
    from sqlalchemy import inspect, text

    from hq.db import _alembic_config, make_engine, open_database, sqlite_url
    from hq.security import hash_password
    from hq.service import Hq, HqConfig

    url = sqlite_url(tmp_path / "hq.db")
    engine = make_engine(url)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0002")
        conn.execute(
            text(
                "INSERT INTO analysts (username, password_hash, created_at) "
                "VALUES ('olga', :h, '2026-12-01 09:00:00.000000')"
            ),
            {"h": hash_password("old release pass")},
        )
        conn.exec_driver_sql(
            "INSERT INTO stores (store_id, name, created_at) VALUES ('s1', 'One', "
            "'2026-11-01 00:00:00.000000')"
        )
        conn.commit()
    engine.dispose()
    db = open_database(url)
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert {"sessions", "login_failures", "audit_log", "user_groups"} <= tables
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM stores")).scalar() == "One"
    finally:
        db.close()
    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        olga = get_user(hq, "olga")
        assert olga is not None and olga.role is Role.OWNER and not olga.contact
        assert olga.password_changed_at == olga.created_at
        assert hq.check_analyst("olga", "old release pass")
        assert hq.posters_not_before("s1") is None
    finally:
        hq.close()
