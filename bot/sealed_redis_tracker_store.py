"""A Redis tracker store that seals every conversation, expires it when idle and truly deletes it.

Chosen by bot/endpoints-redis.yml when QD_REDIS_URL is set (ops/stack.py), so several Rasa
processes, on one machine or many, can serve any conversation. Rasa's own Redis and SQL stores
would not do: they store the disclosure in plain text, and their save merges the new tracker
into the stored one (or appends events), so quick exit's wipe would delete nothing. Here:
- a save REPLACES the stored tracker with the sealed new one (bot/tracker_seal.py: AES-256-GCM,
  the sender id as associated data), under an HMAC of the sender id, never the id itself;
- every save sets the key's TTL to QD_SESSION_IDLE_MINUTES, so Redis itself forgets a
  conversation idle that long, with no sweep to run;
- the gateway's wipe (`PUT /conversations/<id>/tracker/events` with `[]`) makes Rasa save a
  tracker with no events: that DELETEs the key;
- a stored tracker that does not open (tampered, copied from another conversation, sealed under
  an old key) is logged by kind only and treated as absent: the person starts afresh;
- no event broker: it would copy every message out of Rasa in plain text, so one configured
  stops Rasa at start;
- `keys()` lists nothing: the store knows only keyed hashes, not sender ids (Rasa uses it only
  for `rasa export` and markers, which must not read disclosures out anyway).
Nothing here logs a sender id, a key name or any content.

Quick exit also runs while the conversation may be mid-turn: Rasa holds its lock store's lock
(bot/redis_lock_store.py) for the conversation around each message, and the wipe's save comes
after or before that turn's, never inside it, so a wiped conversation stays wiped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import redis.asyncio as redis
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SerializedTrackerAsText, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions

from bot.tracker_seal import TrackerSeal, UnreadableTracker, key_from_env
from bot.tracker_store import idle_minutes_from_env

logger = logging.getLogger(__name__)

KEY_PREFIX = "qd:tracker:"
SOCKET_TIMEOUT_SECONDS = 5.0
"""A Redis that does not answer fails the message (the gateway's safety net answers) in 5 s."""


def redis_client(url: str) -> redis.Redis:
    """An asyncio client for `url` (redis://, rediss:// with TLS; password and db in the URL)."""
    if not url:
        raise ValueError("the sealed Redis tracker store needs a url (QD_REDIS_URL)")
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
    )


class SealedRedisTrackerStore(TrackerStore, SerializedTrackerAsText):
    """Trackers in Redis, sealed, replaced on save, deleted when empty, expired when idle."""

    def __init__(
        self,
        domain: Domain,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        idle_minutes: float | None = None,
        seal: TrackerSeal | None = None,
        **kwargs: Any,
    ) -> None:
        """`host` is the Redis URL (Rasa passes an endpoint's `url` as `host`).

        `seal` defaults to one under QD_TRACKER_KEY; tests pass their own.
        """
        if event_broker is not None:
            raise ValueError("an event broker would copy every message out of Rasa in plain text")
        super().__init__(domain, None, **kwargs)
        self.red = redis_client(host or "")
        self.seal = seal or TrackerSeal(key_from_env())
        self.idle_milliseconds = int((idle_minutes or idle_minutes_from_env()) * 60_000)

    def redis_key(self, sender_id: str) -> str:
        """Where this conversation lives in Redis."""
        return KEY_PREFIX + self.seal.name(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Replace the stored tracker, or delete it when the tracker has no events (a wipe)."""
        key = self.redis_key(tracker.sender_id)
        if len(tracker.events) == 0:
            await self.red.delete(key)
            return
        sealed = self.seal.seal(tracker.sender_id, self.serialise_tracker(tracker))
        await self.red.set(key, sealed, px=self.idle_milliseconds)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest conversation session, as Rasa's stores return it."""
        tracker = await self.retrieve_full_tracker(sender_id)
        if tracker is None:
            return None
        sessions = get_trackers_for_conversation_sessions(tracker)
        return sessions[-1] if len(sessions) > 1 else tracker

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """The whole stored tracker, or None if there is none or it does not open."""
        sealed = await self.red.get(self.redis_key(sender_id))
        if sealed is None:
            return None
        try:
            serialised = self.seal.open(sender_id, sealed)
        except UnreadableTracker:
            logger.warning("qd.tracker_store.unreadable: a stored conversation did not open")
            return None
        return self.deserialise_tracker(sender_id, serialised)

    async def keys(self) -> Iterable[str]:
        """Nothing: the store holds keyed hashes of sender ids, not the ids (module docstring)."""
        return []
