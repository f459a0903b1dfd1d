"""An in-memory tracker store that forgets idle conversations and honours quick exit.

Transcripts must not outlive the live session (SECURITY.md 3):
- any conversation idle longer than QD_SESSION_IDLE_MINUTES (default 30) is evicted, checked
  on every save, retrieve and keys call, so no timer thread is needed;
- the gateway wipes a conversation on quick exit with `PUT /conversations/<id>/tracker/events`
  and body `[]`. Rasa's server (rasa/server.py `replace_events`) builds a tracker from exactly
  those events, none, and calls `save` on it, so a save with no events means "delete".
"""

from __future__ import annotations

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
        **kwargs: Any,
    ) -> None:
        """`clock` is injectable so tests can move time forward without sleeping."""
        super().__init__(domain, event_broker, **kwargs)
        self.idle_seconds = (idle_minutes or idle_minutes_from_env()) * 60.0
        self._clock = clock
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

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        self.evict_idle()
        return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        self.evict_idle()
        return await super().retrieve_full_tracker(sender_id)

    async def keys(self) -> Iterable[str]:
        self.evict_idle()
        return list(self.store.keys())
