"""Messaging when things go wrong: Rasa down, Rasa slow, a gateway restart, prying eyes.

Rasa is down: the person still gets 999 and the support line at once, the message is kept
(sealed) and answered through the channel's API when Rasa is back. Rasa timed out: it may have
read the message, so it is not sent again and the person is told plainly. A retry after a gateway
restart is still recognised. No number or chat id reaches a file or a log line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from channel_standins import Gateway, ServerThread, StandInRasa, gateway_app
from messaging_standins import (
    TELEGRAM_BOT_TOKEN,
    TWILIO_NUMBER,
    StandInTelegram,
    StandInTwilio,
    telegram_post,
    text_update,
    twilio_params,
    twilio_post,
    wait_for,
)
from sqlalchemy import select
from test_twilio import messages

from api.db import session_factory
from api.settings import Settings
from channels.messaging.models import InboundMessage

KEPT = "I'll keep yours for up to 15 minutes"


def inbound_rows(settings: Settings) -> list[InboundMessage]:
    with session_factory(settings)() as session:
        return list(session.scalars(select(InboundMessage)))


@pytest.fixture(scope="module")
def rasa_port() -> int:
    """A port where Rasa will be started later in the module (nothing listens yet)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def late_rasa() -> StandInRasa:
    return StandInRasa()


@pytest.fixture(scope="module")
def gateway_before_rasa(make_gateway, messaging_changes: dict, rasa_port: int) -> Gateway:
    return make_gateway(**messaging_changes, rasa_url=f"http://127.0.0.1:{rasa_port}")


def test_rasa_down_answers_with_the_numbers_keeps_the_message_and_answers_when_back(
    gateway_before_rasa: Gateway,
    late_rasa: StandInRasa,
    rasa_port: int,
    twilio_api: StandInTwilio,
    telegram_api: StandInTelegram,
) -> None:
    gateway = gateway_before_rasa
    number, chat = "+447700955501", 7_555_001
    sms = messages(twilio_post(gateway.url, twilio_params("are you there sms", sender=number)))
    assert KEPT in sms[0] and "999" in sms[1] and "0808 2000 247" in sms[1]
    telegram_post(gateway.url, text_update(chat, "are you there telegram"))
    telegram_texts = [p["text"] for p in telegram_api.called("sendMessage", chat)]
    assert any(KEPT in text for text in telegram_texts)
    assert any("999" in text and "55" in text for text in telegram_texts)

    waiting = [row for row in inbound_rows(gateway.settings) if row.state == "waiting"]
    assert len(waiting) == 2
    assert all(row.sealed_text and b"are you there" not in row.sealed_text for row in waiting)

    server = ServerThread(late_rasa.app(), port=rasa_port).start()
    try:
        assert wait_for(
            lambda: any(m["Body"] == "Echo: are you there sms" for m in twilio_api.sent)
        ), "the kept SMS was not answered when Rasa came back"
        [late] = [m for m in twilio_api.sent if m["Body"] == "Echo: are you there sms"]
        assert (late["To"], late["From"]) == (number, TWILIO_NUMBER)
        assert wait_for(
            lambda: (
                "Echo: are you there telegram"
                in [p["text"] for p in telegram_api.called("sendMessage", chat)]
            )
        ), "the kept Telegram message was not answered when Rasa came back"
        assert late_rasa.sent_by(gateway_before_rasa_pseudonym(gateway, "sms", number)) == [
            "are you there sms"
        ]
        assert all(row.sealed_text is None for row in inbound_rows(gateway.settings))
    finally:
        server.stop()


def gateway_before_rasa_pseudonym(gateway: Gateway, channel: str, address: str) -> str:
    from api.crypto.keys import hash_key_from
    from channels.messaging.pseudonym import pseudonym_for

    return pseudonym_for(hash_key_from(gateway.settings), channel, address)


def test_an_emergency_while_rasa_is_down_gets_the_numbers_then_word_that_it_is_kept(
    make_gateway, messaging_changes: dict, twilio_api: StandInTwilio
) -> None:
    from channel_standins import closed_port_url

    gateway = make_gateway(**messaging_changes, rasa_url=closed_port_url())
    number = "+447700955502"
    replies = messages(
        twilio_post(gateway.url, twilio_params("he is trying to strangle me", sender=number))
    )
    assert len(replies) == 1 and replies[0].startswith("If you need help now, call 999.")
    assert wait_for(lambda: any(KEPT in body for body in twilio_api.sent_to(number)))
    assert not any("999" in body for body in twilio_api.sent_to(number))


def test_a_timeout_is_not_retried_and_the_person_is_told_plainly(
    make_gateway, messaging_changes: dict, rasa: StandInRasa, twilio_api: StandInTwilio
) -> None:
    gateway = make_gateway(**messaging_changes, messaging_rasa_timeout_seconds=0.5)
    number = "+447700955503"
    replies = messages(twilio_post(gateway.url, twilio_params("[slow] hello", sender=number)))
    assert any("Nothing has been saved or passed on" in text for text in replies)
    assert any("999" in text for text in replies)
    time.sleep(3)  # the stand-in answers after 2 s; the worker polls every 0.2 s
    assert [text for _, text in rasa.messages].count("[slow] hello") == 1
    assert not [m for m in twilio_api.sent if m["To"] == number]
    assert all(row.sealed_text is None for row in inbound_rows(gateway.settings))


def test_a_retry_after_a_gateway_restart_is_still_dropped(
    make_gateway, messaging_changes: dict, rasa: StandInRasa, tmp_path: Path
) -> None:
    settings = make_gateway(**messaging_changes).settings.model_copy(
        update={"var_dir": tmp_path / "var"}
    )
    params = twilio_params("once across a restart", sender="+447700955504")
    first = ServerThread(gateway_app(settings)).start()
    try:
        assert "Echo: once across a restart" in messages(twilio_post(first.url, params))
    finally:
        first.stop()
    second = ServerThread(gateway_app(settings)).start()
    try:
        assert messages(twilio_post(second.url, params)) == []
    finally:
        second.stop()
    assert [text for _, text in rasa.messages].count("once across a restart") == 1


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog


def test_no_number_chat_id_text_or_token_reaches_a_file_or_a_log(
    make_gateway, messaging_changes: dict, tmp_path: Path, all_logs: pytest.LogCaptureFixture
) -> None:
    gateway = make_gateway(**messaging_changes, var_dir=tmp_path / "var")
    number, chat = "+447700955505", 7_555_505
    secret_text = "orange-kestrel-canary-8812"
    for text in ("/greet", secret_text, "2", "PLAIN", secret_text + " again"):
        twilio_post(gateway.url, twilio_params(text, sender=number))
        twilio_post(gateway.url, twilio_params(text, sender=f"whatsapp:{number}"))
        telegram_post(gateway.url, text_update(chat, text))
    twilio_post(gateway.url, twilio_params("he has a knife", sender=number))

    needles = [number, number.lstrip("+"), str(chat), secret_text, TELEGRAM_BOT_TOKEN]
    files = [p for p in (tmp_path / "var").rglob("*") if p.is_file()]
    assert files, "the gateway wrote nothing under var/"
    for needle in needles:
        assert [p for p in files if needle.encode() in p.read_bytes()] == [], needle
        assert needle not in all_logs.text, needle
