"""Store profiles and survey versions at HQ: inheritance (store, then franchisee, format,
region, other group, then the chain), versions that grow exactly when a store's profile
changes, drafts published as immutable versions, the phone page asking the store's survey in
its languages and recording its version, NPS by survey version, the CLI, and the pages'
editor (CSRF, roles) and preview."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from hqkit import (
    Device,
    Server,
    csrf_token,
    enroll,
    new_store,
    post_batch,
    response,
    sign_in,
    start_server,
)
from hqkit import batch as make_batch

from core.mobile_token import make_token

FESTIVE = {
    "name": "Festive",
    "languages": ["ta", "hi"],
    "texts": {
        lang: {
            "question": q,
            "label_low": "0!",
            "label_high": "10!",
            "follow_up": {"detractor": "Why?", "passive": "Why not 10?", "promoter": "Loved?"},
            "reasons": {"detractor": [{"key": "queue", "label": f"Queue {lang}"}]},
            "consent": "Contact?",
        }
        for lang, q in (
            ("ta", "உங்கள் பண்டிகை ஷாப்பிங் எப்படி இருந்தது?"),
            ("hi", "आपकी त्योहारी ख़रीदारी कैसी रही?"),
        )
    },
}


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def hq(tmp_path: Path):  # type: ignore[no-untyped-def]
    from hq.service import Hq, HqConfig

    h = Hq.open(HqConfig(data_dir=tmp_path))
    yield h
    h.close()


def test_inheritance_and_versions(hq) -> None:  # type: ignore[no-untyped-def]
    from hq.groups import add_group, set_group
    from hq.profiles import current_profile, profile_sources, set_settings

    hq.add_store("s1", name="Store One")
    hq.add_store("s2", name="Store Two")
    add_group(hq, "south", kind="region")
    add_group(hq, "frx", kind="franchisee")
    add_group(hq, "big", kind="format")
    for g in ("south", "frx", "big"):
        set_group(hq, store_id="s1", group_id=g)
    set_group(hq, store_id="s2", group_id="south")
    p1 = current_profile(hq, "s1")
    assert (p1.version, p1.time_zone, p1.display_name, p1.survey.id) == (1, "UTC", "Store One", 1)

    assert set_settings(hq, "chain", "", {"time_zone": "Asia/Kolkata"}, actor="t") == ["s1", "s2"]
    set_settings(hq, "group", "south", {"thank_you.seconds": 8, "languages": ["hi"]}, actor="t")
    set_settings(hq, "group", "big", {"thank_you.seconds": 9}, actor="t")
    set_settings(hq, "group", "frx", {"thank_you.seconds": 10}, actor="t")
    p1, p2 = current_profile(hq, "s1"), current_profile(hq, "s2")
    assert p1.thank_you.seconds == 10  # franchisee beats format beats region
    assert p2.thank_you.seconds == 8 and p2.survey.languages == ["hi"]
    assert p1.time_zone == p2.time_zone == "Asia/Kolkata"
    assert (p1.version, p2.version) == (5, 3)
    set_settings(hq, "store", "s1", {"thank_you.seconds": 12}, actor="t")
    assert current_profile(hq, "s1").thank_you.seconds == 12
    assert profile_sources(hq, "s1")["thank_you.seconds"] == (12, "store s1")
    assert profile_sources(hq, "s1")["languages"] == (["hi"], "group south")
    # Setting the same value again, or a setting an override hides, changes nothing.
    assert set_settings(hq, "store", "s1", {"thank_you.seconds": 12}, actor="t") == []
    assert set_settings(hq, "group", "big", {"thank_you.seconds": 11}, actor="t") == []
    assert current_profile(hq, "s1").version == 6 and current_profile(hq, "s2").version == 3
    # Unsetting falls back to the next level.
    set_settings(hq, "store", "s1", {"thank_you.seconds": None}, actor="t")
    assert current_profile(hq, "s1").thank_you.seconds == 10


def test_bad_settings_are_refused(hq) -> None:  # type: ignore[no-untyped-def]
    from hq.errors import ConfigError
    from hq.profiles import current_profile, parse_setting, set_settings

    hq.add_store("s1")
    for key, value in (
        ("time_zone", "Mars/Base"),
        ("thank_you.review_url", "http://insecure.example"),
        ("follow_up_timeout_s", "1"),
        ("languages", "fr"),  # no survey has French texts
        ("survey", "nosuch"),
        ("survey", "99"),
    ):
        with pytest.raises(ConfigError):
            set_settings(hq, "store", "s1", {key: parse_setting(key, value)}, actor="t")
    with pytest.raises(ConfigError):
        parse_setting("opening_hours", "funday=09:00-10:00")
    with pytest.raises(ConfigError):
        parse_setting("colour", "red")
    assert current_profile(hq, "s1").version == 1
    hours = parse_setting("opening_hours", "mon,tue=09:00-21:00;sun=closed;sat=22:00-02:00")
    set_settings(hq, "store", "s1", {"opening_hours": hours}, actor="t")
    p = current_profile(hq, "s1")
    assert p.is_open(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))  # a Monday
    assert not p.is_open(datetime(2027, 1, 3, 10, 0, tzinfo=UTC))  # a Sunday: closed
    assert p.is_open(datetime(2027, 1, 3, 1, 0, tzinfo=UTC))  # Sunday 01:00: Saturday's night
    assert p.is_open(datetime(2027, 1, 2, 23, 0, tzinfo=UTC))  # Saturday 23:00
    assert not p.is_open(datetime(2027, 1, 2, 12, 0, tzinfo=UTC))  # Saturday noon


def test_drafts_publish_immutable_versions(hq) -> None:  # type: ignore[no-untyped-def]
    from hq.errors import ConfigError, NotFound
    from hq.profiles import (
        current_profile,
        preview,
        publish,
        published,
        save_draft,
        set_settings,
        survey_version,
    )

    hq.add_store("s1")
    hq.add_store("s2")
    draft = save_draft(hq, "festive", actor="t", create=True)
    assert draft.languages == ["en", "hi"]  # a new survey starts from the Default one
    save_draft(hq, "festive", actor="t", **FESTIVE)  # type: ignore[arg-type]
    assert preview(hq, "festive").id == 2
    with pytest.raises(ConfigError):
        save_draft(hq, "festive", actor="t", languages=["bn"])
    v2 = publish(hq, "festive", actor="t")
    assert (v2.id, v2.name, v2.languages) == (2, "Festive", ["ta", "hi"])
    with pytest.raises(NotFound):
        publish(hq, "festive", actor="t")  # the draft is gone
    set_settings(hq, "store", "s1", {"survey": "festive"}, actor="t")
    p = current_profile(hq, "s1")
    assert (p.survey.id, p.survey.languages, p.version) == (2, ["ta", "hi"], 2)
    # A new version of the survey s1 asks gives s1 (only) a new profile version.
    save_draft(hq, "festive", actor="t", create=True, name="Festive 2")
    v3 = publish(hq, "festive", actor="t")
    assert current_profile(hq, "s1").survey.id == v3.id == 3
    assert current_profile(hq, "s1").version == 3 and current_profile(hq, "s2").version == 1
    # Version 2 is unchanged; a pinned store stays on it.
    assert survey_version(hq, 2)[1].name == "Festive"
    set_settings(hq, "store", "s2", {"survey": 2}, actor="t")
    assert current_profile(hq, "s2").survey.id == 2
    assert [v.id for _f, v in published(hq)] == [3, 2, 1]


def test_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hq.cli import main

    d = ["--data-dir", str(tmp_path)]
    file = tmp_path / "festive.json"
    file.write_text(json.dumps(FESTIVE, ensure_ascii=False), encoding="utf-8")
    assert main(["add-store", "blr-01", "--name", "Bengaluru One", *d]) == 0
    assert main(["add-group", "south", "--kind", "region", *d]) == 0
    assert main(["set-group", "--store", "blr-01", "--group", "south", *d]) == 0
    assert main(["profile", "set", "time_zone=Asia/Kolkata", *d]) == 0
    assert main(["profile", "set", "--group", "south", "thank_you.seconds=8", *d]) == 0
    assert main(["profile", "set", "--store", "blr-01", "time_zone=Nowhere/Land", *d]) == 2
    assert main(["survey", "draft", "festive", "--file", str(file), *d]) == 0
    assert main(["survey", "preview", "festive", *d]) == 0
    assert main(["survey", "publish", "festive", *d]) == 0
    assert (
        main(["profile", "set", "--store", "blr-01", "survey=festive", "languages=hi,ta", *d]) == 0
    )
    capsys.readouterr()
    assert main(["profile", "show", "--store", "blr-01", "--json", *d]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["time_zone"] == "Asia/Kolkata" and shown["thank_you"]["seconds"] == 8
    assert shown["survey"]["id"] == 2 and shown["survey"]["languages"] == ["hi", "ta"]
    assert shown["version"] == 4  # 1, chain zone, group, store (the publish: unused)
    assert main(["profile", "show", "--store", "blr-01", *d]) == 0
    out = capsys.readouterr().out
    assert "thank_you.seconds = 8  (group south)" in out
    assert main(["survey", "list", *d]) == 0
    assert "2\tfestive\tFestive\tta,hi" in capsys.readouterr().out


# Over HTTP, on both backends ---------------------------------------------------------------


def _festive(server: Server) -> int:
    """A published survey of its own (never the default form: other tests ask that)."""
    from hq.profiles import publish, save_draft

    form = _id("fest")
    save_draft(server.hq, form, actor="t", create=True)
    save_draft(server.hq, form, actor="t", **FESTIVE)  # type: ignore[arg-type]
    return publish(server.hq, form, actor="t").id, form  # type: ignore[return-value]


def _phone_link(server: Server, device: Device) -> str:
    token = make_token(
        secret=device.secret,
        store_id=device.store_id,
        device_id=device.device_id,
        issued_at=datetime.now(UTC),
    )
    return token


def test_the_phone_page_asks_the_stores_survey(hq_server: Server) -> None:
    from hq.profiles import set_settings

    device = enroll(hq_server)
    survey_id, form = _festive(hq_server)
    set_settings(hq_server.hq, "store", device.store_id, {"survey": form}, actor="t")
    token = _phone_link(hq_server, device)
    page = requests.get(hq_server.url(f"/m/{device.store_id}"), params={"t": token}, timeout=10)
    assert page.status_code == 200
    assert "உங்கள் பண்டிகை ஷாப்பிங்" in page.text  # Tamil first: the survey's order
    assert 'lang="ta"' in page.text and 'lang="hi"' in page.text and ">English<" not in page.text
    assert "Queue ta" in page.text and f'name="sv" value="{survey_id}"' in page.text
    hindi = requests.get(
        hq_server.url(f"/m/{device.store_id}"), params={"t": token, "lang": "hi"}, timeout=10
    )
    assert "आपकी त्योहारी ख़रीदारी" in hindi.text and "भेजें" in hindi.text
    done = requests.post(
        hq_server.url(f"/m/{device.store_id}"),
        data={"t": token, "lang": "ta", "score": "3", "reasons": "queue", "sv": str(survey_id)},
        timeout=10,
    )
    assert done.status_code == 200, done.text
    # The kiosk side: a v2 pull shows the version, a v1 pull leaves the field out.
    base = hq_server.url(f"/api/v1/stores/{device.store_id}/responses")
    v2 = requests.get(base, params={"protocol": "v2"}, headers=device.auth, timeout=10).json()
    [answer] = v2["responses"]
    assert (answer["survey_version"], answer["language"], answer["reasons"]) == (
        survey_id,
        "ta",
        ["queue"],
    )
    v1 = requests.get(base, headers=device.auth, timeout=10).json()
    assert "survey_version" not in v1["responses"][0]


def test_nps_by_survey_version(hq_server: Server, analyst_token: str) -> None:
    device = enroll(hq_server)
    rows = [
        response(device, 1, score=10, survey_version=1),
        response(device, 2, score=0, survey_version=1),
        response(device, 3, score=9),
    ]
    assert post_batch(hq_server, device, make_batch(device, rows, protocol="v2")).status_code == 200
    auth = {"Authorization": f"Bearer {analyst_token}"}
    url = hq_server.url("/api/v1/nps")
    by = requests.get(
        url,
        params={"store": device.store_id, "group_by": "survey_version"},
        headers=auth,
        timeout=10,
    ).json()
    got = {g["key"]: g["n"] for g in by["groups"]}
    assert got == {"1": 2, "unknown": 1}
    one = requests.get(
        url, params={"store": device.store_id, "survey_version": 1}, headers=auth, timeout=10
    ).json()
    assert one["groups"][0]["n"] == 2
    bad = requests.get(url, params={"survey_version": 0}, headers=auth, timeout=10)
    assert bad.status_code == 422
    surveys = requests.get(hq_server.url("/api/v1/surveys"), headers=auth, timeout=10)
    assert surveys.status_code == 200 and surveys.json()[-1]["id"] == 1
    one_survey = requests.get(hq_server.url("/api/v1/surveys/1"), headers=auth, timeout=10)
    assert one_survey.json()["name"] == "Default"
    assert (
        requests.get(hq_server.url("/api/v1/surveys/999999"), headers=auth, timeout=10).status_code
        == 404
    )
    prof = requests.get(
        hq_server.url(f"/api/v1/profiles/{device.store_id}"), headers=auth, timeout=10
    )
    assert prof.status_code == 200 and prof.json()["store_id"] == device.store_id


def _user(server: Server, role: str) -> requests.Session:
    from hq import users
    from hq.roles import Role

    name = _id(role)
    users.add_user(server.hq, name, password="profile pass 1", role=Role.parse(role))
    return sign_in(server.url(""), name, "profile pass 1")


def test_the_profile_editor_and_survey_pages(hq_server: Server) -> None:
    from hq.profiles import current_profile

    store = new_store(hq_server, name="Editor Store")
    admin = _user(hq_server, "admin")
    listing = admin.get(hq_server.url("/stores"), timeout=10)
    assert listing.status_code == 200 and "Editor Store" in listing.text
    page = admin.get(hq_server.url(f"/stores/{store}"), timeout=10)
    assert page.status_code == 200 and 'name="time_zone"' in page.text
    token = csrf_token(page.text)
    saved = admin.post(
        hq_server.url(f"/stores/{store}"),
        data={"csrf_token": token, "time_zone": "Asia/Kolkata", "thank_you.seconds": "7"},
        timeout=10,
    )
    assert saved.status_code == 200 and "new profile version" in saved.text
    p = current_profile(hq_server.hq, store)
    assert (p.time_zone, p.thank_you.seconds, p.version) == ("Asia/Kolkata", 7, 2)
    bad = admin.post(
        hq_server.url(f"/stores/{store}"),
        data={"csrf_token": token, "time_zone": "Nowhere/Land"},
        timeout=10,
    )
    assert bad.status_code == 422 and "not an IANA time zone" in bad.text
    # Without the CSRF token: refused; an analyst reads but may not change it.
    no_csrf = requests.post(
        hq_server.url(f"/stores/{store}"),
        data={"time_zone": "UTC"},
        cookies=admin.cookies,
        timeout=10,
    )
    assert no_csrf.status_code == 403
    analyst = _user(hq_server, "analyst")
    seen = analyst.get(hq_server.url(f"/stores/{store}"), timeout=10)
    assert seen.status_code == 200 and 'name="time_zone"' not in seen.text
    refused = analyst.post(
        hq_server.url(f"/stores/{store}"), data={"csrf_token": csrf_token(seen.text)}, timeout=10
    )
    assert refused.status_code == 403
    assert current_profile(hq_server.hq, store).version == 2

    # Surveys: start a draft, edit it, preview it on the phone page, publish it.
    form = _id("page")
    started = admin.post(
        hq_server.url("/surveys/draft"),
        data={"csrf_token": token, "form": form, "start": "1"},
        timeout=10,
    )
    assert started.status_code == 200 and f"draft-{form}" in started.text
    edit = {
        "csrf_token": token,
        "form": form,
        "name": "Page survey",
        "languages": "en",
        "en.question": "Would you shop here again?",
        "en.label_low": "Never",
        "en.label_high": "Surely",
        "en.follow_up.detractor": "What went wrong?",
        "en.follow_up.passive": "What was missing?",
        "en.follow_up.promoter": "What went well?",
        "en.consent": "May we call you?",
        "en.chips": "parking = Parking\nqueue = Queue",
    }
    assert admin.post(hq_server.url("/surveys/draft"), data=edit, timeout=10).status_code == 200
    shown = admin.get(hq_server.url(f"/surveys/{form}/preview"), timeout=10)
    assert shown.status_code == 200
    assert "Preview — draft" in shown.text and "Would you shop here again?" in shown.text
    assert (
        "Parking" in shown.text and 'method="post"' not in shown.text and "disabled" in shown.text
    )
    published = admin.post(
        hq_server.url(f"/surveys/{form}/publish"), data={"csrf_token": token}, timeout=10
    )
    assert published.status_code == 200 and "as survey version" in published.text
    assert analyst.get(hq_server.url("/surveys"), timeout=10).status_code == 200
    gone = admin.get(hq_server.url(f"/surveys/{form}/preview"), timeout=10)
    assert gone.status_code == 404


def test_the_chain_defaults_page(tmp_path: Path) -> None:
    """A chain's IT sets a default for every store on /chain (before, only the CLI could):
    a store without its own setting takes it, a store's own setting still wins, the form
    shows the built-in value as the placeholder, and an analyst reads it without a form."""
    from hq.profiles import current_profile, settings_of
    from hq.service import Hq, HqConfig

    hq = Hq.open(HqConfig(data_dir=tmp_path))
    uvicorn_server, thread, base = start_server(hq)
    try:
        server = Server(base=base, hq=hq, backend="sqlite")
        plain, own = new_store(server), new_store(server)
        admin = _user(server, "admin")
        assert (
            admin.post(
                server.url(f"/stores/{own}"),
                data={
                    "csrf_token": csrf_token(admin.get(server.url(f"/stores/{own}")).text),
                    "thank_you.seconds": "9",
                },
                timeout=10,
            ).status_code
            == 200
        )
        listing = admin.get(server.url("/stores"), timeout=10)
        assert 'href="/chain"' in listing.text
        page = admin.get(server.url("/chain"), timeout=10)
        assert page.status_code == 200 and "Chain defaults" in page.text
        assert 'action="/chain"' in page.text and "(built-in)" in page.text
        saved = admin.post(
            server.url("/chain"),
            data={
                "csrf_token": csrf_token(page.text),
                "thank_you.seconds": "6",
                "time_zone": "Asia/Kolkata",
            },
            timeout=10,
        )
        assert saved.status_code == 200 and plain in saved.text and own in saved.text
        assert settings_of(hq, "chain") == {"thank_you.seconds": 6, "time_zone": "Asia/Kolkata"}
        p, o = current_profile(hq, plain), current_profile(hq, own)
        assert (p.thank_you.seconds, p.time_zone) == (6, "Asia/Kolkata")
        assert (o.thank_you.seconds, o.time_zone) == (9, "Asia/Kolkata")
        bad = admin.post(
            server.url("/chain"),
            data={"csrf_token": csrf_token(page.text), "time_zone": "Mars/Olympus"},
            timeout=10,
        )
        assert bad.status_code == 422 and "not an IANA time zone" in bad.text
        assert current_profile(hq, plain).time_zone == "Asia/Kolkata"
        analyst = _user(server, "analyst")
        seen = analyst.get(server.url("/chain"), timeout=10)
        assert seen.status_code == 200 and 'action="/chain"' not in seen.text
        assert "thank_you.seconds" in seen.text
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=30)
        hq.close()
