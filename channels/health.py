"""Health for load balancers and for people: `/livez`, `/readyz` and `/healthz`.

- `GET /livez`: 200 while the process runs; it asks nothing else. For a supervisor that restarts
  a process that has hung.
- `GET /readyz`: 200 when this gateway can answer a person, which its own safety net counts as
  yes: with Rasa down a message still gets 999, the helpline and an honest sentence, so Rasa's
  state never makes it 503. The load balancer's check. 503 only while the app is starting (its
  workers and channels not up yet) or shutting down. A dependency every replica shares (Rasa,
  the database) never fails it: that would take every replica out at once, exactly when the
  safety net must answer. The body names the assistant's state, for a person reading it.
- `GET /healthz`: the assistant (Rasa with a model, and the action server). 200 only when both
  answer; 503 names the part that is down and nothing else (no addresses, no tokens). For
  people, monitoring, and `make run`, which waits for it before saying the product is up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from api.settings import Settings, current_settings
from channels.rasa_client import RasaUnavailable, has_model, shared_client

CHECK_TIMEOUT_SECONDS = 0.8
"""Each check's limit (they run at once): every probe answers within a second whatever Rasa
does, so a load balancer's probe never piles up behind a Rasa that hangs."""

OK = "ok"


@asynccontextmanager
async def _serving(app: FastAPI) -> AsyncIterator[None]:
    """Ready from when everything else has started until shutdown begins.

    A router's lifespan runs inside the app's own (api/app.py): entered after the workers and
    channels have started, left before they stop.
    """
    app.state.serving = True
    try:
        yield
    finally:
        app.state.serving = False


router = APIRouter(lifespan=_serving, tags=["health"])


async def _rasa_state(settings: Settings) -> str:
    """ "ok", "no model loaded" or "down"."""
    client = shared_client(
        settings.rasa_url, settings.rasa_token.get_secret_value(), settings.rasa_timeout_seconds
    )
    try:
        status = await asyncio.wait_for(client.status(), CHECK_TIMEOUT_SECONDS)
    except (RasaUnavailable, asyncio.TimeoutError):
        return "down"
    return OK if has_model(status) else "no model loaded"


async def _actions_state(settings: Settings) -> str:
    url = f"{settings.actions_url.rstrip('/')}/health"
    try:
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_SECONDS, trust_env=False) as http:
            response = await asyncio.wait_for(http.get(url), CHECK_TIMEOUT_SECONDS)
    except (httpx.HTTPError, asyncio.TimeoutError):
        return "down"
    return OK if response.status_code == 200 else "down"


async def assistant_state(settings: Settings) -> dict[str, str]:
    """Rasa's and the action server's states, asked at once."""
    rasa, actions = await asyncio.gather(_rasa_state(settings), _actions_state(settings))
    return {"rasa": rasa, "action_server": actions}


@router.get("/livez")
async def livez() -> JSONResponse:
    return JSONResponse({"status": "alive"})


@router.get("/readyz")
async def readyz(
    request: Request, settings: Annotated[Settings, Depends(current_settings)]
) -> JSONResponse:
    assistant = await assistant_state(settings)
    up = all(state == OK for state in assistant.values())
    body = {"assistant": "ok" if up else "down", **assistant}
    if not getattr(request.app.state, "serving", False):
        return JSONResponse({"status": "not ready", **body}, status_code=503)
    return JSONResponse({"status": "ready", **body})


@router.get("/healthz")
async def healthz(settings: Annotated[Settings, Depends(current_settings)]) -> JSONResponse:
    assistant = await assistant_state(settings)
    if all(state == OK for state in assistant.values()):
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable", **assistant}, status_code=503)
