"""With Rasa stopped (SIGSTOP), SMS and Telegram still answer danger with the full emergency
answer, and once Rasa runs again its reply follows through the channel's API, once and in order,
and the conversation carries on.

No timed assertions: "at once" is checked as "answered while every Rasa process was stopped".
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from ops.stack import ROOT
from tests.channels.messaging_standins import (
    button_update,
    telegram_post,
    text_update,
    twilio_params,
    twilio_post,
    wait_for,
)
from tests.e2e.conftest import Product
from tests.e2e.rasa_pause import rasa_paused, stopped
from tests.e2e.test_messaging_reports import pseudonym

UNSEEN_SMS = "he has locked me in the bathroom and is shouting he will burn the place"
UNSEEN_TELEGRAM = "hes outside my flat with a blade and says hes going to finish me"
NUMBERED = re.compile(r"^(\d+) (.+)$", re.M)
EXIT_BUTTON = "qd:exit"


def is_numbers(text: str) -> bool:
    """The full emergency answer: 999, the Silent Solution, deaf routes, the support line."""
    return all(part in text for part in ("call 999", "press 55", "18000", "0808 2000 247"))


def twiml(product: Product, number: str, text: str) -> list[str]:
    answer = twilio_post(product.url, twilio_params(text, sender=number))
    assert answer.status_code == 200, answer.text
    return [m.text or "" for m in ET.fromstring(answer.text).iter("Message")]  # noqa: S314


def user_texts(product: Product, sender: str) -> list[str]:
    events = product.rasa_tracker(sender)["events"]
    return [e.get("text") for e in events if e["event"] == "user"]


@pytest.mark.parametrize("phrase", [UNSEEN_SMS, UNSEEN_TELEGRAM])
def test_the_phrasings_are_unseen(phrase: str) -> None:
    training = [ROOT / "channels" / "danger" / "training.yml", *(ROOT / "data").rglob("*.yml")]
    for path in training:
        assert phrase not in path.read_text(encoding="utf-8").lower(), path


def test_sms_danger_is_answered_while_rasa_is_stopped_and_the_conversation_continues(
    product: Product,
) -> None:
    number = "+447700900761"
    sender = pseudonym(product, "sms", number)
    assert twiml(product, number, "hello")

    with rasa_paused(product) as processes:
        answer = twiml(product, number, UNSEEN_SMS)
        assert all(stopped(p) for p in processes)
    assert len(answer) == 1 and is_numbers(answer[0])

    sent = product.twilio_api.sent_to
    assert wait_for(lambda: any(NUMBERED.search(body) for body in sent(number)), seconds=60)
    later = sent(number)
    assert not any(is_numbers(body) for body in later)  # Rasa's own numbers: never twice

    following = twiml(product, number, "1")
    assert following and not any(is_numbers(text) for text in following)
    assert sent(number) == later
    texts = user_texts(product, sender)
    assert texts.count(UNSEEN_SMS) == 1
    assert texts.index(UNSEEN_SMS) < len(texts) - 1  # the choice came after it


def test_telegram_danger_is_sent_while_rasa_is_stopped_and_the_conversation_continues(
    product: Product,
) -> None:
    chat = 7_761_001
    sender = pseudonym(product, "telegram", str(chat))
    api = product.telegram_api
    assert telegram_post(product.url, text_update(chat, "/start")).status_code == 200
    before = len(api.called("sendMessage", chat))

    with rasa_paused(product) as processes:
        assert telegram_post(product.url, text_update(chat, UNSEEN_TELEGRAM)).status_code == 200
        sent_while_stopped = api.called("sendMessage", chat)[before:]
        assert all(stopped(p) for p in processes)
    [numbers] = sent_while_stopped
    assert is_numbers(numbers["text"])

    def follow_up() -> list[dict]:
        return api.called("sendMessage", chat)[before + 1 :]

    # The last message of an answer carries the Exit button: then the whole answer is there.
    assert wait_for(lambda: follow_up() and _buttons(follow_up()[-1]), seconds=60)
    later = follow_up()
    assert not any(is_numbers(p["text"]) for p in later)
    buttons = [b for p in later for b in _buttons(p) if b["callback_data"] != EXIT_BUTTON]
    assert buttons, later

    press = button_update(chat, buttons[0]["callback_data"], later[-1]["_message_id"])
    assert telegram_post(product.url, press).status_code == 200
    after = api.called("sendMessage", chat)[before + 1 + len(later) :]
    assert after and not any(is_numbers(p["text"]) for p in after)
    texts = user_texts(product, sender)
    assert texts.count(UNSEEN_TELEGRAM) == 1
    assert texts.index(UNSEEN_TELEGRAM) < len(texts) - 1


def _buttons(params: dict) -> list[dict]:
    markup = params.get("reply_markup") or {}
    return [row[0] for row in markup.get("inline_keyboard", [])]
