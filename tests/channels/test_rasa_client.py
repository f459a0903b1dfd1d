"""The Rasa client against real local HTTP servers: what it sends, connection reuse, every
failure becoming RasaUnavailable (without the token or sender id in the error), and each sender
routed to one of several workers."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from urllib.parse import parse_qs

import pytest
from channel_standins import RASA_TOKEN, ServerThread, StandInRasa, closed_port_url

from api.settings import Settings
from channels.rasa_client import (
    IN_FLIGHT_PER_WORKER,
    RasaClient,
    RasaUnavailable,
    close_shared_clients,
    has_model,
    rasa_urls,
    shared_client,
    worker_for,
)

SENDER = "sender-123"


@pytest.fixture(scope="module")
def own_rasa() -> Iterator[tuple[StandInRasa, ServerThread]]:
    """A stand-in Rasa for this module only, so scripted answers reach no other test."""
    rasa = StandInRasa()
    server = ServerThread(rasa.app()).start()
    yield rasa, server
    server.stop()


@pytest.fixture
def rasa(own_rasa: tuple[StandInRasa, ServerThread]) -> StandInRasa:
    own_rasa[0].reset()
    return own_rasa[0]


@pytest.fixture
def rasa_url(own_rasa: tuple[StandInRasa, ServerThread]) -> str:
    return own_rasa[1].url


@pytest.fixture
async def client(rasa_url: str) -> AsyncIterator[RasaClient]:
    client = RasaClient(rasa_url + "/", RASA_TOKEN)
    yield client
    await client.aclose()


# ---------- what goes over the wire ----------


async def test_send_posts_to_the_gateway_channel_with_metadata_and_keeps_known_keys_only(
    rasa: StandInRasa, client: RasaClient
) -> None:
    rasa.answer_next(
        body=json.dumps(
            [{"recipient_id": "s", "text": "hi", "buttons": [], "custom": {}, "image": "x"}]
        )
    )
    replies = await client.send(SENDER, "hello")
    assert replies == [{"recipient_id": "s", "text": "hi", "buttons": [], "custom": {}}]
    [seen] = rasa.requests
    assert (seen.method, seen.raw_path, seen.query) == ("POST", "/webhooks/gateway/webhook", "")
    assert seen.headers["content-type"].startswith("application/json")
    assert json.loads(seen.body) == {
        "sender": SENDER,
        "message": "hello",
        "metadata": {"channel": "web", "wording": "web"},
    }


async def test_send_tells_rasa_the_channel_and_the_wording(
    rasa: StandInRasa, client: RasaClient
) -> None:
    await client.send(SENDER, "hello", channel="sms", wording="discreet")
    assert rasa.metadata == [{"channel": "sms", "wording": "discreet"}]


async def test_send_returns_what_the_rest_channel_answers(
    rasa: StandInRasa, client: RasaClient
) -> None:
    assert await client.send(SENDER, "/greet") == [
        {
            "recipient_id": SENDER,
            "text": "Hello. Is it safe for you to talk right now?",
            "buttons": [
                {"title": "Yes, it is safe", "payload": "/affirm"},
                {"title": "No, not now", "payload": "/deny"},
            ],
        }
    ]
    assert rasa.sent_by(SENDER) == ["/greet"]


async def test_wipe_replaces_the_tracker_events_with_none(
    rasa: StandInRasa, client: RasaClient
) -> None:
    await client.wipe(SENDER)
    [seen] = rasa.requests
    assert (seen.method, seen.raw_path) == ("PUT", f"/conversations/{SENDER}/tracker/events")
    assert seen.query == f"token={RASA_TOKEN}"
    assert seen.headers["content-type"].startswith("application/json")
    assert json.loads(seen.body) == []
    assert rasa.wipes == [(SENDER, RASA_TOKEN, [])]


async def test_wipe_quotes_the_sender_id_into_one_path_segment(
    rasa: StandInRasa, client: RasaClient
) -> None:
    rasa.answer_next(body="{}")  # the stand-in's router would decode "%2F" and not match
    await client.wipe("a/b c?d%e")
    [seen] = rasa.requests
    assert seen.raw_path == "/conversations/a%2Fb%20c%3Fd%25e/tracker/events"
    assert seen.query == f"token={RASA_TOKEN}"


async def test_the_token_is_quoted_into_the_query(rasa: StandInRasa, rasa_url: str) -> None:
    token = "a&b=c d+e/f%"
    client = RasaClient(rasa_url, token)
    rasa.answer_next(body="{}")
    await client.status()
    await client.aclose()
    assert parse_qs(rasa.requests[0].query) == {"token": [token]}


async def test_status_gets_status_with_the_token(rasa: StandInRasa, client: RasaClient) -> None:
    assert await client.status() == {"model_file": "models/stand-in.tar.gz", "model_id": "abc"}
    [seen] = rasa.requests
    assert (seen.method, seen.raw_path, seen.query) == ("GET", "/status", f"token={RASA_TOKEN}")
    assert seen.body == b""


async def test_messages_reuse_one_pooled_connection(rasa: StandInRasa, client: RasaClient) -> None:
    for _ in range(5):
        await client.send(SENDER, "hello")
    await client.wipe(SENDER)
    await client.status()
    assert len({seen.client_port for seen in rasa.requests}) == 1


# ---------- failures ----------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, "boom"),
        (503, ""),
        (401, ""),
        (200, "not json"),
        (200, json.dumps({"not": "a list"})),
        (200, json.dumps(["not a dict"])),
        (200, json.dumps([{"text": "fine"}, "not a dict"])),
    ],
)
async def test_errors_and_odd_replies_are_rasa_unavailable(
    rasa: StandInRasa, client: RasaClient, status: int, body: str
) -> None:
    rasa.answer_next(status, body)
    with pytest.raises(RasaUnavailable):
        await client.send(SENDER, "hello")


async def test_a_reply_not_labelled_json_is_still_read(
    rasa: StandInRasa, client: RasaClient
) -> None:
    rasa.answer_next(body=json.dumps([{"text": "hi"}]), content_type="text/plain")
    assert await client.send(SENDER, "hello") == [{"text": "hi"}]


async def test_the_connection_survives_an_error_answer(
    rasa: StandInRasa, client: RasaClient
) -> None:
    rasa.answer_next(500, "boom")
    with pytest.raises(RasaUnavailable):
        await client.send(SENDER, "hello")
    await client.send(SENDER, "hello")
    assert len({seen.client_port for seen in rasa.requests}) == 1


async def test_a_wipe_rasa_refuses_is_rasa_unavailable(rasa: StandInRasa, rasa_url: str) -> None:
    client = RasaClient(rasa_url, "wrong-token")
    with pytest.raises(RasaUnavailable, match="401"):
        await client.wipe(SENDER)
    await client.aclose()


@pytest.mark.parametrize(("status", "body"), [(500, "{}"), (200, "not json"), (200, "[]")])
async def test_odd_status_answers_are_rasa_unavailable(
    rasa: StandInRasa, client: RasaClient, status: int, body: str
) -> None:
    rasa.answer_next(status, body)
    with pytest.raises(RasaUnavailable):
        await client.status()


def _calls(client: RasaClient) -> list[Callable[[], Awaitable[object]]]:
    return [lambda: client.send(SENDER, "hello"), lambda: client.wipe(SENDER), client.status]


async def test_connection_refused_is_rasa_unavailable() -> None:
    client = RasaClient(closed_port_url(), RASA_TOKEN)
    for call in _calls(client):
        with pytest.raises(RasaUnavailable, match="could not be reached"):
            await call()
    await client.aclose()


async def test_a_slow_rasa_is_rasa_unavailable_after_the_timeout(
    rasa: StandInRasa, rasa_url: str
) -> None:
    client = RasaClient(rasa_url, RASA_TOKEN, timeout_seconds=0.3)
    rasa.answer_next(body="[]", delay=1.5)
    started = time.monotonic()
    with pytest.raises(RasaUnavailable, match="in time"):
        await client.send(SENDER, "hello")
    assert time.monotonic() - started < 1.2
    await client.aclose()


async def _broken_server(answer: bytes) -> asyncio.Server:
    """A TCP server that reads the request, writes `answer` (maybe nothing) and hangs up."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(answer)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.mark.parametrize(
    "answer", [b"", b"NOT HTTP AT ALL\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n["]
)
async def test_broken_http_answers_are_rasa_unavailable(answer: bytes) -> None:
    server = await _broken_server(answer)
    port = server.sockets[0].getsockname()[1]
    client = RasaClient(f"http://127.0.0.1:{port}", RASA_TOKEN)
    with pytest.raises(RasaUnavailable, match="could not be reached"):
        await client.wipe(SENDER)
    await client.aclose()
    server.close()
    await server.wait_closed()


