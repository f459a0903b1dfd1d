"""QD_ENV=production: every address people and staff are sent to is https, and alert e-mail
leaves over verified TLS.

Production runs behind a TLS proxy, so its addresses are https, loopback included (a production
address is the one providers and staff use, never the machine's own):
- PUBLIC_BASE_URL is where Twilio and Telegram post a person's messages, and the address Twilio
  signs: http would carry disclosures and their signatures in plain text.
- QD_STAFF_BASE_URL is the queue link in alert e-mail: http would send staff to sign in over
  plain text.
Alert e-mail in development may go in plain text to a relay on loopback (api.alerts.email);
production refuses that too, so the route out is encrypted and checked from the gateway itself,
whatever the local relay does next. TLS, when used, always checks certificates and host names
(api.alerts.email.tls_context): QD_SMTP_TLS=starttls or tls is verified TLS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from api.alerts.email import transport, transport_problem
from api.settings import Settings

HTTPS_ADDRESSES = {"public_base_url": "PUBLIC_BASE_URL", "staff_base_url": "QD_STAFF_BASE_URL"}


def insecure_transport_problems(settings: Settings) -> list[str]:
    """In production, each address that is not https and plain-text alert e-mail; else none."""
    if settings.env != "production":
        return []
    problems = []
    for field, variable in HTTPS_ADDRESSES.items():
        address = getattr(settings, field)
        if address is not None and urlsplit(address).scheme != "https":
            problems.append(
                f"{variable} ({address}) is not https (QD_ENV=production): give the https "
                "address of the TLS proxy in front of the gateway"
            )
    refused_anyway = transport_problem(settings) is not None  # plain text across a network
    if settings.smtp_host and transport(settings) == "none" and not refused_anyway:
        problems.append(
            f"alert e-mail to the relay at {settings.smtp_host} would leave in plain text "
            "(QD_ENV=production allows only verified TLS): set QD_SMTP_TLS=starttls or tls, "
            "with QD_SMTP_CA_FILE for a relay with a private CA"
        )
    return problems
