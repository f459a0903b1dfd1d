"""The messaging tables with a frozen clock: keep windows, expiry, forgetting, purging."""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.crypto.keys import parse_master_keys
from api.crypto.models import DataKey
from api.db import dispose_engines, migrate, session_factory
from api.settings import REPO_ROOT, Settings
from channels.messaging import contacts, inbox
from channels.messaging.inbox import Delivery
from channels.messaging.models import InboundMessage, MessagingContact
from channels.telegram import message_log

T0 = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
KEYRING = parse_master_keys(f"k1:{base64.b64encode(os.urandom(32)).decode()}")
LEASE = dt.timedelta(minutes=2)
KEEP = dt.timedelta(minutes=15)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    settings = Settings(var_dir=tmp_path / "var", org_dir=REPO_ROOT / "orgs")
    migrate(settings)
    with session_factory(settings)() as session:
        yield session
    dispose_engines()


def receive(db: Session, text: str, *, sid: str, at: dt.datetime = T0, who: str = "p1"):
    delivery = Delivery("sms", "+447700900999", sid, text, reply_from="+447700900001")
    return inbox.receive(
        db,
        KEYRING,
        delivery,
        pseudonym=who,
        delivery_hash=f"h-{sid}",
        now=at,
        lease=LEASE,
        keep=KEEP,
    )


def test_the_same_delivery_is_recorded_once(db: Session) -> None:
    assert receive(db, "hello", sid="s1") is not None
    assert receive(db, "hello", sid="s1") is None
    assert len(db.scalars(select(InboundMessage)).all()) == 1


def test_the_address_and_text_are_sealed_and_open_again_with_the_key(db: Session) -> None:
    receive(db, "a private message", sid="s2")
    row = db.get(MessagingContact, "p1")
    assert row is not None and b"447700900999" not in row.sealed_address
    contact = contacts.load(db, KEYRING, "p1")
    assert contact is not None and contact.address == "+447700900999"
    [message] = db.scalars(select(InboundMessage)).all()
    assert message.sealed_text and b"private" not in message.sealed_text


def test_a_waiting_message_is_handed_out_again_then_dropped_after_the_keep_window(
    db: Session,
) -> None:
    unread = receive(db, "read me later", sid="s3")
    inbox.wait(db, unread.id, now=T0, retry_in=dt.timedelta(seconds=30))
    assert inbox.claim_due(db, KEYRING, now=T0 + dt.timedelta(seconds=10), lease=LEASE) == []
    [again] = inbox.claim_due(db, KEYRING, now=T0 + dt.timedelta(seconds=31), lease=LEASE)
    assert again.text == "read me later"
    # claimed: a second worker gets nothing until the lease runs out
    assert inbox.claim_due(db, KEYRING, now=T0 + dt.timedelta(seconds=40), lease=LEASE) == []
    inbox.wait(db, unread.id, now=T0 + dt.timedelta(minutes=1), retry_in=dt.timedelta(seconds=30))
    assert inbox.claim_due(db, KEYRING, now=T0 + KEEP, lease=LEASE) == []
    row = db.get(InboundMessage, unread.id)
    db.refresh(row)
    assert (row.state, row.sealed_text) == ("dropped", None)


def test_a_turn_cut_short_by_a_crash_is_picked_up_after_its_lease(db: Session) -> None:
    unread = receive(db, "the gateway died mid-turn", sid="s4")
    assert inbox.claim_due(db, KEYRING, now=T0 + LEASE / 2, lease=LEASE) == []
    [again] = inbox.claim_due(db, KEYRING, now=T0 + LEASE, lease=LEASE)
    assert again.id == unread.id


def test_forgetting_a_contact_deletes_its_key_and_unread_messages(db: Session) -> None:
    unread = receive(db, "forget me", sid="s5")
    inbox.wait(db, unread.id, now=T0, retry_in=dt.timedelta(seconds=1))
    message_log.record(db, "p1", [10, 11], T0)
    key_id = db.get(MessagingContact, "p1").data_key_id
    contacts.forget(db, "p1")
    assert db.get(MessagingContact, "p1") is None
    assert db.get(DataKey, key_id) is None
    assert message_log.deletable_ids(db, "p1", T0) == []
    row = db.get(InboundMessage, unread.id)
    db.refresh(row)
    assert (row.state, row.sealed_text) == ("dropped", None)
    assert receive(db, "forget me", sid="s5") is None  # a late retry is still recognised


def test_idle_contacts_and_old_records_are_found_for_purging(db: Session) -> None:
    receive(db, "old", sid="s6", who="old")
    receive(db, "new", sid="s7", who="new", at=T0 + dt.timedelta(hours=47))
    inbox.finish(db, db.scalars(select(InboundMessage.id)).first())
    assert contacts.idle_pseudonyms(db, T0 + dt.timedelta(hours=1)) == ["old"]
    assert inbox.purge(db, older_than=T0 + dt.timedelta(days=7)) == 1


def test_telegram_ids_are_kept_only_while_telegram_lets_them_be_deleted(db: Session) -> None:
    message_log.record(db, "p1", [1, 2], T0)
    message_log.record(db, "p1", [2, 3], T0 + dt.timedelta(hours=1))
    assert message_log.deletable_ids(db, "p1", T0 + dt.timedelta(hours=2)) == [1, 2, 3]
    assert message_log.deletable_ids(db, "p1", T0 + dt.timedelta(hours=48, minutes=30)) == [3]
    assert message_log.purge(db, T0 + dt.timedelta(hours=48, minutes=30)) == 2


def test_the_product_only_ever_replies_within_the_keep_window(tmp_path: Path) -> None:
    """SECURITY.md 13: nothing is sent to a number that has not just written to us."""
    from api.org.profile import profile_for
    from channels.messaging.contacts import Contact
    from channels.messaging.conversation import Conversations

    now = [T0]
    settings = Settings(
        var_dir=tmp_path / "var",
        org_dir=REPO_ROOT / "orgs",
        master_keys=f"k1:{base64.b64encode(os.urandom(32)).decode()}",
        hash_key=base64.b64encode(os.urandom(32)).decode(),
        messaging_keep_minutes=15,
    )
    conversations = Conversations(settings, profile_for(settings), clock=lambda: now[0])
    contact = Contact("sms-x", "sms", "+447700900999", None, "discreet", True, [], T0)
    assert conversations.may_send_to(contact)
    now[0] = T0 + KEEP
    assert conversations.may_send_to(contact)
    now[0] = T0 + KEEP + dt.timedelta(seconds=1)
    assert not conversations.may_send_to(contact)
