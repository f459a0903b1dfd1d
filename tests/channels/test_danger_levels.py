"""What the gateway adds to Rasa's replies for each danger level, on the web chat and by SMS.

The classifier is a stand-in here (tests/danger/stub.py), so each level is chosen by the test;
the real model's figures are in `make test-danger`.
"""

from __future__ import annotations

import itertools
import uuid

import httpx
import pytest
from channel_standins import Gateway, late_replies
from messaging_standins import twilio_params, twilio_post

from channels import safety
from tests.danger.stub import StubClassifier, use

UNCERTAIN = StubClassifier(0.5)  # between the stub's POSSIBLE (0.3) and NOW (0.9) cut-offs
CONFIDENT = StubClassifier(0.95)
CALM = StubClassifier(0.1)
_numbers = itertools.count(5000)


def chat(gateway: Gateway, message: str) -> list[dict]:
    """The gateway's answer, then whatever followed later (as the page collects it)."""
    sender = f"test-{uuid.uuid4().hex}"
    response = httpx.post(
        gateway.url + "/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        timeout=10,
    )
    assert response.status_code == 200
    return [*response.json(), *late_replies(gateway.url, sender)]


def kinds(replies: list[dict]) -> list[str | None]:
    return [(r.get("custom") or {}).get("quietdoor") for r in replies]


def test_possible_danger_adds_the_999_line_after_rasas_replies(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, UNCERTAIN)
    replies = chat(gateway, "he came back and i don't know what he'll do")
    assert [r["text"] for r in replies] == [
        "Echo: he came back and i don't know what he'll do",
        "If you are in danger now, call 999.",
    ]
    assert kinds(replies) == [None, "reminder"]


def test_no_reminder_when_rasa_already_gave_the_emergency_answer(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, UNCERTAIN)
    replies = chat(gateway, "[rasa-emergency] he came back")
    assert "reminder" not in kinds(replies)
    assert kinds(replies).count("emergency") == 1


def test_a_confident_classifier_puts_the_emergency_answer_first(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, CONFIDENT)
    replies = chat(gateway, "he came back and i don't know what he'll do")
    assert kinds(replies) == ["emergency", None]
    assert "press 55" in replies[0]["text"]


def test_no_danger_adds_nothing(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, CALM)
    assert kinds(chat(gateway, "my boiler is broken")) == [None]


def test_by_sms_the_reminder_is_in_discreet_words_and_comes_last(
    messaging_gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, UNCERTAIN)
    number = f"+4477009{next(_numbers):05d}"
    response = twilio_post(messaging_gateway.url, twilio_params("he came back", sender=number))
    assert response.status_code == 200
    assert response.text.count("<Message>") >= 2
    last = response.text.rsplit("<Message>", 1)[1]
    assert last.startswith(safety.reminder_text(discreet=True))
    assert "danger" not in last.lower()
