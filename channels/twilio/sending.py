"""Sending SMS and WhatsApp messages later, through Twilio's REST API.

For answers the webhook did not wait for (an emergency's follow-up, Rasa slow) and for
messages Rasa could not read at first: a webhook's own answer goes back as TwiML. Twilio's
Python client is synchronous, so each call runs in a thread; its request logger (which would
print the number and the text) is silenced in `channels.logging_policy`.
"""

from __future__ import annotations

import asyncio

from twilio.rest import Client

from api.settings import Settings
from channels.messaging.contacts import Contact
from channels.messaging.replies import Reply, numbered


class TwilioSender:
    """Sends replies from the number the person wrote to (else TWILIO_FROM_NUMBER)."""

    def __init__(self, settings: Settings) -> None:
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        self._client = Client(settings.twilio_account_sid, token)
        if settings.twilio_api_base_url:  # a local stand-in in tests
            self._client.api.base_url = settings.twilio_api_base_url.rstrip("/")
        self._from = settings.twilio_from_number

    async def send(self, contact: Contact, replies: list[Reply]) -> None:
        sender = contact.reply_from or self._sender_for(contact.channel)
        for reply in replies:
            await asyncio.to_thread(
                self._client.messages.create, to=contact.address, from_=sender, body=numbered(reply)
            )

    def _sender_for(self, channel: str) -> str:
        if not self._from:
            raise LookupError("no number to send from: set TWILIO_FROM_NUMBER")
        if channel == "whatsapp" and not self._from.startswith("whatsapp:"):
            return f"whatsapp:{self._from}"
        return self._from
