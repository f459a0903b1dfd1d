"""Quick exit does not depend on the chat script (headless Chromium).

exit.js is loaded first and on its own. Here chat.js is replaced, in the browser, by a script with
a syntax error, one that throws before it starts, and the real one failing after it started: the
Exit button, Shift pressed 3 times and the skip link must still leave with location.replace (Back
does not return), and where a conversation was started the server copy is still deleted.
"""

from __future__ import annotations

import re

import pytest
from channel_standins import Gateway, ServerThread, StandInRasa
from playwright.sync_api import Page, Route, expect
from test_web_page import GREETING, assert_exited, wait_for_wipe

from channels.web.templates import STATIC_DIR

FAULTY_CHAT = {
    "syntax error": "(function () { var broken = ; }());",
    "throws at load": "throw new Error('the chat failed to start');",
    "throws after starting": (STATIC_DIR / "chat.js").read_text(encoding="utf-8")
    + "\nthrow new Error('a fault after the chat started');",
}
WAYS_OUT = ["Exit button", "Shift 3 times", "skip link"]


def serve_faulty_chat(page: Page, fault: str) -> list[str]:
    """Route chat.js to the faulty script; the page errors seen, to check the fault happened."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="text/javascript", body=FAULTY_CHAT[fault])

    page.route("**/chat/chat.js", fulfil)
    return errors


def leave(page: Page, way: str) -> None:
    if way == "Exit button":
        page.get_by_role("button", name="Emergency Exit this page").click()
    elif way == "Shift 3 times":
        status = page.locator("#exit-status")
        page.keyboard.press("Shift")
        expect(status).to_have_text("Shift, press 2 more times to exit.")
        page.keyboard.press("Shift")
        expect(status).to_have_text("Shift, press 1 more time to exit.")
        page.keyboard.press("Shift")
    else:
        page.keyboard.press("Tab")
        expect(page.locator(".skip-exit")).to_be_focused()
        page.keyboard.press("Enter")


@pytest.mark.parametrize("way", WAYS_OUT)
@pytest.mark.parametrize("fault", ["syntax error", "throws at load"])
def test_exit_works_when_the_chat_script_never_starts(
    page: Page, gateway: Gateway, other_site: ServerThread, fault: str, way: str
) -> None:
    errors = serve_faulty_chat(page, fault)
    page.goto(f"{other_site.url}/previous")
    page.goto(f"{gateway.url}/")
    expect(page.locator(".exit__hint")).to_be_visible()  # exit.js ran...
    expect(page.get_by_label("Your message")).to_be_hidden()  # ...and chat.js did not
    assert errors
    leave(page, way)
    assert_exited(page, gateway, other_site)


@pytest.mark.parametrize("way", WAYS_OUT)
def test_exit_deletes_the_conversation_when_the_chat_script_failed_after_starting(
    page: Page, gateway: Gateway, other_site: ServerThread, rasa: StandInRasa, way: str
) -> None:
    errors = serve_faulty_chat(page, "throws after starting")
    page.goto(f"{other_site.url}/previous")
    with page.expect_request("**/webhooks/rest/webhook") as greeting:
        page.goto(f"{gateway.url}/")
    expect(page.locator(".msg--bot").first).to_have_text(re.compile(re.escape(GREETING)))
    assert errors and all("a fault after the chat started" in error for error in errors)
    leave(page, way)
    wait_for_wipe(rasa, greeting.value.post_data_json["sender"])
    assert_exited(page, gateway, other_site)


def test_the_exit_script_comes_first_and_on_its_own(page: Page, gateway: Gateway) -> None:
    """Loaded before chat.js (both deferred, so they run in this order), from its own address."""
    page.goto(f"{gateway.url}/")
    sources = page.evaluate("[...document.scripts].map(script => script.getAttribute('src'))")
    assert sources == ["/chat/exit.js", "/chat/chat.js"]
