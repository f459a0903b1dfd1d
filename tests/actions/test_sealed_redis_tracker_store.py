"""SealedRedisTrackerStore and RedisUrlLockStore against a real (throwaway) Redis.

Each test names its own conversations (`uuid4`), so tests share the session's Redis in any order.
Every store is made inside the test's event loop: an asyncio Redis client belongs to one loop.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import threading
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from bot.redis_lock_store import RedisUrlLockStore
from bot.sealed_redis_tracker_store import SealedRedisTrackerStore
from bot.tracker_seal import KEY_VARIABLE, TrackerSeal, key_from_env
from ops.services.redis import free_port

REPO = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(REPO / "bot" / "domain"))
ENDPOINTS = str(REPO / "bot" / "endpoints-redis.yml")
KEY = os.urandom(32)
IDLE_MINUTES = 30
T = TypeVar("T")


def sender() -> str:
    return f"sender-{uuid.uuid4().hex}"


def conversation(sender_id: str, canary: str = "CANARY") -> DialogueStateTracker:
    """A conversation whose text, slot and metadata all carry `canary`."""
    tracker = DialogueStateTracker(sender_id, DOMAIN.slots)
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(
        UserUttered(
            f"{canary} he took my phone",
            {"name": "report_abuse"},
            metadata={"address_key": f"{canary}-address"},
        )
    )
    tracker.update(SlotSet("contact_detail", f"{canary}-07700900123"))
    return tracker


def events_of(tracker: DialogueStateTracker | None) -> list[dict[str, Any]]:
    assert tracker is not None
    return [event.as_dict() for event in tracker.events]


def wiped(sender_id: str) -> DialogueStateTracker:
    """What rasa/server.py replace_events saves for PUT /conversations/<id>/tracker/events []."""
    return DialogueStateTracker.from_dict(sender_id, [], DOMAIN.slots)


def in_loop(test: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(test())  # type: ignore[arg-type]


@pytest.fixture
def raw(redis_url: str) -> redis.Redis:
    """A plain client to look at what the stores left in Redis."""
    return redis.Redis.from_url(redis_url)


@pytest.fixture
def make_store(redis_url: str) -> Callable[..., SealedRedisTrackerStore]:
    def make(**kwargs: Any) -> SealedRedisTrackerStore:
        options: dict[str, Any] = {"idle_minutes": IDLE_MINUTES, "seal": TrackerSeal(KEY)}
        return SealedRedisTrackerStore(DOMAIN, host=redis_url, **{**options, **kwargs})

    return make


def test_a_saved_conversation_comes_back_whole(make_store) -> None:
    sender_id = sender()
    saved = conversation(sender_id)

    async def test() -> None:
        store = make_store()
        await store.save(saved)
        assert events_of(await store.retrieve(sender_id)) == events_of(saved)
        assert events_of(await store.retrieve_full_tracker(sender_id)) == events_of(saved)
        assert await store.retrieve(sender()) is None

    in_loop(test)


def test_retrieve_gives_the_latest_session_and_a_save_replaces_the_stored_tracker(
    make_store, raw
) -> None:
    sender_id = sender()
    tracker = conversation(sender_id, "FIRST-SESSION")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("hello", {"name": "greet"}))

    async def test() -> None:
        store = make_store()
        await store.save(tracker)
        latest = await store.retrieve(sender_id)
        assert "FIRST-SESSION" not in str(events_of(latest))
        assert "FIRST-SESSION" in str(events_of(await store.retrieve_full_tracker(sender_id)))
        # Rasa saves what it retrieved plus the new turn: nothing is merged back in.
        await store.save(latest)
        full = await store.retrieve_full_tracker(sender_id)
        assert events_of(full) == events_of(latest)

    in_loop(test)


def test_every_save_sets_the_idle_time_as_the_keys_ttl(make_store, raw) -> None:
    sender_id = sender()

    async def test() -> None:
        store = make_store()
        await store.save(conversation(sender_id))
        key = store.redis_key(sender_id)
        full = IDLE_MINUTES * 60_000
        assert full - 5_000 < raw.pttl(key) <= full
        raw.pexpire(key, 10_000)  # as if most of the idle time had passed
        tracker = await store.retrieve(sender_id)
        tracker.update(UserUttered("are you there", {"name": "greet"}))
        await store.save(tracker)
        assert full - 5_000 < raw.pttl(key) <= full

    in_loop(test)


def test_an_idle_conversation_is_gone_when_its_ttl_runs_out(make_store) -> None:
    sender_id = sender()

    async def test() -> None:
        store = make_store(idle_minutes=0.002)  # 120 ms
        await store.save(conversation(sender_id))
        assert await store.retrieve(sender_id) is not None
        await asyncio.sleep(0.3)
        assert await store.retrieve(sender_id) is None

    in_loop(test)


def test_quick_exit_deletes_the_key_and_the_next_message_starts_afresh(make_store, raw) -> None:
    sender_id, other = sender(), sender()

    async def test() -> None:
        store = make_store()
        await store.save(conversation(sender_id))
        await store.save(conversation(other))
        await store.save(wiped(sender_id))
        assert raw.exists(store.redis_key(sender_id)) == 0
        assert await store.retrieve(sender_id) is None
        assert await store.retrieve(other) is not None
        fresh = await store.get_or_create_tracker(sender_id)
        assert [event.as_dict()["event"] for event in fresh.events] == ["action"]

    in_loop(test)


def test_nothing_in_redis_is_plain_text(make_store, raw, redis_url: str) -> None:
    """Neither a value nor a DUMP of any key holds the message, a slot, metadata or the id."""
    canary = f"CANARY{uuid.uuid4().hex}"
    sender_id = f"sender-{canary}"

    async def test() -> None:
        store = make_store()
        await store.save(conversation(sender_id, canary))
        lock_store = RedisUrlLockStore(EndpointConfig(url=redis_url), seal=TrackerSeal(KEY))
        async with lock_store.lock(sender_id):
            everything = b"".join(
                key + (raw.dump(key) or b"") + (raw.get(key) or b"") for key in raw.scan_iter()
            )
        assert raw.exists(store.redis_key(sender_id)) == 1
        for needle in (canary, "he took my phone", "07700900123", "report_abuse"):
            assert needle.encode() not in everything

    in_loop(test)


def test_a_tampered_or_moved_tracker_is_refused_as_a_fresh_conversation(
    make_store, raw, caplog
) -> None:
    victim, attacker = sender(), sender()
    canary = f"CANARY{uuid.uuid4().hex}"

    async def test() -> None:
        store = make_store()
        await store.save(conversation(victim, canary))
        await store.save(conversation(attacker))
        victim_key, attacker_key = store.redis_key(victim), store.redis_key(attacker)

        raw.set(attacker_key, raw.get(victim_key))  # moved to another conversation's name
        with caplog.at_level(logging.WARNING):
            assert await store.retrieve(attacker) is None

        sealed = bytearray(raw.get(victim_key))
        sealed[-1] ^= 1
        raw.set(victim_key, bytes(sealed))  # one bit changed
        assert await store.retrieve(victim) is None

        raw.set(victim_key, b"not sealed at all")
        assert await store.retrieve(victim) is None

        # Under another key (QD_TRACKER_KEY rotated) a stored tracker does not open either.
        await store.save(conversation(victim, canary))
        rotated = make_store(seal=TrackerSeal(os.urandom(32)))
        raw.set(rotated.redis_key(victim), raw.get(victim_key))
        assert await rotated.retrieve(victim) is None

    in_loop(test)
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "did not open" in logged
    for secret in (victim, attacker, canary):
        assert secret not in logged


def test_two_rasa_processes_share_one_conversation(make_store) -> None:
    """Two stores (as in two Rasa processes) see and continue the same conversation."""
    sender_id = sender()

    async def test() -> None:
        first, second = make_store(), make_store()
        await first.save(conversation(sender_id))
        tracker = await second.retrieve(sender_id)
        tracker.update(UserUttered("tomorrow morning", {"name": "inform"}))
        await second.save(tracker)
        assert events_of(await first.retrieve(sender_id)) == events_of(tracker)
        await first.save(wiped(sender_id))
        assert await second.retrieve(sender_id) is None

    in_loop(test)


def _endpoint(name: str) -> Any:
    return read_endpoint_config(ENDPOINTS, name)


@pytest.fixture
def redis_env(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    """The environment ops/stack.py gives Rasa when QD_REDIS_URL is set."""
    monkeypatch.setenv("QD_ACTIONS_URL", "http://127.0.0.1:5055")
    monkeypatch.setenv("QD_REDIS_URL", redis_url)
    monkeypatch.setenv(KEY_VARIABLE, base64.b64encode(KEY).decode())


@pytest.mark.usefixtures("redis_env")
def test_rasa_builds_both_stores_from_endpoints_redis_yml() -> None:
    async def test() -> None:
        tracker_store = TrackerStore.create(_endpoint("tracker_store"), DOMAIN)
        assert isinstance(tracker_store, SealedRedisTrackerStore)  # not wrapped: it is async
        assert isinstance(LockStore.create(_endpoint("lock_store")), RedisUrlLockStore)

    in_loop(test)


@pytest.mark.usefixtures("redis_env")
def test_processes_sharing_the_key_read_each_others_conversations() -> None:
    sender_id = sender()

    async def test() -> None:
        writer = TrackerStore.create(_endpoint("tracker_store"), DOMAIN)
        await writer.save(conversation(sender_id))
        reader = SealedRedisTrackerStore(DOMAIN, host=os.environ["QD_REDIS_URL"])
        assert await reader.retrieve(sender_id) is not None

    in_loop(test)


@pytest.mark.usefixtures("redis_env")
@pytest.mark.parametrize("value", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_rasa_does_not_start_without_a_proper_key(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, value)
    with pytest.raises(ValueError, match=KEY_VARIABLE) as refused:
        TrackerStore.create(_endpoint("tracker_store"), DOMAIN)
    assert value == "" or value not in str(refused.value)
    with pytest.raises(ValueError, match=KEY_VARIABLE):
        key_from_env({KEY_VARIABLE: value})


def test_a_redis_that_is_down_fails_the_turn_at_once() -> None:
    """Rasa answers the gateway with an error, which gives the person the safety net."""
    store = SealedRedisTrackerStore(
        DOMAIN, host=f"redis://127.0.0.1:{free_port()}/0", seal=TrackerSeal(KEY)
    )

    async def test() -> None:
        with pytest.raises(redis.exceptions.ConnectionError):
            await store.retrieve(sender())
        with pytest.raises(redis.exceptions.ConnectionError):
            await store.save(conversation(sender()))

    in_loop(test)


def test_an_event_broker_is_refused(redis_url: str) -> None:
    with pytest.raises(ValueError, match="event broker"):
        SealedRedisTrackerStore(
            DOMAIN, host=redis_url, event_broker=object(), seal=TrackerSeal(KEY)
        )


def test_the_lock_is_shared_by_processes_and_leaves_nothing_behind(raw, redis_url: str) -> None:
    sender_id = sender()
    first, second = (
        RedisUrlLockStore(EndpointConfig(url=redis_url), seal=TrackerSeal(KEY)) for _ in range(2)
    )
    key = first.redis_key(sender_id)

    async def test() -> None:
        order: list[str] = []

        async def later_turn() -> None:
            async with second.lock(sender_id, wait_time_in_seconds=0.01):
                order.append("second")

        async with first.lock(sender_id):
            assert 0 < raw.ttl(key) <= 60 + 60  # the ticket's lifetime plus the margin
            waiting = asyncio.create_task(later_turn())
            await asyncio.sleep(0.2)
            assert not waiting.done()
            order.append("first")
        await waiting
        assert order == ["first", "second"]

    in_loop(test)
    assert raw.exists(key) == 0


def test_turns_of_one_conversation_in_many_processes_never_overlap(redis_url: str) -> None:
    """Eight 'processes' (threads, each with its own lock store and loop) take turns at once.

    Each turn reads a counter, yields, and writes it back plus one: any two turns that overlap
    lose an increment. Rasa's own RedisLockStore issues tickets in three steps and lets that
    happen; here every ticket is one transaction.
    """
    sender_id = sender()
    counter = {"value": 0, "overlaps": 0, "inside": 0}
    turns_each, processes = 5, 8

    def process() -> None:
        store = RedisUrlLockStore(EndpointConfig(url=redis_url), seal=TrackerSeal(KEY))

        async def turns() -> None:
            for _ in range(turns_each):
                async with store.lock(sender_id, wait_time_in_seconds=0.005):
                    counter["inside"] += 1
                    counter["overlaps"] += counter["inside"] > 1
                    value = counter["value"]
                    await asyncio.sleep(0.002)
                    counter["value"] = value + 1
                    counter["inside"] -= 1

        asyncio.run(turns())

    threads = [threading.Thread(target=process, daemon=True) for _ in range(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert counter == {"value": turns_each * processes, "overlaps": 0, "inside": 0}
