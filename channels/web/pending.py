"""Web chat turns that outlive their request: late Rasa replies, kept briefly, and the exit wipe.

An emergency answer, a holding reply after `QD_CHAT_WAIT_SECONDS` and quick exit never wait for
Rasa, yet the message must still reach Rasa, in order for that conversation, and whatever Rasa
says must reach the person once. So each message is a *turn* run in the background under a lock
per sender (turns and wipes of one conversation go to Rasa one at a time, in arrival order). A
turn whose request stopped waiting leaves its replies here, in page-less memory, until the page
collects them (`POST /chat/pending`) or the next answer carries them. Kept replies are bounded
in time and size; quick exit drops them at once and stops the turns still running from leaving
any. Nothing here logs message text or sender ids.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from channels.messaging.locks import KeyedLocks
from channels.rasa_client import RasaClient, RasaUnavailable

log = logging.getLogger("quietdoor.channels.web")

Reply = dict[str, Any]

KEEP_SECONDS = 120.0
"""Replies nobody collects are forgotten after this long (the page polls for about a minute)."""

MAX_KEPT_CHARS = 8000
"""Text kept for one conversation; beyond it the oldest replies go (and that is logged)."""

MAX_CONVERSATIONS = 5000
"""Conversations with kept replies; beyond it the oldest are forgotten (and that is logged)."""

MAX_TURNS_PER_SENDER = 5
"""Messages of one conversation waiting for Rasa at once; more get the safety net at once."""

WIPE_RETRY_DELAYS = (1.0, 5.0, 15.0, 30.0)
"""Pauses between attempts at a quick-exit wipe Rasa could not do (the first try is at once)."""


@dataclass(eq=False)
class Turn:
    """One message on its way through Rasa.

    `handed_off`: the request answered without these replies, so they are kept for later.
    `dropped`: quick exit came first, so they are thrown away.
    `drop_kind`: Rasa's replies of this kind are left out (the gateway already gave them).
    """

    sender: str
    drop_kind: str | None = None
    handed_off: bool = False
    dropped: bool = False
    failure_reply: Reply | None = None


@dataclass
class _Kept:
    replies: list[Reply] = field(default_factory=list)
    expires: float = 0.0


class WebTurns:
    """Per-process: the turns in flight, the replies kept for each sender, the wipes retrying."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._locks = KeyedLocks()
        self._turns: dict[str, list[Turn]] = {}
        self._kept: dict[str, _Kept] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # ---------- turns ----------

    def busy(self, sender: str) -> bool:
        """Too many of this sender's messages are already waiting for Rasa."""
        return len(self._turns.get(sender, [])) >= MAX_TURNS_PER_SENDER

    def in_flight(self, sender: str) -> bool:
        """Some of this sender's turns have not finished yet: more replies may come."""
        return bool(self._turns.get(sender))

    def start(
        self, turn: Turn, send: Callable[[], Awaitable[list[Reply]]]
    ) -> asyncio.Task[list[Reply]]:
        """Run `send` after the sender's earlier turns; the task's result is Rasa's replies."""
        self._turns.setdefault(turn.sender, []).append(turn)
        return self._spawn(self._run(turn, send))

    async def _run(self, turn: Turn, send: Callable[[], Awaitable[list[Reply]]]) -> list[Reply]:
        try:
            async with self._locks.hold(turn.sender):
                if turn.dropped:  # quick exit came while this turn waited: Rasa never reads it
                    return []
                try:
                    replies = await send()
                except RasaUnavailable as error:
                    if turn.handed_off and not turn.dropped:
                        log.warning("late reply not taken: %s", error)
                        self._keep(turn.sender, [turn.failure_reply] if turn.failure_reply else [])
                    raise
                if turn.handed_off and not turn.dropped:
                    self._keep(turn.sender, without_kind(replies, turn.drop_kind))
                return replies
        finally:
            self._finish(turn)

    def hand_off(self, turn: Turn, task: asyncio.Task[list[Reply]]) -> list[Reply] | None:
        """The request stops waiting: Rasa's replies, if the task is already done, else None
        (and they will be kept for later). No await here, so nothing can finish in between."""
        if task.done():
            return task.result()
        turn.handed_off = True
        return None

    def _finish(self, turn: Turn) -> None:
        turns = self._turns.get(turn.sender, [])
        if turn in turns:
            turns.remove(turn)
        if not turns:
            self._turns.pop(turn.sender, None)

    # ---------- kept replies ----------

    def take(self, sender: str) -> list[Reply]:
        """The replies kept for `sender`, oldest first; they are given once."""
        self._expire()
        kept = self._kept.pop(sender, None)
        return kept.replies if kept else []

    def _keep(self, sender: str, replies: list[Reply]) -> None:
        if not replies:
            return
        self._expire()
        kept = self._kept.pop(sender, None) or _Kept()
        kept.replies.extend(replies)
        kept.expires = self._clock() + KEEP_SECONDS
        dropped = 0
        while len(kept.replies) > 1 and _chars(kept.replies) > MAX_KEPT_CHARS:
            kept.replies.pop(0)
            dropped += 1
        if dropped:
            log.warning("late replies over the size limit, oldest dropped: %d", dropped)
        self._kept[sender] = kept  # re-inserted, so the dict stays oldest-first
        while len(self._kept) > MAX_CONVERSATIONS:
            del self._kept[next(iter(self._kept))]
            log.warning("late replies dropped: too many conversations waiting")

    def _expire(self) -> None:
        now = self._clock()
        for sender in [s for s, kept in self._kept.items() if kept.expires <= now]:
            del self._kept[sender]
            log.info("late replies expired uncollected")

    # ---------- quick exit ----------

    def exit(self, rasa: RasaClient, sender: str) -> None:
        """Forget this conversation here at once; wipe it in Rasa in the background.

        The wipe waits behind the sender's turns still in flight, so a message Rasa reads late
        cannot bring the conversation back after the wipe.
        """
        self._kept.pop(sender, None)
        for turn in self._turns.get(sender, []):
            turn.dropped = True
        self._spawn(self._wipe(rasa, sender))

    async def _wipe(self, rasa: RasaClient, sender: str) -> None:
        for attempt, delay in enumerate((0.0, *WIPE_RETRY_DELAYS)):
            await asyncio.sleep(delay)
            try:
                async with self._locks.hold(sender):
                    await rasa.wipe(sender)
                return
            except RasaUnavailable as error:
                log.warning("quick exit: wipe attempt %d failed: %s", attempt + 1, error)
        log.error("quick exit: conversation not wiped, it will expire on its own")

    # ---------- background tasks ----------

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and isinstance(task.exception(), RasaUnavailable):
            return  # the request, or the kept "not taken" line, has dealt with it
        if not task.cancelled() and task.exception() is not None:
            log.error("web chat turn failed: %s", type(task.exception()).__name__)

    async def aclose(self) -> None:
        """On shutdown: stop what is still running (kept replies die with the process)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def kind(reply: Reply) -> str | None:
    """The gateway's marker on a reply (`custom.quietdoor`), if any."""
    custom = reply.get("custom")
    return custom.get("quietdoor") if isinstance(custom, dict) else None


def without_kind(replies: list[Reply], unwanted: str | None) -> list[Reply]:
    """`replies` without those of kind `unwanted`. Rasa's REST channel sends a reply's `custom`
    as an item of its own right after the text, so a text-less marker takes its text with it."""
    kept: list[Reply] = []
    for reply in replies:
        if unwanted is None or kind(reply) != unwanted:
            kept.append(reply)
        elif not reply.get("text") and kept and kind(kept[-1]) is None:
            kept.pop()
    return kept


def _chars(replies: list[Reply]) -> int:
    return sum(len(str(r.get("text") or "")) + len(str(r.get("buttons") or "")) for r in replies)
