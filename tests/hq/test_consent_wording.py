"""What each customer agreed to, at HQ (a real server, both databases): a v2 answer carrying the
wording the kiosk showed keeps it; a v2 answer without it shows its survey version's consent in
the answer's language; a v1 answer says the wording was not recorded. The privacy page, the
person API and the data-subject export show "agreed to" per consent; migration 0009_consent
upgrades a 0007 database."""

from __future__ import annotations

import uuid
from pathlib import Path

import requests
from hqkit import Server, batch, enroll, post_batch, response, sign_in, statuses

from hq import profiles, users
from hq.roles import Role
from hq.service import Hq, HqConfig

PASSWORD = "consent pass 1"
SHOWN = "Can the store manager call you about today's visit? (edited in the shop)"
HINDI_CONSENT = "क्या स्टोर मैनेजर आपसे आज की विज़िट के बारे में बात कर सकते हैं?"


def _phone() -> str:
    return f"+91 9{uuid.uuid4().int % 10**9:09d}"


def _publish(server: Server) -> int:
    form = f"c{uuid.uuid4().hex[:8]}"
    profiles.save_draft(server.hq, form, actor="test", create=True)
    draft = profiles.get_draft(server.hq, form)
    texts = dict(draft.texts)
    hi = dict(texts.get("hi") or texts["en"])
    hi["consent"] = HINDI_CONSENT
    texts["hi"] = hi
    languages = list(dict.fromkeys([*draft.languages, "hi"]))
    profiles.save_draft(server.hq, form, actor="test", texts=texts, languages=languages)
    return profiles.publish(server.hq, form, actor="test").id


def _owner(server: Server) -> requests.Session:
    name = f"owner-{uuid.uuid4().hex[:6]}"
    users.add_user(server.hq, name, password=PASSWORD, role=Role.OWNER)
    return sign_in(server.base, name, PASSWORD)


def test_every_consent_shows_what_the_customer_agreed_to(hq_server: Server) -> None:
    dev = enroll(hq_server)
    survey = _publish(hq_server)
    phone = _phone()
    consent = {"contact_consent": True, "contact_name": "Meera", "contact_detail": phone}
    shown = response(dev, 1, score=2, consent_text=SHOWN, **consent)
    versioned = response(dev, 2, score=3, language="hi", survey_version=survey, **consent)
    old = response(dev, 3, score=4, **consent)
    assert statuses(post_batch(hq_server, dev, batch(dev, [shown, versioned], protocol="v2"))) == [
        "accepted",
        "accepted",
    ]
    assert statuses(post_batch(hq_server, dev, batch(dev, [old]))) == ["accepted"]
    # An answer without consent carries no wording.
    lonely = response(dev, 5, consent_text=SHOWN)
    assert statuses(post_batch(hq_server, dev, batch(dev, [lonely], protocol="v2"))) == ["rejected"]

    owner = _owner(hq_server)
    person = owner.get(hq_server.url("/api/v1/privacy/person"), params={"phone": phone}, timeout=30)
    assert person.status_code == 200, person.text
    agreed = {r["id"]: (r["agreed_to"], r["agreed_to_source"]) for r in person.json()["responses"]}
    assert agreed == {
        shown["id"]: (SHOWN, "kiosk"),
        versioned["id"]: (HINDI_CONSENT, "survey"),
        old["id"]: (None, ""),
    }
    export = owner.get(hq_server.url("/api/v1/privacy/export"), params={"phone": phone}, timeout=30)
    assert export.status_code == 200
    assert {r["agreed_to"] for r in export.json()["responses"]} == {SHOWN, HINDI_CONSENT, None}

    page = owner.get(hq_server.url("/privacy"), params={"phone": phone}, timeout=30).text
    assert "Agreed to: “Can the store manager call you about today&#39;s visit?" in page
    assert f"Agreed to: “{HINDI_CONSENT}”" in page
    assert f"(survey version {survey}, language hi)" in page
    assert "the wording was not recorded" in page
    # The wording is not personal: an erasure keeps it with the consent flag.
    erased = owner.post(
        hq_server.url("/api/v1/privacy/erasures"), json={"phone": phone}, timeout=30
    )
    assert erased.status_code == 200, erased.text
    again = owner.get(
        hq_server.url("/api/v1/privacy/person"), params={"response": shown["id"]}, timeout=30
    ).json()["responses"][0]
    assert again["contact_detail"] is None and again["agreed_to"] == SHOWN


def test_migration_0009_upgrades_a_0007_database(tmp_path: Path) -> None:
    from alembic import command

    from hq.db import _alembic_config, make_engine, sqlite_url

    url = sqlite_url(tmp_path / "hq.db")
    engine = make_engine(url)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0007_corrected_time")
        conn.exec_driver_sql(
            "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
            "question_version, score, category, reasons, contact_consent, contact_name, "
            "contact_detail, device_time, corrected_time, completion, suspect, content_hash, "
            "received_at) VALUES ('01900000-0000-7000-8000-000000000009', 1, 's1', 'd1', "
            "'kiosk', 'en', 1, 2, 'detractor', '[]', 1, 'Old', '+91 90000 00009', "
            "'2026-01-01 10:00:00.000000', '2026-01-01 10:00:00.000000', 'done', 0, 'abc', "
            "'2026-01-01 10:00:00.000000')"
        )
        conn.commit()
    engine.dispose()
    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        with hq.db.engine.connect() as conn:
            row = conn.exec_driver_sql("SELECT contact_detail, consent_text FROM responses").one()
            assert tuple(row) == ("+91 90000 00009", None)
        from hq import privacy

        held = privacy.find(hq, privacy.PersonQuery.parse("phone", "+91 90000 00009"), actor="t")
        assert [(r.agreed_to, r.contact_consent) for r in held.responses] == [(None, True)]
    finally:
        hq.close()
