"""Server-side sessions and CSRF against a real HQ: a cookie stops working at once after
logout, a password change, a role change or removal; idle and absolute timeouts; Secure
cookies behind https; cross-site and token-less form posts are refused."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import requests
from hqkit import Server, csrf_token, free_port, sign_in, start_server
from sqlalchemy import select, update

from hq import sessions, users
from hq.db import utcnow
from hq.models import LoginSessionRow
from hq.roles import Role
from hq.service import Hq

PASSWORD = "session pass 1"


def _new_user(server: Server, role: Role = Role.ADMIN) -> str:
    name = f"u-{uuid.uuid4().hex[:8]}"
    users.add_user(server.hq, name, password=PASSWORD, role=role)
    return name


def _opens_alerts(server: Server, cookie: str) -> bool:
    """Whether a browser holding only this cookie value gets the alert rules page."""
    page = requests.get(
        server.url("/alerts"),
        cookies={sessions.COOKIE: cookie},
        allow_redirects=False,
        timeout=10,
    )
    return page.status_code == 200


def test_cookie_is_server_side_and_flags(hq_server: Server) -> None:
    name = _new_user(hq_server)
    s = sign_in(hq_server.base, name, PASSWORD)
    cookie = s.cookies[sessions.COOKIE]
    assert _opens_alerts(hq_server, cookie)
    with hq_server.hq.db.reading() as db:
        row = db.get(LoginSessionRow, sessions.token_hash(cookie))
        assert row is not None and row.username == name and cookie not in (row.id, row.csrf_token)
    raw = requests.post(
        hq_server.url("/login"),
        data={"username": name, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    ).headers["set-cookie"]
    assert "HttpOnly" in raw and "SameSite=strict" in raw and "Secure" not in raw


def test_logout_ends_the_session_at_once(hq_server: Server) -> None:
    name = _new_user(hq_server)
    s = sign_in(hq_server.base, name, PASSWORD)
    cookie = s.cookies[sessions.COOKIE]
    out = s.post(hq_server.url("/logout"), allow_redirects=False, timeout=10)
    assert out.status_code == 303
    assert not _opens_alerts(hq_server, cookie)


def test_password_role_change_and_removal_end_sessions(hq_server: Server) -> None:
    hq = hq_server.hq
    name = _new_user(hq_server)
    other = sign_in(hq_server.base, name, PASSWORD).cookies[sessions.COOKIE]
    users.set_password(hq, name, "a new password 2")
    assert not _opens_alerts(hq_server, other)

    cookie = sign_in(hq_server.base, name, "a new password 2").cookies[sessions.COOKIE]
    assert _opens_alerts(hq_server, cookie)
    users.set_role(hq, name, Role.ANALYST)
    assert not _opens_alerts(hq_server, cookie)

    cookie = sign_in(hq_server.base, name, "a new password 2").cookies[sessions.COOKIE]
    users.reset_password(hq, name)
    assert not _opens_alerts(hq_server, cookie)

    password = users.reset_password(hq, name)
    cookie = sign_in(hq_server.base, name, password).cookies[sessions.COOKIE]
    users.remove_user(hq, name)
    assert not _opens_alerts(hq_server, cookie)
    again = requests.post(
        hq_server.url("/login"), data={"username": name, "password": password}, timeout=10
    )
    assert again.status_code == 401


def test_idle_and_absolute_timeouts(hq_server: Server) -> None:
    hq = hq_server.hq
    name = _new_user(hq_server)
    idle = sessions.start_session(hq, name)
    old = sessions.start_session(hq, name)
    assert sessions.read_session(hq, idle.cookie) is not None
    with hq.db.writing() as db:
        db.execute(
            update(LoginSessionRow)
            .where(LoginSessionRow.id == idle.session.session_id)
            .values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
        db.execute(
            update(LoginSessionRow)
            .where(LoginSessionRow.id == old.session.session_id)
            .values(created_at=utcnow() - timedelta(hours=12, minutes=1))
        )
    assert sessions.read_session(hq, idle.cookie) is None
    assert sessions.read_session(hq, old.cookie) is None  # though used a moment ago
    assert not _opens_alerts(hq_server, old.cookie)
    with hq.db.reading() as db:  # expired rows are gone
        assert db.get(LoginSessionRow, idle.session.session_id) is None


def test_secure_cookie_when_public_url_is_https(hq_server: Server) -> None:
    hq = hq_server.hq
    behind_tls = Hq(
        hq.db,
        server_key=hq.server_key,
        config=replace(hq.config, public_url="https://hq.chain.example"),
    )
    assert sessions.cookie_options(behind_tls)["secure"] is True
    name = _new_user(hq_server)
    server, thread, base = start_server(behind_tls)
    try:
        raw = requests.post(
            f"{base}/login",
            data={"username": name, "password": PASSWORD},
            allow_redirects=False,
            timeout=10,
        ).headers["set-cookie"]
        assert "Secure" in raw and "HttpOnly" in raw
        # The public URL's origin is HQ's own: a form sent from it is accepted.
        s = requests.Session()
        s.cookies.set(sessions.COOKIE, raw.split(";")[0].split("=", 1)[1])
        page = s.get(f"{base}/alerts", timeout=10)
        made = s.post(
            f"{base}/alerts/webhooks",
            data={
                "name": f"tls-{uuid.uuid4().hex[:6]}",
                "url": "https://example.com/h",
                "csrf_token": csrf_token(page.text),
            },
            headers={"Origin": "https://hq.chain.example"},
            timeout=10,
        )
        assert made.status_code == 200, made.text
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_cross_site_and_tokenless_posts_are_refused(hq_server: Server) -> None:
    from hq.webhooks import webhooks

    name = _new_user(hq_server)
    s = sign_in(hq_server.base, name, PASSWORD)
    token = s.headers.pop("X-CSRF-Token")
    evil = f"http://127.0.0.1:{free_port()}"

    def hook(**extra: str) -> dict[str, str]:
        return {"name": f"h-{uuid.uuid4().hex[:6]}", "url": "https://example.com/h", **extra}

    cross = hook(csrf_token=str(token))
    refused = s.post(
        hq_server.url("/alerts/webhooks"), data=cross, headers={"Origin": evil}, timeout=10
    )
    assert refused.status_code == 403 and "another site" in refused.text
    by_referer = s.post(
        hq_server.url("/alerts/webhooks"),
        data=hook(csrf_token=str(token)),
        headers={"Referer": evil + "/attack.html"},
        timeout=10,
    )
    assert by_referer.status_code == 403
    no_token = s.post(
        hq_server.url("/alerts/webhooks"),
        data=hook(),
        headers={"Origin": hq_server.base},
        timeout=10,
    )
    assert no_token.status_code == 403 and "Reload the page" in no_token.text
    wrong = s.post(hq_server.url("/alerts/webhooks"), data=hook(csrf_token="x" * 43), timeout=10)
    assert wrong.status_code == 403
    assert s.post(hq_server.url("/logout"), allow_redirects=False, timeout=10).status_code == 403
    names = {h.name for h in webhooks(hq_server.hq)}
    assert cross["name"] not in names
    same = hook(csrf_token=str(token))
    ok = s.post(
        hq_server.url("/alerts/webhooks"),
        data=same,
        headers={"Origin": hq_server.base, "Referer": hq_server.base + "/alerts"},
        timeout=10,
    )
    assert ok.status_code == 200 and same["name"] in {h.name for h in webhooks(hq_server.hq)}
    assert 'name="csrf_token"' in ok.text


def test_security_headers_on_every_answer(hq_server: Server) -> None:
    name = _new_user(hq_server)
    s = sign_in(hq_server.base, name, PASSWORD)
    for answer in (
        s.get(hq_server.url("/"), timeout=10),
        s.get(hq_server.url("/alerts"), timeout=10),
        requests.get(hq_server.url("/login"), timeout=10),
        requests.get(hq_server.url("/healthz"), timeout=10),
        requests.get(hq_server.url("/m/nowhere?t=bad"), timeout=10),
        requests.get(hq_server.url("/api/v1/nps"), timeout=10),  # a 401
    ):
        h = answer.headers
        csp = h["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin" and h["X-Frame-Options"] == "DENY"


def test_expired_sessions_and_old_sign_in_failures_are_pruned_hourly(hq_server: Server) -> None:
    """The sessions and login_failures tables do not grow for ever: the delivery worker's hourly
    housekeeping deletes sessions past their timeouts and failure counters that are forgotten
    and lock nothing, and keeps live ones (also with the retention purge switched off)."""
    from hq.delivery import DeliveryConfig, DeliveryWorker
    from hq.models import LoginFailureRow

    hq = hq_server.hq
    live = sign_in(hq_server.base, _new_user(hq_server), PASSWORD).cookies[sessions.COOKIE]
    stale = sign_in(hq_server.base, _new_user(hq_server), PASSWORD).cookies[sessions.COOKIE]
    now = utcnow()
    tag = uuid.uuid4().hex[:8]
    with hq.db.writing() as s:
        s.execute(
            update(LoginSessionRow)
            .where(LoginSessionRow.id == sessions.token_hash(stale))
            .values(last_seen_at=now - timedelta(hours=2))
        )
        for key, last, locked in (
            (f"ip:old-{tag}", now - timedelta(days=2), None),
            (f"ip:locked-{tag}", now - timedelta(days=2), now + timedelta(hours=1)),
            (f"ip:fresh-{tag}", now - timedelta(minutes=5), None),
        ):
            s.add(LoginFailureRow(key=key, failures=3, last_failure_at=last, locked_until=locked))
    worker = DeliveryWorker(
        hq, DeliveryConfig(enabled=False, purge=False, purge_check_every_s=0, purge_first_after_s=0)
    )
    worker.daily_purge(now)
    with hq.db.reading() as s:
        assert s.get(LoginSessionRow, sessions.token_hash(stale)) is None
        assert s.get(LoginSessionRow, sessions.token_hash(live)) is not None
        left = {k for k in s.scalars(select(LoginFailureRow.key)) if k.endswith(tag)}
    assert left == {f"ip:locked-{tag}", f"ip:fresh-{tag}"}
    assert _opens_alerts(hq_server, live) and not _opens_alerts(hq_server, stale)
