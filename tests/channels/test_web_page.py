"""The chat page in headless Chromium: quick exit, keyboard use, small screens, buttons, no JS,
and a chat that lives in the page's memory only.

Each test gets a fresh browser context (its own storage), opens a neutral "previous" page first,
then the chat, so Back after an exit can be checked.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from channel_standins import Gateway, ServerThread, StandInRasa
from playwright.sync_api import Browser, BrowserContext, Page, expect

GREETING = "Hello. Is it safe for you to talk right now?"
# Screenshots for a person to look at (calm, neutral, tidy); the system temp folder by default.
SCREENSHOTS = Path(os.environ.get("QD_SCREENSHOT_DIR", tempfile.gettempdir()))


def open_chat(page: Page, gateway: Gateway, other_site: ServerThread) -> str:
    """Visit the previous page, then the chat; wait for the greeting; return the sender id."""
    page.goto(f"{other_site.url}/previous")
    with page.expect_request("**/webhooks/rest/webhook") as greeting:
        page.goto(f"{gateway.url}/")
    expect(page.locator(".msg--bot").first).to_have_text(re.compile(re.escape(GREETING)))
    return greeting.value.post_data_json["sender"]


def storage_keys(page: Page) -> list[list[str]]:
    """The keys of this tab's session storage and of the origin's local storage."""
    return page.evaluate("[Object.keys(sessionStorage), Object.keys(localStorage)]")


def wait_for_wipe(rasa: StandInRasa, sender: str) -> None:
    deadline = time.monotonic() + 5
    while not rasa.wiped(sender):
        assert time.monotonic() < deadline, "the stand-in Rasa never got the wipe"
        time.sleep(0.05)


def assert_exited(page: Page, gateway: Gateway, other_site: ServerThread) -> None:
    """On the exit page; Back skips the chat; this tab's chat storage is empty."""
    page.wait_for_url(f"{other_site.url}/weather")
    expect(page.locator("h1")).to_have_text("Weather: light rain")
    page.go_back()
    page.wait_for_url(f"{other_site.url}/previous")
    # A non-page address on the chat's origin, in the same tab: its session storage is the chat's.
    page.goto(f"{gateway.url}/chat/chat.css")
    assert storage_keys(page) == [[], []]


# ---------- quick exit ----------


