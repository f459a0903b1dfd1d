"""Start the messaging channels that are configured, and say which are off and why.

A channel with missing settings is off (its webhook answers 404) and the others keep working;
the web chat never depends on any of them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.crypto.keys import key_problems
from api.db import session_factory
from api.org.profile import OrgProfile
from api.settings import Settings
from channels.messaging.conversation import Conversations, Sender
from channels.messaging.worker import InboxWorker
from channels.telegram import config as telegram_config
from channels.telegram.bot import TelegramBot, open_bot
from channels.telegram.sending import TelegramSender
from channels.twilio import config as twilio_config
from channels.twilio.sending import TwilioSender

log = logging.getLogger("quietdoor.channels")


@asynccontextmanager
async def messaging_channels(
    app: FastAPI, settings: Settings, profile: OrgProfile
) -> AsyncIterator[None]:
    if key_problems(settings):  # already logged by the app: nothing could be stored or hashed
        log.error("SMS, WhatsApp and Telegram are off until the keys are fixed")
        yield
        return
    senders: dict[str, Sender] = {}

    missing = twilio_config.missing_settings(settings)
    if missing:
        log.warning("SMS and WhatsApp (Twilio) channel off: set %s", ", ".join(missing))
    else:
        senders["sms"] = senders["whatsapp"] = TwilioSender(settings)
        log.info("SMS and WhatsApp (Twilio) channel on")

    telegram: TelegramBot | None = None
    missing = telegram_config.missing_settings(settings)
    if missing:
        log.warning("Telegram channel off: set %s", ", ".join(missing))
    else:
        telegram = open_bot(settings)
        app.state.telegram = senders["telegram"] = TelegramSender(
            telegram.bot, session_factory(settings)
        )
        log.info("Telegram channel on")

    conversations = Conversations(settings, profile, senders=senders)
    app.state.conversations = conversations
    worker = InboxWorker(settings, conversations)
    app.state.inbox = worker
    worker.start()
    try:
        yield
    finally:
        await conversations.settle()
        await worker.stop()
        if telegram is not None:
            await telegram.close()
