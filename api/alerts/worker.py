"""The outbox worker: delivers queued alert messages in the background, with retries.

Started and stopped by the application lifespan (`worker.start()`, `await worker.stop()`). It polls
every `outbox_poll_seconds`, and `wake()` (safe from any thread) makes it look at once, so a new
emergency does not wait for the next poll. Database and SMTP calls run in threads so the event
loop that also serves the web chat is never blocked. Logs carry message ids and counts only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from zoneinfo import ZoneInfo

from api.alerts import email as alert_email
from api.alerts.service import DueMessage, claim_due, mark_delivered, mark_failed, retry_delay
from api.db import session_factory, utcnow
from api.org.profile import profile_for
from api.settings import Settings

log = logging.getLogger("quietdoor.alerts")

#: How long a claimed message is left alone before another worker may try it.
CLAIM_LEASE = dt.timedelta(minutes=2)


class OutboxWorker:
    """Sends due outbox messages until stopped; one per process is enough."""

    def __init__(self, settings: Settings, tz: ZoneInfo | None = None) -> None:
        self.settings = settings
        self._tz = tz
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    @property
    def tz(self) -> ZoneInfo:
        """The organisation's timezone, for the deadline wording; read lazily from the profile."""
        if self._tz is None:
            self._tz = profile_for(self.settings).tz
        return self._tz

    def start(self) -> None:
        """Begin polling; call from inside the running event loop (the lifespan)."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._task = self._loop.create_task(self._run(), name="quietdoor-outbox")

    async def stop(self) -> None:
        """Finish the message in hand, then end; undelivered messages stay queued."""
        self._stopping = True
        self.wake()
        if self._task is not None:
            # wait_for cancels the task if a send hangs past the timeout; the message stays queued.
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=self.settings.smtp_timeout_seconds + 5)
            self._task = None

    def wake(self) -> None:
        """Look at the outbox now; callable from request threads as well as the loop."""
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
                await self.deliver_due()
            except Exception as error:  # the worker must outlive a bad moment (database locked)
                # Type only: a database error's text can carry bound values.
                log.error("outbox pass failed (%s); will try again", type(error).__name__)
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.outbox_poll_seconds)

    async def deliver_due(self) -> int:
        """One pass: claim what is due and try each; returns how many were delivered."""
        claimed = await asyncio.to_thread(self._claim)
        delivered = 0
        for due in claimed:
            if await self._deliver(due):
                delivered += 1
        return delivered

    def _claim(self) -> list[DueMessage]:
        with session_factory(self.settings)() as session:
            return claim_due(session, utcnow(), CLAIM_LEASE)

    async def _deliver(self, due: DueMessage) -> bool:
        try:
            email = alert_email.compose(due, self.settings, self.tz)
            await asyncio.to_thread(alert_email.send, email, self.settings)
        except Exception as error:  # noqa: BLE001 - any failure means "retry later"
            delay = retry_delay(
                due.attempts,
                self.settings.outbox_retry_base_seconds,
                self.settings.outbox_retry_max_seconds,
            )
            reason = type(error).__name__  # never the text: a server reply may echo an address
            await asyncio.to_thread(self._record_failure, due.id, reason, delay)
            log.warning(
                "outbox row %s not delivered (attempt %d, %s); retry in %ds",
                due.id,
                due.attempts + 1,
                reason,
                delay.total_seconds(),
            )
            return False
        await asyncio.to_thread(self._record_delivery, due.id)
        log.info("outbox row %s delivered", due.id)
        return True

    def _record_failure(self, message_id: str, reason: str, delay: dt.timedelta) -> None:
        with session_factory(self.settings)() as session:
            mark_failed(session, message_id, utcnow(), reason, delay)

    def _record_delivery(self, message_id: str) -> None:
        with session_factory(self.settings)() as session:
            mark_delivered(session, message_id, utcnow())
