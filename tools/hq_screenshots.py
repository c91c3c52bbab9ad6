"""Screenshots of the HQ dashboard (1280 wide), the phone page (390 wide), the owner's Users
and Audit log pages, and the fleet pages (Stores, a store's profile, Devices, Surveys, a draft's
preview) at 1280 and 390 wide, and a draft's kiosk preview (1280), into docs/.

Run: .venv/bin/python -m tools.hq_screenshots  (a demo chain on a temporary SQLite HQ);
``... -m tools.hq_screenshots privacy`` makes only the Privacy page's (1280 and 390 wide);
``... fleet`` only Devices (1280 and 390) and the kiosk preview.
"""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from core.ids import uuid7
from core.mobile_token import make_token
from core.nps import category
from core.protocol import BatchEnvelope, decode_secret
from hq.ingest import ingest
from hq.models import DeviceRow
from hq.service import DeviceAuth, Hq, HqConfig
from tests.hq.hqkit import start_server

DOCS = Path(__file__).resolve().parents[1] / "docs"
FLEET_PAGES = (
    ("/stores", "hq-stores"),
    ("/stores/blr-01", "hq-store-profile"),
    ("/surveys", "hq-surveys"),
    ("/surveys/monsoon/preview", "hq-survey-preview"),
    ("/devices", "hq-devices"),
    ("/chain", "hq-chain"),
)
WIDE_ONLY = (("/surveys/monsoon/kiosk", "hq-survey-kiosk-preview"),)
STORES = [
    ("blr-01", "Bengaluru Indiranagar", 0.62, 420),
    ("del-03", "Delhi Saket", 0.48, 310),
    ("mum-07", "Mumbai Bandra", 0.55, 260),
    ("pun-02", "Pune Koregaon Park", 0.40, 18),
]
COMMENTS = [
    "The queue at the till took twenty minutes.",
    "बिलिंग में बहुत समय लगा।",
    "Staff were busy on their phones.",
    "Prices went up again, not worth it.",
    "Could not find the size I wanted.",
]


def seed(hq: Hq) -> tuple[str, str, bytes]:
    rng = random.Random(7)
    now = datetime.now(UTC)
    phone: tuple[str, str, bytes] | None = None
    for store_id, name, promoter_share, n in STORES:
        hq.add_store(store_id, name=name)
        code = hq.enroll_device(store_id=store_id, device_id=f"{store_id}-k1")
        reply = hq.redeem_enrollment(code.code)
        phone = phone or (store_id, reply.device_id, decode_secret(reply.device_secret))
        rows = []
        for seq in range(1, n + 1):
            roll = rng.random()
            score = (
                rng.choice([9, 10])
                if roll < promoter_share
                else (rng.choice([7, 8]) if roll < promoter_share + 0.22 else rng.randint(0, 6))
            )
            when = now - timedelta(days=rng.uniform(0, 84))
            comment = rng.choice(COMMENTS) if score <= 6 and rng.random() < 0.3 else None
            rows.append(
                {
                    "id": str(uuid7(unix_ms=int(when.timestamp() * 1000))),
                    "seq": seq,
                    "store_id": store_id,
                    "device_id": reply.device_id,
                    "channel": "qr" if rng.random() < 0.15 else "kiosk",
                    "language": rng.choice(["en", "hi"]),
                    "question_version": 1,
                    "score": score,
                    "category": category(score).value,
                    "comment": comment,
                    "device_time": when.isoformat(),
                    "completion": "done",
                }
            )
        for start in range(0, len(rows), 500):
            envelope = BatchEnvelope.model_validate(
                {
                    "protocol": "v1",
                    "batch_id": str(uuid7()),
                    "device_id": reply.device_id,
                    "sent_at": now.isoformat(),
                    "responses": rows[start : start + 500],
                    "pending": 0,
                }
            )
            ingest(hq, envelope, device=DeviceAuth(device_id=reply.device_id, store_id=store_id))
    with hq.db.writing() as s:  # one store whose kiosk went quiet three days ago
        s.execute(
            update(DeviceRow)
            .where(DeviceRow.device_id == "mum-07-k1")
            .values(
                last_sync_at=(now - timedelta(days=3, hours=2)).replace(tzinfo=None),
                last_backlog=57,
            )
        )
    hq.enroll_device(store_id="pun-02", device_id="pun-02-k2", actor="demo")
    assert phone is not None
    return phone