def test_exit_button_leaves_wipes_and_back_does_not_return(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    page.get_by_role("button", name="Emergency Exit this page").click()
    wait_for_wipe(rasa, sender)
    assert_exited(page, gateway, other_site)


def test_shift_three_times_exits_and_is_announced(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    status = page.locator("#exit-status")
    page.keyboard.press("Shift")
    expect(status).to_have_text("Shift, press 2 more times to exit.")
    page.keyboard.press("Shift")
    expect(status).to_have_text("Shift, press 1 more time to exit.")
    page.keyboard.press("Shift")
    wait_for_wipe(rasa, sender)
    assert_exited(page, gateway, other_site)


def test_shift_presses_expire_after_five_seconds(
    page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    open_chat(page, gateway, other_site)
    page.clock.install()
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.clock.run_for(5_100)
    expect(page.locator("#exit-status")).to_have_text("Exit this page expired.")
    page.keyboard.press("Shift")
    expect(page.locator("#exit-status")).to_have_text("Shift, press 2 more times to exit.")
    assert page.url == f"{gateway.url}/"


def test_typing_capitals_does_not_count_as_shift_presses(
    page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    open_chat(page, gateway, other_site)
    page.get_by_label("Your message").press_sequentially("ABC Def GHI")
    expect(page.locator("#exit-status")).to_have_text("")
    assert page.url == f"{gateway.url}/"


def test_typing_exit_exits(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    page.get_by_label("Your message").fill("exit")
    page.keyboard.press("Enter")
    wait_for_wipe(rasa, sender)
    assert_exited(page, gateway, other_site)
    assert "exit" not in rasa.sent_by(sender)


def test_skip_link_is_first_in_tab_order_and_exits(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.className, document.activeElement.textContent]"
    )
    assert focused == ["skip-exit", "Exit this page"]
    expect(page.locator(".skip-exit")).to_be_in_viewport()
    page.keyboard.press("Enter")
    wait_for_wipe(rasa, sender)
    assert_exited(page, gateway, other_site)


def test_exit_shows_the_blank_loading_overlay(
    page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    open_chat(page, gateway, other_site)
    # Read the page in the same task as the click, before the browser has left it.
    shown = page.evaluate(
        """() => {
            document.querySelector('.exit__button').click();
            const overlay = document.getElementById('exit-overlay');
            return [getComputedStyle(overlay).display, overlay.textContent,
                    document.querySelectorAll('#transcript li').length, sessionStorage.length,
                    document.getElementById('exit-status').textContent];
        }"""
    )
    assert shown == ["flex", "Loading.", 0, 0, "Loading."]
    page.wait_for_url(f"{other_site.url}/weather")


def test_space_on_the_exit_button_exits(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "exit__button"
    page.keyboard.press("Space")
    wait_for_wipe(rasa, sender)
    assert_exited(page, gateway, other_site)


# ---------- conversation ----------


def test_greeting_is_not_shown_as_a_user_message_and_buttons_send_their_payload(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    assert rasa.sent_by(sender) == ["/greet"]
    expect(page.locator(".msg--user")).to_have_count(0)
    page.get_by_role("button", name="Yes, it is safe").click()
    expect(page.locator(".msg--user")).to_have_text(re.compile("Yes, it is safe"))
    expect(page.locator(".msg--bot").last).to_have_text(re.compile("Echo: /affirm"))
    assert rasa.sent_by(sender) == ["/greet", "/affirm"]
    expect(page.get_by_role("button", name="No, not now")).to_have_count(0)


def test_keyboard_only_conversation(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    names = []
    for _ in range(8):
        page.keyboard.press("Tab")
        names.append(
            page.evaluate("document.activeElement.textContent.trim() || document.activeElement.id")
        )
        if names[-1] == "message":
            break
    assert names[:2] == ["Exit this page", "Emergency Exit this page"]
    assert "Yes, it is safe" in names and names[-1] == "message"
    page.keyboard.type("hello from the keyboard")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--bot").last).to_have_text(re.compile("Echo: hello from the keyboard"))
    assert rasa.sent_by(sender)[-1] == "hello from the keyboard"
    announcer = page.locator("#announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_text("Echo: hello from the keyboard")


# ---------- the chat is kept in the page's memory only ----------


def test_nothing_of_the_chat_is_stored_in_the_browser(
    context: BrowserContext, page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    open_chat(page, gateway, other_site)
    page.get_by_role("button", name="Yes, it is safe").click()
    # The box sends nothing while an answer is on its way: wait for the button's answer first.
    expect(page.locator(".msg--bot", has_text="Echo:")).to_have_count(1)
    page.get_by_label("Your message").fill("my code word is bluebell")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--bot").last).to_have_text(re.compile("Echo: my code word"))
    assert storage_keys(page) == [[], []]
    assert context.cookies() == []


def test_reload_shows_a_fresh_chat_and_deletes_the_old_one_on_the_server(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    page.get_by_label("Your message").fill("something private")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--bot").last).to_have_text(re.compile("Echo: something private"))
    with page.expect_request("**/webhooks/rest/webhook") as greeting:
        page.reload()
    expect(page.locator(".msg")).to_have_count(1)
    expect(page.locator(".msg--bot")).to_have_text(re.compile(re.escape(GREETING)))
    expect(page.locator("#transcript")).not_to_contain_text("something private")
    new_sender = greeting.value.post_data_json["sender"]
    assert new_sender != sender
    assert rasa.sent_by(new_sender) == ["/greet"]
    wait_for_wipe(rasa, sender)
    assert storage_keys(page) == [[], []]


def test_an_old_pages_stored_transcript_is_removed(
    page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    """A tab restored from a version of the page that kept the chat in session storage."""
    open_chat(page, gateway, other_site)
    page.evaluate("sessionStorage.setItem('quietdoor-chat', '{\"items\": [\"old\"]}')")
    page.reload()
    expect(page.locator(".msg")).to_have_count(1)
    assert storage_keys(page) == [[], []]


def test_emergency_words_show_the_numbers_first(
    page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    open_chat(page, gateway, other_site)
    page.get_by_label("Your message").fill("he is banging on the door")
    page.keyboard.press("Enter")
    emergency = page.locator(".msg--emergency")
    expect(emergency).to_have_count(1)
    expect(emergency).to_contain_text("999")
    expect(page.locator(".msg").nth(2)).to_have_class(re.compile("msg--emergency"))


def test_rasa_down_keeps_the_message_and_offers_try_again(
    page: Page, gateway_rasa_down: Gateway, other_site: ServerThread
) -> None:
    page.goto(f"{gateway_rasa_down.url}/")
    expect(page.locator(".msg--emergency")).to_contain_text("999")
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    box = page.get_by_label("Your message")
    box.fill("something I do not want to lose")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--failed")).to_contain_text("Not sent")
    expect(box).to_have_value("something I do not want to lose")
    expect(page.locator(".msg--problem").last).to_contain_text("not been saved")
    expect(page.get_by_role("button", name="Try again")).to_have_count(1)


def test_network_failure_keeps_the_message_and_shows_the_numbers(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    sender = open_chat(page, gateway, other_site)
    page.route("**/webhooks/rest/webhook", lambda route: route.abort())
    box = page.get_by_label("Your message")
    box.fill("please keep this")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--failed")).to_contain_text("Not sent")
    expect(box).to_have_value("please keep this")
    expect(page.locator(".msg--emergency")).to_contain_text("0808 2000 247")
    page.unroute("**/webhooks/rest/webhook")
    page.get_by_role("button", name="Try again").click()
    expect(page.locator(".msg--bot").last).to_have_text(re.compile("Echo: please keep this"))
    expect(page.locator(".msg--failed")).to_have_count(0)
    expect(box).to_have_value("")
    assert rasa.sent_by(sender) == ["/greet", "please keep this"]


# ---------- privacy of the page ----------


def test_no_third_party_requests_no_cookies_no_csp_errors(
    context: BrowserContext, page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    open_chat(page, gateway, other_site)
    page.get_by_label("Your message").fill("hello")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--bot").last).to_have_text(re.compile("Echo: hello"))
    chat_requests = [url for url in requested if not url.startswith(f"{other_site.url}/previous")]
    assert chat_requests and all(url.startswith(gateway.url) for url in chat_requests)
    assert [p for p in problems if "favicon" not in p] == []
    assert context.cookies() == []


def test_with_javascript_off_exit_is_a_plain_link_and_the_numbers_are_shown(
    browser: Browser, gateway: Gateway, other_site: ServerThread
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{gateway.url}/")
    button = page.get_by_role("button", name="Emergency Exit this page")
    expect(button).to_have_attribute("href", f"{other_site.url}/weather")
    expect(button).to_have_attribute("rel", "noreferrer")
    # Playwright's text and role queries skip <noscript>, so find the notice by id.
    expect(page.locator("#nojs-heading")).to_have_text("This chat needs JavaScript")
    expect(page.locator("#nojs-heading")).to_be_visible()
    expect(page.locator(".notice")).to_contain_text("999")
    expect(page.locator(".notice")).to_contain_text("0808 2000 247")
    expect(page.get_by_label("Your message")).to_be_hidden()
    button.click()
    page.wait_for_url(f"{other_site.url}/weather")
    context.close()


# ---------- layout ----------


def test_320px_wide_has_no_horizontal_scroll_and_big_enough_targets(
    browser: Browser, gateway: Gateway, other_site: ServerThread
) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    open_chat(page, gateway, other_site)
    page.get_by_label("Your message").fill("a fairly long message " * 8)
    page.keyboard.press("Enter")
    expect(page.locator(".msg--bot").last).to_have_text(re.compile("Echo: a fairly"))
    page.locator("details.exit-note summary").click()
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    page.screenshot(path=SCREENSHOTS / "quietdoor-chat-320.png", full_page=True)
    sizes = page.evaluate(
        """[...document.querySelectorAll('button, .exit__button, textarea, summary')]
            .filter(el => el.offsetParent !== null)
            .map(el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; })"""
    )
    assert sizes and all(w >= 24 and h >= 24 for w, h in sizes)
    context.close()


def test_desktop_screenshot(page: Page, gateway: Gateway, other_site: ServerThread) -> None:
    open_chat(page, gateway, other_site)
    page.get_by_role("button", name="Yes, it is safe").click()
    expect(page.locator(".msg--bot").last).to_have_text(re.compile("Echo"))
    page.get_by_label("Your message").fill("he is banging on the door")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--emergency")).to_have_count(1)
    page.screenshot(path=SCREENSHOTS / "quietdoor-chat-desktop.png", full_page=True)


def test_reduced_motion_is_respected(browser: Browser, gateway: Gateway) -> None:
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.goto(f"{gateway.url}/")
    duration = page.evaluate(
        "getComputedStyle(document.querySelector('.exit__dot')).transitionDuration"
    )
    assert duration == "0s"
    context.close()
