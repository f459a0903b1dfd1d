"""The gateway's input channel, served by a real Sanic server on loopback.

The channels come from bot/credentials.yml through Rasa's own loader and are mounted with Rasa's
own `register` under /webhooks/, as `rasa run` does; only the agent is a stand-in, so each test
decides what handling a message does. A real HTTP client posts to it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog
import yaml
from rasa.core.channels.channel import InputChannel, UserMessage, register
from rasa.core.channels.rest import RestInput
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.run import create_http_input_channels
from rasa.shared.core.domain import Domain
from sanic import Sanic

from bot.gateway_channel import GatewayInput, output_for

REPO = Path(__file__).resolve().parents[2]
CREDENTIALS = REPO / "bot" / "credentials.yml"
DOMAIN = Domain.load(str(REPO / "bot" / "domain"))

SENDER = "sender-CANARY-7f3a"
DISCLOSURE = "CANARY-51c2 he hit me again last night"

Handler = Callable[[UserMessage], Awaitable[None]]


class StandInAgent:
    """Takes the place of Rasa's agent: records each message, then runs the test's handler."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []
        self.handler: Handler | None = None

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.handler:
            await self.handler(message)


class Gateway:
    """A running Sanic server with the channels from bot/credentials.yml."""

    def __init__(self, url: str, agent: StandInAgent, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.agent = agent
        self.session = session

    async def post(self, body: Any, *, raw: bytes | None = None) -> tuple[int, str, Any]:
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        async with self.session.post(f"{self.url}/webhooks/gateway/webhook", **kwargs) as resp:
            text = await resp.text()
            return resp.status, resp.headers.get("Content-Type", ""), json.loads(text)


async def serve(channels: list[InputChannel]) -> AsyncIterator[Gateway]:
    app = Sanic(f"gateway_channel_test_{uuid.uuid4().hex}")
    agent = StandInAgent()
    app.ctx.agent = agent
    register(channels, app, route="/webhooks/")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        async with aiohttp.ClientSession() as session:
            yield Gateway(f"http://127.0.0.1:{port}", agent, session)
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()


@pytest.fixture(autouse=True)
def _sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sanic rewrites some of its own methods at each start; test mode lets it start again."""
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async for running in serve(create_http_input_channels(None, str(CREDENTIALS))):
        yield running


def message(wording: Any = "discreet", channel: str = "sms") -> dict[str, Any]:
    return {
        "sender": SENDER,
        "message": DISCLOSURE,
        "metadata": {"channel": channel, "wording": wording},
    }


def test_credentials_name_only_the_gateway_channel() -> None:
    credentials = yaml.safe_load(CREDENTIALS.read_text())
    assert list(credentials) == ["bot.gateway_channel.GatewayInput"]
    channels = create_http_input_channels(None, str(CREDENTIALS))
    assert [type(c) for c in channels] == [GatewayInput]
    assert isinstance(channels[0], RestInput)
    assert channels[0].name() == "gateway"
    assert channels[0].url_prefix() == "gateway"


async def test_health(gateway: Gateway) -> None:
    async with gateway.session.get(f"{gateway.url}/webhooks/gateway/") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


async def test_the_rest_channel_is_gone(gateway: Gateway) -> None:
    async with gateway.session.post(
        f"{gateway.url}/webhooks/rest/webhook", json={"sender": SENDER, "message": "hi"}
    ) as resp:
        assert resp.status == 404
    assert gateway.agent.messages == []


@pytest.mark.parametrize(
    ("metadata", "output_name"),
    [
        ({"channel": "web", "wording": "web"}, "web"),
        ({"channel": "sms", "wording": "discreet"}, "discreet"),
        ({"channel": "whatsapp", "wording": "plain"}, "plain"),
        ({"channel": "telegram", "wording": "loud"}, "web"),
        ({"channel": "sms", "wording": "DISCREET"}, "web"),
        ({"channel": "sms", "wording": ["discreet"]}, "web"),
        ({"channel": "sms"}, "web"),
        (None, "web"),
    ],
)
async def test_the_output_channel_is_named_after_the_wording(
    gateway: Gateway, metadata: dict[str, Any] | None, output_name: str
) -> None:
    body: dict[str, Any] = {"sender": SENDER, "message": DISCLOSURE}
    if metadata is not None:
        body["metadata"] = metadata
    status, _, replies = await gateway.post(body)
    assert (status, replies) == (200, [])
    [received] = gateway.agent.messages
    assert received.output_channel.name() == output_name
    assert received.text == DISCLOSURE
    assert received.sender_id == SENDER
    assert received.input_channel == "gateway"
    assert received.metadata == metadata  # the actions read `channel` from it


async def test_each_message_gets_its_own_collector(gateway: Gateway) -> None:
    await gateway.post(message("discreet"))
    await gateway.post(message("plain"))
    first, second = gateway.agent.messages
    assert first.output_channel is not second.output_channel
    assert [first.output_channel.name(), second.output_channel.name()] == ["discreet", "plain"]


async def test_replies_come_back_as_the_rest_channels_json_list(gateway: Gateway) -> None:
    async def reply(msg: UserMessage) -> None:
        out = msg.output_channel
        await out.send_response(
            msg.sender_id,
            {
                "text": "Is it safe for you to text now?",
                "buttons": [{"title": "Yes", "payload": "/affirm"}],
            },
        )
        await out.send_response(msg.sender_id, {"text": "Call 999.", "custom": {"quietdoor": "x"}})

    gateway.agent.handler = reply
    status, content_type, replies = await gateway.post(message("discreet"))
    assert status == 200
    assert content_type.startswith("application/json")
    assert replies == [
        {
            "recipient_id": SENDER,
            "text": "Is it safe for you to text now?",
            "buttons": [{"title": "Yes", "payload": "/affirm"}],
        },
        {"recipient_id": SENDER, "text": "Call 999."},
        {"recipient_id": SENDER, "custom": {"quietdoor": "x"}},
    ]


@pytest.mark.parametrize(
    ("wording", "first_line"),
    [
        ("discreet", "Hello. Reply EXIT at any time to end this chat."),
        ("plain", "Hello. Reply EXIT at any time to end this chat."),
        ("web", "Hello. To leave quickly, press Exit, press Shift 3 times, or type exit."),
        ("other", "Hello. To leave quickly, press Exit, press Shift 3 times, or type exit."),
    ],
)
async def test_the_wording_picks_the_domain_variation(
    gateway: Gateway, wording: str, first_line: str
) -> None:
    """As Rasa's processor does: the response is generated for the output channel's name."""
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)

    async def greet(msg: UserMessage) -> None:
        response = nlg.generate_from_slots("utter_greet", {}, msg.output_channel.name())
        await msg.output_channel.send_response(msg.sender_id, response)

    gateway.agent.handler = greet
    _, _, replies = await gateway.post(message(wording))
    [reply] = replies
    assert reply["text"].split("\n")[0] == first_line
    assert [b["payload"] for b in reply["buttons"]] == ["/affirm", "/deny", "/emergency"]


def _leaks(entries: list[Any], *secrets: str) -> list[str]:
    blob = "\n".join(repr(entry) for entry in entries)
    return [secret for secret in secrets if secret in blob]


@pytest.mark.parametrize("error", [RuntimeError, asyncio.CancelledError])
async def test_a_failure_answers_a_json_list_and_logs_neither_text_nor_sender(
    gateway: Gateway,
    error: type[BaseException],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    async def fail(msg: UserMessage) -> None:
        await msg.output_channel.send_text_message(msg.sender_id, "Before the failure.")
        # An exception whose message quotes the person, as a parser error might.
        raise error(f"could not handle {msg.text!r} from {msg.sender_id}")

    gateway.agent.handler = fail
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        status, content_type, replies = await gateway.post(message("discreet"))

    assert status == 200
    assert content_type.startswith("application/json")
    assert replies == [{"recipient_id": SENDER, "text": "Before the failure."}]
    # The failure is logged, by type and place only.
    [entry] = [e for e in logs if e["event"].startswith("gateway.turn.")]
    assert entry["log_level"] == "error"
    if error is RuntimeError:
        assert entry["error_type"] == "RuntimeError"
        assert entry["where"].startswith("test_gateway_channel.py:fail:")
    assert "exc_info" not in entry
    captured = capfd.readouterr()
    assert _leaks(logs, DISCLOSURE, "CANARY", SENDER) == []
    assert _leaks(caplog.records, DISCLOSURE, "CANARY", SENDER) == []
    assert _leaks([caplog.text, captured.out, captured.err], DISCLOSURE, "CANARY", SENDER) == []


async def test_rasas_own_rest_channel_would_log_the_text() -> None:
    """Why the gateway channel does not reuse RestInput's webhook (and that the capture works)."""

    async def fail(msg: UserMessage) -> None:
        raise RuntimeError("boom")

    async for running in serve([RestInput()]):
        running.agent.handler = fail
        with structlog.testing.capture_logs() as logs:
            async with running.session.post(
                f"{running.url}/webhooks/rest/webhook",
                json={"sender": SENDER, "message": DISCLOSURE},
            ) as resp:
                assert resp.status == 200
        assert _leaks(logs, DISCLOSURE) == [DISCLOSURE]


@pytest.mark.parametrize(
    "raw",
    [
        b"CANARY-51c2 not json",
        json.dumps(["CANARY-51c2"]).encode(),
        json.dumps({"sender": SENDER}).encode(),
        json.dumps({"message": DISCLOSURE}).encode(),
        json.dumps({"sender": "", "message": DISCLOSURE}).encode(),
        json.dumps({"sender": SENDER, "message": 5}).encode(),
        json.dumps({"sender": SENDER, "message": DISCLOSURE, "metadata": "CANARY"}).encode(),
    ],
)
async def test_a_malformed_body_is_refused_without_echoing_it(gateway: Gateway, raw: bytes) -> None:
    status, content_type, body = await gateway.post(None, raw=raw)
    assert status == 400
    assert content_type.startswith("application/json")
    assert "CANARY" not in json.dumps(body)
    assert SENDER not in json.dumps(body)
    assert gateway.agent.messages == []


def test_output_for_defaults_to_web() -> None:
    assert output_for({"wording": "discreet"}).name() == "discreet"
    assert output_for({"wording": "plain"}).name() == "plain"
    for metadata in ({"wording": "web"}, {"wording": "x"}, {}, None, "discreet", {"wording": 1}):
        assert output_for(metadata).name() == "web"
