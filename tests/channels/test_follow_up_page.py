"""The "Check on a report" part of the chat page, in headless Chromium (like test_web_page.py).

A reporter comes back with their follow-up code, sees the status and the team's messages,
answers, and leaves with quick exit: the code is only ever in the script's memory, never in
storage, a cookie or an address, and every way out forgets it.
"""

from __future__ import annotations

import re

import httpx
import pytest
from channel_standins import Gateway, ServerThread, StandInRasa
from messaging_standins import HASH_KEY, MASTER_KEYS
from playwright.sync_api import Browser, BrowserContext, Page, expect
from test_follow_up_api import (
    STATUS_WORDS,
    IssuedCase,
    anonymous_case,
    new_address,
    team_replies,
)
from test_web_page import GREETING, SCREENSHOTS, assert_exited

TEAM_TEXT = "Thank you for getting in touch. Reply here whenever it is safe."


@pytest.fixture(scope="session")
def keyed_gateway(make_gateway) -> Gateway:
    """The gateway with its keys (the same server as test_follow_up_api.py's)."""
    return make_gateway(master_keys=MASTER_KEYS, hash_key=HASH_KEY)


@pytest.fixture
def case(keyed_gateway: Gateway) -> IssuedCase:
    issued = anonymous_case(keyed_gateway)
    team_replies(keyed_gateway, issued, TEAM_TEXT)
    return issued


def open_chat(page: Page, gateway: Gateway, other_site: ServerThread) -> None:
    page.goto(f"{other_site.url}/previous")
    page.goto(f"{gateway.url}/")
    expect(page.locator(".msg--bot").first).to_have_text(re.compile(re.escape(GREETING)))


def open_report(page: Page, code: str) -> None:
    """The quick way in (the keyboard way is tested on its own)."""
    page.get_by_text("Check on a report").click()
    page.get_by_label("Your follow-up code").fill(code)
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("#follow-up-status")).to_have_text(STATUS_WORDS["new"])


def messages_seen_by_the_server(gateway: Gateway, code: str) -> list[tuple[str, str]]:
    answer = httpx.post(
        f"{gateway.url}/chat/follow-up",
        json={"code": code},
        headers={"x-forwarded-for": new_address()},
        timeout=10,
    ).json()
    return [(m["from"], m["text"]) for m in answer["messages"]]


def storage_text(page: Page) -> str:
    return page.evaluate(
        """() => [sessionStorage, localStorage].map(store =>
            Object.keys(store).map(key => key + '=' + store.getItem(key)).join(';')).join('|')"""
    )


