"""HQ in English and Hindi (the hq catalog), and the phone page's own texts in the customer's six
languages (the kiosk catalog): what a reader sees, the switch, the lang attributes."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import requests
from babel.messages.pofile import read_po
from hqkit import Server, enroll, sign_in

from core.i18n import locale_dir, translations
from core.mobile_token import make_token
from core.survey_texts import DEFAULT_SURVEY_ID, LANGUAGES
from hq import alerts, notify_email, users
from hq.i18n import pick
from hq.phone import CHOOSE
from hq.profiles import set_settings
from hq.roles import Role

PASSWORD = "a long enough password 1"
PAGES = [
    "/",
    "/stores",
    "/devices",
    "/surveys",
    "/alerts",
    "/deliveries",
    "/users",
    "/tokens",
    "/audit",
    "/privacy",
    "/account/password",
]
HINDI = {"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.8"}


class Visible(HTMLParser):
    """The text a reader meets: text nodes outside script/style, and the attributes a screen
    reader or the page shows (placeholder, aria-label, title)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0
        self.html_lang: str | None = None
        self.lang_links: list[tuple[str, str]] = []
        self._link: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a" and (a.get("href") or "").startswith("/lang?"):
            self._link = a
        for key in ("placeholder", "aria-label", "title"):
            if a.get(key):
                self.texts.append(str(a[key]).strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "a":
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._skip or not data.strip():
            return
        self.texts.append(" ".join(data.split()))
        if self._link is not None:
            self.lang_links.append((str(self._link.get("lang")), data.strip()))


def visible(html: str) -> Visible:
    v = Visible()
    v.feed(html)
    return v


def english_sources() -> set[str]:
    """Every English text of the hq catalog whose Hindi differs (an id like "NPS" may not)."""
    with (locale_dir() / "hi" / "LC_MESSAGES" / "hq.po").open("rb") as fp:
        catalog = read_po(fp, locale="hi")
    out = set()
    for m in catalog:
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        forms = [m.string] if isinstance(m.string, str) else list(m.string)
        for source in ids:
            if source and source not in forms and not re.search(r"[{%]", source):
                out.add(source)
    return out


def _owner(server: Server) -> requests.Session:
    name = f"o-{uuid.uuid4().hex[:8]}"
    users.add_user(server.hq, name, password=PASSWORD, role=Role.OWNER)
    return sign_in(server.base, name, PASSWORD)


@pytest.mark.parametrize(
    ("cookie", "header", "want"),
    [
        (None, None, "en"),
        (None, "hi-IN,hi;q=0.9,en;q=0.8", "hi"),
        (None, "en-GB,en;q=0.9,hi;q=0.8", "en"),
        (None, "de-DE,hi;q=0.5", "hi"),
        (None, "fr, de", "en"),
        ("en", "hi", "en"),
        ("hi", "en-US", "hi"),
        ("xx", "hi", "hi"),
    ],
)
def test_the_cookie_then_the_browser_picks_the_language(
    cookie: str | None, header: str | None, want: str
) -> None:
    assert pick(cookie, header) == want


def test_login_follows_the_browser_and_the_switch_sticks(hq_server: Server) -> None:
    english = requests.get(hq_server.url("/login"), timeout=10)
    assert visible(english.text).html_lang == "en"
    assert "Sign in" in visible(english.text).texts
    hindi = requests.get(hq_server.url("/login"), headers=HINDI, timeout=10)
    page = visible(hindi.text)
    assert page.html_lang == "hi"
    assert "साइन इन करें" in page.texts and "Sign in" not in page.texts
    assert "Accept-Language" in hindi.headers["Vary"]
    # Each language link is named in its own language and says so.
    assert page.lang_links == [("en", "English"), ("hi", "हिन्दी")]
    # The switch (a plain link, no JavaScript): the cookie beats the browser from then on.
    s = requests.Session()
    s.headers.update(HINDI)
    back = s.get(hq_server.url("/lang?to=en&next=/login"), timeout=10)
    assert back.url == hq_server.url("/login") and visible(back.text).html_lang == "en"
    assert "Sign in" in visible(s.get(hq_server.url("/login"), timeout=10).text).texts
    s.get(hq_server.url("/lang?to=hi&next=/login"), timeout=10)
    assert visible(s.get(hq_server.url("/login"), timeout=10).text).html_lang == "hi"
    # The wrong password is said in the page's language.
    wrong = s.post(hq_server.url("/login"), data={"username": "x", "password": "y"}, timeout=30)
    assert "उपयोगकर्ता नाम या पासवर्ड गलत है।" in visible(wrong.text).texts


def test_the_switch_goes_back_only_to_a_page_of_hq(hq_server: Server) -> None:
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = requests.get(
            hq_server.url("/lang"), params={"to": "hi", "next": bad}, allow_redirects=False
        )
        assert r.status_code == 303 and r.headers["Location"] == "/"


def test_every_page_in_hindi_shows_no_english_text_of_the_catalog(hq_server: Server) -> None:
    device = enroll(hq_server)  # a store and a device, so the tables have rows
    s = _owner(hq_server)
    # What people typed is theirs, not HQ's (other tests name rules like the catalog does).
    sources = english_sources() - {
        r.name for r in alerts.rules(hq_server.hq, include_disabled=True)
    }
    english_hits = 0
    for path in [*PAGES, f"/stores/{device.store_id}"]:
        en = visible(s.get(hq_server.url(path), headers={"Accept-Language": "en"}).text)
        english_hits += len(sources & set(en.texts))
        s.cookies.set("lang", "hi")
        page = s.get(hq_server.url(path), timeout=30)
        s.cookies.set("lang", "en")
        assert page.status_code == 200, path
        hi = visible(page.text)
        assert hi.html_lang == "hi", path
        assert sorted(sources & set(hi.texts)) == [], f"{path} shows these in English"
        assert ("hi", "हिन्दी") in hi.lang_links, path
    assert english_hits > 60  # the same check finds them on the English pages


def test_the_phone_page_speaks_each_customer_language(hq_server: Server) -> None:
    device = enroll(hq_server)
    # The built-in survey, in all six languages: other tests in this server publish drafts of
    # the default survey with fewer (the page offers only the store's survey's languages).
    set_settings(
        hq_server.hq,
        "store",
        device.store_id,
        {"survey": DEFAULT_SURVEY_ID, "languages": list(LANGUAGES)},
        actor="test",
    )
    token = make_token(
        secret=device.secret,
        store_id=device.store_id,
        device_id=device.device_id,
        issued_at=datetime.now(UTC),
    )
    url = hq_server.url(f"/m/{device.store_id}")
    for lang in LANGUAGES:
        tr = translations(lang)
        form = requests.get(url, params={"t": token, "lang": lang}, timeout=10)
        page = visible(form.text)
        assert page.html_lang == lang
        assert tr.gettext("Send") in page.texts
        # No score chosen: the error in the customer's language.
        r = requests.post(url, data={"t": token, "lang": lang, "comment": "x"}, timeout=10)
        assert r.status_code == 422
        error = tr.gettext(CHOOSE)
        assert error in visible(r.text).texts
        if lang != "en":
            assert error != CHOOSE and tr.gettext("Send") != "Send"
            assert "Please choose" not in r.text


def test_alert_emails_use_the_chain_language(monkeypatch: pytest.MonkeyPatch) -> None:
    body = {
        "type": "nps.alert",
        "id": "a-1",
        "rule": {"kind": "detractor_comment", "name": "North"},
        "store": {"id": "s1", "name": "North 1"},
        "summary": "North 1 · Score 2",
        "response": {
            "score": 2,
            "category": "detractor",
            "channel": "kiosk",
            "device_time": "2026-01-02T10:00:00Z",
            "comment": "Slow",
            "reasons": ["wait_time"],
        },
    }
    subject, text, html = notify_email.render(body)
    assert subject == "[NPS HQ] Detractor comment · North 1 (s1)"
    assert "Reasons: wait_time" in text and '<html lang="en">' in html
    monkeypatch.setenv("NPS_HQ_LANGUAGE", "hi")
    subject, text, html = notify_email.render(body)
    assert subject == "[NPS HQ] आलोचक की टिप्पणी · North 1 (s1)"
    assert "कारण: wait_time" in text and "अंक 2 (आलोचक)" in text
    assert '<html lang="hi">' in html and "Reasons" not in html
    digest = {"type": "nps.alert_digest", "alerts": [body, body, body]}
    assert notify_email.render(digest)[0] == "[NPS HQ] दैनिक सारांश: 3 अलर्ट"
