"""Web chat rate limits: a script cannot flood the chat, Rasa's memory or the team.

Three limits, each a number in the settings (`QD_WEB_CHAT_*`), with defaults far above what a
person in crisis types (about 5 messages a minute, one conversation at a time):

- messages a minute from one sender id (one open chat page);
- messages a minute from one address (many pages, or a script, on one connection);
- new sender ids (new conversations, each a tracker in Rasa's memory) an hour from one address.

What is never limited is decided by the caller (`channels/web/router.py`): quick exit, the wipe,
and a message showing danger now, which is admitted and counted but never refused.

The counts live in this process's memory. Each gateway replica counts on its own, so with N
replicas behind a load balancer a client gets up to N times each number; issue 11 moves them to
Redis. Memory is bounded: a window lasts from a key's first message for its length, keys are kept
oldest window first and expired windows are dropped from the front on every call, so only keys
seen within the last window are held, and never more than `MAX_KEYS` per limit (past that a new
key is not counted: a flood of distinct addresses must not lock out everyone else at once).

An address is the connection's address as uvicorn gives it (`request.client.host`, which honours
X-Forwarded-For only from `--forwarded-allow-ips`), an IPv6 address cut to its /64 (one home's or
phone's whole allocation). Addresses are held only as digests under a key made at start-up.
A request that came through a reverse proxy the gateway was not told to believe (X-Forwarded-For
from a loopback or private peer, with `QD_FORWARDED_ALLOW_IPS` empty) has the proxy's address:
counting it would put everyone behind the proxy under one address's limits, and after five
reports a day nobody's report would page anyone. Such a request is counted by sender only, with
a warning in the log (`counted_address`).

The fourth limit, reports a day from one address, is counted where reports are stored
(api/cases/report_cap.py), by `report_address_key`: the gateway puts it in each web message's
metadata for Rasa, and the action that files the report passes it on.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from api.crypto.hashing import keyed_hash
from api.crypto.keys import KeyConfigError, hash_key_from
from api.settings import Settings

MINUTE_SECONDS = 60.0
HOUR_SECONDS = 3600.0
MAX_KEYS = 50_000
"""Keys held per limit at most (all three full: about 35 MB, measured), far more senders and
addresses than the chat sees in a minute or an hour."""

IPV6_PREFIX = 64
ADDRESS_KEY_PURPOSE = "web-chat-address"

Value = TypeVar("Value")


class Refusal(enum.Enum):
    """Why a message was not taken; the page is told in plain words (router.py)."""

    TOO_FAST = "too_fast"
    TOO_MANY_CONVERSATIONS = "too_many_conversations"


@dataclass(frozen=True)
class ChatLimits:
    """The numbers, from the settings of the request (tests give their own)."""

    messages_per_minute_per_sender: int
    messages_per_minute_per_address: int
    new_conversations_per_hour_per_address: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatLimits:
        return cls(
            settings.web_chat_messages_per_minute_per_sender,
            settings.web_chat_messages_per_minute_per_address,
            settings.web_chat_new_conversations_per_hour_per_address,
        )


def network_of(host: str) -> str:
    """The address a limit counts: an IPv6 address's /64, an IPv4 address (also when mapped
    into IPv6) as it is, and anything that is not an address (a test client's name) unchanged."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def report_address_key(settings: Settings, host: str) -> str | None:
    """The keyed hash (QD_HASH_KEY) the case service counts an address's reports by, never the
    address itself; None without a usable hash key, when no report can be stored anyway."""
    try:
        hash_key = hash_key_from(settings)
    except KeyConfigError:
        return None
    return keyed_hash(hash_key, ADDRESS_KEY_PURPOSE, network_of(host))


def counted_address(host: str, *, forwarded: bool, proxy_configured: bool) -> str | None:
    """The address the per-address limits count, or None when it is an unconfigured proxy's.

    A public peer that sends X-Forwarded-For itself is still counted by its own address: the
    header cannot buy a way around the limits.
    """
    if not forwarded or proxy_configured:
        return host
    try:
        peer = ipaddress.ip_address(host)
    except ValueError:
        return host
    return None if peer.is_loopback or peer.is_private else host


class _Count:
    """A mutable count, so a window's value can be changed where it is kept."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


class Windows(Generic[Value]):
    """Per key, a value that lives for `seconds` from the key's first use, then starts again.

    The dict keeps insertion order and a restarted window is inserted again at the end, so the
    oldest window is always first and eviction only ever looks at expired keys.
    """

    def __init__(self, seconds: float, make: Callable[[], Value], max_keys: int = MAX_KEYS) -> None:
        self._seconds = seconds
        self._make = make
        self._max_keys = max_keys
        self._entries: dict[str, tuple[float, Value]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key: str, now: float) -> Value | None:
        """The key's value in its current window, or None if it has none."""
        self._evict(now)
        entry = self._entries.get(key)
        return entry[1] if entry is not None else None

    def take(self, key: str, now: float) -> Value | None:
        """The key's value, a new window's if it has none; None when `max_keys` are held."""
        value = self.peek(key, now)
        if value is not None:
            return value
        if len(self._entries) >= self._max_keys:
            return None
        value = self._make()
        self._entries[key] = (now, value)
        return value

    def _evict(self, now: float) -> None:
        entries = self._entries
        while entries:
            key, (start, _) = next(iter(entries.items()))
            if now - start < self._seconds:
                return
            del entries[key]


def _add_one(windows: Windows[_Count], key: str, now: float) -> None:
    count = windows.take(key, now)
    if count is not None:
        count.n += 1


class WebChatLimits:
    """The web chat's three limits, for one gateway process (see the module docstring)."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS
    ) -> None:
        self._clock = clock
        self._digest_key = secrets.token_bytes(16)
        self._per_sender = Windows(MINUTE_SECONDS, _Count, max_keys)
        self._per_address = Windows(MINUTE_SECONDS, _Count, max_keys)
        self._senders_per_address: Windows[set[str]] = Windows(HOUR_SECONDS, set, max_keys)

    def admit(
        self, sender: str, host: str | None, limits: ChatLimits, *, always: bool = False
    ) -> Refusal | None:
        """Count the message and return None, or return why it is refused (then not counted).

        `always` (danger now) counts the message but never refuses it. A sender that starts a
        conversation over the address's cap is admitted then, but not remembered as one of its
        conversations, so the cap keeps the set of remembered senders bounded. `host` None (an
        unconfigured proxy's: `counted_address`) is limited by sender only.
        """
        now = self._clock()
        address = None if host is None else self._digest(network_of(host))
        senders = None if address is None else self._senders_per_address.peek(address, now)
        is_new = address is not None and (senders is None or sender not in senders)
        if not always:
            refusal = self._refusal(sender, address, is_new, senders, limits, now)
            if refusal is not None:
                return refusal
        _add_one(self._per_sender, sender, now)
        if address is None:
            return None
        _add_one(self._per_address, address, now)
        if is_new:
            senders = self._senders_per_address.take(address, now)
            if senders is not None and len(senders) < limits.new_conversations_per_hour_per_address:
                senders.add(sender)
        return None

    def _refusal(
        self,
        sender: str,
        address: str | None,
        is_new: bool,
        senders: set[str] | None,
        limits: ChatLimits,
        now: float,
    ) -> Refusal | None:
        cap = limits.new_conversations_per_hour_per_address
        if is_new and senders is not None and len(senders) >= cap:
            return Refusal.TOO_MANY_CONVERSATIONS
        sent = self._per_sender.peek(sender, now)
        if sent is not None and sent.n >= limits.messages_per_minute_per_sender:
            return Refusal.TOO_FAST
        from_address = None if address is None else self._per_address.peek(address, now)
        if from_address is not None and from_address.n >= limits.messages_per_minute_per_address:
            return Refusal.TOO_FAST
        return None

    def _digest(self, network: str) -> str:
        """Never the address itself in memory: a digest under this process's own key."""
        return hashlib.blake2b(network.encode(), key=self._digest_key, digest_size=16).hexdigest()
