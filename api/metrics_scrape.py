"""`GET /internal/metrics`: this process's counters (api/metrics.py) and the database's figures.

The backlogs and overdue alerts are counted when Prometheus scrapes, with a few COUNT/MIN
queries on indexed columns, so every replica reports the same shared figures and nothing is
kept up to date between scrapes. Served only with QD_INTERNAL_PORT, on the private listener.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.alerts.escalation import acknowledge_within
from api.alerts.models import Alert, OutboxMessage
from api.db import session_factory, utcnow
from api.metrics import REGISTRY
from api.settings import Settings, current_settings
from channels.messaging.models import InboundMessage


class BacklogCollector(Collector):
    """Backlogs and overdue alerts, counted from the shared database at scrape time."""

    def __init__(self, settings: Settings, now: dt.datetime) -> None:
        self.settings = settings
        self.now = now

    def collect(self) -> Iterator[Metric]:
        with session_factory(self.settings)() as session:
            yield from self._outbox(session)
            yield from self._inbox(session)
            yield from self._alerts(session)

    def _backlog(
        self, name: str, what: str, depth: int, oldest: dt.datetime | None
    ) -> list[Metric]:
        age = 0.0 if oldest is None else max(0.0, (self.now - oldest).total_seconds())
        return [
            GaugeMetricFamily(f"quietdoor_{name}_depth", f"{what} waiting.", value=depth),
            GaugeMetricFamily(
                f"quietdoor_{name}_oldest_age_seconds",
                f"Age of the oldest of the {what.lower()} waiting; 0 when none waits.",
                value=age,
            ),
        ]

    def _outbox(self, session: Session) -> list[Metric]:
        waiting = OutboxMessage.delivered_at.is_(None)
        depth, oldest = session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(waiting)
        ).one()
        return self._backlog("outbox", "Alert messages (e-mail) not yet delivered", depth, oldest)

    def _inbox(self, session: Session) -> list[Metric]:
        waiting = InboundMessage.state.in_(("processing", "waiting"))
        depth, oldest = session.execute(
            select(func.count(), func.min(InboundMessage.received_at)).where(waiting)
        ).one()
        return self._backlog("inbox", "Messaging deliveries not yet read by Rasa", depth, oldest)

    def _alerts(self, session: Session) -> list[Metric]:
        open_alerts = select(func.count()).select_from(Alert).where(Alert.acknowledged_at.is_(None))
        window_ended = self.now - acknowledge_within(self.settings)
        past_ack = session.scalar(open_alerts.where(Alert.created_at < window_ended)) or 0
        past_deadline = session.scalar(open_alerts.where(Alert.deadline_at < self.now)) or 0
        return [
            GaugeMetricFamily(
                "quietdoor_alerts_past_acknowledgement",
                "Alerts not acknowledged within QD_ACKNOWLEDGE_WITHIN_MINUTES of arriving.",
                value=past_ack,
            ),
            GaugeMetricFamily(
                "quietdoor_alerts_past_deadline",
                "Alerts not acknowledged by their response deadline.",
                value=past_deadline,
            ),
        ]


def exposition(settings: Settings, now: dt.datetime | None = None) -> bytes:
    """This process's counters, then the database's figures, in Prometheus' text format."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(BacklogCollector(settings, now or utcnow()))
    return generate_latest(REGISTRY) + generate_latest(scrape)


router = APIRouter(tags=["metrics"], include_in_schema=False)


@router.get("/internal/metrics")
def metrics(settings: Annotated[Settings, Depends(current_settings)]) -> Response:
    """Only with QD_INTERNAL_PORT, i.e. only on the private listener (api/internal_listener.py):
    without it every `/internal/*` path would be served on the one public listener."""
    if settings.internal_port is None:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return Response(exposition(settings), media_type=CONTENT_TYPE_LATEST)
