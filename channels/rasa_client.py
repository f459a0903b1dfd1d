"""The gateway's only way to talk to Rasa: its REST channel and the conversation wipe.

One pooled `httpx.AsyncClient` per event loop and Rasa address, so a message costs no new TCP
connection. Any failure (cannot connect, timeout, 5xx, a reply that is not Rasa's list) becomes
`RasaUnavailable`, which the channels turn into the safety-net answer.

Nothing here logs a message, a sender id or the token: the wipe URL carries both the sender id
and the token, so httpx's own request log line is filtered for Rasa URLs.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any
from urllib.parse import quote

import httpx

log = logging.getLogger("quietdoor.channels.rasa")

REPLY_KEYS = ("recipient_id", "text", "buttons", "custom")


class RasaUnavailable(Exception):
    """Rasa could not be reached or answered with an error; the message was not processed."""


class _HideRasaUrls(logging.Filter):
    """Drop httpx's "HTTP Request: <url>" lines for URLs that hold a sender id or the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        url = str(record.args[1]) if isinstance(record.args, tuple) and len(record.args) > 1 else ""
        return "/conversations/" not in url and "token=" not in url


logging.getLogger("httpx").addFilter(_HideRasaUrls())


class RasaClient:
    """Rasa REST channel and HTTP API calls over one shared connection pool."""

    def __init__(
        self,
        base_url: str,
        token: str = "",
        *,
        timeout_seconds: float = 20.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds, connect=2.0, pool=5.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            transport=transport,
            trust_env=False,
        )

    async def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        """Post one message to the REST channel and return Rasa's replies (known keys only)."""
        response = await self._request(
            "POST", "/webhooks/rest/webhook", json={"sender": sender, "message": message}
        )
        try:
            replies = response.json()
        except ValueError as error:
            raise RasaUnavailable("Rasa replied with something that is not JSON") from error
        if not isinstance(replies, list) or not all(isinstance(r, dict) for r in replies):
            raise RasaUnavailable("Rasa replied with something that is not a list of messages")
        return [{k: r[k] for k in REPLY_KEYS if k in r} for r in replies]

    async def wipe(self, sender: str) -> None:
        """Replace the conversation's events with none: the expiring tracker store deletes it."""
        await self._request(
            "PUT",
            f"/conversations/{quote(sender, safe='')}/tracker/events",
            params={"token": self._token},
            json=[],
        )

    async def status(self) -> dict[str, Any]:
        """Rasa's /status (needs the token): tells whether a model is loaded."""
        response = await self._request("GET", "/status", params={"token": self._token})
        try:
            body = response.json()
        except ValueError as error:
            raise RasaUnavailable("Rasa /status is not JSON") from error
        if not isinstance(body, dict):
            raise RasaUnavailable("Rasa /status is not an object")
        return body

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as error:
            raise RasaUnavailable("Rasa did not answer in time") from error
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa could not be reached ({type(error).__name__})") from error
        if response.status_code >= 400:
            raise RasaUnavailable(f"Rasa answered {response.status_code}")
        return response


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, RasaClient]] = (
    weakref.WeakKeyDictionary()
)


def shared_client(base_url: str, token: str, timeout_seconds: float) -> RasaClient:
    """The pooled client for this event loop and Rasa address (created on first use).

    Keyed by loop because an httpx pool must not be shared between event loops (each test
    client runs its own loop; uvicorn runs one).
    """
    loop = asyncio.get_running_loop()
    per_loop = _clients.setdefault(loop, {})
    key = (base_url, token, timeout_seconds)
    if key not in per_loop:
        per_loop[key] = RasaClient(base_url, token, timeout_seconds=timeout_seconds)
    return per_loop[key]


async def close_shared_clients() -> None:
    """Close this loop's pooled clients (on application shutdown)."""
    loop = asyncio.get_running_loop()
    for client in _clients.pop(loop, {}).values():
        await client.aclose()
