"""Messages to a Telegram chat, and deleting the whole chat on quick exit.

Choices become an inline keyboard whose buttons send their Rasa payload back as callback data
(Telegram allows 64 bytes; every payload in the domain fits, and a test checks it). The last
message of every answer also carries an Exit button. Every message id sent is recorded so that
exit can delete it (`message_log`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from api.db import in_session, utcnow
from channels.messaging.contacts import Contact
from channels.messaging.replies import Reply
from channels.telegram import message_log

log = logging.getLogger("quietdoor.channels.telegram")

EXIT_CALLBACK = "qd:exit"
EXIT_TITLE = "Exit"
MAX_CALLBACK_BYTES = 64
DELETE_BATCH = 100  # deleteMessages takes at most 100 ids


def keyboard(reply: Reply, *, with_exit: bool) -> InlineKeyboardMarkup | None:
    """One button per row (titles can be long on a small screen); Exit last."""
    rows = [
        [InlineKeyboardButton(option.title, callback_data=option.payload)]
        for option in reply.options
        if len(option.payload.encode()) <= MAX_CALLBACK_BYTES
    ]
    if with_exit:
        rows.append([InlineKeyboardButton(EXIT_TITLE, callback_data=EXIT_CALLBACK)])
    return InlineKeyboardMarkup(rows) if rows else None


class TelegramSender:
    """Sends replies to a contact's chat and remembers their ids."""

    def __init__(
        self,
        bot: Bot,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.bot = bot
        self._sessions = sessions
        self._clock = clock

    async def send(self, contact: Contact, replies: list[Reply]) -> None:
        """For replies the webhook did not carry: a contact's chat id is its address."""
        await self.send_to_chat(int(contact.address), contact.pseudonym, replies)

    async def send_to_chat(self, chat_id: int, pseudonym: str, replies: list[Reply]) -> None:
        sent: list[int] = []
        try:
            for number, reply in enumerate(replies, 1):
                message = await self.bot.send_message(
                    chat_id=chat_id,
                    text=reply.text,
                    reply_markup=keyboard(reply, with_exit=number == len(replies)),
                )
                sent.append(message.message_id)
        finally:
            await self.remember(pseudonym, sent)

    async def remember(self, pseudonym: str, message_ids: list[int]) -> None:
        if message_ids:
            await in_session(
                self._sessions, message_log.record, pseudonym, message_ids, self._clock()
            )

    async def delete_chat(self, chat_id: int, pseudonym: str, also: list[int]) -> int:
        """Delete every recorded message of the chat (and `also`); returns how many were asked.

        Telegram skips ids it cannot find. A failed batch is logged by error type and the rest
        still go: quick exit must do as much as it can.
        """
        known = await in_session(
            self._sessions, message_log.deletable_ids, pseudonym, self._clock()
        )
        ids = sorted(set(known) | set(also))
        for start in range(0, len(ids), DELETE_BATCH):
            try:
                await self.bot.delete_messages(chat_id, ids[start : start + DELETE_BATCH])
            except TelegramError as error:
                log.warning("telegram exit: a delete batch failed (%s)", type(error).__name__)
        return len(ids)
