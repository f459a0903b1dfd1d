"""Tables of the messaging channels: who is talking (sealed), and every inbound delivery.

Nothing here holds a readable phone number, Telegram id or message: addresses and waiting
messages are sealed with the contact's own data key, so forgetting a contact (quick exit, STOP,
expiry) deletes that key and every sealed byte with it becomes unreadable.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime


class MessagingContact(Base):
    """One phone number or Telegram chat, known only by its keyed pseudonym.

    `reply_from` is the landlord's own number the person wrote to (not personal); `options` the
    numbered choices last offered (titles and payloads), so a reply of "2" can be understood.
    `sealed_follow_up_code`: the follow-up code the person has just checked with, sealed with
    the contact's key until `follow_up_until`, so that "REPLY ..." can reach the team.
    """

    __tablename__ = "messaging_contacts"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.id"))
    sealed_address: Mapped[bytes] = mapped_column(LargeBinary)
    reply_from: Mapped[str | None] = mapped_column(String(64))
    wording: Mapped[str] = mapped_column(String(16), default="discreet")
    introduced: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[str | None] = mapped_column(Text)
    last_inbound_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    sealed_follow_up_code: Mapped[bytes | None] = mapped_column(LargeBinary)
    follow_up_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)


class InboundMessage(Base):
    """One delivery from a channel: the exactly-once record and, while unread, the message.

    `delivery_hash` is a keyed hash of Twilio's MessageSid or Telegram's update_id; a second
    delivery with the same hash is a retry and is dropped. States: `processing` (being read now;
    `next_attempt_at` is the end of its lease), `waiting` (Rasa was down; sealed text kept until
    read or `keep_until`), `done`, `dropped` (expired or forgotten). The sealed text is removed as
    soon as the message leaves `processing`/`waiting`.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "delivery_hash"),
        Index("ix_inbound_messages_due", "state", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    delivery_hash: Mapped[str] = mapped_column(String(64))
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    keep_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    data_key_id: Mapped[str | None] = mapped_column(String(36))
    sealed_text: Mapped[bytes | None] = mapped_column(LargeBinary)


class SeenDelivery(Base):
    """A delivery id accepted once, kept for good: the replay guard (migration 0006).

    Twilio signs no timestamp, so a captured signed request is valid as long as the Auth Token;
    an `InboundMessage` goes after a week, this row never does. It holds only the keyed hash of
    the MessageSid or update_id: no pseudonym, no time, nothing about the person.
    """

    __tablename__ = "seen_deliveries"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    delivery_hash: Mapped[str] = mapped_column(String(64), primary_key=True)


class ChatMessage(Base):
    """A Telegram message id in a contact's chat (theirs or ours), kept so exit can delete it."""

    __tablename__ = "chat_messages"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
