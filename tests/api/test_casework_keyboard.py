"""From alert to a risk-assessed case with a MARAC pack, using only the keyboard.

Debian's Chromium (Playwright never downloads a browser) drives a real uvicorn gateway holding the
casework World. Only Tab, Shift+Tab, Space and Enter move around and act; the one free-text
answer the flow needs (what was said at first contact) is typed. Every key is counted.

Signing in: the session cookie is `__Host-` and `Secure`. Chromium treats http://127.0.0.1 as a
secure context, so the cookie is set for 127.0.0.1 and sent over plain http; no certificate is
needed. Signing in itself (password and TOTP) is covered by tests/api/test_staff.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from api.alerts.models import Alert
from api.cases.models import Case
from api.dash.questions import CODES, QUESTIONS_BY_CODE
from api.db import session_factory
from api.settings import Settings
from tests.api.casework_world import World, build_world
from tests.api.test_casework_pages import app_with_pages
from tests.browser import chromium
from tests.channels.channel_standins import ServerThread

#: Navigation and action keys the whole flow may take (typed characters are counted apart).
KEY_BUDGET = 120
FIRST_CONTACT = "Spoke at 10am. Safe to talk. Agreed to do the DASH now."


@pytest.fixture
def live(migrated: Settings) -> Iterator[tuple[World, ServerThread]]:
    app = app_with_pages(migrated)
    server = ServerThread(app).start()
    try:
        yield build_world(migrated, TestClient(app, base_url="https://testserver")), server
    finally:
        server.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


class Keyboard:
    """page.keyboard, counting every key pressed and every character typed."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.presses = 0
        self.typed = 0

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.presses += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.typed += len(text)

    def follow(self, key: str = "Enter") -> None:
        """Press a key that loads another page, and wait until it has loaded."""
        with self.page.expect_navigation():
            self.press(key)

    def wait_for_focus_on(self, element_id: str) -> None:
        """Chromium applies `autofocus` at its next rendering update, maybe after the load."""
        self.page.wait_for_function(
            "id => document.activeElement && document.activeElement.id === id", arg=element_id
        )

    def focused(self) -> dict[str, Any]:
        return self.page.evaluate(
            """() => { const e = document.activeElement;
                return {tag: e.tagName.toLowerCase(), id: e.id || '', name: e.name || '',
                        type: e.type || '', value: e.value || '', checked: !!e.checked,
                        text: (e.textContent || '').replace(/\\s+/g, ' ').trim()}; }"""
        )

    def tab_to(self, wanted: Callable[[dict[str, Any]], bool], *, back: bool = False) -> None:
        """Tab (or Shift+Tab) until the focused element is the wanted one, as a person would."""
        for _ in range(60):
            self.press("Shift+Tab" if back else "Tab")
            if wanted(self.focused()):
                return
        raise AssertionError(f"never reached the element; focus is on {self.focused()}")


def is_button(words: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f["tag"] == "button" and f["text"].startswith(words)


def is_link(words: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f["tag"] == "a" and f["text"].startswith(words)


def is_radio(name: str, value: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f["type"] == "radio" and f["name"] == name and f["value"] == value


def test_alert_to_marac_pack_with_the_keyboard_only(
    live: tuple[World, ServerThread], browser: Browser
) -> None:
    world, server = live
    case_id = world.case_id("triage_case")
    reference = world.cases["triage_case"].reference
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    context.set_default_timeout(10_000)
    context.add_cookies(
        [
            {
                "name": "__Host-qd_session",
                "value": world.tokens["ann"],
                "domain": "127.0.0.1",
                "path": "/",
                "secure": True,
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    page = context.new_page()
    keys = Keyboard(page)
    try:
        # The alert e-mail gives the reference; the caseworker opens the queue.
        page.goto(f"{server.url}/staff/queue")
        expect(page.locator("h1")).to_have_text("Case queue")

        # 1. Acknowledge the alert, then take the case.
        keys.tab_to(is_button(f"Acknowledge alert for {reference}"))
        keys.follow()
        page.wait_for_url(f"{server.url}/staff/queue")
        keys.tab_to(is_button(f"Take {reference}"))
        keys.follow()
        page.wait_for_url(f"**/staff/cases/{case_id}?done=taken")
        keys.wait_for_focus_on("banner")  # the message is announced, the next steps follow

        # 2. Record first contact: spoke, safe to talk.
        keys.tab_to(is_link("Record a contact"))
        keys.press("Enter")
        keys.tab_to(is_radio("method", "phone"))
        keys.press("Space")
        keys.tab_to(is_radio("outcome", "spoke"))
        keys.press("Space")
        keys.tab_to(lambda f: f["tag"] == "textarea" and f["name"] == "text")
        keys.type(FIRST_CONTACT)
        keys.tab_to(is_button("Record the contact"))
        keys.follow()
        page.wait_for_url(f"**/staff/cases/{case_id}?done=contact")
        keys.wait_for_focus_on("banner")
        expect(page.locator("#banner")).to_contain_text("The contact attempt has been recorded.")

        # 3. The DASH: skip to the questions, 14 yes, the rest left unasked, save.
        keys.tab_to(is_link("Start the DASH risk assessment"))
        keys.follow()
        page.wait_for_url(f"**/staff/cases/{case_id}/dash")
        keys.tab_to(is_link("Skip to main content"))
        keys.press("Enter")
        for code in CODES[:14]:
            keys.tab_to(is_radio(f"answer_{code}", "yes"))
            keys.press("Space")
            assert keys.focused()["checked"], code
            keys.press("Tab")  # the comment box, left empty
            assert keys.focused()["name"] == f"comment_{code}"
        keys.tab_to(is_button("Save the assessment"))
        keys.follow()
        page.wait_for_url(f"**/staff/cases/{case_id}/dash/result")
        keys.wait_for_focus_on("result")
        expect(page.locator("#result")).to_contain_text("High risk")
        expect(page.locator("#result")).to_contain_text("14 of 24")

        # 4. The MARAC pack: the PDF downloads, the web page opens to print.
        keys.tab_to(is_link("MARAC referral pack (PDF"))
        with page.expect_download() as download_info:
            keys.press("Enter")
        download = download_info.value
        assert download.suggested_filename == f"{reference}.pdf"
        with open(download.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        keys.tab_to(is_link("MARAC referral pack (web page"), back=True)
        keys.follow()
        page.wait_for_url(f"**/staff/cases/{case_id}/marac-pack")
        expect(page.locator("h1")).to_have_text(f"MARAC referral: {reference}")
        for code in CODES[:14]:
            expect(page.locator("main")).to_contain_text(QUESTIONS_BY_CODE[code].text)
    finally:
        context.close()

    with session_factory(world.settings)() as db:
        case = db.get(Case, case_id)
        assert case is not None
        assert (case.status, case.risk_level) == ("risk_assessed", "high")
        assert case.assigned_to == world.users["ann"].id and case.first_contact_at is not None
        alert = db.scalars(select(Alert).where(Alert.case_id == case_id)).one()
        assert alert.acknowledged_at is not None
    print(
        f"\nkeyboard flow: {keys.presses} key presses (Tab, Shift+Tab, Space, Enter) "
        f"and {keys.typed} typed characters"
    )
    assert keys.presses <= KEY_BUDGET
