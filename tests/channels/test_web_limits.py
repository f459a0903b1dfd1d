"""The web chat's rate limits: each refuses past its number and not before, quick exit and
danger now pass over them, and the page tells the person and keeps what they typed.

The limits themselves run on a stand-in clock; the gateway tests each start their own gateway
(its own counts) with small numbers, and speak from 127.0.0.1 like every channel test.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from channel_standins import Gateway, ServerThread, StandInRasa
from messaging_standins import HASH_KEY
from playwright.sync_api import Page, expect

from api.crypto.hashing import keyed_hash
from api.crypto.keys import hash_key_from
from channels.web.limits import (
    ADDRESS_KEY_PURPOSE,
    HOUR_SECONDS,
    MINUTE_SECONDS,
    ChatLimits,
    Refusal,
    WebChatLimits,
    counted_address,
    network_of,
)
from channels.web.router import REFUSED_TEXT

LIMITS = ChatLimits(
    messages_per_minute_per_sender=3,
    messages_per_minute_per_address=5,
    new_conversations_per_hour_per_address=2,
)
HOST = "203.0.113.7"
PUBLIC = "81.2.69.160"  # documentation addresses (like HOST) count as private to `ipaddress`
DANGER_NOW = "he is banging on the door"


class Clock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limits(clock: Clock) -> WebChatLimits:
    return WebChatLimits(clock=clock)


def admitted(limits: WebChatLimits, sender: str, times: int, host: str | None = HOST) -> list:
    return [limits.admit(sender, host, LIMITS) for _ in range(times)]


# ---------- the limits ----------


def test_a_sender_is_refused_past_its_messages_a_minute_and_not_before(
    limits: WebChatLimits, clock: Clock
) -> None:
    assert admitted(limits, "sender-one", 3) == [None, None, None]
    assert limits.admit("sender-one", HOST, LIMITS) is Refusal.TOO_FAST
    clock.now += MINUTE_SECONDS
    assert limits.admit("sender-one", HOST, LIMITS) is None


def test_an_address_is_refused_past_its_messages_a_minute_and_not_before(
    limits: WebChatLimits, clock: Clock
) -> None:
    assert admitted(limits, "sender-one", 3) + admitted(limits, "sender-two", 2) == [None] * 5
    assert limits.admit("sender-two", HOST, LIMITS) is Refusal.TOO_FAST
    assert limits.admit("sender-two", "198.51.100.1", LIMITS) is None  # another address
    clock.now += MINUTE_SECONDS
    assert limits.admit("sender-two", HOST, LIMITS) is None


def test_an_address_is_refused_past_its_new_conversations_an_hour_and_not_before(
    limits: WebChatLimits, clock: Clock
) -> None:
    assert limits.admit("sender-one", HOST, LIMITS) is None
    assert limits.admit("sender-two", HOST, LIMITS) is None
    assert limits.admit("sender-three", HOST, LIMITS) is Refusal.TOO_MANY_CONVERSATIONS
    clock.now += MINUTE_SECONDS
    assert limits.admit("sender-one", HOST, LIMITS) is None  # a conversation already open goes on
    assert limits.admit("sender-three", "198.51.100.1", LIMITS) is None  # another address
    clock.now += HOUR_SECONDS
    assert limits.admit("sender-three", HOST, LIMITS) is None


def test_danger_now_is_admitted_over_every_limit(limits: WebChatLimits) -> None:
    admitted(limits, "sender-one", 3)
    admitted(limits, "sender-two", 2)
    assert limits.admit("sender-one", HOST, LIMITS) is Refusal.TOO_FAST
    assert limits.admit("sender-new", HOST, LIMITS) is Refusal.TOO_MANY_CONVERSATIONS
    assert limits.admit("sender-one", HOST, LIMITS, always=True) is None
    assert limits.admit("sender-new", HOST, LIMITS, always=True) is None


def test_a_refused_message_is_not_counted(limits: WebChatLimits, clock: Clock) -> None:
    admitted(limits, "sender-one", 3)
    for _ in range(10):
        assert limits.admit("sender-one", HOST, LIMITS) is Refusal.TOO_FAST
    clock.now += MINUTE_SECONDS
    assert admitted(limits, "sender-one", 3) == [None, None, None]


def test_one_ipv6_home_is_one_address_and_mapped_ipv4_is_the_ipv4_address() -> None:
    assert network_of("2001:db8:1:2:aaaa::1") == network_of("2001:db8:1:2:bbbb::2")
    assert network_of("2001:db8:1:2::1") != network_of("2001:db8:1:3::1")
    assert network_of("::ffff:203.0.113.7") == network_of("203.0.113.7") == "203.0.113.7"
    assert network_of("testclient") == "testclient"


@pytest.mark.parametrize(
    ("host", "forwarded", "proxy_configured", "counted"),
    [
        (HOST, False, False, HOST),
        ("127.0.0.1", False, False, "127.0.0.1"),  # no proxy in front: the machine itself
        ("127.0.0.1", True, False, None),  # a proxy nobody named: its address is everyone's
        ("10.1.2.3", True, False, None),
        ("127.0.0.1", True, True, "127.0.0.1"),  # named: uvicorn already put the client's here
        (PUBLIC, True, False, PUBLIC),  # a public peer cannot escape its limits with the header
    ],
)
def test_an_unconfigured_proxys_address_is_not_counted_as_one_persons(
    host: str, forwarded: bool, proxy_configured: bool, counted: str | None
) -> None:
    assert counted_address(host, forwarded=forwarded, proxy_configured=proxy_configured) == counted


def test_without_an_address_only_the_sender_is_limited(limits: WebChatLimits) -> None:
    for n in range(10):
        assert limits.admit(f"sender-{n}", None, LIMITS) is None
    assert admitted(limits, "sender-one", 3, host=None) == [None, None, None]
    assert limits.admit("sender-one", None, LIMITS) is Refusal.TOO_FAST


def test_memory_holds_only_the_current_windows_and_never_more_than_the_cap(
    clock: Clock,
) -> None:
    limits = WebChatLimits(clock=clock, max_keys=50)
    for n in range(200):
        limits.admit(f"sender-{n}", f"198.51.100.{n}", LIMITS)
    sizes = [len(w) for w in vars(limits).values() if hasattr(w, "peek")]
    assert sizes == [50, 50, 50]
    clock.now += HOUR_SECONDS
    limits.admit("sender-late", HOST, LIMITS)
    sizes = [len(w) for w in vars(limits).values() if hasattr(w, "peek")]
    assert sizes == [1, 1, 1]


def test_addresses_are_not_kept_in_memory(limits: WebChatLimits) -> None:
    limits.admit("sender-one", HOST, LIMITS)
    assert HOST not in repr([getattr(w, "_entries", None) for w in vars(limits).values()])


# ---------- through the gateway ----------


@pytest.fixture
def limited(make_gateway, tmp_path: Path) -> Gateway:
    """A gateway of its own (a fresh var_dir makes it new), with this module's numbers."""
    return make_gateway(
        var_dir=tmp_path,
        web_chat_messages_per_minute_per_sender=LIMITS.messages_per_minute_per_sender,
        web_chat_messages_per_minute_per_address=LIMITS.messages_per_minute_per_address,
        web_chat_new_conversations_per_hour_per_address=LIMITS.new_conversations_per_hour_per_address,
    )


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex}"


