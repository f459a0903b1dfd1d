"""The inbox worker: answers messages Rasa could not read at first, and tidies up.

Every pass: read what is due (oldest first) and send the answers through the channel's REST
API, only ever as a reply within the keep window (`Conversations.deliver`); then, at most
once a minute, forget contacts idle for QD_MESSAGING_CONTACT_HOURS, clear follow-up codes held
past their few minutes, drop Telegram ids too old to delete, and purge delivery records older
than any retry a channel would still send.
"""

from __future__ import annotations

import datetime as dt

from api.background import PollingWorker
from api.db import in_session, session_factory
from api.settings import Settings
from channels.messaging import contacts, inbox
from channels.messaging.conversation import Conversations
from channels.telegram import message_log

#: Telegram re-delivers an update for up to 24 hours; Twilio retries within minutes.
DELIVERY_RECORDS_KEPT = dt.timedelta(days=7)
TIDY_EVERY = dt.timedelta(minutes=1)


class InboxWorker(PollingWorker):
    name = "inbox"

    def __init__(self, settings: Settings, conversations: Conversations) -> None:
        super().__init__(
            poll_seconds=settings.inbox_poll_seconds,
            stop_timeout_seconds=settings.messaging_rasa_timeout_seconds + 5,
        )
        self.settings = settings
        self.conversations = conversations
        self._sessions = session_factory(settings)
        self._tidied_at: dt.datetime | None = None

    async def run_once(self) -> None:
        await self.answer_due()
        now = self.conversations.now()
        if self._tidied_at is None or now - self._tidied_at >= TIDY_EVERY:
            await self.tidy(now)
            self._tidied_at = now

    async def answer_due(self) -> int:
        """Read and answer what is due; returns how many answers were sent."""
        return await self.conversations.retry_due()

    async def tidy(self, now: dt.datetime) -> None:
        idle_since = now - dt.timedelta(hours=self.settings.messaging_contact_hours)
        for pseudonym in await in_session(self._sessions, contacts.idle_pseudonyms, idle_since):
            await self.conversations.forget(pseudonym)
        await in_session(self._sessions, contacts.clear_follow_up_codes, now=now)
        await in_session(self._sessions, message_log.purge, now)
        await in_session(self._sessions, inbox.purge, older_than=now - DELIVERY_RECORDS_KEPT)
