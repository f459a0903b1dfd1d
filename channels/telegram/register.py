"""Register the bot's webhook with Telegram: `make telegram-webhook` (or `python -m ...`).

Tells Telegram to POST updates to PUBLIC_BASE_URL/webhooks/telegram/webhook with our secret in
the X-Telegram-Bot-Api-Secret-Token header, and only the two kinds of update the gateway reads.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from api.settings import Settings
from channels.telegram.bot import open_bot
from channels.telegram.config import missing_settings

WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query"]


async def register(settings: Settings, *, drop_pending: bool) -> str:
    """Set the webhook; returns the URL registered."""
    if settings.public_base_url is None or settings.telegram_secret_token is None:
        raise LookupError("PUBLIC_BASE_URL and TELEGRAM_SECRET_TOKEN are needed")
    url = settings.public_base_url.rstrip("/") + WEBHOOK_PATH
    telegram = open_bot(settings)
    try:
        await telegram.bot.set_webhook(
            url=url,
            secret_token=settings.telegram_secret_token.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending,
        )
    finally:
        await telegram.close()
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--drop-pending", action="store_true", help="discard updates Telegram is holding"
    )
    args = parser.parse_args(argv)
    settings = Settings()
    missing = missing_settings(settings) + ([] if settings.public_base_url else ["PUBLIC_BASE_URL"])
    if missing:
        print(f"Set {', '.join(missing)} first (see .env.example).", file=sys.stderr)
        return 2
    url = asyncio.run(register(settings, drop_pending=args.drop_pending))
    print(f"Telegram webhook registered: {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
