"""Whether the Twilio channel is on: it needs the settings to check signatures and to reply."""

from __future__ import annotations

from api.settings import Settings


def missing_settings(settings: Settings) -> list[str]:
    """The variables still to set; empty when SMS and WhatsApp can run."""
    needed = {
        "PUBLIC_BASE_URL": settings.public_base_url,
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
    }
    return [name for name, value in needed.items() if not value]
