"""The chat clears itself when left alone, in headless Chromium with Playwright's fake clock.

After QD_CHAT_IDLE_SECONDS without a key press, click or reply (300 by default), a warning comes a
minute ahead and is announced; then the screen is cleared, the server copy deleted (the same
POST /chat/exit quick exit uses) and a fresh chat begun with a new sender id. The clock is
installed before the page loads, so every timer and Date.now() on the page is under the test's
control: no test waits minutes, and none depends on the machine's speed.
"""

from __future__ import annotations

import re

from channel_standins import Gateway, ServerThread, StandInRasa
from messaging_standins import HASH_KEY, MASTER_KEYS
from playwright.sync_api import Page, expect
from test_follow_up_api import anonymous_case
from test_follow_up_page import open_report
from test_web_page import GREETING, open_chat, wait_for_wipe

WARNING = (
    "This chat will clear in 1 minute to keep it private. Press any key or tap anywhere to keep it."
)
CLEARED = "The chat was cleared to keep it private."
# The page looks at the clock every 5 seconds; these steps land either side of each boundary.
BEFORE_WARNING_MS = 234_000
PAST_WARNING_MS = 12_000
PAST_CLEARING_MS = 60_000


def say(page: Page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.keyboard.press("Enter")
    expect(page.locator(".msg--bot").last).to_have_text(re.compile(f"Echo: {re.escape(text)}"))


def fresh_greeting_sender(page: Page, run_for_ms: int) -> str:
    """Let the clock run until the chat clears; the sender id of the new chat's greeting."""
    with page.expect_request("**/webhooks/rest/webhook") as greeting:
        page.clock.run_for(run_for_ms)
    return greeting.value.post_data_json["sender"]


def test_left_alone_it_warns_a_minute_ahead_then_clears_and_deletes_the_server_copy(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    page.clock.install()
    sender = open_chat(page, gateway, other_site)
    say(page, "my code word is bluebell")
    warning = page.locator("#idle-warning")
    expect(warning).to_have_attribute("role", "alert")

    page.clock.run_for(BEFORE_WARNING_MS)
    expect(warning).to_have_text("")
    page.clock.run_for(PAST_WARNING_MS)
    expect(warning).to_have_text(WARNING)
    expect(warning).to_be_visible()
    assert not rasa.wiped(sender)

    new_sender = fresh_greeting_sender(page, PAST_CLEARING_MS)
    wait_for_wipe(rasa, sender)
    assert new_sender != sender
    expect(page.locator(".msg")).to_have_count(1)
    expect(page.locator(".msg--bot")).to_have_text(re.compile(re.escape(GREETING)))
    expect(page.locator("#transcript")).not_to_contain_text("bluebell")
    expect(warning).to_have_text("")
    expect(page.locator("#announcer")).to_have_text(f"{CLEARED} {GREETING}")
    assert rasa.sent_by(new_sender) == ["/greet"]
    assert page.url == f"{gateway.url}/"


def test_a_key_press_keeps_the_chat(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    page.clock.install()
    sender = open_chat(page, gateway, other_site)
    say(page, "please keep this")
    warning = page.locator("#idle-warning")
    page.clock.run_for(BEFORE_WARNING_MS + PAST_WARNING_MS)
    expect(warning).to_have_text(WARNING)

    page.keyboard.press("Escape")
    expect(warning).to_have_text("")
    page.clock.run_for(PAST_CLEARING_MS * 2)
    expect(page.locator("#transcript")).to_contain_text("please keep this")
    expect(warning).to_have_text("")
    assert not rasa.wiped(sender)
    # Idle time counts again from the key press.
    page.clock.run_for(BEFORE_WARNING_MS - PAST_CLEARING_MS * 2 + PAST_WARNING_MS)
    expect(warning).to_have_text(WARNING)


def test_typing_in_the_box_is_kept_safe_too(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    """Words typed but not sent are cleared as well."""
    page.clock.install()
    sender = open_chat(page, gateway, other_site)
    page.get_by_label("Your message").fill("half a sentence about home")
    fresh_greeting_sender(page, 300_000 + PAST_WARNING_MS)
    wait_for_wipe(rasa, sender)
    expect(page.get_by_label("Your message")).to_have_value("")


def test_a_chat_with_nothing_of_the_persons_in_it_is_left_alone(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    page.clock.install()
    sender = open_chat(page, gateway, other_site)
    page.clock.run_for(900_000)
    expect(page.locator("#idle-warning")).to_have_text("")
    assert rasa.sent_by(sender) == ["/greet"]
    assert not rasa.wiped(sender)


def test_a_device_woken_from_sleep_clears_at_once(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    """The wall clock decides, not the count of timer ticks (which a sleeping device stops)."""
    page.clock.install()
    sender = open_chat(page, gateway, other_site)
    say(page, "something private")
    with page.expect_request("**/webhooks/rest/webhook"):
        page.clock.fast_forward(3_600_000)
    wait_for_wipe(rasa, sender)
    expect(page.locator("#transcript")).not_to_contain_text("something private")


def test_the_idle_time_comes_from_the_setting(
    page: Page, make_gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    gateway = make_gateway(chat_idle_seconds=90)
    page.clock.install()
    sender = open_chat(page, gateway, other_site)
    expect(page.locator("body")).to_have_attribute("data-idle-seconds", "90")
    say(page, "a short wait")
    page.clock.run_for(24_000)
    expect(page.locator("#idle-warning")).to_have_text("")
    page.clock.run_for(PAST_WARNING_MS)
    expect(page.locator("#idle-warning")).to_have_text(WARNING)
    fresh_greeting_sender(page, PAST_CLEARING_MS)
    wait_for_wipe(rasa, sender)


def test_an_open_report_and_its_code_are_forgotten(
    page: Page, make_gateway, other_site: ServerThread
) -> None:
    gateway = make_gateway(master_keys=MASTER_KEYS, hash_key=HASH_KEY)
    case = anonymous_case(gateway)
    page.clock.install()
    open_chat(page, gateway, other_site)
    open_report(page, case.code)
    fresh_greeting_sender(page, 300_000 + PAST_WARNING_MS)
    expect(page.locator("#follow-up")).not_to_have_attribute("open", "")
    expect(page.locator("#follow-up-case")).to_be_hidden()
    expect(page.locator("#follow-up-reference")).to_have_text("")
    expect(page.locator(".follow-up__msg")).to_have_count(0)
