"""A full report over SMS and over Telegram, through the real Rasa, ends in a case and an alert.

Each runs the whole product: a webhook signed as Twilio signs it / a python-telegram-bot Update
with the secret header, the real model trained from data/, the action server, the case service.
The wording on both is discreet, and afterwards no number, chat id or canary is in any file.
"""

from __future__ import annotations

import re
import sqlite3
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from api.crypto.keys import parse_hash_key
from channels.messaging.pseudonym import pseudonym_for
from tests.channels.messaging_standins import (
    button_update,
    telegram_post,
    text_update,
    twilio_params,
    twilio_post,
)
from tests.e2e.conftest import Product

CANARY = "amber-wren-canary-3307"
NUMBER = "+447700900733"
CHAT_ID = 7_733_001
FREE_TEXT = {
    "what_happening": f"{CANARY} he takes my bank card",
    "location": f"{CANARY} court",
    "contact_detail": "07700 900734",
    "safe_times": f"after 10am {CANARY}",
    "code_word": CANARY,
    "language": f"Urdu {CANARY}",
}
#: Which choice to take for a question, by words in its title; otherwise the first one.
PREFERRED = {
    "reporter_type": "happening to me",
    "contact_method": "Phone call",
    "abuse_kinds_more": "That's all",
}
ALARMING = re.compile(
    r"\b(abus\w*|domestic|violen\w*|police|danger\w*|assault|refuge|physical|sexual|controlling"
    r"|coercive|hurt\w*|perpetrator|safeguarding|marac)\b",
    re.I,
)
REFERENCE = re.compile(r"QD-[A-Z0-9]{4}-[A-Z0-9]{4}")


def pseudonym(product: Product, channel: str, address: str) -> str:
    return pseudonym_for(parse_hash_key(product.stack.env["QD_HASH_KEY"]), channel, address)


def pick(titles: list[str], slot: str | None) -> int:
    """Index of the choice to take: the preferred title, else the first that is not a skip."""
    wanted = PREFERRED.get(slot or "", "")
    for index, title in enumerate(titles):
        if wanted and wanted.lower() in title.lower():
            return index
    return next(i for i, t in enumerate(titles) if t not in ("Skip", "I don't know"))


def take_report(
    product: Product,
    sender: str,
    say: Callable[[str], None],
    choose: Callable[[str | None], None],
    start: str,
) -> None:
    """Greet, say it is safe, choose to report, then answer every question the form asks."""
    say(start)
    choose(None)  # "Is it safe for you to text now?" -> Yes
    choose("how_can_i_help")
    for _ in range(40):
        slot = product.rasa_tracker(sender)["slots"].get("requested_slot")
        if slot is None:
            return
        if slot in FREE_TEXT:
            say(FREE_TEXT[slot])
        else:
            choose(slot)
    pytest.fail("the form did not finish")


def wait_for_mail(product: Product, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(product.mailbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(product.mailbox.messages) >= count, "the alert e-mail was not delivered"


def case_channels(product: Product) -> list[str]:
    with sqlite3.connect(product.var_dir / "quietdoor.db") as db:
        return [row[0] for row in db.execute("SELECT channel FROM cases")]


def files_containing(product: Product, needle: str) -> list[str]:
    return [
        str(p)
        for p in product.var_dir.rglob("*")
        if p.is_file() and needle.encode() in p.read_bytes()
    ]


def test_a_full_report_over_sms(product: Product) -> None:
    transcript: list[str] = []

    def say(text: str) -> None:
        answer = twilio_post(product.url, twilio_params(text, sender=NUMBER))
        assert answer.status_code == 200, answer.text
        root = ET.fromstring(answer.text)  # noqa: S314 - our own gateway's TwiML
        transcript.extend(m.text or "" for m in root.iter("Message"))

    def choose(slot: str | None) -> None:
        wanted = {"how_can_i_help": "Tell the team what's happening to me"}.get(slot or "")
        lines = transcript[-1].splitlines()
        titles = [m.group(2) for m in map(re.compile(r"^(\d+) (.+)$").match, lines) if m]
        assert titles, f"no numbered choices in: {transcript[-1]!r}"
        index = titles.index(wanted) if wanted else pick(titles, slot)
        say(str(index + 1))

    mails = len(product.mailbox.messages)
    take_report(product, pseudonym(product, "sms", NUMBER), say, choose, "hello")
    text = "\n".join(transcript)
    assert "delete this conversation" in transcript[0] + transcript[1]
    assert REFERENCE.search(text), text
    assert not ALARMING.search(text), ALARMING.search(text)
    wait_for_mail(product, mails + 1)
    assert "sms" in case_channels(product)
    for needle in (NUMBER, NUMBER.lstrip("+"), CANARY):
        assert files_containing(product, needle) == [], needle


def test_a_full_report_over_telegram(product: Product) -> None:
    api = product.telegram_api

    def say(text: str) -> None:
        assert telegram_post(product.url, text_update(CHAT_ID, text)).status_code == 200

    def choose(slot: str | None) -> None:
        wanted = {"how_can_i_help": "Tell the team what's happening to me"}.get(slot or "")
        question = next(
            p for p in reversed(api.called("sendMessage", CHAT_ID)) if len(_buttons(p)) > 1
        )
        buttons = [b for b in _buttons(question) if b["callback_data"] != "qd:exit"]
        titles = [b["text"] for b in buttons]
        index = titles.index(wanted) if wanted else pick(titles, slot)
        update = button_update(CHAT_ID, buttons[index]["callback_data"], question["_message_id"])
        assert telegram_post(product.url, update).status_code == 200

    mails = len(product.mailbox.messages)
    take_report(product, pseudonym(product, "telegram", str(CHAT_ID)), say, choose, "/start")
    texts = [p["text"] for p in api.called("sendMessage", CHAT_ID)]
    assert REFERENCE.search("\n".join(texts)), texts
    assert not ALARMING.search("\n".join(texts))
    wait_for_mail(product, mails + 1)
    assert "telegram" in case_channels(product)

    assert telegram_post(product.url, text_update(CHAT_ID, "/exit")).status_code == 200
    sent = set(api.sent_ids(CHAT_ID))
    assert sent and sent <= set(api.deleted_ids(CHAT_ID))
    for needle in (str(CHAT_ID), CANARY):
        assert files_containing(product, needle) == [], needle


def _buttons(params: dict) -> list[dict]:
    markup = params.get("reply_markup") or {}
    return [row[0] for row in markup.get("inline_keyboard", [])]
