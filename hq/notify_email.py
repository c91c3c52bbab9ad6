"""Alert emails: the SMTP settings (TLS and login), the message made from an outbox body
(plain text and HTML), and sending it.

The message is built from the delivery's stored JSON body each time it is tried, and carries
the delivery id as its Message-ID, so a retry is the same email and a mail client shows it once.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from html import escape
from typing import Any

from hq.errors import ConfigError, DeliveryError

SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SmtpSettings:
    """Where alert emails go out. From the environment: NPS_HQ_SMTP_HOST, NPS_HQ_SMTP_PORT,
    NPS_HQ_SMTP_SECURITY (starttls | ssl | none), NPS_HQ_SMTP_USER, NPS_HQ_SMTP_PASSWORD,
    NPS_HQ_SMTP_FROM, NPS_HQ_SMTP_CA_FILE (a CA bundle for a private mail server)."""

    host: str | None = None
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str = "NPS HQ <nps-hq@localhost>"
    ca_file: str | None = None
    timeout_s: float = 20.0

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        security = env.get("NPS_HQ_SMTP_SECURITY", "starttls").lower()
        if security not in SECURITY:
            raise ConfigError(f"NPS_HQ_SMTP_SECURITY is starttls, ssl or none, not {security!r}.")
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
        try:
            port = int(env.get("NPS_HQ_SMTP_PORT") or default_port)
        except ValueError as exc:
            raise ConfigError("NPS_HQ_SMTP_PORT is a port number, e.g. 587.") from exc
        return cls(
            host=env.get("NPS_HQ_SMTP_HOST") or None,
            port=port,
            security=security,
            username=env.get("NPS_HQ_SMTP_USER") or None,
            password=env.get("NPS_HQ_SMTP_PASSWORD") or None,
            sender=env.get("NPS_HQ_SMTP_FROM") or cls.sender,
            ca_file=env.get("NPS_HQ_SMTP_CA_FILE") or None,
        )


KIND_TITLES = {
    "detractor_comment": "Detractor comment",
    "contact_request": "Customer asked to be contacted",
    "nps_dip": "NPS dip",
    "stale_device": "Device not syncing",
    "suspect_spike": "Suspect responses",
}


def _title(alert: dict[str, Any]) -> str:
    return KIND_TITLES.get(alert["rule"]["kind"], alert["rule"]["kind"])


def _where(alert: dict[str, Any]) -> str:
    store = alert.get("store")
    return f"{store['name']} ({store['id']})" if store else "the chain"


def _text_lines(alert: dict[str, Any]) -> list[str]:
    lines = [f"{_title(alert)} · {_where(alert)}", alert["summary"]]
    r = alert.get("response")
    if r:
        lines.append(
            f"Score {r['score']} ({r['category']}) via {r['channel']} at {r['device_time']}"
        )
        if r.get("comment"):
            lines.append(f'Comment: "{r["comment"]}"')
        if r.get("reasons"):
            lines.append("Reasons: " + ", ".join(r["reasons"]))
        contact = r.get("contact")
        if contact == "hidden":
            lines.append("Contact: the customer asked to be contacted (details at HQ)")
        elif contact:
            lines.append(f"Contact: {contact.get('name') or ''} {contact.get('detail') or ''}")
    dip = alert.get("dip")
    if dip:
        p, c = dip["previous"], dip["current"]
        lines.append(
            f"Previous {dip['days']} days: NPS {p['nps']} ({p['ci_low']} to {p['ci_high']}, "
            f"n={p['n']}); last {dip['days']} days: NPS {c['nps']} ({c['ci_low']} to "
            f"{c['ci_high']}, n={c['n']}); z = {dip['z']}"
        )
    lines.append(f"Rule: {alert['rule']['name']} · alert {alert['id']}")
    return lines


def render(body: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of an alert or digest body."""
    alerts = body["alerts"] if body["type"] == "nps.alert_digest" else [body]
    if body["type"] == "nps.alert_digest":
        subject = f"[NPS HQ] Daily digest: {len(alerts)} alert{'s' * (len(alerts) != 1)}"
        intro = f"{len(alerts)} alerts since the last digest."
    else:
        subject = f"[NPS HQ] {_title(body)} · {_where(body)}"
        intro = ""
    text = "\n\n".join("\n".join(_text_lines(a)) for a in alerts)
    text = (intro + "\n\n" if intro else "") + text + "\n\n-- NPS HQ\n"
    cards = "".join(_html_card(a) for a in alerts)
    html = (
        '<!doctype html><html><body style="margin:0;background:#f4f6f9;'
        'font:15px/1.5 system-ui,-apple-system,Segoe UI,Noto Sans,sans-serif;color:#1c2433">'
        '<div style="max-width:600px;margin:0 auto;padding:24px 16px">'
        '<div style="font-weight:700;font-size:17px;margin-bottom:14px">NPS '
        '<span style="color:#0f6e6e">HQ</span></div>'
        + (f'<p style="color:#5f6b7a">{escape(intro)}</p>' if intro else "")
        + cards
        + '<p style="color:#5f6b7a;font-size:12px">Sent by NPS HQ because a rule names you. '
        "Rules are kept on the Alert rules page.</p></div></body></html>"
    )
    return subject, text, html


