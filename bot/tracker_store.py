"""An in-memory tracker store that forgets idle conversations and honours quick exit.

Transcripts must not outlive the live session (SECURITY.md 3):
- any conversation idle longer than QD_SESSION_IDLE_MINUTES (default 30) is evicted: on every
  save, retrieve and keys call, and by a sweep every minute while any conversation is held, so
  on a quiet instance the last disclosure does not wait in memory for the next visitor (the
  sweep is an asyncio task in Rasa's own loop, started by the first save and ending when the
  store is empty);
- the gateway wipes a conversation on quick exit with `PUT /conversations/<id>/tracker/events`
  and body `[]`. Rasa's server (rasa/server.py `replace_events`) builds a tracker from exactly
  those events, none, and calls `save` on it, so a save with no events means "delete".
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

DEFAULT_IDLE_MINUTES = 30.0
SWEEP_SECONDS = 60.0


def idle_minutes_from_env() -> float:
    """QD_SESSION_IDLE_MINUTES, or the default if it is unset or not a positive number."""
    try:
        minutes = float(os.environ.get("QD_SESSION_IDLE_MINUTES", DEFAULT_IDLE_MINUTES))
    except ValueError:
        return DEFAULT_IDLE_MINUTES
    return minutes if minutes > 0 else DEFAULT_IDLE_MINUTES


class ExpiringInMemoryTrackerStore(InMemoryTrackerStore):
    """InMemoryTrackerStore plus idle expiry and delete-on-empty-save."""

    def __init__(
        self,
        domain: Domain,
        event_broker: EventBroker | None = None,
        idle_minutes: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sweep_seconds: float = SWEEP_SECONDS,
        **kwargs: Any,
    ) -> None:
        """`clock` and `sweep_seconds` are injectable so tests can move time without waiting."""
        super().__init__(domain, event_broker, **kwargs)
        self.idle_seconds = (idle_minutes or idle_minutes_from_env()) * 60.0
        self._clock = clock
        self._sweep_seconds = sweep_seconds
        self._sweeper: asyncio.Task[None] | None = None
        # Least recently saved first: eviction reads only the conversations it removes, not
        # every conversation on every call (thousands on a busy evening).
        self._last_active: OrderedDict[str, float] = OrderedDict()

    def evict_idle(self) -> None:
        """Drop every conversation whose last save is older than the idle limit."""
        cutoff = self._clock() - self.idle_seconds
        while self._last_active:
            sender_id, last_active = next(iter(self._last_active.items()))
            if last_active > cutoff:
                return
            self.delete(sender_id)

    async def _sweep(self) -> None:
        """Evict idle conversations every `sweep_seconds` until none is left."""
        while self._last_active:
            await asyncio.sleep(self._sweep_seconds)
            self.evict_idle()

    def _ensure_sweeping(self) -> None:
        """Start the sweep if it is not running (first save, or the store emptied since)."""
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    def delete(self, sender_id: str) -> None:
        """Forget one conversation completely."""
        self.store.pop(sender_id, None)
        self._last_active.pop(sender_id, None)

    async def save(self, tracker: DialogueStateTracker) -> None:
        self.evict_idle()
        if len(tracker.events) == 0:
            self.delete(tracker.sender_id)
            return
        await super().save(tracker)
        self._last_active[tracker.sender_id] = self._clock()
        self._last_active.move_to_end(tracker.sender_id)
        self._ensure_sweeping()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        self.evict_idle()
        return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        self.evict_idle()
        return await super().retrieve_full_tracker(sender_id)

    async def keys(self) -> Iterable[str]:
        self.evict_idle()
        return list(self.store.keys())
