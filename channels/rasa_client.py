"""The gateway's only way to talk to Rasa: its REST channel and the conversation wipe.

One pooled `aiohttp.ClientSession` per event loop and Rasa address, so a message costs no new
TCP connection. aiohttp rather than httpx because the gateway may add less than 10% latency
over talking to Rasa directly: on loopback an aiohttp POST costs about a quarter of an httpx
one. Any failure (cannot connect, timeout, an error status, a reply that is not Rasa's list)
becomes `RasaUnavailable`, which the channels turn into the safety-net answer.

Several Rasa workers (`QD_RASA_URLS`, comma-separated) share the load: each sender is routed to
one of them by a stable hash of the sender id (`worker_for`), so a worker's in-memory tracker
keeps the whole conversation and quick exit's wipe reaches the worker that holds it.

Nothing here logs a message, a sender id or the token. The wipe and status URLs carry the
token (and the wipe URL the sender id), and aiohttp puts the full URL into some exception
messages (a connect timeout, for one), so `RasaUnavailable` names only the kind of failure and
does not chain aiohttp's exception: a traceback logged further up cannot leak the URL.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from api import metrics
from channels.rasa_workers import worker_for

REPLY_KEYS = ("recipient_id", "text", "buttons", "custom")

GATEWAY_CHANNEL_PATH = "/webhooks/gateway/webhook"
"""Rasa's input channel for the gateway (`bot/gateway_channel.py`): REST plus metadata."""

CONNECT_TIMEOUT_SECONDS = 2.0
"""Opening a TCP connection to Rasa; a Rasa that is down should fail fast."""

POOL_WAIT_SECONDS = 5.0
"""Waiting for a free pooled connection (all `MAX_CONNECTIONS` busy) plus opening one."""

MAX_CONNECTIONS = 100

IN_FLIGHT_PER_WORKER = 4
"""Messages one Rasa worker is given at once; the rest wait here, first come first served.

A Rasa worker is one Python thread: given 25 messages at once it interleaves them all, so a
message that needs three custom actions queues behind everyone three times. Measured under 50
conversations on 2 cores (README, "The dialogue engine"): with 4 at a time p95 was 1.3 to 1.6
times p50, against 1.8 to 3.1 unlimited, and throughput rose from about 96 to 110 msg/s
(2 gave the same, 8 a longer tail). A wipe is never held here: quick exit does not queue.
"""


class RasaUnavailable(Exception):
    """Rasa could not be reached or answered with an error.

    `retryable` is True only when Rasa certainly did not read the message (no connection, or
    503: no model loaded yet), so sending it again later cannot make Rasa read it twice. After
    a timeout or an error status Rasa may have acted on it: the person is asked to resend.
    """

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.retryable = retryable


def rasa_urls(setting: str) -> list[str]:
    """The worker addresses in a `QD_RASA_URLS`-style setting: one, or several by commas."""
    urls = [str(URL(url.strip().rstrip("/"))) for url in setting.split(",") if url.strip()]
    if not urls:
        raise ValueError("no Rasa address given")
    return urls


def has_model(status: dict[str, Any]) -> bool:
    """Whether a Rasa /status answer says a model is loaded."""
    return bool(status.get("model_file") or status.get("model_id"))