async def test_failures_name_neither_the_sender_nor_the_token(
    rasa: StandInRasa, rasa_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp puts whole URLs into some of its errors; none of that may reach our errors."""
    caplog.set_level(logging.DEBUG)
    sender = "secret-sender-id"
    errors: list[RasaUnavailable] = []
    for url, timeout, delay in [(rasa_url, 0.3, 1.0), (closed_port_url(), 5.0, 0.0)]:
        client = RasaClient(url, RASA_TOKEN, timeout_seconds=timeout)
        rasa.answer_next(body="{}", delay=delay)
        with pytest.raises(RasaUnavailable) as raised:
            await client.wipe(sender)
        errors.append(raised.value)
        await client.aclose()
    for error in errors:
        assert error.__cause__ is None and error.__suppress_context__
        assert sender not in str(error) and RASA_TOKEN not in str(error)
    assert sender not in caplog.text and RASA_TOKEN not in caplog.text


# ---------- pooling per event loop ----------


async def test_one_pooled_client_per_event_loop_and_address() -> None:
    first = shared_client("http://127.0.0.1:1", "t", 1.0)
    assert shared_client("http://127.0.0.1:1", "t", 1.0) is first
    assert shared_client("http://127.0.0.1:2", "t", 1.0) is not first
    await close_shared_clients()
    assert shared_client("http://127.0.0.1:1", "t", 1.0) is not first
    await close_shared_clients()


async def test_close_shared_clients_closes_their_pools(rasa: StandInRasa, rasa_url: str) -> None:
    client = shared_client(rasa_url, RASA_TOKEN, 5.0)
    await client.send(SENDER, "hello")
    await close_shared_clients()
    with pytest.raises(RuntimeError):
        await client.send(SENDER, "hello")
    assert len(rasa.requests) == 1


def test_each_event_loop_gets_its_own_pool(rasa: StandInRasa, rasa_url: str) -> None:
    """The client is made outside any loop's first request and used in two loops in turn."""

    async def use() -> RasaClient:
        client = shared_client(rasa_url, RASA_TOKEN, 5.0)
        await client.send(SENDER, "hello")
        await close_shared_clients()
        return client

    first, second = asyncio.run(use()), asyncio.run(use())
    assert first is not second
    assert rasa.sent_by(SENDER) == ["hello", "hello"]


def test_a_client_can_be_made_outside_a_running_loop(rasa: StandInRasa, rasa_url: str) -> None:
    """The aiohttp session is made lazily, in the loop that first uses the client."""
    client = RasaClient(rasa_url, RASA_TOKEN)

    async def use() -> None:
        await client.send(SENDER, "hello")
        await client.aclose()

    asyncio.run(use())
    assert rasa.sent_by(SENDER) == ["hello"]


# ---------- several workers ----------


@pytest.fixture(scope="module")
def second_rasa() -> Iterator[tuple[StandInRasa, ServerThread]]:
    """Another stand-in Rasa: the second worker."""
    rasa = StandInRasa()
    server = ServerThread(rasa.app()).start()
    yield rasa, server
    server.stop()


@pytest.fixture
def workers(
    own_rasa: tuple[StandInRasa, ServerThread], second_rasa: tuple[StandInRasa, ServerThread]
) -> list[tuple[StandInRasa, str]]:
    for rasa, _ in (own_rasa, second_rasa):
        rasa.reset()
    return [(own_rasa[0], own_rasa[1].url), (second_rasa[0], second_rasa[1].url)]


@pytest.fixture
async def sharded(workers: list[tuple[StandInRasa, str]]) -> AsyncIterator[RasaClient]:
    client = RasaClient(" , ".join(url + "/" for _, url in workers), RASA_TOKEN)
    yield client
    await client.aclose()


SENDERS = [f"web-{number}" for number in range(40)]


async def test_the_same_sender_always_reaches_the_same_worker(
    workers: list[tuple[StandInRasa, str]], sharded: RasaClient
) -> None:
    for round_ in range(3):
        for sender in SENDERS:
            await sharded.send(sender, f"message {round_}")
    for sender in SENDERS:
        holding = [index for index, (rasa, _) in enumerate(workers) if rasa.sent_by(sender)]
        assert holding == [worker_for(sender, 2)]
        [rasa] = [rasa for rasa, _ in workers if rasa.sent_by(sender)]
        assert rasa.sent_by(sender) == ["message 0", "message 1", "message 2"]


async def test_different_senders_spread_over_the_workers(
    workers: list[tuple[StandInRasa, str]], sharded: RasaClient
) -> None:
    for sender in SENDERS:
        await sharded.send(sender, "hello")
    counts = [len(rasa.messages) for rasa, _ in workers]
    assert sum(counts) == len(SENDERS)
    assert min(counts) >= len(SENDERS) // 4


def test_many_senders_spread_evenly_over_three_workers() -> None:
    counts = [0, 0, 0]
    for number in range(3000):
        counts[worker_for(f"sms-{number:040x}", 3)] += 1
    assert all(900 <= count <= 1100 for count in counts)


async def test_a_wipe_reaches_the_worker_that_holds_the_conversation(
    workers: list[tuple[StandInRasa, str]], sharded: RasaClient
) -> None:
    for sender in SENDERS[:6]:
        await sharded.send(sender, "hello")
        await sharded.wipe(sender)
    for rasa, _ in workers:
        for sender in SENDERS[:6]:
            assert rasa.wiped(sender) == bool(rasa.sent_by(sender))
    assert all(rasa.wipes for rasa, _ in workers)


async def test_a_worker_down_fails_only_the_senders_it_holds(
    workers: list[tuple[StandInRasa, str]],
) -> None:
    rasa, url = workers[0]
    client = RasaClient(f"{url},{closed_port_url()}", RASA_TOKEN)
    held_by_the_live_worker = {sender for sender in SENDERS[:10] if worker_for(sender, 2) == 0}
    for sender in SENDERS[:10]:
        if sender in held_by_the_live_worker:
            assert await client.send(sender, "hello") == [
                {"recipient_id": sender, "text": "Echo: hello"}
            ]
        else:
            with pytest.raises(RasaUnavailable) as caught:
                await client.send(sender, "hello")
            assert caught.value.retryable
    await client.aclose()
    assert {sender for sender, _ in rasa.messages} == held_by_the_live_worker
    assert 0 < len(held_by_the_live_worker) < 10


async def test_status_asks_every_worker(
    workers: list[tuple[StandInRasa, str]], sharded: RasaClient
) -> None:
    assert has_model(await sharded.status())
    assert [rasa.status_calls for rasa, _ in workers] == [1, 1]


async def test_one_worker_without_a_model_means_no_model(
    workers: list[tuple[StandInRasa, str]], sharded: RasaClient
) -> None:
    workers[1][0].answer_next(body=json.dumps({"model_file": None, "model_id": None}))
    assert not has_model(await sharded.status())


async def test_one_worker_down_makes_status_unavailable(
    workers: list[tuple[StandInRasa, str]],
) -> None:
    client = RasaClient(f"{workers[0][1]},{closed_port_url()}", RASA_TOKEN)
    with pytest.raises(RasaUnavailable):
        await client.status()
    await client.aclose()


def test_worker_addresses_are_read_from_a_comma_separated_setting() -> None:
    assert rasa_urls("http://127.0.0.1:5005/") == ["http://127.0.0.1:5005"]
    assert rasa_urls(" http://127.0.0.1:5005, http://127.0.0.1:5006/ ,") == [
        "http://127.0.0.1:5005",
        "http://127.0.0.1:5006",
    ]
    with pytest.raises(ValueError):
        rasa_urls(" , ")


def test_qd_rasa_urls_wins_over_the_single_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QD_RASA_URL", "http://127.0.0.1:5005")
    assert Settings().rasa_url == "http://127.0.0.1:5005"
    monkeypatch.setenv("QD_RASA_URLS", "http://127.0.0.1:6000,http://127.0.0.1:6001")
    assert Settings().rasa_url == "http://127.0.0.1:6000,http://127.0.0.1:6001"


# ---------- how many messages a worker is given at once ----------


async def _arrivals(rasa: StandInRasa, count: int) -> None:
    """Wait (bounded) until `count` requests have reached the stand-in."""
    for _ in range(200):
        if len(rasa.requests) >= count:
            return
        await asyncio.sleep(0.01)


async def test_a_worker_is_given_a_few_messages_at_once_first_come_first_served(
    rasa: StandInRasa, client: RasaClient
) -> None:
    senders = [f"sender-{n}" for n in range(IN_FLIGHT_PER_WORKER + 6)]
    rasa.pause()
    sends = []
    for sender in senders:
        sends.append(asyncio.create_task(client.send(sender, "hello")))
        await asyncio.sleep(0)  # each send reaches the gate in this order
    await _arrivals(rasa, IN_FLIGHT_PER_WORKER + 1)
    await asyncio.sleep(0.2)
    arrived = [json.loads(r.body)["sender"] for r in rasa.requests]
    assert sorted(arrived) == sorted(senders[:IN_FLIGHT_PER_WORKER])  # the first ones only

    wipe = asyncio.create_task(client.wipe("sender-leaving"))
    await _arrivals(rasa, IN_FLIGHT_PER_WORKER + 1)
    assert [r.method for r in rasa.requests][-1] == "PUT"  # quick exit is never held back

    rasa.resume()
    replies = await asyncio.wait_for(asyncio.gather(*sends, wipe), timeout=10)
    assert len(replies) == len(senders) + 1
    assert sorted(who for who, _ in rasa.messages) == sorted(senders)  # each once, none lost
