"""Alert e-mails: reference, urgency, deadline and a link to the inbox, and nothing else.

A staff mailbox may be read on a shared screen or forwarded; the disclosure never travels by
e-mail (SECURITY.md 13). Sending is plain blocking smtplib, run in a thread by the worker.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from api.alerts.service import DueMessage
from api.deadlines import deadline_text
from api.settings import Settings


class SmtpNotConfigured(RuntimeError):
    """QD_SMTP_HOST is unset: messages stay queued until it is set."""


URGENCY_WORDS = {
    "emergency": "EMERGENCY",
    "priority": "Priority",
    "standard": "Standard",
}


def compose(message: DueMessage, settings: Settings, tz: ZoneInfo) -> EmailMessage:
    urgency = URGENCY_WORDS.get(message.urgency, message.urgency)
    when = deadline_text(message.deadline_at, tz, emergency=message.urgency == "emergency")
    inbox_url = settings.staff_base_url.rstrip("/") + "/staff/inbox"
    email = EmailMessage()
    email["Subject"] = f"Quiet Door: {urgency} report {message.reference}"
    email["From"] = settings.smtp_from
    email["To"] = message.recipient
    email.set_content(
        f"A new report needs a response.\n\n"
        f"Reference: {message.reference}\n"
        f"Urgency: {urgency}\n"
        f"Respond: {when}\n\n"
        f"Sign in to the inbox to see it: {inbox_url}\n"
    )
    return email


def send(email: EmailMessage, settings: Settings) -> None:
    """Deliver one message; raises on any failure so the worker can retry it."""
    if not settings.smtp_host:
        raise SmtpNotConfigured
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
    ) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
        smtp.send_message(email)