class RasaClient:
    """Rasa REST channel and HTTP API calls over one shared connection pool.

    `base_url` is one Rasa address or several separated by commas (the workers); a sender's
    messages and wipe always go to the same worker.

    The aiohttp session is created on first use, inside the running event loop: an aiohttp
    session belongs to the loop it was created in and must not be created outside one.
    """

    def __init__(self, base_url: str, token: str = "", *, timeout_seconds: float = 20.0) -> None:
        self._base_urls = rasa_urls(base_url)
        self._token = token
        self._timeout = aiohttp.ClientTimeout(
            total=timeout_seconds, connect=POOL_WAIT_SECONDS, sock_connect=CONNECT_TIMEOUT_SECONDS
        )
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._gates: dict[str, asyncio.Semaphore] = {}

    async def send(
        self,
        sender: str,
        message: str,
        *,
        channel: str = "web",
        wording: str = "web",
        address_key: str | None = None,
    ) -> list[dict[str, Any]]:
        """Post one message to Rasa's gateway channel and return its replies (known keys only).

        `channel` tells the actions where the report came from; `wording` picks the response
        variations (`web`, or `discreet` / `plain` on messaging channels). `address_key` (web
        chat) is the keyed hash of the person's address, which the actions pass on with a report
        for the case service's report cap; it lives in Rasa only as long as the conversation.
        """
        metadata = {"channel": channel, "wording": wording}
        if address_key is not None:
            metadata["address_key"] = address_key
        worker = self._worker(sender)
        async with self._gate(worker):
            started = time.perf_counter()  # Rasa's time, not the wait for a place at the gate
            try:
                replies = _replies(
                    await self._request(
                        "POST",
                        worker + GATEWAY_CHANNEL_PATH,
                        json={"sender": sender, "message": message, "metadata": metadata},
                    )
                )
            except RasaUnavailable:
                metrics.rasa_answered(time.perf_counter() - started, ok=False)
                raise
        metrics.rasa_answered(time.perf_counter() - started, ok=True)
        return replies

    async def wipe(self, sender: str) -> None:
        """Replace the conversation's events with none: the expiring tracker store deletes it."""
        await self._request(
            "PUT",
            f"{self._worker(sender)}/conversations/{quote(sender, safe='')}/tracker/events",
            params={"token": self._token},
            json=[],
        )

    async def status(self) -> dict[str, Any]:
        """Every worker's /status (needs the token), asked at once: ready only when all are.

        Any worker down is `RasaUnavailable`; a worker without a model gives its own answer
        (see `has_model`); otherwise the first worker's answer. A conversation routed to a
        worker that cannot reply would get only the safety net, so one such worker is enough
        to say the assistant is not ready.
        """
        statuses = await asyncio.gather(*(self._status(url) for url in self._base_urls))
        return next((status for status in statuses if not has_model(status)), statuses[0])

    async def _status(self, base_url: str) -> dict[str, Any]:
        """One worker's /status."""
        body = await self._request("GET", base_url + "/status", params={"token": self._token})
        try:
            status = json.loads(body)
        except ValueError:
            raise RasaUnavailable("Rasa /status is not JSON") from None
        if not isinstance(status, dict):
            raise RasaUnavailable("Rasa /status is not an object")
        return status

    async def aclose(self) -> None:
        """Close the pool; like a closed httpx client, this client cannot be used again."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _pool(self) -> aiohttp.ClientSession:
        """The session, created in the running loop on first use (see the class docstring)."""
        if self._closed:
            raise RuntimeError("this RasaClient has been closed")
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS),
                timeout=self._timeout,
                trust_env=False,
            )
        return self._session

    def _gate(self, worker: str) -> asyncio.Semaphore:
        """The worker's IN_FLIGHT_PER_WORKER places, made once on first use."""
        if worker not in self._gates:
            self._gates[worker] = asyncio.Semaphore(IN_FLIGHT_PER_WORKER)
        return self._gates[worker]

    def _worker(self, sender: str) -> str:
        """The address of the worker that holds this sender's conversation."""
        return self._base_urls[worker_for(sender, len(self._base_urls))]

    async def _request(self, method: str, url_text: str, **kwargs: Any) -> bytes:
        """Rasa's answer body; every way of not getting a good answer is `RasaUnavailable`.

        The body is read even for an error status so that the connection goes back to the
        pool instead of being closed. The URL's path is already quoted (`encoded=True`) so that a
        sender id's "%2F" reaches Rasa as it was sent.
        """
        url = URL(url_text, encoded=True)
        try:
            async with self._pool().request(method, url, **kwargs) as response:
                body = await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
            reason = f"Rasa could not be reached ({type(error).__name__})"
            raise RasaUnavailable(reason, retryable=True) from None
        except asyncio.TimeoutError:
            raise RasaUnavailable("Rasa did not answer in time") from None
        except aiohttp.ClientError as error:
            raise RasaUnavailable(f"Rasa could not be reached ({type(error).__name__})") from None
        if response.status >= 400:
            retryable = response.status == 503
            raise RasaUnavailable(f"Rasa answered {response.status}", retryable=retryable)
        return body


def _replies(body: bytes) -> list[dict[str, Any]]:
    """Rasa's list of replies, known keys only; anything else is `RasaUnavailable`."""
    try:
        replies = json.loads(body)
    except ValueError:
        raise RasaUnavailable("Rasa replied with something that is not JSON") from None
    if not isinstance(replies, list) or not all(isinstance(r, dict) for r in replies):
        raise RasaUnavailable("Rasa replied with something that is not a list of messages")
    return [{k: r[k] for k in REPLY_KEYS if k in r} for r in replies]


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, RasaClient]] = (
    weakref.WeakKeyDictionary()
)


def shared_client(base_url: str, token: str, timeout_seconds: float) -> RasaClient:
    """The pooled client for this event loop and Rasa address(es) (created on first use).

    Keyed by loop because an aiohttp session must not be shared between event loops (each test
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
