"""Alert e-mails: reference, urgency, deadline and a link to the queue, and nothing else.

A staff mailbox may be read on a shared screen or forwarded; the disclosure never travels by
e-mail (SECURITY.md 13). Every kind of message (the new-report alert, the escalation when nobody
acknowledged in time, the deadline missed, the emergency page) is built from the same four facts,
plus, for an emergency, what the person was given meanwhile: 999 and the 24-hour line (and the
landlord's out-of-hours service, if it has one), and when the team is next working. No message
promises a response sooner than the deadline the person was told.
Sending is plain blocking smtplib, run in a thread by the worker, over verified TLS (STARTTLS
or implicit) unless the relay is on loopback: a network attacker must not read the SMTP password
or drop alerts. A certificate that does not verify is a failed delivery, retried like any other.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal

from api.alerts.service import (
    KIND_DEADLINE_MISSED,
    KIND_EMERGENCY,
    KIND_ESCALATION,
    DueMessage,
)
from api.deadlines import (
    WorkingCalendar,
    deadline_text,
    moment_text,
    next_opening,
    team_open_at,
)
from api.org.profile import OrgProfile
from api.settings import Settings


class SmtpNotConfigured(RuntimeError):
    """QD_SMTP_HOST is unset: messages stay queued until it is set."""


class SmtpRefused(RuntimeError):
    """The SMTP settings would send in plain text over a network: nothing is sent."""


Transport = Literal["starttls", "tls", "none"]


URGENCY_WORDS = {
    "emergency": "EMERGENCY",
    "priority": "Priority",
    "standard": "Standard",
}


def compose(
    message: DueMessage, settings: Settings, profile: OrgProfile, now: dt.datetime
) -> EmailMessage:
    """The e-mail for one outbox row, sent at `now`; an unknown kind reads as a new alert."""
    reference = message.reference
    urgency = URGENCY_WORDS.get(message.urgency, message.urgency)
    when = deadline_text(message.deadline_at, profile.tz, now=now)
    queue_url = settings.staff_base_url.rstrip("/") + "/staff/queue"
    action = "Sign in to the queue to make sure it is picked up"
    if message.kind == KIND_ESCALATION:
        subject = f"Quiet Door: Not yet acknowledged: {reference}, {urgency}, due {when}"
        opening = "A report has not been acknowledged in time."
    elif message.kind == KIND_DEADLINE_MISSED:
        subject = f"Quiet Door: Deadline missed: {reference}, {urgency}, was due {when}"
        opening = "A report was not acknowledged by its response deadline."
    elif message.kind == KIND_EMERGENCY:
        subject = f"EMERGENCY: Quiet Door report {reference}"
        opening = "An emergency report has come in; you are told as a manager."
        action = "Sign in to the queue to see it"
    else:
        subject = f"Quiet Door: {urgency} report {reference}"
        opening = f"A new report needs a response {when}."
        action = "Sign in to the queue to see it"
    meanwhile = emergency_text(profile, now) if message.urgency == "emergency" else ""
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = settings.smtp_from
    email["To"] = message.recipient
    email.set_content(
        f"{opening}\n\n"
        f"{meanwhile}"
        f"Reference: {reference}\n"
        f"Urgency: {urgency}\n"
        f"Respond: {when}\n\n"
        f"{action}: {queue_url}\n"
    )
    return email


def emergency_text(profile: OrgProfile, now: dt.datetime) -> str:
    """What an emergency's reader must know: who the person can call until the team is working."""
    line = profile.round_the_clock_line()
    given = f"999 and the 24-hour line ({line.name}, {line.contact})"
    if profile.out_of_hours is not None:
        service = profile.out_of_hours
        given += f", and {service.name} ({service.contact})"
    calendar = WorkingCalendar.from_profile(profile)
    if team_open_at(now, calendar):
        team = "The team is working now."
    else:
        opening = moment_text(next_opening(now, calendar), profile.tz, now)
        team = f"The team is next working at {opening}."
    return f"The person was given {given}.\n{team}\n\n"


def is_loopback(host: str) -> bool:
    """True for a relay on this machine, where plain SMTP crosses no network."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def transport(settings: Settings) -> Transport:
    """QD_SMTP_TLS; else the older QD_SMTP_STARTTLS; else none on loopback, starttls elsewhere."""
    if settings.smtp_tls is not None:
        return settings.smtp_tls
    if settings.smtp_starttls is not None:
        return "starttls" if settings.smtp_starttls else "none"
    return "none" if is_loopback(settings.smtp_host or "") else "starttls"


def transport_problem(settings: Settings) -> str | None:
    """Why the gateway must not start with these SMTP settings, or None when they are safe."""
    if not settings.smtp_host:
        return None
    if transport(settings) == "none" and not is_loopback(settings.smtp_host):
        return (
            f"alert e-mail to {settings.smtp_host} would travel in plain text (QD_SMTP_TLS=none "
            "or QD_SMTP_STARTTLS=false), password and all: set QD_SMTP_TLS=starttls or tls "
            "(plain text is allowed only to a relay on loopback)"
        )
    if settings.smtp_ca_file is not None and not settings.smtp_ca_file.is_file():
        return f"QD_SMTP_CA_FILE ({settings.smtp_ca_file}) is not a file"
    return None


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Python's verified defaults (certificate chain and host name checked, TLS 1.2 or later);
    with QD_SMTP_CA_FILE, that CA alone is trusted instead of the system's."""
    ca_file = str(settings.smtp_ca_file) if settings.smtp_ca_file is not None else None
    return ssl.create_default_context(cafile=ca_file)


def send(email: EmailMessage, settings: Settings) -> None:
    """Deliver one message; raises on any failure so the worker can retry it."""
    if not settings.smtp_host:
        raise SmtpNotConfigured
    problem = transport_problem(settings)
    if problem is not None:
        raise SmtpRefused(problem)
    mode = transport(settings)
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
    if mode == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context(settings))
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if mode == "starttls":
            smtp.starttls(context=tls_context(settings))  # not offered: an error, never plain
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
        smtp.send_message(email)
