"""Real headless Chromium (the system's /usr/bin/chromium) on the phone page and dashboard."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hqkit import Server, batch, count_rows, enroll, post_batch, response, statuses

from core.mobile_token import make_token

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        reason = f"No Chromium at {CHROMIUM}; install Debian's chromium package"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but " + reason)  # .ci/run installs it: a skip would hide that
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_phone_answer_then_already_answered(hq_server: Server, browser: Any) -> None:
    device = enroll(hq_server)
    token = make_token(
        secret=device.secret,
        store_id=device.store_id,
        device_id=device.device_id,
        issued_at=datetime.now(UTC),
    )
    link = hq_server.url(f"/m/{device.store_id}?t={token}")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(link)
        assert page.locator("h1.q").inner_text().startswith("How likely")
        page.locator("label[for=s3]").click()
        # The follow-up question follows the score, with no JavaScript on the page.
        assert page.locator(".follow h2").inner_text() == "What could we do better?"
        page.locator("label[for=r-wait_time]").click()
        page.fill("textarea[name=comment]", "Long queue at the till")
        page.locator("button[type=submit]").click()
        page.wait_for_selector("[data-kind=thanks]")
        assert "Thank you" in page.content()
        assert count_rows(hq_server, store_id=device.store_id, channel="qr", score=3) == 1

        page.goto(link)
        assert page.locator("[data-kind=already]").is_visible()
        assert "Already answered" in page.inner_text("h1")
        page.goto(link + "&lang=hi")
        assert "पहले ही उत्तर दिया जा चुका है" in page.inner_text("h1")
    finally:
        page.close()


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()


def test_a_script_comment_shows_as_text_on_the_dashboard(hq_server: Server, browser: Any) -> None:
    device = enroll(hq_server)
    evil = "<script>window.owned = 1</script><img src=x onerror='window.owned=2'>"
    statuses(
        post_batch(
            hq_server,
            device,
            batch(
                device,
                # Answered now: among the dashboard's newest on a server other tests share.
                [response(device, 1, score=0, comment=evil, device_time=_now())],
            ),
        )
    )
    hq_server.hq.add_analyst("browser", password="a long password")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(hq_server.url("/"))
        page.fill("input[name=username]", "browser")
        page.fill("input[name=password]", "a long password")
        page.locator("button[type=submit]").click()
        page.wait_for_selector("#comments")
        texts = page.locator("#comments .text").all_inner_texts()
        assert evil in texts
        assert page.evaluate("window.owned") is None
        assert page.locator(f"#stores td[data-v='{device.store_id}']").count() == 1
    finally:
        page.close()


def _sign_in(page: Any, server: Server, name: str, password: str) -> None:
    page.goto(server.url("/login"))
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.locator("button[type=submit]").click()
    page.wait_for_selector("#stores")


def _owner(server: Server) -> tuple[str, str]:
    import uuid

    from hq import users
    from hq.roles import Role

    name, password = f"own-{uuid.uuid4().hex[:6]}", "owner browser pass"
    users.add_user(server.hq, name, password=password, role=Role.OWNER)
    return name, password


def test_no_page_breaks_the_content_security_policy(hq_server: Server, browser: Any) -> None:
    """Every page, signed in as an owner (who sees them all), loads with no CSP violation in
    the console: no inline script, no foreign source; the table sort script still works."""
    name, password = _owner(hq_server)
    device = enroll(hq_server)
    statuses(post_batch(hq_server, device, batch(device, [response(device, 1, score=4)])))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto(hq_server.url("/login"))
        _sign_in(page, hq_server, name, password)
        for path in (
            "/",
            "/alerts",
            "/deliveries",
            "/users",
            "/tokens",
            "/audit",
            "/account/password",
        ):
            page.goto(hq_server.url(path))
            page.wait_for_load_state("load")
            assert page.locator("form[action='/logout'] input[name=csrf_token]").count() == 1
        page.goto(hq_server.url(f"/m/{device.store_id}?t=bad"))
        page.goto(hq_server.url("/"))
        header = page.locator("#stores th[data-sort]").first
        header.click()
        assert header.get_attribute("data-dir") == "asc"  # hq.js ran
        assert not [p for p in problems if "Content Security Policy" in p], problems
        # The bad phone link answers 400 on purpose; nothing else may complain.
        assert not [p for p in problems if "status of 400" not in p], problems
    finally:
        context.close()


def test_an_attacker_site_cannot_post_or_frame_hq(hq_server: Server, browser: Any) -> None:
    """A signed-in owner opens a page on another origin (another port on 127.0.0.1, so the
    same site: SameSite cookies alone would not help) whose form posts itself to
    /alerts/webhooks, and which frames /alerts: no webhook is made, the frame stays empty."""
    import threading
    import uuid
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from hq.webhooks import webhooks

    name, password = _owner(hq_server)
    hook = f"evil-{uuid.uuid4().hex[:6]}"
    pages = {
        "/post.html": (
            f'<form action="{hq_server.url("/alerts/webhooks")}" method="post">'
            f'<input name="name" value="{hook}">'
            '<input name="url" value="https://attacker.example/h"></form>'
            "<script>document.forms[0].submit()</script>"
        ),
        "/frame.html": f'<h1>Win a prize</h1><iframe src="{hq_server.url("/alerts")}"></iframe>',
    }

    class Attacker(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    evil = ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    evil_base = f"http://127.0.0.1:{evil.server_address[1]}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, hq_server, name, password)
        with page.expect_response(hq_server.url("/alerts/webhooks")) as answer:
            page.goto(evil_base + "/post.html")
        assert answer.value.status == 403
        page.wait_for_load_state("load")
        assert "another site" in page.content()
        assert hook not in {h.name for h in webhooks(hq_server.hq)}

        page.goto(evil_base + "/frame.html")
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)
        framed = [f for f in page.frames if f != page.main_frame]
        assert framed, "the attacker page has its iframe"
        for frame in framed:
            try:
                inside = frame.content()
            except Exception:  # noqa: BLE001 (a blocked frame may not be readable at all)
                inside = ""
            assert "Alert rules" not in inside and "Add a rule" not in inside
        # The owner is still signed in and the page itself works at home.
        page.goto(hq_server.url("/alerts"))
        assert page.locator("h2", has_text="Alert rules").count() == 1
    finally:
        context.close()
        evil.shutdown()
        evil.server_close()
