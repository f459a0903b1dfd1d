"""Prometheus metrics of the gateway, served only on its private listener (`/internal/metrics`).

This module holds the counters and is light to import (the channels and the Rasa client call it);
the database's figures and the route are in api/metrics_scrape.py.

What an operator needs to see trouble before a person does: requests and latency per channel,
Rasa's latency and failures, how often the gateway's own safety net answered, the inbox and
outbox backlogs, and alerts nobody acknowledged in time.

No label may identify a person: the only labels are `channel`, `outcome` and `kind`, each from a
fixed set below (`LABEL_VALUES`); anything else is counted as "other". A request's path, a
sender, a case or an address is never a label. The backlog and alert figures are counted from
the database when Prometheus scrapes (a few indexed COUNT/MIN queries), so every replica
reports the same shared figures and nothing has to be kept up to date between scrapes.

Each process has its own counters (`REGISTRY`); with several workers or replicas Prometheus
scrapes each and sums them.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CHANNELS = ("web", "sms", "whatsapp", "telegram", "follow_up", "staff", "other")
OUTCOMES = ("ok", "refused", "error")
"""A request's outcome: 2xx/3xx ok, 4xx refused, 5xx error; a Rasa call's: ok or error."""
SAFETY_NET_KINDS = ("emergency", "holding", "kept", "not_taken")
"""emergency: the numbers at once, before Rasa; holding: Rasa slow, the answer follows;
kept: Rasa down, the message kept to be read later; not_taken: nothing kept, send it again."""
LABEL_VALUES = {"channel": CHANNELS, "outcome": OUTCOMES, "kind": SAFETY_NET_KINDS}

CHANNEL_PATHS = (
    ("/chat/follow-up", "follow_up"),
    ("/webhooks/rest/", "web"),
    ("/chat/", "web"),
    ("/privacy", "web"),
    ("/webhooks/twilio/", "sms"),
    ("/webhooks/telegram/", "telegram"),
    ("/staff", "staff"),
    ("/api/", "staff"),
)
"""The channel of a path, first prefix that matches; `/` is the web chat's page. A Twilio
webhook is SMS until its router finds it is WhatsApp (`set_channel`)."""

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "quietdoor_requests",
    "HTTP requests answered, by channel and outcome.",
    ["channel", "outcome"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "quietdoor_request_seconds",
    "Time to answer an HTTP request, by channel.",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
    registry=REGISTRY,
)
RASA_SECONDS = Histogram(
    "quietdoor_rasa_seconds",
    "Time Rasa took to answer a message, by outcome (error: down, slow past the timeout, bad).",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32),
    registry=REGISTRY,
)
SAFETY_NET = Counter(
    "quietdoor_safety_net_answers",
    "Answers the gateway gave itself instead of Rasa's, by channel and kind.",
    ["channel", "kind"],
    registry=REGISTRY,
)


def _fixed(label: str, value: str) -> str:
    return value if value in LABEL_VALUES[label] else "other"


def channel_of(path: str) -> str:
    if path == "/":
        return "web"
    return next((channel for prefix, channel in CHANNEL_PATHS if path.startswith(prefix)), "other")


def outcome_of(status: int) -> str:
    return "error" if status >= 500 else "refused" if status >= 400 else "ok"


def set_channel(request: Request, channel: str) -> None:
    """Let a router name the channel a path cannot (a Twilio webhook that is WhatsApp)."""
    request.state.metrics_channel = channel


def safety_net_answered(channel: str, kind: str) -> None:
    SAFETY_NET.labels(
        _fixed("channel", channel), kind if kind in SAFETY_NET_KINDS else "other"
    ).inc()


def rasa_answered(seconds: float, *, ok: bool) -> None:
    RASA_SECONDS.labels("ok" if ok else "error").observe(seconds)


class RequestMetrics:
    """ASGI middleware: every HTTP request counted and timed under its channel's label."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # a request that raises is an error

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            state = scope.get("state") or {}
            named = state.get("metrics_channel") if isinstance(state, dict) else None
            channel = _fixed("channel", named or channel_of(scope["path"]))
            REQUESTS.labels(channel, outcome_of(status)).inc()
            REQUEST_SECONDS.labels(channel).observe(time.perf_counter() - started)