def say(gateway: Gateway, sender: str, message: str) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        timeout=10,
    )


def test_the_gateway_refuses_past_the_limit_with_plain_words_and_rasa_never_gets_it(
    limited: Gateway, rasa: StandInRasa
) -> None:
    sender = new_sender()
    assert [say(limited, sender, f"message {n}").status_code for n in range(3)] == [200] * 3
    refused = say(limited, sender, "one too many")
    assert refused.status_code == 429
    assert refused.json() == {"detail": REFUSED_TEXT[Refusal.TOO_FAST]}
    assert "999" in refused.json()["detail"]
    assert "one too many" not in rasa.sent_by(sender)


def test_the_gateway_refuses_a_third_new_conversation_from_one_address(
    limited: Gateway,
) -> None:
    first, second, third = new_sender(), new_sender(), new_sender()
    assert say(limited, first, "hello").status_code == 200
    assert say(limited, second, "hello").status_code == 200
    refused = say(limited, third, "hello")
    assert refused.status_code == 429
    assert refused.json() == {"detail": REFUSED_TEXT[Refusal.TOO_MANY_CONVERSATIONS]}
    assert say(limited, first, "still here").status_code == 200


def test_danger_words_over_the_limit_still_get_the_emergency_answer_at_once(
    limited: Gateway, rasa: StandInRasa
) -> None:
    sender = new_sender()
    for n in range(3):
        say(limited, sender, f"message {n}")
    assert say(limited, sender, "one too many").status_code == 429
    answer = say(limited, sender, DANGER_NOW)
    assert answer.status_code == 200
    assert answer.json()[0]["custom"]["quietdoor"] == "emergency"
    assert "999" in answer.json()[0]["text"]
    assert say(limited, sender, "/emergency").json()[0]["custom"]["quietdoor"] == "emergency"


