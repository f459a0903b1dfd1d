"""What the gateway remembers about a messaging contact between messages, sealed where personal.

The address (phone number or Telegram chat id) is sealed with a data key of the contact's own,
so `forget` makes it unreadable by deleting one key, and so is a follow-up code the person has
just checked with (kept a few minutes for "REPLY ...", then cleared by the inbox worker). The rest
is not personal: the wording the person chose, whether they have had the first-reply advice, the
numbered choices last offered.
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
from channels.messaging.replies import Option

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
    options: tuple[Option, ...]
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
    return _data_key(session, keyring, row)


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
        options=_options(row.options),
        last_inbound_at=row.last_inbound_at,
    )


def remember_reply(
    session: Session, pseudonym: str, *, options: tuple[Option, ...], introduced: bool
) -> None:
    """After a reply: the choices now offered and whether the first-reply advice was given."""
    values: dict[str, object] = {
        "introduced": introduced,
        "options": json.dumps([[o.title, o.payload] for o in options]) if options else None,
    }
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


def hold_follow_up_code(
    session: Session, keyring: KeyRing, pseudonym: str, code: str, *, until: dt.datetime
) -> None:
    """Keep the code that just worked, sealed, so a "REPLY ..." before `until` can use it."""
    row = session.get(MessagingContact, pseudonym)
    if row is None:
        return
    dek = _data_key(session, keyring, row)
    row.sealed_follow_up_code = seal_value(dek, _TABLE, "sealed_follow_up_code", pseudonym, code)
    row.follow_up_until = until
    session.commit()


def held_follow_up_code(
    session: Session, keyring: KeyRing, pseudonym: str, *, now: dt.datetime
) -> str | None:
    """The code held for this contact, if it is still within its few minutes."""
    row = session.get(MessagingContact, pseudonym)
    if row is None or row.sealed_follow_up_code is None or row.follow_up_until is None:
        return None
    if row.follow_up_until <= now:
        return None
    return open_column(
        session,
        keyring,
        row.data_key_id,
        _TABLE,
        "sealed_follow_up_code",
        pseudonym,
        row.sealed_follow_up_code,
    )


def clear_follow_up_codes(session: Session, *, now: dt.datetime) -> int:
    """Drop every held code past its time (the inbox worker, once a minute)."""
    result = session.execute(
        update(MessagingContact)
        .where(MessagingContact.follow_up_until <= now)
        .values(sealed_follow_up_code=None, follow_up_until=None)
    )
    session.commit()
    return result.rowcount


def _data_key(session: Session, keyring: KeyRing, row: MessagingContact) -> OpenDataKey:
    key_row = session.get(DataKey, row.data_key_id)
    if key_row is None:  # only if someone deleted keys by hand; fail loudly, lose nothing
        raise LookupError("the contact's data key is missing")
    return unwrap(keyring, key_row)


def _options(stored: str | None) -> tuple[Option, ...]:
    return tuple(Option(title, payload) for title, payload in json.loads(stored or "[]"))
