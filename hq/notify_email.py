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
from typing import Any

from core.i18n import Texts
from hq import i18n, templating
from hq.errors import ConfigError, DeliveryError
from hq.i18n import N_

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
    "detractor_comment": N_("Detractor comment"),
    "contact_request": N_("Customer asked to be contacted"),
    "nps_dip": N_("NPS dip"),
    "stale_device": N_("Device not syncing"),
    "suspect_spike": N_("Suspect responses"),
    "case_overdue": N_("Follow-up case overdue"),
}

# A response's category as the e-mail names it (the template looks each up in the catalog).
CATEGORIES = (N_("detractor"), N_("passive"), N_("promoter"))


def _title(alert: dict[str, Any], t: Texts) -> str:
    kind = str(alert["rule"]["kind"])
    return t.gettext(KIND_TITLES[kind]) if kind in KIND_TITLES else kind


def _where(alert: dict[str, Any], t: Texts) -> str:
    store = alert.get("store")
    return f"{store['name']} ({store['id']})" if store else t.gettext("the chain")


def render(body: dict[str, Any], language: str | None = None) -> tuple[str, str, str]:
    """Subject, plain text and HTML of an alert or digest body (hq/templates/email/), in
    ``language``: the chain's (NPS_HQ_LANGUAGE, English when unset). Recipients are addresses
    in a rule, with no language of their own."""
    language = language or i18n.chain_language()
    t = i18n.texts(language)
    digest = body["type"] == "nps.alert_digest"
    alerts = body["alerts"] if digest else [body]
    if digest:
        n = len(alerts)
        subject = "[NPS HQ] " + t.ngettext("Daily digest: {n} alert", "Daily digest: {n} alerts", n)
        intro = t.ngettext(
            "{n} alert since the last digest.", "{n} alerts since the last digest.", n
        )
    else:
        subject = f"[NPS HQ] {_title(body, t)} · {_where(body, t)}"
        intro = ""
    views = [{**a, "title": _title(a, t), "where": _where(a, t)} for a in alerts]
    # A digest's dateline: the hour it was held until, on its stores' clocks (older digest
    # bodies have only the UTC ``until``).
    until = (body.get("until_local") or body.get("until") or "") if digest else ""
    context = {
        "intro": intro,
        "until": until,
        "alerts": views,
        "lang": language,
        "catalog": i18n.catalog(language),
    }
    text = templating.render("email/alert.txt", **context)
    html = templating.render("email/alert.html", **context)
    return subject, text, html


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