def seed_people(hq: Hq) -> None:
    """Users of every role, groups for the viewers, an API token: the Users and Audit pages."""
    from hq import groups, users
    from hq.roles import Role

    groups.add_group(hq, "north", name="North")
    groups.add_group(hq, "west", name="West")
    groups.set_group(hq, store_id="del-03", group_id="north")
    groups.set_group(hq, store_id="mum-07", group_id="west")
    groups.set_group(hq, store_id="pun-02", group_id="west")
    people = [
        ("anita", Role.ADMIN, False, []),
        ("ravi", Role.ANALYST, True, []),
        ("meera", Role.ANALYST, False, []),
        ("north-manager", Role.VIEWER, False, ["north"]),
        ("west-manager", Role.VIEWER, False, ["west"]),
    ]
    for name, role, contact, in_groups in people:
        users.add_user(
            hq,
            name,
            password="a demo password",
            role=role,
            contact=contact,
            groups=in_groups,
            actor="demo",
        )
    users.set_role(hq, "meera", Role.ANALYST, contact=False, actor="demo")
    users.reset_password(hq, "west-manager", actor="demo")
    hq.create_api_token("weekly BI export", actor="demo")
    hq.create_api_token("West franchise BI", actor="demo", groups=["west"])
    hq.create_api_token("call centre", actor="demo", contact=True)
    hq.revoke_posters("blr-01", actor="anita")


FESTIVE_TEXTS = {
    "ta": {
        "question": "எங்களை நண்பருக்கு பரிந்துரைக்க எவ்வளவு வாய்ப்பு உள்ளது?",
        "label_low": "வாய்ப்பே இல்லை",
        "label_high": "நிச்சயமாக",
        "follow_up": {
            "detractor": "நாங்கள் எதை மேம்படுத்தலாம்?",
            "passive": "10 ஆக்க என்ன வேண்டும்?",
            "promoter": "உங்களுக்கு எது மிகவும் பிடித்தது?",
        },
        "reasons": {"detractor": [{"key": "queue", "label": "வரிசை"}]},
        "consent": "உங்களைத் தொடர்பு கொள்ளலாமா?",
    },
    "hi": {
        "question": "त्योहार की ख़रीदारी में आपका अनुभव कैसा रहा?",
        "label_low": "बिल्कुल संभावना नहीं",
        "label_high": "बहुत अधिक संभावना",
        "follow_up": {
            "detractor": "हम क्या बेहतर कर सकते हैं?",
            "passive": "इसे 10 बनाने के लिए क्या चाहिए?",
            "promoter": "आपको सबसे अच्छा क्या लगा?",
        },
        "reasons": {"detractor": [{"key": "queue", "label": "कतार"}]},
        "consent": "क्या हम आपसे संपर्क कर सकते हैं?",
    },
}


def seed_fleet(hq: Hq) -> None:
    """Profiles and surveys: a chain time zone, West's languages, a published Tamil/Hindi
    survey asked by Mumbai, a draft being edited, one kiosk's health report."""
    from hq import profiles

    profiles.set_settings(hq, "chain", "", {"time_zone": "Asia/Kolkata"}, actor="anita")
    hours = profiles.parse_setting("opening_hours", "mon,tue,wed,thu,fri=09:00-21:00;sun=closed")
    profiles.set_settings(
        hq, "group", "west", {"opening_hours": hours, "thank_you.seconds": 8}, actor="anita"
    )
    profiles.save_draft(hq, "festive", actor="anita", create=True)
    profiles.save_draft(
        hq, "festive", actor="anita", name="Festive", languages=["ta", "hi"], texts=FESTIVE_TEXTS
    )
    profiles.publish(hq, "festive", actor="anita")
    profiles.set_settings(hq, "store", "mum-07", {"survey": "festive"}, actor="anita")
    profiles.save_draft(hq, "monsoon", actor="anita", create=True, name="Monsoon")
    with hq.db.writing() as s:
        s.execute(
            update(DeviceRow)
            .where(DeviceRow.device_id == "blr-01-k1")
            .values(
                health='{"app_version": "2.0.0"}', health_at=datetime.now(UTC), profile_version=1
            )
        )


