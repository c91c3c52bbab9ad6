"""HQ's pages show the service code's refusals in the page's language (core/said.py, the errors
catalog): a Hindi reader of the users page reads why a user was not added in Hindi, an English
one in English."""

from __future__ import annotations

import uuid

import requests
from hqkit import Server, csrf_token, sign_in

from hq import users
from hq.roles import Role

PASSWORD = "a long enough password 1"


def _owner(server: Server) -> requests.Session:
    name = f"o-{uuid.uuid4().hex[:8]}"
    users.add_user(server.hq, name, password=PASSWORD, role=Role.OWNER)
    return sign_in(server.base, name, PASSWORD)


def _add_viewer_without_a_group(server: Server, s: requests.Session) -> requests.Response:
    page = s.get(server.url("/users"), timeout=10)
    return s.post(
        server.url("/users"),
        data={
            "csrf_token": csrf_token(page.text),
            "username": f"v-{uuid.uuid4().hex[:8]}",
            "password": PASSWORD,
            "role": "viewer",
        },
        timeout=10,
    )


def test_a_refusal_on_a_page_is_in_the_pages_language(hq_server: Server) -> None:
    s = _owner(hq_server)
    english = _add_viewer_without_a_group(hq_server, s)
    assert english.status_code == 422
    assert "A viewer reads only the stores of their groups" in english.text

    s.cookies.set("lang", "hi")
    hindi = _add_viewer_without_a_group(hq_server, s)
    assert hindi.status_code == 422
    assert "viewer सिर्फ़ अपने समूहों के स्टोर देखते हैं; --group GROUP से कोई समूह बताएँ।" in (hindi.text)
    assert "A viewer reads only" not in hindi.text


def test_the_users_pages_notice_is_in_the_pages_language_too(hq_server: Server) -> None:
    s = _owner(hq_server)
    s.cookies.set("lang", "hi")
    page = s.get(hq_server.url("/users"), timeout=10)
    name = f"a-{uuid.uuid4().hex[:8]}"
    added = s.post(
        hq_server.url("/users"),
        data={
            "csrf_token": csrf_token(page.text),
            "username": name,
            "password": PASSWORD,
            "role": "analyst",
        },
        timeout=10,
    )
    assert added.status_code == 200, added.text
    assert f"यूज़र {name} को analyst के रूप में जोड़ा गया।" in added.text
