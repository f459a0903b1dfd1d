"""WCAG 2.2 AA by axe-core (headless Chromium): the chat, the privacy notice and a report open.

axe-core comes from npm (package-lock.json) into the git-ignored node_modules; `make browser`
runs `npm ci` for it. It is added to each page as an init script, which the page's strict CSP does
not apply to, so the pages are checked exactly as they are served. Every state a person meets is
checked with its content shown: buttons, an emergency answer, the exit note open, the idle
warning, and the follow-up report with the team's messages.
"""

from __future__ import annotations

import re

import pytest
from channel_standins import Gateway, ServerThread
from messaging_standins import HASH_KEY, MASTER_KEYS
from playwright.sync_api import Page, expect
from test_follow_up_api import anonymous_case, team_replies
from test_follow_up_page import open_report
from test_web_page import open_chat

from api.settings import REPO_ROOT

AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def checked_page(page: Page) -> Page:
    """The test's page with axe-core in every document it opens."""
    assert AXE.is_file(), "axe-core is missing: run `make browser` (it runs npm ci)"
    page.add_init_script(path=AXE)
    return page


def violations(page: Page) -> list[str]:
    """Each WCAG 2.2 A/AA rule axe finds broken, with the elements that break it."""
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    return [
        f"{rule['id']}: {rule['help']} at {[node['target'] for node in rule['nodes']]}"
        for rule in result["violations"]
    ]


def test_the_chat_page_in_use(
    checked_page: Page, gateway: Gateway, other_site: ServerThread
) -> None:
    page = checked_page
    page.clock.install()
    open_chat(page, gateway, other_site)
    assert violations(page) == []
    page.get_by_label("Your message").fill("he is banging on the door")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--emergency")).to_have_count(1)
    page.locator("details.exit-note summary").click()
    page.clock.run_for(246_000)
    expect(page.locator("#idle-warning")).not_to_have_text("")
    assert violations(page) == []


def test_the_privacy_notice(checked_page: Page, gateway: Gateway) -> None:
    checked_page.goto(f"{gateway.url}/privacy")
    expect(checked_page.get_by_role("heading", level=1)).to_be_visible()
    assert violations(checked_page) == []


def test_a_report_open_with_the_teams_messages(
    checked_page: Page, make_gateway, other_site: ServerThread
) -> None:
    gateway = make_gateway(master_keys=MASTER_KEYS, hash_key=HASH_KEY)
    case = anonymous_case(gateway)
    team_replies(gateway, case, "Thank you for getting in touch.")
    open_chat(checked_page, gateway, other_site)
    open_report(checked_page, case.code)
    expect(checked_page.locator(".follow-up__msg")).to_have_count(1)
    checked_page.get_by_label("Message to the team").fill("he has a knife")
    checked_page.keyboard.press("Enter")
    expect(checked_page.locator("#follow-up-emergency")).to_contain_text(re.compile("999"))
    assert violations(checked_page) == []


def test_the_checker_finds_a_known_fault(checked_page: Page, gateway: Gateway) -> None:
    """So that a silent axe (no rules run, wrong tags) cannot pass the tests above."""
    checked_page.goto(f"{gateway.url}/privacy")
    checked_page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    assert [found.split(":")[0] for found in violations(checked_page)] == ["label"]
