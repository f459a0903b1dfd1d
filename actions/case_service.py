"""Async client for the case service's `/internal/*` API (docs/architecture.md).

Every failure becomes `CaseServiceError` so callers can fall back to a safe reply. Log lines
carry the method, path and status only: never a request body, a phone number or a reference.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
TIMEOUT_SECONDS = 5.0
ORG_CACHE_SECONDS = 600.0

_org_cache: dict[str, Any] = {}


class CaseServiceError(Exception):
    """The case service was unreachable or refused the request."""


def base_url() -> str:
    """Read per call, so tests and deployments can point the actions elsewhere."""
    return os.environ.get("QD_CASE_SERVICE_URL", DEFAULT_BASE_URL).rstrip("/")


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {os.environ.get('QD_SERVICE_TOKEN', '')}"}


async def _request(
    method: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.request(
                method, base_url() + path, params=params, json=payload, headers=_headers()
            ) as response,
        ):
            if response.status >= 400:
                logger.warning("case service %s %s -> %s", method, path, response.status)
                raise CaseServiceError(f"HTTP {response.status}")
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        logger.warning("case service %s %s failed: %s", method, path, type(exc).__name__)
        raise CaseServiceError(type(exc).__name__) from exc
    if not isinstance(body, dict):
        raise CaseServiceError("unexpected response body")
    return body


async def get_org() -> dict[str, Any] | None:
    """The organisation profile, cached for a while: it changes rarely and is on every path.

    When the service is down the last profile seen is still returned, so a fallback reply can
    give the right nation's 24-hour line; None only if none was ever seen. Failures are not
    cached, so the next call retries.
    """
    cached = _org_cache.get("org")
    if cached and time.monotonic() - _org_cache["at"] < ORG_CACHE_SECONDS:
        return cached
    try:
        org = await _request("GET", "/internal/org")
    except CaseServiceError:
        return cached
    _org_cache.update(org=org, at=time.monotonic())
    return org


def clear_org_cache() -> None:
    """Forget the cached organisation (tests, or after a profile change)."""
    _org_cache.clear()


async def get_helplines(need: str, nation: str | None) -> list[dict[str, Any]]:
    """Helplines for a need, best first. Raises CaseServiceError if the service is down."""
    params = {"need": need}
    if nation:
        params["nation"] = nation
    body = await _request("GET", "/internal/helplines", params=params)
    helplines = body.get("helplines")
    return [h for h in helplines if isinstance(h, dict)] if isinstance(helplines, list) else []


async def create_case(payload: dict[str, Any]) -> dict[str, Any]:
    """POST a report. The idempotency key in the payload makes a retry safe."""
    return await _request("POST", "/internal/cases", payload=payload)