def focused(page: Page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


# ---------- the whole visit, keyboard only ----------


def test_keyboard_only_check_reply_and_quick_exit(
    context: BrowserContext,
    page: Page,
    keyed_gateway: Gateway,
    other_site: ServerThread,
    case: IssuedCase,
) -> None:
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else 0)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else 0)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    open_chat(page, keyed_gateway, other_site)

    for _ in range(15):
        page.keyboard.press("Tab")
        if focused(page) == "Check on a report":
            break
    assert focused(page) == "Check on a report"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the visible focus ring

    page.keyboard.press("Enter")
    expect(page.locator("#follow-up")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    assert focused(page) == "follow-up-code"
    code_box = page.get_by_label("Your follow-up code")
    expect(code_box).to_have_attribute("autocomplete", "off")
    expect(code_box).to_have_attribute("spellcheck", "false")
    page.keyboard.type(case.code)
    page.keyboard.press("Enter")

    status = page.locator("#follow-up-status")
    expect(status).to_have_text(STATUS_WORDS["new"])
    expect(status).to_have_attribute("role", "status")
    expect(page.locator("#follow-up-reference")).to_have_text(f"Report {case.reference}")
    team = page.locator(".follow-up__msg")
    expect(team).to_have_count(1)
    expect(team.first).to_contain_text("The team,")
    expect(team.first).to_contain_text(TEAM_TEXT)
    assert focused(page) == "follow-up-heading"
    expect(code_box).to_be_hidden()
    assert page.evaluate("document.getElementById('follow-up-code').value") == ""

    page.keyboard.press("Tab")
    assert focused(page) == "follow-up-message"
    page.keyboard.type("I am safe to talk on Tuesday mornings")
    page.keyboard.press("Enter")
    expect(page.locator(".follow-up__msg")).to_have_count(2)
    mine = page.locator(".follow-up__msg").last
    expect(mine).to_have_class(re.compile("msg--user"))
    expect(mine).to_contain_text("You,")
    expect(mine).to_contain_text("I am safe to talk on Tuesday mornings")
    expect(mine.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(page.get_by_label("Message to the team")).to_have_value("")
    assert messages_seen_by_the_server(keyed_gateway, case.code) == [
        ("team", TEAM_TEXT),
        ("you", "I am safe to talk on Tuesday mornings"),
    ]

    page.screenshot(path=SCREENSHOTS / "quietdoor-follow-up-desktop.png", full_page=True)

    # While the report is open: the code is nowhere but in the script's memory.
    assert case.code not in storage_text(page)
    assert case.code.replace("-", "") not in storage_text(page)
    assert page.evaluate("Object.keys(sessionStorage)") == []
    assert page.evaluate("localStorage.length") == 0
    assert context.cookies() == []
    assert not any(case.code in url or case.code.lower() in url for url in requested)
    assert problems == []  # no CSP report, no script error

    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    assert_exited(page, keyed_gateway, other_site)
    assert storage_text(page) == "|"


# ---------- every way out forgets the report ----------


def test_the_exit_button_clears_the_report_before_leaving(
    page: Page, keyed_gateway: Gateway, other_site: ServerThread, case: IssuedCase
) -> None:
    open_chat(page, keyed_gateway, other_site)
    open_report(page, case.code)
    page.get_by_label("Message to the team").fill("half-written message")
    # Read the page in the same task as the click, before the browser has left it.
    shown = page.evaluate(
        """() => {
            document.querySelector('.exit__button').click();
            const byId = id => document.getElementById(id);
            return [byId('follow-up-messages').children.length,
                    byId('follow-up-status').textContent,
                    byId('follow-up-reference').textContent, byId('follow-up-message').value,
                    byId('follow-up-code').value, byId('follow-up').open,
                    byId('follow-up-case').hidden, sessionStorage.length];
        }"""
    )
    assert shown == [0, "", "", "", "", False, True, 0]
    assert_exited(page, keyed_gateway, other_site)


@pytest.mark.parametrize(
    "way", ["skip link", "typed in the chat", "typed to the team", "typed as the code"]
)
def test_every_way_out_leaves_and_keeps_nothing(
    page: Page,
    keyed_gateway: Gateway,
    other_site: ServerThread,
    rasa: StandInRasa,
    case: IssuedCase,
    way: str,
) -> None:
    open_chat(page, keyed_gateway, other_site)
    if way == "typed as the code":
        page.get_by_text("Check on a report").click()
        page.get_by_label("Your follow-up code").fill("exit")
        page.keyboard.press("Enter")
        assert_exited(page, keyed_gateway, other_site)
        return
    open_report(page, case.code)
    if way == "skip link":
        page.locator(".skip-exit").focus()
        page.keyboard.press("Enter")
    elif way == "typed in the chat":
        page.get_by_label("Your message").fill("exit")
        page.keyboard.press("Enter")
    else:
        page.get_by_label("Message to the team").fill("Quick exit")
        page.keyboard.press("Enter")
    assert_exited(page, keyed_gateway, other_site)
    assert messages_seen_by_the_server(keyed_gateway, case.code) == [("team", TEAM_TEXT)]


def test_reload_forgets_the_code(
    page: Page, keyed_gateway: Gateway, other_site: ServerThread, case: IssuedCase
) -> None:
    open_chat(page, keyed_gateway, other_site)
    open_report(page, case.code)
    page.reload()
    expect(page.locator(".msg--bot").first).to_have_text(re.compile(re.escape(GREETING)))
    expect(page.locator("#follow-up")).not_to_have_attribute("open", "")
    page.get_by_text("Check on a report").click()
    expect(page.get_by_label("Your follow-up code")).to_have_value("")
    expect(page.locator("#follow-up-case")).to_be_hidden()
    assert case.code not in storage_text(page)


def test_close_and_forget_the_code(
    page: Page, keyed_gateway: Gateway, other_site: ServerThread, case: IssuedCase
) -> None:
    open_chat(page, keyed_gateway, other_site)
    open_report(page, case.code)
    page.get_by_role("button", name="Close and forget the code").click()
    expect(page.locator("#follow-up")).not_to_have_attribute("open", "")
    assert focused(page) == "Check on a report"
    page.get_by_text("Check on a report").click()
    expect(page.get_by_label("Your follow-up code")).to_be_visible()
    expect(page.locator(".follow-up__msg")).to_have_count(0)


# ---------- problems are said plainly and announced ----------


def test_a_wrong_code_is_announced_and_can_be_corrected(
    page: Page, keyed_gateway: Gateway, other_site: ServerThread, case: IssuedCase
) -> None:
    open_chat(page, keyed_gateway, other_site)
    page.get_by_text("Check on a report").click()
    box = page.get_by_label("Your follow-up code")
    box.fill("2222-3333-4444-5555")
    page.keyboard.press("Enter")
    error = page.locator("#follow-up-error")
    expect(error).to_have_text("That code did not work. Check it and try again.")
    expect(error).to_have_attribute("role", "alert")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", re.compile("follow-up-error"))
    expect(box).to_be_focused()

    box.fill(case.code.lower())
    page.keyboard.press("Enter")
    expect(page.locator("#follow-up-status")).to_have_text(STATUS_WORDS["new"])
    expect(error).to_have_text("")


def test_a_network_failure_keeps_the_message_in_the_box(
    page: Page, keyed_gateway: Gateway, other_site: ServerThread, case: IssuedCase
) -> None:
    open_chat(page, keyed_gateway, other_site)
    open_report(page, case.code)
    page.route("**/chat/follow-up/messages", lambda route: route.abort())
    reply = page.get_by_label("Message to the team")
    reply.fill("please keep this")
    page.keyboard.press("Enter")
    expect(page.locator("#follow-up-error")).to_contain_text("could not be sent")
    expect(reply).to_have_value("please keep this")
    page.unroute("**/chat/follow-up/messages")
    page.get_by_role("button", name="Send to the team").click()
    expect(page.locator(".follow-up__msg")).to_have_count(2)
    expect(reply).to_have_value("")


def test_danger_words_to_the_team_show_the_emergency_numbers(
    page: Page, keyed_gateway: Gateway, other_site: ServerThread, case: IssuedCase
) -> None:
    open_chat(page, keyed_gateway, other_site)
    open_report(page, case.code)
    page.get_by_label("Message to the team").fill("he has a knife")
    page.keyboard.press("Enter")
    emergency = page.locator("#follow-up-emergency")
    expect(emergency).to_be_visible()
    expect(emergency).to_contain_text("999")
    expect(page.locator(".follow-up__msg").last).to_contain_text("he has a knife")


# ---------- without JavaScript, and on a small screen ----------


def test_with_javascript_off_it_says_javascript_is_needed_and_gives_the_number(
    browser: Browser, keyed_gateway: Gateway
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{keyed_gateway.url}/")
    page.locator("#follow-up summary").click()
    # Playwright's text and role queries skip <noscript>, so find the text by id.
    note = page.locator("#follow-up-nojs")
    expect(note).to_be_visible()
    expect(note).to_contain_text("needs JavaScript")
    expect(note).to_contain_text("0808 2000 247")
    expect(page.locator("#follow-up-code")).to_be_hidden()
    context.close()


def test_320px_wide_with_the_report_open_has_no_horizontal_scroll(
    browser: Browser, keyed_gateway: Gateway, other_site: ServerThread, case: IssuedCase
) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    open_chat(page, keyed_gateway, other_site)
    open_report(page, case.code)
    page.get_by_label("Message to the team").fill("a fairly long message " * 8)
    page.keyboard.press("Enter")
    expect(page.locator(".follow-up__msg")).to_have_count(2)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    sizes = page.evaluate(
        """[...document.querySelectorAll('#follow-up :is(button, summary, textarea, input)')]
            .filter(el => el.offsetParent !== null)
            .map(el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; })"""
    )
    assert sizes and all(w >= 24 and h >= 24 for w, h in sizes)
    page.screenshot(path=SCREENSHOTS / "quietdoor-follow-up-320.png", full_page=True)
    context.close()
