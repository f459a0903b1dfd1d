"""The running product answers, and quick exit leaves nothing of the conversation on the server."""

from __future__ import annotations

import time

import httpx

from tests.e2e.conftest import Product


def test_health_is_ok_when_the_assistant_can_reply(product: Product) -> None:
    assert httpx.get(f"{product.url}/healthz", timeout=10).status_code == 200


def test_the_opening_asks_whether_it_is_safe_and_says_how_to_leave(
    product: Product, sender: str
) -> None:
    text = " ".join(r.get("text", "") for r in product.say(sender, "/greet")).lower()
    assert "safe" in text
    assert "exit" in text


def test_typing_exit_deletes_the_conversation_in_rasa(product: Product, sender: str) -> None:
    product.say(sender, "/greet")
    product.say(sender, "/affirm")
    assert any(e["event"] == "user" for e in product.rasa_tracker(sender)["events"])
    replies = product.say(sender, "exit")
    assert replies[-1]["custom"] == {"quietdoor": "exit"}
    deadline = time.monotonic() + 30  # the wipe runs in the background, after the answer
    while any(e["event"] == "user" for e in product.rasa_tracker(sender)["events"]):
        assert time.monotonic() < deadline, "the conversation was not wiped"
        time.sleep(0.1)


def test_an_unexpected_answer_gets_one_clarifying_reply(product: Product, sender: str) -> None:
    product.say(sender, "/greet")
    product.say(sender, "/affirm")
    replies = product.say(sender, "/deny")  # "no" to "What would you like to do?" fits no flow
    assert len(replies) == 1
    assert "didn't follow" in replies[0]["text"]
    assert replies[0]["buttons"]
