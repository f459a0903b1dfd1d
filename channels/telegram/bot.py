"""The python-telegram-bot `Bot` the gateway calls, pointed at TELEGRAM_API_BASE_URL.

Not `initialize()`d: that calls getMe, and the gateway must start (and the other channels
work) even when Telegram cannot be reached. The HTTP clients are made here so that `close`
can shut them, leaving nothing open at shutdown.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot
from telegram.request import HTTPXRequest

from api.settings import Settings


@dataclass(frozen=True)
class TelegramBot:
    bot: Bot
    requests: tuple[HTTPXRequest, HTTPXRequest]

    async def close(self) -> None:
        for request in self.requests:
            await request.shutdown()


def open_bot(settings: Settings) -> TelegramBot:
    if settings.telegram_bot_token is None:
        raise LookupError("TELEGRAM_BOT_TOKEN is not set")
    requests = (HTTPXRequest(connection_pool_size=16), HTTPXRequest(connection_pool_size=1))
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        request=requests[0],
        get_updates_request=requests[1],
    )
    return TelegramBot(bot, requests)
