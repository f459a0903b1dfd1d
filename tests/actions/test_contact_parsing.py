"""Safe contact details found inside a sentence, and the held-out set of phone answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.contact_parsing import email_in, phone_in
from actions.validate_report_form import ValidateReportForm
from tests.actions.conftest import DOMAIN, make_tracker

HELD_OUT = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "heldout" / "phones.yml").read_text(encoding="utf-8")
)["examples"]


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("text me on 07700 900123 after 6pm", "+447700900123"),
        ("0121 496 0000", "+441214960000"),
        ("+44 (0)7700 900417", "+447700900417"),
        ("0044 7700 900999", "+447700900999"),
        ("44 7700 900735", "+447700900735"),
        ("my aunt in Poland +48 512 345 678", "+48512345678"),
        # the same number twice is still one number
        ("07700 900111, yes 07700 900 111", "+447700900111"),
    ],
)
def test_a_number_in_a_sentence_is_found_in_e164(text: str, e164: str) -> None:
    assert phone_in(text) == e164


@pytest.mark.parametrize(
    "text",
    [
        "after 6pm on 12/03/2024",
        "rent is £1200 a month",
        "tenancy ref 1234567890",  # no area code: not how a phone number is written
        "my DOB is 01.02.1990",
        "07700 90012",  # a digit short
        "between 9:30 and 17:00",
        "flat 12, 34 Acacia Avenue, B12 3AB",
    ],
)
def test_other_numbers_are_not_phone_numbers(text: str) -> None:
    assert phone_in(text) is None


def test_two_different_numbers_give_none_so_the_wrong_one_is_never_used() -> None:
    assert phone_in("not 07700 900111 that's his, use 07700 900222") is None


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("email me at jo.bloggs@example.org please", "jo.bloggs@example.org"),
        ("it's sam+safe@mail.example.co.uk.", "sam+safe@mail.example.co.uk"),
        ("JO@Example.ORG", "JO@Example.ORG"),
    ],
)
def test_an_email_in_a_sentence_is_found(text: str, email: str) -> None:
    assert email_in(text) == email


@pytest.mark.parametrize("text", ["a@b", "no email please", "me@x.example or you@y.example"])
def test_no_email_or_two_give_none(text: str) -> None:
    assert email_in(text) is None


@pytest.mark.parametrize("example", HELD_OUT, ids=lambda example: example["text"])
def test_held_out_phone_answers(example: dict[str, Any]) -> None:
    assert phone_in(example["text"]) == example["e164"]


def validate(method: str, answer: str) -> tuple[Any, list[str]]:
    tracker = make_tracker(slots={"reporter_type": "self", "contact_method": method})
    form = ValidateReportForm()
    dispatcher = CollectingDispatcher()
    kept = form.validate_contact_detail(answer, dispatcher, tracker, DOMAIN)["contact_detail"]
    return kept, [message["response"] for message in dispatcher.messages]


@pytest.mark.parametrize(
    ("method", "answer", "kept"),
    [
        ("text", "text me on 07700 900123 after 6pm", "+447700900123"),
        ("phone", "my mum's landline, 0141 496 0555", "+441414960555"),
        ("email", "email is jo@example.org, not my work one", "jo@example.org"),
        ("trusted_person", "my sister Sam, 07700 900123", "my sister Sam, 07700 900123"),
    ],
)
def test_the_form_keeps_the_detail_found_in_the_answer(method: str, answer: str, kept: str) -> None:
    assert validate(method, answer) == (kept, [])


@pytest.mark.parametrize(
    ("method", "answer"),
    [
        ("text", "after 6pm is best"),
        ("phone", "07700 900111 or 07700 900222"),
        ("email", "07700 900123"),
    ],
)
def test_the_form_asks_again_without_exactly_one_detail(method: str, answer: str) -> None:
    assert validate(method, answer) == (None, ["utter_invalid_contact_detail"])
