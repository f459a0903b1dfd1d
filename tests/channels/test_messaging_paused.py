"""The emergency answer never waits for Rasa on SMS, WhatsApp or Telegram.

Rasa is held (`PausableRasa`: a request waits as one to a stopped process does). An emergency
gets the full emergency answer in the webhook's own answer (TwiML, or Telegram's sendMessage)
while Rasa still holds it; an ordinary message gets the holding line; once Rasa is let go its
replies follow through the channel's API, once each and in order, without the numbers again.
Quick exit answers at once and the wipe reaches Rasa when it is back (or, if it never can, is
logged without content). Behaviour only: nothing here asserts how long anything took.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from channel_standins import Gateway, ServerThread, closed_port_url
from messaging_standins import (
    PausableRasa,
    StandInTelegram,
    StandInTwilio,
    telegram_post,
    text_update,
    twilio_params,
    twilio_post,
    wait_for,
)
from test_telegram import new_chat, sent_texts
from test_telegram import pseudonym as telegram_pseudonym
from test_twilio import messages, new_number, pseudonym

from channels.messaging import conversation
from channels.messaging.texts import DEFAULTS as LINES

SLOW = LINES["slow"]
EMERGENCY = "[rasa-emergency] he has a knife at the door"


def is_numbers(text: str) -> bool:
    """The full emergency answer: 999, the Silent Solution, deaf routes, the support line."""
    return all(part in text for part in ("call 999", "press 55", "textphone", "0808 2000 247"))


@pytest.fixture(scope="module")
def held_rasa() -> Iterator[PausableRasa]:
    rasa = PausableRasa()
    yield rasa
    rasa.let_go()


@pytest.fixture(scope="module")
def held_rasa_server(held_rasa: PausableRasa) -> Iterator[ServerThread]:
    server = ServerThread(held_rasa.app()).start()
    yield server
    held_rasa.let_go()
    server.stop()


@pytest.fixture(scope="module")
def gateway(make_gateway, messaging_changes: dict, held_rasa_server: ServerThread) -> Gateway:
    return make_gateway(
        **messaging_changes, rasa_url=held_rasa_server.url, messaging_answer_wait_seconds=0.5
    )


@pytest.fixture
def held(held_rasa: PausableRasa) -> Iterator[PausableRasa]:
    """Rasa held for the test, let go again whatever happens."""
    held_rasa.hold()
    try:
        yield held_rasa
    finally:
        held_rasa.let_go()


def test_sms_emergency_is_answered_while_rasa_is_held_and_rasa_s_replies_follow_in_order(
    gateway: Gateway, held: PausableRasa, twilio_api: StandInTwilio
) -> None:
    number = new_number()
    first = messages(twilio_post(gateway.url, twilio_params(EMERGENCY, sender=number)))
    second = messages(twilio_post(gateway.url, twilio_params("are you still there", sender=number)))

    assert len(first) == 1 and is_numbers(first[0])
    assert SLOW in second and any(is_numbers(text) for text in second)
    assert held.sent_by(pseudonym(gateway, number)) == []
    assert twilio_api.sent_to(number) == []

    held.let_go()
    assert wait_for(lambda: "Echo: are you still there" in twilio_api.sent_to(number))
    assert twilio_api.sent_to(number) == [
        LINES["sms_first_reply"],
        f"Echo: {EMERGENCY}",
        "Echo: are you still there",
    ]
    assert held.sent_by(pseudonym(gateway, number)) == [EMERGENCY, "are you still there"]


def test_the_emergency_button_is_answered_at_once_too(
    gateway: Gateway, held: PausableRasa, twilio_api: StandInTwilio
) -> None:
    number = new_number()
    held.let_go()
    messages(twilio_post(gateway.url, twilio_params("[options] hello", sender=number)))
    held.hold()
    [numbers] = messages(twilio_post(gateway.url, twilio_params("1", sender=number)))
    assert is_numbers(numbers)
    held.let_go()
    assert wait_for(lambda: "Echo: /emergency" in twilio_api.sent_to(number))
    assert not any(is_numbers(text) for text in twilio_api.sent_to(number))


def test_telegram_emergency_is_sent_while_rasa_is_held_and_rasa_s_reply_follows_once(
    gateway: Gateway, held: PausableRasa, telegram_api: StandInTelegram
) -> None:
    chat = new_chat()
    assert telegram_post(gateway.url, text_update(chat, EMERGENCY)).status_code == 200

    [numbers] = sent_texts(telegram_api, chat)
    assert is_numbers(numbers)
    assert held.sent_by(telegram_pseudonym(gateway, chat)) == []

    held.let_go()
    assert wait_for(lambda: f"Echo: {EMERGENCY}" in sent_texts(telegram_api, chat))
    assert sent_texts(telegram_api, chat) == [
        numbers,
        LINES["telegram_first_reply"],
        f"Echo: {EMERGENCY}",
    ]
    assert held.sent_by(telegram_pseudonym(gateway, chat)) == [EMERGENCY]


def test_exit_answers_at_once_and_the_wipe_reaches_rasa_when_it_is_back(
    gateway: Gateway,
    held: PausableRasa,
    twilio_api: StandInTwilio,
    telegram_api: StandInTelegram,
) -> None:
    number, chat = new_number(), new_chat()
    assert is_numbers(
        messages(twilio_post(gateway.url, twilio_params(EMERGENCY, sender=number)))[0]
    )
    telegram_post(gateway.url, text_update(chat, EMERGENCY))
    sent_before = telegram_api.sent_ids(chat)

    cleared = messages(twilio_post(gateway.url, twilio_params("EXIT", sender=number)))
    exit_update = text_update(chat, "/exit")
    assert telegram_post(gateway.url, exit_update).status_code == 200

    assert cleared == [LINES["sms_exit"]]
    assert set(telegram_api.deleted_ids(chat)) >= {*sent_before, exit_update.message.message_id}
    held.let_go()
    sms, telegram = pseudonym(gateway, number), telegram_pseudonym(gateway, chat)
    assert wait_for(lambda: {sms, telegram} <= set(held.wipes))
    assert twilio_api.sent_to(number) == []  # the replies Rasa gave meanwhile stay unsent
    assert len(sent_texts(telegram_api, chat)) == len(sent_before)


def test_a_wipe_that_cannot_be_done_is_logged_without_content(
    make_gateway,
    messaging_changes: dict,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(conversation, "WIPE_RETRY_PAUSES", (0.01, 0.01))
    caplog.set_level(logging.DEBUG)
    gateway = make_gateway(**messaging_changes, rasa_url=closed_port_url())
    number, words = new_number(), "kestrel-wipe-canary-5521"
    messages(twilio_post(gateway.url, twilio_params(words, sender=number)))

    cleared = messages(twilio_post(gateway.url, twilio_params("EXIT", sender=number)))

    assert cleared == [LINES["sms_exit"]]
    assert wait_for(lambda: "not wiped" in caplog.text)
    for needle in (number, number.lstrip("+"), words, pseudonym(gateway, number)):
        assert needle not in caplog.text
