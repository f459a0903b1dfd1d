"""The privacy notice at /privacy: one link from the chat, in plain words, with the real limits.

Its numbers come from the running settings, it has the chat's headers and quick exit, and a
keyboard user reaches it from the chat page. It opens in a new tab (so the chat is not lost), and
quick exit in either tab leaves both.
"""

from __future__ import annotations

import re

import httpx
import pytest
from channel_standins import Gateway, ServerThread, StandInRasa
from playwright.sync_api import BrowserContext, Page, expect
from test_web_page import assert_exited, open_chat, wait_for_wipe

from channels.web.headers import CONTENT_SECURITY_POLICY
from channels.web.privacy import days_text, seconds_text

LINK_NAME = "Privacy: what we keep (opens in a new tab)"


def notice_text(gateway: Gateway) -> str:
    response = httpx.get(f"{gateway.url}/privacy")
    assert response.status_code == 200
    return " ".join(response.text.split())


def test_the_notice_says_what_is_kept_for_how_long_and_who_sees_it(gateway: Gateway) -> None:
    text = notice_text(gateway)
    assert "This chat is run by Stonewater." in text
    assert "Nothing you type is saved on this device." in text
    assert "It is deleted when you press Exit, when the chat clears itself after 5 minutes" in text
    assert "in any case 30 minutes after your last message" in text
    assert "A report you send is stored encrypted." in text
    assert (
        "Only Stonewater's domestic abuse team, who are trained in this work, can read it" in text
    )
    assert "The code works for 90 days." in text
    assert "it is kept for 6 years and then deleted for good" in text
    for exception in ("serious risk of harm", "a child may be at risk", "MARAC", "a court orders"):
        assert exception in text
    assert "give your report reference" in text


def test_the_numbers_follow_the_settings(make_gateway) -> None:
    gateway = make_gateway(
        chat_idle_seconds=120, retention_closed_case_days=400, follow_up_code_days=30
    )
    text = notice_text(gateway)
    assert "clears itself after 2 minutes" in text
    assert "The code works for 30 days." in text
    assert "it is kept for 400 days" in text


@pytest.mark.parametrize(
    ("seconds", "words"), [(60, "1 minute"), (300, "5 minutes"), (90, "90 seconds")]
)
def test_seconds_in_plain_words(seconds: int, words: str) -> None:
    assert seconds_text(seconds) == words


@pytest.mark.parametrize(
    ("days", "words"), [(365, "1 year"), (2190, "6 years"), (90, "90 days"), (400, "400 days")]
)
def test_days_in_plain_words(days: int, words: str) -> None:
    assert days_text(days) == words


def test_the_notice_has_the_chats_headers_neutral_title_and_quick_exit(
    gateway: Gateway, other_site: ServerThread
) -> None:
    response = httpx.get(f"{gateway.url}/privacy")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "set-cookie" not in response.headers
    page = response.text
    assert "<title>Support chat</title>" in page
    assert '<script src="/chat/exit.js" defer></script>' in page
    assert "chat.js" not in page
    assert "<script>" not in page and "style=" not in page
    assert f'<a class="skip-exit" href="{other_site.url}/weather" rel="noreferrer"' in page


def test_a_keyboard_user_reaches_the_notice_from_the_chat_and_keeps_the_chat(
    context: BrowserContext, page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    open_chat(page, gateway, other_site)
    page.get_by_label("Your message").fill("still here")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--bot").last).to_have_text(re.compile("Echo: still here"))
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.innerText") == LINK_NAME:
            break
    expect(page.get_by_role("link", name=LINK_NAME)).to_be_focused()
    with context.expect_page() as opened:
        page.keyboard.press("Enter")
    notice = opened.value
    notice.wait_for_url(f"{gateway.url}/privacy")
    expect(notice.get_by_role("heading", level=1)).to_have_text("Privacy: what we keep")
    notice.keyboard.press("Tab")
    expect(notice.locator(".skip-exit")).to_be_focused()
    expect(page.locator("#transcript")).to_contain_text("still here")


def test_exit_in_the_chat_closes_the_notice_it_opened(
    context: BrowserContext, page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    open_chat(page, gateway, other_site)
    with context.expect_page() as opened:
        page.get_by_role("link", name=LINK_NAME).click()
    notice = opened.value
    notice.wait_for_url(f"{gateway.url}/privacy")
    with notice.expect_event("close"):
        page.get_by_role("button", name="Emergency Exit this page").click()
    assert_exited(page, gateway, other_site)


def test_exit_in_the_notice_leaves_the_chat_too(
    context: BrowserContext,
    page: Page,
    gateway: Gateway,
    other_site: ServerThread,
    rasa: StandInRasa,
) -> None:
    sender = open_chat(page, gateway, other_site)
    with context.expect_page() as opened:
        page.get_by_role("link", name=LINK_NAME).click()
    notice = opened.value
    notice.wait_for_url(f"{gateway.url}/privacy")
    notice.keyboard.press("Shift")
    notice.keyboard.press("Shift")
    notice.keyboard.press("Shift")
    wait_for_wipe(rasa, sender)
    assert_exited(page, gateway, other_site)


def test_opened_on_its_own_the_notice_exits_like_the_chat(
    page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    page.goto(f"{other_site.url}/previous")
    page.goto(f"{gateway.url}/privacy")
    page.get_by_role("button", name="Emergency Exit this page").click()
    assert_exited(page, gateway, other_site)
