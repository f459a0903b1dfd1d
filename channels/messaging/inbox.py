"""Every inbound delivery, once: the retry filter and the keeper of messages Rasa has not read.

`receive` records the delivery and seals the text in the same transaction as the contact; a
second delivery with the same id (Twilio's retry, Telegram's re-delivery, even after a gateway
restart, or a captured request replayed months later) hits the unique constraint and is
dropped. The delivery record goes after a week, but the id's keyed hash stays for good
(`SeenDelivery`): Twilio signs no timestamp, so only a remembered id stops a replay.
`first_sight` records an id alone, for deliveries a channel answers without a turn (STOP, quick
exit). A message Rasa could not read is kept (sealed) for `QD_MESSAGING_KEEP_MINUTES` and
handed to the inbox worker; after that it is dropped, as the person was told. A crash mid-turn
leaves the row `processing` with a lease, after which the worker picks it up too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.crypto.envelope import OpenDataKey, open_column, seal_value
from api.crypto.keys import KeyRing
from channels.messaging import contacts
from channels.messaging.models import InboundMessage, SeenDelivery

_TABLE = InboundMessage.__tablename__


@dataclass(frozen=True)
class Delivery:
    """One message as a channel received it; `address` is the phone number or chat id."""

    channel: str
    address: str
    delivery_id: str
    text: str
    reply_from: str | None = None


@dataclass(frozen=True)
class Unread:
    """A recorded message still to be read by Rasa."""

    id: str
    pseudonym: str
    channel: str
    text: str
    received_at: dt.datetime


def receive(
    session: Session,
    keyring: KeyRing,
    delivery: Delivery,
    *,
    pseudonym: str,
    delivery_hash: str,
    now: dt.datetime,
    lease: dt.timedelta,
    keep: dt.timedelta,
) -> Unread | None:
    """Record a delivery; None if this delivery was seen before (a retry or replay: drop it)."""
    if _seen(session, delivery.channel, delivery_hash):
        return None
    session.add(SeenDelivery(channel=delivery.channel, delivery_hash=delivery_hash))
    try:
        session.flush()  # here, not in the autoflush of the next query, outside any except
    except IntegrityError:  # the same delivery taken a moment ago by a concurrent request
        session.rollback()
        return None
    dek = contacts.touch(
        session,
        keyring,
        pseudonym=pseudonym,
        channel=delivery.channel,
        address=delivery.address,
        reply_from=delivery.reply_from,
        now=now,
    )
    message_id = str(uuid.uuid4())
    session.add(
        InboundMessage(
            id=message_id,
            channel=delivery.channel,
            delivery_hash=delivery_hash,
            pseudonym=pseudonym,
            state="processing",
            attempts=0,
            received_at=now,
            next_attempt_at=now + lease,
            keep_until=now + keep,
            data_key_id=dek.id,
            sealed_text=_seal(dek, message_id, delivery.text),
        )
    )
    try:
        session.commit()
    except IntegrityError:  # the same delivery recorded by a concurrent request
        session.rollback()
        return None
    return Unread(message_id, pseudonym, delivery.channel, delivery.text, now)


def first_sight(session: Session, *, channel: str, delivery_hash: str) -> bool:
    """Remember a delivery id; False if it was seen before (a retry or a replay)."""
    if _seen(session, channel, delivery_hash):
        return False
    session.add(SeenDelivery(channel=channel, delivery_hash=delivery_hash))
    try:
        session.commit()
    except IntegrityError:  # the same delivery remembered by a concurrent request
        session.rollback()
        return False
    return True


def finish(session: Session, message_id: str) -> None:
    """Read (or deliberately not read): the text is removed, the delivery id stays."""
    _set(session, message_id, state="done")


def drop(session: Session, message_id: str) -> None:
    """Not read and not kept (the person was told to send it again)."""
    _set(session, message_id, state="dropped")


def wait(session: Session, message_id: str, *, now: dt.datetime, retry_in: dt.timedelta) -> None:
    """Rasa could not read it: keep the sealed text for the worker."""
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id, InboundMessage.state == "processing")
        .values(
            state="waiting",
            next_attempt_at=now + retry_in,
            attempts=InboundMessage.attempts + 1,
        )
    )
    session.commit()


def claim_due(
    session: Session,
    keyring: KeyRing,
    *,
    now: dt.datetime,
    lease: dt.timedelta,
    pseudonym: str | None = None,
    limit: int = 20,
) -> list[Unread]:
    """Messages to try again, oldest first, claimed for `lease`; expired ones are dropped.

    With `pseudonym`: that contact's waiting messages whatever their retry time, so a new
    message from the person is answered only after the older ones (replies stay in order).
    """
    expire_overdue(session, now)
    query = select(InboundMessage).where(InboundMessage.sealed_text.is_not(None))
    if pseudonym is None:
        query = query.where(
            InboundMessage.state.in_(("waiting", "processing")),
            InboundMessage.next_attempt_at <= now,
        )
    else:
        query = query.where(
            InboundMessage.pseudonym == pseudonym, InboundMessage.state == "waiting"
        )
    rows = session.scalars(query.order_by(InboundMessage.received_at).limit(limit)).all()
    claimed = []
    for row in rows:
        won = session.execute(
            update(InboundMessage)
            .where(
                InboundMessage.id == row.id,
                InboundMessage.state == row.state,
                InboundMessage.next_attempt_at == row.next_attempt_at,
            )
            .values(state="processing", next_attempt_at=now + lease)
        ).rowcount
        if won:
            text = open_column(
                session,
                keyring,
                row.data_key_id or "",
                _TABLE,
                "sealed_text",
                row.id,
                row.sealed_text or b"",
            )
            claimed.append(Unread(row.id, row.pseudonym, row.channel, text, row.received_at))
    session.commit()
    return claimed


def expire_overdue(session: Session, now: dt.datetime) -> int:
    """Drop unread messages past their keep time: the person was told they would be."""
    result = session.execute(
        update(InboundMessage)
        .where(
            InboundMessage.state.in_(("waiting", "processing")),
            InboundMessage.keep_until <= now,
        )
        .values(state="dropped", sealed_text=None, data_key_id=None)
    )
    session.commit()
    return result.rowcount


def purge(session: Session, *, older_than: dt.datetime) -> int:
    """Delete finished delivery records older than any retry; their `SeenDelivery` stays."""
    result = session.execute(
        delete(InboundMessage).where(
            InboundMessage.received_at < older_than,
            or_(InboundMessage.state == "done", InboundMessage.state == "dropped"),
        )
    )
    session.commit()
    return result.rowcount


def _seen(session: Session, channel: str, delivery_hash: str) -> bool:
    return session.get(SeenDelivery, (channel, delivery_hash)) is not None


def _seal(dek: OpenDataKey, message_id: str, text: str) -> bytes:
    return seal_value(dek, _TABLE, "sealed_text", message_id, text)


def _set(session: Session, message_id: str, *, state: str) -> None:
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id)
        .values(state=state, sealed_text=None, data_key_id=None)
    )
    session.commit()
