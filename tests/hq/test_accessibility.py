"""HQ's pages and the phone page in real headless Chromium with axe-core (axe-playwright-python
bundles it): no serious or critical violation, in English and Hindi, at 1280 px and at 200 %
zoom (a 1280 px window at 200 % is 640 CSS px wide), and no sideways scrolling at either."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hqkit import Server, batch, enroll, post_batch, response
from test_browser import ARGS, CHROMIUM

from core.mobile_token import make_token
from hq import users
from hq.roles import Role

PASSWORD = "a long enough password 1"
PAGES = [
    "/",
    "/stores",
    "/devices",
    "/cases",
    "/surveys",
    "/alerts",
    "/deliveries",
    "/users",
    "/audit",
    "/tokens",
    "/privacy",
    "/account/password",
]
# (name, viewport, device scale): 1280 px, and the same window zoomed to 200 %.
SIZES = [("1280", {"width": 1280, "height": 800}, 1), ("zoom200", {"width": 640, "height": 400}, 2)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    import shutil

    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but there is no Chromium at {CHROMIUM} (.ci/run installs it)")
        pytest.skip(f"No Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def serious(page: Any) -> list[tuple[str, str, list[str]]]:
    """axe-core's serious and critical violations on the page: (rule, impact, elements)."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [
        (v["id"], v["impact"], [n["target"][0] for n in v["nodes"]][:5])
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def scrolls_sideways(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"))


def check(page: Any, where: str) -> list[str]:
    problems = [f"{where}: {v}" for v in serious(page)]
    if scrolls_sideways(page):
        problems.append(f"{where}: scrolls sideways")
    return problems


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_hq_pages_pass_axe_at_1280_and_200_percent(
    hq_server: Server, browser: Any, lang: str
) -> None:
    device = enroll(hq_server)
    post_batch(
        hq_server,
        device,
        batch(
            device,
            [
                response(
                    device,
                    1,
                    score=2,
                    comment="Long queue at the till",
                    contact_consent=True,  # a follow-up case on /cases, with its form
                    contact_name="Asha",
                    contact_detail="+91 98100 00000",
                )
            ],
        ),
    )
    name = f"a11y-{uuid.uuid4().hex[:6]}"
    users.add_user(hq_server.hq, name, password=PASSWORD, role=Role.OWNER)
    problems: list[str] = []
    for size, viewport, scale in SIZES:
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)
        context.add_cookies([{"name": "lang", "value": lang, "url": hq_server.base}])
        page = context.new_page()
        try:
            page.goto(hq_server.url("/login"))
            problems += check(page, f"/login {lang} {size}")
            page.fill("#u", name)
            page.fill("#p", PASSWORD)
            page.locator("button[type=submit]").click()
            page.wait_for_url(hq_server.url("/"))
            for path in [*PAGES, f"/stores/{device.store_id}"]:
                page.goto(hq_server.url(path))
                assert page.locator("html").get_attribute("lang") == lang
                problems += check(page, f"{path} {lang} {size}")
        finally:
            context.close()
    assert problems == []


@pytest.mark.parametrize("lang", ["en", "hi", "ta"])
def test_the_phone_page_passes_axe_at_390_and_200_percent(
    hq_server: Server, browser: Any, lang: str
) -> None:
    device = enroll(hq_server)
    problems: list[str] = []
    sizes = [("390", {"width": 390, "height": 844}, 3), *SIZES]
    for size, viewport, scale in sizes:
        token = make_token(
            secret=device.secret,
            store_id=device.store_id,
            device_id=device.device_id,
            issued_at=datetime.now(UTC),
        )
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)
        page = context.new_page()
        try:
            page.goto(hq_server.url(f"/m/{device.store_id}?t={token}&lang={lang}"))
            problems += check(page, f"form {lang} {size}")
            # Every score is a labelled radio button a screen reader can name.
            radios = page.get_by_role("radio")
            assert radios.count() == 11
            assert page.get_by_role("radiogroup").count() == 1
            # No score: the error notice.
            page.evaluate(
                "document.querySelectorAll('[required]')"
                ".forEach(e => e.removeAttribute('required'))"
            )
            page.locator("button[type=submit]").click()
            assert page.locator(".error").count() == 1
            problems += check(page, f"error {lang} {size}")
            page.locator("label[for=s9]").click()
            page.locator("button[type=submit]").click()
            assert page.locator(".notice").get_attribute("data-kind") == "thanks"
            problems += check(page, f"thanks {lang} {size}")
            page.goto(hq_server.url(f"/m/{device.store_id}?t={token}&lang={lang}"))
            assert page.locator(".notice").get_attribute("data-kind") == "already"
            problems += check(page, f"already {lang} {size}")
        finally:
            context.close()
    assert problems == []


def test_axe_runs_and_reports_in_this_chromium(browser: Any) -> None:
    """The check above can fail: a page with an unlabelled input and text too faint is caught."""
    page = browser.new_page()
    try:
        page.set_content(
            '<html lang="en"><body><main><input type="text">'
            '<p style="color:#bbb;background:#fff">faint</p></main></body></html>'
        )
        found = {rule for rule, _impact, _nodes in serious(page)}
        assert {"label", "color-contrast"} <= found
    finally:
        page.close()