def test_exit_words_and_the_wipe_pass_over_the_limit(limited: Gateway, rasa: StandInRasa) -> None:
    sender = new_sender()
    for n in range(3):
        say(limited, sender, f"message {n}")
    assert say(limited, sender, "one too many").status_code == 429
    exit_answer = say(limited, sender, "exit")
    assert exit_answer.status_code == 200
    assert exit_answer.json()[0]["custom"]["quietdoor"] == "exit"
    wipe = httpx.post(f"{limited.url}/chat/exit", json={"sender": sender}, timeout=10)
    assert wipe.status_code == 204


def test_each_web_message_carries_the_keyed_hash_of_its_address_never_the_address(
    make_gateway, tmp_path: Path, rasa: StandInRasa
) -> None:
    gateway = make_gateway(var_dir=tmp_path, hash_key=HASH_KEY)
    message = f"where am i {uuid.uuid4().hex}"
    assert say(gateway, new_sender(), message).status_code == 200
    metadata = rasa.metadata_for(message)
    hash_key = hash_key_from(gateway.settings)
    assert metadata == {
        "channel": "web",
        "wording": "web",
        "address_key": keyed_hash(hash_key, ADDRESS_KEY_PURPOSE, "127.0.0.1"),
    }


def test_behind_a_proxy_nobody_named_people_are_not_limited_as_one_address(
    make_gateway, tmp_path: Path, rasa: StandInRasa
) -> None:
    gateway = make_gateway(
        var_dir=tmp_path,
        hash_key=HASH_KEY,
        web_chat_new_conversations_per_hour_per_address=LIMITS.new_conversations_per_hour_per_address,
    )
    proxied = {"X-Forwarded-For": "10.0.0.1"}
    messages = [f"behind the proxy {n} {uuid.uuid4().hex}" for n in range(4)]
    for message in messages:
        answer = httpx.post(
            f"{gateway.url}/webhooks/rest/webhook",
            json={"sender": new_sender(), "message": message},
            headers=proxied,
            timeout=10,
        )
        assert answer.status_code == 200
    assert all("address_key" not in rasa.metadata_for(m) for m in messages)


# ---------- the page ----------


def test_the_page_shows_the_limit_keeps_the_text_and_sends_it_later(
    page: Page, limited: Gateway, other_site: ServerThread, rasa: StandInRasa
) -> None:
    page.goto(f"{limited.url}/")
    expect(page.locator(".msg--bot").first).to_contain_text("safe for you to talk")
    box = page.get_by_label("Your message")
    for n in range(2):  # the greeting was the first of three
        box.fill(f"message {n}")
        page.keyboard.press("Enter")
        expect(page.locator(".msg--bot").last).to_have_text(re.compile(f"Echo: message {n}"))
    box.fill("please do not lose this")
    page.keyboard.press("Enter")
    problem = page.locator(".msg--problem").last
    expect(problem).to_contain_text("faster than we can read them")
    expect(problem).to_contain_text("999")
    expect(page.locator(".msg--failed")).to_contain_text("Not sent")
    expect(box).to_have_value("please do not lose this")
    expect(page.locator("#announcer")).to_contain_text("faster than we can read them")
    expect(page.get_by_role("button", name="Try again")).to_have_count(1)
