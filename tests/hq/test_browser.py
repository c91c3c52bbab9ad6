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


def test_a_script_comment_shows_as_text_on_the_dashboard(hq_server: Server, browser: Any) -> None:
    device = enroll(hq_server)
    evil = "<script>window.owned = 1</script><img src=x onerror='window.owned=2'>"
    statuses(
        post_batch(hq_server, device, batch(device, [response(device, 1, score=0, comment=evil)]))
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
