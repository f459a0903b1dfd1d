"""The Rasa client: what it sends, and every failure becoming RasaUnavailable."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from channels.rasa_client import RasaClient, RasaUnavailable, close_shared_clients, shared_client


def client_answering(handler) -> RasaClient:
    return RasaClient("http://rasa.test/", "secret-token", transport=httpx.MockTransport(handler))


async def test_send_posts_the_rest_channel_body_and_keeps_known_keys_only() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json=[{"recipient_id": "s", "text": "hi", "buttons": [], "custom": {}, "image": "x"}],
        )

    client = client_answering(handler)
    replies = await client.send("sender-123", "hello")
    await client.aclose()
    assert replies == [{"recipient_id": "s", "text": "hi", "buttons": [], "custom": {}}]
    assert seen[0].method == "POST"
    assert seen[0].url == "http://rasa.test/webhooks/rest/webhook"
    assert json.loads(seen[0].content) == {"sender": "sender-123", "message": "hello"}


async def test_wipe_replaces_the_tracker_events_with_none() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    client = client_answering(handler)
    await client.wipe("sender-123")
    await client.aclose()
    assert seen[0].method == "PUT"
    assert seen[0].url.path == "/conversations/sender-123/tracker/events"
    assert seen[0].url.params["token"] == "secret-token"
    assert json.loads(seen[0].content) == []


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, text="boom"),
        httpx.Response(503),
        httpx.Response(401),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"not": "a list"}),
        httpx.Response(200, json=["not a dict"]),
    ],
)
async def test_errors_and_odd_replies_are_rasa_unavailable(answer: httpx.Response) -> None:
    client = client_answering(lambda request: answer)
    with pytest.raises(RasaUnavailable):
        await client.send("sender-123", "hello")
    await client.aclose()


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("x")],
)
async def test_network_failures_are_rasa_unavailable(error: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    client = client_answering(handler)
    with pytest.raises(RasaUnavailable):
        await client.wipe("sender-123")
    await client.aclose()


async def test_one_pooled_client_per_event_loop_and_address() -> None:
    first = shared_client("http://127.0.0.1:1", "t", 1.0)
    assert shared_client("http://127.0.0.1:1", "t", 1.0) is first
    assert shared_client("http://127.0.0.1:2", "t", 1.0) is not first
    await close_shared_clients()
    assert shared_client("http://127.0.0.1:1", "t", 1.0) is not first
    await close_shared_clients()


def test_each_event_loop_gets_its_own_pool() -> None:
    async def make() -> RasaClient:
        return shared_client("http://127.0.0.1:1", "t", 1.0)

    first, second = asyncio.run(make()), asyncio.run(make())
    assert first is not second
    for client in (first, second):
        asyncio.run(client.aclose())
