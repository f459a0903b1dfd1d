"""Whether the Telegram channel is on: it needs the bot's token and the webhook secret."""

from __future__ import annotations

from api.settings import Settings


def missing_settings(settings: Settings) -> list[str]:
    """The variables still to set; empty when Telegram can run."""
    needed = {
        "TELEGRAM_BOT_TOKEN": settings.telegram_bot_token,
        "TELEGRAM_SECRET_TOKEN": settings.telegram_secret_token,
    }
    return [name for name, value in needed.items() if not value]
