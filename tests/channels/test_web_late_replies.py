"""The chat page in headless Chromium while Rasa is paused: the numbers at once, Rasa's reply
later in its place, once; quick exit leaves at once. The stand-in is always resumed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from channel_standins import Gateway, ServerThread, StandInRasa
from playwright.sync_api import Page, expect
from test_web_page import assert_exited, open_chat, wait_for_wipe


@pytest.fixture
def paused(rasa: StandInRasa) -> Iterator[StandInRasa]:
    """The shared stand-in, paused by the test when it chooses; resumed whatever happens."""
    try:
        yield rasa
    finally:
        rasa.resume()


def test_danger_gets_the_numbers_at_once_and_rasas_reply_follows_once(
    page: Page, gateway: Gateway, other_site: ServerThread, paused: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    paused.pause()
    page.get_by_label("Your message").fill("he has a knife")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--emergency")).to_contain_text("999")
    assert not paused.running.is_set()
    expect(page.locator(".msg--bot")).to_have_count(2)  # the greeting and the numbers

    paused.resume()
    echo = page.locator(".msg--bot", has_text="Echo: he has a knife")
    expect(echo).to_have_count(1)
    expect(page.locator(".msg").last).to_have_text(re.compile("Echo: he has a knife"))
    page.wait_for_timeout(2500)  # two more polls: nothing is shown twice
    expect(echo).to_have_count(1)
    expect(page.locator(".msg--emergency")).to_have_count(1)
    assert paused.sent_by(sender) == ["/greet", "he has a knife"]


def test_quick_exit_leaves_while_rasa_is_paused(
    page: Page, gateway: Gateway, other_site: ServerThread, paused: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    paused.pause()
    page.get_by_label("Your message").fill("something private")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Emergency Exit this page").click()
    assert_exited(page, gateway, other_site)
    assert not paused.wiped(sender)
    paused.resume()
    wait_for_wipe(paused, sender)
