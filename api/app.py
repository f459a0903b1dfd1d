"""Build the gateway: channels in front, the case service and staff pages behind."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from api.alerts.worker import OutboxWorker
from api.cases.router import router as cases_router
from api.casework.api_router import router as casework_api_router
from api.casework.pages import router as casework_pages_router
from api.crypto.keys import key_problems
from api.errors import validation_error_without_input
from api.internal_listener import InternalRoutesOnPrivateListener
from api.metrics import RequestMetrics
from api.metrics_scrape import router as metrics_router
from api.migrate import prepare_schema
from api.org.profile import profile_for
from api.org.router import router as org_router
from api.retention.worker import RetentionWorker
from api.settings import Settings, current_settings, get_settings
from api.staff.router import router as staff_router
from api.startup_checks import refuse_unsafe_start
from channels.health import router as health_router
from channels.logging_policy import quiet_chatty_loggers
from channels.messaging.service import messaging_channels
from channels.telegram.router import router as telegram_router
from channels.twilio.router import router as twilio_router
from channels.web.headers import SecurityHeadersMiddleware
from channels.web.router import router as web_router

MAX_REQUEST_BODY_BYTES = 128 * 1024
"""Every request body, on every route, before any route, dependency or sign-in check reads it.

A 413 for anything larger: an 80 MB body sent without credentials was read whole before the
401, and a few at once could take down every channel and the 999 safety net with them. The
largest body a real client sends is a report from the action server with every free-text answer
at its limit (6,500 characters in all), each escaped in JSON as up to 12 bytes (a surrogate pair
of \\uXXXX): under 80 KB. The channels' own limits are tighter still (16 KB).
"""

log = logging.getLogger("quietdoor.gateway")


def create_app(settings: Settings | None = None) -> FastAPI:
    """One app per process; tests pass their own settings instead of the environment's.

    Only their settings are put in as a dependency override: with any override at all, FastAPI
    rebuilds every dependency's signature on every request, CPU the event loop that answers
    emergencies cannot spare under load. From the environment, `current_settings` is already right.
    """
    given = settings is not None
    settings = settings or get_settings()
    profile = profile_for(settings)
    quiet_chatty_loggers()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        refuse_unsafe_start(settings)  # production: keys, https, SMTP TLS, schema at head
        prepare_schema(settings)  # development migrates; production never (make migrate)
        for problem in key_problems(settings):
            log.error("%s (reports cannot be stored until this is fixed)", problem)
        for name in profile.unverified():
            log.warning("unverified organisation data, confirm before going live: %s", name)
        worker = OutboxWorker(settings)
        app.state.outbox = worker
        worker.start()
        retention = RetentionWorker(settings)  # at start-up, then every QD_RETENTION_POLL_HOURS
        app.state.retention = retention
        retention.start()
        try:
            async with messaging_channels(app, settings, profile):
                yield
        finally:
            await retention.stop()
            await worker.stop()

    app = FastAPI(
        title="Quiet Door",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        max_body_size=MAX_REQUEST_BODY_BYTES,
    )
    if given:
        app.dependency_overrides[current_settings] = lambda: settings
    if settings.internal_port is not None:  # the case service's write path: loopback only
        app.add_middleware(InternalRoutesOnPrivateListener, internal_port=settings.internal_port)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestMetrics)  # outermost: every answer counted, 404s and 413s too
    app.add_exception_handler(RequestValidationError, validation_error_without_input)
    routers = (web_router, twilio_router, telegram_router, health_router, org_router)
    staff = (staff_router, casework_pages_router, casework_api_router)
    for router in (*routers, cases_router, metrics_router, *staff):
        app.include_router(router)
    return app
