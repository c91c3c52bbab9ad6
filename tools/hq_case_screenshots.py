"""Screenshots of HQ's Cases page (follow-up cases, hq.cases) into docs/: 1280 and 390 wide,
in English and Hindi (hq-cases.png, hq-cases-hi.png, hq-cases-phone.png,
hq-cases-phone-hi.png).

Run: .venv/bin/python -m tools.hq_case_screenshots  (a small demo chain on a temporary SQLite
HQ: detractors who asked to be called back, some open over 48 hours, some contacted or
resolved at a kiosk or at HQ)
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.ids import uuid7
from core.protocol import BatchEnvelope, CaseUpdateV1
from hq import cases, users
from hq.groups import add_group, set_group
from hq.ingest import ingest
from hq.profiles import set_settings
from hq.roles import Role
from hq.service import DeviceAuth, Hq, HqConfig
from tests.hq.hqkit import start_server
from tools.hq_screenshots import DOCS

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
STORES = (("blr-01", "Bengaluru Indiranagar"), ("del-03", "Delhi Saket"))
# (store, hours ago, score, reasons, comment, name, detail, state or None, note, by)
CASES: tuple[tuple[Any, ...], ...] = (
    ("blr-01", 3, 2, ["wait_time"], "Twenty minutes at the till.", "Asha Verma",
     "+91 98100 11111", None, None, None),
    ("del-03", 20, 4, ["staff"], "Nobody helped me find a size.", "Kabir Singh",
     "kabir@example.com", "contacted", "Called; will visit on Saturday.", "kiosk"),
    ("blr-01", 55, 1, ["price", "wait_time"], "बिलिंग में बहुत समय लगा।", "Priya Nair",
     "+91 99000 22222", None, None, None),
    ("del-03", 80, 3, [], None, "Rohan Gupta", "+91 98111 33333", "contacted",
     "No answer twice; try the evening.", "hq"),
    ("blr-01", 130, 0, ["quality"], "The shirt tore after one wash.", "Meena Iyer",
     "meena@example.com", "resolved", "Refund given; she was happy.", "hq"),
)  # fmt: skip


def seed(hq: Hq) -> None:
    now = datetime.now(UTC)
    add_group(hq, "south", name="South", kind="region")
    add_group(hq, "north", name="North", kind="region")
    devices = {}
    for store_id, name in STORES:
        hq.add_store(store_id, name=name)
        set_group(hq, store_id=store_id, group_id="south" if store_id == "blr-01" else "north")
        set_settings(hq, "store", store_id, {"time_zone": "Asia/Kolkata"}, actor="demo")
        code = hq.enroll_device(store_id=store_id, device_id=f"{store_id}-k1")
        devices[store_id] = hq.redeem_enrollment(code.code).device_id
    for i, (store, hours, score, reasons, comment, person, detail, state, note, by) in enumerate(
        CASES
    ):
        when = now - timedelta(hours=hours)
        rid = str(uuid7(unix_ms=int(when.timestamp() * 1000)))
        device = devices[store]
        updates = []
        if state and by == "kiosk":
            updates.append(
                CaseUpdateV1.model_validate(
                    {
                        "response_id": rid,
                        "state": state,
                        "note": note,
                        "changed_by": f"store manager ({device})",
                        "changed_at": when + timedelta(hours=2),
                    }
                )
            )
        envelope = BatchEnvelope.model_validate(
            {
                "protocol": "v2",
                "batch_id": str(uuid7()),
                "device_id": device,
                "sent_at": now.isoformat(),
                "responses": [
                    {
                        "id": rid,
                        "seq": i + 1,
                        "store_id": store,
                        "device_id": device,
                        "channel": "kiosk",
                        "language": "en",
                        "question_version": 1,
                        "score": score,
                        "category": "detractor",
                        "reasons": reasons,
                        "comment": comment,
                        "contact_consent": True,
                        "contact_name": person,
                        "contact_detail": detail,
                        "device_time": when.isoformat(),
                        "completion": "done",
                    }
                ],
                "cases": [u.model_dump(mode="json") for u in updates],
            }
        )
        ingest(hq, envelope, device=DeviceAuth(device_id=device, store_id=store))
        if state and by == "hq":
            cases.set_case(
                hq, rid, state=state, note=note, by="north.manager@chain.example", store_ids=None
            )


def main(out: Path = DOCS) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        hq = Hq.open(HqConfig(data_dir=Path(tmp)))
        seed(hq)
        users.add_user(hq, "demo", password="a demo password", role=Role.OWNER, actor="demo")
        server, thread, base = start_server(hq)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                for lang in ("en", "hi"):
                    suffix = "" if lang == "en" else "-hi"
                    for width, name, scale in ((1280, "hq-cases", 1), (390, "hq-cases-phone", 2)):
                        context = browser.new_context(
                            viewport={"width": width, "height": 900 if width > 400 else 844},
                            device_scale_factor=scale,
                        )
                        context.add_cookies([{"name": "lang", "value": lang, "url": base}])
                        page = context.new_page()
                        page.goto(base + "/login")
                        page.fill("input[name=username]", "demo")
                        page.fill("input[name=password]", "a demo password")
                        page.click("button[type=submit]")
                        page.goto(base + "/cases")
                        page.wait_for_selector("#cases")
                        page.locator("#cases details").first.evaluate("d => d.open = true")
                        page.evaluate("document.fonts.ready")
                        page.screenshot(path=str(out / f"{name}{suffix}.png"), full_page=True)
                        context.close()
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            hq.close()
    print(f"Wrote hq-cases(-hi).png and hq-cases-phone(-hi).png to {out}")


if __name__ == "__main__":
    main()
