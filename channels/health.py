"""`GET /healthz`: ready only when Rasa has a model loaded and the action server answers.

A 503 names the part that is down and nothing else (no addresses, no tokens).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.settings import Settings, current_settings
from channels.rasa_client import RasaUnavailable, shared_client

CHECK_TIMEOUT_SECONDS = 0.8
"""Each check's limit (they run at once): /healthz answers within a second whatever Rasa does,
so a load balancer's probe never piles up behind a Rasa that hangs."""

router = APIRouter(tags=["health"])


async def _rasa_state(settings: Settings) -> str:
    """ "ok", "no model loaded" or "down"."""
    client = shared_client(
        settings.rasa_url, settings.rasa_token.get_secret_value(), settings.rasa_timeout_seconds
    )
    try:
        status = await asyncio.wait_for(client.status(), CHECK_TIMEOUT_SECONDS)
    except (RasaUnavailable, asyncio.TimeoutError):
        return "down"
    return "ok" if status.get("model_file") or status.get("model_id") else "no model loaded"


async def _actions_state(settings: Settings) -> str:
    url = f"{settings.actions_url.rstrip('/')}/health"
    try:
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_SECONDS, trust_env=False) as http:
            response = await asyncio.wait_for(http.get(url), CHECK_TIMEOUT_SECONDS)
    except (httpx.HTTPError, asyncio.TimeoutError):
        return "down"
    return "ok" if response.status_code == 200 else "down"


@router.get("/healthz")
async def healthz(settings: Annotated[Settings, Depends(current_settings)]) -> JSONResponse:
    rasa, actions = await asyncio.gather(_rasa_state(settings), _actions_state(settings))
    if rasa == "ok" and actions == "ok":
        return JSONResponse({"status": "ok"})
    return JSONResponse(
        {"status": "unavailable", "rasa": rasa, "action_server": actions}, status_code=503
    )
