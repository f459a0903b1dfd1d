"""The ids of every message in a contact's Telegram chat, both sides, for quick exit.

A bot may delete any message of a private chat that is under 48 hours old, its own and the
person's; an id is useless after that, so ids older than 48 hours are purged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from channels.messaging.models import ChatMessage

DELETABLE_FOR = dt.timedelta(hours=48)


def record(session: Session, pseudonym: str, message_ids: Iterable[int], now: dt.datetime) -> None:
    """Note message ids (a re-delivered update's id is noted once)."""
    for message_id in message_ids:
        if session.get(ChatMessage, (pseudonym, message_id)) is None:
            session.add(ChatMessage(pseudonym=pseudonym, message_id=message_id, sent_at=now))
    session.commit()


def deletable_ids(session: Session, pseudonym: str, now: dt.datetime) -> list[int]:
    """The ids Telegram will still let the bot delete, oldest first."""
    return list(
        session.scalars(
            select(ChatMessage.message_id)
            .where(ChatMessage.pseudonym == pseudonym, ChatMessage.sent_at > now - DELETABLE_FOR)
            .order_by(ChatMessage.message_id)
        )
    )


def purge(session: Session, now: dt.datetime) -> int:
    result = session.execute(delete(ChatMessage).where(ChatMessage.sent_at <= now - DELETABLE_FOR))
    session.commit()
    return result.rowcount
