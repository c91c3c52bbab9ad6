"""Screenshots of the alert rules page, an alert email and the delivery log into docs/.

Run: .venv/bin/python -m tools.hq_alert_screenshots  (the demo chain of
hq_screenshots.py on a temporary SQLite HQ, a real webhook receiver that is down for the
first tries, and a real SMTP server whose received email is rendered in Chromium)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import select

from hq import alerts, webhooks
from hq.delivery import DeliveryConfig, DeliveryWorker
from hq.groups import add_group, set_group
from hq.models import DeliveryRow
from hq.notify_email import SmtpSettings
from hq.service import Hq, HqConfig, Store
from tests.hq.alertkit import SmtpSink, WebhookReceiver, wait_until
from tests.hq.hqkit import start_server
from tools.hq_screenshots import DOCS, seed

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(out: Path = DOCS) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        # The receiver is on 127.0.0.1: allow private webhook addresses.
        hq = Hq.open(HqConfig(data_dir=Path(tmp), allow_private_webhooks=True))
        sink = SmtpSink(Path(tmp))
        receiver = WebhookReceiver()
        secret = webhooks.add_webhook(hq, "ops-slack", url=receiver.url)
        receiver.secret = webhooks.decode_webhook_secret(secret)
        add_group(hq, "south", name="South", kind="region")
        add_group(hq, "north", name="North", kind="region")
        orig_add = hq.add_store

        def add_and_group(store_id: str, *, name: str | None = None) -> Store:
            made = orig_add(store_id, name=name)
            group = "south" if store_id.startswith(("blr", "mum", "pun")) else "north"
            set_group(hq, store_id=store_id, group_id=group)
            return made

        hq.add_store = add_and_group  # type: ignore[method-assign]  # seed() adds the stores
        alerts_made = [
            alerts.add_rule(
                hq,
                name="North detractor comments",
                kind="detractor_comment",
                group_id="north",
                recipients=["email:north.manager@chain.example", "webhook:ops-slack"],
            ),
            alerts.add_rule(
                hq,
                name="Callbacks",
                kind="contact_request",
                recipients=["email:cx-team@chain.example;contact", "webhook:ops-slack"],
            ),
            alerts.add_rule(
                hq,
                name="NPS dips, weekly",
                kind="nps_dip",
                recipients=["email:regional@chain.example"],
                mode="digest",
            ),
            alerts.add_rule(
                hq,
                name="Kiosk silent",
                kind="stale_device",
                recipients=["email:it-desk@chain.example"],
                params={"hours": 12},
            ),
            alerts.add_rule(
                hq,
                name="Ballot stuffing",
                kind="suspect_spike",
                store_id=None,
                recipients=["webhook:ops-slack"],
                params={"count": 15, "minutes": 30},
            ),
        ]
        assert alerts_made
        store, device, _secret = seed(hq)
        hq.add_analyst("demo", password="demo-password")
        config = DeliveryConfig(
            poll_interval_s=0.05,
            backoff_base_s=0.2,
            backoff_cap_s=0.5,
            evaluate_every_s=3600,
            smtp=SmtpSettings(
                host="127.0.0.1",
                port=sink.port,
                username=SmtpSink.USER,
                password=SmtpSink.PASSWORD,
                ca_file=str(sink.cert),
                sender="NPS HQ <alerts@chain.example>",
            ),
        )
        worker = DeliveryWorker(hq, config)
        worker.start()  # the receiver is down: webhooks fail and back off

        def webhook_status() -> list[int]:
            with hq.db.reading() as s:
                return list(
                    s.scalars(select(DeliveryRow.attempts).where(DeliveryRow.target == "ops-slack"))
                )

        wait_until(lambda: min(webhook_status() or [0]) >= 2, timeout=60)
        receiver.start()
        wait_until(lambda: sink.wait_for("north.manager@chain.example", timeout=0.1), timeout=60)
        wait_until(lambda: len(receiver.bodies()) >= len(webhook_status()), timeout=60)
        worker.stop()
        receiver.stop()
        email = sink.wait_for("north.manager@chain.example")[0]
        html = email.get_body(("html",)).get_content()
        server, thread, base = start_server(hq)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(base + "/login")
                page.fill("input[name=username]", "demo")
                page.fill("input[name=password]", "demo-password")
                page.click("button[type=submit]")
                page.goto(base + "/alerts")
                page.wait_for_selector("#rules")
                page.evaluate("document.fonts.ready")
                page.screenshot(path=str(out / "hq-alert-rules.png"), full_page=True)
                page.goto(base + "/deliveries")
                page.wait_for_selector("#deliveries")
                page.evaluate("document.fonts.ready")
                page.screenshot(
                    path=str(out / "hq-delivery-log.png"),
                    clip={"x": 0, "y": 0, "width": 1280, "height": 1100},
                )
                mail = browser.new_page(viewport={"width": 680, "height": 300})
                header = (
                    '<div style="font:13px system-ui,sans-serif;color:#5f6b7a;padding:12px 16px;'
                    'border-bottom:1px solid #e3e7ee;background:#fff">'
                    f"<b>From:</b> {email['From']}<br><b>To:</b> {email['To']}<br>"
                    f"<b>Subject:</b> {email['Subject']}</div>"
                )
                mail.set_content(header + html)
                mail.screenshot(path=str(out / "hq-alert-email.png"), full_page=True)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            sink.stop()
            hq.close()
    print(f"Wrote hq-alert-rules.png, hq-alert-email.png, hq-delivery-log.png to {out}")


if __name__ == "__main__":
    main()
