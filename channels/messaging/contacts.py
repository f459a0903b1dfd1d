"""What the gateway remembers about a messaging contact between messages, sealed where personal.

The address (phone number or Telegram chat id) is sealed with a data key of the contact's own,
so `forget` makes it unreadable by deleting one key. The rest is not personal: the wording the
person chose, whether they have had the first-reply advice, the numbered choices last offered.
Contacts idle for `QD_MESSAGING_CONTACT_HOURS` (48 h: Telegram lets a bot delete messages for
that long) are forgotten by the inbox worker.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api.crypto.envelope import OpenDataKey, new_data_key, open_column, seal_value, unwrap
from api.crypto.keys import KeyRing
from api.crypto.models import DataKey
from channels.messaging.models import ChatMessage, InboundMessage, MessagingContact

WORDINGS = ("discreet", "plain")
_TABLE = MessagingContact.__tablename__


@dataclass(frozen=True)
class Contact:
    """A contact with its address opened, for one turn of the conversation."""

    pseudonym: str
    channel: str
    address: str
    reply_from: str | None
    wording: str
    introduced: bool
    options: list[str]
    last_inbound_at: dt.datetime


def touch(
    session: Session,
    keyring: KeyRing,
    *,
    pseudonym: str,
    channel: str,
    address: str,
    reply_from: str | None,
    now: dt.datetime,
) -> OpenDataKey:
    """Create the contact or note that it wrote again; returns its data key for sealing more.

    Does not commit: the caller adds the inbound message in the same transaction.
    """
    row = session.get(MessagingContact, pseudonym)
    if row is None:
        key_row, dek = new_data_key(keyring)
        session.add(key_row)
        session.add(
            MessagingContact(
                pseudonym=pseudonym,
                channel=channel,
                data_key_id=key_row.id,
                sealed_address=seal_value(dek, _TABLE, "sealed_address", pseudonym, address),
                reply_from=reply_from,
                wording="discreet",
                introduced=False,
                options=None,
                last_inbound_at=now,
            )
        )
        return dek
    row.last_inbound_at = now
    if reply_from:
        row.reply_from = reply_from
    key_row = session.get(DataKey, row.data_key_id)
    if key_row is None:  # only if someone deleted keys by hand; fail loudly, lose nothing
        raise LookupError("the contact's data key is missing")
    return unwrap(keyring, key_row)


def load(session: Session, keyring: KeyRing, pseudonym: str) -> Contact | None:
    """The contact with its address opened, or None if it was forgotten."""
    row = session.get(MessagingContact, pseudonym)
    if row is None:
        return None
    address = open_column(
        session, keyring, row.data_key_id, _TABLE, "sealed_address", pseudonym, row.sealed_address
    )
    return Contact(
        pseudonym=row.pseudonym,
        channel=row.channel,
        address=address,
        reply_from=row.reply_from,
        wording=row.wording,
        introduced=row.introduced,
        options=json.loads(row.options) if row.options else [],
        last_inbound_at=row.last_inbound_at,
    )


def remember_reply(
    session: Session, pseudonym: str, *, options: list[str] | None, introduced: bool
) -> None:
    """After a reply: the choices it offered (None keeps the last ones) and the advice given."""
    values: dict[str, object] = {"introduced": introduced}
    if options is not None:
        values["options"] = json.dumps(options) if options else None
    session.execute(
        update(MessagingContact).where(MessagingContact.pseudonym == pseudonym).values(**values)
    )
    session.commit()


def set_wording(session: Session, pseudonym: str, wording: str) -> None:
    if wording not in WORDINGS:
        raise ValueError(f"wording must be one of {WORDINGS}")
    session.execute(
        update(MessagingContact)
        .where(MessagingContact.pseudonym == pseudonym)
        .values(wording=wording)
    )
    session.commit()


def forget(session: Session, pseudonym: str) -> None:
    """Quick exit, STOP or expiry: the contact, its key, its Telegram ids and unread messages go.

    Inbound rows stay (without text) so that a late retry of the same delivery is still
    recognised and dropped.
    """
    row = session.get(MessagingContact, pseudonym)
    session.execute(
        update(InboundMessage)
        .where(
            InboundMessage.pseudonym == pseudonym,
            InboundMessage.state.in_(("processing", "waiting")),
        )
        .values(state="dropped", sealed_text=None, data_key_id=None)
    )
    session.execute(delete(ChatMessage).where(ChatMessage.pseudonym == pseudonym))
    if row is not None:
        key_id = row.data_key_id
        session.delete(row)
        session.flush()
        session.execute(delete(DataKey).where(DataKey.id == key_id))
    session.commit()


def idle_pseudonyms(session: Session, idle_since: dt.datetime) -> list[str]:
    """Contacts that have not written since `idle_since`: the worker forgets them."""
    return list(
        session.scalars(
            select(MessagingContact.pseudonym).where(MessagingContact.last_inbound_at < idle_since)
        )
    )
