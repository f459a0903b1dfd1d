"""ExpiringInMemoryTrackerStore: idle expiry and delete on an empty save (quick exit)."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import ExpiringInMemoryTrackerStore, idle_minutes_from_env

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * 60


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def conversation(sender_id: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender_id, DOMAIN.slots)
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(f"CANARY-{sender_id} disclosure", {"name": "report_abuse"}))
    return tracker


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def store(clock: FrozenClock) -> ExpiringInMemoryTrackerStore:
    return ExpiringInMemoryTrackerStore(DOMAIN, idle_minutes=30, clock=clock)


def test_a_conversation_survives_while_active(store, clock) -> None:
    run(store.save(conversation("a")))
    clock.advance(20)
    tracker = run(store.retrieve("a"))
    assert tracker is not None
    run(store.save(tracker))
    clock.advance(20)  # 40 minutes since start, 20 since the last save
    assert run(store.retrieve("a")) is not None


def test_an_idle_conversation_is_evicted_on_retrieve(store, clock) -> None:
    run(store.save(conversation("a")))
    clock.advance(31)
    assert run(store.retrieve("a")) is None
    assert "a" not in store.store


def test_eviction_happens_on_keys_and_save_too(store, clock) -> None:
    run(store.save(conversation("old")))
    clock.advance(31)
    assert list(run(store.keys())) == []

    run(store.save(conversation("old")))
    clock.advance(31)
    run(store.save(conversation("new")))
    assert set(store.store) == {"new"}
    assert "CANARY-old" not in "".join(store.store.values())


def test_replacing_the_events_with_nothing_deletes_the_conversation(store) -> None:
    run(store.save(conversation("a")))
    run(store.save(conversation("b")))
    # What rasa/server.py replace_events does for PUT /conversations/a/tracker/events with [].
    emptied = DialogueStateTracker.from_dict("a", [], DOMAIN.slots)
    run(store.save(emptied))
    assert run(store.retrieve("a")) is None
    assert run(store.retrieve_full_tracker("a")) is None
    assert list(run(store.keys())) == ["b"]


def test_after_a_wipe_the_next_message_starts_afresh(store) -> None:
    run(store.save(conversation("a")))
    run(store.save(DialogueStateTracker.from_dict("a", [], DOMAIN.slots)))
    fresh = run(store.get_or_create_tracker("a"))
    assert [e.as_dict()["event"] for e in fresh.events] == ["action"]


def test_idle_minutes_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("QD_SESSION_IDLE_MINUTES", "5")
    assert idle_minutes_from_env() == 5.0
    assert ExpiringInMemoryTrackerStore(DOMAIN).idle_seconds == 300.0
    monkeypatch.setenv("QD_SESSION_IDLE_MINUTES", "nonsense")
    assert idle_minutes_from_env() == 30.0
    monkeypatch.delenv("QD_SESSION_IDLE_MINUTES")
    assert idle_minutes_from_env() == 30.0


def test_it_loads_from_endpoints_yml(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("QD_ACTIONS_URL", "http://127.0.0.1:5055")  # as ops/stack.py sets it

    config = read_endpoint_config(
        str(Path(__file__).resolve().parents[2] / "bot" / "endpoints.yml"), "tracker_store"
    )
    store = TrackerStore.create(config, DOMAIN)
    assert isinstance(store, ExpiringInMemoryTrackerStore)


def test_each_conversation_expires_at_its_own_time_however_they_were_saved(store, clock) -> None:
    """Saved a, b, c, then a again: b goes first, then c, then a (least recently saved first)."""
    for sender in ("a", "b", "c"):
        run(store.save(conversation(sender)))
        clock.advance(5)
    run(store.save(conversation("a")))  # a at 15 minutes; b at 5, c at 10
    clock.advance(21)  # 36 minutes: b idle 31
    assert sorted(run(store.keys())) == ["a", "c"]
    clock.advance(5)  # c idle 31, a idle 26
    assert sorted(run(store.keys())) == ["a"]
    clock.advance(5)
    assert list(run(store.keys())) == []


def test_an_idle_conversation_is_swept_without_any_further_use(clock) -> None:
    """On a quiet instance nothing calls the store again: a timer must still forget it."""
    store = ExpiringInMemoryTrackerStore(DOMAIN, idle_minutes=30, clock=clock, sweep_seconds=0.01)

    async def quiet_instance() -> None:
        await store.save(conversation("a"))
        await store.save(conversation("b"))
        clock.advance(20)
        await store.save(conversation("b"))
        await asyncio.sleep(0.05)  # several sweeps: nothing idle yet
        assert set(store.store) == {"a", "b"}
        clock.advance(11)  # a idle 31 minutes, b 11
        await asyncio.sleep(0.05)
        assert set(store.store) == {"b"}
        clock.advance(20)
        await asyncio.sleep(0.05)
        assert store.store == {}
        assert store._sweeper is not None and store._sweeper.done()  # no timer left running

    run(quiet_instance())
