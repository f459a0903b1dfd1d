"""Third-party loggers that would write personal data or secrets at INFO, kept at WARNING.

httpx logs every request URL at INFO, and a Telegram Bot API URL contains the bot token;
Twilio's client logs each API request (with the number it texts) at INFO.
"""

from __future__ import annotations

import logging

CHATTY_LOGGERS = ("httpx", "httpcore", "twilio", "twilio.http_client", "telegram", "hpack")


def quiet_chatty_loggers() -> None:
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
