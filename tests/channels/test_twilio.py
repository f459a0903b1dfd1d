"""SMS and WhatsApp through Twilio: signatures, numbered choices, exit, STOP, exactly once.

Requests are signed with Twilio's own RequestValidator against the public URL, and posted to a
real gateway (uvicorn) in front of the stand-in Rasa.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import httpx
import pytest
from channel_standins import Gateway, StandInRasa
from messaging_standins import (
    TWILIO_PATH,
    StandInTwilio,
    purge_delivery_records,
    twilio_params,
    twilio_post,
    twilio_signature,
    wait_for,
)
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from api.crypto.keys import hash_key_from
from api.db import session_factory
from channels.messaging import inbox
from channels.messaging.models import InboundMessage, MessagingContact
from channels.messaging.pseudonym import pseudonym_for
from channels.messaging.texts import DEFAULTS as LINES

_numbers = itertools.count(1000)
PSEUDONYM = re.compile(r"^(sms|whatsapp)-[0-9a-f]{40}$")


def new_number() -> str:
    return f"+4477009{next(_numbers):05d}"


def messages(response: httpx.Response) -> list[str]:
    """The <Message> bodies of a TwiML answer."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    twiml = ET.fromstring(response.text)  # noqa: S314 - our own gateway's answer
    return [m.text or "" for m in twiml.iter("Message")]


def say(gateway: Gateway, text: str, number: str, **extra: str) -> list[str]:
    return messages(twilio_post(gateway.url, twilio_params(text, sender=number, **extra)))


def rasa_sender_for(rasa: StandInRasa, message: str) -> str:
    [sender] = [who for who, text in rasa.messages if text == message]
    return sender


def pseudonym(gateway: Gateway, number: str) -> str:
    channel = "whatsapp" if number.startswith("whatsapp:") else "sms"
    return pseudonym_for(hash_key_from(gateway.settings), channel, number)


# ---------- only Twilio gets in ----------


def test_a_request_signed_the_way_twilio_signs_it_is_answered(
    messaging_gateway: Gateway,
) -> None:
    replies = say(messaging_gateway, "hello signed", new_number())
    assert "Echo: hello signed" in replies