def seed_health(hq: Hq) -> None:
    """Each kiosk's health, sent in real protocol v2 batches: one healthy on the newest app,
    one low on disk with its clock 7 minutes slow on an older app, one that applied an old
    profile, one that went quiet (and pun-02-k2, enrolled, never synced)."""
    from hq import profiles

    now = datetime.now(UTC)
    reports = {
        "blr-01-k1": {"app_version": "0.3.0", "free_disk_bytes": 21_400 * MB},
        "del-03-k1": {
            "app_version": "0.2.1",
            "free_disk_bytes": 120 * MB,
            "clock_offset_s": -421.0,
            "recoveries_since_sync": 2,
            "backlog": 14,
            "oldest_pending_at": (now - timedelta(minutes=50)).isoformat(),
        },
        "mum-07-k1": {"app_version": "0.3.0", "free_disk_bytes": 6_200 * MB, "backlog": 57},
        "pun-02-k1": {"app_version": "0.3.0", "free_disk_bytes": 3_900 * MB, "profile": 1},
    }
    for device_id, extra in reports.items():
        store_id = device_id.rsplit("-", 1)[0]
        current = profiles.current_profile(hq, store_id).version
        health = {
            "app_version": extra["app_version"],
            "schema_revision": "0006",
            "db_bytes": 38 * MB,
            "free_disk_bytes": extra["free_disk_bytes"],
            "backlog": extra.get("backlog", 0),
            "oldest_pending_at": extra.get("oldest_pending_at"),
            "clock_offset_s": extra.get("clock_offset_s", 0.8),
            "started_at": (now - timedelta(hours=9, minutes=12)).isoformat(),
            "recoveries_since_sync": extra.get("recoveries_since_sync", 0),
            "suspect_rate": 0.012,
            "profile_version": extra.get("profile", current),
        }
        envelope = BatchEnvelope.model_validate(
            {
                "protocol": "v2",
                "batch_id": str(uuid7()),
                "device_id": device_id,
                "sent_at": now.isoformat(),
                "responses": [],
                "pending": health["backlog"],
                "health": {k: v for k, v in health.items() if v is not None},
            }
        )
        ingest(hq, envelope, device=DeviceAuth(device_id=device_id, store_id=store_id))
    with hq.db.writing() as s:  # Mumbai's kiosk went quiet three days ago
        s.execute(
            update(DeviceRow)
            .where(DeviceRow.device_id == "mum-07-k1")
            .values(last_sync_at=(now - timedelta(days=3, hours=2)).replace(tzinfo=None))
        )


MB = 1024 * 1024


def main(out: Path = DOCS, *, only_fleet: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        hq = Hq.open(HqConfig(data_dir=Path(tmp)))
        store, device, secret = seed(hq)
        hq.add_analyst("demo", password="demo-password")  # an owner
        seed_people(hq)
        seed_fleet(hq)
        seed_health(hq)
        server, thread, base = start_server(hq)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=[
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                    ],
                )
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(base + "/login")
                page.fill("input[name=username]", "demo")
                page.fill("input[name=password]", "demo-password")
                page.click("button[type=submit]")
                page.wait_for_selector("#stores")
                page.evaluate("document.fonts.ready")
                wide: tuple[tuple[str, str], ...] = (
                    FLEET_PAGES
                    + WIDE_ONLY
                    + (("/users", "hq-users"), ("/tokens", "hq-tokens"), ("/audit", "hq-audit"))
                    # Last: the switch keeps Hindi for this browser page from here on.
                    + (("/lang?to=hi&next=/chain", "hq-chain-hi"),)
                )
                narrow_pages: tuple[tuple[str, str], ...] = tuple(
                    (p, f"{n}-phone") for p, n in FLEET_PAGES
                ) + (
                    ("/users", "hq-users-phone"),
                    ("/audit", "hq-audit-phone"),
                )
                if only_fleet:
                    wide = (("/devices", "hq-devices"), *WIDE_ONLY)
                    narrow_pages = (("/devices", "hq-devices-phone"),)
                else:
                    page.screenshot(path=str(out / "hq-dashboard.png"), full_page=True)
                for path, name in wide:
                    page.goto(base + path)
                    page.evaluate("document.fonts.ready")
                    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                narrow = browser.new_page(
                    viewport={"width": 390, "height": 844}, device_scale_factor=2
                )
                narrow.goto(base + "/login")
                narrow.fill("input[name=username]", "demo")
                narrow.fill("input[name=password]", "demo-password")
                narrow.click("button[type=submit]")
                narrow.wait_for_selector("#stores")
                for path, name in narrow_pages:
                    narrow.goto(base + path)
                    narrow.evaluate("document.fonts.ready")
                    narrow.screenshot(path=str(out / f"{name}.png"), full_page=True)
                if only_fleet:
                    browser.close()
                    return
                phone = browser.new_page(
                    viewport={"width": 390, "height": 844}, device_scale_factor=2
                )
                token = make_token(
                    secret=secret, store_id=store, device_id=device, issued_at=datetime.now(UTC)
                )
                phone.goto(f"{base}/m/{store}?t={token}&lang=hi")
                phone.click("label[for=s9]")
                phone.click("label[for=r-staff]")
                phone.evaluate("document.fonts.ready")
                phone.screenshot(path=str(out / "hq-phone.png"), full_page=True)
                mumbai = hq.secret_for_device("mum-07-k1")
                assert mumbai is not None
                token = make_token(
                    secret=mumbai,
                    store_id="mum-07",
                    device_id="mum-07-k1",
                    issued_at=datetime.now(UTC),
                )
                phone.goto(f"{base}/m/mum-07?t={token}")
                phone.evaluate("document.fonts.ready")
                phone.screenshot(path=str(out / "hq-phone-ta.png"), full_page=True)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            hq.close()
    print(
        "Wrote hq-dashboard, hq-phone(-ta), hq-users, hq-audit, hq-stores, hq-store-profile, "
        "hq-devices, hq-surveys and hq-survey-preview PNGs (and their -phone ones), and "
        f"hq-survey-kiosk-preview.png in {out}"
    )


