"""The retention worker: runs `purge` at start-up and then every `retention_poll_hours`.

Logs counts only, never which cases. A failed pass (database locked, hash key missing) is
logged by exception type by `PollingWorker` and tried again at the next poll.
"""

from __future__ import annotations

import asyncio
import logging

from api.background import PollingWorker
from api.db import session_factory, utcnow
from api.retention.service import RetentionResult, purge
from api.settings import Settings

log = logging.getLogger("quietdoor.retention")


class RetentionWorker(PollingWorker):
    """One per process is enough; several (replicas) are safe: purge serialises on the audit
    chain's lock, so a case is deleted, and audited, once."""

    name = "retention"

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            poll_seconds=settings.retention_poll_hours * 3600,
            stop_timeout_seconds=30,
        )
        self.settings = settings

    async def run_once(self) -> None:
        result = await asyncio.to_thread(self.purge_now)
        if result.cases_deleted or result.codes_expired:
            log.info(
                "retention: %d closed cases deleted, %d follow-up codes expired",
                result.cases_deleted,
                result.codes_expired,
            )

    def purge_now(self) -> RetentionResult:
        with session_factory(self.settings)() as session:
            return purge(session, utcnow(), self.settings)
