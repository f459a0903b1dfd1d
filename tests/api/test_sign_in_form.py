"""The sign-in page: its CSRF token, and the cookies a sign-in sets (SECURITY.md 8, 19).

Through the real app over https, with the sign-in's clock fixed: no test reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient

from api import throttle
from api.cases.service import CaseKeys
from api.crypto.hashing import keyed_hash
from api.crypto.keys import hash_key_from, keyring_from
from api.db import session_factory
from api.settings import Settings
from api.staff.dependencies import DEVICE_COOKIE, PRE_SESSION_COOKIE, SESSION_COOKIE
from api.staff.service import create_user
from tests.sign_in_page import hidden_fields

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
EMAIL = "named.manager@landlord.example"
PASSWORD = "correct horse battery staple"
EXPIRED = "This page had expired"


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = T0
        monkeypatch.setattr("api.staff.router.utcnow", lambda: self.now)
        monkeypatch.setattr("api.staff.dependencies.utcnow", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def manager(client: TestClient, settings: Settings) -> pyotp.TOTP:
    """An account in the running app's database; returns its authenticator."""
    keys = CaseKeys(keyring=keyring_from(settings), hash_key=hash_key_from(settings))
    with session_factory(settings)() as session:
        _, secret = create_user(
            session, keys, email=EMAIL, role="manager", password=PASSWORD, now=T0
        )
    return pyotp.TOTP(secret)


@pytest.fixture
def stranger(client: TestClient) -> Iterator[TestClient]:
    """Another browser on the same app (its own cookie jar), at the same address."""
    with TestClient(client.app, base_url="https://testserver") as other:
        yield other


def token_of(page: str) -> str:
    return hidden_fields(page)["csrf_token"]


def sign_in(
    browser: TestClient, totp: pyotp.TOTP, clock: Clock, token: str | None = "", **form: str
):  # type: ignore[no-untyped-def]
    """Post the form. `token`: "" fetches the page's token first; None sends none."""
    fields = {"email": EMAIL, "password": PASSWORD, "code": totp.at(clock.now), **form}
    if token == "":
        token = token_of(browser.get("/staff/login").text)
    if token is not None:
        fields["csrf_token"] = token
    return browser.post("/staff/login", data=fields, follow_redirects=False)


def cookie_header(response, name: str) -> str:  # type: ignore[no-untyped-def]
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    return header.lower()


def test_the_page_carries_a_token_bound_to_a_short_lived_pre_session_cookie(
    client: TestClient, settings: Settings
) -> None:
    page = client.get("/staff/login")
    header = cookie_header(page, PRE_SESSION_COOKIE)
    for attribute in ("max-age=3600", "secure", "httponly", "samesite=strict", "path=/"):
        assert attribute in header
    pre_session = client.cookies.get(PRE_SESSION_COOKIE)
    assert pre_session and len(pre_session) >= 43
    expected = keyed_hash(hash_key_from(settings), "sign-in-form", pre_session)
    assert token_of(page.text) == expected
    # A second tab gets the same token, so signing in from the first still works.
    assert token_of(client.get("/staff/login").text) == expected


@pytest.mark.parametrize("how", ["missing", "wrong", "another browser's", "no cookie"])
def test_a_sign_in_without_the_forms_own_token_is_refused_and_counts_for_nothing(
    client: TestClient, stranger: TestClient, manager: pyotp.TOTP, clock: Clock, how: str
) -> None:
    def refused() -> None:
        if how == "missing":
            response = sign_in(client, manager, clock, token=None)
        elif how == "wrong":
            response = sign_in(client, manager, clock, token="0" * 64)
        elif how == "another browser's":
            response = sign_in(client, manager, clock, token_of(stranger.get("/staff/login").text))
        else:
            token = token_of(client.get("/staff/login").text)
            client.cookies.delete(PRE_SESSION_COOKIE)
            response = sign_in(client, manager, clock, token=token)
        assert response.status_code == 403 and EXPIRED in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
        assert token_of(response.text)  # a fresh form to try again with

    for _ in range(throttle.LOGIN_ACCOUNT.free + 2):
        refused()
    # None of those counted as a failure: no backoff, the right details sign in at once.
    assert sign_in(client, manager, clock).status_code == 303


def test_a_sign_in_sets_a_long_lived_known_device_cookie_and_drops_the_pre_session(
    client: TestClient, manager: pyotp.TOTP, clock: Clock
) -> None:
    response = sign_in(client, manager, clock)
    assert response.status_code == 303
    device = cookie_header(response, DEVICE_COOKIE)
    for attribute in ("secure", "httponly", "samesite=strict", "path=/"):
        assert attribute in device
    assert int(re.search(r"max-age=(\d+)", device).group(1)) >= 180 * 24 * 3600  # type: ignore[union-attr]
    assert "max-age=0" in cookie_header(response, PRE_SESSION_COOKIE)
    # Signing out ends the session, not the device's standing.
    queue = client.get("/staff/queue").text
    client.post("/staff/logout", data={"csrf_token": re.findall(r'value="([0-9a-f]+)"', queue)[0]})
    assert client.cookies.get(DEVICE_COOKIE) and not client.cookies.get(SESSION_COOKIE)


def test_a_named_manager_signs_in_from_their_own_browser_while_a_stranger_is_held(
    client: TestClient, stranger: TestClient, manager: pyotp.TOTP, clock: Clock
) -> None:
    assert sign_in(client, manager, clock).status_code == 303
    client.cookies.delete(SESSION_COOKIE)
    clock.advance(60)
    for n in range(throttle.LOGIN_ACCOUNT.free):
        assert sign_in(stranger, manager, clock, password=f"guess {n}!").status_code == 401
    held = sign_in(stranger, manager, clock)  # even with the right details, for a second
    assert held.status_code == 429
    assert held.headers["retry-after"] == "1"
    assert "Too many tries. Wait 1 second, then try again." in held.text
    assert SESSION_COOKIE not in held.headers.get("set-cookie", "")

    assert sign_in(client, manager, clock).status_code == 303