def seed_privacy(hq: Hq) -> str:
    """One customer who asked to be called back at two stores, with alerts made: the Privacy
    page's search. Returns the phone number to search for."""
    from hq import alerts

    alerts.add_rule(
        hq, name="Call-backs", kind="contact_request", recipients=["email:cx@chain.example;contact"]
    )
    now = datetime.now(UTC)
    phone = "+91 98450 12345"
    for n, (store_id, typed, score, comment) in enumerate(
        [
            ("blr-01", phone, 2, "The card machine failed twice; please call me."),
            ("del-03", "+91-98450-12345", 4, None),
        ]
    ):
        device_id = f"{store_id}-k1"
        when = now - timedelta(days=3 - n)
        row = {
            "id": str(uuid7(unix_ms=int(when.timestamp() * 1000))),
            "seq": 9000 + n,
            "store_id": store_id,
            "device_id": device_id,
            "channel": "kiosk",
            "language": "en",
            "question_version": 1,
            "score": score,
            "category": category(score).value,
            "comment": comment,
            "contact_consent": True,
            "contact_name": "Asha Verma",
            "contact_detail": typed,
            "device_time": when.isoformat(),
            "completion": "done",
        }
        envelope = BatchEnvelope.model_validate(
            {
                "protocol": "v1",
                "batch_id": str(uuid7()),
                "device_id": device_id,
                "sent_at": now.isoformat(),
                "responses": [row],
            }
        )
        ingest(hq, envelope, device=DeviceAuth(device_id=device_id, store_id=store_id))
    return phone


def privacy_main(out: Path = DOCS) -> None:
    """The Privacy page at 1280 and 390 wide: a search with what is held, then the erasure."""
    from urllib.parse import quote

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        hq = Hq.open(HqConfig(data_dir=Path(tmp)))
        for store_id, name, _share, _n in STORES:
            hq.add_store(store_id, name=name)
            code = hq.enroll_device(store_id=store_id, device_id=f"{store_id}-k1")
            hq.redeem_enrollment(code.code)
        phone = seed_privacy(hq)
        hq.add_analyst("demo", password="demo-password")
        server, thread, base = start_server(hq)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
                )
                for width, suffix, scale in ((390, "-phone", 2), (1280, "", 1)):  # erase last
                    page = browser.new_page(
                        viewport={"width": width, "height": 900}, device_scale_factor=scale
                    )
                    page.goto(base + "/login")
                    page.fill("input[name=username]", "demo")
                    page.fill("input[name=password]", "demo-password")
                    page.click("button[type=submit]")
                    page.wait_for_selector("#stores")
                    page.goto(base + "/privacy?phone=" + quote(phone))
                    page.evaluate("document.fonts.ready")
                    page.screenshot(path=str(out / f"hq-privacy{suffix}.png"), full_page=True)
                    if not suffix:
                        page.check("input[name=confirm]")
                        page.click("#erase button[type=submit]")
                        page.wait_for_selector("#erased")
                        page.evaluate("document.fonts.ready")
                        page.screenshot(path=str(out / "hq-privacy-erased.png"), full_page=True)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            hq.close()
    print(f"Wrote hq-privacy(-phone, -erased) PNGs in {out}")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["privacy"]:
        privacy_main()
    else:
        main(only_fleet=sys.argv[1:] == ["fleet"])
