"""The outbox worker: escalates overdue alerts and delivers queued messages, with retries.

Each pass first queues the escalations that are due (`api.alerts.escalation`), then delivers, so
an escalation goes out in the pass that found it: the poll interval bounds its delay. It polls
every `outbox_poll_seconds`, and `wake()` makes it look at once, so a new emergency does not wait
for the next poll (see `api.background.PollingWorker`). Database and SMTP calls run in
threads so the event loop that also serves the web chat is never blocked. Logs carry message ids
and counts only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from api.alerts import email as alert_email
from api.alerts.escalation import EscalationResult, escalate_due
from api.alerts.service import DueMessage, claim_due, mark_delivered, mark_failed, retry_delay
from api.background import PollingWorker
from api.db import session_factory, utcnow
from api.org.profile import OrgProfile, profile_for
from api.settings import Settings

log = logging.getLogger("quietdoor.alerts")

#: How long a claimed message is left alone before another worker may try it.
CLAIM_LEASE = dt.timedelta(minutes=2)


class OutboxWorker(PollingWorker):
    """Sends due outbox messages until stopped; one per process is enough."""

    name = "outbox"

    def __init__(self, settings: Settings, profile: OrgProfile | None = None) -> None:
        super().__init__(
            poll_seconds=settings.outbox_poll_seconds,
            stop_timeout_seconds=settings.smtp_timeout_seconds + 5,
        )
        self.settings = settings
        self._profile = profile
        self._unrouted = 0

    @property
    def profile(self) -> OrgProfile:
        """The organisation (timezone, hours, 24-hour line) the wording needs; read lazily."""
        if self._profile is None:
            self._profile = profile_for(self.settings)
        return self._profile

    async def run_once(self) -> None:
        await self.escalate()
        await self.deliver_due()

    async def escalate(self) -> EscalationResult | None:
        """Queue the escalations now due; a failure is logged and delivery goes ahead anyway."""
        try:
            result = await asyncio.to_thread(self._escalate)
        except Exception as error:  # noqa: BLE001 - what is already queued must still go out
            log.error("escalation check failed (%s); will try again", type(error).__name__)
            return None
        if result.messages:
            log.info(
                "escalated %d alert(s), %d past their deadline: %d message(s) queued",
                result.escalated,
                result.deadline_missed,
                result.messages,
            )
        if result.unrouted != self._unrouted:  # said once, not at every poll
            if result.unrouted:
                log.warning(
                    "%d escalation(s) due with no active manager and no QD_ALERT_EMAILS",
                    result.unrouted,
                )
            self._unrouted = result.unrouted
        return result

    def _escalate(self) -> EscalationResult:
        with session_factory(self.settings)() as session:
            return escalate_due(session, utcnow(), self.settings)

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
            email = alert_email.compose(due, self.settings, self.profile, utcnow())
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
