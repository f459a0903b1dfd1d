"""Conversations over a web chat JSON endpoint, and the bounded loop that runs many at once.

Shared by every part of `make bench` that talks web chat: Quiet Door's gateway, Rasa's gateway
channel straight, and the stock bot's REST channel all take {"sender", "message"} and answer with
the replies when the HTTP answer comes.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

import httpx

from bench.stats import Sample

#: Quiet Door's script: two button presses, then two typed lines.
SCRIPT = ("/greet", "/affirm", "what is the number for a helpline", "thank you")
EMERGENCY = "he has a knife and says he will kill me"

#: One conversation over a path: sends the script and records each message's time in the sample.
Conversation = Callable[[httpx.AsyncClient, Sample], Awaitable[None]]


async def timed(sample: Sample, request: Awaitable[httpx.Response]) -> httpx.Response:
    """One message; on every path measured the replies are done when the HTTP answer is."""
    started = time.perf_counter()
    answer = await request
    answer.raise_for_status()
    sample.latencies.append(time.perf_counter() - started)
    sample.messages += 1
    return answer


def web_chat(url: str, script: Sequence[str] = SCRIPT) -> Conversation:
    """A new sender saying `script` over the web chat JSON at `url`."""

    async def converse(client: httpx.AsyncClient, sample: Sample) -> None:
        sender = uuid.uuid4().hex
        for text in script:
            await timed(sample, client.post(url, json={"sender": sender, "message": text}))

    return converse


async def run_load(
    converse: Conversation, concurrency: int, conversations: int, sample: Sample
) -> None:
    """`conversations` conversations, at most `concurrency` at a time; adds the wall time."""
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)

    async def one(client: httpx.AsyncClient) -> None:
        async with gate:
            await converse(client, sample)

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(conversations)))
        sample.wall += time.perf_counter() - started
