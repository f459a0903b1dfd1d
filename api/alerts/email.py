"""Alert e-mails: reference, urgency, deadline and a link to the queue, and nothing else.

A staff mailbox may be read on a shared screen or forwarded; the disclosure never travels by
e-mail (SECURITY.md 13). Every kind of message (the new-report alert, the escalation when nobody
acknowledged in time, the deadline missed, the emergency page) is built from the same four facts.
Sending is plain blocking smtplib, run in a thread by the worker.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from api.alerts.service import (
    KIND_DEADLINE_MISSED,
    KIND_EMERGENCY,
    KIND_ESCALATION,
    DueMessage,
)
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
    """The e-mail for one outbox row; a kind this code does not know reads as a new alert."""
    reference = message.reference
    urgency = URGENCY_WORDS.get(message.urgency, message.urgency)
    when = deadline_text(message.deadline_at, tz, emergency=message.urgency == "emergency")
    queue_url = settings.staff_base_url.rstrip("/") + "/staff/queue"
    if message.kind == KIND_ESCALATION:
        subject = f"Quiet Door: Not yet acknowledged: {reference}, {urgency}, due {when}"
        opening = "A report has not been acknowledged in time."
        action = "Sign in to the queue to make sure it is picked up"
    elif message.kind == KIND_DEADLINE_MISSED:
        subject = f"Quiet Door: Deadline missed: {reference}, {urgency}, was due {when}"
        opening = "A report was not acknowledged by its response deadline."
        action = "Sign in to the queue to make sure it is picked up"
    elif message.kind == KIND_EMERGENCY:
        subject = f"EMERGENCY: Quiet Door report {reference} needs a response now"
        opening = "An emergency report needs a response straight away."
        action = "Sign in to the queue to see it"
    else:
        subject = f"Quiet Door: {urgency} report {reference}"
        opening = "A new report needs a response."
        action = "Sign in to the queue to see it"
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = settings.smtp_from
    email["To"] = message.recipient
    email.set_content(
        f"{opening}\n\n"
        f"Reference: {reference}\n"
        f"Urgency: {urgency}\n"
        f"Respond: {when}\n\n"
        f"{action}: {queue_url}\n"
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