def test_the_same_request_with_one_changed_byte_is_403(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    params = twilio_params("hello tampered", sender=new_number())
    signature = twilio_signature(params)
    body = urlencode(params).encode()
    tampered = body.replace(b"tampered", b"tamperee")
    response = twilio_post(messaging_gateway.url, params, body=tampered, signature=signature)
    assert response.status_code == 403
    assert not any("tampere" in text for _, text in rasa.messages)
    # and the untampered bytes with that signature do get in
    assert twilio_post(messaging_gateway.url, params, body=body, signature=signature).is_success


@pytest.mark.parametrize(
    ("why", "changes"),
    [
        (
            "signed for another URL",
            {"signed_url": "https://attacker.example/webhooks/twilio/webhook"},
        ),
        ("signed for the local address, not the public one", {"signed_url": "local"}),
        ("signed with another account's token", {"token": "some-other-auth-token"}),
    ],
)
def test_a_wrongly_signed_request_is_403(
    messaging_gateway: Gateway, rasa: StandInRasa, why: str, changes: dict
) -> None:
    if changes.get("signed_url") == "local":
        changes = {"signed_url": messaging_gateway.url + TWILIO_PATH}
    text = f"wrongly signed: {why}"
    response = twilio_post(
        messaging_gateway.url, twilio_params(text, sender=new_number()), **changes
    )
    assert response.status_code == 403
    assert text not in [message for _, message in rasa.messages]


def test_a_request_without_a_signature_is_403(messaging_gateway: Gateway) -> None:
    response = httpx.post(
        messaging_gateway.url + TWILIO_PATH,
        data=twilio_params("no signature", sender=new_number()),
    )
    assert response.status_code == 403


def test_the_channel_is_off_without_its_settings(gateway: Gateway) -> None:
    response = twilio_post(gateway.url, twilio_params("hello", sender=new_number()))
    assert response.status_code == 404
    assert "not configured" in response.json()["detail"]


@pytest.mark.parametrize(
    ("why", "body", "content_type", "status"),
    [
        ("oversized", b"Body=" + b"x" * 20_000, "application/x-www-form-urlencoded", 413),
        ("json instead of a form", b'{"Body": "hi"}', "application/json", 415),
        ("not ascii", "Body=caf\u00e9".encode(), "application/x-www-form-urlencoded", 400),
        ("bad percent escape", b"Body=%ff%fe", "application/x-www-form-urlencoded", 400),
    ],
)
def test_malformed_bodies_get_a_4xx_not_a_500(
    messaging_gateway: Gateway, why: str, body: bytes, content_type: str, status: int
) -> None:
    response = httpx.post(
        messaging_gateway.url + TWILIO_PATH,
        content=body,
        headers={"Content-Type": content_type, "X-Twilio-Signature": "c2lnbmF0dXJl"},
    )
    assert response.status_code == status, why


def test_a_signed_request_without_a_message_sid_is_400(messaging_gateway: Gateway) -> None:
    params = twilio_params("no sid", sender=new_number())
    del params["MessageSid"]
    assert twilio_post(messaging_gateway.url, params).status_code == 400


# ---------- the conversation ----------


def test_the_first_reply_says_how_to_delete_the_thread_and_only_the_first(
    messaging_gateway: Gateway,
) -> None:
    number = new_number()
    first = say(messaging_gateway, "hello first", number)
    assert any("delete this conversation" in text for text in first)
    assert any("EXIT" in text for text in first)
    second = say(messaging_gateway, "hello again", number)
    assert second == ["Echo: hello again"]


def test_rasa_sees_a_pseudonym_and_the_channel_never_the_number(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    number = new_number()
    say(messaging_gateway, "who am i sms", number)
    say(messaging_gateway, "who am i whatsapp", f"whatsapp:{number}")
    sms_sender = rasa_sender_for(rasa, "who am i sms")
    whatsapp_sender = rasa_sender_for(rasa, "who am i whatsapp")
    assert PSEUDONYM.match(sms_sender) and sms_sender.startswith("sms-")
    assert PSEUDONYM.match(whatsapp_sender) and whatsapp_sender.startswith("whatsapp-")
    digits = number.lstrip("+")
    assert digits[-6:] not in sms_sender + whatsapp_sender
    assert rasa.metadata_for("who am i sms")["channel"] == "sms"
    assert rasa.metadata_for("who am i whatsapp")["channel"] == "whatsapp"
    assert say(messaging_gateway, "who am i sms again", number) == ["Echo: who am i sms again"]
    assert rasa_sender_for(rasa, "who am i sms again") == sms_sender
    assert sms_sender == pseudonym(messaging_gateway, number)


def test_buttons_become_numbered_choices_and_a_digit_picks_one(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    number = new_number()
    replies = say(messaging_gateway, "/greet", number)
    question = replies[-1]
    assert question.endswith("1 Yes, it is safe\n2 No, not now")
    say(messaging_gateway, "2", number)
    sender = pseudonym(messaging_gateway, number)
    assert rasa.sent_by(sender) == ["/greet", "/deny"]


def test_a_stray_digit_when_nothing_is_listed_never_reaches_rasa(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    """After an answer with no choices (as after a report), "1" once brought up a helpline."""
    number = new_number()
    say(messaging_gateway, "/greet", number)
    say(messaging_gateway, "2", number)  # the choice is made; Rasa's answer lists nothing
    for stray in ("1", "1.", "(2)", "12"):
        assert say(messaging_gateway, stray, number) == [LINES["nothing_listed"]]
    sender = pseudonym(messaging_gateway, number)
    assert rasa.sent_by(sender) == ["/greet", "/deny"]
    # digits inside a sentence, or a phone number, are ordinary text
    for text in ("flat 12", "07700 900123", "3 kids"):
        assert say(messaging_gateway, text, number) == [f"Echo: {text}"]
    assert rasa.sent_by(sender)[-3:] == ["flat 12", "07700 900123", "3 kids"]


def test_a_number_outside_the_choices_gets_the_choices_again_and_a_listed_one_still_picks(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    number = new_number()
    say(messaging_gateway, "/greet", number)
    assert say(messaging_gateway, "7", number) == [
        "Please reply with one of the numbers listed.\n1 Yes, it is safe\n2 No, not now"
    ]
    sender = pseudonym(messaging_gateway, number)
    assert rasa.sent_by(sender) == ["/greet"]
    say(messaging_gateway, "1", number)  # the list still stands
    assert rasa.sent_by(sender) == ["/greet", "/affirm"]


def test_wording_is_discreet_until_the_person_asks_for_plain(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    number = new_number()
    say(messaging_gateway, "wording one", number)
    assert say(messaging_gateway, "PLAIN", number) == [
        "OK, I'll use plain words from now on. Reply DISCREET to switch back."
    ]
    say(messaging_gateway, "wording two", number)
    say(messaging_gateway, "discreet", number)
    say(messaging_gateway, "wording three", number)
    wording = [rasa.metadata_for(f"wording {n}")["wording"] for n in ("one", "two", "three")]
    assert wording == ["discreet", "plain", "discreet"]
    assert "PLAIN" not in [text for _, text in rasa.messages]


def test_emergency_words_bring_the_numbers_at_once_in_discreet_words_and_the_reply_follows(
    messaging_gateway: Gateway, twilio_api: StandInTwilio
) -> None:
    number = new_number()
    [numbers] = say(messaging_gateway, "he has a knife", number)
    assert numbers.startswith("If you need help now, call 999.")
    assert "press 55" in numbers
    assert "0808 2000 247" in numbers
    for word in ("abuse", "police", "danger", "domestic"):
        assert word not in numbers.lower()
    assert wait_for(lambda: "Echo: he has a knife" in twilio_api.sent_to(number))
    later = twilio_api.sent_to(number)
    assert later == [LINES["sms_first_reply"], "Echo: he has a knife"]


def test_whatsapp_replies_come_from_the_whatsapp_number(messaging_gateway: Gateway) -> None:
    replies = say(messaging_gateway, "hello whatsapp", f"whatsapp:{new_number()}")
    assert "Echo: hello whatsapp" in replies


def test_a_picture_without_text_is_answered_with_text_only(messaging_gateway: Gateway) -> None:
    replies = say(messaging_gateway, "", new_number(), NumMedia="1")
    assert replies == ["Sorry, I can only read text. Please type your message."]


# ---------- exactly once ----------


def test_a_twilio_retry_is_acknowledged_and_dropped(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    params = twilio_params("only once please", sender=new_number())
    assert "Echo: only once please" in messages(twilio_post(messaging_gateway.url, params))
    assert messages(twilio_post(messaging_gateway.url, params)) == []
    assert [text for _, text in rasa.messages].count("only once please") == 1


def test_a_captured_request_replayed_after_its_record_is_purged_is_not_processed_again(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    """Twilio signs no timestamp: the same signed request stays valid for as long as the token."""
    number = new_number()
    message = twilio_params("replayed months later", sender=number)
    leaving = twilio_params("EXIT", sender=number)
    assert "Echo: replayed months later" in messages(twilio_post(messaging_gateway.url, message))
    assert messages(twilio_post(messaging_gateway.url, leaving)) == [LINES["sms_exit"]]
    say(messaging_gateway, "the conversation now", number)
    purge_delivery_records(messaging_gateway.settings)
    contacts_before = stored_contacts(messaging_gateway)

    assert messages(twilio_post(messaging_gateway.url, message)) == []
    assert messages(twilio_post(messaging_gateway.url, leaving)) == []
    assert [text for _, text in rasa.messages].count("replayed months later") == 1
    assert stored_contacts(messaging_gateway) == contacts_before  # the replayed EXIT wiped nothing


def test_with_storage_down_a_message_answered_without_rasa_is_still_answered(
    messaging_gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay guard fails open: a person must be answered even when the database is down."""

    def storage_down(*args: object, **kwargs: object) -> bool:
        raise OperationalError("SELECT", {}, Exception("database is down"))

    monkeypatch.setattr(inbox, "first_sight", storage_down)
    replies = say(messaging_gateway, "", new_number(), NumMedia="1")
    assert replies == [LINES["text_only"]]


# ---------- exit and STOP ----------


def stored_contacts(gateway: Gateway) -> int:
    with session_factory(gateway.settings)() as session:
        return len(session.scalars(select(MessagingContact.pseudonym)).all())


def test_exit_wipes_the_conversation_and_says_how_to_delete_the_thread(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    number = new_number()
    say(messaging_gateway, "before exit", number)
    sender = rasa_sender_for(rasa, "before exit")
    before = stored_contacts(messaging_gateway)
    replies = say(messaging_gateway, "EXIT", number)
    assert replies == ["Chat cleared. To remove it from this phone, delete this conversation."]
    assert wait_for(lambda: rasa.wiped(sender))
    assert "EXIT" not in rasa.sent_by(sender)
    assert stored_contacts(messaging_gateway) == before - 1


def test_stop_keeps_twilio_opt_out_working_and_forgets_the_contact(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    number = new_number()
    say(messaging_gateway, "before stop", number)
    sender = rasa_sender_for(rasa, "before stop")
    before = stored_contacts(messaging_gateway)
    assert say(messaging_gateway, "STOP", number, OptOutType="STOP") == []
    assert wait_for(lambda: rasa.wiped(sender))
    assert stored_contacts(messaging_gateway) == before - 1
    assert say(messaging_gateway, "START", number, OptOutType="START") == []
    assert say(messaging_gateway, "help", number) == []
    assert not {"STOP", "START", "help"} & set(rasa.sent_by(sender))


def test_stop_is_only_twilio_s_word_on_sms(messaging_gateway: Gateway, rasa: StandInRasa) -> None:
    """On WhatsApp Twilio has no opt-out words: "stop" is just something the person said."""
    replies = say(messaging_gateway, "stop", f"whatsapp:{new_number()}")
    assert "Echo: stop" in replies


# ---------- storage ----------


def test_the_number_is_stored_only_sealed(messaging_gateway: Gateway) -> None:
    number = new_number()
    say(messaging_gateway, "sealed number check", number)
    with session_factory(messaging_gateway.settings)() as session:
        contacts = session.scalars(select(MessagingContact)).all()
        rows = session.scalars(select(InboundMessage)).all()
    digits = number.lstrip("+").encode()
    for contact in contacts:
        assert digits not in contact.sealed_address
        assert number not in (contact.pseudonym, contact.reply_from)
    assert all(row.sealed_text is None for row in rows if row.state == "done")
