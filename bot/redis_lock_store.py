"""Rasa's Redis lock store, from one URL, keyed by hashes of sender ids, and never left behind.

Rasa takes a per-conversation ticket lock around every message and every tracker replacement
(quick exit's wipe included). In memory that lock holds within one process only; with several
Rasa processes sharing the sealed Redis tracker store (bot/sealed_redis_tracker_store.py) it
must live in Redis too, or two processes could handle one conversation's messages at once and
the later save would drop the earlier turn (or undo a wipe).

This is Rasa's RedisLockStore with four differences:
- configured by the same URL as the tracker store (QD_REDIS_URL: password, db and TLS in it),
  where Rasa's wants host, port and password as separate settings;
- the lock's key is the tracker's keyed hash of the sender id, and the stored lock leaves the id
  out, so Redis never holds a live conversation's id;
- each save sets the key to expire when the last ticket in it does (plus a margin), so a
  process killed while holding a lock leaves nothing behind;
- every change to a lock (a ticket issued, finished or expired) is one Redis transaction: Rasa's
  reads and writes in separate steps, which lets two processes take the same ticket.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.client import Pipeline

from bot.sealed_redis_tracker_store import SOCKET_TIMEOUT_SECONDS
from bot.tracker_seal import TrackerSeal, key_from_env

KEY_PREFIX = "qd:lock:"
EXPIRY_MARGIN_SECONDS = 60
"""How long a lock outlives its last ticket's expiry: clocks of several machines may differ."""
T = TypeVar("T")


class RedisUrlLockStore(RedisLockStore):
    """Ticket locks in Redis at the endpoint's `url`, named as the tracker store names them."""

    def __init__(self, endpoint_config: EndpointConfig, seal: TrackerSeal | None = None) -> None:
        """Rasa builds custom lock stores with `endpoint_config=` only; tests pass `seal`."""
        if not endpoint_config.url:
            raise ValueError("the Redis lock store needs a url (QD_REDIS_URL)")
        # RedisLockStore.__init__ would connect by host and port; the base class needs nothing.
        self.red = redis.Redis.from_url(
            endpoint_config.url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        )
        self.key_prefix = KEY_PREFIX
        self.seal = seal or TrackerSeal(key_from_env())

    def redis_key(self, conversation_id: str) -> str:
        """Where this conversation's lock lives in Redis."""
        return self.key_prefix + self.seal.name(conversation_id)

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return self._decode(self.red.get(self.redis_key(conversation_id)), conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(self.redis_key(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        self._write(self.red, lock)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime))
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock: {type(error).__name__}") from None

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish this ticket; the last one out deletes the key in the same transaction.

        Rasa's cleanup deletes the lock after a separate check that no one waits, so a ticket
        another process issued in between would be deleted with it (and its turn fail).
        """
        self.finish_serving(conversation_id, ticket_number)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], T]) -> T:
        """Read, change and write the lock as one transaction (WATCH/MULTI), retried on a clash.

        Rasa's RedisLockStore reads, changes and writes in three steps: two processes issuing a
        ticket at once could both get the same number and handle one conversation together.
        """
        key = self.redis_key(conversation_id)
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    lock = self._decode(pipe.get(key), conversation_id)
                    lock = lock or self.create_lock(conversation_id)
                    result = change(lock)
                    pipe.multi()
                    self._write(pipe, lock)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    @staticmethod
    def _decode(stored: bytes | None, conversation_id: str) -> TicketLock | None:
        if not stored:
            return None
        return TicketLock.from_dict({**json.loads(stored), "conversation_id": conversation_id})

    def _write(self, client: redis.Redis | Pipeline, lock: TicketLock) -> None:
        """Store the tickets without the id, expiring after the last; no tickets: no key."""
        key = self.redis_key(lock.conversation_id)
        if not lock.tickets:
            client.delete(key)
            return
        last_expiry = max(ticket.expires for ticket in lock.tickets)
        lifetime = max(1, math.ceil(last_expiry - time.time())) + EXPIRY_MARGIN_SECONDS
        tickets = [ticket.dumps() for ticket in lock.tickets]
        client.set(key, json.dumps({"tickets": tickets}), ex=lifetime)
