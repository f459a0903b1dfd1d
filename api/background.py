"""A background loop that does one pass now and then, and at once when woken.

Shared by the outbox worker (alerts out) and the inbox worker (messages Rasa could not read
yet). Started and stopped by the application lifespan; `wake()` is safe from any thread. A
failed pass is logged by exception type only (a database error's text can carry bound values)
and the loop carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging


class PollingWorker:
    """Subclasses implement `run_once`; one per process is enough."""

    name = "worker"

    def __init__(self, *, poll_seconds: float, stop_timeout_seconds: float) -> None:
        self._poll_seconds = poll_seconds
        self._stop_timeout = stop_timeout_seconds
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._log = logging.getLogger(f"quietdoor.{self.name}")

    async def run_once(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        """Begin polling; call from inside the running event loop (the lifespan)."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._task = self._loop.create_task(self._run(), name=f"quietdoor-{self.name}")

    async def stop(self) -> None:
        """Finish the pass in hand, then end; whatever is still queued stays queued."""
        self._stopping = True
        self.wake()
        if self._task is not None:
            # wait_for cancels the task if a pass hangs past the timeout; nothing is lost.
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=self._stop_timeout)
            self._task = None

    def wake(self) -> None:
        """Do a pass now; callable from request threads as well as the loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.run_once()
            except Exception as error:  # the worker must outlive a bad moment (database locked)
                self._log.error(
                    "%s pass failed (%s); will try again", self.name, type(error).__name__
                )
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
