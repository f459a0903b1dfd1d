"""Session-wide live servers for the channel tests (see channel_standins.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from channel_standins import (
    RASA_TOKEN,
    Gateway,
    ServerThread,
    StandInRasa,
    closed_port_url,
    gateway_app,
    other_site_app,
)
from messaging_standins import (
    HASH_KEY,
    MASTER_KEYS,
    PUBLIC_BASE_URL,
    TELEGRAM_BOT_TOKEN,
    TELEGRAM_SECRET,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_NUMBER,
    StandInTelegram,
    StandInTwilio,
)
from playwright.sync_api import Browser, BrowserContext, Page

from api.settings import REPO_ROOT, Settings
from channels.danger import assess
from tests.browser import chromium


@pytest.fixture(autouse=True)
def danger_words_only() -> Iterator[None]:
    """The channel tests' replies must not depend on whether `make` built the danger classifier:
    here the gateway reads danger by its words alone (tests/danger covers the classifier).
    Per test, so no other folder's tests ever see the stand-in, whatever the order."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assess, "classifier", lambda: None)
        yield


@pytest.fixture(scope="session")
def rasa() -> StandInRasa:
    return StandInRasa()


@pytest.fixture(scope="session")
def rasa_server(rasa: StandInRasa) -> Iterator[ServerThread]:
    server = ServerThread(rasa.app()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def other_site() -> Iterator[ServerThread]:
    server = ServerThread(other_site_app()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def org_dir(tmp_path_factory: pytest.TempPathFactory, other_site: ServerThread) -> Path:
    """The Stonewater profile with its exit address pointed at the local "weather" page."""
    folder = tmp_path_factory.mktemp("orgs")
    shutil.copy(REPO_ROOT / "orgs" / "helplines.yml", folder / "helplines.yml")
    profile = (REPO_ROOT / "orgs" / "stonewater.yml").read_text(encoding="utf-8")
    profile = profile.replace(
        'exit_url: "https://www.bbc.co.uk/weather"', f'exit_url: "{other_site.url}/weather"'
    )
    assert f"{other_site.url}/weather" in profile
    (folder / "stonewater.yml").write_text(profile, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def make_gateway(
    tmp_path_factory: pytest.TempPathFactory, org_dir: Path, rasa_server: ServerThread
) -> Iterator:
    """Start a gateway with some settings changed; one server per distinct change."""
    servers: dict[tuple, tuple[ServerThread, Settings]] = {}

    def make(**changes: object) -> Gateway:
        key = tuple(sorted(changes.items()))
        if key not in servers:
            values: dict[str, object] = {
                "var_dir": tmp_path_factory.mktemp("var"),
                "org": "stonewater",
                "org_dir": org_dir,
                "rasa_url": rasa_server.url,
                "rasa_token": RASA_TOKEN,
                "actions_url": rasa_server.url,
                "rasa_timeout_seconds": 5.0,
                "service_token": "stand-in-service-token",
                # Every test speaks from 127.0.0.1, many conversations an hour: the limits have
                # their own tests (test_web_limits.py), with their own numbers.
                "web_chat_messages_per_minute_per_address": 100_000,
                "web_chat_new_conversations_per_hour_per_address": 100_000,
            }
            values.update(changes)
            settings = Settings(**values)
            servers[key] = (ServerThread(gateway_app(settings)).start(), settings)
        server, settings = servers[key]
        return Gateway(url=server.url, settings=settings)

    yield make
    for server, _ in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def gateway(make_gateway) -> Gateway:
    """The gateway in front of a working stand-in Rasa."""
    return make_gateway()


@pytest.fixture(scope="session")
def gateway_rasa_down(make_gateway) -> Gateway:
    """The gateway when nothing answers at Rasa's address."""
    return make_gateway(rasa_url=closed_port_url())


# ---------- messaging channels ----------


@pytest.fixture(scope="session")
def telegram_api() -> StandInTelegram:
    return StandInTelegram()


@pytest.fixture(scope="session")
def telegram_server(telegram_api: StandInTelegram) -> Iterator[ServerThread]:
    server = ServerThread(telegram_api.app()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def twilio_api() -> StandInTwilio:
    return StandInTwilio()


@pytest.fixture(scope="session")
def twilio_server(twilio_api: StandInTwilio) -> Iterator[ServerThread]:
    server = ServerThread(twilio_api.app()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def messaging_changes(telegram_server: ServerThread, twilio_server: ServerThread) -> dict:
    """Settings that switch SMS, WhatsApp and Telegram on, against the stand-in APIs."""
    return {
        "master_keys": MASTER_KEYS,
        "hash_key": HASH_KEY,
        "public_base_url": PUBLIC_BASE_URL,
        "twilio_account_sid": TWILIO_ACCOUNT_SID,
        "twilio_auth_token": TWILIO_AUTH_TOKEN,
        "twilio_from_number": TWILIO_NUMBER,
        "twilio_api_base_url": twilio_server.url,
        "telegram_bot_token": TELEGRAM_BOT_TOKEN,
        "telegram_secret_token": TELEGRAM_SECRET,
        "telegram_api_base_url": f"{telegram_server.url}/bot",
        "inbox_poll_seconds": 0.2,
        "messaging_retry_seconds": 0.2,
    }


@pytest.fixture(scope="session")
def messaging_gateway(make_gateway, messaging_changes: dict) -> Gateway:
    """The gateway with every messaging channel on, in front of the stand-in Rasa."""
    return make_gateway(**messaging_changes)


# ---------- the browser (Debian's Chromium through Playwright) ----------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module, closed with it: sync Playwright keeps an event loop running
    in this thread, which the asyncio tests of later modules must not find."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
