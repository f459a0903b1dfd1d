"""Rasa's replies folded for messaging, numbered choices, and payloads that fit Telegram."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from api.settings import REPO_ROOT
from channels.messaging.locks import KeyedLocks
from channels.messaging.replies import (
    Option,
    Reply,
    chosen_payload,
    from_rasa,
    is_bare_number,
    numbered,
    offered,
)
from channels.telegram.router import _command_as_text
from channels.telegram.sending import MAX_CALLBACK_BYTES, keyboard

YES_NO = (Option("Yes", "/affirm"), Option("No", "/deny"))


def test_the_emergency_marker_item_marks_the_text_before_it() -> None:
    replies = from_rasa(
        [
            {"text": "Call 999.", "custom": {"quietdoor": "emergency"}},
            {"custom": {"quietdoor": "emergency"}},
            {"text": "Safe to talk?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        ]
    )
    assert replies == [
        Reply("Call 999.", (), "emergency"),
        Reply("Safe to talk?", (Option("Yes", "/affirm"),), None),
    ]


def test_buttons_without_a_title_or_payload_are_left_out() -> None:
    [reply] = from_rasa(
        [{"text": "Q", "buttons": [{"title": "", "payload": "/x"}, {"title": "T"}, "junk"]}]
    )
    assert reply.options == ()


def test_choices_are_numbered_lines_under_the_text() -> None:
    assert numbered(Reply("Safe?", YES_NO)) == "Safe?\n1 Yes\n2 No"
    assert numbered(Reply("No choices")) == "No choices"


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("1", "/affirm"),
        (" 2 ", "/deny"),
        ("2.", "/deny"),
        ("1)", "/affirm"),
        ("(2)", "/deny"),
        ("3", None),
    ],
)
def test_a_digit_picks_a_choice(text: str, payload: str | None) -> None:
    assert chosen_payload(text, YES_NO) == payload


@pytest.mark.parametrize("text", ["0", "12 people", "one", "", "1 2"])
def test_anything_else_is_not_a_choice(text: str) -> None:
    assert chosen_payload(text, YES_NO) is None


@pytest.mark.parametrize("text", ["1", "0", "12", " 3. ", "(2)", "4)", "7 "])
def test_one_or_two_digits_alone_are_a_bare_number(text: str) -> None:
    assert is_bare_number(text)


@pytest.mark.parametrize(
    "text", ["999", "07700 900123", "3 kids", "1 2", "flat 12", "", "one", "1st", "2pm"]
)
def test_digits_in_words_or_phone_numbers_are_text(text: str) -> None:
    assert not is_bare_number(text)


def test_the_last_reply_with_choices_is_what_a_digit_refers_to() -> None:
    replies = [Reply("A", YES_NO), Reply("B", (Option("Skip", "/skip"),)), Reply("C")]
    assert offered(replies) == (Option("Skip", "/skip"),)
    assert offered([Reply("C")]) == ()


def test_the_telegram_keyboard_has_one_row_per_choice_and_exit_last() -> None:
    markup = keyboard(Reply("Safe?", YES_NO), with_exit=True)
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        ["/affirm"],
        ["/deny"],
        ["qd:exit"],
    ]
    assert keyboard(Reply("Plain"), with_exit=False) is None


def _domain_payloads() -> list[str]:
    payloads = []
    for path in sorted((REPO_ROOT / "bot" / "domain").glob("*.yml")):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for variations in (domain.get("responses") or {}).values():
            for variation in variations:
                payloads += [b["payload"] for b in variation.get("buttons") or []]
    return payloads


def test_every_button_payload_in_the_domain_fits_telegram_callback_data() -> None:
    payloads = _domain_payloads()
    assert len(payloads) > 20
    for payload in payloads:  # Rasa turns the double braces of the domain into single ones
        sent = payload.replace("{{", "{").replace("}}", "}")
        assert len(sent.encode()) <= MAX_CALLBACK_BYTES, payload


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("/start", "/greet"),
        ("/start@QuietDoorBot", "/greet"),
        ("/help", "help"),
        ("/report_abuse", "report abuse"),
        ("hello /there", "hello /there"),
        ('/inform{"a":"b"}', '/inform{"a":"b"}'),
    ],
)
def test_telegram_commands_are_read_as_words(typed: str, read_as: str) -> None:
    assert _command_as_text(typed) == read_as


async def test_one_turn_at_a_time_per_contact_and_no_lock_left_behind() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def turn(key: str, name: str, pause: float) -> None:
        async with locks.hold(key):
            order.append(f"{name} in")
            await asyncio.sleep(pause)
            order.append(f"{name} out")

    await asyncio.gather(turn("a", "first", 0.05), turn("a", "second", 0), turn("b", "other", 0))
    assert order.index("first out") < order.index("second in")
    assert order.index("other in") < order.index("first out")
    assert len(locks) == 0