def _html_card(alert: dict[str, Any]) -> str:
    e = escape
    rows = []
    r = alert.get("response")
    if r:
        rows.append(
            f'<span style="display:inline-block;min-width:26px;text-align:center;'
            f'border-radius:6px;background:#fdebe2;color:#c2410c;font-weight:700">'
            f'{e(str(r["score"]))}</span> <span style="color:#5f6b7a">{e(r["channel"])} · '
            f"{e(r['device_time'])}</span>"
        )
        if r.get("comment"):
            rows.append(
                '<div style="white-space:pre-wrap;border-left:3px solid #c2410c;'
                f'padding:4px 10px;margin:6px 0">{e(r["comment"])}</div>'
            )
        if r.get("reasons"):
            rows.append(f"Reasons: {e(', '.join(r['reasons']))}")
        contact = r.get("contact")
        if contact == "hidden":
            rows.append("<b>Asked to be contacted</b> (details at HQ, for those allowed)")
        elif contact:
            rows.append(
                f"<b>Contact:</b> {e(contact.get('name') or '')} {e(contact.get('detail') or '')}"
            )
    dip = alert.get("dip")
    if dip:
        p, c = dip["previous"], dip["current"]
        rows.append(
            f"Previous {dip['days']} days: <b>{p['nps']}</b> ({p['ci_low']} to {p['ci_high']}, "
            f"n={p['n']})<br>Last {dip['days']} days: <b>{c['nps']}</b> ({c['ci_low']} to "
            f"{c['ci_high']}, n={c['n']})<br>z = {dip['z']}"
        )
    body = "".join(f'<div style="margin-top:6px">{x}</div>' for x in rows)
    return (
        '<div style="background:#fff;border-radius:14px;padding:16px 18px;margin-bottom:12px;'
        'box-shadow:0 1px 2px rgba(16,24,40,.06)">'
        '<div style="font-size:12px;text-transform:uppercase;letter-spacing:.06em;'
        f'color:#9a3412;font-weight:700">{e(_title(alert))}</div>'
        f'<div style="font-size:17px;font-weight:700;margin:2px 0 4px">{e(_where(alert))}</div>'
        f"<div>{e(alert['summary'])}</div>{body}"
        f'<div style="color:#5f6b7a;font-size:12px;margin-top:10px">Rule: '
        f"{e(alert['rule']['name'])} · alert {e(alert['id'])}</div></div>"
    )


def build_message(body: str, *, to: str, sender: str, delivery_id: str) -> EmailMessage:
    subject, text, html = render(json.loads(body))
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<{delivery_id}@nps-hq>"
    msg["X-NPS-Delivery"] = delivery_id
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send(settings: SmtpSettings, msg: EmailMessage) -> str:
    """Send one message; DeliveryError with the server's answer if it is refused."""
    if not settings.configured:
        raise DeliveryError("SMTP is not set up: set NPS_HQ_SMTP_HOST (see the README).")
    context = ssl.create_default_context(cafile=settings.ca_file)
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host or "", settings.port, timeout=settings.timeout_s, context=context
            )
        else:
            client = smtplib.SMTP(settings.host or "", settings.port, timeout=settings.timeout_s)
        with client:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.username:
                client.login(settings.username, settings.password or "")
            refused = client.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {settings.host}:{settings.port}: {exc}") from exc
    if refused:
        raise DeliveryError(f"SMTP refused {', '.join(refused)}")
    return f"accepted by {settings.host}:{settings.port}"
